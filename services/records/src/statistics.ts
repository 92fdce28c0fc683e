// Indicators for health administrators by county of residence and month, each with its numerator and
// denominator, read from the read-only endpoint so they never load the primary. Analysts only, within scope.
import { canReadStatistics, requireAllowed } from '../../common/src/auth/policy';
import type { CallContext } from '../../common/src/grpc/context';
import { statisticsPeriod } from '../../common/src/months';
import type { Database } from '../../common/src/pg/database';
import type { GetStatisticsRequest, GetStatisticsResponse, IndicatorValue } from '../../common/src/gen/mch/records/v1/records';
import type { ReferralIndicator } from '../../common/src/gen/mch/referral/v1/referral';
import type { ReferralIndicatorSource } from './referral-indicators';
import { todayInChina } from './domain';

interface Row {
  indicator: string;
  county: string;
  month: string;
  numerator: string;
  denominator: string;
}

const DEFINITIONS: Record<string, string> = {
  pregnancies_registered: 'pregnancies registered in the month (no denominator)',
  early_registration: 'registered before 13+0 weeks ÷ registered in the month',
  anc_coverage: 'deliveries with ≥ 5 antenatal visits ÷ deliveries in the month',
  high_risk_cases_opened: 'pregnancies registered in the month that entered high-risk case management ÷ pregnancies registered in the month',
  immunization_hepb1_on_time: 'children born in the month with HepB dose 1 by day 1 ÷ children born in the month',
  referrals_up: 'up-referrals requested in the month (no denominator; from the referral service)',
  referrals_down: 'down-referrals requested in the month (no denominator; from the referral service)',
  referral_acceptance: 'referrals requested in the month that were accepted ÷ referrals requested in the month',
  referral_median_minutes_to_acceptance: 'median minutes from request to acceptance of the month\'s accepted referrals (no denominator)',
};

/** Referral's indicators as rows of the same table. */
function referralValues(indicators: readonly ReferralIndicator[]): IndicatorValue[] {
  return indicators.flatMap((row) => {
    const requested = String(Number(row.referralsUp) + Number(row.referralsDown));
    const values: Omit<IndicatorValue, 'definition'>[] = [
      { indicator: 'referrals_up', county: row.county, month: row.month, numerator: row.referralsUp, denominator: '0' },
      { indicator: 'referrals_down', county: row.county, month: row.month, numerator: row.referralsDown, denominator: '0' },
      { indicator: 'referral_acceptance', county: row.county, month: row.month, numerator: row.accepted, denominator: requested },
    ];
    if (row.medianMinutesToAcceptance !== undefined) {
      values.push({ indicator: 'referral_median_minutes_to_acceptance', county: row.county, month: row.month, numerator: String(Math.round(row.medianMinutesToAcceptance)), denominator: '0' });
    }
    return values.map((value) => ({ ...value, definition: DEFINITIONS[value.indicator] ?? '' }));
  });
}

export async function readStatistics(db: Database, request: GetStatisticsRequest, ctx: CallContext, referral?: ReferralIndicatorSource): Promise<GetStatisticsResponse> {
  const county = request.county.trim().toLowerCase();
  requireAllowed(ctx.principal, canReadStatistics(ctx.principal, county || undefined));
  const period = statisticsPeriod(request, todayInChina());
  const rows = await db.queryReplica<Row>(
    `WITH p AS (
       SELECT id, county_code, to_char(registered_on, 'YYYY-MM') AS month, registered_ga_days, risk_colour FROM pregnancies
       WHERE registered_on >= $1::date AND registered_on < $2::date AND ($3 = '' OR county_code = $3)
     ), d AS (
       SELECT d.pregnancy_id, p.county_code, to_char(d.delivery_date, 'YYYY-MM') AS month,
              (SELECT count(*) FROM antenatal_visits v WHERE v.pregnancy_id = d.pregnancy_id) AS visits
       FROM deliveries d JOIN pregnancies p ON p.id = d.pregnancy_id
       WHERE d.delivery_date >= $1::date AND d.delivery_date < $2::date AND ($3 = '' OR p.county_code = $3)
     ), c AS (
       SELECT c.patient_id, c.county_code, to_char(c.birth_date, 'YYYY-MM') AS month,
              EXISTS (SELECT 1 FROM immunizations i WHERE i.patient_id = c.patient_id AND i.programme_vaccine = 'HepB' AND i.dose = 1
                      AND i.given_on <= c.birth_date + 1) AS hepb1
       FROM children c WHERE c.birth_date >= $1::date AND c.birth_date < $2::date AND ($3 = '' OR c.county_code = $3)
     )
     SELECT 'pregnancies_registered' AS indicator, county_code AS county, month, count(*)::text AS numerator, '0' AS denominator FROM p GROUP BY 2, 3
     UNION ALL
     SELECT 'early_registration', county_code, month, count(*) FILTER (WHERE registered_ga_days < 91)::text, count(*)::text FROM p GROUP BY 2, 3
     UNION ALL
     SELECT 'risk_colour_' || coalesce(nullif(risk_colour, ''), 'ungraded'), county_code, month, count(*)::text,
            sum(count(*)) OVER (PARTITION BY county_code, month)::text FROM p GROUP BY risk_colour, county_code, month
     UNION ALL
     SELECT 'high_risk_cases_opened', p.county_code, p.month, count(h.pregnancy_id)::text, count(*)::text
       FROM p LEFT JOIN high_risk_cases h ON h.pregnancy_id = p.id GROUP BY 2, 3
     UNION ALL
     SELECT 'anc_coverage', county_code, month, count(*) FILTER (WHERE visits >= 5)::text, count(*)::text FROM d GROUP BY 2, 3
     UNION ALL
     SELECT 'immunization_hepb1_on_time', county_code, month, count(*) FILTER (WHERE hepb1)::text, count(*)::text FROM c GROUP BY 2, 3
     ORDER BY 1, 2, 3`,
    [period.firstDay, period.endDay, county],
  );
  const values: IndicatorValue[] = rows.map((row) => ({
    indicator: row.indicator,
    county: row.county,
    month: row.month,
    numerator: row.numerator,
    denominator: row.denominator,
    definition: DEFINITIONS[row.indicator] ?? (row.indicator.startsWith('risk_colour_') ? 'pregnancies registered in the month whose current grade is this colour ÷ registered in the month' : ''),
  }));
  const source = 'read-only endpoint (may lag the primary by the replication delay)';
  if (!referral) return { values, source };
  const referrals = await referral.indicators(county, period.from, period.to, ctx);
  if (!referrals) return { values, source: `${source}; referral indicators unavailable` };
  const key = (value: IndicatorValue): string => `${value.indicator}\u0000${value.county}\u0000${value.month}`;
  return { values: [...values, ...referralValues(referrals)].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)), source };
}

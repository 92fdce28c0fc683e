// Indicators for health administrators by county of residence and month, each with its numerator and
// denominator, read from the read-only endpoint so they never load the primary. Analysts only, within scope.
// Counts are SQL; coverage of scheduled care (postpartum visits, child checks, doses) runs the schedule engine over
// each delivery or child, so "on time" means what the handbook means. Referral indicators come from referral.
import { canReadStatistics, requireAllowed } from '../../common/src/auth/policy';
import type { CallContext } from '../../common/src/grpc/context';
import { statisticsPeriod } from '../../common/src/months';
import type { Database } from '../../common/src/pg/database';
import type { GetStatisticsRequest, GetStatisticsResponse, IndicatorValue } from '../../common/src/gen/mch/records/v1/records';
import { evaluateSchedule, ItemState, RecordsReferenceData, ScheduleAnchors, ScheduleProgress, scheduleInForce, todayInChina } from './domain';
import { childHealthVisits } from './handbook';

export { statisticsPeriod };

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
  postpartum_visit_coverage:
    'deliveries in the month whose postpartum home visit was done within its window (by day 7 after discharge, or after delivery when no discharge is recorded) ÷ deliveries in the month whose window has ended or that were visited',
  postpartum_42_day_check_coverage: 'deliveries in the month with the 42-day check done on time (days 42–56) ÷ deliveries in the month whose window has ended or that were checked',
  child_check_coverage:
    'scheduled child health checks falling overdue in the month (windows of the child health schedule) done on time ÷ checks falling overdue in the month (one per child and check)',
  immunization_coverage: 'programme doses falling overdue in the month given on time ÷ doses falling overdue in the month (one per child and dose)',
  referrals_up: 'referrals up requested in the month (referral service; no denominator)',
  referrals_down: 'referrals down requested in the month (referral service; no denominator)',
  referrals_accepted: 'referrals accepted ÷ referrals requested in the month (referral service)',
  referral_median_minutes_to_acceptance: 'median minutes from request to acceptance over the referrals accepted (numerator, rounded) of the month (denominator: accepted)',
};

/**
 * Referral indicators of one county and month: the fields of mch.referral.v1.ReferralIndicator (GetReferralIndicators,
 * branch `referral`) that the statistics use; int64 arrive as strings from the generated code.
 */
export interface ReferralIndicatorRow {
  readonly county: string;
  readonly month: string;
  readonly referralsUp: string | number;
  readonly referralsDown: string | number;
  readonly accepted: string | number;
  readonly medianMinutesToAcceptance?: number;
}

/**
 * The seam to the referral service (its GetReferralIndicators over gRPC, with the caller's token). Undefined while
 * records is not wired to it; the statistics then say so in `unavailable`.
 */
export interface ReferralIndicatorSource {
  indicators(filter: { county: string; from: string; to: string }, ctx: CallContext): Promise<readonly ReferralIndicatorRow[]>;
}

/** Referral rows as indicator values with their numerators and denominators. */
export function referralIndicatorValues(rows: readonly ReferralIndicatorRow[]): IndicatorValue[] {
  return rows.flatMap((row) => {
    const [up, down, accepted] = [Number(row.referralsUp), Number(row.referralsDown), Number(row.accepted)];
    const requested = up + down;
    const value = (indicator: string, numerator: number, denominator: number): IndicatorValue => ({
      indicator,
      county: row.county,
      month: row.month,
      numerator: String(numerator),
      denominator: String(denominator),
      definition: DEFINITIONS[indicator] ?? '',
    });
    return [
      value('referrals_up', up, 0),
      value('referrals_down', down, 0),
      value('referrals_accepted', accepted, requested),
      ...(row.medianMinutesToAcceptance !== undefined ? [value('referral_median_minutes_to_acceptance', Math.round(row.medianMinutesToAcceptance), accepted)] : []),
    ];
  });
}

/** Numerator and denominator per indicator, county and month. */
export class CoverageCounter {
  private readonly counts = new Map<string, { numerator: number; denominator: number }>();

  /**
   * Counts the items of one evaluated schedule that fell overdue by `today` inside the period: each is due, and
   * done on time when done before its overdue date. `month` files them under another month (the delivery's).
   */
  add(indicator: string, county: string, items: readonly ItemState[], period: { firstDay: string; endDay: string }, today: string, month?: string): void {
    for (const item of items) {
      const deadline = item.overdueOn;
      if (deadline === undefined) continue;
      const onTime = item.status === 'done' && item.onTime === true;
      // Not yet overdue and not done: not due yet, counted when its window ends.
      if (deadline > today && !onTime) continue;
      const filed = month ?? deadline.slice(0, 7);
      if (`${filed}-01` < period.firstDay || `${filed}-01` >= period.endDay) continue;
      const key = `${indicator}\u0000${county}\u0000${filed}`;
      const count = this.counts.get(key) ?? { numerator: 0, denominator: 0 };
      count.denominator += 1;
      if (onTime) count.numerator += 1;
      this.counts.set(key, count);
    }
  }

  values(): IndicatorValue[] {
    return [...this.counts.entries()].map(([key, count]) => {
      const [indicator, county, month] = key.split('\u0000') as [string, string, string];
      return { indicator, county, month, numerator: String(count.numerator), denominator: String(count.denominator), definition: DEFINITIONS[indicator] ?? '' };
    });
  }
}

interface DeliveryCoverageRow {
  county_code: string;
  delivery_date: string;
  discharge_date: string | null;
  visits: string[];
}

interface ChildCoverageRow {
  patient_id: string;
  county_code: string;
  birth_date: string;
  discharge_date: string | null;
  checks: { service: string; checked_on: string; growth_measurement_id: string | null }[];
  growth: { id: string; measured_on: string }[];
  doses: { vaccine: string; dose: number; date: string }[];
}

/** The oldest child any child schedule still follows (the last yearly check is at 6 years). */
const CHILD_SCHEDULE_YEARS = 7;

/** The indicators of DESIGN.md §2.6 from the read-only endpoint (and the referral service). */
export async function readStatistics(
  db: Database,
  reference: RecordsReferenceData,
  referrals: ReferralIndicatorSource | undefined,
  request: GetStatisticsRequest,
  ctx: CallContext,
): Promise<GetStatisticsResponse> {
  const county = request.county.trim().toLowerCase();
  requireAllowed(ctx.principal, canReadStatistics(ctx.principal, county || undefined));
  const today = todayInChina();
  const period = statisticsPeriod(request, today);
  const unavailable: string[] = [];
  const referralRows = referrals
    ? referrals.indicators({ county, from: period.from, to: period.to }, ctx).catch((error: unknown) => {
        ctx.logger.warn({ err: error }, 'referral indicators unavailable');
        unavailable.push('referrals: the referral service did not answer');
        return [];
      })
    : Promise.resolve((unavailable.push('referrals: records is not yet wired to the referral service'), []));
  const [rows, coverage, referralValues] = await Promise.all([db.queryReplica<Row>(
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
  ), scheduledCoverage(db, reference, period, county, today), referralRows.then(referralIndicatorValues)]);
  const counted: IndicatorValue[] = rows.map((row) => ({
    indicator: row.indicator,
    county: row.county,
    month: row.month,
    numerator: row.numerator,
    denominator: row.denominator,
    definition: DEFINITIONS[row.indicator] ?? (row.indicator.startsWith('risk_colour_') ? 'pregnancies registered in the month whose current grade is this colour ÷ registered in the month' : ''),
  }));
  const values = [...counted, ...coverage, ...referralValues].sort(
    (a, b) => a.indicator.localeCompare(b.indicator) || a.county.localeCompare(b.county) || a.month.localeCompare(b.month),
  );
  return { values, source: 'read-only endpoint (may lag the primary by the replication delay)', unavailable };
}

/** Postpartum visit, child check and immunization coverage: each delivery's and child's schedules evaluated today. */
async function scheduledCoverage(db: Database, reference: RecordsReferenceData, period: { firstDay: string; endDay: string }, county: string, today: string): Promise<IndicatorValue[]> {
  const counter = new CoverageCounter();
  const [deliveries, children] = await Promise.all([
    db.queryReplica<DeliveryCoverageRow>(
      `SELECT p.county_code, d.delivery_date::text, d.discharge_date::text,
              ARRAY(SELECT v.service || '@' || v.visit_date::text FROM postpartum_visits v WHERE v.pregnancy_id = d.pregnancy_id) AS visits
       FROM deliveries d JOIN pregnancies p ON p.id = d.pregnancy_id
       WHERE d.delivery_date >= $1::date AND d.delivery_date < $2::date AND ($3 = '' OR p.county_code = $3)`,
      [period.firstDay, period.endDay, county],
    ),
    db.queryReplica<ChildCoverageRow>(
      `SELECT c.patient_id, c.county_code, c.birth_date::text, c.discharge_date::text,
              coalesce((SELECT json_agg(json_build_object('service', k.service, 'checked_on', k.checked_on::text, 'growth_measurement_id', k.growth_measurement_id))
                        FROM child_checks k WHERE k.patient_id = c.patient_id), '[]') AS checks,
              coalesce((SELECT json_agg(json_build_object('id', g.id, 'measured_on', g.measured_on::text)) FROM growth_measurements g WHERE g.patient_id = c.patient_id), '[]') AS growth,
              coalesce((SELECT json_agg(json_build_object('vaccine', i.vaccine, 'dose', i.dose, 'date', i.given_on::text)) FROM immunizations i WHERE i.patient_id = c.patient_id), '[]') AS doses
       FROM children c
       WHERE c.birth_date >= $1::date - make_interval(years => $4) AND c.birth_date < $2::date AND ($3 = '' OR c.county_code = $3)`,
      [period.firstDay, period.endDay, county, CHILD_SCHEDULE_YEARS],
    ),
  ]);
  for (const delivery of deliveries) {
    const schedule = scheduleInForce(reference.schedules, 'cn-bphs-postpartum', delivery.delivery_date);
    // Without a recorded discharge the home visit counts from the delivery: a missing date must not hide a missed visit.
    const anchors: ScheduleAnchors = { delivery: delivery.delivery_date, discharge: delivery.discharge_date ?? delivery.delivery_date };
    const visits = delivery.visits.map((visit) => {
      const [service, date] = visit.split('@') as [string, string];
      return { service, date };
    });
    const items = evaluateSchedule(schedule, { anchors, progress: { visits }, today }).items;
    const month = delivery.delivery_date.slice(0, 7);
    counter.add('postpartum_visit_coverage', delivery.county_code, items.filter((item) => item.itemId === 'home-visit'), period, today, month);
    counter.add('postpartum_42_day_check_coverage', delivery.county_code, items.filter((item) => item.itemId === 'check-42-day'), period, today, month);
  }
  for (const child of children) {
    const anchors: ScheduleAnchors = { birth: child.birth_date, discharge: child.discharge_date ?? child.birth_date };
    const evaluate = (programme: string, progress: ScheduleProgress): ItemState[] => [
      ...evaluateSchedule(scheduleInForce(reference.schedules, programme, child.birth_date), { anchors, progress, today }).items,
    ];
    counter.add('child_check_coverage', child.county_code, evaluate('cn-bphs-child-health', { visits: childHealthVisits(child.checks, child.growth) }), period, today);
    counter.add('immunization_coverage', child.county_code, evaluate('cn-nip', { doses: child.doses }), period, today);
  }
  return counter.values();
}

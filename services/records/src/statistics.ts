// Indicators for health administrators by county of residence or institution of care and by month, quarter or
// reporting year, each with its numerator, denominator, unit and cited definition (domain/statistics-catalogue).
// The answer sums the monthly rollups that statistics-facts keeps from facts written with every record change, read
// from the read-only endpoint: no schedule is evaluated and no record is loaded per request. Referral indicators
// come from the referral service.
import { canReadStatistics, requireAllowed } from '../../common/src/auth/policy';
import { Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { statisticsPeriod } from '../../common/src/months';
import type { Database } from '../../common/src/pg/database';
import type {
  GetStatisticsRequest,
  GetStatisticsResponse,
  IndicatorDefinition as IndicatorDefinitionMessage,
  IndicatorValue,
} from '../../common/src/gen/mch/records/v1/records';
import { todayInChina } from './domain';
import { definitionLine, indicatorDefinition, reportingYearOf } from './domain/statistics-catalogue';

export { statisticsPeriod };

const REFERRAL_SOURCE = { unit: '', confirmation: 'confirmed' };
const REFERRAL_DEFINITIONS: Record<string, { definition: string; unit: string; confirmation: string }> = {
  referrals_up: {
    ...REFERRAL_SOURCE,
    definition: 'referrals up requested in the month (referral service; no denominator)',
  },
  referrals_down: {
    ...REFERRAL_SOURCE,
    definition: 'referrals down requested in the month (referral service; no denominator)',
  },
  referrals_accepted: {
    ...REFERRAL_SOURCE,
    unit: '%',
    definition: 'referrals accepted ÷ referrals requested in the month (referral service)',
  },
  referral_median_minutes_to_acceptance: {
    ...REFERRAL_SOURCE,
    definition:
      'median minutes from request to acceptance over the referrals accepted (numerator, rounded) of the month (denominator: accepted)',
  },
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
  indicators(
    filter: { county: string; from: string; to: string },
    ctx: CallContext,
  ): Promise<readonly ReferralIndicatorRow[]>;
}

/** Referral rows as indicator values with their numerators and denominators. */
export function referralIndicatorValues(rows: readonly ReferralIndicatorRow[]): IndicatorValue[] {
  return rows.flatMap((row) => {
    const [up, down, accepted] = [Number(row.referralsUp), Number(row.referralsDown), Number(row.accepted)];
    const requested = up + down;
    const value = (indicator: string, numerator: number, denominator: number): IndicatorValue => ({
      ...(REFERRAL_DEFINITIONS[indicator] ?? { definition: '', unit: '', confirmation: 'unconfirmed' }),
      indicator,
      county: row.county,
      month: row.month,
      period: row.month,
      institutionId: '',
      numerator: String(numerator),
      denominator: String(denominator),
    });
    return [
      value('referrals_up', up, 0),
      value('referrals_down', down, 0),
      value('referrals_accepted', accepted, requested),
      ...(row.medianMinutesToAcceptance !== undefined
        ? [value('referral_median_minutes_to_acceptance', Math.round(row.medianMinutesToAcceptance), accepted)]
        : []),
    ];
  });
}

const GROUPINGS = new Set(['', 'county', 'institution']);
const PERIODS = new Set(['', 'month', 'quarter', 'year', 'calendar-year']);

/** The period a month YYYY-MM falls in: itself, YYYY-Qn, the reporting year, or the calendar year. */
export function periodOf(month: string, period: string): string {
  if (period === 'quarter') return `${month.slice(0, 4)}-Q${Math.floor((Number(month.slice(5, 7)) - 1) / 3) + 1}`;
  if (period === 'year') return reportingYearOf(month);
  if (period === 'calendar-year') return month.slice(0, 4);
  return month;
}

interface RollupRow {
  indicator: string;
  county: string;
  institution_id: string;
  month: string;
  numerator: string;
  denominator: string;
}

/** Sums values into their periods; the first month of each period stays in `month`. */
function byPeriod(values: readonly IndicatorValue[], period: string): IndicatorValue[] {
  const sums = new Map<string, IndicatorValue>();
  for (const value of values) {
    const key = periodOf(value.month, period);
    const id = `${value.indicator}\u0000${value.county}\u0000${value.institutionId}\u0000${key}`;
    const seen = sums.get(id);
    if (!seen) sums.set(id, { ...value, period: key });
    else
      sums.set(id, {
        ...seen,
        month: seen.month < value.month ? seen.month : value.month,
        numerator: String(Number(seen.numerator) + Number(value.numerator)),
        denominator: String(Number(seen.denominator) + Number(value.denominator)),
      });
  }
  return [...sums.values()];
}

/** The indicators of the catalogue (and the referral service's) for one county or the prefecture. */
export async function readStatistics(
  db: Database,
  referrals: ReferralIndicatorSource | undefined,
  request: GetStatisticsRequest,
  ctx: CallContext,
): Promise<GetStatisticsResponse> {
  const county = request.county.trim().toLowerCase();
  requireAllowed(ctx.principal, canReadStatistics(ctx.principal, county || undefined));
  const violations = new Violations();
  const groupBy = request.groupBy.trim().toLowerCase();
  const periodKind = request.period.trim().toLowerCase();
  if (!GROUPINGS.has(groupBy)) violations.add('groupBy', 'must be county or institution');
  if (!PERIODS.has(periodKind))
    violations.add('period', 'must be month, quarter, year (the reporting year) or calendar-year');
  const indicators = request.indicators.map((indicator) => indicator.trim());
  indicators.forEach((indicator, index) => {
    if (indicatorDefinition(indicator) === undefined && !(indicator in REFERRAL_DEFINITIONS))
      violations.add(`indicators[${index}]`, `unknown indicator ${indicator}`);
  });
  violations.throwIfAny();
  const byInstitution = groupBy === 'institution';
  const period = statisticsPeriod(request, todayInChina());
  const unavailable: string[] = [];
  const wanted = (indicator: string): boolean => indicators.length === 0 || indicators.includes(indicator);
  const referralRows = !Object.keys(REFERRAL_DEFINITIONS).some(wanted)
    ? Promise.resolve([])
    : referrals
      ? referrals.indicators({ county, from: period.from, to: period.to }, ctx).catch((error: unknown) => {
          ctx.logger.warn({ err: error }, 'referral indicators unavailable');
          unavailable.push('referrals: the referral service did not answer');
          return [];
        })
      : Promise.resolve((unavailable.push('referrals: records is not yet wired to the referral service'), []));
  const [rows, referralValues] = await Promise.all([
    db.queryReplica<RollupRow>(
      `SELECT indicator, county_code AS county, ${byInstitution ? 'institution_id' : "''"} AS institution_id, to_char(month, 'YYYY-MM') AS month,
              sum(numerator)::text AS numerator, sum(denominator)::text AS denominator
       FROM statistics_rollups
       WHERE month >= $1::date AND month < $2::date AND ($3 = '' OR county_code = $3) AND (cardinality($4::text[]) = 0 OR indicator = ANY($4::text[]))
       GROUP BY 1, 2, 3, 4`,
      [period.firstDay, period.endDay, county, indicators],
    ),
    referralRows.then(referralIndicatorValues),
  ]);
  const counted = rows
    // A colour nobody has is no row, as before.
    .filter((row) => !(row.indicator.startsWith('risk_colour_') && row.numerator === '0'))
    .map((row): IndicatorValue => {
      const definition = indicatorDefinition(row.indicator);
      return {
        indicator: row.indicator,
        county: row.county,
        institutionId: row.institution_id,
        month: row.month,
        period: row.month,
        numerator: row.numerator,
        denominator: row.denominator,
        definition: definition ? definitionLine(definition) : '',
        unit: definition?.unit ?? '',
        confirmation: definition?.confirmation ?? 'unconfirmed',
      };
    });
  let referralsWanted = referralValues.filter((value) => wanted(value.indicator));
  if (
    periodKind !== '' &&
    periodKind !== 'month' &&
    referralsWanted.some((value) => value.indicator === 'referral_median_minutes_to_acceptance')
  ) {
    // Monthly medians do not add up to a quarter's or a year's.
    referralsWanted = referralsWanted.filter((value) => value.indicator !== 'referral_median_minutes_to_acceptance');
    unavailable.push('referral_median_minutes_to_acceptance: by month only');
  }
  const values = byPeriod([...counted, ...referralsWanted], periodKind).sort(
    (a, b) =>
      a.indicator.localeCompare(b.indicator) ||
      a.county.localeCompare(b.county) ||
      a.institutionId.localeCompare(b.institutionId) ||
      a.month.localeCompare(b.month),
  );
  const catalogue = [...new Set(values.map((value) => value.indicator))].map(
    (indicator): IndicatorDefinitionMessage => {
      const definition = indicatorDefinition(indicator);
      if (definition)
        return {
          indicator,
          titleZh: definition.titleZh,
          numerator: definition.numerator,
          denominator: definition.denominator,
          unit: definition.unit,
          source: definition.source,
          confirmation: definition.confirmation,
          filed: definition.filed,
        };
      const referral = REFERRAL_DEFINITIONS[indicator];
      return {
        indicator,
        titleZh: '',
        numerator: referral?.definition ?? '',
        denominator: '',
        unit: referral?.unit ?? '',
        source: 'platform (DESIGN.md §2.6), referral service',
        confirmation: 'confirmed',
        filed: 'month',
      };
    },
  );
  return {
    values,
    catalogue,
    source:
      'read-only endpoint: monthly rollups of facts written with each record change, folded in within seconds (may lag the primary by that and the replication delay)',
    unavailable,
  };
}

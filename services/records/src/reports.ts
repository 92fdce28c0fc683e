// The national annual tables (GetAnnualReport) and the records behind any figure (ListFigureRecords), #31 §1–§3.
// Both read what the statistics read: the table sums the same monthly rollups on the read-only endpoint, and the
// drill-down lists the facts those rollups were summed from, with the record's access rule and an audit event per
// patient listed. The gateway renders the table as XLSX and CSV.
import { recordAudits, enforce } from '../../common/src/audit';
import { canDrillIntoFigure, canReadStatistics, requireAllowed } from '../../common/src/auth/policy';
import { Violations } from '../../common/src/errors';
import type {
  GetAnnualReportRequest,
  GetAnnualReportResponse,
  ListFigureRecordsRequest,
  ListFigureRecordsResponse,
} from '../../common/src/gen/mch/records/v1/records';
import type { CallContext } from '../../common/src/grpc/context';
import type { InstitutionInfo } from '../../common/src/institution-directory';
import { statisticsPeriod } from '../../common/src/months';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { Database } from '../../common/src/pg/database';
import { todayInChina } from './domain';
import {
  annualForm,
  buildAnnualReport,
  lastCompletedYear,
  ReportLevel,
  reportPeriod,
  ReportRelease,
} from './domain/annual-reports';
import { DEFAULT_SUPPRESSION_THRESHOLD } from './domain/suppression';
import { indicatorDefinition } from './domain/statistics-catalogue';

/** What the reports need of identity: the member institutions' codes, names and levels. */
export interface InstitutionSource {
  institutionDirectory(): Promise<ReadonlyMap<string, InstitutionInfo>>;
  institution(
    institutionId: string | undefined,
  ): Promise<{ level: InstitutionInfo['level']; countyCode: string } | undefined>;
}

const COUNTY = /^[a-z][a-z-]{1,30}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LEVELS: readonly ReportLevel[] = ['institution', 'county', 'prefecture'];
/** Figures whose records reveal a sensitive category (infectious disease, DESIGN.md §2.8). */
const SENSITIVE_FIGURES = new Set(['risk_colour_purple']);

const RELEASE_NOTES: Record<ReportRelease, (threshold: number) => string> = {
  statutory: () => '法定报送版 (statutory release): 精确计数, 供向省级/国家妇幼卫生信息系统报送, 不得公开发布。',
  public: (threshold) =>
    `公开发布版 (public release): 1–${threshold - 1} 例的计数及其率已隐去, 并作补充隐去, 任何隐去的单元格均不能由合计推算; 0 照常显示。`,
};

export async function readAnnualReport(
  db: Database,
  institutions: InstitutionSource,
  request: GetAnnualReportRequest,
  ctx: CallContext,
): Promise<GetAnnualReportResponse> {
  const county = request.county.trim().toLowerCase();
  requireAllowed(ctx.principal, canReadStatistics(ctx.principal, county || undefined));
  const violations = new Violations();
  const form = annualForm(request.form.trim().toLowerCase());
  if (!form) violations.add('form', 'must be wt41 (卫统41) or wt42 (卫统42)');
  if (county && !COUNTY.test(county)) violations.add('county', 'must be a county code, e.g. lufeng');
  const periodKind = request.period.trim().toLowerCase() || 'year';
  if (periodKind !== 'year' && periodKind !== 'calendar-year')
    violations.add('period', 'must be year (the reporting year) or calendar-year');
  const calendarYear = periodKind === 'calendar-year';
  const today = todayInChina();
  const yearText = request.year.trim();
  if (yearText && !/^\d{4}$/.test(yearText)) violations.add('year', 'must be a year YYYY');
  const year = yearText ? Number(yearText) : lastCompletedYear(today, calendarYear);
  if (yearText && (year < 2000 || year > Number(today.slice(0, 4)) + 1))
    violations.add('year', `must be between 2000 and ${Number(today.slice(0, 4)) + 1}`);
  const releaseText = request.release.trim().toLowerCase() || 'statutory';
  if (releaseText !== 'statutory' && releaseText !== 'public') violations.add('release', 'must be statutory or public');
  const release = releaseText as ReportRelease;
  const threshold = request.threshold === 0 ? DEFAULT_SUPPRESSION_THRESHOLD : request.threshold;
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > 100)
    violations.add('threshold', 'must be between 2 and 100');
  const levelText = request.level.trim().toLowerCase();
  const levels = new Set<ReportLevel>();
  for (const level of levelText === '' || levelText === 'all' ? LEVELS : levelText.split(',')) {
    const name = level.trim() as ReportLevel;
    if (LEVELS.includes(name)) levels.add(name);
    else violations.add('level', 'must be institution, county, prefecture or all (comma-separated)');
  }
  if (!['', 'json', 'xlsx', 'csv'].includes(request.format.trim().toLowerCase()))
    violations.add('format', 'must be json, xlsx or csv');
  violations.throwIfAny();
  if (!form) throw new Error('unreachable: form checked above');
  const period = reportPeriod(year, calendarYear);
  const months = statisticsPeriod({ from: period.from, to: period.to }, today);
  // The whole prefecture's figures even for one county: what the public release withholds is decided on all of it.
  const [rows, directory] = await Promise.all([
    db.queryReplica<{
      indicator: string;
      county: string;
      institution_id: string;
      numerator: string;
      denominator: string;
    }>(
      `SELECT indicator, county_code AS county, institution_id, sum(numerator)::text AS numerator, sum(denominator)::text AS denominator
       FROM statistics_rollups
       WHERE month >= $1::date AND month < $2::date AND indicator = ANY($3::text[])
       GROUP BY 1, 2, 3`,
      [months.firstDay, months.endDay, form.indicators.map((definition) => definition.id)],
    ),
    institutions.institutionDirectory().catch((error: unknown) => {
      ctx.logger.warn({ err: error }, 'institution directory unavailable for the annual report');
      return undefined;
    }),
  ]);
  const table = buildAnnualReport({
    form,
    figures: rows.map((row) => ({
      indicator: row.indicator,
      county: row.county,
      institutionId: row.institution_id,
      numerator: Number(row.numerator),
      denominator: Number(row.denominator),
    })),
    institutions: (id) => directory?.get(id),
    release,
    threshold,
    levels,
    ...(county ? { county } : {}),
  });
  const unavailable = [
    ...(directory ? [] : ['institution codes and names: identity did not answer']),
    ...table.unknownCounties.map(
      (each) => `GB/T 2260 code of county ${each}: not in records/data/admin-divisions.json`,
    ),
  ];
  return {
    form: form.id,
    tableNumber: form.tableNumber,
    titleZh: form.titleZh,
    edition: form.edition,
    layoutConfirmation: form.layoutConfirmation,
    layoutNote: form.layoutNote,
    year: String(year),
    period: period.period,
    periodLabel: period.label,
    from: period.from,
    to: period.to,
    release,
    releaseNote: RELEASE_NOTES[release](threshold),
    threshold: release === 'public' ? threshold : 0,
    columns: table.columns.map((column) => ({
      key: column.key,
      headerZh: column.headerZh,
      indicator: column.indicator,
      part: column.part,
      unit: column.unit,
    })),
    rows: table.rows.map((row) => ({ ...row, cells: [...row.cells] })),
    catalogue: form.indicators.map((definition) => ({
      indicator: definition.id,
      titleZh: definition.titleZh,
      numerator: definition.numerator,
      denominator: definition.denominator,
      unit: definition.unit,
      source: definition.source,
      confirmation: definition.confirmation,
      filed: definition.filed,
    })),
    source:
      'read-only endpoint: the monthly rollups GET /v1/statistics reads (group_by=institution), folded in within seconds of each record change',
    unavailable,
  };
}

interface FactRow {
  patient_id: string;
  subject_id: string;
  item: string;
  county: string;
  institution_id: string;
  month: string;
  count: number;
}

export async function listFigureRecords(
  db: Database,
  institutions: InstitutionSource,
  request: ListFigureRecordsRequest,
  ctx: CallContext,
): Promise<ListFigureRecordsResponse> {
  const violations = new Violations();
  const indicator = request.indicator.trim();
  if (!indicator) violations.add('indicator', 'is required');
  else if (!indicatorDefinition(indicator)) violations.add('indicator', `unknown indicator ${indicator}`);
  const part = request.part.trim().toLowerCase() || 'numerator';
  if (part !== 'numerator' && part !== 'denominator') violations.add('part', 'must be numerator or denominator');
  const county = request.county.trim().toLowerCase();
  if (!county) violations.add('county', 'is required (a county code, e.g. lufeng)');
  else if (!COUNTY.test(county)) violations.add('county', 'must be a county code, e.g. lufeng');
  const institution = request.institutionId.trim().toLowerCase();
  if (institution && institution !== 'none' && !UUID.test(institution))
    violations.add('institutionId', 'must be an institution id, or none');
  violations.throwIfAny();
  const months = statisticsPeriod(request, todayInChina());
  const caller = await institutions.institution(ctx.principal?.institutionId);
  const decision = canDrillIntoFigure(
    ctx.principal,
    county,
    caller,
    ctx.purpose,
    SENSITIVE_FIGURES.has(indicator),
    ctx.breakGlassReason,
  );
  await enforce(db, ctx, decision, '', 'statistics.figure-records.read');
  const limit = checkPageSize(request.pageSize, 200, 50);
  const filters = { indicator, part, county, institution, from: months.from, to: months.to };
  const offset = decodeOffsetToken(request.pageToken, filters);
  const column = part === 'numerator' ? 'numerator' : 'denominator';
  // The facts the rollups summed: the same month range, and an overdue item only once the rollups count it.
  const where = `indicator = $1 AND county_code = $2 AND month >= $3::date AND month < $4::date
    AND ($5 = '' OR ($5 = 'none' AND institution_id IS NULL) OR institution_id::text = $5)
    AND ${column} > 0
    AND (counted_from IS NULL OR numerator > 0
         OR counted_from <= coalesce((SELECT rolled_up_as_of FROM statistics_state), $6::date))`;
  const values = [indicator, county, months.firstDay, months.endDay, institution, todayInChina()];
  const [rows, totals] = await Promise.all([
    db.queryReplica<FactRow>(
      `SELECT patient_id::text, subject_id::text, item, county_code AS county, coalesce(institution_id::text, '') AS institution_id,
              to_char(month, 'YYYY-MM') AS month, ${column} AS count
       FROM statistics_facts WHERE ${where}
       ORDER BY month, patient_id, subject_id, item LIMIT $7 OFFSET $8`,
      [...values, limit + 1, offset],
    ),
    db.queryReplica<{ total: string }>(
      `SELECT coalesce(sum(${column}), 0)::text AS total FROM statistics_facts WHERE ${where}`,
      values,
    ),
  ]);
  const page = rows.slice(0, limit);
  const reason = decision.allowed && decision.breakGlass ? `break-glass: ${ctx.breakGlassReason ?? ''}` : undefined;
  await recordAudits(
    db.rw,
    ctx,
    [...new Set(page.map((row) => row.patient_id))].map((patientId) => ({
      patientId,
      action: 'statistics.figure-records.read',
      outcome: 'allowed' as const,
      ...(reason ? { reason } : {}),
    })),
  );
  return {
    records: page.map((row) => ({
      patientId: row.patient_id,
      subjectId: row.subject_id,
      item: row.item,
      county: row.county,
      institutionId: row.institution_id,
      month: row.month,
      count: String(row.count),
    })),
    nextPageToken: nextOffsetToken(filters, offset, limit, rows.length),
    total: totals[0]?.total ?? '0',
  };
}

// Death reports: a maternal death (孕产妇死亡报告卡) and the death of a child under five (5岁以下儿童死亡报告卡). Each
// report is a record write like the others (a new record version, idempotent under its key, audited, the statistics
// facts in the same transaction); one report per patient. Reading one follows canReadDeathReport, stricter than the
// record: the treating team, county (of her county) and prefecture staff, or break-glass; every read audited.
import { randomUUID } from 'node:crypto';
import { enforce, recordAudit, recordAudits } from '../../common/src/audit';
import { canReadDeathReport, canReviewDeath, mayReadDeathReports } from '../../common/src/auth/policy';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { PoolClient } from '../../common/src/pg/database';
import {
  ChildDeathReport,
  DeathReview,
  DeathReviewWorkItem,
  GetDeathReportRequest,
  GetDeathReportResponse,
  ListDeathReviewsRequest,
  ListDeathReviewsResponse,
  MaternalDeathReport,
  RecordChildDeathRequest,
  RecordChildDeathResponse,
  RecordDeathReviewRequest,
  RecordDeathReviewResponse,
  RecordMaternalDeathRequest,
  RecordMaternalDeathResponse,
} from '../../common/src/gen/mch/records/v1/records';
import { RecordAccess, requireId } from './access';
import {
  checkChildDeath,
  checkDeathReview,
  checkMaternalDeath,
  DeathCauseGroups,
  DeathReviewRules,
  nextReviewDue,
  ReviewFactor,
  ReviewLevel,
  todayInChina,
} from './domain';
import type { IdentityClient } from './identity-client';
import type { PregnancyRow } from './repository';
import { storedAnswer } from './replay';
import { classifyWriteText } from './text-sensitivity';

type Queryable = Pick<PoolClient, 'query'>;

export interface DeathReportRow {
  id: string;
  patient_id: string;
  kind: 'maternal' | 'child';
  pregnancy_id: string | null;
  death_date: string;
  age_days: number | null;
  county_code: string;
  place_of_death: number;
  cause_group: string;
  icd10: string;
  diagnosis_basis: number;
  details: Record<string, unknown>;
  reporting_institution_id: string | null;
  reported_by: string;
  record_version: number;
  reported_at: Date;
}

const COLUMNS = `id, patient_id, kind, pregnancy_id, death_date::text, age_days, county_code, place_of_death, cause_group, icd10, diagnosis_basis, details,
  reporting_institution_id, reported_by, record_version, reported_at`;

async function reportOf(target: Queryable, patientId: string): Promise<DeathReportRow | undefined> {
  const { rows } = await target.query<DeathReportRow>(`SELECT ${COLUMNS} FROM death_reports WHERE patient_id = $1`, [
    patientId,
  ]);
  return rows[0];
}

interface DeathReviewRow {
  id: string;
  death_report_id: string;
  patient_id: string;
  level: ReviewLevel;
  conclusion: string;
  factors: ReviewFactor[];
  panel_date: string;
  reviewing_institution_id: string | null;
  reviewed_by: string;
  reviewed_at: Date;
}

const REVIEW_COLUMNS = `v.id, v.death_report_id, d.patient_id, v.level, v.conclusion, v.factors, v.panel_date::text,
  v.reviewing_institution_id, v.reviewed_by, v.reviewed_at`;

/** The reviews of the given reports, county first. */
async function reviewsOf(target: Queryable, reportIds: readonly string[]): Promise<DeathReviewRow[]> {
  if (reportIds.length === 0) return [];
  const { rows } = await target.query<DeathReviewRow>(
    `SELECT ${REVIEW_COLUMNS} FROM death_reviews v JOIN death_reports d ON d.id = v.death_report_id
     WHERE v.death_report_id = ANY($1::uuid[]) ORDER BY v.death_report_id, v.level = 'prefecture', v.reviewed_at`,
    [reportIds],
  );
  return rows;
}

function toDeathReview(row: DeathReviewRow, rules: DeathReviewRules): DeathReview {
  return {
    id: row.id,
    deathReportId: row.death_report_id,
    patientId: row.patient_id,
    level: row.level,
    conclusion: row.conclusion,
    conclusionZh: rules.conclusions.get(row.conclusion)?.zh ?? '',
    factors: row.factors.map(({ link, aspect }) => ({ link, aspect })),
    panelDate: row.panel_date,
    reviewingInstitutionId: row.reviewing_institution_id ?? '',
    reviewedBy: row.reviewed_by,
    reviewedAt: row.reviewed_at,
  };
}

const REVIEW_PAGE_MAX = 200;
const REVIEW_STATUSES = ['due', 'concluded', 'all'] as const;

async function insertReport(tx: Queryable, row: Omit<DeathReportRow, 'reported_at'>): Promise<DeathReportRow> {
  const { rows } = await tx.query<DeathReportRow>(
    `INSERT INTO death_reports (id, patient_id, kind, pregnancy_id, death_date, age_days, county_code, place_of_death, cause_group, icd10, diagnosis_basis, details,
                                reporting_institution_id, reported_by, record_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING ${COLUMNS}`,
    [
      row.id,
      row.patient_id,
      row.kind,
      row.pregnancy_id,
      row.death_date,
      row.age_days,
      row.county_code,
      row.place_of_death,
      row.cause_group,
      row.icd10,
      row.diagnosis_basis,
      JSON.stringify(row.details),
      row.reporting_institution_id,
      row.reported_by,
      row.record_version,
    ],
  );
  return rows[0] as DeathReportRow;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

export function toMaternalDeathReport(row: DeathReportRow, causes: DeathCauseGroups): MaternalDeathReport {
  const group = causes.maternal.get(row.cause_group);
  const details = row.details;
  return {
    id: row.id,
    patientId: row.patient_id,
    pregnancyId: row.pregnancy_id ?? '',
    deathDate: row.death_date,
    timing: num(details.timing),
    daysAfterPregnancyEnd:
      typeof details.daysAfterPregnancyEnd === 'number' ? details.daysAfterPregnancyEnd : undefined,
    placeOfDeath: row.place_of_death,
    causeGroup: row.cause_group,
    causeGroupZh: group?.zh ?? '',
    causeKind: group?.kind ?? '',
    icd10: row.icd10,
    causeText: typeof details.causeText === 'string' ? details.causeText : '',
    diagnosisBasis: row.diagnosis_basis,
    hadAntenatalCare: details.hadAntenatalCare === true,
    firstAntenatalGaWeeks:
      typeof details.firstAntenatalGaWeeks === 'number' ? details.firstAntenatalGaWeeks : undefined,
    antenatalVisits: num(details.antenatalVisits),
    transferred: details.transferred === true,
    reportingInstitutionId: row.reporting_institution_id ?? '',
    reportedBy: row.reported_by,
    reportedAt: row.reported_at,
    county: row.county_code,
  };
}

export function toChildDeathReport(row: DeathReportRow, causes: DeathCauseGroups): ChildDeathReport {
  const details = row.details;
  return {
    id: row.id,
    childPatientId: row.patient_id,
    deathDate: row.death_date,
    ageDays: row.age_days ?? 0,
    ageGroup: typeof details.ageGroup === 'string' ? details.ageGroup : '',
    placeOfDeath: row.place_of_death,
    causeGroup: row.cause_group,
    causeGroupZh: causes.child.get(row.cause_group)?.zh ?? '',
    icd10: row.icd10,
    causeText: typeof details.causeText === 'string' ? details.causeText : '',
    diagnosisBasis: row.diagnosis_basis,
    treatment: num(details.treatment),
    highestDiagnosisLevel: num(details.highestDiagnosisLevel),
    noTreatmentReason: num(details.noTreatmentReason),
    reportingInstitutionId: row.reporting_institution_id ?? '',
    reportedBy: row.reported_by,
    reportedAt: row.reported_at,
    county: row.county_code,
  };
}

export class DeathService {
  constructor(
    private readonly access: RecordAccess,
    private readonly identity: IdentityClient,
    private readonly causes: DeathCauseGroups,
    private readonly reviewRules: DeathReviewRules,
  ) {}

  private get db() {
    return this.access.db;
  }

  private get repository() {
    return this.access.repository;
  }

  /** The pregnancy a maternal death is of: the one named (hers), or her latest. */
  private async pregnancyOf(patientId: string, pregnancyId: string): Promise<PregnancyRow> {
    if (pregnancyId) {
      const pregnancy = await this.repository.requirePregnancy(requireId(pregnancyId, 'pregnancyId'));
      if (pregnancy.patient_id !== patientId)
        throw InvalidArgumentError.field('pregnancyId', 'is not a pregnancy of this patient');
      return pregnancy;
    }
    const { rows } = await this.db.rw.query<{ id: string }>(
      'SELECT id FROM pregnancies WHERE patient_id = $1 ORDER BY registered_on DESC, created_at DESC LIMIT 1',
      [patientId],
    );
    if (!rows[0])
      throw new FailedPreconditionError(
        'she has no recorded pregnancy: register the pregnancy the death is of first',
        'NO_PREGNANCY',
      );
    return this.repository.requirePregnancy(rows[0].id);
  }

  private async refuseSecondReport(tx: Queryable, patientId: string): Promise<void> {
    if (await reportOf(tx, patientId))
      throw new FailedPreconditionError('a death is already reported for this patient', 'DEATH_ALREADY_REPORTED');
  }

  async recordMaternalDeath(
    request: RecordMaternalDeathRequest,
    ctx: CallContext,
  ): Promise<RecordMaternalDeathResponse> {
    const bytes = RecordMaternalDeathRequest.encode(request).finish();
    const replay = await storedAnswer(this.db, ctx, bytes, RecordMaternalDeathResponse);
    if (replay) return replay;
    const patientId = requireId(request.patientId, 'patientId');
    await this.access.allowWrite(ctx, patientId, 'record.death.maternal');
    const pregnancy = await this.pregnancyOf(patientId, request.pregnancyId);
    const delivery =
      pregnancy.status === 'ended' ? await this.repository.delivery(this.db.rw, pregnancy.id) : undefined;
    const checked = checkMaternalDeath(
      {
        deathDate: request.deathDate,
        timing: request.timing,
        pregnancyEndDate: request.pregnancyEndDate,
        placeOfDeath: request.placeOfDeath,
        causeGroup: request.causeGroup,
        icd10: request.icd10,
        causeText: request.causeText,
        diagnosisBasis: request.diagnosisBasis,
        hadAntenatalCare: request.hadAntenatalCare,
        firstAntenatalGaWeeks: request.firstAntenatalGaWeeks,
        antenatalVisits: request.antenatalVisits,
      },
      { lmp: pregnancy.lmp, deliveryDate: delivery?.delivery_date },
      this.causes,
      todayInChina(),
    );
    return runIdempotent(this.db, scopeFromContext(ctx), bytes, RecordMaternalDeathResponse, async (tx) => {
      const change = await this.repository.beginChange(tx, patientId, request.expectedVersion);
      await this.refuseSecondReport(tx, patientId);
      const row = await insertReport(tx, {
        id: randomUUID(),
        patient_id: patientId,
        kind: 'maternal',
        pregnancy_id: pregnancy.id,
        death_date: checked.deathDate,
        age_days: null,
        county_code: pregnancy.county_code,
        place_of_death: request.placeOfDeath,
        cause_group: checked.causeGroup.code,
        icd10: checked.icd10,
        diagnosis_basis: request.diagnosisBasis,
        details: {
          timing: request.timing,
          ...(checked.daysAfterPregnancyEnd !== undefined
            ? { daysAfterPregnancyEnd: checked.daysAfterPregnancyEnd }
            : {}),
          causeText: request.causeText.trim(),
          hadAntenatalCare: request.hadAntenatalCare,
          ...(request.firstAntenatalGaWeeks !== undefined
            ? { firstAntenatalGaWeeks: request.firstAntenatalGaWeeks }
            : {}),
          antenatalVisits: request.antenatalVisits,
          transferred: request.transferred,
          ...(request.pregnancyEndDate && !delivery ? { pregnancyEndDate: request.pregnancyEndDate } : {}),
        },
        reporting_institution_id: ctx.principal?.institutionId ?? null,
        reported_by: ctx.caller,
        record_version: change.version,
      });
      // Her pregnancy ends with her death.
      await this.repository.endPregnancy(tx, pregnancy.id);
      await this.commit(tx, ctx, change, patientId, row.id, request.reason, 'maternal');
      await recordAudit(tx, ctx, { patientId, action: 'record.death.maternal', outcome: 'allowed' });
      return { report: toMaternalDeathReport(row, this.causes), recordVersion: change.version };
    });
  }

  async recordChildDeath(request: RecordChildDeathRequest, ctx: CallContext): Promise<RecordChildDeathResponse> {
    const bytes = RecordChildDeathRequest.encode(request).finish();
    const replay = await storedAnswer(this.db, ctx, bytes, RecordChildDeathResponse);
    if (replay) return replay;
    const childPatientId = requireId(request.childPatientId, 'childPatientId');
    await this.access.allowWrite(ctx, childPatientId, 'record.death.child');
    const child = await this.repository.child(childPatientId);
    if (!child)
      throw new NotFoundError(
        `child record ${childPatientId} not found: a child death is reported on the child's record`,
      );
    const checked = checkChildDeath(
      {
        deathDate: request.deathDate,
        placeOfDeath: request.placeOfDeath,
        causeGroup: request.causeGroup,
        icd10: request.icd10,
        causeText: request.causeText,
        diagnosisBasis: request.diagnosisBasis,
        treatment: request.treatment,
        highestDiagnosisLevel: request.highestDiagnosisLevel,
        noTreatmentReason: request.noTreatmentReason,
      },
      { birthDate: child.birth_date },
      this.causes,
      todayInChina(),
    );
    return runIdempotent(this.db, scopeFromContext(ctx), bytes, RecordChildDeathResponse, async (tx) => {
      const change = await this.repository.beginChange(tx, childPatientId, request.expectedVersion);
      await this.refuseSecondReport(tx, childPatientId);
      const row = await insertReport(tx, {
        id: randomUUID(),
        patient_id: childPatientId,
        kind: 'child',
        pregnancy_id: null,
        death_date: checked.deathDate,
        age_days: checked.ageDays,
        county_code: child.county_code,
        place_of_death: request.placeOfDeath,
        cause_group: checked.causeGroup.code,
        icd10: checked.icd10,
        diagnosis_basis: request.diagnosisBasis,
        details: {
          ageGroup: checked.ageGroup,
          causeText: request.causeText.trim(),
          treatment: request.treatment,
          highestDiagnosisLevel: request.highestDiagnosisLevel,
          noTreatmentReason: request.noTreatmentReason,
        },
        reporting_institution_id: ctx.principal?.institutionId ?? null,
        reported_by: ctx.caller,
        record_version: change.version,
      });
      await this.commit(tx, ctx, change, childPatientId, row.id, request.reason, 'child');
      await recordAudit(tx, ctx, { patientId: childPatientId, action: 'record.death.child', outcome: 'allowed' });
      return { report: toChildDeathReport(row, this.causes), recordVersion: change.version };
    });
  }

  /** The record version of the report: its history says a death report was written, never its content. */
  private async commit(
    tx: PoolClient,
    ctx: CallContext,
    change: Awaited<ReturnType<RecordAccess['repository']['beginChange']>>,
    patientId: string,
    reportId: string,
    reason: string,
    kind: 'maternal' | 'child',
  ): Promise<void> {
    // The reason stands beside a death report: withheld like sensitive text from readers outside her team.
    const text = await classifyWriteText(
      tx,
      ctx,
      patientId,
      'death_report',
      { reason },
      { accompaniesSensitiveFact: true, authorMarkedNotSensitive: false },
    );
    await this.repository.commitChange(change, ctx, {
      change: 'death-report',
      entityId: reportId,
      reason,
      reasonSensitivity: text.reason,
      summary: { kind },
    });
  }

  async getDeathReport(request: GetDeathReportRequest, ctx: CallContext): Promise<GetDeathReportResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    // Whether a report exists is told only to those who may read death reports at all.
    await enforce(this.db, ctx, mayReadDeathReports(ctx.principal, ctx.purpose), patientId, 'record.death.read');
    const row = await reportOf(this.db.rw, patientId);
    if (!row) throw new NotFoundError(`no death is reported for patient ${patientId}`);
    const [header, institution] = await Promise.all([
      this.repository.recordHeaderWithTeam(patientId),
      this.identity.institution(ctx.principal?.institutionId),
    ]);
    const decision = canReadDeathReport(
      ctx.principal,
      { county: row.county_code, treatingInstitutionIds: header.careInstitutions },
      institution,
      ctx.purpose,
      ctx.breakGlassReason,
    );
    await enforce(this.db, ctx, decision, patientId, 'record.death.read');
    await recordAudit(this.db, ctx, {
      patientId,
      action: 'record.death.read',
      outcome: 'allowed',
      reason: decision.allowed && decision.breakGlass ? `break-glass: ${ctx.breakGlassReason ?? ''}` : undefined,
    });
    const reviews = (await reviewsOf(this.db.rw, [row.id])).map((review) => toDeathReview(review, this.reviewRules));
    return row.kind === 'maternal'
      ? { maternal: toMaternalDeathReport(row, this.causes), reviews }
      : { child: toChildDeathReport(row, this.causes), reviews };
  }

  /**
   * A panel's review of a death: the county's first, then the prefecture's, each once, by the panel the policy
   * names. Idempotent under the caller's key; audited; an advisory lock on the report keeps two panels from concluding
   * the same level at once.
   */
  async recordDeathReview(request: RecordDeathReviewRequest, ctx: CallContext): Promise<RecordDeathReviewResponse> {
    const bytes = RecordDeathReviewRequest.encode(request).finish();
    const replay = await storedAnswer(this.db, ctx, bytes, RecordDeathReviewResponse);
    if (replay) return replay;
    const patientId = requireId(request.patientId, 'patientId');
    await enforce(this.db, ctx, mayReadDeathReports(ctx.principal, ctx.purpose), patientId, 'record.death.review');
    const report = await reportOf(this.db.rw, patientId);
    if (!report) throw new NotFoundError(`no death is reported for patient ${patientId}`);
    const level = request.level.trim().toLowerCase();
    const institution = await this.identity.institution(ctx.principal?.institutionId);
    const decision = canReviewDeath(ctx.principal, institution, ctx.purpose, {
      level: level === 'prefecture' ? 'prefecture' : 'county',
      county: report.county_code,
    });
    await enforce(this.db, ctx, decision, patientId, 'record.death.review');
    return runIdempotent(this.db, scopeFromContext(ctx), bytes, RecordDeathReviewResponse, async (tx) => {
      // One panel concludes a level at a time (the service role may not lock the append-only report row itself).
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`death-review:${report.id}`]);
      const reviewed = (await reviewsOf(tx, [report.id])).map((review) => review.level);
      const checked = checkDeathReview(
        {
          level: request.level,
          conclusion: request.conclusion,
          factors: request.factors,
          panelDate: request.panelDate,
        },
        { deathDate: report.death_date, reviewed },
        this.reviewRules,
        todayInChina(),
      );
      // The row as stored, with the report's patient beside it: no second read of what was just written.
      const { rows } = await tx.query<DeathReviewRow>(
        `INSERT INTO death_reviews (id, death_report_id, level, conclusion, factors, panel_date, reviewing_institution_id, reviewed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, death_report_id, $9::uuid AS patient_id, level, conclusion, factors, panel_date::text,
                   reviewing_institution_id, reviewed_by, reviewed_at`,
        [
          randomUUID(),
          report.id,
          checked.level,
          checked.conclusion.code,
          JSON.stringify(checked.factors),
          checked.panelDate,
          ctx.principal?.institutionId ?? null,
          ctx.caller,
          patientId,
        ],
      );
      await recordAudit(tx, ctx, { patientId, action: 'record.death.review', outcome: 'allowed' });
      return { review: toDeathReview(rows[0] as DeathReviewRow, this.reviewRules) };
    });
  }

  /**
   * The panel's worklist: the deaths of the caller's county (county-level institutions) or of the prefecture
   * (prefecture-level institutions), oldest death first, with the review each awaits. Each listed death is audited as
   * a read of its report's existence.
   */
  async listDeathReviews(request: ListDeathReviewsRequest, ctx: CallContext): Promise<ListDeathReviewsResponse> {
    const violations = new Violations();
    const status = request.status.trim().toLowerCase() || 'due';
    if (!(REVIEW_STATUSES as readonly string[]).includes(status))
      violations.add('status', `must be one of ${REVIEW_STATUSES.join(', ')}`);
    const kind = request.kind.trim().toLowerCase();
    if (kind && kind !== 'maternal' && kind !== 'child') violations.add('kind', 'must be maternal or child');
    const limit = violations.check(() => checkPageSize(request.pageSize, REVIEW_PAGE_MAX, 50)) ?? 50;
    violations.throwIfAny();
    const institution = await this.identity.institution(ctx.principal?.institutionId);
    const decision = canReviewDeath(ctx.principal, institution, ctx.purpose, undefined);
    await enforce(this.db, ctx, decision, '', 'record.death.review.list');
    const county = institution?.level === 'county' ? institution.countyCode : '';
    const filters = { status, kind, county };
    const offset = decodeOffsetToken(request.pageToken, filters);
    // "concluded": the prefecture has reviewed; "due": it has not.
    const { rows } = await this.db.rw.query<DeathReportRow>(
      `SELECT ${COLUMNS} FROM death_reports r
       WHERE ($1 = '' OR r.county_code = $1) AND ($2 = '' OR r.kind = $2)
         AND ($3 = 'all' OR (EXISTS (SELECT 1 FROM death_reviews v WHERE v.death_report_id = r.id AND v.level = 'prefecture')) = ($3 = 'concluded'))
       ORDER BY r.death_date, r.id OFFSET $4 LIMIT $5`,
      [county, kind, status, offset, limit + 1],
    );
    const page = rows.slice(0, limit);
    const reviews = await reviewsOf(
      this.db.rw,
      page.map((row) => row.id),
    );
    const today = todayInChina();
    const items: DeathReviewWorkItem[] = page.map((row) => {
      const own = reviews.filter((review) => review.death_report_id === row.id);
      const due = nextReviewDue(
        row.death_date,
        own.map((review) => review.level),
        this.reviewRules,
        today,
      );
      return {
        patientId: row.patient_id,
        deathReportId: row.id,
        kind: row.kind,
        deathDate: row.death_date,
        county: row.county_code,
        causeGroup: row.cause_group,
        nextLevel: due?.level ?? '',
        dueDate: due?.dueDate ?? '',
        overdue: due?.overdue ?? false,
        reviews: own.map((review) => toDeathReview(review, this.reviewRules)),
      };
    });
    await recordAudits(
      this.db,
      ctx,
      page.map((row) => ({ patientId: row.patient_id, action: 'record.death.review.list', outcome: 'allowed' })),
    );
    return { items, nextPageToken: nextOffsetToken(filters, offset, limit, rows.length) };
  }
}

// SQL for the records schema: record versions (optimistic concurrency), the treating team, pregnancy and child
// entries, the risk outbox and the high-risk case register.
import { randomUUID } from 'node:crypto';
import type { StoredRegradeProposal } from './regrade';
import { AbortedError, NotFoundError } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import type { Database, PoolClient } from '../../common/src/pg/database';
import type { TextSensitivity } from '../../common/src/sensitive-text';

import {
  NEWBORN_SCREENING_COLUMNS,
  WARNING_SIGN_COLUMNS,
  type NewbornScreeningRow,
  type WarningSignCheckRow,
} from './child-programme-repository';

type Queryable = Pick<PoolClient, 'query'>;

export interface PregnancyRow {
  id: string;
  patient_id: string;
  county_code: string;
  maternal_birth_date: string | null;
  lmp: string;
  edd: string;
  dating_method: 'lmp' | 'ultrasound';
  registered_on: string;
  registered_ga_days: number;
  registered_at: string | null;
  registered_by: string;
  pre_pregnancy_bmi: string | null;
  findings: string[];
  status: 'active' | 'ended';
  risk_colour: string;
  risk_beside: string[];
  risk_graded_at: Date | null;
  screen_positive: boolean;
  screen_reasons: string[];
  in_case_management: boolean;
  record_version: number;
  created_at: Date;
  /** The open re-grade proposal (#25 §2), or null. */
  regrade_proposal: StoredRegradeProposal | null;
}

export interface LabJson {
  code: string;
  result: string;
  resultedOn: string;
}

export interface VisitRow {
  id: string;
  pregnancy_id: string;
  patient_id: string;
  visit_date: string;
  ga_days: number;
  institution_id: string | null;
  author_id: string;
  systolic_bp: number | null;
  diastolic_bp: number | null;
  weight_kg: string | null;
  fundal_height_cm: string | null;
  fetal_heart_rate: number | null;
  proteinuria: number;
  haemoglobin: string | null;
  platelet_count: string | null;
  findings: string[];
  labs: LabJson[];
  notes: string;
  notes_sensitivity: TextSensitivity;
  screen_positive: boolean;
  screen_reasons: string[];
  record_version: number;
  /** Content items of her antenatal schedule done at this visit (#25 §3). */
  content_done: string[];
}

export interface FiredRuleJson {
  ruleId: string;
  colour: string;
  labelZh: string;
  labelEn: string;
}

export interface AssessmentRow {
  id: string;
  pregnancy_id: string;
  patient_id: string;
  kind: 'grade' | 'screen';
  assessed_on: string;
  rule_set_id: string;
  proposed_colour: string;
  proposed_beside: string[];
  fired_rules: FiredRuleJson[];
  unassessed_metrics: string[];
  colour: string;
  beside_colours: string[];
  overrides_proposal: boolean;
  reason: string;
  reason_sensitivity: TextSensitivity;
  screen_positive: boolean;
  in_case_management: boolean;
  assessor_id: string;
  institution_id: string | null;
  record_version: number;
  recorded_at: Date;
}

export interface NewbornJson {
  /** '' for a stillborn baby. */
  childPatientId: string;
  birthOrder: number;
  /** Absent for a stillborn baby whose sex was not recorded. */
  sex?: 'female' | 'male';
  /** 0: a stillborn baby not weighed. */
  birthWeightGrams: number;
  birthLengthCm?: number;
  birthCertificateNumber: string;
  /** Absent on deliveries recorded before babies had their own outcome: the delivery's outcome. */
  outcome?: 'live' | 'stillborn';
}

export interface DeliveryRow {
  pregnancy_id: string;
  patient_id: string;
  delivery_date: string;
  discharge_date: string | null;
  mode: number;
  outcome: number;
  ga_days: number;
  institution_id: string | null;
  newborns: NewbornJson[];
  record_version: number;
  /** PlaceOfDelivery 1–6; null on deliveries recorded before it was asked, and on miscarriages without one. */
  place_of_delivery: number | null;
}

export interface ChildRow {
  patient_id: string;
  mother_patient_id: string | null;
  pregnancy_id: string | null;
  birth_date: string;
  sex: 'female' | 'male';
  discharge_date: string | null;
  birth_order: number | null;
  birth_weight_grams: number | null;
  birth_length_cm: string | null;
  county_code: string;
}

export interface ZScoreJson {
  indicator: string;
  zScore: number;
  restricted: boolean;
  reference: string;
}

export interface GrowthRow {
  id: string;
  patient_id: string;
  measured_on: string;
  age_days: number;
  weight_kg: string | null;
  length_height_cm: string | null;
  position: string;
  head_circumference_cm: string | null;
  z_scores: ZScoreJson[];
  institution_id: string | null;
  author_id: string;
}

export interface ImmunizationRow {
  id: string;
  patient_id: string;
  vaccine: string;
  programme_vaccine: string;
  dose: number;
  given_on: string;
  lot_number: string;
  institution_id: string | null;
  author_id: string;
}

export interface ImmunizationDeferralRow {
  id: string;
  patient_id: string;
  programme_vaccine: string;
  dose: number;
  contraindication: string;
  deferred_on: string;
  deferred_until: string | null;
  notes: string;
  notes_sensitivity: TextSensitivity;
  institution_id: string | null;
  author_id: string;
}

export interface ScreeningRow {
  id: string;
  patient_id: string;
  kind: number;
  instrument: string;
  screened_on: string;
  score: string | null;
  result: number;
  notes: string;
  institution_id: string | null;
  author_id: string;
}

export interface PostpartumVisitRow {
  id: string;
  pregnancy_id: string;
  patient_id: string;
  kind: string;
  service: string;
  visit_date: string;
  days_after_delivery: number;
  systolic_bp: number | null;
  diastolic_bp: number | null;
  temperature_c: string | null;
  breastfeeding: number;
  uterine_involution: number;
  lochia: number;
  wound: number;
  findings: string[];
  notes: string;
  notes_sensitivity: TextSensitivity;
  institution_id: string | null;
  author_id: string;
  record_version: number;
}

export interface ChildCheckRow {
  id: string;
  patient_id: string;
  service: string;
  checked_on: string;
  age_days: number;
  development: number;
  feeding: number;
  haemoglobin: string | null;
  notes: string;
  notes_sensitivity: TextSensitivity;
  growth_measurement_id: string | null;
  institution_id: string | null;
  author_id: string;
  record_version: number;
}

export interface ImagingStudyRow {
  id: string;
  pregnancy_id: string;
  patient_id: string;
  study_instance_uid: string;
  modality: string;
  study_date: string;
  object_id: string | null;
  findings: string;
  findings_sensitivity: TextSensitivity;
  institution_id: string | null;
  author_id: string;
  record_version: number;
}

export interface VersionRow {
  patient_id: string;
  version: number;
  change: string;
  entity_id: string | null;
  author_id: string;
  institution_id: string;
  reason: string;
  reason_sensitivity: TextSensitivity;
  recorded_at: Date;
}

export interface RiskEventRow {
  id: string;
  txid: string;
  patient_id: string;
  pregnancy_id: string;
  assessment_id: string;
  previous_colour: string;
  previous_beside: string[];
  colour: string;
  beside_colours: string[];
  in_case_management: boolean;
  county_code: string;
  institution_id: string | null;
  occurred_at: Date;
}

export interface HighRiskCaseRow {
  pregnancy_id: string;
  patient_id: string;
  county_code: string;
  colour: string;
  beside_colours: string[];
  opened_at: Date;
  updated_at: Date;
}

export interface RecordHeader {
  readonly version: number;
  readonly updatedAt: Date | undefined;
  readonly careInstitutions: readonly string[];
}

/** A change being written: the version it will create, in the transaction that holds the record's row lock. */
export interface RecordChange {
  readonly tx: PoolClient;
  readonly patientId: string;
  readonly version: number;
}

// Dates come back as text so that no time zone shifts a calendar date.
const PREGNANCY_COLUMNS = `id, patient_id, county_code, maternal_birth_date::text, lmp::text, edd::text, dating_method, registered_on::text,
  registered_ga_days, registered_at, registered_by, pre_pregnancy_bmi::text, findings, status, risk_colour, risk_beside, risk_graded_at,
  screen_positive, screen_reasons, in_case_management, record_version, created_at, regrade_proposal`;
const VISIT_COLUMNS = `id, pregnancy_id, patient_id, visit_date::text, ga_days, institution_id, author_id, systolic_bp, diastolic_bp,
  weight_kg::text, fundal_height_cm::text, fetal_heart_rate, proteinuria, haemoglobin::text, platelet_count::text, findings, labs, notes,
  notes_sensitivity, screen_positive, screen_reasons, record_version, content_done`;
const ASSESSMENT_COLUMNS = `id, pregnancy_id, patient_id, kind, assessed_on::text, rule_set_id, proposed_colour, proposed_beside, fired_rules,
  unassessed_metrics, colour, beside_colours, overrides_proposal, reason, reason_sensitivity, screen_positive, in_case_management, assessor_id,
  institution_id, record_version, recorded_at`;
const DELIVERY_COLUMNS = `pregnancy_id, patient_id, delivery_date::text, discharge_date::text, mode, outcome, ga_days, institution_id, newborns, record_version, place_of_delivery`;
const CHILD_COLUMNS = `patient_id, mother_patient_id, pregnancy_id, birth_date::text, sex, discharge_date::text, birth_order, birth_weight_grams,
  birth_length_cm::text, county_code`;

const GROWTH_COLUMNS = `id, patient_id, measured_on::text, age_days, weight_kg::text, length_height_cm::text, position, head_circumference_cm::text, z_scores, institution_id, author_id`;
const DEFERRAL_COLUMNS = `id, patient_id, programme_vaccine, dose, contraindication, deferred_on::text, deferred_until::text, notes, notes_sensitivity, institution_id, author_id`;
const IMMUNIZATION_COLUMNS = `id, patient_id, vaccine, programme_vaccine, dose, given_on::text, lot_number, institution_id, author_id`;
const SCREENING_COLUMNS = `id, patient_id, kind, instrument, screened_on::text, score::text, result, notes, institution_id, author_id`;
const POSTPARTUM_COLUMNS = `id, pregnancy_id, patient_id, kind, service, visit_date::text, days_after_delivery, systolic_bp, diastolic_bp, temperature_c::text,
  breastfeeding, uterine_involution, lochia, wound, findings, notes, notes_sensitivity, institution_id, author_id, record_version`;
const CHILD_CHECK_COLUMNS = `id, patient_id, service, checked_on::text, age_days, development, feeding, haemoglobin::text, notes, notes_sensitivity,
  growth_measurement_id, institution_id, author_id, record_version`;
const IMAGING_COLUMNS = `id, pregnancy_id, patient_id, study_instance_uid, modality, study_date::text, object_id, findings, findings_sensitivity, institution_id, author_id,
  record_version`;

/** Every entry of one record, read in one statement (one snapshot, one round trip). */
export interface RecordSnapshot {
  readonly version: number;
  readonly updatedAt: Date | undefined;
  readonly pregnancies: PregnancyRow[];
  readonly visits: VisitRow[];
  readonly assessments: AssessmentRow[];
  readonly deliveries: DeliveryRow[];
  readonly postpartumVisits: PostpartumVisitRow[];
  readonly imagingStudies: ImagingStudyRow[];
  readonly child: ChildRow | undefined;
  readonly growth: GrowthRow[];
  readonly immunizations: ImmunizationRow[];
  readonly deferrals: ImmunizationDeferralRow[];
  readonly screenings: ScreeningRow[];
  readonly checks: ChildCheckRow[];
  readonly newbornScreenings: NewbornScreeningRow[];
  readonly warningSignChecks: WarningSignCheckRow[];
}

/** A JSON array of a table's rows of the patient, in the columns (and text casts) the row readers use. */
const rowsOf = (columns: string, table: string, order: string): string =>
  `(SELECT coalesce(json_agg(t ORDER BY ${order}), '[]'::json) FROM (SELECT ${columns} FROM ${table} WHERE patient_id = $1) t)`;

const SNAPSHOT = `SELECT
  (SELECT version FROM patient_records WHERE patient_id = $1) AS version,
  (SELECT updated_at FROM patient_records WHERE patient_id = $1) AS updated_at,
  ${rowsOf(PREGNANCY_COLUMNS, 'pregnancies', 't.registered_on DESC, t.created_at DESC')} AS pregnancies,
  ${rowsOf(VISIT_COLUMNS, 'antenatal_visits', 't.visit_date, t.id')} AS visits,
  ${rowsOf(ASSESSMENT_COLUMNS, 'risk_assessments', 't.recorded_at, t.id')} AS assessments,
  ${rowsOf(DELIVERY_COLUMNS, 'deliveries', 't.delivery_date')} AS deliveries,
  ${rowsOf(POSTPARTUM_COLUMNS, 'postpartum_visits', 't.visit_date, t.id')} AS postpartum_visits,
  ${rowsOf(IMAGING_COLUMNS, 'imaging_studies', 't.study_date, t.id')} AS imaging_studies,
  (SELECT row_to_json(t) FROM (SELECT ${CHILD_COLUMNS} FROM children WHERE patient_id = $1) t) AS child,
  ${rowsOf(GROWTH_COLUMNS, 'growth_measurements', 't.measured_on, t.id')} AS growth,
  ${rowsOf(IMMUNIZATION_COLUMNS, 'immunizations', 't.given_on, t.programme_vaccine, t.dose')} AS immunizations,
  ${rowsOf(DEFERRAL_COLUMNS, 'immunization_deferrals', 't.deferred_on, t.id')} AS deferrals,
  ${rowsOf(SCREENING_COLUMNS, 'screenings', 't.screened_on, t.id')} AS screenings,
  ${rowsOf(CHILD_CHECK_COLUMNS, 'child_checks', 't.checked_on, t.id')} AS checks,
  ${rowsOf(NEWBORN_SCREENING_COLUMNS, 'newborn_screenings', 't.performed_on, t.id')} AS newborn_screenings,
  ${rowsOf(WARNING_SIGN_COLUMNS, 'warning_sign_checks', 't.checked_on, t.id')} AS warning_sign_checks`;

const asDate = (value: unknown): Date | null =>
  value === null || value === undefined ? null : new Date(value as string);

/** What keeps derived data (the statistics facts) in step with each change, in its transaction. */
export interface ChangeListener {
  refresh(tx: PoolClient, patientIds: readonly string[]): Promise<void>;
}

export class RecordsRepository {
  constructor(
    private readonly db: Database,
    private readonly statistics?: ChangeListener,
  ) {}

  /** The record's current version (0 when nothing was ever recorded). */
  async currentVersion(patientId: string, target: Queryable = this.db.rw): Promise<number> {
    const { rows } = await target.query<{ version: number }>(
      'SELECT version FROM patient_records WHERE patient_id = $1',
      [patientId],
    );
    return rows[0]?.version ?? 0;
  }

  /**
   * Starts a change: locks the record's row (creating it at version 0), refuses a stale `expectedVersion` with
   * ABORTED, and returns the version the change will create.
   */
  async beginChange(tx: PoolClient, patientId: string, expectedVersion: number | undefined): Promise<RecordChange> {
    await tx.query(
      'INSERT INTO patient_records (patient_id, version) VALUES ($1, 0) ON CONFLICT (patient_id) DO NOTHING',
      [patientId],
    );
    const { rows } = await tx.query<{ version: number }>(
      'SELECT version FROM patient_records WHERE patient_id = $1 FOR UPDATE',
      [patientId],
    );
    const current = rows[0]?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== current) {
      throw new AbortedError(
        `the record is at version ${current}, not ${expectedVersion}: re-read it and retry`,
        'STALE_RECORD_VERSION',
      );
    }
    return { tx, patientId, version: current + 1 };
  }

  /** Completes a change: the version row (who, where, when, why, what) and the treating team. */
  async commitChange(
    change: RecordChange,
    ctx: CallContext,
    entry: {
      change: string;
      entityId: string | undefined;
      reason: string;
      reasonSensitivity: TextSensitivity;
      summary: Record<string, unknown>;
    },
  ): Promise<void> {
    const institution = ctx.principal?.institutionId ?? '';
    await change.tx.query('UPDATE patient_records SET version = $2, updated_at = now() WHERE patient_id = $1', [
      change.patientId,
      change.version,
    ]);
    await change.tx.query(
      `INSERT INTO record_versions (patient_id, version, change, entity_id, author_id, institution_id, reason, reason_sensitivity, request_id, entry)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        change.patientId,
        change.version,
        entry.change,
        entry.entityId ?? null,
        ctx.caller,
        institution,
        entry.reason,
        entry.reasonSensitivity,
        ctx.requestId,
        JSON.stringify(entry.summary),
      ],
    );
    if (institution) await this.addCareInstitution(change.tx, change.patientId, institution);
    // Last, so the facts see every row the change wrote.
    await this.statistics?.refresh(change.tx, [change.patientId]);
  }

  async addCareInstitution(tx: Queryable, patientId: string, institutionId: string): Promise<void> {
    await tx.query(
      'INSERT INTO care_institutions (patient_id, institution_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [patientId, institutionId],
    );
  }

  /** The whole record in one statement: the read path's one round trip on a cache miss. */
  /** The whole record in one statement; `pool` is the read-only pool for reads that may lag (bulk export). */
  async recordSnapshot(patientId: string, pool: Pick<Database['rw'], 'query'> = this.db.rw): Promise<RecordSnapshot> {
    const { rows } = await pool.query<Record<string, unknown>>(SNAPSHOT, [patientId]);
    const row = rows[0] ?? {};
    // JSON carries timestamps as text: the row readers expect Dates where the driver would give them.
    const pregnancies = (row.pregnancies as PregnancyRow[]).map((p) => ({
      ...p,
      risk_graded_at: asDate(p.risk_graded_at),
      created_at: asDate(p.created_at) as Date,
    }));
    const assessments = (row.assessments as AssessmentRow[]).map((a) => ({
      ...a,
      recorded_at: asDate(a.recorded_at) as Date,
    }));
    return {
      version: (row.version as number | null) ?? 0,
      updatedAt: (row.updated_at as Date | null) ?? undefined,
      pregnancies,
      visits: row.visits as VisitRow[],
      assessments,
      deliveries: row.deliveries as DeliveryRow[],
      postpartumVisits: row.postpartum_visits as PostpartumVisitRow[],
      imagingStudies: row.imaging_studies as ImagingStudyRow[],
      child: (row.child as ChildRow | null) ?? undefined,
      growth: row.growth as GrowthRow[],
      immunizations: row.immunizations as ImmunizationRow[],
      deferrals: row.deferrals as ImmunizationDeferralRow[],
      screenings: row.screenings as ScreeningRow[],
      checks: row.checks as ChildCheckRow[],
      newbornScreenings: row.newborn_screenings as NewbornScreeningRow[],
      warningSignChecks: row.warning_sign_checks as WarningSignCheckRow[],
    };
  }

  /** The record's version and the treating team in one round trip (version 0 and no team before any write). */
  async recordHeaderWithTeam(patientId: string): Promise<RecordHeader> {
    const { rows } = await this.db.rw.query<{ version: number | null; updated_at: Date | null; care: string[] }>(
      `SELECT r.version, r.updated_at, ARRAY(SELECT institution_id::text FROM care_institutions WHERE patient_id = $1) AS care
       FROM (SELECT $1::uuid AS patient_id) p LEFT JOIN patient_records r ON r.patient_id = p.patient_id`,
      [patientId],
    );
    const row = rows[0];
    return { version: row?.version ?? 0, updatedAt: row?.updated_at ?? undefined, careInstitutions: row?.care ?? [] };
  }

  async history(patientId: string, beforeVersion: number, limit: number): Promise<VersionRow[]> {
    const { rows } = await this.db.rw.query<VersionRow>(
      `SELECT patient_id, version, change, entity_id, author_id, institution_id, reason, reason_sensitivity, recorded_at FROM record_versions
       WHERE patient_id = $1 AND version < $2 ORDER BY version DESC LIMIT $3`,
      [patientId, beforeVersion, limit],
    );
    return rows;
  }

  // Pregnancies

  async insertPregnancy(
    tx: Queryable,
    row: Omit<
      PregnancyRow,
      | 'id'
      | 'status'
      | 'risk_colour'
      | 'risk_beside'
      | 'risk_graded_at'
      | 'screen_positive'
      | 'screen_reasons'
      | 'in_case_management'
      | 'created_at'
      | 'regrade_proposal'
    >,
  ): Promise<PregnancyRow> {
    const { rows } = await tx.query<PregnancyRow>(
      `INSERT INTO pregnancies (id, patient_id, county_code, maternal_birth_date, lmp, edd, dating_method, registered_on, registered_ga_days,
         registered_at, registered_by, pre_pregnancy_bmi, findings, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${PREGNANCY_COLUMNS}`,
      [
        randomUUID(),
        row.patient_id,
        row.county_code,
        row.maternal_birth_date,
        row.lmp,
        row.edd,
        row.dating_method,
        row.registered_on,
        row.registered_ga_days,
        row.registered_at,
        row.registered_by,
        row.pre_pregnancy_bmi,
        row.findings,
        row.record_version,
      ],
    );
    return rows[0] as PregnancyRow;
  }

  async activePregnancy(tx: Queryable, patientId: string): Promise<PregnancyRow | undefined> {
    const { rows } = await tx.query<PregnancyRow>(
      `SELECT ${PREGNANCY_COLUMNS} FROM pregnancies WHERE patient_id = $1 AND status = 'active'`,
      [patientId],
    );
    return rows[0];
  }

  async pregnancy(id: string, target: Queryable = this.db.rw): Promise<PregnancyRow | undefined> {
    const { rows } = await target.query<PregnancyRow>(`SELECT ${PREGNANCY_COLUMNS} FROM pregnancies WHERE id = $1`, [
      id,
    ]);
    return rows[0];
  }

  async requirePregnancy(id: string, target: Queryable = this.db.rw): Promise<PregnancyRow> {
    const row = await this.pregnancy(id, target);
    if (!row) throw new NotFoundError(`pregnancy ${id} not found`);
    return row;
  }

  async updateRiskStatus(
    tx: Queryable,
    pregnancyId: string,
    status: {
      screenPositive: boolean;
      screenReasons: readonly string[];
      graded?: { colour: string; beside: readonly string[]; inCaseManagement: boolean };
    },
  ): Promise<PregnancyRow> {
    const { rows } = status.graded
      ? await tx.query<PregnancyRow>(
          `UPDATE pregnancies SET screen_positive = $2, screen_reasons = $3, risk_colour = $4, risk_beside = $5, in_case_management = $6, risk_graded_at = now(),
             regrade_proposal = NULL
           WHERE id = $1 RETURNING ${PREGNANCY_COLUMNS}`,
          [
            pregnancyId,
            status.screenPositive,
            status.screenReasons,
            status.graded.colour,
            status.graded.beside,
            status.graded.inCaseManagement,
          ],
        )
      : await tx.query<PregnancyRow>(
          `UPDATE pregnancies SET screen_positive = $2, screen_reasons = $3 WHERE id = $1 RETURNING ${PREGNANCY_COLUMNS}`,
          [pregnancyId, status.screenPositive, status.screenReasons],
        );
    return rows[0] as PregnancyRow;
  }

  async endPregnancy(tx: Queryable, pregnancyId: string): Promise<void> {
    await tx.query(`UPDATE pregnancies SET status = 'ended' WHERE id = $1`, [pregnancyId]);
  }

  async insertVisit(tx: Queryable, row: Omit<VisitRow, 'id'>): Promise<VisitRow> {
    const { rows } = await tx.query<VisitRow>(
      `INSERT INTO antenatal_visits (id, pregnancy_id, patient_id, visit_date, ga_days, institution_id, author_id, systolic_bp, diastolic_bp, weight_kg,
         fundal_height_cm, fetal_heart_rate, proteinuria, haemoglobin, platelet_count, findings, labs, notes, notes_sensitivity, screen_positive, screen_reasons, record_version, content_done)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING ${VISIT_COLUMNS}`,
      [
        randomUUID(),
        row.pregnancy_id,
        row.patient_id,
        row.visit_date,
        row.ga_days,
        row.institution_id,
        row.author_id,
        row.systolic_bp,
        row.diastolic_bp,
        row.weight_kg,
        row.fundal_height_cm,
        row.fetal_heart_rate,
        row.proteinuria,
        row.haemoglobin,
        row.platelet_count,
        row.findings,
        JSON.stringify(row.labs),
        row.notes,
        row.notes_sensitivity,
        row.screen_positive,
        row.screen_reasons,
        row.record_version,
        row.content_done,
      ],
    );
    return rows[0] as VisitRow;
  }

  /** A clinician graded her again: every open re-grade proposal is answered by that grade (#25 §2). */
  async resolveRegradeProposals(tx: Queryable, pregnancyId: string, assessmentId: string): Promise<void> {
    await tx.query(
      `UPDATE risk_regrade_proposals SET resolved_by = $2, resolved_at = now()
        WHERE pregnancy_id = $1 AND resolved_at IS NULL`,
      [pregnancyId, assessmentId],
    );
  }

  async visitsOf(pregnancyIds: readonly string[], target: Queryable = this.db.rw): Promise<VisitRow[]> {
    if (pregnancyIds.length === 0) return [];
    const { rows } = await target.query<VisitRow>(
      `SELECT ${VISIT_COLUMNS} FROM antenatal_visits WHERE pregnancy_id = ANY($1) ORDER BY visit_date, id`,
      [pregnancyIds],
    );
    return rows;
  }

  async insertAssessment(tx: Queryable, row: Omit<AssessmentRow, 'id' | 'recorded_at'>): Promise<AssessmentRow> {
    const { rows } = await tx.query<AssessmentRow>(
      `INSERT INTO risk_assessments (id, pregnancy_id, patient_id, kind, assessed_on, rule_set_id, proposed_colour, proposed_beside, fired_rules,
         unassessed_metrics, colour, beside_colours, overrides_proposal, reason, reason_sensitivity, screen_positive, in_case_management, assessor_id, institution_id,
         record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING ${ASSESSMENT_COLUMNS}`,
      [
        randomUUID(),
        row.pregnancy_id,
        row.patient_id,
        row.kind,
        row.assessed_on,
        row.rule_set_id,
        row.proposed_colour,
        row.proposed_beside,
        JSON.stringify(row.fired_rules),
        row.unassessed_metrics,
        row.colour,
        row.beside_colours,
        row.overrides_proposal,
        row.reason,
        row.reason_sensitivity,
        row.screen_positive,
        row.in_case_management,
        row.assessor_id,
        row.institution_id,
        row.record_version,
      ],
    );
    return rows[0] as AssessmentRow;
  }

  async insertDelivery(tx: Queryable, row: DeliveryRow): Promise<DeliveryRow> {
    const { rows } = await tx.query<DeliveryRow>(
      `INSERT INTO deliveries (pregnancy_id, patient_id, delivery_date, discharge_date, mode, outcome, ga_days, institution_id, newborns, record_version, place_of_delivery)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${DELIVERY_COLUMNS}`,
      [
        row.pregnancy_id,
        row.patient_id,
        row.delivery_date,
        row.discharge_date,
        row.mode,
        row.outcome,
        row.ga_days,
        row.institution_id,
        JSON.stringify(row.newborns),
        row.record_version,
        row.place_of_delivery,
      ],
    );
    return rows[0] as DeliveryRow;
  }

  /** The delivery of a pregnancy, read in the write's transaction. */
  async delivery(tx: Queryable, pregnancyId: string): Promise<DeliveryRow | undefined> {
    const { rows } = await tx.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE pregnancy_id = $1`, [
      pregnancyId,
    ]);
    return rows[0];
  }

  async insertPostpartumVisit(tx: Queryable, row: Omit<PostpartumVisitRow, 'id'>): Promise<PostpartumVisitRow> {
    const { rows } = await tx.query<PostpartumVisitRow>(
      `INSERT INTO postpartum_visits (id, pregnancy_id, patient_id, kind, service, visit_date, days_after_delivery, systolic_bp, diastolic_bp, temperature_c,
         breastfeeding, uterine_involution, lochia, wound, findings, notes, notes_sensitivity, institution_id, author_id, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING ${POSTPARTUM_COLUMNS}`,
      [
        randomUUID(),
        row.pregnancy_id,
        row.patient_id,
        row.kind,
        row.service,
        row.visit_date,
        row.days_after_delivery,
        row.systolic_bp,
        row.diastolic_bp,
        row.temperature_c,
        row.breastfeeding,
        row.uterine_involution,
        row.lochia,
        row.wound,
        row.findings,
        row.notes,
        row.notes_sensitivity,
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0] as PostpartumVisitRow;
  }

  /** Inserts a study reference; undefined when the pregnancy already refers to that study. */
  async insertImagingStudy(tx: Queryable, row: Omit<ImagingStudyRow, 'id'>): Promise<ImagingStudyRow | undefined> {
    const { rows } = await tx.query<ImagingStudyRow>(
      `INSERT INTO imaging_studies (id, pregnancy_id, patient_id, study_instance_uid, modality, study_date, object_id, findings, findings_sensitivity, institution_id,
         author_id, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (pregnancy_id, study_instance_uid) DO NOTHING RETURNING ${IMAGING_COLUMNS}`,
      [
        randomUUID(),
        row.pregnancy_id,
        row.patient_id,
        row.study_instance_uid,
        row.modality,
        row.study_date,
        row.object_id,
        row.findings,
        row.findings_sensitivity,
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0];
  }

  // Children

  /**
   * The pregnancy a child was born of, for the immunization special rules: every lab of its visits and the
   * delivery's gestational age; undefined when the pregnancy is not in this record store.
   */
  async birthPregnancy(
    pregnancyId: string,
    target: Queryable = this.db.rw,
  ): Promise<{ labs: LabJson[]; gestationalAgeDays: number | null } | undefined> {
    const { rows } = await target.query<{ known: boolean; labs: LabJson[]; ga_days: number | null }>(
      `SELECT EXISTS (SELECT 1 FROM pregnancies WHERE id = $1) AS known,
              (SELECT ga_days FROM deliveries WHERE pregnancy_id = $1) AS ga_days,
              (SELECT coalesce(json_agg(lab), '[]'::json) FROM antenatal_visits v, jsonb_array_elements(v.labs) lab WHERE v.pregnancy_id = $1) AS labs`,
      [pregnancyId],
    );
    const row = rows[0];
    return row?.known ? { labs: row.labs, gestationalAgeDays: row.ga_days } : undefined;
  }

  async child(patientId: string, target: Queryable = this.db.rw): Promise<ChildRow | undefined> {
    const { rows } = await target.query<ChildRow>(`SELECT ${CHILD_COLUMNS} FROM children WHERE patient_id = $1`, [
      patientId,
    ]);
    return rows[0];
  }

  /** The child's row (births recorded here, or children first seen through identity); kept if it exists. */
  async ensureChild(tx: Queryable, row: ChildRow): Promise<void> {
    await tx.query(
      'INSERT INTO patient_records (patient_id, version) VALUES ($1, 0) ON CONFLICT (patient_id) DO NOTHING',
      [row.patient_id],
    );
    await tx.query(
      `INSERT INTO children (patient_id, mother_patient_id, pregnancy_id, birth_date, sex, discharge_date, birth_order, birth_weight_grams, birth_length_cm, county_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (patient_id) DO NOTHING`,
      [
        row.patient_id,
        row.mother_patient_id,
        row.pregnancy_id,
        row.birth_date,
        row.sex,
        row.discharge_date,
        row.birth_order,
        row.birth_weight_grams,
        row.birth_length_cm,
        row.county_code,
      ],
    );
  }

  async insertGrowth(tx: Queryable, row: Omit<GrowthRow, 'id'> & { record_version: number }): Promise<GrowthRow> {
    const { rows } = await tx.query<GrowthRow>(
      `INSERT INTO growth_measurements (id, patient_id, measured_on, age_days, weight_kg, length_height_cm, position, head_circumference_cm, z_scores,
         institution_id, author_id, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       RETURNING ${GROWTH_COLUMNS}`,
      [
        randomUUID(),
        row.patient_id,
        row.measured_on,
        row.age_days,
        row.weight_kg,
        row.length_height_cm,
        row.position,
        row.head_circumference_cm,
        JSON.stringify(row.z_scores),
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0] as GrowthRow;
  }

  async insertChildCheck(tx: Queryable, row: Omit<ChildCheckRow, 'id'>): Promise<ChildCheckRow> {
    const { rows } = await tx.query<ChildCheckRow>(
      `INSERT INTO child_checks (id, patient_id, service, checked_on, age_days, development, feeding, haemoglobin, notes, notes_sensitivity, growth_measurement_id,
         institution_id, author_id, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${CHILD_CHECK_COLUMNS}`,
      [
        randomUUID(),
        row.patient_id,
        row.service,
        row.checked_on,
        row.age_days,
        row.development,
        row.feeding,
        row.haemoglobin,
        row.notes,
        row.notes_sensitivity,
        row.growth_measurement_id,
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0] as ChildCheckRow;
  }

  /** Inserts a dose; undefined when that dose of that programme vaccine is already recorded. */
  async insertDeferral(
    tx: Queryable,
    row: Omit<ImmunizationDeferralRow, 'id'> & { record_version: number },
  ): Promise<ImmunizationDeferralRow> {
    const { rows } = await tx.query<ImmunizationDeferralRow>(
      `INSERT INTO immunization_deferrals (id, patient_id, programme_vaccine, dose, contraindication, deferred_on, deferred_until, notes, notes_sensitivity,
         institution_id, author_id, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${DEFERRAL_COLUMNS}`,
      [
        randomUUID(),
        row.patient_id,
        row.programme_vaccine,
        row.dose,
        row.contraindication,
        row.deferred_on,
        row.deferred_until,
        row.notes,
        row.notes_sensitivity,
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0] as ImmunizationDeferralRow;
  }

  async insertImmunization(
    tx: Queryable,
    row: Omit<ImmunizationRow, 'id'> & { record_version: number },
  ): Promise<ImmunizationRow | undefined> {
    const { rows } = await tx.query<ImmunizationRow>(
      `INSERT INTO immunizations (id, patient_id, vaccine, programme_vaccine, dose, given_on, lot_number, institution_id, author_id, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (patient_id, programme_vaccine, dose) DO NOTHING
       RETURNING ${IMMUNIZATION_COLUMNS}`,
      [
        randomUUID(),
        row.patient_id,
        row.vaccine,
        row.programme_vaccine,
        row.dose,
        row.given_on,
        row.lot_number,
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0];
  }

  async insertScreening(
    tx: Queryable,
    row: Omit<ScreeningRow, 'id'> & { record_version: number },
  ): Promise<ScreeningRow> {
    const { rows } = await tx.query<ScreeningRow>(
      `INSERT INTO screenings (id, patient_id, kind, instrument, screened_on, score, result, notes, institution_id, author_id, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       RETURNING ${SCREENING_COLUMNS}`,
      [
        randomUUID(),
        row.patient_id,
        row.kind,
        row.instrument,
        row.screened_on,
        row.score,
        row.result,
        row.notes,
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0] as ScreeningRow;
  }

  // The risk outbox and the case register

  async insertRiskEvent(tx: Queryable, row: Omit<RiskEventRow, 'id' | 'txid' | 'occurred_at'>): Promise<void> {
    await tx.query(
      `INSERT INTO risk_events (patient_id, pregnancy_id, assessment_id, previous_colour, previous_beside, colour, beside_colours, in_case_management, county_code, institution_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        row.patient_id,
        row.pregnancy_id,
        row.assessment_id,
        row.previous_colour,
        row.previous_beside,
        row.colour,
        row.beside_colours,
        row.in_case_management,
        row.county_code,
        row.institution_id,
      ],
    );
  }

  /**
   * Events after (txid, id), only from transactions older than every one still running: those can no longer
   * add a row below the cursor, so a reader that follows `next_cursor` never misses one.
   */
  async riskEventsAfter(afterTxid: string, afterId: string, limit: number): Promise<RiskEventRow[]> {
    const { rows } = await this.db.rw.query<RiskEventRow>(
      `SELECT id::text, txid::text, patient_id, pregnancy_id, assessment_id, previous_colour, previous_beside, colour, beside_colours,
              in_case_management, county_code, institution_id, occurred_at
       FROM risk_events
       WHERE (txid, id) > ($1::xid8, $2::bigint) AND txid < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY txid, id LIMIT $3`,
      [afterTxid, afterId, limit],
    );
    return rows;
  }

  async openCase(tx: Queryable, pregnancy: PregnancyRow, colour: string, beside: readonly string[]): Promise<void> {
    await tx.query(
      `INSERT INTO high_risk_cases (pregnancy_id, patient_id, county_code, colour, beside_colours) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (pregnancy_id) DO UPDATE SET colour = EXCLUDED.colour, beside_colours = EXCLUDED.beside_colours, updated_at = now(),
         closed_at = NULL, opened_at = CASE WHEN high_risk_cases.closed_at IS NULL THEN high_risk_cases.opened_at ELSE now() END`,
      [pregnancy.id, pregnancy.patient_id, pregnancy.county_code, colour, beside],
    );
  }

  async closeCase(tx: Queryable, pregnancyId: string): Promise<void> {
    await tx.query(
      'UPDATE high_risk_cases SET closed_at = now(), updated_at = now() WHERE pregnancy_id = $1 AND closed_at IS NULL',
      [pregnancyId],
    );
  }

  /** The newest settled outbox position (where a live reader that wants no history starts). */
  async riskEventsTail(): Promise<{ txid: string; id: string }> {
    const { rows } = await this.db.rw.query<{ txid: string; id: string }>(
      `SELECT txid::text, id::text FROM risk_events WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY txid DESC, id DESC LIMIT 1`,
    );
    return rows[0] ?? { txid: '0', id: '0' };
  }

  /** Open cases by county and colour ('' for every county). */
  async openCaseCounts(county: string): Promise<Array<{ county_code: string; colour: string; cases: string }>> {
    const { rows } = await this.db.rw.query<{ county_code: string; colour: string; cases: string }>(
      `SELECT county_code, colour, count(*)::text AS cases FROM high_risk_cases
       WHERE closed_at IS NULL AND ($1 = '' OR county_code = $1) GROUP BY county_code, colour ORDER BY county_code, colour`,
      [county],
    );
    return rows;
  }

  async openCases(county: string, limit: number, offset: number): Promise<HighRiskCaseRow[]> {
    const { rows } = await this.db.rw.query<HighRiskCaseRow>(
      `SELECT pregnancy_id, patient_id, county_code, colour, beside_colours, opened_at, updated_at FROM high_risk_cases
       WHERE closed_at IS NULL AND ($1 = '' OR county_code = $1) ORDER BY updated_at DESC, pregnancy_id LIMIT $2 OFFSET $3`,
      [county, limit, offset],
    );
    return rows;
  }
}

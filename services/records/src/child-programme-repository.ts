// SQL of the child programmes (migration 010): newborn screening entries, warning-sign checks, and what an
// institution's child worklist is computed from.
import { randomUUID } from 'node:crypto';
import type { Database, PoolClient } from '../../common/src/pg/database';
import type { TextSensitivity } from '../../common/src/sensitive-text';
import type { ZScoreJson } from './repository';

type Queryable = Pick<PoolClient, 'query'>;

export interface NewbornScreeningRow {
  id: string;
  patient_id: string;
  programme: 'disease' | 'hearing';
  stage: string;
  performed_on: string;
  results: Record<string, string>;
  notes: string;
  notes_sensitivity: TextSensitivity;
  institution_id: string | null;
  author_id: string;
}

export interface WarningSignCheckRow {
  id: string;
  patient_id: string;
  checked_on: string;
  band_months: number;
  answers: { code: string; present: boolean }[];
  positive: string[];
  institution_id: string | null;
  author_id: string;
}

export const NEWBORN_SCREENING_COLUMNS = `id, patient_id, programme, stage, performed_on::text, results, notes, notes_sensitivity, institution_id, author_id`;
export const WARNING_SIGN_COLUMNS = `id, patient_id, checked_on::text, band_months, answers, positive, institution_id, author_id`;

/** A child the institution answers for in newborn screening: born there (delivery) or screened there. */
export interface NewbornWorklistChild {
  patient_id: string;
  birth_date: string;
  birth_institution_id: string | null;
  screenings: NewbornScreeningRow[];
}

export interface WarningSignWorklistRow extends WarningSignCheckRow {
  /** A developmental or psychological screening (the assessment) recorded on or after the check. */
  assessed: boolean;
}

export interface GrowthWorklistRow {
  id: string;
  patient_id: string;
  measured_on: string;
  age_days: number;
  z_scores: ZScoreJson[];
  /** Haemoglobin (g/L) of the child check the measurement was taken at, if any. */
  haemoglobin: string | null;
}

export class ChildProgrammeRepository {
  constructor(private readonly db: Database) {}

  async insertNewbornScreening(
    tx: Queryable,
    row: Omit<NewbornScreeningRow, 'id'> & { record_version: number },
  ): Promise<NewbornScreeningRow> {
    const { rows } = await tx.query<NewbornScreeningRow>(
      `INSERT INTO newborn_screenings (id, patient_id, programme, stage, performed_on, results, notes, notes_sensitivity,
         institution_id, author_id, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${NEWBORN_SCREENING_COLUMNS}`,
      [
        randomUUID(),
        row.patient_id,
        row.programme,
        row.stage,
        row.performed_on,
        JSON.stringify(row.results),
        row.notes,
        row.notes_sensitivity,
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0] as NewbornScreeningRow;
  }

  async newbornScreenings(patientId: string, target: Queryable = this.db.rw): Promise<NewbornScreeningRow[]> {
    const { rows } = await target.query<NewbornScreeningRow>(
      `SELECT ${NEWBORN_SCREENING_COLUMNS} FROM newborn_screenings WHERE patient_id = $1 ORDER BY performed_on, created_at`,
      [patientId],
    );
    return rows;
  }

  /** The institution of the delivery the child was born of (records' own data), if recorded here. */
  async birthInstitution(patientId: string, target: Queryable = this.db.rw): Promise<string | null> {
    const { rows } = await target.query<{ institution_id: string | null }>(
      `SELECT d.institution_id FROM children c JOIN deliveries d ON d.pregnancy_id = c.pregnancy_id WHERE c.patient_id = $1`,
      [patientId],
    );
    return rows[0]?.institution_id ?? null;
  }

  async insertWarningSignCheck(
    tx: Queryable,
    row: Omit<WarningSignCheckRow, 'id'> & { record_version: number },
  ): Promise<WarningSignCheckRow> {
    const { rows } = await tx.query<WarningSignCheckRow>(
      `INSERT INTO warning_sign_checks (id, patient_id, checked_on, band_months, answers, positive, institution_id, author_id,
         record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${WARNING_SIGN_COLUMNS}`,
      [
        randomUUID(),
        row.patient_id,
        row.checked_on,
        row.band_months,
        JSON.stringify(row.answers),
        row.positive,
        row.institution_id,
        row.author_id,
        row.record_version,
      ],
    );
    return rows[0] as WarningSignCheckRow;
  }

  /**
   * Children of the newborn programme at the institution: born there or screened there, within `sinceBirth`
   * (the 1-3-6 path ends at 6 months; a year keeps late ones in view).
   */
  async newbornWorklist(institutionId: string, sinceBirth: string): Promise<NewbornWorklistChild[]> {
    const { rows } = await this.db.rw.query<NewbornWorklistChild>(
      `WITH mine AS (
         SELECT c.patient_id FROM children c JOIN deliveries d ON d.pregnancy_id = c.pregnancy_id
          WHERE d.institution_id = $1 AND c.birth_date >= $2
         UNION
         SELECT s.patient_id FROM newborn_screenings s JOIN children c ON c.patient_id = s.patient_id
          WHERE s.institution_id = $1 AND c.birth_date >= $2)
       SELECT c.patient_id, c.birth_date::text,
              (SELECT d.institution_id FROM deliveries d WHERE d.pregnancy_id = c.pregnancy_id) AS birth_institution_id,
              (SELECT coalesce(json_agg(t ORDER BY t.performed_on, t.id), '[]'::json)
                 FROM (SELECT ${NEWBORN_SCREENING_COLUMNS} FROM newborn_screenings WHERE patient_id = c.patient_id) t)
                AS screenings
         FROM children c JOIN mine USING (patient_id)`,
      [institutionId, sinceBirth],
    );
    return rows;
  }

  /** Each child's latest warning-sign check at the institution that found a sign, and whether it was assessed since. */
  async warningSignWorklist(institutionId: string): Promise<WarningSignWorklistRow[]> {
    const { rows } = await this.db.rw.query<WarningSignWorklistRow>(
      `SELECT * FROM (
         SELECT DISTINCT ON (w.patient_id) ${WARNING_SIGN_COLUMNS.split(', ')
           .map((column) => `w.${column}`)
           .join(', ')},
                EXISTS (SELECT 1 FROM screenings s WHERE s.patient_id = w.patient_id AND s.screened_on >= w.checked_on)
                  AS assessed
           FROM warning_sign_checks w
          WHERE w.institution_id = $1
          ORDER BY w.patient_id, w.checked_on DESC, w.created_at DESC) latest
        WHERE cardinality(positive) > 0`,
      [institutionId],
    );
    return rows;
  }

  /** Each child's latest measurement at the institution (children under 7), with the Hb of its check. */
  async growthWorklist(institutionId: string, sinceBirth: string): Promise<GrowthWorklistRow[]> {
    const { rows } = await this.db.rw.query<GrowthWorklistRow>(
      `SELECT DISTINCT ON (g.patient_id) g.id, g.patient_id, g.measured_on::text, g.age_days, g.z_scores,
              (SELECT k.haemoglobin::text FROM child_checks k WHERE k.growth_measurement_id = g.id LIMIT 1) AS haemoglobin
         FROM growth_measurements g JOIN children c ON c.patient_id = g.patient_id
        WHERE g.institution_id = $1 AND c.birth_date >= $2
        ORDER BY g.patient_id, g.measured_on DESC, g.id`,
      [institutionId, sinceBirth],
    );
    return rows;
  }
}

// SQL for the master patient index: patients, newborn links, blocking keys, the review queue, merges and guardians.
import { copyRows } from '../../common/src/pg/copy';
import type { Database, PoolClient } from '../../common/src/pg/database';

export interface PatientRow {
  id: string;
  national_id: string | null;
  name: string;
  sex: 'female' | 'male' | 'unspecified';
  birth_date: string;
  phone: string;
  county_code: string;
  address: string;
  newborn: { motherNationalId: string; birthDate: string; birthOrder: number; birthCertificateNumber: string } | null;
  merged_into: string | null;
  guardian_ids: string[];
  created_at: Date;
}

export interface MatchRow {
  id: string;
  patient_id: string;
  candidate_id: string;
  score: number;
  reasons: string[];
  status: 'open' | 'merged' | 'rejected';
  decided_by: string | null;
  decision_reason: string | null;
  created_at: Date;
}

type Queryable = Pick<PoolClient, 'query'>;

const PATIENT_COLUMNS = `p.id, p.national_id, p.name, p.sex, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.phone, p.county_code,
  p.address, p.newborn, p.merged_into, p.created_at,
  coalesce((SELECT array_agg(g.guardian_id::text ORDER BY g.guardian_id) FROM guardians g WHERE g.child_id = p.id), '{}') AS guardian_ids`;

export interface NewPatient {
  nationalId: string | undefined;
  name: string;
  sex: 'female' | 'male' | 'unspecified';
  birthDate: string;
  phone: string;
  countyCode: string;
  address: string;
  newbornLink: string | undefined;
  newbornSlot: string | undefined;
  newborn: PatientRow['newborn'];
  registeredBy: string;
  registeredAtInstitution: string | undefined;
}

export class PatientsRepository {
  constructor(private readonly db: Database) {}

  /** The patient, following merges to the survivor (at most a few hops). */
  async get(id: string, target: Queryable = this.db.rw): Promise<PatientRow | undefined> {
    let current = id;
    for (let hop = 0; hop < 8; hop++) {
      const { rows } = await target.query<PatientRow>(`SELECT ${PATIENT_COLUMNS} FROM patients p WHERE p.id = $1`, [
        current,
      ]);
      const row = rows[0];
      if (!row || !row.merged_into) return row;
      current = row.merged_into;
    }
    return undefined;
  }

  async findByNationalId(nationalId: string, target: Queryable = this.db.rw): Promise<PatientRow | undefined> {
    const { rows } = await target.query<{ id: string }>('SELECT id FROM patients WHERE national_id = $1', [nationalId]);
    return rows[0] ? this.get(rows[0].id, target) : undefined;
  }

  /**
   * Inserts unless the resident ID or newborn link already exists; the unique constraints decide under any
   * concurrency. Returns the patient and whether it was created.
   */
  async insertOrFind(
    tx: Queryable,
    patient: NewPatient,
  ): Promise<{ row: PatientRow; created: boolean } | { conflict: 'newborn-slot' }> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO patients (national_id, name, sex, birth_date, phone, county_code, address, newborn_link, newborn_slot, newborn,
                             registered_by, registered_at_institution)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        patient.nationalId ?? null,
        patient.name,
        patient.sex,
        patient.birthDate,
        patient.phone,
        patient.countyCode,
        patient.address,
        patient.newbornLink ?? null,
        patient.newbornSlot ?? null,
        patient.newborn,
        patient.registeredBy,
        patient.registeredAtInstitution ?? null,
      ],
    );
    if (rows[0]) return { row: (await this.get(rows[0].id, tx)) as PatientRow, created: true };
    const { rows: existing } = await tx.query<{ id: string; newborn_link: string | null }>(
      `SELECT id, newborn_link FROM patients WHERE national_id = $1 OR newborn_link = $2 OR newborn_slot = $3 LIMIT 1`,
      [patient.nationalId ?? null, patient.newbornLink ?? null, patient.newbornSlot ?? null],
    );
    const found = existing[0];
    if (!found) throw new Error('insert conflicted but no conflicting patient was found');
    if (patient.newbornSlot && found.newborn_link !== (patient.newbornLink ?? null) && !patient.nationalId)
      return { conflict: 'newborn-slot' };
    return { row: (await this.get(found.id, tx)) as PatientRow, created: false };
  }

  async insertBlockingKeys(tx: Queryable, patientId: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await tx.query(
      `INSERT INTO patient_blocking_keys (patient_id, key) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
      [patientId, keys],
    );
  }

  /** Live (unmerged) patients sharing any blocking key, other than `exceptId`. */
  async candidatesByKeys(
    tx: Queryable,
    keys: readonly string[],
    exceptId: string | undefined,
    limit = 50,
  ): Promise<PatientRow[]> {
    const { rows } = await tx.query<PatientRow>(
      `SELECT ${PATIENT_COLUMNS} FROM patients p
        WHERE p.merged_into IS NULL AND p.id IS DISTINCT FROM $2::uuid
          AND p.id IN (SELECT patient_id FROM patient_blocking_keys WHERE key = ANY($1::text[]))
        LIMIT $3`,
      [keys, exceptId ?? null, limit],
    );
    return rows;
  }

  async insertMatch(
    tx: Queryable,
    patientId: string,
    candidateId: string,
    score: number,
    reasons: readonly string[],
  ): Promise<string | undefined> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO patient_matches (patient_id, candidate_id, score, reasons) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id`,
      [patientId, candidateId, score, reasons],
    );
    return rows[0]?.id;
  }

  async listMatches(status: string, limit: number, offset: number): Promise<MatchRow[]> {
    return this.db.query<MatchRow>(
      `SELECT * FROM patient_matches WHERE status = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [status, limit, offset],
    );
  }

  async lockMatch(tx: Queryable, id: string): Promise<MatchRow | undefined> {
    const { rows } = await tx.query<MatchRow>('SELECT * FROM patient_matches WHERE id = $1 FOR UPDATE', [id]);
    return rows[0];
  }

  async decideMatch(
    tx: Queryable,
    id: string,
    status: 'merged' | 'rejected',
    decidedBy: string,
    reason: string,
  ): Promise<MatchRow> {
    const { rows } = await tx.query<MatchRow>(
      `UPDATE patient_matches SET status = $2, decided_by = $3, decision_reason = $4, decided_at = now() WHERE id = $1 RETURNING *`,
      [id, status, decidedBy, reason],
    );
    return rows[0] as MatchRow;
  }

  /**
   * Merges `duplicateId` into `survivorId`: the duplicate row stays (history) and points at the survivor;
   * its identifiers move to the survivor when the survivor lacks them; guardianships follow.
   */
  async merge(tx: Queryable, survivorId: string, duplicateId: string): Promise<void> {
    const { rows } = await tx.query<{
      national_id: string | null;
      newborn_link: string | null;
      newborn_slot: string | null;
      newborn: unknown;
    }>('SELECT national_id, newborn_link, newborn_slot, newborn FROM patients WHERE id = $1 FOR UPDATE', [duplicateId]);
    const duplicate = rows[0];
    await tx.query(
      'UPDATE patients SET merged_into = $2, national_id = NULL, newborn_link = NULL, newborn_slot = NULL, updated_at = now() WHERE id = $1',
      [duplicateId, survivorId],
    );
    if (duplicate) {
      await tx.query(
        `UPDATE patients SET national_id = coalesce(national_id, $2), newborn_link = coalesce(newborn_link, $3),
                newborn_slot = coalesce(newborn_slot, $4), newborn = coalesce(newborn, $5), updated_at = now() WHERE id = $1`,
        [survivorId, duplicate.national_id, duplicate.newborn_link, duplicate.newborn_slot, duplicate.newborn],
      );
    }
    await tx.query(
      `INSERT INTO guardians (child_id, guardian_id, relationship, linked_by)
       SELECT CASE WHEN child_id = $2 THEN $1 ELSE child_id END, CASE WHEN guardian_id = $2 THEN $1 ELSE guardian_id END, relationship, linked_by
         FROM guardians WHERE (child_id = $2 OR guardian_id = $2)
           AND (CASE WHEN child_id = $2 THEN $1 ELSE child_id END) <> (CASE WHEN guardian_id = $2 THEN $1 ELSE guardian_id END)
       ON CONFLICT DO NOTHING`,
      [survivorId, duplicateId],
    );
    await tx.query(
      `UPDATE accounts SET patient_id = $1 WHERE patient_id = $2 AND NOT EXISTS (SELECT 1 FROM accounts WHERE patient_id = $1 AND kind = 'resident')`,
      [survivorId, duplicateId],
    );
  }

  async linkGuardian(
    tx: Queryable,
    childId: string,
    guardianId: string,
    relationship: string,
    linkedBy: string,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO guardians (child_id, guardian_id, relationship, linked_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [childId, guardianId, relationship, linkedBy],
    );
  }

  /** Patients whose blocking keys match a name, for staff search (no birth date: name keys of any year). */
  async searchByKeyPrefix(tx: Queryable, prefixes: readonly string[], limit: number): Promise<PatientRow[]> {
    const { rows } = await tx.query<PatientRow>(
      `SELECT ${PATIENT_COLUMNS} FROM patients p
        WHERE p.merged_into IS NULL
          AND p.id IN (SELECT patient_id FROM patient_blocking_keys WHERE key LIKE ANY($1::text[]))
        ORDER BY p.created_at LIMIT $2`,
      [prefixes.map((prefix) => `${prefix.replace(/[%_\\]/g, '\\$&')}%`), limit],
    );
    return rows;
  }
}

/** A patient of a bulk import, validated, with the id it gets if it is new. */
export interface ImportedPatientRow {
  readonly id: string;
  readonly nationalId: string;
  readonly name: string;
  readonly sex: string;
  readonly birthDate: string;
  readonly phone: string;
  readonly countyCode: string;
  readonly address: string;
  readonly registeredAtInstitution: string | null;
}

/** The bulk import's SQL: COPY into a temporary table, then one INSERT that the resident ID's uniqueness decides. */
export class PatientImportRepository {
  constructor(private readonly db: Database) {}

  /** Which of these institution ids are member institutions. */
  async knownInstitutions(ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.db.query<{ id: string }>('SELECT id::text FROM institutions WHERE id = ANY($1::uuid[])', [
      ids,
    ]);
    return new Set(rows.map((row) => row.id));
  }

  /** Inserts the patients whose resident ID is new; returns the ids of those created and of every ID of the batch. */
  async insertPatients(
    tx: PoolClient,
    rows: readonly ImportedPatientRow[],
    registeredBy: string,
  ): Promise<{ created: Set<string>; idByNationalId: Map<string, string> }> {
    await tx.query(
      `CREATE TEMPORARY TABLE patient_import (id uuid, national_id text, name text, sex text, birth_date date, phone text, county_code text,
                                              address text, registered_at_institution uuid) ON COMMIT DROP`,
    );
    await copyRows(
      tx,
      'patient_import',
      [
        'id',
        'national_id',
        'name',
        'sex',
        'birth_date',
        'phone',
        'county_code',
        'address',
        'registered_at_institution',
      ],
      rows.map((row) => [
        row.id,
        row.nationalId,
        row.name,
        row.sex,
        row.birthDate,
        row.phone,
        row.countyCode,
        row.address,
        row.registeredAtInstitution,
      ]),
    );
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO patients (id, national_id, name, sex, birth_date, phone, county_code, address, registered_by, registered_at_institution)
       SELECT id, national_id, name, sex, birth_date, phone, county_code, address, $1, registered_at_institution FROM patient_import
       ON CONFLICT (national_id) DO NOTHING RETURNING id`,
      [registeredBy],
    );
    const found = await this.idsByNationalId(
      tx,
      rows.map((row) => row.nationalId),
    );
    return { created: new Set(inserted.rows.map((row) => row.id)), idByNationalId: found };
  }

  /** Live patient ids by resident ID (a merged duplicate resolves to its survivor). */
  async idsByNationalId(tx: PoolClient, nationalIds: readonly string[]): Promise<Map<string, string>> {
    const { rows } = await tx.query<{ national_id: string; id: string }>(
      'SELECT national_id, coalesce(merged_into, id) AS id FROM patients WHERE national_id = ANY($1::text[])',
      [nationalIds],
    );
    return new Map(rows.map((row) => [row.national_id, row.id]));
  }

  async insertBlockingKeys(
    tx: PoolClient,
    keys: ReadonlyArray<readonly [patientId: string, key: string]>,
  ): Promise<void> {
    await copyRows(tx, 'patient_blocking_keys', ['patient_id', 'key'], keys);
  }

  /** Links children to their mothers; returns how many links are new. */
  async linkMothers(
    tx: PoolClient,
    links: ReadonlyArray<readonly [childId: string, motherId: string]>,
    linkedBy: string,
  ): Promise<number> {
    if (links.length === 0) return 0;
    const { rowCount } = await tx.query(
      `INSERT INTO guardians (child_id, guardian_id, relationship, linked_by)
       SELECT child_id, guardian_id, 'mother', $3 FROM unnest($1::uuid[], $2::uuid[]) AS l(child_id, guardian_id) WHERE child_id <> guardian_id
       ON CONFLICT DO NOTHING`,
      [links.map((link) => link[0]), links.map((link) => link[1]), linkedBy],
    );
    return rowCount ?? 0;
  }
}

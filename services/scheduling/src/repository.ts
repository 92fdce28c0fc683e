// SQL for scheduling's own schema: schedules, slot occupancy, appointments, reminders and follow-ups.
import { copyRows, CopyValue } from '../../common/src/pg/copy';
import type { Database, PoolClient } from '../../common/src/pg/database';
import type { ExceptionRule, ScheduleRules, SlotTime, WeeklyRule } from './domain/schedule';
import type { ServiceCode } from './domain/service-types';

type Queryable = Pick<PoolClient, 'query'>;

export interface ScheduleRow {
  readonly institutionId: string;
  readonly version: number;
  readonly updatedAt: Date;
  readonly updatedBy: string;
  readonly rules: ScheduleRules;
}

export interface OccupancyRow {
  institution_id: string;
  service: string;
  starts_at: Date;
  capacity: number;
  booked: number;
}

export interface AppointmentRow {
  id: string;
  patient_id: string;
  institution_id: string;
  service: string;
  starts_at: Date;
  ends_at: Date;
  status: string;
  referral_id: string;
  booked_by: string;
  county_code: string;
  cancellation_reason: string;
  reschedule_count: number;
  created_at: Date;
  updated_at: Date;
}

export interface FollowUpRow {
  patient_id: string;
  reason_key: string;
  kind: string;
  item_id: string;
  label_zh: string;
  label_en: string;
  service: string;
  overdue_on: string | null;
  appointment_id: string | null;
  institution_id: string | null;
  county_code: string;
  since: Date;
}

export interface ReminderRow {
  id: string;
  kind: string;
  patient_id: string;
  appointment_id: string | null;
  message: string;
  attempts: number;
}

const ACTIVE = `('pending', 'booked', 'arrived', 'checked-in')`;

interface WeeklyDbRow {
  institution_id: string;
  service: ServiceCode;
  weekday: number;
  start_minute: number;
  end_minute: number;
  slot_minutes: number;
  capacity: number;
}

interface ExceptionDbRow {
  institution_id: string;
  on_date: string;
  service: ServiceCode | null;
  closed: boolean;
  start_minute: number | null;
  end_minute: number | null;
  slot_minutes: number | null;
  capacity: number | null;
  reason: string;
}

export class SchedulingRepository {
  /** Schedules as last read, by institution; reused while their version is still the current one. */
  private readonly memo = new Map<string, ScheduleRow>();

  constructor(readonly db: Database) {}

  /**
   * The current schedules of some institutions (every one when undefined): one query for their versions, and the
   * rules read again only for those whose version moved since this process last read them.
   */
  async currentSchedules(institutionIds?: readonly string[]): Promise<Map<string, ScheduleRow>> {
    const heads = await this.db.query<{ institution_id: string; version: number }>(
      'SELECT institution_id, version FROM schedules WHERE $1::uuid[] IS NULL OR institution_id = ANY($1::uuid[])',
      [institutionIds ?? null],
    );
    const stale = heads
      .filter((head) => this.memo.get(head.institution_id)?.version !== head.version)
      .map((head) => head.institution_id);
    if (stale.length > 0) for (const [id, row] of await this.schedules(stale)) this.memo.set(id, row);
    const out = new Map<string, ScheduleRow>();
    for (const head of heads) {
      const row = this.memo.get(head.institution_id);
      if (row) out.set(head.institution_id, row);
    }
    return out;
  }

  /** Schedules of the given institutions (every one when undefined), with their rules. */
  async schedules(
    institutionIds?: readonly string[],
    target: Queryable = this.db.rw,
  ): Promise<Map<string, ScheduleRow>> {
    const filter = institutionIds ? 'WHERE institution_id = ANY($1::uuid[])' : '';
    const values = institutionIds ? [institutionIds] : [];
    const [heads, weekly, exceptions] = await Promise.all([
      target.query<{ institution_id: string; version: number; updated_at: Date; updated_by: string }>(
        `SELECT * FROM schedules ${filter}`,
        values,
      ),
      target.query<WeeklyDbRow>(
        `SELECT * FROM weekly_sessions ${filter} ORDER BY institution_id, weekday, start_minute, service`,
        values,
      ),
      target.query<ExceptionDbRow>(
        `SELECT *, to_char(on_date, 'YYYY-MM-DD') AS on_date FROM schedule_exceptions ${filter} ORDER BY institution_id, position`,
        values,
      ),
    ]);
    const out = new Map<string, ScheduleRow>();
    for (const head of heads.rows) {
      out.set(head.institution_id, {
        institutionId: head.institution_id,
        version: head.version,
        updatedAt: head.updated_at,
        updatedBy: head.updated_by,
        rules: { weekly: [], exceptions: [] },
      });
    }
    for (const row of weekly.rows) {
      (out.get(row.institution_id)?.rules.weekly as WeeklyRule[] | undefined)?.push({
        service: row.service,
        weekday: row.weekday,
        startMinute: row.start_minute,
        endMinute: row.end_minute,
        slotMinutes: row.slot_minutes,
        capacity: row.capacity,
      });
    }
    for (const row of exceptions.rows) {
      (out.get(row.institution_id)?.rules.exceptions as ExceptionRule[] | undefined)?.push({
        date: row.on_date,
        service: row.service ?? undefined,
        closed: row.closed,
        session:
          row.closed || row.start_minute === null
            ? undefined
            : {
                startMinute: row.start_minute,
                endMinute: row.end_minute as number,
                slotMinutes: row.slot_minutes as number,
                capacity: row.capacity as number,
              },
        reason: row.reason,
      });
    }
    return out;
  }

  /** Replaces an institution's schedule; returns the new version. `onlyIfAbsent` (the demo seed) never overwrites. */
  async replaceSchedule(
    tx: PoolClient,
    institutionId: string,
    rules: ScheduleRules,
    updatedBy: string,
    onlyIfAbsent = false,
  ): Promise<number | undefined> {
    const head = await tx.query<{ version: number }>(
      onlyIfAbsent
        ? `INSERT INTO schedules (institution_id, version, updated_by) VALUES ($1, 1, $2) ON CONFLICT (institution_id) DO NOTHING RETURNING version`
        : `INSERT INTO schedules (institution_id, version, updated_by) VALUES ($1, 1, $2)
           ON CONFLICT (institution_id) DO UPDATE SET version = schedules.version + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
           RETURNING version`,
      [institutionId, updatedBy],
    );
    const version = head.rows[0]?.version;
    if (version === undefined) return undefined;
    await tx.query('DELETE FROM weekly_sessions WHERE institution_id = $1', [institutionId]);
    await tx.query('DELETE FROM schedule_exceptions WHERE institution_id = $1', [institutionId]);
    if (rules.weekly.length > 0) {
      await tx.query(
        `INSERT INTO weekly_sessions (institution_id, service, weekday, start_minute, end_minute, slot_minutes, capacity)
         SELECT $1, * FROM unnest($2::text[], $3::smallint[], $4::smallint[], $5::smallint[], $6::smallint[], $7::smallint[])`,
        [
          institutionId,
          rules.weekly.map((rule) => rule.service),
          rules.weekly.map((rule) => rule.weekday),
          rules.weekly.map((rule) => rule.startMinute),
          rules.weekly.map((rule) => rule.endMinute),
          rules.weekly.map((rule) => rule.slotMinutes),
          rules.weekly.map((rule) => rule.capacity),
        ],
      );
    }
    if (rules.exceptions.length > 0) {
      await tx.query(
        `INSERT INTO schedule_exceptions (institution_id, position, on_date, service, closed, start_minute, end_minute, slot_minutes, capacity, reason)
         SELECT $1, * FROM unnest($2::smallint[], $3::date[], $4::text[], $5::boolean[], $6::smallint[], $7::smallint[], $8::smallint[], $9::smallint[], $10::text[])`,
        [
          institutionId,
          rules.exceptions.map((_, index) => index),
          rules.exceptions.map((exception) => exception.date),
          rules.exceptions.map((exception) => exception.service ?? null),
          rules.exceptions.map((exception) => exception.closed),
          rules.exceptions.map((exception) => exception.session?.startMinute ?? null),
          rules.exceptions.map((exception) => exception.session?.endMinute ?? null),
          rules.exceptions.map((exception) => exception.session?.slotMinutes ?? null),
          rules.exceptions.map((exception) => exception.session?.capacity ?? null),
          rules.exceptions.map((exception) => exception.reason),
        ],
      );
    }
    return version;
  }

  /** Future occupancy rows of an institution, locked (a publication re-states their capacity). */
  async futureOccupancy(tx: PoolClient, institutionId: string): Promise<OccupancyRow[]> {
    const { rows } = await tx.query<OccupancyRow>(
      'SELECT * FROM slot_occupancy WHERE institution_id = $1 AND starts_at > now() FOR UPDATE',
      [institutionId],
    );
    return rows;
  }

  async setCapacity(tx: PoolClient, row: OccupancyRow, capacity: number): Promise<void> {
    await tx.query(
      'UPDATE slot_occupancy SET capacity = GREATEST(booked, $4) WHERE institution_id = $1 AND service = $2 AND starts_at = $3',
      [row.institution_id, row.service, row.starts_at, capacity],
    );
  }

  /** Occupancy of the slots of some institutions for a service in [from, to). */
  async occupancy(
    institutionIds: readonly string[],
    service: ServiceCode,
    from: Date,
    to: Date,
  ): Promise<OccupancyRow[]> {
    return this.db.query<OccupancyRow>(
      `SELECT institution_id, service, starts_at, capacity, booked FROM slot_occupancy
        WHERE institution_id = ANY($1::uuid[]) AND service = $2 AND starts_at >= $3 AND starts_at < $4`,
      [institutionIds, service, from, to],
    );
  }

  /** Makes sure the slot has its occupancy row (capacity as the schedule says now). */
  async ensureOccupancy(tx: PoolClient, institutionId: string, slot: SlotTime): Promise<void> {
    await tx.query(
      `INSERT INTO slot_occupancy (institution_id, service, starts_at, ends_at, capacity) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (institution_id, service, starts_at) DO NOTHING`,
      [institutionId, slot.service, slot.start, slot.end, slot.capacity],
    );
  }

  async insertAppointment(
    tx: PoolClient,
    row: Omit<AppointmentRow, 'created_at' | 'updated_at' | 'cancellation_reason' | 'reschedule_count'>,
  ): Promise<AppointmentRow> {
    const { rows } = await tx.query<AppointmentRow>(
      `INSERT INTO appointments (id, patient_id, institution_id, service, starts_at, ends_at, status, referral_id, booked_by, county_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        row.id,
        row.patient_id,
        row.institution_id,
        row.service,
        row.starts_at,
        row.ends_at,
        row.status,
        row.referral_id,
        row.booked_by,
        row.county_code,
      ],
    );
    return rows[0] as AppointmentRow;
  }

  async appointment(id: string, target: Queryable = this.db.rw, lock = false): Promise<AppointmentRow | undefined> {
    const { rows } = await target.query<AppointmentRow>(
      `SELECT * FROM appointments WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  /** The patient's active appointment overlapping [start, end), other than `exceptId` (to name a conflict). */
  async overlapping(
    target: Queryable,
    patientId: string,
    start: Date,
    end: Date,
    exceptId = '00000000-0000-0000-0000-000000000000',
  ): Promise<AppointmentRow | undefined> {
    const { rows } = await target.query<AppointmentRow>(
      `SELECT * FROM appointments WHERE patient_id = $1 AND status IN ${ACTIVE} AND id <> $4
         AND tstzrange(starts_at, ends_at, '[)') && tstzrange($2, $3, '[)') LIMIT 1`,
      [patientId, start, end, exceptId],
    );
    return rows[0];
  }

  async setStatus(tx: PoolClient, id: string, status: string, cancellationReason = ''): Promise<AppointmentRow> {
    const { rows } = await tx.query<AppointmentRow>(
      `UPDATE appointments SET status = $2, cancellation_reason = CASE WHEN $3 = '' THEN cancellation_reason ELSE $3 END, updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, status, cancellationReason],
    );
    return rows[0] as AppointmentRow;
  }

  async move(tx: PoolClient, id: string, institutionId: string, slot: SlotTime): Promise<AppointmentRow> {
    const { rows } = await tx.query<AppointmentRow>(
      `UPDATE appointments SET institution_id = $2, starts_at = $3, ends_at = $4, status = 'booked', reschedule_count = reschedule_count + 1, updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, institutionId, slot.start, slot.end],
    );
    return rows[0] as AppointmentRow;
  }

  /** A patient's appointments by start: every one, or the active ones from `from` on. */
  async patientAppointments(
    patientId: string,
    includePast: boolean,
    from: Date,
    limit: number,
    offset: number,
  ): Promise<AppointmentRow[]> {
    return this.db.query<AppointmentRow>(
      includePast
        ? 'SELECT * FROM appointments WHERE patient_id = $1 ORDER BY starts_at, id LIMIT $2 OFFSET $3'
        : `SELECT * FROM appointments WHERE patient_id = $1 AND status IN ${ACTIVE} AND ends_at > $4 ORDER BY starts_at, id LIMIT $2 OFFSET $3`,
      includePast ? [patientId, limit, offset] : [patientId, limit, offset, from],
    );
  }

  /** An institution's appointments starting in [from, to), by start. */
  async institutionDay(
    institutionId: string,
    from: Date,
    to: Date,
    service: ServiceCode | undefined,
    limit: number,
    offset: number,
  ): Promise<AppointmentRow[]> {
    return this.db.query<AppointmentRow>(
      `SELECT * FROM appointments WHERE institution_id = $1 AND starts_at >= $2 AND starts_at < $3 AND ($4::text IS NULL OR service = $4)
        ORDER BY starts_at, id LIMIT $5 OFFSET $6`,
      [institutionId, from, to, service ?? null, limit, offset],
    );
  }

  /** Reminder for an appointment (or its new time after a reschedule). */
  async upsertAppointmentReminder(
    tx: Queryable,
    appointment: AppointmentRow,
    message: string,
    sendAfter: Date,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO reminders (dedupe_key, kind, patient_id, appointment_id, message, send_after) VALUES ($1, 'appointment', $2, $3, $4, $5)
       ON CONFLICT (dedupe_key) DO UPDATE SET message = EXCLUDED.message, send_after = EXCLUDED.send_after, sent_at = NULL, cancelled_at = NULL, attempts = 0`,
      [`appointment:${appointment.id}`, appointment.patient_id, appointment.id, message, sendAfter],
    );
  }

  async cancelReminders(tx: Queryable, appointmentId: string): Promise<void> {
    await tx.query(
      'UPDATE reminders SET cancelled_at = now() WHERE appointment_id = $1 AND sent_at IS NULL AND cancelled_at IS NULL',
      [appointmentId],
    );
  }

  async insertDueReminder(target: Queryable, patientId: string, dedupeKey: string, message: string): Promise<void> {
    await target.query(
      `INSERT INTO reminders (dedupe_key, kind, patient_id, message, send_after) VALUES ($1, 'due-check', $2, $3, now()) ON CONFLICT (dedupe_key) DO NOTHING`,
      [dedupeKey, patientId, message],
    );
  }

  /** Claims due reminders (skipping ones another worker holds) inside `tx`. */
  async claimReminders(tx: PoolClient, limit: number): Promise<ReminderRow[]> {
    const { rows } = await tx.query<ReminderRow>(
      `SELECT id, kind, patient_id, appointment_id, message, attempts FROM reminders
        WHERE sent_at IS NULL AND cancelled_at IS NULL AND send_after <= now() AND attempts < 10
        ORDER BY send_after LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows;
  }

  async markReminder(tx: PoolClient, id: string, error: string | undefined): Promise<void> {
    if (error === undefined)
      await tx.query('UPDATE reminders SET sent_at = now(), attempts = attempts + 1 WHERE id = $1', [id]);
    else
      await tx.query(
        `UPDATE reminders SET attempts = attempts + 1, last_error = $2, send_after = now() + interval '1 minute' * (attempts + 1) WHERE id = $1`,
        [id, error.slice(0, 500)],
      );
  }

  /** Opens (or keeps open) a follow-up entry. */
  async openFollowUp(target: Queryable, row: Omit<FollowUpRow, 'since'>): Promise<void> {
    await target.query(
      `INSERT INTO follow_ups (patient_id, reason_key, kind, item_id, label_zh, label_en, service, overdue_on, appointment_id, institution_id, county_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (patient_id, reason_key) DO UPDATE SET kind = EXCLUDED.kind, resolved_at = NULL,
         institution_id = COALESCE(follow_ups.institution_id, EXCLUDED.institution_id),
         county_code = CASE WHEN follow_ups.county_code = '' THEN EXCLUDED.county_code ELSE follow_ups.county_code END,
         since = CASE WHEN follow_ups.resolved_at IS NULL THEN follow_ups.since ELSE now() END`,
      [
        row.patient_id,
        row.reason_key,
        row.kind,
        row.item_id,
        row.label_zh,
        row.label_en,
        row.service,
        row.overdue_on,
        row.appointment_id,
        row.institution_id,
        row.county_code,
      ],
    );
  }

  /** Resolves a patient's open item entries not in `stillOpen`, and her missed appointments of a service she booked again. */
  async resolveItemFollowUps(target: Queryable, patientId: string, stillOpen: readonly string[]): Promise<void> {
    await target.query(
      `UPDATE follow_ups SET resolved_at = now() WHERE patient_id = $1 AND reason_key LIKE 'item:%' AND resolved_at IS NULL AND NOT (reason_key = ANY($2::text[]))`,
      [patientId, stillOpen],
    );
  }

  async resolveNoShows(target: Queryable, patientId: string, service: string): Promise<void> {
    await target.query(
      `UPDATE follow_ups SET resolved_at = now() WHERE patient_id = $1 AND reason_key LIKE 'noshow:%' AND service = $2 AND resolved_at IS NULL`,
      [patientId, service],
    );
  }

  async followUps(
    filter: { institutionId?: string; county?: string },
    kind: string | undefined,
    limit: number,
    offset: number,
  ): Promise<FollowUpRow[]> {
    // From the primary: staff who just marked a no-show expect to see her on the list (the standby may lag a little).
    return this.db.query<FollowUpRow>(
      `SELECT *, to_char(overdue_on, 'YYYY-MM-DD') AS overdue_on FROM follow_ups
        WHERE resolved_at IS NULL AND ($1::uuid IS NULL OR institution_id = $1) AND ($2::text IS NULL OR county_code = $2) AND ($3::text IS NULL OR kind = $3)
        ORDER BY since, patient_id, reason_key LIMIT $4 OFFSET $5`,
      [filter.institutionId ?? null, filter.county ?? null, kind ?? null, limit, offset],
    );
  }

  /** Claims a periodic sweep for this replica when none ran within `intervalMs`; false when another has it. */
  async claimSweep(name: string, intervalMs: number): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO sweeps (name, last_run_at) VALUES ($1, now()) ON CONFLICT (name) DO UPDATE SET last_run_at = now()
        WHERE sweeps.last_run_at < now() - make_interval(secs => $2) RETURNING 1`,
      [name, intervalMs / 1000],
    );
    return rows.length > 0;
  }

  /** Patients scheduling knows: an appointment in the last 400 days or an open follow-up; with her latest county and institution. */
  async knownPatients(): Promise<Array<{ patient_id: string; county_code: string; institution_id: string | null }>> {
    return this.db.queryReplica(
      `SELECT DISTINCT ON (patient_id) patient_id, county_code, institution_id FROM (
         SELECT patient_id, county_code, institution_id, starts_at AS at FROM appointments WHERE starts_at > now() - interval '400 days'
         UNION ALL
         SELECT patient_id, county_code, institution_id, since AS at FROM follow_ups WHERE resolved_at IS NULL
       ) known ORDER BY patient_id, at DESC`,
    );
  }

  /** The institution of a patient's latest appointment, for attributing her follow-up. */
  async latestInstitution(patientId: string): Promise<string | undefined> {
    const rows = await this.db.query<{ institution_id: string }>(
      'SELECT institution_id FROM appointments WHERE patient_id = $1 ORDER BY starts_at DESC LIMIT 1',
      [patientId],
    );
    return rows[0]?.institution_id;
  }
}

/** Appointments of a bulk import, in the column order of `IMPORTED_APPOINTMENT_COLUMNS`. */
export const IMPORTED_APPOINTMENT_COLUMNS = [
  'id',
  'patient_id',
  'institution_id',
  'service',
  'starts_at',
  'ends_at',
  'status',
  'booked_by',
  'county_code',
  'cancellation_reason',
  'created_at',
] as const;

/** The bulk import's SQL: occupancy rows for the booked slots, then COPY through a temporary table so a replayed id is skipped. */
export class AppointmentImportRepository {
  async ensureOccupancy(
    tx: PoolClient,
    slots: ReadonlyArray<{ institutionId: string; slot: SlotTime }>,
  ): Promise<void> {
    if (slots.length === 0) return;
    await tx.query(
      `INSERT INTO slot_occupancy (institution_id, service, starts_at, ends_at, capacity)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[]) ON CONFLICT (institution_id, service, starts_at) DO NOTHING`,
      [
        slots.map((s) => s.institutionId),
        slots.map((s) => s.slot.service),
        slots.map((s) => s.slot.start),
        slots.map((s) => s.slot.end),
        slots.map((s) => s.slot.capacity),
      ],
    );
  }

  /** Places left in each of these slots, their occupancy rows locked until the batch commits. */
  async placesLeft(
    tx: PoolClient,
    slots: ReadonlyArray<{ institutionId: string; slot: SlotTime }>,
  ): Promise<Map<string, number>> {
    if (slots.length === 0) return new Map();
    const { rows } = await tx.query<{ key: string; left: number }>(
      `SELECT o.institution_id::text || '|' || o.service || '|' || (extract(epoch FROM o.starts_at) * 1000)::bigint AS key, o.capacity - o.booked AS left
       FROM slot_occupancy o JOIN unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS s(institution_id, service, starts_at)
         ON o.institution_id = s.institution_id AND o.service = s.service AND o.starts_at = s.starts_at
       ORDER BY o.institution_id, o.service, o.starts_at FOR UPDATE OF o`,
      [slots.map((s) => s.institutionId), slots.map((s) => s.slot.service), slots.map((s) => s.slot.start)],
    );
    return new Map(rows.map((row) => [row.key, Number(row.left)]));
  }

  /** Inserts the appointments whose id is new (the occupancy trigger counts the booked ones); returns the new ids. */
  async insertAppointments(tx: PoolClient, rows: ReadonlyArray<readonly CopyValue[]>): Promise<Set<string>> {
    await tx.query('CREATE TEMPORARY TABLE appointment_import (LIKE appointments INCLUDING DEFAULTS) ON COMMIT DROP');
    await copyRows(tx, 'appointment_import', IMPORTED_APPOINTMENT_COLUMNS, rows);
    const columns = IMPORTED_APPOINTMENT_COLUMNS.join(', ');
    const { rows: inserted } = await tx.query<{ id: string }>(
      `INSERT INTO appointments (${columns}, updated_at) SELECT ${columns}, created_at FROM appointment_import ORDER BY starts_at ON CONFLICT (id) DO NOTHING RETURNING id::text`,
    );
    return new Set(inserted.map((row) => row.id));
  }

  async insertReminders(
    tx: PoolClient,
    reminders: ReadonlyArray<{ appointmentId: string; patientId: string; message: string; sendAfter: Date }>,
  ): Promise<void> {
    if (reminders.length === 0) return;
    await copyRows(
      tx,
      'reminders',
      ['dedupe_key', 'kind', 'patient_id', 'appointment_id', 'message', 'send_after'],
      reminders.map((r) => [
        `appointment:${r.appointmentId}`,
        'appointment',
        r.patientId,
        r.appointmentId,
        r.message,
        r.sendAfter,
      ]),
    );
  }
}

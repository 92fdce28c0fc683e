// SQL for the referral schema: referrals and their transitions, the booking outbox, pending suggestions and the
// risk outbox cursor, and the indicators read from the read-only endpoint.
import { copyRows, CopyValue } from '../../common/src/pg/copy';
import { AlreadyExistsError, NotFoundError } from '../../common/src/errors';
import type { Database, PoolClient } from '../../common/src/pg/database';
import type { TextSensitivity } from '../../common/src/sensitive-text';
import type { Urgency } from './domain/deadlines';
import type { ReferralDirectionName, ReferralState } from './domain/workflow';

type Queryable = Pick<PoolClient, 'query'>;

export interface SnapshotJson {
  takenAt: string;
  recordVersion: number;
  pregnancyId: string;
  riskColour: string;
  besideColours: string[];
  screenPositive: boolean;
  screenReasons: string[];
  edd: string;
  gestationalAge: string;
  findings: string[];
  lastVisitDate: string;
  lastSystolicBp: number;
  lastDiastolicBp: number;
  visitCount: number;
  sensitiveWithheld: boolean;
  unavailable: boolean;
}

export interface ReferralRow {
  id: string;
  patient_id: string;
  pregnancy_id: string | null;
  patient_county_code: string;
  direction: ReferralDirectionName;
  status: ReferralState;
  urgency: Urgency;
  risk_colour: string;
  from_institution_id: string;
  to_institution_id: string;
  receiver_critical_care: boolean;
  requester_id: string;
  reason: string;
  business_status: string;
  status_reason: string;
  follow_up_plan: string;
  feedback: string;
  acceptance_deadline: Date;
  created_at: Date;
  updated_at: Date;
  accepted_at: Date | null;
  completed_at: Date | null;
  redirected_to: string | null;
  redirected_from: string | null;
  parent_referral_id: string | null;
  down_referral_id: string | null;
  suggestion_id: string | null;
  snapshot: SnapshotJson | null;
  consultation_id: string;
  reason_sensitivity: TextSensitivity;
  follow_up_plan_sensitivity: TextSensitivity;
  feedback_sensitivity: TextSensitivity;
  status_reason_sensitivity: TextSensitivity;
  business_status_sensitivity: TextSensitivity;
  /** Written beside a sensitive fact of her record: its later text accompanies that fact too. */
  accompanies_sensitive: boolean;
}

export type NewReferral = Pick<
  ReferralRow,
  | 'patient_id'
  | 'pregnancy_id'
  | 'patient_county_code'
  | 'direction'
  | 'urgency'
  | 'risk_colour'
  | 'from_institution_id'
  | 'to_institution_id'
  | 'receiver_critical_care'
  | 'requester_id'
  | 'reason'
  | 'follow_up_plan'
  | 'acceptance_deadline'
  | 'redirected_from'
  | 'parent_referral_id'
  | 'suggestion_id'
  | 'created_at'
  | 'reason_sensitivity'
  | 'follow_up_plan_sensitivity'
  | 'accompanies_sensitive'
>;

export interface TransitionRow {
  id: string;
  referral_id: string;
  action: string;
  from_status: string;
  to_status: string;
  actor_id: string;
  institution_id: string;
  reason: string;
  reason_sensitivity: TextSensitivity;
  at: Date;
}

export interface BookingRow {
  referral_id: string;
  status: 'pending' | 'booked' | 'failed' | 'cancelling' | 'cancelled';
  patient_id: string;
  institution_id: string;
  service_type: string;
  requested_start: Date;
  earliest_at_or_after: boolean;
  idempotency_key: string;
  appointment_id: string;
  slot_start: Date | null;
  attempts: number;
  last_error: string;
  next_attempt_at: Date;
}

export interface SuggestionRow {
  id: string;
  patient_id: string;
  pregnancy_id: string;
  institution_id: string;
  colour: string;
  previous_colour: string;
  county_code: string;
  last_event: string;
  graded_at: Date;
  status: 'pending' | 'referred' | 'dismissed';
  referral_id: string | null;
  dismiss_reason: string;
  dismiss_reason_sensitivity: TextSensitivity;
  created_at: Date;
}

export interface IndicatorRow {
  county: string;
  month: string;
  referrals_up: string;
  referrals_down: string;
  accepted: string;
  rejected: string;
  redirected: string;
  overdue: string;
  median_minutes: number | null;
}

const OPEN = `('requested', 'received', 'accepted', 'in-progress', 'on-hold')`;

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const pg = error as { code?: string; constraint?: string };
  return pg.code === '23505' && pg.constraint === constraint;
}

export class ReferralRepository {
  constructor(private readonly db: Database) {}

  async insertReferral(tx: Queryable, referral: NewReferral): Promise<ReferralRow> {
    try {
      const { rows } = await tx.query<ReferralRow>(
        `INSERT INTO referrals (patient_id, pregnancy_id, patient_county_code, direction, status, urgency, risk_colour, from_institution_id, to_institution_id,
                                receiver_critical_care, requester_id, reason, follow_up_plan, acceptance_deadline, redirected_from, parent_referral_id, suggestion_id, created_at,
                                reason_sensitivity, follow_up_plan_sensitivity, accompanies_sensitive)
         VALUES ($1, $2, $3, $4, 'requested', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING *`,
        [
          referral.patient_id,
          referral.pregnancy_id,
          referral.patient_county_code,
          referral.direction,
          referral.urgency,
          referral.risk_colour,
          referral.from_institution_id,
          referral.to_institution_id,
          referral.receiver_critical_care,
          referral.requester_id,
          referral.reason,
          referral.follow_up_plan,
          referral.acceptance_deadline,
          referral.redirected_from,
          referral.parent_referral_id,
          referral.suggestion_id,
          referral.created_at,
          referral.reason_sensitivity,
          referral.follow_up_plan_sensitivity,
          referral.accompanies_sensitive,
        ],
      );
      return rows[0] as ReferralRow;
    } catch (error) {
      if (isUniqueViolation(error, 'referrals_one_open_per_pair')) {
        throw new AlreadyExistsError(
          'she already has an open referral between these two institutions',
          'REFERRAL_ALREADY_OPEN',
        );
      }
      if (isUniqueViolation(error, 'referrals_one_per_suggestion'))
        throw new AlreadyExistsError('a referral already acts on this suggestion', 'SUGGESTION_ALREADY_REFERRED');
      throw error;
    }
  }

  async referral(id: string, tx?: Queryable): Promise<ReferralRow> {
    const { rows } = await (tx ?? this.db.rw).query<ReferralRow>('SELECT * FROM referrals WHERE id = $1', [id]);
    if (!rows[0]) throw new NotFoundError(`referral ${id} not found`);
    return rows[0];
  }

  /** The referral under a row lock: transitions of one referral are serialised here. */
  async lockReferral(tx: Queryable, id: string): Promise<ReferralRow> {
    const { rows } = await tx.query<ReferralRow>('SELECT * FROM referrals WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) throw new NotFoundError(`referral ${id} not found`);
    return rows[0];
  }

  async updateReferral(
    tx: Queryable,
    id: string,
    patch: Partial<
      Pick<
        ReferralRow,
        | 'status'
        | 'status_reason'
        | 'status_reason_sensitivity'
        | 'business_status'
        | 'business_status_sensitivity'
        | 'accepted_at'
        | 'completed_at'
        | 'feedback'
        | 'feedback_sensitivity'
        | 'redirected_to'
        | 'down_referral_id'
        | 'snapshot'
        | 'consultation_id'
      >
    >,
  ): Promise<ReferralRow> {
    const sets: string[] = ['updated_at = now()'];
    const values: unknown[] = [id];
    for (const [column, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      values.push(column === 'snapshot' ? JSON.stringify(value) : value);
      sets.push(`${column} = $${values.length}`);
    }
    const { rows } = await tx.query<ReferralRow>(
      `UPDATE referrals SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
      values,
    );
    return rows[0] as ReferralRow;
  }

  async insertTransition(tx: Queryable, transition: Omit<TransitionRow, 'id' | 'at'>): Promise<void> {
    await tx.query(
      `INSERT INTO referral_transitions (referral_id, action, from_status, to_status, actor_id, institution_id, reason, reason_sensitivity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        transition.referral_id,
        transition.action,
        transition.from_status,
        transition.to_status,
        transition.actor_id,
        transition.institution_id,
        transition.reason,
        transition.reason_sensitivity,
      ],
    );
  }

  async transitionsOf(referralIds: readonly string[], tx?: Queryable): Promise<TransitionRow[]> {
    if (referralIds.length === 0) return [];
    const { rows } = await (tx ?? this.db.rw).query<TransitionRow>(
      'SELECT * FROM referral_transitions WHERE referral_id = ANY($1) ORDER BY id',
      [referralIds],
    );
    return rows;
  }

  async bookingsOf(referralIds: readonly string[], tx?: Queryable): Promise<BookingRow[]> {
    if (referralIds.length === 0) return [];
    const { rows } = await (tx ?? this.db.rw).query<BookingRow>(
      'SELECT * FROM referral_bookings WHERE referral_id = ANY($1)',
      [referralIds],
    );
    return rows;
  }

  async insertBooking(
    tx: Queryable,
    booking: Pick<
      BookingRow,
      | 'referral_id'
      | 'patient_id'
      | 'institution_id'
      | 'service_type'
      | 'requested_start'
      | 'earliest_at_or_after'
      | 'idempotency_key'
    >,
  ): Promise<BookingRow> {
    const { rows } = await tx.query<BookingRow>(
      `INSERT INTO referral_bookings (referral_id, status, patient_id, institution_id, service_type, requested_start, earliest_at_or_after, idempotency_key)
       VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        booking.referral_id,
        booking.patient_id,
        booking.institution_id,
        booking.service_type,
        booking.requested_start,
        booking.earliest_at_or_after,
        booking.idempotency_key,
      ],
    );
    return rows[0] as BookingRow;
  }

  async markBooked(
    tx: Queryable,
    referralId: string,
    appointmentId: string,
    slotStart: Date | undefined,
  ): Promise<BookingRow> {
    const { rows } = await tx.query<BookingRow>(
      `UPDATE referral_bookings SET status = 'booked', appointment_id = $2, slot_start = $3, attempts = attempts + 1, last_error = '', updated_at = now()
       WHERE referral_id = $1 RETURNING *`,
      [referralId, appointmentId, slotStart ?? null],
    );
    return rows[0] as BookingRow;
  }

  async markBookingFailed(tx: Queryable, referralId: string, error: string): Promise<BookingRow> {
    const { rows } = await tx.query<BookingRow>(
      `UPDATE referral_bookings SET status = 'failed', attempts = attempts + 1, last_error = $2, updated_at = now() WHERE referral_id = $1 RETURNING *`,
      [referralId, error.slice(0, 500)],
    );
    return rows[0] as BookingRow;
  }

  async postponeBooking(tx: Queryable, referralId: string, error: string, delayMs: number): Promise<BookingRow> {
    const { rows } = await tx.query<BookingRow>(
      `UPDATE referral_bookings SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
       WHERE referral_id = $1 RETURNING *`,
      [referralId, error.slice(0, 500), delayMs / 1000],
    );
    return rows[0] as BookingRow;
  }

  /** Moves a booking to `status` (cancelling, cancelled, or back to booked when scheduling refused to cancel). */
  async setBookingStatus(
    tx: Queryable,
    referralId: string,
    status: BookingRow['status'],
    error = '',
  ): Promise<BookingRow> {
    const { rows } = await tx.query<BookingRow>(
      `UPDATE referral_bookings SET status = $2, last_error = $3, next_attempt_at = now(), updated_at = now() WHERE referral_id = $1 RETURNING *`,
      [referralId, status, error.slice(0, 500)],
    );
    return rows[0] as BookingRow;
  }

  /** Pending bookings whose retry is due, locked so that two workers never try the same one at once. */
  async lockDueBookings(tx: Queryable, limit: number): Promise<BookingRow[]> {
    const { rows } = await tx.query<BookingRow>(
      `SELECT * FROM referral_bookings WHERE status IN ('pending', 'cancelling') AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows;
  }

  /** A worklist page: overdue first, then awaiting acceptance by nearest deadline, then the rest newest first. */
  async worklist(
    institutionId: string,
    direction: 'incoming' | 'outgoing' | undefined,
    statuses: readonly string[] | undefined,
    limit: number,
    offset: number,
  ): Promise<ReferralRow[]> {
    const side =
      direction === 'incoming'
        ? 'to_institution_id = $1'
        : direction === 'outgoing'
          ? 'from_institution_id = $1'
          : '(to_institution_id = $1 OR from_institution_id = $1)';
    const rows = await this.db.query<ReferralRow>(
      `SELECT * FROM referrals
        WHERE ${side} AND ($2::text[] IS NULL OR status = ANY($2))
        ORDER BY (status IN ('requested', 'received') AND acceptance_deadline < now()) DESC,
                 (status IN ('requested', 'received')) DESC,
                 CASE WHEN status IN ('requested', 'received') THEN acceptance_deadline END ASC,
                 created_at DESC, id
        LIMIT $3 OFFSET $4`,
      [institutionId, statuses ?? null, limit, offset],
    );
    return rows;
  }

  // Pending suggestions

  /** Raises (or refreshes) the pending suggestion of a pregnancy at an institution; replaying the same event changes nothing. */
  async upsertSuggestion(
    tx: Queryable,
    suggestion: Pick<
      SuggestionRow,
      | 'patient_id'
      | 'pregnancy_id'
      | 'institution_id'
      | 'colour'
      | 'previous_colour'
      | 'county_code'
      | 'last_event'
      | 'graded_at'
    >,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO referral_suggestions (patient_id, pregnancy_id, institution_id, colour, previous_colour, county_code, last_event, graded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (pregnancy_id, institution_id) WHERE status = 'pending'
       DO UPDATE SET colour = EXCLUDED.colour, previous_colour = EXCLUDED.previous_colour, last_event = EXCLUDED.last_event,
                     graded_at = EXCLUDED.graded_at, updated_at = now()
       WHERE referral_suggestions.last_event <> EXCLUDED.last_event`,
      [
        suggestion.patient_id,
        suggestion.pregnancy_id,
        suggestion.institution_id,
        suggestion.colour,
        suggestion.previous_colour,
        suggestion.county_code,
        suggestion.last_event,
        suggestion.graded_at,
      ],
    );
  }

  /** A grade that dropped below the suggesting colours withdraws the pregnancy's pending suggestions. */
  async withdrawSuggestions(tx: Queryable, pregnancyId: string, reason: string): Promise<void> {
    await tx.query(
      `UPDATE referral_suggestions SET status = 'dismissed', dismiss_reason = $2, dismiss_reason_sensitivity = 'plain', closed_by = 'referral', updated_at = now() WHERE pregnancy_id = $1 AND status = 'pending'`,
      [pregnancyId, reason],
    );
  }

  async pendingSuggestions(institutionId: string, limit: number, offset: number): Promise<SuggestionRow[]> {
    const rows = await this.db.query<SuggestionRow>(
      `SELECT * FROM referral_suggestions WHERE institution_id = $1 AND status = 'pending' ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`,
      [institutionId, limit, offset],
    );
    return rows;
  }

  async lockSuggestion(tx: Queryable, id: string): Promise<SuggestionRow> {
    const { rows } = await tx.query<SuggestionRow>('SELECT * FROM referral_suggestions WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) throw new NotFoundError(`suggestion ${id} not found`);
    return rows[0];
  }

  async closeSuggestion(
    tx: Queryable,
    id: string,
    close: {
      status: 'referred' | 'dismissed';
      referralId?: string;
      reason?: string;
      reasonSensitivity?: TextSensitivity;
      by: string;
    },
  ): Promise<SuggestionRow> {
    const { rows } = await tx.query<SuggestionRow>(
      `UPDATE referral_suggestions SET status = $2, referral_id = $3, dismiss_reason = $4, dismiss_reason_sensitivity = $6, closed_by = $5, updated_at = now() WHERE id = $1 RETURNING *`,
      [id, close.status, close.referralId ?? null, close.reason ?? '', close.by, close.reasonSensitivity ?? 'plain'],
    );
    return rows[0] as SuggestionRow;
  }

  // The risk outbox cursor

  async cursor(source: string): Promise<string> {
    const rows = await this.db.query<{ cursor: string }>('SELECT cursor FROM outbox_cursors WHERE source = $1', [
      source,
    ]);
    return rows[0]?.cursor ?? '';
  }

  /** Locks the cursor row (creating it at the start) and returns where it stands. */
  async lockCursor(tx: Queryable, source: string): Promise<string> {
    await tx.query(`INSERT INTO outbox_cursors (source, cursor) VALUES ($1, '') ON CONFLICT (source) DO NOTHING`, [
      source,
    ]);
    const { rows } = await tx.query<{ cursor: string }>(
      'SELECT cursor FROM outbox_cursors WHERE source = $1 FOR UPDATE',
      [source],
    );
    return rows[0]?.cursor ?? '';
  }

  async advanceCursor(tx: Queryable, source: string, cursor: string): Promise<void> {
    await tx.query('UPDATE outbox_cursors SET cursor = $2, updated_at = now() WHERE source = $1', [source, cursor]);
  }

  // Indicators

  /** Referrals by county of residence and month requested (China time), with the median time to acceptance. */
  async indicators(county: string, fromMonth: string, toMonth: string): Promise<IndicatorRow[]> {
    return this.db.queryReplica<IndicatorRow>(
      `WITH r AS (
         SELECT patient_county_code AS county, to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, direction, status, status_reason,
                accepted_at, created_at, acceptance_deadline
           FROM referrals
          WHERE created_at >= (to_date($2, 'YYYY-MM')::timestamp AT TIME ZONE 'Asia/Shanghai')
            AND created_at < ((to_date($3, 'YYYY-MM') + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai')
            AND ($1 = '' OR patient_county_code = $1)
       )
       SELECT county, month,
              count(*) FILTER (WHERE direction = 'up')::text AS referrals_up,
              count(*) FILTER (WHERE direction = 'down')::text AS referrals_down,
              count(accepted_at)::text AS accepted,
              count(*) FILTER (WHERE status = 'rejected' AND status_reason <> 'redirected')::text AS rejected,
              count(*) FILTER (WHERE status = 'rejected' AND status_reason = 'redirected')::text AS redirected,
              count(*) FILTER (WHERE (accepted_at IS NULL AND status IN ${OPEN} AND acceptance_deadline < now()) OR accepted_at > acceptance_deadline)::text AS overdue,
              (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM accepted_at - created_at) / 60) FILTER (WHERE accepted_at IS NOT NULL))::float8 AS median_minutes
         FROM r GROUP BY county, month ORDER BY county, month`,
      [county, fromMonth, toMonth],
    );
  }
}

export const IMPORTED_REFERRAL_COLUMNS = [
  'id',
  'patient_id',
  'patient_county_code',
  'direction',
  'status',
  'urgency',
  'risk_colour',
  'from_institution_id',
  'to_institution_id',
  'requester_id',
  'reason',
  'status_reason',
  'acceptance_deadline',
  'created_at',
  'updated_at',
  'accepted_at',
  'completed_at',
  'reason_sensitivity',
  'status_reason_sensitivity',
  'follow_up_plan_sensitivity',
  'feedback_sensitivity',
  'business_status_sensitivity',
  'accompanies_sensitive',
] as const;

/** The bulk import's SQL: referrals through a temporary table (a replayed id is skipped), then their transitions. */
export class ReferralImportRepository {
  async insertReferrals(tx: PoolClient, rows: ReadonlyArray<readonly CopyValue[]>): Promise<Set<string>> {
    await tx.query('CREATE TEMPORARY TABLE referral_import (LIKE referrals INCLUDING DEFAULTS) ON COMMIT DROP');
    await copyRows(tx, 'referral_import', IMPORTED_REFERRAL_COLUMNS, rows);
    const columns = IMPORTED_REFERRAL_COLUMNS.join(', ');
    const { rows: inserted } = await tx.query<{ id: string }>(
      `INSERT INTO referrals (${columns}) SELECT ${columns} FROM referral_import ON CONFLICT (id) DO NOTHING RETURNING id::text`,
    );
    return new Set(inserted.map((row) => row.id));
  }

  async insertTransitions(tx: PoolClient, rows: ReadonlyArray<readonly CopyValue[]>): Promise<void> {
    if (rows.length > 0)
      await copyRows(
        tx,
        'referral_transitions',
        [
          'referral_id',
          'action',
          'from_status',
          'to_status',
          'actor_id',
          'institution_id',
          'reason',
          'at',
          'reason_sensitivity',
        ],
        rows,
      );
  }
}

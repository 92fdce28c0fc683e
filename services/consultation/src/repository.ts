// SQL for consultation's own schema: threads, participants with their read state, and messages numbered per thread
// under the thread row's lock.
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../common/src/errors';
import type { Database, PoolClient } from '../../common/src/pg/database';
import type { ConsultationKindName } from '../../common/src/auth/policy';
import type { TextSensitivity } from '../../common/src/sensitive-text';
import type { CheckedAttachment, ConsultationStatusName } from './domain/thread';

type Queryable = Pick<PoolClient, 'query'>;

export interface ConsultationRow {
  id: string;
  kind: ConsultationKindName;
  status: ConsultationStatusName;
  patient_id: string;
  subject: string;
  referral_id: string | null;
  requester_account_id: string;
  requester_institution_id: string | null;
  addressed_institution_id: string;
  last_sequence: string;
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
  closed_by: string | null;
  outcome: string;
  subject_sensitivity: TextSensitivity;
  outcome_sensitivity: TextSensitivity;
  /** Opened beside a sensitive fact of hers: its free text accompanies that fact too. */
  accompanies_sensitive: boolean;
}

export type ParticipantStateName = 'invited' | 'active' | 'removed';

export interface ParticipantRow {
  consultation_id: string;
  account_id: string;
  account_kind: 'staff' | 'resident';
  institution_id: string | null;
  state: ParticipantStateName;
  invited_by: string;
  joined_at: Date | null;
  last_read_sequence: string;
}

export interface MessageRow {
  consultation_id: string;
  sequence: string;
  id: string;
  kind: 'post' | 'event';
  status: 'completed';
  sender_account_id: string;
  sender_institution_id: string | null;
  text: string;
  attachments: CheckedAttachment[];
  event: string;
  event_account_id: string;
  sent_at: Date;
  text_sensitivity: TextSensitivity;
  attachments_sensitivity: TextSensitivity;
}

export interface NewMessage {
  readonly kind: 'post' | 'event';
  readonly senderAccountId: string;
  readonly senderInstitutionId: string | undefined;
  readonly text?: string;
  readonly attachments?: readonly CheckedAttachment[];
  readonly event?: string;
  readonly eventAccountId?: string;
  /** Posts: the classification of the text and of the attachments' names (events are plain). */
  readonly textSensitivity?: TextSensitivity;
  readonly attachmentsSensitivity?: TextSensitivity;
}

export interface SummaryRow extends ConsultationRow {
  last_read_sequence: string;
  unread_count: number;
}

export class ConsultationRepository {
  constructor(private readonly db: Database) {}

  async insertConsultation(
    tx: Queryable,
    row: Omit<
      ConsultationRow,
      | 'status'
      | 'last_sequence'
      | 'created_at'
      | 'updated_at'
      | 'closed_at'
      | 'closed_by'
      | 'outcome'
      | 'outcome_sensitivity'
    >,
  ): Promise<ConsultationRow> {
    const { rows } = await tx.query<ConsultationRow>(
      `INSERT INTO consultations (id, kind, patient_id, subject, referral_id, requester_account_id, requester_institution_id, addressed_institution_id,
                                  subject_sensitivity, accompanies_sensitive)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        row.id,
        row.kind,
        row.patient_id,
        row.subject,
        row.referral_id,
        row.requester_account_id,
        row.requester_institution_id,
        row.addressed_institution_id,
        row.subject_sensitivity,
        row.accompanies_sensitive,
      ],
    );
    return rows[0] as ConsultationRow;
  }

  /** The thread, read on the primary; NOT_FOUND when there is none. */
  async requireConsultation(id: string, tx?: Queryable): Promise<ConsultationRow> {
    const rows = tx
      ? (await tx.query<ConsultationRow>('SELECT * FROM consultations WHERE id = $1', [id])).rows
      : await this.db.query<ConsultationRow>('SELECT * FROM consultations WHERE id = $1', [id]);
    const row = rows[0];
    if (!row) throw new NotFoundError(`consultation ${id} not found`);
    return row;
  }

  /** Locks the thread row for the rest of the transaction: every change to a thread goes one at a time. */
  async lockConsultation(tx: Queryable, id: string): Promise<ConsultationRow> {
    const { rows } = await tx.query<ConsultationRow>('SELECT * FROM consultations WHERE id = $1 FOR UPDATE', [id]);
    const row = rows[0];
    if (!row) throw new NotFoundError(`consultation ${id} not found`);
    return row;
  }

  async updateStatus(
    tx: Queryable,
    id: string,
    status: ConsultationStatusName,
    closing?: { by: string; outcome: string; outcomeSensitivity: TextSensitivity },
  ): Promise<void> {
    await tx.query(
      `UPDATE consultations SET status = $2, updated_at = now(),
         closed_at = CASE WHEN $3::text IS NULL THEN closed_at ELSE now() END, closed_by = coalesce($3, closed_by), outcome = coalesce($4, outcome),
         outcome_sensitivity = coalesce($5, outcome_sensitivity)
       WHERE id = $1`,
      [id, status, closing?.by ?? null, closing?.outcome ?? null, closing?.outcomeSensitivity ?? null],
    );
  }

  /** The next sequence number and the message under it; the caller holds the thread's lock. */
  async appendMessage(tx: Queryable, consultationId: string, message: NewMessage): Promise<MessageRow> {
    const { rows: numbered } = await tx.query<{ last_sequence: string }>(
      'UPDATE consultations SET last_sequence = last_sequence + 1, updated_at = now() WHERE id = $1 RETURNING last_sequence',
      [consultationId],
    );
    const sequence = numbered[0]?.last_sequence;
    if (sequence === undefined) throw new NotFoundError(`consultation ${consultationId} not found`);
    const { rows } = await tx.query<MessageRow>(
      `INSERT INTO messages (consultation_id, sequence, id, kind, sender_account_id, sender_institution_id, text, attachments, event, event_account_id,
                             text_sensitivity, attachments_sensitivity)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [
        consultationId,
        sequence,
        randomUUID(),
        message.kind,
        message.senderAccountId,
        message.senderInstitutionId ?? null,
        message.text ?? '',
        JSON.stringify(message.attachments ?? []),
        message.event ?? '',
        message.eventAccountId ?? '',
        message.textSensitivity ?? 'plain',
        message.attachmentsSensitivity ?? 'plain',
      ],
    );
    return rows[0] as MessageRow;
  }

  async participants(consultationIds: readonly string[], tx?: Queryable): Promise<ParticipantRow[]> {
    const sql =
      'SELECT * FROM participants WHERE consultation_id = ANY($1::uuid[]) ORDER BY joined_at NULLS LAST, account_id';
    return tx
      ? (await tx.query<ParticipantRow>(sql, [consultationIds])).rows
      : this.db.query<ParticipantRow>(sql, [consultationIds]);
  }

  async participant(consultationId: string, accountId: string): Promise<ParticipantRow | undefined> {
    const rows = await this.db.query<ParticipantRow>(
      'SELECT * FROM participants WHERE consultation_id = $1 AND account_id = $2',
      [consultationId, accountId],
    );
    return rows[0];
  }

  /** Makes the account an active participant (joined now) whatever it was before. */
  async activateParticipant(
    tx: Queryable,
    consultationId: string,
    accountId: string,
    kind: 'staff' | 'resident',
    institutionId: string | undefined,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO participants (consultation_id, account_id, account_kind, institution_id, state, joined_at)
       VALUES ($1, $2, $3, $4, 'active', now())
       ON CONFLICT (consultation_id, account_id) DO UPDATE
         SET account_kind = EXCLUDED.account_kind, institution_id = EXCLUDED.institution_id, state = 'active', joined_at = now(), removed_at = NULL`,
      [consultationId, accountId, kind, institutionId ?? null],
    );
  }

  async inviteParticipant(tx: Queryable, consultationId: string, accountId: string, invitedBy: string): Promise<void> {
    await tx.query(
      `INSERT INTO participants (consultation_id, account_id, account_kind, state, invited_by) VALUES ($1, $2, 'staff', 'invited', $3)
       ON CONFLICT (consultation_id, account_id) DO UPDATE SET state = 'invited', invited_by = EXCLUDED.invited_by, removed_at = NULL, joined_at = NULL`,
      [consultationId, accountId, invitedBy],
    );
  }

  async removeParticipant(tx: Queryable, consultationId: string, accountId: string): Promise<void> {
    await tx.query(
      `UPDATE participants SET state = 'removed', removed_at = now() WHERE consultation_id = $1 AND account_id = $2`,
      [consultationId, accountId],
    );
  }

  /** Moves the read mark forward (never back); returns the mark and the posts by others after it. */
  async markRead(
    tx: Queryable,
    consultationId: string,
    accountId: string,
    upTo: number,
  ): Promise<{ lastRead: number; unread: number }> {
    const { rows } = await tx.query<{ last_read_sequence: string; unread: number }>(
      `WITH marked AS (
         UPDATE participants SET last_read_sequence = GREATEST(last_read_sequence, $3)
         WHERE consultation_id = $1 AND account_id = $2 RETURNING last_read_sequence)
       SELECT marked.last_read_sequence,
              (SELECT count(*) FROM messages m WHERE m.consultation_id = $1 AND m.sequence > marked.last_read_sequence
                 AND m.kind = 'post' AND m.sender_account_id <> $2)::int AS unread
       FROM marked`,
      [consultationId, accountId, upTo],
    );
    const row = rows[0];
    return { lastRead: Number(row?.last_read_sequence ?? 0), unread: row?.unread ?? 0 };
  }

  async unreadCount(consultationId: string, accountId: string, lastRead: number): Promise<number> {
    const rows = await this.db.query<{ unread: number }>(
      `SELECT count(*)::int AS unread FROM messages WHERE consultation_id = $1 AND sequence > $3 AND kind = 'post' AND sender_account_id <> $2`,
      [consultationId, accountId, lastRead],
    );
    return rows[0]?.unread ?? 0;
  }

  /** Messages with a sequence number above `after`, oldest first. */
  async messagesAfter(consultationId: string, after: number, limit: number): Promise<MessageRow[]> {
    return this.db.query<MessageRow>(
      'SELECT * FROM messages WHERE consultation_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3',
      [consultationId, after, limit],
    );
  }

  /** How a message's text and attachment names were classified (the live stream withholds by it). */
  async messageSensitivity(
    consultationId: string,
    sequence: string,
  ): Promise<Pick<MessageRow, 'text_sensitivity' | 'attachments_sensitivity'> | undefined> {
    const rows = await this.db.query<Pick<MessageRow, 'text_sensitivity' | 'attachments_sensitivity'>>(
      'SELECT text_sensitivity, attachments_sensitivity FROM messages WHERE consultation_id = $1 AND sequence = $2',
      [consultationId, sequence],
    );
    return rows[0];
  }

  /** The latest sequence number of each thread (the live feed's poll). */
  async lastSequences(consultationIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.db.query<{ id: string; last_sequence: string }>(
      'SELECT id, last_sequence FROM consultations WHERE id = ANY($1::uuid[])',
      [consultationIds],
    );
    return new Map(rows.map((row) => [row.id, Number(row.last_sequence)]));
  }

  /** The account's active threads, most recently active first, with their unread counts. */
  async listForAccount(
    accountId: string,
    status: ConsultationStatusName | undefined,
    limit: number,
    offset: number,
  ): Promise<SummaryRow[]> {
    return this.db.query<SummaryRow>(
      `SELECT c.*, p.last_read_sequence,
              (SELECT count(*) FROM messages m WHERE m.consultation_id = c.id AND m.sequence > p.last_read_sequence
                 AND m.kind = 'post' AND m.sender_account_id <> p.account_id)::int AS unread_count
       FROM participants p JOIN consultations c ON c.id = p.consultation_id
       WHERE p.account_id = $1 AND p.state = 'active' AND ($2::text IS NULL OR c.status = $2)
       ORDER BY c.updated_at DESC, c.id LIMIT $3 OFFSET $4`,
      [accountId, status ?? null, limit, offset],
    );
  }

  /** Unread posts over all the account's active threads. */
  async totalUnread(accountId: string): Promise<number> {
    const rows = await this.db.query<{ unread: number }>(
      `SELECT count(*)::int AS unread FROM participants p JOIN messages m ON m.consultation_id = p.consultation_id
       WHERE p.account_id = $1 AND p.state = 'active' AND m.sequence > p.last_read_sequence AND m.kind = 'post' AND m.sender_account_id <> $1`,
      [accountId],
    );
    return rows[0]?.unread ?? 0;
  }
}

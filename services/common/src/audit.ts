// The audit trail: who touched which patient's data, as what, why, and whether it was allowed. Written by
// the service that served the access, in the same transaction as a write; reads and denials are written
// on their own (a denied or cached read is still an access).
import type { Principal } from './auth/principal';
import { InvalidArgumentError } from './errors';
import { Decision, requireAllowed } from './auth/policy';
import { AuditEvent } from './gen/mch/common/v1/audit';
import type { CallContext } from './grpc/context';
import type { Database, PoolClient } from './pg/database';

export interface AuditEntry {
  readonly patientId: string;
  readonly action: string;
  readonly outcome: 'allowed' | 'denied';
  readonly reason?: string;
}

/**
 * Where an audit row is written: a transaction's client (the row commits, or not, with the write it describes), or
 * the Database for an access audited on its own — then under the commit rules (`executeCommitted`): a lost
 * connection is UNAVAILABLE, never an unmapped driver error, and a commit the standby did not confirm is an
 * unknown outcome, never a silent success. The caller's read fails rather than go unaudited.
 */
type Queryable = Pick<PoolClient, 'query'> | Pick<Database, 'executeCommitted'>;

async function write(target: Queryable, text: string, values: unknown[]): Promise<void> {
  if ('executeCommitted' in target) await target.executeCommitted(text, values);
  else await target.query(text, values);
}

export function actorOf(principal: Principal | undefined): {
  id: string;
  kind: string;
  roles: readonly string[];
  institution: string;
} {
  return {
    id: principal?.subject ?? 'anonymous',
    kind: principal?.kind ?? 'anonymous',
    roles: principal?.roles ?? [],
    institution: principal?.institutionId ?? '',
  };
}

export async function recordAudit(target: Queryable, ctx: CallContext, entry: AuditEntry): Promise<void> {
  const actor = actorOf(ctx.principal);
  await write(
    target,
    `INSERT INTO audit_events (actor_id, actor_kind, actor_roles, institution_id, patient_id, action, purpose, outcome, reason, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      actor.id,
      actor.kind,
      actor.roles,
      actor.institution,
      entry.patientId,
      entry.action,
      ctx.purpose ?? '',
      entry.outcome,
      entry.reason ?? '',
      ctx.requestId,
    ],
  );
}

/** Several entries of one call in one statement (a list that shows many patients audits each of them). */
export async function recordAudits(target: Queryable, ctx: CallContext, entries: readonly AuditEntry[]): Promise<void> {
  await recordAuditsAs(target, actorOf(ctx.principal), ctx.purpose ?? '', ctx.requestId, entries);
}

export type AuditActor = ReturnType<typeof actorOf>;

/**
 * The same, for work done later on a caller's behalf (a bulk export's worker): the actor, purpose and request id
 * recorded when the caller asked.
 */
export async function recordAuditsAs(
  target: Queryable,
  actor: AuditActor,
  purpose: string,
  requestId: string,
  entries: readonly AuditEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await write(
    target,
    `INSERT INTO audit_events (actor_id, actor_kind, actor_roles, institution_id, patient_id, action, purpose, outcome, reason, request_id)
     SELECT $1, $2, $3, $4, patient_id, action, $5, outcome, reason, $6 FROM unnest($7::text[], $8::text[], $9::text[], $10::text[]) AS e(patient_id, action, outcome, reason)`,
    [
      actor.id,
      actor.kind,
      actor.roles,
      actor.institution,
      purpose,
      requestId,
      entries.map((entry) => entry.patientId),
      entries.map((entry) => entry.action),
      entries.map((entry) => entry.outcome),
      entries.map((entry) => entry.reason ?? ''),
    ],
  );
}

/**
 * Applies a policy decision about a patient: a denial is audited, then refused (401 without a principal,
 * 403 otherwise); an allowed break-glass is audited with its reason by the caller's own audit write.
 */
export async function enforce(
  db: Database,
  ctx: CallContext,
  decision: Decision,
  patientId: string,
  action: string,
): Promise<void> {
  if (decision.allowed) return;
  await recordAudit(db, ctx, { patientId, action, outcome: 'denied', reason: decision.reason }).catch(
    (error: unknown) => ctx.logger.error({ err: error }, 'could not audit a denied access'),
  );
  requireAllowed(ctx.principal, decision);
}

const MIN_AUDIT_TIME = Date.parse('0001-01-01T00:00:00Z');
const MAX_AUDIT_TIME = Date.parse('9999-12-31T23:59:59Z');

interface AuditRow {
  id: string;
  actor_id: string;
  actor_kind: string;
  actor_roles: string[];
  institution_id: string;
  patient_id: string;
  action: string;
  purpose: string;
  outcome: string;
  reason: string;
  request_id: string;
  occurred_at: Date;
}

/** A patient's audit events, newest first, strictly before `before`. */
export async function listAuditEvents(
  db: Database,
  service: string,
  patientId: string,
  before: Date | undefined,
  pageSize: number,
): Promise<AuditEvent[]> {
  // A timestamp the wire allows but Postgres does not (invalid, or before year 1 / after 9999) is bad input, not a 500.
  if (before !== undefined && !(before.getTime() >= MIN_AUDIT_TIME && before.getTime() <= MAX_AUDIT_TIME)) {
    throw InvalidArgumentError.field('before', 'must be a time between the years 1 and 9999');
  }
  const rows = await db.query<AuditRow>(
    `SELECT * FROM audit_events WHERE patient_id = $1 AND occurred_at < $2 ORDER BY occurred_at DESC, id LIMIT $3`,
    [patientId, before ?? new Date(Date.now() + 60_000), pageSize],
  );
  return rows.map((row) => ({
    id: row.id,
    service,
    actorId: row.actor_id,
    actorKind: row.actor_kind,
    actorRoles: row.actor_roles,
    institutionId: row.institution_id,
    patientId: row.patient_id,
    action: row.action,
    purpose: row.purpose,
    outcome: row.outcome,
    reason: row.reason,
    requestId: row.request_id,
    occurredAt: row.occurred_at,
  }));
}

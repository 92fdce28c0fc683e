// The idempotency store: a repeated state-changing call with the same key returns the first result; the
// same key with a different request is refused. The key row is written in the effect's own transaction, so
// either both are durable or neither is.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from './errors';
import type { CallContext } from './grpc/context';
import type { Database, PoolClient } from './pg/database';

/** Encodes and decodes a response for storage (a ts-proto MessageFns fits). */
export interface ResponseCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export interface IdempotencyScope {
  readonly caller: string;
  readonly method: string;
  readonly key: string;
}

export const IDEMPOTENCY_RETENTION_HOURS = 48;

export function requestHash(method: string, requestBytes: Uint8Array): Buffer {
  return createHash('sha256').update(method).update('\0').update(requestBytes).digest();
}

export function scopeFromContext(ctx: CallContext): IdempotencyScope | undefined {
  return ctx.idempotencyKey === undefined
    ? undefined
    : { caller: ctx.caller, method: ctx.method, key: ctx.idempotencyKey };
}

/**
 * Runs `effect` once per key. A concurrent duplicate waits on the key's row lock and then replays the
 * stored result. A failed effect stores nothing, so a retry runs it again.
 */
export async function runIdempotent<T>(
  db: Database,
  scope: IdempotencyScope | undefined,
  requestBytes: Uint8Array,
  codec: ResponseCodec<T>,
  effect: (tx: PoolClient) => Promise<T>,
): Promise<T> {
  if (!scope) return db.withTransaction(effect);
  const hash = requestHash(scope.method, requestBytes);
  return db.withTransaction(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO idempotency_keys (caller, method, key, request_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (caller, method, key) DO NOTHING RETURNING 1`,
      [scope.caller, scope.method, scope.key, hash],
    );
    if (inserted.rowCount === 0) {
      // FOR UPDATE makes this transaction write (a row lock), so its COMMIT waits for the synchronous standby
      // like the first one did: a replay never confirms an answer whose write the other zone may lack.
      const { rows } = await tx.query<{ request_hash: Buffer; response: Buffer | null }>(
        'SELECT request_hash, response FROM idempotency_keys WHERE caller = $1 AND method = $2 AND key = $3 FOR UPDATE',
        [scope.caller, scope.method, scope.key],
      );
      const first = rows[0];
      if (!first || first.response === null) throw new Error('idempotency key row without a stored response');
      if (!first.request_hash.equals(hash)) {
        throw InvalidArgumentError.field('Idempotency-Key', 'was already used for a different request');
      }
      return codec.decode(first.response);
    }
    const result = await effect(tx);
    await tx.query('UPDATE idempotency_keys SET response = $4 WHERE caller = $1 AND method = $2 AND key = $3', [
      scope.caller,
      scope.method,
      scope.key,
      Buffer.from(codec.encode(result).finish()),
    ]);
    return result;
  });
}

/**
 * The stored answer of an already-answered key, read before a handler's own checks: when those checks read state
 * the first call changed (a pregnancy ended, a version moved on), a client retrying an unknown outcome must get
 * its first answer, not a refusal. A key still in flight, or unknown, returns undefined: `runIdempotent` decides.
 */
export async function previousAnswer<T>(
  db: Database,
  scope: IdempotencyScope | undefined,
  requestBytes: Uint8Array,
  codec: ResponseCodec<T>,
): Promise<T | undefined> {
  if (!scope) return undefined;
  // Read under a row lock in a transaction of its own: its COMMIT then waits for the synchronous standby, so a
  // first answer whose commit wait was cut short is not confirmed by its replay before the other zone has it.
  const rows = await db.withTransaction(
    async (tx) =>
      (
        await tx.query<{ request_hash: Buffer; response: Buffer | null }>(
          'SELECT request_hash, response FROM idempotency_keys WHERE caller = $1 AND method = $2 AND key = $3 FOR SHARE',
          [scope.caller, scope.method, scope.key],
        )
      ).rows,
  );
  const first = rows[0];
  if (!first || first.response === null) return undefined;
  if (!first.request_hash.equals(requestHash(scope.method, requestBytes)))
    throw InvalidArgumentError.field('Idempotency-Key', 'was already used for a different request');
  return codec.decode(first.response);
}

/** Deletes keys past retention, as the owner role (each service's `sweep` command). Returns how many were removed. */
export async function sweepIdempotencyKeys(
  db: Database,
  retentionHours = IDEMPOTENCY_RETENTION_HOURS,
): Promise<number> {
  const rows = await db.query<{ n: string }>(
    `WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) RETURNING 1)
     SELECT count(*)::text AS n FROM gone`,
    [retentionHours],
  );
  return Number(rows[0]?.n ?? 0);
}

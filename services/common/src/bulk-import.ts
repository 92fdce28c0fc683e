// The bulk import paths (ImportPatients, ImportRecords, ImportAppointments, ImportReferrals): internal RPCs without
// an HTTP route through which the data generator seeds each service's own schema. Who may call them, how big a
// batch may be, and the transaction they run in: idempotent under the batch's key, with a statement timeout sized
// for a batch instead of a request.
import { canImportBulk, requireAllowed } from './auth/policy';
import { InvalidArgumentError } from './errors';
import type { CallContext } from './grpc/context';
import { ResponseCodec, runIdempotent, scopeFromContext } from './idempotency';
import type { Database, PoolClient } from './pg/database';

/** A batch's statements may take this long (the pool's default is sized for one request). */
export const BULK_STATEMENT_TIMEOUT_MS = 120_000;

/** Refuses callers other than the seeder service and platform admins, and batches that are empty or too large. */
export function admitBatch(ctx: CallContext, field: string, size: number, max: number): void {
  requireAllowed(ctx.principal, canImportBulk(ctx.principal));
  if (size === 0) throw InvalidArgumentError.field(field, 'must hold at least one item');
  if (size > max) throw InvalidArgumentError.field(field, `must hold at most ${max} items (got ${size})`);
}

/** Runs a batch's writes in one transaction under its Idempotency-Key: a replayed batch returns the first answer. */
export function runBulkImport<T>(
  db: Database,
  ctx: CallContext,
  requestBytes: Uint8Array,
  codec: ResponseCodec<T>,
  effect: (tx: PoolClient) => Promise<T>,
): Promise<T> {
  return runIdempotent(db, scopeFromContext(ctx), requestBytes, codec, async (tx) => {
    await tx.query(`SET LOCAL statement_timeout = ${BULK_STATEMENT_TIMEOUT_MS}`);
    return effect(tx);
  });
}

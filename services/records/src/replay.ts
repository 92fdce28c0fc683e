// An answered idempotency key is answered again before anything else runs (see the kit's previousAnswer).
import type { CallContext } from '../../common/src/grpc/context';
import { previousAnswer, ResponseCodec, scopeFromContext } from '../../common/src/idempotency';
import type { Database } from '../../common/src/pg/database';

export function storedAnswer<T>(
  db: Database,
  ctx: CallContext,
  requestBytes: Uint8Array,
  codec: ResponseCodec<T>,
): Promise<T | undefined> {
  return previousAnswer(db, scopeFromContext(ctx), requestBytes, codec);
}

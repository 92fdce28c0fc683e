// The store agent's gRPC handlers: thin wrappers over the zone's BlobStore.
import { isService } from '../../../common/src/auth/principal';
import { InvalidArgumentError, PermissionDeniedError } from '../../../common/src/errors';
import type { UnaryHandlers } from '../../../common/src/grpc/adapter';
import type { CallContext } from '../../../common/src/grpc/context';
import { PutBlobRequest, StoreAgentServiceService } from '../../../common/src/gen/mch/replication/v1/store_agent';
import { BlobStore, requireSha256 } from './blob-store';

const MAX_PAGE = 10_000;

/** The chunks after the header; a second header is bad input. */
async function* chunksOf(requests: AsyncIterator<PutBlobRequest>): AsyncIterable<Buffer> {
  for (;;) {
    const next = await requests.next();
    if (next.done) return;
    if (next.value.header) throw InvalidArgumentError.field('header', 'only the first message carries the header');
    if (next.value.chunk && next.value.chunk.length > 0) yield next.value.chunk;
  }
}

/** A zone's copies are the replication service's alone: no user, and no other service, reads or writes them here. */
function requireReplication(ctx: CallContext): void {
  if (!isService(ctx.principal, 'replication'))
    throw new PermissionDeniedError('only the replication service may use a store agent');
}

export function storeAgentHandlers(store: BlobStore): UnaryHandlers<typeof StoreAgentServiceService> {
  return {
    async putBlob(requests, ctx) {
      requireReplication(ctx);
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      const header = first.done ? undefined : first.value.header;
      if (!header) throw InvalidArgumentError.field('header', 'the first message must carry the header');
      const expectedSha = header.sha256 ? requireSha256(header.sha256, 'header.sha256') : undefined;
      const size = Number(header.size);
      if (!Number.isSafeInteger(size) || size < 0)
        throw InvalidArgumentError.field('header.size', 'must be a non-negative byte count');
      const stored = await store.put(chunksOf(iterator), { sha256: expectedSha, size }, ctx.signal);
      ctx.logger.debug(
        { sha256: stored.sha256, size: stored.size, alreadyPresent: stored.alreadyPresent },
        'blob stored',
      );
      return { sha256: stored.sha256, size: String(stored.size), alreadyPresent: stored.alreadyPresent };
    },

    async *getBlob(request, ctx) {
      requireReplication(ctx);
      const { size, chunks } = await store.read(requireSha256(request.sha256));
      let first = true;
      for await (const chunk of chunks) {
        if (ctx.signal.aborted) return;
        yield { chunk, size: first ? String(size) : '0' };
        first = false;
      }
      if (first) yield { chunk: Buffer.alloc(0), size: '0' };
    },

    async hasBlob(request, ctx) {
      requireReplication(ctx);
      const check = await store.check(requireSha256(request.sha256), request.verify);
      return {
        present: check.present,
        size: String(check.size),
        verified: check.verified,
        corrupt: check.corrupt,
        modifiedAt: check.modifiedAt,
      };
    },

    async listBlobs(request, ctx) {
      requireReplication(ctx);
      if (request.after !== '' && !/^[0-9a-f]{1,64}$/.test(request.after))
        throw InvalidArgumentError.field('after', 'must be a blob name (hex)');
      const pageSize = request.pageSize > 0 ? Math.min(request.pageSize, MAX_PAGE) : 1_000;
      return { sha256s: await store.list(request.after, pageSize) };
    },

    async deleteBlob(request, ctx) {
      requireReplication(ctx);
      const removed = await store.quarantineBlob(requireSha256(request.sha256));
      if (removed) ctx.logger.warn({ sha256: request.sha256 }, 'blob copy quarantined for repair');
      return { removed };
    },
  };
}

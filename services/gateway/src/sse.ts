// A backend's server-streaming RPC as server-sent events: the caller's token, purpose and request id carried to the
// backend; an error before the first frame answered as the usual JSON error with its HTTP status; heartbeats while
// the stream is quiet; and the gRPC stream cancelled as soon as the client goes away.
import type { ClientReadableStream, MethodDefinition } from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Backends } from './backends';
import { forwardedMetadata, send } from './forwarding';
import { httpErrorFromGrpc, plainError } from './http-errors';
import type { MessageCodec } from './proto-registry';

/** How long a stream may take to start, how often it beats while quiet, and how far a subscriber may fall behind. */
export interface SseBounds {
  /** A comment line is written after this long without a frame (0: never). */
  readonly heartbeatMs?: number;
  /** The backend must send its first frame within this (504 otherwise): a hung backend never holds a client unanswered. */
  readonly firstFrameTimeoutMs?: number;
  /**
   * Bytes the gateway may hold for a subscriber that does not read (beyond what the socket took). Past it the
   * stream is cut: the client reconnects with Last-Event-ID and is replayed what it missed, instead of the gateway
   * buffering without bound.
   */
  readonly bufferBytes?: number;
  /** Called when a subscriber is cut for being too far behind. */
  readonly onOverflow?: () => void;
}

export interface SseBridge<Req, Res> extends SseBounds {
  /** Backend name, e.g. `CONSULTATION` (address from `<NAME>_SERVICE_ADDR`). */
  readonly backend: string;
  readonly method: MethodDefinition<Req, Res>;
  readonly request: Req;
  /** The event text for one streamed message (`id:`, `event:`, `data:` lines and the blank line). */
  readonly frame: (message: Res) => string;
  /** The event written when the backend stream fails after it started (the client reconnects). */
  readonly interrupted: string;
  /** The reconnection delay suggested to EventSource clients (`retry:`). */
  readonly retryMs?: number;
}

/** Streams still open, ended when the gateway shuts down (clients reconnect to another replica). */
const openStreams = new Set<() => void>();

export function endAllStreams(): void {
  for (const end of [...openStreams]) end();
}

/** One SSE event: `data` as JSON; an `id` becomes the client's Last-Event-ID. */
export function sseEvent(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function bridgeToSse<Req, Res>(
  request: FastifyRequest,
  reply: FastifyReply,
  backends: Backends,
  codecs: ReadonlyMap<string, MessageCodec>,
  bridge: SseBridge<Req, Res>,
): void {
  const client = backends.client(bridge.backend);
  if (!client) {
    const error = plainError(503, 14, `${bridge.backend.toLowerCase()} service is not configured`);
    return void send(reply, error);
  }
  const metadata = forwardedMetadata(request, undefined);
  // No deadline on the stream itself (it lives as long as the subscriber), but its first frame has one.
  const stream: ClientReadableStream<Res> = client.makeServerStreamRequest(
    bridge.method.path,
    bridge.method.requestSerialize,
    bridge.method.responseDeserialize,
    bridge.request,
    metadata,
    {},
  );
  let started = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let lastWriteAt = Date.now();
  const firstFrame =
    bridge.firstFrameTimeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          if (started) return;
          openStreams.delete(shutdown);
          stream.cancel();
          void send(
            reply,
            plainError(
              504,
              4,
              `the ${bridge.backend.toLowerCase()} service did not start the stream within ${bridge.firstFrameTimeoutMs} ms; retry later`,
            ),
          );
        }, bridge.firstFrameTimeoutMs);
  const write = (text: string): void => {
    lastWriteAt = Date.now();
    reply.raw.write(text);
    if (bridge.bufferBytes !== undefined && reply.raw.writableLength > bridge.bufferBytes) {
      bridge.onOverflow?.();
      shutdown();
      reply.raw.destroy();
    }
  };
  const start = (): void => {
    if (started) return;
    started = true;
    clearTimeout(firstFrame);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-request-id': request.id,
      'x-content-type-options': 'nosniff',
      // Proxies (nginx ingress) must not buffer a live stream.
      'x-accel-buffering': 'no',
    });
    if (bridge.retryMs !== undefined) write(`retry: ${bridge.retryMs}\n\n`);
    const every = bridge.heartbeatMs ?? 0;
    if (every > 0) {
      heartbeat = setInterval(
        () => {
          if (Date.now() - lastWriteAt >= every) write(': heartbeat\n\n');
        },
        Math.max(50, Math.floor(every / 2)),
      );
    }
  };
  const finish = (): void => {
    clearTimeout(firstFrame);
    openStreams.delete(shutdown);
    clearInterval(heartbeat);
    if (started && !reply.raw.writableEnded) reply.raw.end();
  };
  const shutdown = (): void => {
    stream.cancel();
    finish();
  };
  openStreams.add(shutdown);
  stream.on('data', (message: Res) => {
    if (reply.raw.destroyed) return;
    start();
    write(bridge.frame(message));
  });
  stream.on('error', (error: Error & { code?: number }) => {
    if (error.code === 1 && (request.raw.destroyed || reply.sent)) return finish();
    if (!started) {
      clearTimeout(firstFrame);
      const answer = httpErrorFromGrpc(error as never, codecs, bridge.backend);
      return void send(reply, answer);
    }
    write(bridge.interrupted);
    finish();
  });
  stream.on('end', finish);
  request.raw.on('close', () => {
    clearTimeout(firstFrame);
    openStreams.delete(shutdown);
    clearInterval(heartbeat);
    stream.cancel();
  });
}

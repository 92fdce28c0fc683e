// The operator page: both zones live from the replication service's WatchStatus, as server-sent events,
// behind the same bearer authentication as every route. These are the hand-written routes no annotation
// can express.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ClientReadableStream, Metadata } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import { childMetadata } from '../../common/src/grpc/client';
import { METADATA } from '../../common/src/grpc/context';
import { repoRoot } from '../../common/src/paths';
import { ReplicationServiceService, WatchStatusResponse } from '../../common/src/gen/mch/replication/v1/replication';
import type { Backends } from './backends';
import { httpErrorFromGrpc, plainError } from './http-errors';
import type { MessageCodec } from './proto-registry';

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

export function registerStatusPage(app: FastifyInstance, backends: Backends, codecs: ReadonlyMap<string, MessageCodec>): void {
  const staticDir = path.join(repoRoot(), 'services', 'gateway', 'static');
  const page = readFileSync(path.join(staticDir, 'status.html'));
  const script = readFileSync(path.join(staticDir, 'status.js'));
  const style = readFileSync(path.join(staticDir, 'status.css'));

  app.get('/status', async (_request, reply) => reply.header('content-security-policy', PAGE_CSP).type('text/html; charset=utf-8').send(page));
  app.get('/status/status.js', async (_request, reply) => reply.header('content-security-policy', PAGE_CSP).type('text/javascript; charset=utf-8').send(script));
  app.get('/status/status.css', async (_request, reply) => reply.header('content-security-policy', PAGE_CSP).type('text/css; charset=utf-8').send(style));

  // Server-sent events of the live status; the replication service checks the token and the role.
  app.get('/v1/replication/events', (request, reply) => {
    const client = backends.client('REPLICATION');
    if (!client) {
      const error = plainError(503, 14, 'replication service is not configured');
      return void reply.code(error.httpStatus).send(error.body);
    }
    const metadata = childMetadata(undefined, new Metadata());
    metadata.set(METADATA.requestId, request.id);
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string') metadata.set(METADATA.authorization, authorization);
    const method = ReplicationServiceService.watchStatus;
    const stream: ClientReadableStream<WatchStatusResponse> = client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, {}, metadata, {});
    let started = false;
    const start = (): void => {
      if (started) return;
      started = true;
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-request-id': request.id,
        'x-content-type-options': 'nosniff',
      });
    };
    stream.on('data', (message: WatchStatusResponse) => {
      start();
      reply.raw.write(`event: status\ndata: ${JSON.stringify(WatchStatusResponse.toJSON(message))}\n\n`);
    });
    stream.on('error', (error: Error & { code?: number }) => {
      if (error.code === 1 && request.raw.destroyed) return;
      if (!started) {
        const answer = httpErrorFromGrpc(error as never, codecs);
        return void reply.code(answer.httpStatus).type('application/json').send(answer.body);
      }
      reply.raw.write(`event: error\ndata: ${JSON.stringify({ message: 'status stream interrupted' })}\n\n`);
      reply.raw.end();
    });
    stream.on('end', () => {
      if (started) reply.raw.end();
    });
    request.raw.on('close', () => stream.cancel());
  });
}

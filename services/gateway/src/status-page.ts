// The operator page: both zones live from the replication service's WatchStatus, as server-sent events,
// behind the same bearer authentication as every route. These are the hand-written routes no annotation
// can express.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { repoRoot } from '../../common/src/paths';
import { ReplicationServiceService, WatchStatusResponse } from '../../common/src/gen/mch/replication/v1/replication';
import type { Backends } from './backends';
import type { MessageCodec } from './proto-registry';
import { bridgeToSse, sseEvent } from './sse';
import { errorResponses, sseResponse, staticFileOperation, type Paths, type SchemaBuilder } from './openapi';

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

export function registerStatusPage(app: FastifyInstance): void {
  const staticDir = path.join(repoRoot(), 'services', 'gateway', 'static');
  const page = readFileSync(path.join(staticDir, 'status.html'));
  const script = readFileSync(path.join(staticDir, 'status.js'));
  const style = readFileSync(path.join(staticDir, 'status.css'));

  app.get('/status', async (_request, reply) =>
    reply.header('content-security-policy', PAGE_CSP).type('text/html; charset=utf-8').send(page),
  );
  app.get('/status/status.js', async (_request, reply) =>
    reply.header('content-security-policy', PAGE_CSP).type('text/javascript; charset=utf-8').send(script),
  );
  app.get('/status/status.css', async (_request, reply) =>
    reply.header('content-security-policy', PAGE_CSP).type('text/css; charset=utf-8').send(style),
  );
}

/** The live status stream the page reads (registered with the replication service's routes). */
export function registerReplicationEvents(
  app: FastifyInstance,
  backends: Backends,
  codecs: ReadonlyMap<string, MessageCodec>,
): void {
  // Server-sent events of the live status; the replication service checks the token and the role.
  app.get('/v1/replication/events', (request, reply) =>
    bridgeToSse(request, reply, backends, codecs, {
      backend: 'REPLICATION',
      method: ReplicationServiceService.watchStatus,
      request: {},
      frame: (message: WatchStatusResponse) => sseEvent('status', WatchStatusResponse.toJSON(message)),
      interrupted: sseEvent('error', { message: 'status stream interrupted' }),
    }),
  );
}

/** The operator page and its files in /openapi.json. */
export function statusPageOpenApi(): Paths {
  return {
    '/status': staticFileOperation(
      'Gateway.StatusPage',
      'The operator page: both zones live (it logs in and reads /v1/replication/events)',
      'text/html',
    ),
    '/status/status.js': staticFileOperation(
      'Gateway.StatusPageScript',
      "The operator page's script",
      'text/javascript',
    ),
    '/status/status.css': staticFileOperation('Gateway.StatusPageStyle', "The operator page's style sheet", 'text/css'),
  };
}

/** GET /v1/replication/events in /openapi.json. */
export function replicationEventsOpenApi(schemas: SchemaBuilder): Paths {
  return {
    '/v1/replication/events': {
      get: {
        operationId: 'ReplicationService.WatchStatus',
        summary: "Both zones' replication status, live, as server-sent events (platform admins)",
        tags: ['ReplicationService'],
        responses: {
          '200': sseResponse(
            'The stream: a `status` event at once and at every change.',
            [
              {
                event: 'status',
                description: "The two-zone database's status",
                data: schemas.named('mch.replication.v1.WatchStatusResponse'),
              },
              {
                event: 'error',
                description: 'The stream broke after it started; reconnect',
                data: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } },
              },
            ],
            'event: status\ndata: {"status":{…}}\n\n',
          ),
          ...errorResponses(),
        },
      },
    },
  };
}

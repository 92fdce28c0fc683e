// GET /dashboard: the health administrators' dashboard (管理驾驶舱, issue #31 §4) and its files, ECharts from the
// echarts npm package (Apache-2.0) served from node_modules, no CDN; and GET /v1/high-risk-cases/events, records'
// WatchHighRiskCases as server-sent events for its live panels (实时监控). The page shell needs no token: it signs
// in inside the page with the platform's login and reads the APIs with the caller's own scopes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../../common/src/errors';
import { repoRoot } from '../../common/src/paths';
import { RecordsServiceService, WatchHighRiskCasesResponse } from '../../common/src/gen/mch/records/v1/records';
import type { Backends } from './backends';
import { send } from './forwarding';
import { httpErrorFromLocal } from './http-errors';
import type { MessageCodec } from './proto-registry';
import { bridgeToSse, SseBounds, sseEvent } from './sse';
import { errorResponses, sseResponse, staticFileOperation, type Paths, type SchemaBuilder } from './openapi';

// Only this origin: scripts, styles, data and the event stream; ECharts draws on canvas and styles through the CSSOM.
const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The page's files: URL, media type, bytes. */
function dashboardFiles(): ReadonlyArray<[string, string, Buffer]> {
  const staticDir = path.join(repoRoot(), 'services', 'gateway', 'static');
  const echarts = path.join(path.dirname(require.resolve('echarts/package.json')), 'dist', 'echarts.min.js');
  return [
    ['/dashboard', 'text/html; charset=utf-8', readFileSync(path.join(staticDir, 'dashboard.html'))],
    ['/dashboard/dashboard.js', 'text/javascript; charset=utf-8', readFileSync(path.join(staticDir, 'dashboard.js'))],
    ['/dashboard/dashboard.css', 'text/css; charset=utf-8', readFileSync(path.join(staticDir, 'dashboard.css'))],
    [
      '/dashboard/targets.json',
      'application/json; charset=utf-8',
      readFileSync(path.join(staticDir, 'dashboard-targets.json')),
    ],
    ['/dashboard/echarts.min.js', 'text/javascript; charset=utf-8', readFileSync(echarts)],
  ];
}

export function registerDashboardPage(app: FastifyInstance): void {
  for (const [url, type, body] of dashboardFiles()) {
    app.get(url, async (_request, reply) =>
      reply
        .header('content-security-policy', DASHBOARD_CSP)
        .header('cache-control', url === '/dashboard/echarts.min.js' ? 'public, max-age=3600' : 'no-store')
        .type(type)
        .send(body),
    );
  }
}

/** The cursor to resume after: the Last-Event-ID header, else `?lastEventId=`, else '' (from now). */
export function riskCursorOf(header: string | string[] | undefined, query: string | undefined): string {
  const value = ((Array.isArray(header) ? header[0] : header) ?? query ?? '').trim();
  if (value !== '' && !/^[A-Za-z0-9_-]{1,64}$/.test(value))
    throw InvalidArgumentError.field(
      header !== undefined ? 'Last-Event-ID' : 'lastEventId',
      'must be the id of an event of this stream',
    );
  return value;
}

/** The live high-risk stream (registered with the records service's routes). */
export function registerHighRiskEvents(
  app: FastifyInstance,
  backends: Backends,
  codecs: ReadonlyMap<string, MessageCodec>,
  bounds: SseBounds,
): void {
  app.get('/v1/high-risk-cases/events', (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    let afterCursor: string;
    try {
      afterCursor = riskCursorOf(request.headers['last-event-id'], query.lastEventId);
      if (query.county !== undefined && typeof query.county !== 'string')
        throw InvalidArgumentError.field('county', 'give one county');
    } catch (error) {
      return void send(reply, httpErrorFromLocal(error, codecs));
    }
    bridgeToSse(request, reply, backends, codecs, {
      backend: 'RECORDS',
      method: RecordsServiceService.watchHighRiskCases,
      request: { county: query.county ?? '', afterCursor },
      frame: (frame: WatchHighRiskCasesResponse) =>
        sseEvent(frame.ready ? 'ready' : 'change', WatchHighRiskCasesResponse.toJSON(frame), frame.cursor),
      interrupted: sseEvent('error', { message: 'high-risk stream interrupted; reconnect with Last-Event-ID' }),
      ...bounds,
      retryMs: 1_000,
    });
  });
}

/** The page and its files in /openapi.json. */
export function dashboardPageOpenApi(): Paths {
  return {
    '/dashboard': staticFileOperation(
      'Gateway.Dashboard',
      "The administrators' dashboard (管理驾驶舱): it logs in and reads /v1/statistics and /v1/high-risk-cases/events",
      'text/html',
    ),
    '/dashboard/dashboard.js': staticFileOperation(
      'Gateway.DashboardScript',
      "The dashboard's script",
      'text/javascript',
    ),
    '/dashboard/dashboard.css': staticFileOperation(
      'Gateway.DashboardStyle',
      "The dashboard's style sheet",
      'text/css',
    ),
    '/dashboard/targets.json': staticFileOperation(
      'Gateway.DashboardTargets',
      'The targets the headline indicators are compared with, each with its source and whether it was confirmed',
      'application/json',
    ),
    '/dashboard/echarts.min.js': staticFileOperation(
      'Gateway.DashboardCharts',
      'Apache ECharts (the echarts npm package)',
      'text/javascript',
    ),
  };
}

/** GET /v1/high-risk-cases/events in /openapi.json. */
export function highRiskEventsOpenApi(schemas: SchemaBuilder): Paths {
  const idPattern = '^[A-Za-z0-9_-]{1,64}$';
  return {
    '/v1/high-risk-cases/events': {
      get: {
        operationId: 'RecordsService.WatchHighRiskCases',
        summary:
          'Confirmed risk grade changes live, with the open high-risk case counts after each, as server-sent events (clinical staff with a purpose: whole; analysts: de-identified, in their county scope)',
        tags: ['RecordsService'],
        parameters: [
          {
            name: 'county',
            in: 'query',
            required: false,
            schema: { type: 'string' },
            description: 'County code; analysts scoped to a county must give theirs',
          },
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            schema: { type: 'string', pattern: idPattern },
            description: 'Resume after this event (EventSource sends it on reconnecting); from now when absent',
          },
          {
            name: 'lastEventId',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: idPattern },
            description: 'The same, for clients that cannot set the header (the header wins)',
          },
          { $ref: '#/components/parameters/Purpose' },
        ],
        responses: {
          '200': sseResponse(
            'The stream: first `retry: 1000`, then the changes after Last-Event-ID, then `ready`, then each change as it commits.',
            [
              {
                event: 'change',
                id: 'a cursor (send it back as Last-Event-ID)',
                description: 'A confirmed grade change and the open cases after it',
                data: schemas.named('mch.records.v1.WatchHighRiskCasesResponse'),
              },
              {
                event: 'ready',
                id: 'a cursor (send it back as Last-Event-ID)',
                description: 'Replay is done; the open cases now; live changes follow',
                data: schemas.named('mch.records.v1.WatchHighRiskCasesResponse'),
              },
              {
                event: 'error',
                description: 'The stream broke after it started; reconnect with Last-Event-ID',
                data: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } },
              },
            ],
            'retry: 1000\n\nid: MTIzOjQ1\nevent: ready\ndata: {"cursor":"MTIzOjQ1","ready":true,"openCases":[{"countyCode":"lufeng","colour":"orange","cases":"3"}]}\n\n',
          ),
          ...errorResponses(),
        },
      },
    },
  };
}

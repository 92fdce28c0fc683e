// The HTTP/JSON gateway: a route for every annotated RPC, one error shape, request ids, idempotency keys
// carried to the services, health, readiness, metrics and the OpenAPI document.
import { randomUUID } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError } from '../../common/src/errors';
import { callUnary, isServiceError, unaryMethod } from '../../common/src/grpc/client';
import type { Logger } from '../../common/src/logger';
import { Backends } from './backends';
import type { GatewayConfig } from './config';
import { httpErrorFromGrpc, httpErrorFromLocal, plainError } from './http-errors';
import { backendOf, collectRoutes, HttpRoute } from './http-rules';
import { GatewayMetrics } from './metrics';
import { csvRowsField, toCsv } from './csv';
import {
  ANNUAL_REPORT_RPC,
  AnnualReportJson,
  annualReportCsv,
  annualReportFileName,
  annualReportXlsx,
  reportFileFormat,
  XLSX_TYPE,
} from './report-files';
import { buildOpenApi, gatewayRoutesOpenApi, Paths, SchemaBuilder } from './openapi';
import { consultationEventsOpenApi, registerConsultationEvents } from './consultation-events';
import { docsPageOpenApi, registerDocsPage } from './docs-page';
import {
  dashboardPageOpenApi,
  highRiskEventsOpenApi,
  registerDashboardPage,
  registerHighRiskEvents,
} from './dashboard-page';
import { endAllStreams } from './sse';
import { objectRoutesOpenApi, registerObjectRoutes } from './objects';
import { clientTimeoutMsOf, forwardedMetadata, idempotencyKeyOf, send } from './forwarding';
import { UNTIL_DEADLINE_RETRY_POLICY } from '../../common/src/retry';
import {
  registerReplicationEvents,
  registerStatusPage,
  replicationEventsOpenApi,
  statusPageOpenApi,
} from './status-page';
import { RateLimiter } from './rate-limit';
import { ConcurrencyLimits, PROBE_PATHS, RETRY_AFTER_SECONDS, ROUTE_CLASSES, routeClassOf } from './load-shedding';
import { createRedis } from '../../common/src/cache';
import { loadCodecs, loadProtoRoot, ProtoSources } from './proto-registry';
import { transcodeRequest } from './transcode';
import { registerFhirRoutes } from './fhir/routes';
import { fhirRoutesOpenApi } from './fhir/openapi';

export interface GatewayOptions {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly protos: ProtoSources;
  readonly env: NodeJS.ProcessEnv;
}

/** A route the HTTP server serves, as Fastify registered it (`/v1/institutions/:p0`). */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly routes: readonly HttpRoute[];
  /** Every route registered on the server (Fastify's onRoute), hand-written ones and HEAD included; complete once the app is ready. */
  readonly registeredRoutes: readonly RegisteredRoute[];
  /** Marks the gateway not ready (from SIGTERM) so load balancers stop sending before it closes. */
  setDraining(): void;
  close(): Promise<void>;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
};

/** The raw object upload, bounded by GATEWAY_OBJECT_TIMEOUT_MS rather than the JSON body bound. */
const OBJECT_UPLOAD = /^\/v1\/objects\/?(\?|$)/;

/** True when the client prefers CSV (`Accept: text/csv`) over JSON. */
function wantsCsv(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/csv/i.test(accept);
}

export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const root = loadProtoRoot(options.protos);
  const routes = collectRoutes(root);
  const codecs = loadCodecs(options.protos.generatedDirs);
  const backends = new Backends(options.env);
  const metrics = new GatewayMetrics();
  const loaded = new Set(routes.map((route) => backendOf(route.service)));
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS, logger) : undefined;
  const limiter = new RateLimiter(
    redis,
    {
      perAddress: config.GATEWAY_RATE_LIMIT_PER_ADDRESS,
      perToken: config.GATEWAY_RATE_LIMIT_PER_TOKEN,
      windowSeconds: config.GATEWAY_RATE_LIMIT_WINDOW_SECONDS,
    },
    logger,
  );
  const concurrency = new ConcurrencyLimits({
    read: config.GATEWAY_MAX_IN_FLIGHT_READS,
    write: config.GATEWAY_MAX_IN_FLIGHT_WRITES,
    heavy: config.GATEWAY_MAX_IN_FLIGHT_HEAVY,
    stream: config.GATEWAY_MAX_STREAMS,
  });
  metrics.inFlight.reset();
  for (const routeClass of ROUTE_CLASSES) metrics.inFlight.set({ class: routeClass }, 0);
  let draining = false;

  const app = Fastify({
    logger: false,
    bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
    // Node's outer bound on receiving any request, object uploads included; JSON bodies have a tighter one below.
    requestTimeout:
      Math.max(config.GATEWAY_OBJECT_TIMEOUT_MS, config.GATEWAY_BODY_TIMEOUT_MS, config.GATEWAY_HEADERS_TIMEOUT_MS) +
      5_000,
    connectionTimeout: config.GATEWAY_IDLE_TIMEOUT_MS,
    keepAliveTimeout: config.GATEWAY_KEEP_ALIVE_TIMEOUT_MS,
    // Node checks the header and request bounds on this interval (30 s by default, which would stretch a 10 s bound to 40 s).
    http: {
      headersTimeout: config.GATEWAY_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(config.GATEWAY_HEADERS_TIMEOUT_MS / 4))),
    },
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // The client address feeds login throttling: only believe forwarded addresses from known proxy hops.
    trustProxy: (_address: string, hop: number) => hop < config.GATEWAY_TRUSTED_PROXY_HOPS,
  });

  const registeredRoutes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method])
      registeredRoutes.push({ method, url: route.url });
  });

  // JSON only: any other body is a 415 before it reaches a route.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    boundBodyTime(request, reply);
    // Shed before anything that costs (the rate limit's Redis call, the backend call): the slot is held until the
    // response is finished or its connection closes, which for a stream is when the subscriber leaves.
    const routeClass = routeClassOf(request.method, request.url);
    if (routeClass !== undefined) {
      if (!concurrency.tryAcquire(routeClass)) {
        metrics.shed.inc({ class: routeClass });
        reply.header('retry-after', String(RETRY_AFTER_SECONDS[routeClass]));
        const { limit } = concurrency.state()[routeClass];
        return send(
          reply,
          plainError(
            503,
            14,
            `gateway at capacity: ${limit} ${routeClass} requests in flight; retry after ${RETRY_AFTER_SECONDS[routeClass]} s`,
          ),
        );
      }
      metrics.inFlight.inc({ class: routeClass });
      reply.raw.once('close', () => {
        concurrency.release(routeClass);
        metrics.inFlight.dec({ class: routeClass });
      });
    }
    if (!limiter.enabled || PROBE_PATHS.has(request.url.split('?')[0] ?? '')) return;
    const authorization = request.headers.authorization;
    const decision = await limiter.check(request.ip, typeof authorization === 'string' ? authorization : undefined);
    if (!decision.allowed) {
      metrics.rateLimited.inc({ scope: decision.scope });
      reply.header('retry-after', String(decision.retryAfterSeconds));
      const per = decision.scope === 'address' ? 'client address' : 'access token';
      return send(
        reply,
        plainError(
          429,
          8,
          `rate limit: at most ${decision.limit} requests per ${config.GATEWAY_RATE_LIMIT_WINDOW_SECONDS} s per ${per}; retry after ${decision.retryAfterSeconds} s`,
        ),
      );
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.duration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  /** A JSON body that has not fully arrived within the bound is answered 408 and its connection closed (slowloris). */
  function boundBodyTime(request: FastifyRequest, reply: FastifyReply): void {
    const hasBody =
      request.headers['content-length'] !== undefined
        ? request.headers['content-length'] !== '0'
        : request.headers['transfer-encoding'] !== undefined;
    if (!hasBody || request.raw.complete || OBJECT_UPLOAD.test(request.url)) return;
    const timer = setTimeout(() => {
      if (request.raw.complete || reply.sent) return;
      metrics.slowClients.inc({ phase: 'body' });
      reply.raw.once('finish', () => request.raw.socket?.destroy());
      send(
        reply.header('connection', 'close'),
        plainError(408, 4, `request body not received within ${config.GATEWAY_BODY_TIMEOUT_MS} ms`),
      );
    }, config.GATEWAY_BODY_TIMEOUT_MS);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    request.raw.once('end', clear);
    request.raw.once('close', clear);
  }

  app.setNotFoundHandler((request, reply) =>
    send(reply, plainError(404, 5, `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return send(reply, plainError(413, 3, `request body exceeds ${config.GATEWAY_BODY_LIMIT_BYTES} bytes`));
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return send(reply, plainError(415, 3, 'Content-Type must be application/json'));
    if (error.statusCode === 400 || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return send(reply, httpErrorFromLocal(InvalidArgumentError.field('(body)', 'is not valid JSON'), codecs));
    }
    if (error instanceof InvalidArgumentError) return send(reply, httpErrorFromLocal(error, codecs));
    logger.error({ err: error, request_id: request.id }, 'gateway error');
    return send(reply, plainError(500, 13, 'internal error'));
  });

  app.addHook('preClose', async () => endAllStreams());

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const backendStates = backends.states(new Set(routes.map((route) => backendOf(route.service))));
    return reply.code(draining ? 503 : 200).send({
      status: draining ? 'draining' : 'ready',
      backends: backendStates,
      rateLimits: limiter.state(),
      load: concurrency.state(),
    });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  // Each hand-written route is registered with its description in /openapi.json; those that stream a backend's RPC
  // only when that backend's contract is loaded (its messages are then the document's schemas).
  const handWritten: Array<(schemas: SchemaBuilder) => Paths> = [
    gatewayRoutesOpenApi,
    statusPageOpenApi,
    docsPageOpenApi,
    dashboardPageOpenApi,
  ];
  registerStatusPage(app);
  registerDocsPage(app);
  registerDashboardPage(app);
  const sseBounds = {
    heartbeatMs: config.GATEWAY_SSE_HEARTBEAT_MS,
    firstFrameTimeoutMs: config.GATEWAY_CALL_TIMEOUT_MS,
    bufferBytes: config.GATEWAY_SSE_BUFFER_BYTES,
    onOverflow: () => metrics.slowClients.inc({ phase: 'stream' }),
  };
  if (loaded.has('CONSULTATION')) {
    registerConsultationEvents(app, backends, codecs, sseBounds);
    handWritten.push(consultationEventsOpenApi);
  }
  if (loaded.has('RECORDS')) {
    registerHighRiskEvents(app, backends, codecs, sseBounds);
    handWritten.push(highRiskEventsOpenApi);
  }
  if (loaded.has('REPLICATION')) {
    registerReplicationEvents(app, backends, codecs);
    registerObjectRoutes(app, backends, codecs, config);
    handWritten.push(replicationEventsOpenApi, objectRoutesOpenApi(config.GATEWAY_OBJECT_LIMIT_BYTES));
  }
  // FHIR R4: its CapabilityStatement (/fhir/R4/metadata) describes it; /openapi.json lists its routes.
  registerFhirRoutes(app, {
    backends,
    callTimeoutMs: config.GATEWAY_CALL_TIMEOUT_MS,
    logger,
    version: process.env.npm_package_version ?? '0.1.0',
  });
  handWritten.push(fhirRoutesOpenApi);

  for (const route of routes) {
    const requestCodec = codecs.get(route.requestType.fullName.replace(/^\./, ''));
    const responseCodec = codecs.get(route.responseType.fullName.replace(/^\./, ''));
    if (!requestCodec || !responseCodec) throw new Error(`no generated code for ${route.grpcPath}; run npm run gen`);
    const method = unaryMethod(route.grpcPath, requestCodec, responseCodec);
    const backend = backendOf(route.service);
    const csvField = route.verb === 'GET' ? csvRowsField(route.responseType) : undefined;

    app.route({
      method: route.verb,
      url: route.fastifyPath,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        let idempotencyKey: string | undefined;
        let clientTimeoutMs: number | undefined;
        let message: unknown;
        try {
          idempotencyKey = idempotencyKeyOf(request);
          clientTimeoutMs = clientTimeoutMsOf(request);
          const json = transcodeRequest(route, {
            params: request.params as Record<string, string>,
            query: request.query as Record<string, string | string[] | undefined>,
            body: request.body,
          });
          message = requestCodec.fromJSON(json);
        } catch (error) {
          return send(reply, httpErrorFromLocal(error, codecs));
        }
        const client = backends.client(backend);
        if (!client) return send(reply, plainError(503, 14, `${backend.toLowerCase()} service is not configured`));

        const metadata = forwardedMetadata(request, idempotencyKey);
        try {
          const response = await callUnary(client, method, message, {
            metadata,
            // Never past the client's own deadline: a retry that outlives it would answer nobody.
            timeoutMs: Math.min(config.GATEWAY_CALL_TIMEOUT_MS, clientTimeoutMs ?? Number.POSITIVE_INFINITY),
            // Reads, and writes the client made safe to repeat with a key, ride out a failover: retried until the
            // deadline, since a failover outlasts any fixed number of quick attempts.
            idempotent: route.verb === 'GET' || idempotencyKey !== undefined,
            retryPolicy: UNTIL_DEADLINE_RETRY_POLICY,
          });
          const json = responseCodec.toJSON(response) as Record<string, unknown>;
          if (route.grpcPath === ANNUAL_REPORT_RPC) {
            const format = reportFileFormat(
              (request.query as Record<string, string | undefined>).format,
              request.headers.accept,
            );
            const report = json as AnnualReportJson;
            if (format === 'xlsx')
              return reply
                .type(XLSX_TYPE)
                .header('content-disposition', `attachment; filename="${annualReportFileName(report, 'xlsx')}"`)
                .send(await annualReportXlsx(report));
            if (format === 'csv')
              return reply
                .type('text/csv; charset=utf-8')
                .header('content-disposition', `attachment; filename="${annualReportFileName(report, 'csv')}"`)
                .send(annualReportCsv(report));
          }
          if (csvField && wantsCsv(request.headers.accept)) {
            return reply
              .type('text/csv; charset=utf-8')
              .header('content-disposition', `attachment; filename="${route.method.name}.csv"`)
              .send(toCsv(csvField, json));
          }
          return reply.type('application/json').send(json);
        } catch (error) {
          if (isServiceError(error)) return send(reply, httpErrorFromGrpc(error, codecs, backend));
          throw error;
        }
      },
    });
  }

  const openApi = buildOpenApi({ root, routes, version: process.env.npm_package_version ?? '0.1.0', handWritten });
  app.get('/openapi.json', async () => openApi);

  return {
    app,
    routes,
    registeredRoutes,
    setDraining: () => {
      draining = true;
    },
    close: async () => {
      await app.close();
      backends.close();
      redis?.disconnect();
    },
  };
}

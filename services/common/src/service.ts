// The life of a gRPC service process, shared by every service: validated config, logger, Postgres and
// Redis, migrations, the server (health NOT_SERVING until ready), a dependency watch, and a drained
// shutdown on SIGTERM/SIGINT.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { Cache } from './cache';
import { ConfigError, ConfigOf, serviceConfigSpec } from './config';
import { UnavailableError } from './errors';
import { TokenVerifier, JwksSource } from './auth/tokens';
import { ServiceIdentity } from './auth/service-identity';
import { adaptService, Authentication, UnaryHandlers } from './grpc/adapter';
import { serviceRules } from './grpc/proto-rules';
import type { CallContext } from './grpc/context';
import { callUnary, createChannelClient } from './grpc/client';
import { IdentityServiceService } from './gen/mch/identity/v1/identity';
import { GrpcServer } from './grpc/server';
import { sweepIdempotencyKeys } from './idempotency';
import { createLogger, Logger } from './logger';
import { Database } from './pg/database';
import { isTransientBeforeCommit } from './pg/errors';
import { migrate, migrationsFor } from './pg/migrate';
import { serveMetrics, ServiceMetrics } from './metrics';
import { stopTelemetry } from './telemetry';

type ServiceConfig = ConfigOf<typeof serviceConfigSpec>;

export interface ServiceParts<C extends ServiceConfig> {
  readonly config: C;
  readonly logger: Logger;
  readonly db: Database;
  readonly cache: Cache;
  /** The service acting as itself, when the platform gave it a credential (MCH_SERVICE_CREDENTIAL). */
  readonly serviceIdentity: ServiceIdentity | undefined;
  /** Its Prometheus metrics (served on METRICS_PORT); a service may include a registry of its own. */
  readonly metrics: ServiceMetrics;
}

export interface ServiceSpec<C extends ServiceConfig, D extends ServiceDefinition> {
  /** Folder under services/ and Postgres schema, e.g. `identity`. */
  readonly service: string;
  readonly loadConfig: () => C;
  readonly protoFile: string;
  /** Fully qualified proto service name, the health check key. */
  readonly serviceName: string;
  readonly definition: D;
  /** Reference data loaded after migrations, idempotently (safe on every start). */
  readonly seed?: (parts: ServiceParts<C>) => Promise<void>;
  /** Wires repositories and returns the handlers; runs after migrations. */
  readonly build: (parts: ServiceParts<C>) => Promise<UnaryHandlers<D>>;
  /** Where token keys come from; by default identity's GetJwks over gRPC (IDENTITY_SERVICE_ADDR). */
  readonly jwks?: (parts: ServiceParts<C>) => JwksSource;
}

/** Token keys fetched from the identity service, the default for every service but identity itself. */
export function identityJwksSource(address: string | undefined): JwksSource {
  return async () => {
    if (!address) throw new Error('IDENTITY_SERVICE_ADDR is not set: tokens cannot be verified');
    const client = createChannelClient(address);
    try {
      const response = await callUnary(
        client,
        IdentityServiceService.getJwks,
        {},
        { timeoutMs: 3_000, idempotent: true },
      );
      return { keys: response.keys.map((key) => ({ ...key })) };
    } finally {
      client.close();
    }
  };
}

function serviceIdentityOf(config: ServiceConfig): ServiceIdentity | undefined {
  if (!config.MCH_SERVICE_CREDENTIAL || !config.IDENTITY_SERVICE_ADDR) return undefined;
  return new ServiceIdentity({
    serviceName: config.SERVICE_NAME,
    credential: config.MCH_SERVICE_CREDENTIAL,
    identityAddress: config.IDENTITY_SERVICE_ADDR,
  });
}

export interface RunningService {
  readonly port: number;
  stop(): Promise<void>;
}

const DEPENDENCY_CHECK_MS = 2_000;
// Long enough that a failover (~5 s) does not take every replica out of rotation at once.
const DEPENDENCY_FAILURES_BEFORE_NOT_SERVING = 5;

function loadOrExit<C>(load: () => C): C {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

async function waitForDatabase(db: Database, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.ping();
      return;
    } catch (error) {
      if (attempt === 1 || attempt % 10 === 0) logger.warn({ err: error, attempt }, 'waiting for the database');
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * attempt)));
    }
  }
}

const START_UP_RETRY_MS = 120_000;

/**
 * Runs the start-up steps, retrying transient database failures (a failover in progress: the read-write endpoint
 * briefly reaches a read-only node, or nothing) for up to two minutes.
 */
async function startUp(steps: () => Promise<void>, logger: Logger): Promise<void> {
  const began = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await steps();
    } catch (error) {
      const transient = isTransientBeforeCommit(error) || error instanceof UnavailableError;
      if (!transient || Date.now() - began > START_UP_RETRY_MS) throw error;
      logger.warn({ err: error, attempt }, 'start-up hit a transient database failure; retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt)));
    }
  }
}

/** Handlers that answer UNAVAILABLE until the real ones are built. */
function deferredHandlers<D extends ServiceDefinition>(
  definition: D,
  ref: { current?: UnaryHandlers<D> },
): UnaryHandlers<D> {
  type AnyHandler = (request: unknown, ctx: CallContext) => unknown;
  const handlers: Record<string, AnyHandler> = {};
  const current = (name: string): AnyHandler => {
    const built = ref.current as Record<string, AnyHandler> | undefined;
    if (!built) throw new UnavailableError('service is starting');
    return built[name] as AnyHandler;
  };
  for (const [name, method] of Object.entries(definition)) {
    handlers[name] = method.responseStream
      ? async function* (request, ctx) {
          yield* current(name)(request, ctx) as AsyncIterable<unknown>;
        }
      : (request, ctx) => current(name)(request, ctx);
  }
  return handlers as unknown as UnaryHandlers<D>;
}

/** Applies the service's migrations, then its seed. */
async function prepareSchema<C extends ServiceConfig, D extends ServiceDefinition>(
  spec: ServiceSpec<C, D>,
  parts: ServiceParts<C>,
): Promise<void> {
  await migrate({
    url: parts.config.DATABASE_URL,
    schema: spec.service,
    migrations: migrationsFor(spec.service),
    logger: parts.logger,
    ...(parts.config.DATABASE_SERVICE_ROLE ? { serviceRole: parts.config.DATABASE_SERVICE_ROLE } : {}),
  });
  await spec.seed?.(parts);
}

/**
 * Runs the service; `main.js migrate` instead applies migrations and seed, then exits (the Kubernetes
 * migrations Job runs that, with MIGRATE_ON_START=false on the Deployments), and `main.js sweep` deletes expired
 * idempotency keys, then exits. Both run with the owner role's DATABASE_URL: the service's own role may not delete.
 */
export async function runService<C extends ServiceConfig, D extends ServiceDefinition>(
  spec: ServiceSpec<C, D>,
): Promise<RunningService | undefined> {
  const config = loadOrExit(spec.loadConfig);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled rejection'));
  if (process.argv[2] === 'migrate') {
    await runMigrateCommand(spec, config, logger);
    return undefined;
  }
  if (process.argv[2] === 'sweep') {
    await runSweepCommand(spec, config, logger);
    return undefined;
  }

  const db = new Database({
    rwUrl: config.DATABASE_URL,
    roUrl: config.DATABASE_RO_URL,
    schema: spec.service,
    applicationName: config.SERVICE_NAME,
    poolMax: config.PG_POOL_MAX,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    commitUnknownAfterMs: config.PG_COMMIT_UNKNOWN_AFTER_MS,
    logger,
  });
  const cache = new Cache({
    url: config.REDIS_URL,
    service: spec.service,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    defaultTtlSeconds: config.CACHE_TTL_SECONDS,
    logger,
  });

  const metrics = new ServiceMetrics(config.SERVICE_NAME);
  metrics.watchPool('rw', db.rw);
  if (db.ro !== db.rw) metrics.watchPool('ro', db.ro);
  metrics.watchRedis(cache.redis);

  const ref: { current?: UnaryHandlers<D> } = {};
  const serviceIdentity = serviceIdentityOf(config);
  const parts = { config, logger, db, cache, serviceIdentity, metrics };
  const rules = serviceRules(spec.protoFile, spec.serviceName, spec.definition);
  const authentication: Authentication = {
    verifier: new TokenVerifier(spec.jwks ? spec.jwks(parts) : identityJwksSource(config.IDENTITY_SERVICE_ADDR)),
    // Methods callable without a token: the proto's `(mch.common.v1.public)` (every other one needs a valid token).
    publicMethods: rules.publicMethods,
  };
  const server = new GrpcServer({
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    reflection: config.GRPC_REFLECTION,
    logger,
    services: [
      {
        name: spec.serviceName,
        definition: spec.definition,
        implementation: adaptService(spec.definition, deferredHandlers(spec.definition, ref), {
          logger,
          authentication,
          observe: (method, code, seconds) => metrics.observeCall(method, code, seconds),
          required: rules.required,
        }),
        protoFile: spec.protoFile,
      },
    ],
  });
  const port = await server.listen();
  const metricsServer = await serveMetrics(metrics, config.METRICS_PORT, config.METRICS_HOST);
  if (metricsServer !== undefined) logger.info({ port: config.METRICS_PORT }, 'metrics on /metrics');

  let stopping = false;
  let watch: NodeJS.Timeout | undefined;

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    logger.info('shutting down: NOT_SERVING, draining calls in flight');
    await server.drain(config.SHUTDOWN_GRACE_MS);
    metricsServer?.close();
    serviceIdentity?.close();
    await Promise.allSettled([db.close(), cache.close()]);
    await stopTelemetry().catch(() => undefined);
    logger.info('stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void stop().then(() => process.exit(0)));
  }

  try {
    await startUp(async () => {
      await waitForDatabase(db, logger);
      if (config.MIGRATE_ON_START) await prepareSchema(spec, parts);
      ref.current = await spec.build(parts);
    }, logger);
  } catch (error) {
    // Never linger half-started answering "service is starting": exit, and the supervisor restarts us.
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  }
  if (stopping) return { port, stop };
  server.setServing(true);
  logger.info({ port }, 'serving');

  let failures = 0;
  let primary = await db.primaryIdentity().catch(() => undefined);
  watch = setInterval(() => {
    db.primaryIdentity().then(
      (current) => {
        if (primary !== undefined && current !== primary) {
          logger.warn(
            { previous: primary, current },
            'the primary changed (failover or switchover): cache generation bumped',
          );
          cache
            .bumpGeneration()
            .catch((error: unknown) => logger.warn({ err: error }, 'could not bump the cache generation'));
        }
        primary = current;
        if (failures >= DEPENDENCY_FAILURES_BEFORE_NOT_SERVING && !stopping) {
          server.setServing(true);
          logger.info('database reachable again: SERVING');
        }
        failures = 0;
      },
      (error: unknown) => {
        failures++;
        if (failures === DEPENDENCY_FAILURES_BEFORE_NOT_SERVING) {
          server.setServing(false);
          logger.error({ err: error }, 'database unreachable: NOT_SERVING');
        }
      },
    );
  }, DEPENDENCY_CHECK_MS);
  watch.unref();

  return { port, stop };
}

/** The database connection of a one-shot command (migrate, sweep): the owner's URL, long statements allowed. */
function commandDatabase<C extends ServiceConfig, D extends ServiceDefinition>(
  spec: ServiceSpec<C, D>,
  config: C,
  logger: Logger,
  command: string,
  poolMax: number,
): Database {
  return new Database({
    rwUrl: config.DATABASE_URL,
    schema: spec.service,
    applicationName: `${config.SERVICE_NAME}-${command}`,
    poolMax,
    statementTimeoutMs: 600_000,
    commitUnknownAfterMs: config.PG_COMMIT_UNKNOWN_AFTER_MS,
    logger,
  });
}

async function runMigrateCommand<C extends ServiceConfig, D extends ServiceDefinition>(
  spec: ServiceSpec<C, D>,
  config: C,
  logger: Logger,
): Promise<void> {
  const db = commandDatabase(spec, config, logger, 'migrate', 2);
  const cache = new Cache({
    url: config.REDIS_URL,
    service: spec.service,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    defaultTtlSeconds: config.CACHE_TTL_SECONDS,
    logger,
  });
  try {
    await waitForDatabase(db, logger);
    await prepareSchema(spec, {
      config,
      logger,
      db,
      cache,
      serviceIdentity: undefined,
      metrics: new ServiceMetrics(config.SERVICE_NAME),
    });
    logger.info('migrations and seed applied');
  } catch (error) {
    logger.fatal({ err: error }, 'migration failed');
    process.exitCode = 1;
  } finally {
    await Promise.allSettled([db.close(), cache.close()]);
    await stopTelemetry().catch(() => undefined);
  }
}

/** Deletes the idempotency keys past retention, as the owner role (the local platform schedules it hourly). */
async function runSweepCommand<C extends ServiceConfig, D extends ServiceDefinition>(
  spec: ServiceSpec<C, D>,
  config: C,
  logger: Logger,
): Promise<void> {
  const db = commandDatabase(spec, config, logger, 'sweep', 1);
  try {
    const deleted = await sweepIdempotencyKeys(db);
    logger.info({ deleted }, 'idempotency keys past retention deleted');
  } catch (error) {
    logger.fatal({ err: error }, 'sweep failed');
    process.exitCode = 1;
  } finally {
    await db.close().catch(() => undefined);
    await stopTelemetry().catch(() => undefined);
  }
}

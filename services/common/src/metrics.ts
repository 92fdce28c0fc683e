// Prometheus metrics of a service process (every gRPC service and store agent): calls by method and status
// code with their latency, the database pools, Redis errors, and the process defaults (event-loop lag, memory,
// CPU, handles). Served as Prometheus text on METRICS_PORT's /metrics; nothing is pushed anywhere.
import { createServer, type Server } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the pools expose of themselves (pg.Pool). */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

const CODE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(GrpcStatus)
    .filter(([, value]) => typeof value === 'number')
    .map(([name, value]) => [value as number, name]),
);

/** `OK`, `INVALID_ARGUMENT`, … for a gRPC status code (its number when unknown). */
export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? String(code);
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly pools = new Map<string, PoolCounts>();
  private readonly included: Registry[] = [];

  readonly calls = new Counter({
    name: 'mch_grpc_server_handled_total',
    help: 'gRPC calls answered, by service, method and status code.',
    labelNames: ['grpc_service', 'grpc_method', 'grpc_code'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'mch_grpc_server_handling_seconds',
    help: 'gRPC call latency from arrival to answer (streams: to their end), by service and method.',
    labelNames: ['grpc_service', 'grpc_method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly redisErrors = new Counter({
    name: 'mch_redis_errors_total',
    help: 'Errors the Redis client reported (connection lost, timeouts): the cache then degrades to misses.',
    registers: [this.registry],
  });

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    const pools = this.pools;
    const gauge = (name: string, help: string, read: (pool: PoolCounts) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['pool'] as const,
        registers: [this.registry],
        collect() {
          for (const [pool, counts] of pools) this.set({ pool }, read(counts));
        },
      });
    };
    gauge('mch_db_pool_connections', 'Database connections open, by pool (rw, ro).', (pool) => pool.totalCount);
    gauge(
      'mch_db_pool_in_use',
      'Database connections checked out by a query or transaction, by pool.',
      (pool) => pool.totalCount - pool.idleCount,
    );
    gauge(
      'mch_db_pool_waiting',
      'Queries waiting for a free database connection, by pool.',
      (pool) => pool.waitingCount,
    );
  }

  /** One answered call: its path (`/mch.records.v1.RecordsService/GetRecord`), gRPC status code and seconds taken. */
  observeCall(path: string, code: number, seconds: number): void {
    const slash = path.lastIndexOf('/');
    const labels = { grpc_service: path.slice(1, slash), grpc_method: path.slice(slash + 1) };
    this.calls.inc({ ...labels, grpc_code: grpcCodeName(code) });
    this.duration.observe(labels, seconds);
  }

  /** A registry of the service's own (e.g. replication's RPO and exposure gauges), served with these. */
  include(registry: Registry): void {
    this.included.push(registry);
  }

  /** The Prometheus text of every metric, the included registries' too. */
  async text(): Promise<{ contentType: string; body: string }> {
    const registry = this.included.length === 0 ? this.registry : Registry.merge([this.registry, ...this.included]);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  watchPool(name: string, pool: PoolCounts): void {
    this.pools.set(name, pool);
  }

  /** Counts the client's errors (an ioredis client, or anything that emits 'error'). */
  watchRedis(client: { on(event: 'error', listener: (error: Error) => void): unknown }): void {
    client.on('error', () => this.redisErrors.inc());
  }
}

/** Serves `/metrics` (Prometheus text) on host:port; port 0 serves nothing and answers undefined. Anything else is 404. */
export async function serveMetrics(metrics: ServiceMetrics, port: number, host: string): Promise<Server | undefined> {
  if (port === 0) return undefined;
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: only GET /metrics\n');
      return;
    }
    metrics.text().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

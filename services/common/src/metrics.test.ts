// A service's Prometheus metrics: calls counted by service, method and status code name, pool gauges read at
// scrape time, included registries served with the rest, and only GET /metrics answered.
import { EventEmitter } from 'node:events';
import { status } from '@grpc/grpc-js';
import { Gauge, Registry } from 'prom-client';
import { grpcCodeName, serveMetrics, ServiceMetrics } from './metrics';

describe('service metrics', () => {
  it('counts each answered call by service, method and code name, with its latency', async () => {
    const metrics = new ServiceMetrics('records');
    metrics.observeCall('/mch.records.v1.RecordsService/GetRecord', status.OK, 0.012);
    metrics.observeCall('/mch.records.v1.RecordsService/GetRecord', status.OK, 0.02);
    metrics.observeCall('/mch.records.v1.RecordsService/GetRecord', status.INVALID_ARGUMENT, 0.001);
    const { body } = await metrics.text();
    expect(body).toContain(
      'mch_grpc_server_handled_total{grpc_service="mch.records.v1.RecordsService",grpc_method="GetRecord",grpc_code="OK",service="records"} 2',
    );
    expect(body).toContain('grpc_code="INVALID_ARGUMENT",service="records"} 1');
    expect(body).toContain(
      'mch_grpc_server_handling_seconds_count{service="records",grpc_service="mch.records.v1.RecordsService",grpc_method="GetRecord"} 3',
    );
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds\{service="records"\} /m);
    expect(body).toMatch(/^process_resident_memory_bytes\{service="records"\} /m);
  });

  it('reads the pools at scrape time and counts Redis errors', async () => {
    const metrics = new ServiceMetrics('identity');
    const pool = { totalCount: 4, idleCount: 1, waitingCount: 0 };
    metrics.watchPool('rw', pool);
    const redis = new EventEmitter();
    metrics.watchRedis(redis);
    pool.waitingCount = 3;
    redis.emit('error', new Error('connection lost'));
    const { body } = await metrics.text();
    expect(body).toContain('mch_db_pool_connections{pool="rw",service="identity"} 4');
    expect(body).toContain('mch_db_pool_in_use{pool="rw",service="identity"} 3');
    expect(body).toContain('mch_db_pool_waiting{pool="rw",service="identity"} 3');
    expect(body).toContain('mch_redis_errors_total{service="identity"} 1');
  });

  it('serves an included registry with its own, on GET /metrics only', async () => {
    const metrics = new ServiceMetrics('replication');
    const own = new Registry();
    new Gauge({ name: 'mch_replication_exposed', help: 'exposure', registers: [own] }).set(1);
    metrics.include(own);
    const server = await serveMetrics(metrics, 0 + (await freePort()), '127.0.0.1');
    try {
      const address = server?.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toContain('text/plain');
      const text = await scraped.text();
      expect(text).toContain('mch_replication_exposed 1');
      expect(text).toContain('mch_grpc_server_handled_total');
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      server?.close();
    }
  });

  it('port 0 serves nothing; code names are grpc-js names', async () => {
    expect(await serveMetrics(new ServiceMetrics('x'), 0, '127.0.0.1')).toBeUndefined();
    expect([grpcCodeName(0), grpcCodeName(14), grpcCodeName(99)]).toEqual(['OK', 'UNAVAILABLE', '99']);
  });
});

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

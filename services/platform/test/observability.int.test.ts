// Every service observable without pushing anything: each metrics endpoint of the run's platform answers
// Prometheus text whose call counter moves when a call is made, and with no OTEL_* variable set a process that
// starts the shared telemetry opens no connection to the OTLP port (while the same process does once a variable
// asks for OTLP: the check can fail).
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { readTestPlatform } from './platform-env';

const platform = readTestPlatform();

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect({ url, status: response.status }).toEqual({ url, status: 200 });
  return response.text();
}

/** The value of one sample line (metric name and exact label set as the text has them), 0 when absent. */
function sample(text: string, metric: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const labelText = line.slice(metric.length + 1, line.indexOf('}'));
    const found = Object.fromEntries(
      labelText
        .split(',')
        .map((pair) => [pair.slice(0, pair.indexOf('=')), JSON.parse(pair.slice(pair.indexOf('=') + 1)) as string]),
    );
    if (Object.entries(labels).every(([name, value]) => found[name] === value))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('metrics of every service', () => {
  it('status lists a metrics endpoint for the gateway and every gRPC service and store agent that runs', () => {
    const withMetrics = Object.keys(platform.metricsUrls).sort();
    const running = [
      ...Object.keys(platform.serviceAddresses),
      ...Object.keys(platform.objectStores).map((zone) => `objects-${zone}`),
    ].sort();
    expect(withMetrics).toEqual(running);
    for (const url of Object.values(platform.metricsUrls)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  });

  it.each(Object.entries(platform.metricsUrls))(
    '%s answers Prometheus text with process and event-loop figures',
    async (_name, url) => {
      const text = await scrape(url);
      expect(text).toMatch(/^(mch_gateway_)?process_resident_memory_bytes(\{[^}]*\})? \d/m);
      expect(text).toMatch(/^(mch_gateway_)?nodejs_eventloop_lag_seconds(\{[^}]*\})? /m);
    },
  );

  it("identity's call counter and latency histogram move when the gateway calls it; its pools and Redis are watched", async () => {
    const url = platform.metricsUrls['identity'] as string;
    const labels = {
      grpc_service: 'mch.identity.v1.IdentityService',
      grpc_method: 'ListInstitutions',
      grpc_code: 'OK',
    };
    const before = await scrape(url);
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${platform.gatewayUrl}/v1/institutions?pageSize=1`)).status).toBe(200);
    // A bad page size is refused by identity, not by the gateway: its code is counted too.
    expect((await fetch(`${platform.gatewayUrl}/v1/institutions?pageSize=-1`)).status).toBe(400);
    const after = await scrape(url);
    expect(
      sample(after, 'mch_grpc_server_handled_total', labels) - sample(before, 'mch_grpc_server_handled_total', labels),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sample(after, 'mch_grpc_server_handled_total', { ...labels, grpc_code: 'INVALID_ARGUMENT' }),
    ).toBeGreaterThanOrEqual(1);
    const count = (text: string): number =>
      sample(text, 'mch_grpc_server_handling_seconds_count', { grpc_method: 'ListInstitutions' });
    expect(count(after) - count(before)).toBeGreaterThanOrEqual(4);
    expect(after).toMatch(/^mch_db_pool_connections\{pool="rw",service="identity"\} \d+/m);
    expect(after).toMatch(/^mch_db_pool_waiting\{pool="rw",service="identity"\} \d+/m);
    expect(after).toMatch(/^mch_redis_errors_total\{service="identity"\} \d+/m);
  });
});

/** Connections accepted on 127.0.0.1:4318 (the OTLP/HTTP default) while `run` runs. */
async function otlpConnectionsDuring(run: () => Promise<void>): Promise<number> {
  let connections = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.push(socket);
    socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`port 4318 must be free for this test: ${String(error)}`)));
    server.listen(4318, '127.0.0.1', () => resolve());
  });
  try {
    await run();
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  return connections;
}

/** A process that starts the shared telemetry, makes an instrumented HTTP call, then shuts telemetry down (flushing). */
function telemetryProbe(env: NodeJS.ProcessEnv): Promise<void> {
  const telemetry = path.join(__dirname, '../../../dist/services/common/src/telemetry.js');
  const script = `
    const telemetry = require(${JSON.stringify(telemetry)});
    telemetry.startTelemetry('probe');
    const http = require('node:http');
    const server = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
      http.get('http://127.0.0.1:' + server.address().port + '/', (res) => {
        res.resume();
        res.on('end', () => setTimeout(() => telemetry.stopTelemetry().finally(() => { server.close(); process.exit(0); }), 300));
      });
    });`;
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_') && name !== 'MCH_TRACE_FILE'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...clean, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`probe exited ${String(code)}: ${stderr}`))));
  });
}

describe('OpenTelemetry by the standard variables', () => {
  it('with no OTEL variable set, nothing connects to the OTLP port', async () => {
    expect(await otlpConnectionsDuring(() => telemetryProbe({}))).toBe(0);
  });

  it.each([
    ['traces', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'always_on' }],
    // The SDK's own default when the variable is unset, and what every service did before: metrics pushed to :4318.
    ['metrics', { OTEL_METRICS_EXPORTER: 'otlp' }],
  ])('asked for OTLP %s, the same probe does connect (the check above can fail)', async (_signal, env) => {
    expect(await otlpConnectionsDuring(() => telemetryProbe(env))).toBeGreaterThan(0);
  });
});

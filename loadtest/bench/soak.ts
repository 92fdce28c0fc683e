// `npm run soak`: a bounded soak against a running platform (`npm start`), by hand, never in CI. It measures the
// peak of a read-and-write mix through the gateway (closed loop, BENCH_CONNECTIONS connections), then holds a fixed
// arrival rate of SOAK_SHARE (default 0.7) of that peak for SOAK_MINUTES (default 30), one window of
// SOAK_WINDOW_SECONDS (default 60) after another, and prints per window: the rate achieved, p50/p99, errors, non-2xx
// answers (and how many of them the gateway shed), and the resident memory of every platform process. The closing
// lines compare the first and the last windows: flat memory and no error growth is the pass. Loopback only.
//
// The mix: nine reads for each write. Reads: a woman's record (audited: each read writes its audit row), /v1/me,
// nearby institutions. Writes: a new woman registered under a fresh idempotency key (the tables grow, one record
// does not, so latency does not drift for a reason that is not the platform's).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { percentile } from './figures';
import { type ComponentMemory, platformMemory } from './memory';
import { benchPatient } from './patient';

const gatewayUrl = process.env.MCH_GATEWAY_URL ?? 'http://127.0.0.1:8080';
const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const share = Number(process.env.SOAK_SHARE ?? 0.7);
const windowSeconds = Number(process.env.SOAK_WINDOW_SECONDS ?? 60);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

interface Window {
  minute: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  shed: number;
  memory: ComponentMemory[];
}

let sequence = 0;

function mix(token: string, patientId: string): autocannon.Request[] {
  const headers = { authorization: `Bearer ${token}`, 'x-mch-purpose': 'treatment' };
  const read = (requestPath: string): autocannon.Request => ({ method: 'GET', path: requestPath, headers });
  const register: autocannon.Request = {
    method: 'POST',
    path: '/v1/patients',
    setupRequest: (request) => {
      sequence += 1;
      const key = `soak-${process.pid}-${sequence}`;
      const body = JSON.stringify({
        name: `soak${process.pid}x${sequence}`,
        birthDate: '1994-03-1' + String(sequence % 9),
        sex: 'SEX_FEMALE',
        countyCode: 'lufeng',
      });
      return { ...request, headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': key }, body };
    },
  };
  const record = read(`/v1/patients/${patientId}/record`);
  return [
    record,
    read('/v1/me'),
    record,
    read('/v1/institutions?near=25.03,101.55'),
    record,
    read('/v1/me'),
    record,
    record,
    read('/v1/me'),
    register,
  ];
}

/** One autocannon run; `overallRate` undefined is a closed loop (the peak), else a fixed arrival rate. */
async function run(
  requests: autocannon.Request[],
  seconds: number,
  overallRate?: number,
): Promise<Omit<Window, 'minute' | 'memory'>> {
  const latencies: number[] = [];
  let shed = 0;
  const instance = autocannon({
    url: gatewayUrl,
    connections,
    duration: seconds,
    requests,
    ...(overallRate ? { overallRate } : {}),
  }) as unknown as NodeJS.EventEmitter;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    else if (statusCode === 503) shed += 1;
  });
  const result = await (instance as unknown as Promise<autocannon.Result>);
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    shed,
  };
}

function nodeRss(memory: readonly ComponentMemory[]): Map<string, number> {
  return new Map(
    memory
      .filter((entry) => !/^(az-|etcd|haproxy|redis)/.test(entry.component))
      .map((entry) => [entry.component, entry.rssMiB]),
  );
}

async function main(): Promise<void> {
  const login = await fetch(`${gatewayUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lufeng.clinician', password: 'mch-demo-2026!' }),
  }).catch(() => undefined);
  if (!login?.ok) {
    process.stderr.write(
      `no platform answers at ${gatewayUrl}; start it with \`npm start\` (or set MCH_GATEWAY_URL)\n`,
    );
    process.exit(2);
  }
  const token = ((await login.json()) as { tokens: { accessToken: string } }).tokens.accessToken;
  const patient = await benchPatient(gatewayUrl, { authorization: `Bearer ${token}`, 'x-mch-purpose': 'treatment' });
  if (!patient) throw new Error('could not register the soak patient');
  const requests = mix(token, patient.patientId);

  await run(requests, 3);
  const peak = await run(requests, 10);
  const rate = Math.max(1, Math.round(peak.requestsPerSecond * share));
  process.stderr.write(
    `peak ${peak.requestsPerSecond} req/s (closed loop, ${connections} connections, p99 ${peak.p99Ms} ms); soaking at ${rate} req/s (${share} of it) for ${minutes} min\n`,
  );

  const windows: Window[] = [];
  const began = Date.now();
  while (Date.now() - began < minutes * 60_000) {
    const figures = await run(requests, windowSeconds, rate);
    const window: Window = {
      minute: Math.round((Date.now() - began) / 6_000) / 10,
      ...figures,
      memory: platformMemory(),
    };
    windows.push(window);
    const rss = [...nodeRss(window.memory)].map(([name, mib]) => `${name} ${mib}`).join(', ');
    process.stderr.write(
      `  ${window.minute} min: ${window.requestsPerSecond}/s p50 ${window.p50Ms} ms p99 ${window.p99Ms} ms, errors ${window.errors}, non-2xx ${window.non2xx} (shed ${window.shed}); RSS MiB ${rss}\n`,
    );
  }

  const first = windows[0];
  const last = windows[windows.length - 1];
  if (!first || !last) throw new Error('no soak window ran');
  const components = [...nodeRss(first.memory).keys()];
  const header = `soak at ${rate} req/s = ${share} of a ${peak.requestsPerSecond} req/s peak, ${minutes} min in ${windowSeconds} s windows, ${connections} connections; machine: ${cpus().length} cores, load average ${loadavg()
    .map((load) => load.toFixed(1))
    .join(' ')}`;
  const table = [
    `| minute | req/s | p50 ms | p99 ms | errors | non-2xx | shed | ${components.map((name) => `${name} MiB`).join(' | ')} |`,
    `|---:|---:|---:|---:|---:|---:|---:|${components.map(() => '---:').join('|')}|`,
    ...windows.map(
      (w) =>
        `| ${w.minute} | ${w.requestsPerSecond} | ${w.p50Ms} | ${w.p99Ms} | ${w.errors} | ${w.non2xx} | ${w.shed} | ${components.map((name) => nodeRss(w.memory).get(name) ?? '-').join(' | ')} |`,
    ),
  ].join('\n');
  const half = Math.floor(windows.length / 2);
  const failures = (list: Window[]) => list.reduce((sum, w) => sum + w.errors + w.non2xx, 0);
  const growth = components.map((name) => {
    const from = nodeRss(first.memory).get(name) ?? 0;
    const to = nodeRss(last.memory).get(name) ?? 0;
    return `${name} ${from} -> ${to} MiB (${from > 0 ? `${(((to - from) / from) * 100).toFixed(0)}%` : '-'})`;
  });
  const verdict = `memory first -> last window: ${growth.join(', ')}\nerrors + non-2xx: first half ${failures(windows.slice(0, half))}, second half ${failures(windows.slice(half))}`;
  const report = `${header}\n\n${table}\n\n${verdict}\n`;
  process.stdout.write(report);
  const out = path.resolve(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(path.join(out, `soak-${stamp}.json`), JSON.stringify({ header, peak, rate, windows }, null, 2));
  writeFileSync(path.join(out, `soak-${stamp}.md`), report);
  process.stderr.write(`written: bench-results/soak-${stamp}.{json,md}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

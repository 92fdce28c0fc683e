// `node dist/loadtest/bench/record-reads.js`: record reads through the gateway, cold (the first read of a new
// version) against cached (the same version again), one at a time and under concurrency. Runs against a platform
// already started (MCH_GATEWAY_URL, default http://127.0.0.1:8080); BENCH_CONNECTIONS (comma list, default 10,50),
// BENCH_DURATION_SECONDS (default 10), BENCH_SERIAL_PAIRS (default 40). With BENCH_COMPARE_URL (another platform's
// gateway, e.g. one built from main) it instead alternates 5 s rounds between the two, so that both see the same
// machine load: BENCH_ROUNDS (default 4) rounds at each connection count.
import autocannon from 'autocannon';
import { percentile } from './figures';
import { benchPatient } from './patient';

const gatewayUrl = process.env.MCH_GATEWAY_URL ?? 'http://127.0.0.1:8080';
const durationSeconds = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const connectionCounts = (process.env.BENCH_CONNECTIONS ?? '10,50').split(',').map(Number);
const serialPairs = Number(process.env.BENCH_SERIAL_PAIRS ?? 40);

async function timed(run: () => Promise<Response>): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await run();
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`read answered ${response.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const json = { 'content-type': 'application/json' };

async function clinicianOf(gateway: string): Promise<Record<string, string>> {
  const login = await fetch(`${gateway}/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username: 'lufeng.clinician', password: 'mch-demo-2026!' }),
  });
  if (!login.ok) throw new Error(`login: ${login.status}`);
  const token = ((await login.json()) as { tokens: { accessToken: string } }).tokens.accessToken;
  return { authorization: `Bearer ${token}`, 'x-mch-purpose': 'treatment' };
}

/** Alternating rounds against this gateway and BENCH_COMPARE_URL. */
async function compare(otherUrl: string): Promise<void> {
  const targets: [string, { url: string; headers: Record<string, string> }][] = [];
  for (const [name, gateway] of [
    ['compared', otherUrl],
    ['this', gatewayUrl],
  ] as const) {
    const headers = await clinicianOf(gateway);
    const bench = await benchPatient(gateway, headers);
    if (!bench) process.exit(2);
    targets.push([`${name} (${gateway})`, { url: `${gateway}/v1/patients/${bench.patientId}/record`, headers }]);
  }
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const lines: string[] = [];
  for (const connections of connectionCounts) {
    const figures = new Map<string, string[]>();
    for (let round = 0; round < rounds; round++) {
      for (const [name, target] of round % 2 ? [...targets].reverse() : targets) {
        const result = await autocannon({ ...target, connections, duration: 5 });
        figures.set(name, [
          ...(figures.get(name) ?? []),
          `${Math.round(result.requests.average)}/s p50 ${result.latency.p50} ms`,
        ]);
      }
    }
    for (const [name, list] of figures) lines.push(`${connections} connections, ${name}: ${list.join(' | ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  if (process.env.BENCH_COMPARE_URL) return compare(process.env.BENCH_COMPARE_URL);
  const headers = await clinicianOf(gatewayUrl);
  const bench = await benchPatient(gatewayUrl, headers);
  if (!bench) process.exit(2);
  const recordUrl = `${gatewayUrl}/v1/patients/${bench.patientId}/record`;
  const read = (): Promise<Response> => fetch(recordUrl, { headers });
  const visitDate = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

  // Serial: each write makes a new version, so the read after it is cold and the one after that is cached.
  const cold: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < serialPairs; i++) {
    const write = await fetch(`${gatewayUrl}/v1/pregnancies/${bench.pregnancyId}/visits`, {
      method: 'POST',
      headers: { ...headers, ...json, 'idempotency-key': `bench-read-${Date.now()}-${i}` },
      body: JSON.stringify({ visitDate, systolicBp: 110 + (i % 10), diastolicBp: 70 }),
    });
    if (!write.ok) throw new Error(`visit: ${write.status}`);
    cold.push(await timed(read));
    cached.push(await timed(read));
  }
  cold.sort((a, b) => a - b);
  cached.sort((a, b) => a - b);
  const lines = [
    `record of ${serialPairs + 1} antenatal visits; serial reads, ${serialPairs} each`,
    '| read | p50 ms | p90 ms | max ms |',
    '|---|---:|---:|---:|',
    `| cold (first read of a new version) | ${percentile(cold, 0.5)} | ${percentile(cold, 0.9)} | ${percentile(cold, 1)} |`,
    `| cached (same version again) | ${percentile(cached, 0.5)} | ${percentile(cached, 0.9)} | ${percentile(cached, 1)} |`,
    '',
    `concurrent reads of one version (autocannon, ${durationSeconds} s after a 2 s warm-up)`,
    '| connections | req/s | p50 ms | p90 ms | p99 ms | errors | non-2xx |',
    '|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const connections of connectionCounts) {
    const options = { url: recordUrl, connections, headers };
    await autocannon({ ...options, duration: 2 });
    const result = await autocannon({ ...options, duration: durationSeconds });
    lines.push(
      `| ${connections} | ${Math.round(result.requests.average)} | ${result.latency.p50} | ${result.latency.p90} | ${result.latency.p99} | ${result.errors + result.timeouts} | ${result.non2xx} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

void main();

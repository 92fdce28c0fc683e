// `npm run bench:objects`: object upload and download throughput through the gateway for 1 MB and 20 MB objects,
// with both zones' store agents up and with zone b's agent down, on a throwaway platform of its own (identity,
// replication, gateway on free ports). Prints MB/s and per-object latency; asserts nothing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startPlatform, type Platform } from '../../services/platform/src/platform';

const DEMO_PASSWORD = 'mch-demo-2026!';
const MB = 1024 * 1024;
const SIZES = [
  { label: '1 MB', bytes: MB, count: Number(process.env.BENCH_OBJECTS_1MB ?? 40), concurrency: 4 },
  { label: '20 MB', bytes: 20 * MB, count: Number(process.env.BENCH_OBJECTS_20MB ?? 6), concurrency: 2 },
];

interface Figures {
  readonly label: string;
  readonly zones: string;
  readonly direction: 'upload' | 'download';
  readonly objects: number;
  readonly mbPerSecond: number;
  readonly p50Ms: number;
  readonly maxMs: number;
  readonly failures: number;
}

async function login(gatewayUrl: string, username: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  if (!response.ok) throw new Error(`login ${username}: ${response.status}`);
  return ((await response.json()) as { tokens: { accessToken: string } }).tokens.accessToken;
}

async function registerPatient(gatewayUrl: string, token: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/v1/patients`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-mch-purpose': 'registration',
      'idempotency-key': `bench-${Date.now()}-${Math.random()}`,
    },
    body: JSON.stringify({ name: '基准影像', birthDate: '1994-06-01', sex: 'SEX_FEMALE', countyCode: 'lufeng' }),
  });
  if (!response.ok) throw new Error(`register: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { patient: { id: string } }).patient.id;
}

/** Runs `count` tasks, `concurrency` at a time; returns each task's duration and the wall time. */
async function timed(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<boolean>,
): Promise<{ durations: number[]; wallMs: number; failures: number }> {
  const durations: number[] = [];
  let failures = 0;
  let next = 0;
  const began = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < count; index = next++) {
        const started = Date.now();
        if (await task(index)) durations.push(Date.now() - started);
        else failures++;
      }
    }),
  );
  return { durations, wallMs: Date.now() - began, failures };
}

function figures(
  label: string,
  zones: string,
  direction: 'upload' | 'download',
  bytes: number,
  run: { durations: number[]; wallMs: number; failures: number },
): Figures {
  const sorted = [...run.durations].sort((a, b) => a - b);
  return {
    label,
    zones,
    direction,
    objects: sorted.length,
    mbPerSecond: Math.round(((sorted.length * bytes) / MB / (run.wallMs / 1000)) * 10) / 10,
    p50Ms: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    maxMs: sorted[sorted.length - 1] ?? NaN,
    failures: run.failures,
  };
}

async function measure(
  platform: Platform,
  token: string,
  patientId: string,
  zones: string,
  sizes: typeof SIZES = SIZES,
): Promise<Figures[]> {
  const rows: Figures[] = [];
  for (const size of sizes) {
    // Distinct bytes per object (content addressing would otherwise make every upload after the first a no-op).
    const bodies = Array.from({ length: size.count }, () => randomBytes(size.bytes));
    const ids: string[] = [];
    const upload = await timed(size.count, size.concurrency, async (index) => {
      const response = await fetch(`${platform.gatewayUrl}/v1/objects?reference=patient:${patientId}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'x-mch-purpose': 'treatment',
          'content-type': 'application/dicom',
          'idempotency-key': `bench-${Date.now()}-${index}-${Math.random()}`,
        },
        body: bodies[index],
      });
      await response.arrayBuffer();
      if (response.status !== 201) return false;
      ids[index] = createHash('sha256')
        .update(bodies[index] as Buffer)
        .digest('hex');
      return true;
    });
    rows.push(figures(size.label, zones, 'upload', size.bytes, upload));
    const download = await timed(size.count, size.concurrency, async (index) => {
      const id = ids[index];
      if (!id) return false;
      const response = await fetch(`${platform.gatewayUrl}/v1/objects/${id}`, {
        headers: { authorization: `Bearer ${token}`, 'x-mch-purpose': 'treatment' },
      });
      const body = Buffer.from(await response.arrayBuffer());
      return response.status === 200 && body.length === size.bytes;
    });
    rows.push(figures(size.label, zones, 'download', size.bytes, download));
  }
  return rows;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mch-bench-objects-'));
  const platform = await startPlatform({
    dataDir,
    ports: 'free',
    services: ['identity', 'replication', 'gateway'],
    log: () => undefined,
  });
  try {
    const token = await login(platform.gatewayUrl, 'lufeng.midwife');
    const patientId = await registerPatient(platform.gatewayUrl, token);
    // Warm-up (connections, JIT), not reported.
    await measure(platform, token, patientId, 'warm-up', [{ label: 'warm-up', bytes: MB, count: 8, concurrency: 2 }]);
    const rows = await measure(platform, token, patientId, 'both zones');
    await platform.stopObjectStore('az-b');
    rows.push(...(await measure(platform, token, patientId, 'az-b agent down')));
    await platform.startObjectStore('az-b');
    console.log(
      `object throughput through the gateway (loopback, ${cpus().length} cores, load average ${loadavg()
        .map((load) => load.toFixed(1))
        .join(' ')}): concurrency 4 for 1 MB, 2 for 20 MB`,
    );
    console.log(['size', 'zones', 'direction', 'objects', 'MB/s', 'p50 ms', 'max ms', 'failed'].join('\t'));
    for (const row of rows)
      console.log(
        [row.label, row.zones, row.direction, row.objects, row.mbPerSecond, row.p50Ms, row.maxMs, row.failures].join(
          '\t',
        ),
      );
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

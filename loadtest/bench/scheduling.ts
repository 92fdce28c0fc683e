// Scheduling figures for `npm run bench`: booking throughput through the gateway (every booking a synchronously
// replicated commit) beside pgbench on the same database pair, for the ceiling the database sets.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { platformStateFile, defaultDataDir } from '../../services/platform/src/platform';
import { closedLoop, percentile, type Row } from './figures';

type Json = Record<string, any>;

async function post(
  gatewayUrl: string,
  route: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${gatewayUrl}${route}`, {
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/json',
      'idempotency-key': `bench-${Date.now()}-${Math.random()}`,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/**
 * Books free antenatal slots of the next two weeks across every institution, `concurrency` at a time, each for a
 * woman who holds nothing at that time, for `durationSeconds` or until the jobs run out.
 */
export async function bookingThroughput(
  gatewayUrl: string,
  headers: Record<string, string>,
  durationSeconds: number,
  concurrency: number,
): Promise<Row | undefined> {
  const women: string[] = [];
  for (let batch = 0; batch < 10; batch++) {
    const registered = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const birthDate = `198${Math.floor(Math.random() * 9)}-0${1 + Math.floor(Math.random() * 8)}-1${Math.floor(Math.random() * 9)}`;
        const answer = await post(gatewayUrl, '/v1/patients', headers, {
          name: `bench${Math.random().toString(36).slice(2, 8)}`,
          birthDate,
          sex: 'SEX_FEMALE',
          countyCode: 'lufeng',
        });
        return answer.status === 200 ? (answer.body.patient.id as string) : undefined;
      }),
    );
    women.push(...registered.filter((id): id is string => id !== undefined));
  }
  if (women.length === 0) return undefined;
  // Free capacity, earliest first, from a day ahead (nothing starts while the bench runs).
  const from = new Date(Date.now() + 86_400_000).toISOString();
  const jobs: Array<{ patientId: string; institutionId: string; start: string }> = [];
  const takenAt = new Map<string, number>();
  let pageToken = '';
  do {
    const response = await fetch(
      `${gatewayUrl}/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&from=${encodeURIComponent(from)}&pageSize=200&pageToken=${pageToken}`,
      { headers },
    );
    if (response.status !== 200) return undefined;
    const page = (await response.json()) as Json;
    for (const slot of page.slots ?? []) {
      for (let place = 0; place < slot.free; place++) {
        const used = takenAt.get(slot.start) ?? 0;
        if (used >= women.length) break;
        takenAt.set(slot.start, used + 1);
        jobs.push({ patientId: women[used] as string, institutionId: slot.institutionId, start: slot.start });
      }
    }
    pageToken = page.nextPageToken ?? '';
  } while (pageToken && jobs.length < 20_000);
  // Residents book different slots: shuffled, so that bookings do not all queue on one slot's row lock at a time.
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [jobs[i], jobs[j]] = [jobs[j] as (typeof jobs)[number], jobs[i] as (typeof jobs)[number]];
  }
  let next = 0;
  let booked = 0;
  const row = await closedLoop('POST /v1/appointments', concurrency, durationSeconds, async () => {
    const job = jobs[next++];
    if (job === undefined) return undefined;
    const answer = await post(gatewayUrl, '/v1/appointments', headers, {
      ...job,
      service: 'SERVICE_TYPE_ANTENATAL_CHECK',
    });
    if (answer.status !== 200) return 'refused';
    booked++;
    return 'ok';
  });
  row.name = `POST /v1/appointments, ${concurrency} in flight (booked: ${booked}; each a synchronous commit)`;
  return row;
}

/** The platform's read-write URL: MCH_DATABASE_URL, else the platform.json of MCH_DATA_DIR (as `npm start` writes it). */
function databaseUrl(): string | undefined {
  if (process.env.MCH_DATABASE_URL) return process.env.MCH_DATABASE_URL;
  const state = platformStateFile(defaultDataDir());
  return existsSync(state)
    ? ((JSON.parse(readFileSync(state, 'utf8')) as { rwUrl?: string }).rwUrl ?? undefined)
    : undefined;
}

/**
 * pgbench's TPC-B-like transaction (three updates, a select and an insert) on the same pair through the same HAProxy
 * port, in a schema of its own; percentiles from its per-transaction log.
 */
export async function pgbench(durationSeconds: number, clients: number): Promise<Row | undefined> {
  const url = databaseUrl();
  const binary = ['/usr/lib/postgresql/15/bin/pgbench', '/usr/bin/pgbench'].find((candidate) => existsSync(candidate));
  if (!url || !binary) {
    process.stderr.write('pgbench row skipped: no pgbench binary or no platform database URL (MCH_DATABASE_URL)\n');
    return undefined;
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('CREATE SCHEMA IF NOT EXISTS pgbench');
  await client.end();
  const env = { ...process.env, PGOPTIONS: '-c search_path=pgbench' };
  const init = spawnSync(binary, ['-i', '-s', '10', '-q', url], { env, encoding: 'utf8' });
  if (init.status !== 0) {
    process.stderr.write(`pgbench -i failed: ${init.stderr}\n`);
    return undefined;
  }
  const logDir = mkdtempSync(path.join(tmpdir(), 'mch-pgbench-'));
  const run = spawnSync(
    binary,
    [
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(durationSeconds),
      '-l',
      `--log-prefix=${path.join(logDir, 'tx')}`,
      url,
    ],
    { env, encoding: 'utf8', cwd: logDir },
  );
  // Per-transaction log lines: client, transaction, latency in µs, ...
  const latencies: number[] = [];
  for (const file of readdirSync(logDir)) {
    for (const line of readFileSync(path.join(logDir, file), 'utf8').split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (Number.isFinite(micros) && micros > 0) latencies.push(micros / 1000);
    }
  }
  rmSync(logDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(run.stdout)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(run.stdout)?.[1];
  const failed = /number of failed transactions: (\d+)/.exec(run.stdout)?.[1];
  if (run.status !== 0 || !tps) {
    process.stderr.write(`pgbench failed: ${run.stderr}\n`);
    return undefined;
  }
  return {
    name: `pgbench TPC-B-like, scale 10, ${clients} clients (same pair, synchronous commit)`,
    requestsPerSecond: Math.round(Number(tps)),
    p50Ms: latencies.length > 0 ? percentile(latencies, 0.5) : Number(latency ?? 0),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    errors: Number(failed ?? 0),
    non2xx: 0,
    ratio: 'the database ceiling for replicated writes',
  };
}

// `npm run bench`: figures for this machine, each beside the raw ceiling it is bounded by. Runs against a
// platform already started with `npm start` (MCH_GATEWAY_URL, default http://127.0.0.1:8080).
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { JSONWebKeySet } from 'jose';
import { TokenVerifier } from '../../services/common/src/auth/tokens';
import { bookingThroughput, pgbench } from './scheduling';

interface Row {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  ratio?: string;
}

const gatewayUrl = process.env.MCH_GATEWAY_URL ?? 'http://127.0.0.1:8080';
const durationSeconds = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

interface Target {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly connections?: number;
  readonly requests?: autocannon.Request[];
}

async function measure(name: string, url: string, target: Target = {}): Promise<Row> {
  const options = { url, connections: target.connections ?? connections, method: target.method ?? 'GET', headers: target.headers, body: target.body, requests: target.requests };
  // Warm up caches and connections, then measure.
  await autocannon({ ...options, duration: 2 });
  const result = await autocannon({ ...options, duration: durationSeconds });
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Token verification alone (EdDSA signature and claims), in this process, against identity's published keys. */
async function verifyInProcess(token: string): Promise<Row> {
  const jwks = (await (await fetch(`${gatewayUrl}/v1/auth/jwks`)).json()) as JSONWebKeySet;
  const verifier = new TokenVerifier(async () => ({ keys: jwks.keys }));
  await verifier.verify(token);
  const latencies: number[] = [];
  const until = Date.now() + durationSeconds * 1000;
  let count = 0;
  while (Date.now() < until) {
    const started = process.hrtime.bigint();
    await verifier.verify(token);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    count++;
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0) * 1000) / 1000;
  return { name: 'token verification in process (TokenVerifier, one core)', requestsPerSecond: Math.round(count / durationSeconds), p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), errors: 0, non2xx: 0 };
}

/** Registers a patient with a pregnancy and one visit; undefined when the records service is not running. */
async function benchPatient(headers: Record<string, string>): Promise<string | undefined> {
  const post = async (route: string, body: unknown): Promise<Record<string, any>> => {
    const response = await fetch(`${gatewayUrl}${route}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': `bench-${Date.now()}-${Math.random()}` }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, any>;
  };
  try {
    const birthDate = `199${Math.floor(Math.random() * 9)}-0${1 + Math.floor(Math.random() * 8)}-1${Math.floor(Math.random() * 9)}`;
    const { patient } = await post('/v1/patients', { name: `bench${Math.random().toString(36).slice(2, 8)}`, birthDate, sex: 'SEX_FEMALE', countyCode: 'lufeng' });
    const lmp = new Date(Date.now() - 70 * 86_400_000).toISOString().slice(0, 10);
    const { pregnancy } = await post(`/v1/patients/${patient.id}/pregnancies`, { lmp });
    await post(`/v1/pregnancies/${pregnancy.id}/visits`, { visitDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), systolicBp: 112, diastolicBp: 72 });
    return patient.id as string;
  } catch (error) {
    process.stderr.write(`record rows skipped: ${(error as Error).message}\n`);
    return undefined;
  }
}

async function startEcho(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'http-echo.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  return { port, child };
}

async function main(): Promise<void> {
  const probe = await fetch(`${gatewayUrl}/v1/institutions?pageSize=1`).catch(() => undefined);
  if (!probe || probe.status !== 200) {
    process.stderr.write(`no platform answers at ${gatewayUrl}; start it with \`npm start\` (or set MCH_GATEWAY_URL)\n`);
    process.exit(2);
  }
  const institutionId = ((await probe.json()) as { institutions: Array<{ id: string }> }).institutions[0]?.id;

  const echo = await startEcho();
  const rows: Row[] = [];
  try {
    const raw = await measure('raw Node HTTP echo', `http://127.0.0.1:${echo.port}/`);
    rows.push(raw);
    const cached = await measure('institution by id, cached (gateway -> identity -> Redis)', `${gatewayUrl}/v1/institutions/${institutionId}`);
    cached.ratio = `${((cached.requestsPerSecond / raw.requestsPerSecond) * 100).toFixed(1)}% of raw HTTP`;
    rows.push(cached);
    const list = await measure('institutions near a point, cached list of 50', `${gatewayUrl}/v1/institutions?near=25.03,101.55`);
    list.ratio = `${((list.requestsPerSecond / raw.requestsPerSecond) * 100).toFixed(1)}% of raw HTTP`;
    rows.push(list);
    const login = JSON.stringify({ username: 'lufeng.clinician', password: 'mch-demo-2026!' });
    const json = { 'content-type': 'application/json' };
    const logins = await measure('login (Argon2id 19 MiB, t=2) through the gateway', `${gatewayUrl}/v1/auth/login`, { method: 'POST', headers: json, body: login, connections: 8 });
    logins.ratio = 'bounded by the password hash, by design';
    rows.push(logins);
    const tokens = (await (await fetch(`${gatewayUrl}/v1/auth/login`, { method: 'POST', headers: json, body: login })).json()) as { tokens: { accessToken: string } };
    const me = await measure('GET /v1/me (token verified by identity + one row)', `${gatewayUrl}/v1/me`, { headers: { authorization: `Bearer ${tokens.tokens.accessToken}` } });
    me.ratio = `${((me.requestsPerSecond / raw.requestsPerSecond) * 100).toFixed(1)}% of raw HTTP`;
    rows.push(me);
    rows.push(await verifyInProcess(tokens.tokens.accessToken));

    // A woman with a registered pregnancy and a visit, read as her clinician would.
    const clinician = { authorization: `Bearer ${tokens.tokens.accessToken}`, 'x-mch-purpose': 'treatment' };
    const patientId = await benchPatient(clinician);
    if (patientId) {
      const record = await measure('GET /v1/patients/{id}/record (audited, primary)', `${gatewayUrl}/v1/patients/${patientId}/record`, { headers: clinician });
      record.ratio = `${((record.requestsPerSecond / raw.requestsPerSecond) * 100).toFixed(1)}% of raw HTTP`;
      rows.push(record);
      const handbook = await measure('GET /v1/patients/{id}/handbook (cached, audited)', `${gatewayUrl}/v1/patients/${patientId}/handbook`, { headers: clinician });
      handbook.ratio = `${((handbook.requestsPerSecond / raw.requestsPerSecond) * 100).toFixed(1)}% of raw HTTP`;
      rows.push(handbook);
    }

    // Scheduling: the resident app's home screen (nearest free slots), and bookings beside pgbench on the same pair.
    const nearest = `${gatewayUrl}/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&near=25.03,101.55`;
    if ((await fetch(nearest, { headers: clinician })).status === 200) {
      const search = await measure('GET /v1/slots nearest free antenatal slots (cached page)', nearest, { headers: clinician });
      search.ratio = `${((search.requestsPerSecond / raw.requestsPerSecond) * 100).toFixed(1)}% of raw HTTP`;
      rows.push(search);
      const week = encodeURIComponent(new Date(Date.now() + 7 * 86_400_000).toISOString());
      const uncached = await measure('GET /v1/slots from a random point (cache misses)', `${gatewayUrl}/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&to=${week}`, {
        headers: clinician,
        requests: [{ setupRequest: (request) => ({ ...request, path: `${request.path}&near=${(24.6 + Math.random() * 1.5).toFixed(4)},${(101.1 + Math.random() * 1.3).toFixed(4)}` }) }],
      });
      rows.push(uncached);
      const booking = await bookingThroughput(gatewayUrl, clinician, durationSeconds, connections);
      const database = await pgbench(durationSeconds, connections);
      if (booking && database) booking.ratio = `${((booking.requestsPerSecond / database.requestsPerSecond) * 100).toFixed(1)}% of pgbench tps`;
      if (booking) rows.push(booking);
      if (database) rows.push(database);
    } else {
      process.stderr.write('scheduling rows skipped: GET /v1/slots does not answer\n');
    }
  } finally {
    echo.child.kill('SIGTERM');
  }

  const header = `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${connections} connections, ${durationSeconds} s per row`;
  const table = [
    '| scenario | req/s | p50 ms | p90 ms | p99 ms | errors | non-2xx | vs raw |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.errors} | ${r.non2xx} | ${r.ratio ?? '-'} |`),
  ].join('\n');
  process.stdout.write(`${header}\n\n${table}\n`);
  const out = path.resolve(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(path.join(out, `bench-${stamp}.json`), JSON.stringify({ header, rows }, null, 2));
  writeFileSync(path.join(out, `bench-${stamp}.md`), `${header}\n\n${table}\n`);
}

void main();

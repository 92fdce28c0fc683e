// `npm run bench`: figures for this machine, each beside the raw ceiling it is bounded by. Runs against a
// platform already started with `npm start` (MCH_GATEWAY_URL, default http://127.0.0.1:8080).
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { TokenVerifier } from '../../services/common/src/auth/tokens';
import { benchPatient, seededPatients } from './patient';
import { defaultDataDir, platformStateFile } from '../../services/platform/src/platform';
import { platformMemory } from './memory';
import { closedLoop, composedFloor, share, withId, type Row } from './figures';
import { measureHttp, type Target } from './http-measure';
import { statisticsRows } from './statistics';
import { fhirExportRow } from './fhir-export';
import { grpcEchoRow, grpcRecordRow, startGrpcEcho } from './grpc';
import { bookingThroughput, pgbench } from './scheduling';

const gatewayUrl = process.env.MCH_GATEWAY_URL ?? 'http://127.0.0.1:8080';
/** `--seeded`: the read rows read people of the seeded population (`npm run seed`) instead of a fresh bench patient. */
const seeded = process.argv.includes('--seeded');
const durationSeconds = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

function measure(name: string, url: string, target: Target = {}): Promise<Row> {
  return measureHttp(name, url, target, { durationSeconds, connections });
}

/** The running platform's records address (platform.json), else the default port. */
function recordsAddress(): string {
  if (process.env.MCH_RECORDS_ADDR) return process.env.MCH_RECORDS_ADDR;
  const state = platformStateFile(defaultDataDir());
  if (existsSync(state)) {
    const address = (JSON.parse(readFileSync(state, 'utf8')) as { serviceAddresses?: Record<string, string> })
      .serviceAddresses?.['records'];
    if (address) return address;
  }
  return '127.0.0.1:50052';
}

/** Token verification alone (EdDSA signature and claims), in this process, against identity's published keys. */
async function verifyInProcess(token: string): Promise<Row> {
  const jwks = (await (await fetch(`${gatewayUrl}/v1/auth/jwks`)).json()) as JSONWebKeySet;
  const verifier = new TokenVerifier(async () => ({ keys: jwks.keys }));
  await verifier.verify(token);
  return closedLoop('token verification in process (TokenVerifier, one core)', 1, durationSeconds, async () => {
    await verifier.verify(token);
    return 'ok';
  });
}

async function startEcho(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'http-echo.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  return { port, child };
}

async function main(): Promise<void> {
  const probe = await fetch(`${gatewayUrl}/v1/institutions?pageSize=1`).catch(() => undefined);
  if (!probe || probe.status !== 200) {
    process.stderr.write(
      `no platform answers at ${gatewayUrl}; start it with \`npm start\` (or set MCH_GATEWAY_URL)\n`,
    );
    process.exit(2);
  }
  const institutionId = ((await probe.json()) as { institutions: Array<{ id: string }> }).institutions[0]?.id;
  const progress = (row: Row): Row => {
    process.stderr.write(`  ${row.name}: ${row.requestsPerSecond}/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms\n`);
    return row;
  };

  let databaseNote = 'empty database (demo data and what earlier rows wrote)';
  const echo = await startEcho();
  const grpcEcho = await startGrpcEcho();
  const rows: Row[] = [];
  try {
    // The machine's ceilings: bare Node HTTP and bare grpc-js, each in a process of its own.
    const raw = progress(withId('raw-http', await measure('raw Node HTTP echo', `http://127.0.0.1:${echo.port}/`)));
    rows.push(raw);
    const rawGrpc = progress(withId('raw-grpc', await grpcEchoRow(grpcEcho.port, connections, durationSeconds)));
    rows.push(rawGrpc);
    const floor = composedFloor(raw, rawGrpc);
    rows.push(progress(floor));
    // Gateway rows beside raw HTTP (as in the earlier tables) and beside the composed floor (the targets' base).
    const viaGateway = (row: Row): Row => {
      row.ratio = [share(row, raw, 'raw HTTP'), share(row, floor, 'composed floor')].filter(Boolean).join(', ');
      return progress(row);
    };

    rows.push(
      viaGateway(
        withId(
          'institution-cached',
          await measure(
            'institution by id, cached (gateway -> identity -> Redis)',
            `${gatewayUrl}/v1/institutions/${institutionId}`,
          ),
        ),
      ),
    );
    rows.push(
      viaGateway(
        await measure(
          'institutions near a point, cached list of 50',
          `${gatewayUrl}/v1/institutions?near=25.03,101.55`,
        ),
      ),
    );
    const login = JSON.stringify({ username: 'lufeng.clinician', password: 'mch-demo-2026!' });
    const json = { 'content-type': 'application/json' };
    const logins = await measure('login (Argon2id 19 MiB, t=2) through the gateway', `${gatewayUrl}/v1/auth/login`, {
      method: 'POST',
      headers: json,
      body: login,
      connections: 8,
    });
    logins.ratio = 'bounded by the password hash, by design';
    rows.push(progress(logins));
    const tokens = (await (
      await fetch(`${gatewayUrl}/v1/auth/login`, { method: 'POST', headers: json, body: login })
    ).json()) as { tokens: { accessToken: string } };
    const token = tokens.tokens.accessToken;
    rows.push(
      viaGateway(
        await measure('GET /v1/me (token verified by identity + one row)', `${gatewayUrl}/v1/me`, {
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    );
    rows.push(progress(await verifyInProcess(token)));

    // A woman with a registered pregnancy and a visit, read as her clinician would (seeded: a woman of the population).
    const clinician = { authorization: `Bearer ${token}`, 'x-mch-purpose': 'treatment' };
    const population = seeded ? await seededPatients(gatewayUrl, clinician) : undefined;
    if (population) databaseNote = `seeded database (${population.rows.toLocaleString('en')} rows from npm run seed)`;
    const patientId = population ? population.mother : (await benchPatient(gatewayUrl, clinician))?.patientId;
    // The record read the statistics rows compare with: the seeded child's, else the woman's.
    let plainRecord: Row | undefined;
    let recordUrl: string | undefined;
    if (population?.child) {
      recordUrl = `${gatewayUrl}/v1/patients/${population.child}/record`;
      plainRecord = viaGateway(
        await measure('GET /v1/patients/{id}/record of a seeded child (checks, growth, doses)', recordUrl, {
          headers: clinician,
        }),
      );
      rows.push(plainRecord);
    }
    if (patientId) {
      const womanRow = viaGateway(
        withId(
          'record-gateway',
          await measure(
            'GET /v1/patients/{id}/record through the gateway (cached per version, audited)',
            `${gatewayUrl}/v1/patients/${patientId}/record`,
            { headers: clinician },
          ),
        ),
      );
      rows.push(womanRow);
      if (!plainRecord) {
        plainRecord = womanRow;
        recordUrl = `${gatewayUrl}/v1/patients/${patientId}/record`;
      }
      const direct = withId(
        'record-grpc',
        await grpcRecordRow(recordsAddress(), token, patientId, connections, durationSeconds),
      );
      direct.ratio = share(direct, rawGrpc, 'raw gRPC');
      rows.push(progress(direct));
      rows.push(
        viaGateway(
          await measure(
            'GET /v1/patients/{id}/handbook (cached, audited)',
            `${gatewayUrl}/v1/patients/${patientId}/handbook`,
            { headers: clinician },
          ),
        ),
      );
      // Where to refer her: her record read from records with the caller's token, 127 institutions ranked, audited.
      const referral = { ...clinician, 'x-mch-purpose': 'referral' };
      const suggestions = `${gatewayUrl}/v1/referrals/suggestions?patientId=${patientId}`;
      if ((await fetch(suggestions, { headers: referral })).status === 200) {
        rows.push(
          viaGateway(
            await measure('GET /v1/referrals/suggestions (records read + ranking of 127, audited)', suggestions, {
              headers: referral,
            }),
          ),
        );
        const county = (await (await fetch(`${gatewayUrl}/v1/institutions?county=lufeng&level=county`)).json()) as {
          institutions: Array<{ id: string }>;
        };
        const worklist = `${gatewayUrl}/v1/institutions/${county.institutions[0]?.id ?? ''}/referrals?status=open`;
        rows.push(
          viaGateway(
            await measure('GET /v1/institutions/{id}/referrals worklist page (overdue first)', worklist, {
              headers: referral,
            }),
          ),
        );
      } else {
        process.stderr.write('referral rows skipped: GET /v1/referrals/suggestions does not answer\n');
      }
    }

    // Scheduling: the resident app's home screen (nearest free slots), and bookings beside pgbench on the same pair.
    const nearest = `${gatewayUrl}/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&near=25.03,101.55`;
    if ((await fetch(nearest, { headers: clinician })).status === 200) {
      rows.push(
        viaGateway(
          await measure('GET /v1/slots nearest free antenatal slots (cached page)', nearest, { headers: clinician }),
        ),
      );
      const week = encodeURIComponent(new Date(Date.now() + 7 * 86_400_000).toISOString());
      rows.push(
        viaGateway(
          await measure(
            'GET /v1/slots from a random point (cache misses)',
            `${gatewayUrl}/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&to=${week}`,
            {
              headers: clinician,
              requests: [
                {
                  setupRequest: (request) => ({
                    ...request,
                    path: `${request.path}&near=${(24.6 + Math.random() * 1.5).toFixed(4)},${(101.1 + Math.random() * 1.3).toFixed(4)}`,
                  }),
                },
              ],
            },
          ),
        ),
      );
      const booking = await bookingThroughput(gatewayUrl, clinician, durationSeconds, connections);
      const database = await pgbench(durationSeconds, connections);
      if (booking) {
        booking.ratio = share(booking, database, 'pgbench tps');
        rows.push(progress(withId('booking', booking)));
      }
      if (database) rows.push(progress(withId('pgbench', database)));
    } else {
      process.stderr.write('scheduling rows skipped: GET /v1/slots does not answer\n');
    }

    // Statistics: one county's and the prefecture's tables, and a record read beside them (loadtest/bench/statistics.ts).
    if (plainRecord && recordUrl) {
      rows.push(
        ...(await statisticsRows({
          gatewayUrl,
          plainRecord,
          recordUrl,
          recordHeaders: clinician,
          durationSeconds,
          connections,
          progress,
        })),
      );
    }
    // FHIR Bulk Data: one system-level export of everything in the database (loadtest/bench/fhir-export.ts).
    const exportRow = await fhirExportRow(gatewayUrl);
    if (exportRow) rows.push(progress(exportRow));
  } finally {
    echo.child.kill('SIGTERM');
    grpcEcho.child.kill('SIGTERM');
  }

  const memory = platformMemory();
  const header = `${databaseNote}; machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${connections} connections, ${durationSeconds} s per row`;
  const table = [
    '| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | non-2xx | vs raw |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) =>
      r.computed
        ? `| ${r.name} | ${r.requestsPerSecond} | - | - | - | - | - | computed |`
        : `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p95Ms} | ${r.p99Ms} | ${r.errors} | ${r.non2xx} | ${r.ratio || '-'} |`,
    ),
  ].join('\n');
  const memoryTable =
    memory.length === 0
      ? '(platform memory: no run dir under MCH_DATA_DIR)'
      : [
          '| platform process | processes | RSS MiB | PSS MiB |',
          '|---|---:|---:|---:|',
          ...memory.map((m) => `| ${m.component} | ${m.processes} | ${m.rssMiB} | ${m.pssMiB} |`),
          `| **total** | ${memory.reduce((n, m) => n + m.processes, 0)} | ${memory.reduce((n, m) => n + m.rssMiB, 0)} | ${memory.reduce((n, m) => n + m.pssMiB, 0)} |`,
        ].join('\n');
  const report = `${header}\n\n${table}\n\n${memoryTable}\n`;
  process.stdout.write(report);
  const out = path.resolve(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  const stamp = `${seeded ? 'seeded-' : ''}${new Date().toISOString().replace(/[:.]/g, '-')}`;
  writeFileSync(path.join(out, `bench-${stamp}.json`), JSON.stringify({ header, rows, memory }, null, 2));
  writeFileSync(path.join(out, `bench-${stamp}.md`), report);
  process.stderr.write(`written: bench-results/bench-${stamp}.{json,md}\n`);
}

void main();

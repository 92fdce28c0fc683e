// Fault isolation on a platform of its own. For each service in turn: stop it, send a representative request to every
// route of the gateway's own table, and hold the answers to the baseline taken with everything up — the stopped
// service's routes answer 503 with a JSON error naming it, within the gateway's deadline; routes of services that
// hold a client of it (read from each service's own configuration, transitively) may answer 503 too, never another
// 5xx or a hang; every other route answers as it did. Then start it again and, without touching the gateway, its
// routes answer as before (the time it takes is printed). With Redis killed, a pass over every route answers as
// with it. A hung peer (SIGSTOP) is answered 504/503 within the deadline, directly and one hop down. Last, nothing
// the clients got, nothing the services logged and no span holds a stack frame, SQL or the people's identifiers.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { serviceConfigSpec } from '../../common/src/config';
import { protoDir } from '../../common/src/paths';
import { consultationConfigSpec } from '../../consultation/src/config';
import { identityConfigSpec } from '../../identity/src/config';
import { startPlatform, type Platform } from '../../platform/src/platform';
import { GRPC_SERVICES, type GrpcServiceName } from '../../platform/src/services';
import { recordsConfigSpec } from '../../records/src/config';
import { referralConfigSpec } from '../../referral/src/config';
import { replicationConfigSpec } from '../../replication/src/config';
import { schedulingConfigSpec } from '../../scheduling/src/config';
import { backendOf, collectRoutes, type HttpRoute } from '../src/http-rules';
import { findServiceProtos, loadProtoRoot } from '../src/proto-registry';
import { RouteWorld } from './route-requests';

jest.setTimeout(420_000);

/** The gateway's per-call deadline on this platform: short, so a pass over a stopped service stays quick. */
const DEADLINE_MS = 3_000;
/** A client gives up this long after the deadline: an answer later than that is a hang. */
const HANG_MS = DEADLINE_MS + 3_000;

const log = (line: string): void => void process.stderr.write(`[fault isolation] ${line}\n`);
const routes = collectRoutes(
  loadProtoRoot({
    includeDirs: [protoDir(), path.join(protoDir(), 'third_party')],
    files: findServiceProtos(protoDir()),
    generatedDirs: [],
  }),
);
const keyOf = (route: HttpRoute): string => `${route.verb} ${route.template}`;
const serviceOf = (route: HttpRoute): string => backendOf(route.service).toLowerCase();

// ---------------------------------------------------------------------------------------------------------------
// Which service needs which: a service holds a client of X when its own configuration declares X_SERVICE_ADDR (the
// kit's IDENTITY_SERVICE_ADDR, where every service fetches token keys, is not a client of identity's routes).

const CONFIG_SPECS: Record<GrpcServiceName, Record<string, unknown>> = {
  identity: identityConfigSpec,
  records: recordsConfigSpec,
  scheduling: schedulingConfigSpec,
  referral: referralConfigSpec,
  consultation: consultationConfigSpec,
  replication: replicationConfigSpec,
};

function clientsHeldBy(service: GrpcServiceName): GrpcServiceName[] {
  const spec = CONFIG_SPECS[service];
  const kit = serviceConfigSpec as Record<string, unknown>;
  return GRPC_SERVICES.filter((other) => {
    const key = `${other.toUpperCase()}_SERVICE_ADDR`;
    return other !== service && key in spec && spec[key] !== kit[key];
  });
}

/** The services whose routes may fail while `stopped` is down: itself and every service that reaches it. */
function needing(stopped: GrpcServiceName): Set<string> {
  const result = new Set<string>([stopped]);
  for (let grew = true; grew;) {
    grew = false;
    for (const service of GRPC_SERVICES) {
      if (!result.has(service) && clientsHeldBy(service).some((held) => result.has(held))) {
        result.add(service);
        grew = true;
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------

interface Answer {
  readonly status: number | 'hang' | 'network';
  readonly ms: number;
  readonly body: string;
}

let platform: Platform;
let dataDir: string;
let world: RouteWorld;
let passes = 0;
let baseline: Map<string, Answer>;
/** Every answer body of every pass, for the leak scan. */
const answered: string[] = [];
const table: string[][] = [];

async function ask(route: HttpRoute, pass: number): Promise<Answer> {
  const request = world.requestFor(route, pass);
  const began = Date.now();
  try {
    const response = await fetch(`${platform.gatewayUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(HANG_MS),
    });
    const body = await response.text();
    answered.push(body);
    return { status: response.status, ms: Date.now() - began, body };
  } catch (error) {
    const name = (error as Error).name;
    return { status: name === 'TimeoutError' ? 'hang' : 'network', ms: Date.now() - began, body: String(error) };
  }
}

/**
 * One request to each of `only` (default: every route): the services in parallel, each one's routes in the table's
 * order, so that a pass changes state the same way every time (a participant added before being removed).
 */
async function pass(only: readonly HttpRoute[] = routes): Promise<Map<string, Answer>> {
  const index = passes++;
  const answers = new Map<string, Answer>();
  const byService = new Map<string, HttpRoute[]>();
  for (const route of only) byService.set(serviceOf(route), [...(byService.get(serviceOf(route)) ?? []), route]);
  await Promise.all(
    [...byService.values()].map(async (serviceRoutes) => {
      for (const route of serviceRoutes) answers.set(keyOf(route), await ask(route, index));
    }),
  );
  return answers;
}

const statusClass = (answer: Answer | undefined): string =>
  typeof answer?.status === 'number' ? `${Math.floor(answer.status / 100)}xx` : String(answer?.status);
const describe503 = (key: string, answer: Answer | undefined): string =>
  `${key} → ${answer?.status} in ${answer?.ms} ms: ${answer?.body.slice(0, 160)}`;

/** Routes whose answer differs from the baseline's class, as readable lines. */
function changed(answers: Map<string, Answer>, keys: Iterable<string>): string[] {
  const lines: string[] = [];
  for (const key of keys) {
    const answer = answers.get(key);
    if (statusClass(answer) !== statusClass(baseline.get(key)))
      lines.push(`${key}: ${baseline.get(key)?.status} before, now ${describe503(key, answer)}`);
  }
  return lines;
}

beforeAll(async () => {
  // The platform's services take these from the environment: a short gateway deadline, rate limits on (Redis in use).
  process.env['GATEWAY_CALL_TIMEOUT_MS'] = String(DEADLINE_MS);
  process.env['GATEWAY_RATE_LIMIT_PER_TOKEN'] = '100000';
  process.env['GATEWAY_RATE_LIMIT_PER_ADDRESS'] = '100000';
  dataDir = mkdtempSync(path.join(tmpdir(), 'mch-faults-'));
  process.env['MCH_TRACE_FILE'] = path.join(dataDir, 'spans.jsonl');
  platform = await startPlatform({ dataDir, ports: 'free', log });
  world = new RouteWorld(platform.gatewayUrl);
  await world.prepare();
  baseline = await pass();
  // A second pass with everything up must agree with the first: the comparison below is then about the outage.
  expect(changed(await pass(), baseline.keys())).toEqual([]);
}, 300_000);

afterAll(async () => {
  for (const key of [
    'GATEWAY_CALL_TIMEOUT_MS',
    'GATEWAY_RATE_LIMIT_PER_TOKEN',
    'GATEWAY_RATE_LIMIT_PER_ADDRESS',
    'MCH_TRACE_FILE',
  ])
    delete process.env[key];
  if (table.length > 0) {
    const header = [
      'stopped',
      'needs it',
      'own routes',
      '503 (own)',
      'dependants 503',
      'others as before',
      'max 503 ms',
      'back after start (ms)',
    ];
    const widths = header.map((title, i) => Math.max(title.length, ...table.map((row) => (row[i] ?? '').length)));
    const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ');
    log(
      `per-service isolation (${routes.length} routes, deadline ${DEADLINE_MS} ms):\n${[line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line)].join('\n')}`,
    );
  }
  await platform?.stop();
  if (dataDir !== undefined && !process.env['FAULTS_KEEP']) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

it("derives each service's clients from its configuration", () => {
  expect(Object.fromEntries(GRPC_SERVICES.map((service) => [service, clientsHeldBy(service)]))).toEqual({
    identity: [],
    records: ['identity', 'referral', 'replication'],
    scheduling: ['identity', 'records'],
    referral: ['identity', 'records', 'scheduling', 'consultation'],
    consultation: ['identity', 'replication'],
    replication: ['consultation'],
  });
});

describe.each([...GRPC_SERVICES])('with %s stopped', (stopped) => {
  it('fails only the routes that need it, with a clear 503 in time, and takes it back without a gateway restart', async () => {
    const gatewayPid = platform.servicePid('gateway');
    const need = needing(stopped);
    const own = routes.filter((route) => serviceOf(route) === stopped).map(keyOf);
    const dependants = routes.filter((route) => serviceOf(route) !== stopped && need.has(serviceOf(route))).map(keyOf);
    const others = routes.filter((route) => !need.has(serviceOf(route))).map(keyOf);

    await platform.stopService(stopped);
    const down = await pass();
    const notUnavailable = own
      .filter((key) => down.get(key)?.status !== 503)
      .map((key) => describe503(key, down.get(key)));
    const unclear = own.filter((key) => {
      const body = JSON.parse(down.get(key)?.body ?? '{}') as { status?: string; message?: string };
      return body.status !== 'UNAVAILABLE' || !body.message?.includes(stopped);
    });
    const dependantsBad = dependants.filter((key) => {
      const answer = down.get(key);
      return answer?.status !== 503 && statusClass(answer) !== statusClass(baseline.get(key));
    });
    const slowest503 = Math.max(
      0,
      ...[...down.values()].filter((answer) => answer.status === 503).map((answer) => answer.ms),
    );

    const began = Date.now();
    await platform.startService(stopped);
    // Back in rotation: every route of the service answers as before, through the same gateway process.
    let back: Map<string, Answer>;
    for (;;) {
      back = await pass(routes.filter((route) => serviceOf(route) === stopped));
      if (changed(back, own).length === 0 || Date.now() - began > 60_000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const backMs = Date.now() - began;
    table.push([
      stopped,
      [...need].filter((service) => service !== stopped).join(', ') || '—',
      String(own.length),
      String(own.filter((key) => down.get(key)?.status === 503).length),
      `${dependants.filter((key) => down.get(key)?.status === 503).length}/${dependants.length}`,
      `${others.filter((key) => statusClass(down.get(key)) === statusClass(baseline.get(key))).length}/${others.length}`,
      String(slowest503),
      String(backMs),
    ]);

    expect(notUnavailable).toEqual([]);
    expect(unclear).toEqual([]);
    expect(dependantsBad.map((key) => describe503(key, down.get(key)))).toEqual([]);
    expect(changed(down, others)).toEqual([]);
    expect(slowest503).toBeLessThanOrEqual(DEADLINE_MS + 1_000);
    expect(changed(back, own)).toEqual([]);
    expect(platform.servicePid('gateway')).toBe(gatewayPid);
  });
});

describe('with Redis killed', () => {
  it('answers a read/write pass over every route as with it (cache, rate limits, live delivery all degrade)', async () => {
    await platform.killRedis();
    try {
      const down = await pass();
      expect(changed(down, baseline.keys())).toEqual([]);
      log(
        `Redis down: ${down.size} routes, ${[...down.values()].filter((answer) => answer.status === 200).length} answered 200, ${changed(down, baseline.keys()).length} differ from the baseline`,
      );
    } finally {
      await platform.startRedis();
    }
  });
});

describe('a hung peer (SIGSTOP)', () => {
  async function frozen<T>(service: string, work: () => Promise<T>): Promise<T> {
    const pid = platform.servicePid(service);
    if (pid === undefined) throw new Error(`${service} has no process`);
    process.kill(pid, 'SIGSTOP');
    try {
      return await work();
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }
  const route = (key: string): HttpRoute => routes.find((candidate) => keyOf(candidate) === key) as HttpRoute;

  it("is answered 504 within the deadline when the gateway's own backend hangs, 503/504 when one a hop down hangs", async () => {
    const direct = await frozen('records', () => ask(route('GET /v1/patients/{patient_id}/record'), passes++));
    // scheduling's due checks ask records: the gateway -> scheduling -> records chain with records hung.
    const chain = await frozen('records', () => ask(route('GET /v1/patients/{patient_id}/due-checks'), passes++));
    log(
      `records hung: its own route ${direct.status} after ${direct.ms} ms; scheduling's due checks ${chain.status} after ${chain.ms} ms`,
    );
    expect(direct.status).toBe(504);
    expect(JSON.parse(direct.body)).toMatchObject({
      status: 'DEADLINE_EXCEEDED',
      message: expect.stringContaining('records'),
    });
    expect([503, 504]).toContain(chain.status);
    for (const answer of [direct, chain]) expect(answer.ms).toBeLessThanOrEqual(DEADLINE_MS + 1_000);
    // And it is back once the peer runs again.
    expect(statusClass(await ask(route('GET /v1/patients/{patient_id}/record'), passes++))).toBe('2xx');
  });
});

describe('what leaves the platform', () => {
  it('holds no stack frame, SQL or identifier of the people in any answer, service log line or span', async () => {
    // Errors of every kind were driven above (stopped services, hung ones, conflicts, not-found); add bad input.
    const token = (await world.api.login('lufeng.clinician')).accessToken;
    const bad = [
      await world.api.call('POST', '/v1/patients', {
        token,
        headers: { 'x-mch-purpose': 'registration' },
        body: { nationalId: world.personal.nationalIds[0], name: world.personal.names[0], countyCode: 'nowhere' },
      }),
      await world.api.call('POST', '/v1/patients', {
        token,
        headers: { 'x-mch-purpose': 'registration' },
        body: { nationalId: `${world.personal.nationalIds[0]?.slice(0, 17)}0`, name: world.personal.names[1] },
      }),
      await world.api.call('GET', `/v1/patients?nationalId=${world.personal.nationalIds[1]}'%20OR%201=1`, { token }),
      await world.api.call('POST', '/v1/auth/login', {
        body: { username: world.personal.nationalIds[0], password: 'wrong password!' },
      }),
    ];
    answered.push(...bad.map((answer) => JSON.stringify(answer.body)));

    const tables = await schemaTables();
    const stackFrame = /\bat [\w$.<>\[\] ]*\(?(\/|node:)[^)\s]+:\d+:\d+/;
    const sql = new RegExp(
      `\\b(SELECT\\s.+\\sFROM|INSERT\\s+INTO|UPDATE\\s+\\S+\\s+SET|DELETE\\s+FROM)\\s|\\b(FROM|JOIN|INTO|UPDATE)\\s+(${tables.join('|')})\\b`,
      'i',
    );
    // Only what the world itself registered (answers that rightly carry her data to staff are reads of it: skipped below).
    const people = [...world.personal.nationalIds, ...world.personal.phones];
    const findings: string[] = [];
    const scan = (where: string, text: string, checkPeople: boolean): void => {
      if (stackFrame.test(text)) findings.push(`${where}: stack frame: ${text.match(stackFrame)?.[0]}`);
      const query = text.match(sql);
      if (query)
        findings.push(
          `${where}: SQL "${query[0]}" in ${text.slice(Math.max(0, (query.index ?? 0) - 80), (query.index ?? 0) + 80)}`,
        );
      if (checkPeople)
        for (const identifier of people)
          if (text.includes(identifier))
            findings.push(`${where}: identifier ${identifier.slice(0, 4)}… in ${text.slice(0, 160)}`);
    };
    // Error answers carry no personal data; successful ones are the records staff asked for.
    for (const body of answered) scan('answer', body, /"code":\d+,"status":"[A-Z_]+"/.test(body));
    const logs = readdirSync(platform.logDir).filter((file) =>
      [...GRPC_SERVICES, 'gateway'].some((service) => file.startsWith(service)),
    );
    expect(logs.length).toBeGreaterThanOrEqual(GRPC_SERVICES.length);
    let lines = 0;
    for (const file of logs) {
      for (const line of readFileSync(path.join(platform.logDir, file), 'utf8').split('\n')) {
        lines++;
        scan(`log ${file}`, line, true);
      }
    }
    const spansFile = process.env['MCH_TRACE_FILE'] ?? path.join(dataDir, 'spans.jsonl');
    let spans = 0;
    if (existsSync(spansFile)) {
      for (const line of readFileSync(spansFile, 'utf8').split('\n')) {
        if (line === '') continue;
        spans++;
        // A span names its statement's operation and table (telemetry's statementSummary), never the statement.
        scan('span', line, true);
      }
    }
    const kinds = new Map<string, number>();
    for (const finding of findings) {
      const kind = finding.replace(/(stack frame|SQL|identifier).*$/, '$1');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    log(`leak findings by place and kind: ${JSON.stringify(Object.fromEntries(kinds))}`);
    log(
      `leak scan: ${answered.length} answers, ${lines} log lines in ${logs.length} files, ${spans} spans, ${tables.length} table names; ${findings.length} findings`,
    );
    expect(spans).toBeGreaterThan(0);
    expect([...new Set(findings)].slice(0, 30)).toEqual([]);
  });
});

async function schemaTables(): Promise<string[]> {
  const client = new Client({ connectionString: platform.rwUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_schema || '\\.' || table_name AS name FROM information_schema.tables WHERE table_schema IN ('identity', 'records', 'scheduling', 'referral', 'consultation', 'replication')`,
    );
    // Schema-qualified, as the services' statements name them (a bare "patients" is an ordinary word of the answers).
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

// Bad-input fuzzing on a platform of its own (every built service): at least 10,000 generated requests across
// every route of the gateway, most with valid tokens so they reach validation — malformed JSON, wrong types,
// huge and negative numbers, overlong and odd unicode strings, duplicated fields, bad page tokens, traversal in
// ids, bad idempotency keys, wrong content types — and generated messages straight to every gRPC method. No
// answer may be a 5xx (or INTERNAL/UNKNOWN over gRPC) or hang, no process may crash, and no table may change
// through a rejected request. CI runs the fixed seed below; FUZZ_SEED=random (or a number) explores other cases,
// the seed is printed so a failing run can be rerun; FUZZ_REQUESTS changes its size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client as GrpcClient, Metadata, status as grpcStatus } from '@grpc/grpc-js';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { Client } from 'pg';
import { protoDir } from '../../common/src/paths';
import { collectRoutes, type HttpRoute } from '../src/http-rules';
import { findServiceProtos, loadProtoRoot } from '../src/proto-registry';
import { startPlatform, type Platform } from '../../platform/src/platform';
import { GRPC_SERVICES } from '../../platform/src/services';
import { DEMO_PASSWORD } from '../../identity/test/support';

jest.setTimeout(900_000);

const TOTAL_REQUESTS = Number(process.env['FUZZ_REQUESTS'] ?? 10_000);
const GRPC_MESSAGES_PER_METHOD = Number(process.env['FUZZ_GRPC_PER_METHOD'] ?? 20);
const FIXED_SEED = 20_261_125;
const SEED =
  process.env['FUZZ_SEED'] === 'random' ? Date.now() % 2_147_483_647 : Number(process.env['FUZZ_SEED'] ?? FIXED_SEED);
const CONCURRENCY = 16;
const REQUEST_TIMEOUT_MS = 20_000;
const ACCOUNTS = [
  'lufeng.clinician',
  'lufeng.midwife',
  'lufeng.admin',
  'pref.clinician',
  'pref.analyst',
  'platform.admin',
];
/**
 * Tables that change whatever the requests do: the audit trail (it records denials too), the replication
 * service's own event log of the cluster it watches, and its background passes' lease (renewed every 2 s).
 */
const CHANGES_ON_REFUSAL = new Set(['audit_events', 'replication_events', 'object_store_leases']);

const log = (line: string): void => void process.stderr.write(`[fuzz] ${line}\n`);

const protos = {
  includeDirs: [protoDir(), path.join(protoDir(), 'third_party')],
  files: findServiceProtos(protoDir()),
  generatedDirs: [],
};
const root = loadProtoRoot(protos);
const routes = collectRoutes(root);

let platform: Platform;
let dataDir: string;
const tokens: string[] = [];

interface FuzzRequest {
  readonly route: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

const oddStrings = fc.constantFrom(
  '',
  ' ',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '\u0000',
  '\u202e\u202d',
  '\ud83d\ude00'.repeat(50),
  '𠮷野家',
  'ǅ',
  '\ufeff',
  "'; DROP TABLE accounts; --",
  '<script>alert(1)</script>',
  'null',
  '-1',
  '1e309',
  '0x10',
  'NaN',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'a'.repeat(10_000),
);

const anyString = fc.oneof(
  oddStrings,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.uuid(),
);
const numbers = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1,
    2_147_483_647,
    2_147_483_648,
    -2_147_483_649,
    Number.MAX_SAFE_INTEGER,
    1e308,
    -1e308,
    0.5,
    1e-300,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  anyString,
  numbers,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(anyString, numbers), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(anyString, numbers), { maxKeys: 4 }),
  fc.constant(Array.from({ length: 2_000 }, (_, i) => i)),
);

function jsonName(field: protobuf.Field): string {
  return field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** A body built from the request's own fields with wrong, boundary or odd values, and sometimes unknown fields. */
function bodyFor(type: protobuf.Type): fc.Arbitrary<Record<string, unknown>> {
  const fields = type.fieldsArray.map(jsonName);
  const known = fields.length > 0 ? fc.subarray(fields) : fc.constant([] as string[]);
  return fc
    .tuple(
      known,
      fc.array(
        fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor')), wrongValue),
        { maxLength: 2 },
      ),
    )
    .chain(([chosen, extra]) =>
      fc.tuple(...chosen.map(() => wrongValue)).map((values) => {
        const body: Record<string, unknown> = {};
        chosen.forEach((name, i) => (body[name] = values[i]));
        for (const [name, value] of extra) body[name] = value;
        return body;
      }),
    );
}

const badIdempotencyKeys = fc.oneof(
  fc.constant(undefined),
  fc.uuid(),
  fc.constantFrom('', ' ', 'x'.repeat(300), 'key with spaces', 'clé-\u00ff', 'a,b'),
);
const purposes = fc.constantFrom(undefined, 'treatment', 'treatment', 'break-glass', 'nonsense', '');
const contentTypes = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'multipart/form-data; boundary=x',
);

function requestFor(route: HttpRoute): fc.Arbitrary<FuzzRequest> {
  const params = [...route.pathParams.keys()];
  const pathValues = fc.tuple(...params.map(() => fc.oneof(fc.uuid(), anyString)));
  const query = fc.oneof(
    fc.constant(''),
    bodyFor(route.requestType).map((body) =>
      Object.entries(body)
        .map(
          ([key, value]) =>
            `${encodeURIComponent(key)}=${encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value))}`,
        )
        .join('&'),
    ),
    fc.constantFrom(
      'pageSize=-1',
      'pageSize=100000',
      'pageToken=not-a-token',
      'pageToken=' + 'A'.repeat(5000),
      'pageSize=1&pageSize=2',
      'near=91,181',
      'near=abc',
      'from=2026-13-45&to=1999-01-01',
    ),
  );
  const rawBody = fc.oneof(
    bodyFor(route.requestType).map((body) => JSON.stringify(body)),
    bodyFor(route.requestType).map((body) => {
      // Duplicated fields: the raw text names a field twice.
      const text = JSON.stringify(body);
      const first = Object.keys(body)[0];
      return first === undefined ? text : `{"${first}":1,${text.slice(1)}`;
    }),
    fc.constantFrom(
      '{',
      '{"a":',
      'null',
      '[]',
      '"text"',
      '12',
      '{"a":1}}',
      '\u0000',
      '{"__proto__":{"polluted":true}}',
      ' ',
    ),
  );
  const token = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...tokens) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(undefined, 'garbage', 'eyJhbGciOiJub25lIn0.e30.', tokens[0]?.slice(0, -4) + 'AAAA'),
    },
  );
  return fc
    .record({
      pathValues,
      query,
      rawBody,
      token,
      key: badIdempotencyKeys,
      purpose: purposes,
      contentType: contentTypes,
    })
    .map((r) => {
      let url = route.template;
      params.forEach((param, i) => {
        const value = r.pathValues[i] ?? '';
        const field = route.pathParams.get(param) ?? param;
        url = url.replace(
          new RegExp(`\\{${field.replace('.', '\\.')}(=[^}]*)?\\}`),
          encodeURIComponent(value) || '%20',
        );
      });
      const headers: Record<string, string> = {};
      if (r.token) headers['authorization'] = `Bearer ${r.token}`;
      if (r.key !== undefined) headers['idempotency-key'] = r.key;
      if (r.purpose !== undefined) headers['x-mch-purpose'] = r.purpose;
      const hasBody = route.verb !== 'GET' && route.verb !== 'DELETE';
      if (hasBody) headers['content-type'] = r.contentType;
      return {
        route: `${route.verb} ${route.template}`,
        method: route.verb,
        url: `${url}${r.query ? `?${r.query}` : ''}`,
        headers,
        body: hasBody ? r.rawBody : undefined,
      };
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Database state

async function tableChecksums(): Promise<Map<string, string>> {
  const client = new Client({ connectionString: platform.rwUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    );
    const sums = new Map<string, string>();
    for (const { schema, name } of tables) {
      if (CHANGES_ON_REFUSAL.has(name)) continue;
      const qualified = `"${schema}"."${name}"`;
      const { rows } = await client.query<{ sum: string; n: string }>(
        `SELECT md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) AS sum, count(*) AS n FROM ${qualified} t`,
      );
      sums.set(`${schema}.${name}`, `${rows[0]?.n}:${rows[0]?.sum}`);
    }
    return sums;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------

interface Outcome {
  readonly request: FuzzRequest;
  readonly status: number | 'timeout' | 'network';
  readonly body: string;
}

/**
 * One request; a connection that fails outright is tried once more (undici reports a keep-alive connection the
 * server closed at the same moment as "fetch failed"); a gateway that crashed or hangs fails both times.
 */
async function send(request: FuzzRequest): Promise<Outcome> {
  const first = await sendOnce(request);
  if (first.status !== 'network') return first;
  log(`network failure, retried once: ${first.body}`);
  return sendOnce(request);
}

async function sendOnce(request: FuzzRequest): Promise<Outcome> {
  try {
    const response = await fetch(`${platform.gatewayUrl}${request.url}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { request, status: response.status, body: (await response.text()).slice(0, 300) };
  } catch (error) {
    const name = (error as Error).name;
    const cause = (error as { cause?: unknown }).cause;
    return {
      request,
      status: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network',
      body: `${String(error)}${cause ? ` (${String(cause)})` : ''}`.slice(0, 300),
    };
  }
}

async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}

function pidsOf(): Record<string, number | undefined> {
  const pids: Record<string, number | undefined> = {};
  for (const name of [...GRPC_SERVICES, 'gateway']) {
    if (platform.serviceAddresses[name] !== undefined || name === 'gateway') pids[name] = platform.servicePid(name);
  }
  return pids;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mch-fuzz-'));
  platform = await startPlatform({ dataDir, ports: 'free', log });
  await platform.waitForSync();
  for (const username of ACCOUNTS) {
    const response = await fetch(`${platform.gatewayUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: DEMO_PASSWORD }),
    });
    const body = (await response.json()) as { tokens: { accessToken: string } };
    tokens.push(body.tokens.accessToken);
  }
}, 300_000);

afterAll(async () => {
  await platform?.stop();
  if (process.env['FUZZ_KEEP']) log(`data and service logs kept in ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

describe(`fuzzing (seed ${SEED})`, () => {
  let before: Map<string, string>;
  let pidsBefore: Record<string, number | undefined>;
  let outcomes: Outcome[];

  beforeAll(async () => {
    before = await tableChecksums();
    pidsBefore = pidsOf();
    const perRoute = Math.ceil(TOTAL_REQUESTS / routes.length);
    const requests: FuzzRequest[] = [];
    routes.forEach((route, index) =>
      requests.push(...fc.sample(requestFor(route), { numRuns: perRoute, seed: SEED + index })),
    );
    log(`seed ${SEED}: ${requests.length} requests over ${routes.length} routes`);
    const began = Date.now();
    outcomes = await inParallel(requests, CONCURRENCY, send);
    log(`sent in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }, 900_000);

  it('answers every request, none with a 5xx, each refusal with a message', () => {
    expect(outcomes.length).toBeGreaterThanOrEqual(TOTAL_REQUESTS);
    const bad = outcomes.filter((outcome) => typeof outcome.status !== 'number' || outcome.status >= 500);
    const unexplained = outcomes.filter((outcome) => {
      if (typeof outcome.status !== 'number' || outcome.status < 400 || outcome.status >= 500) return false;
      try {
        const body = JSON.parse(outcome.body.length >= 300 ? outcome.body + '"}' : outcome.body) as {
          message?: unknown;
        };
        return typeof body.message !== 'string' || body.message === '';
      } catch {
        return outcome.body.length < 300; // a long body was cut: its start was JSON
      }
    });
    const describe = (outcome: Outcome): string =>
      `${outcome.request.route} → ${outcome.status}: ${outcome.request.method} ${outcome.request.url.slice(0, 200)} body ${String(outcome.request.body).slice(0, 200)} answer ${outcome.body}`;
    expect(bad.slice(0, 20).map(describe)).toEqual([]);
    expect(unexplained.slice(0, 20).map(describe)).toEqual([]);
    const byStatus = new Map<string, number>();
    for (const outcome of outcomes)
      byStatus.set(String(outcome.status), (byStatus.get(String(outcome.status)) ?? 0) + 1);
    log(
      `answers by status: ${[...byStatus]
        .sort()
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')}`,
    );
  });

  it('changes no table through a request it refused', async () => {
    const accepted = outcomes.filter(
      (outcome) => outcome.request.method !== 'GET' && typeof outcome.status === 'number' && outcome.status < 400,
    );
    const after = await tableChecksums();
    const changed = [...after].filter(([table, sum]) => before.get(table) !== sum).map(([table]) => table);
    const gone = [...before.keys()].filter((table) => !after.has(table));
    if (accepted.length === 0) {
      expect({ changed, gone }).toEqual({ changed: [], gone: [] });
    } else {
      // A generated write that was valid may change its own tables; nothing else may.
      log(
        `accepted writes: ${accepted.map((outcome) => outcome.request.route).join(', ')}; changed tables: ${changed.join(', ')}`,
      );
      expect(gone).toEqual([]);
      expect(changed.length).toBeLessThanOrEqual(accepted.length * 4);
    }
  });

  it('crashed no process', async () => {
    expect(pidsOf()).toEqual(pidsBefore);
    const ready = await fetch(`${platform.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});

describe(`gRPC fuzzing (seed ${SEED})`, () => {
  interface GrpcOutcome {
    readonly method: string;
    readonly kind: 'bytes' | 'message';
    readonly code: number | 'timeout';
    readonly details: string;
  }

  function valueFor(field: protobuf.Field): fc.Arbitrary<unknown> {
    const scalar = ((): fc.Arbitrary<unknown> => {
      switch (field.type) {
        case 'string':
          return anyString;
        case 'bool':
          return fc.boolean();
        case 'bytes':
          return fc.uint8Array({ maxLength: 64 });
        case 'double':
        case 'float':
          return fc.double();
        case 'int32':
        case 'sint32':
        case 'sfixed32':
          return fc.oneof(fc.constantFrom(0, -1, 2_147_483_647, -2_147_483_648), fc.integer());
        case 'uint32':
        case 'fixed32':
          return fc.oneof(fc.constantFrom(0, 4_294_967_295), fc.nat());
        case 'int64':
        case 'uint64':
        case 'sint64':
        case 'fixed64':
        case 'sfixed64':
          return fc.constantFrom('0', '-1', '9223372036854775807', '-9223372036854775808', '18446744073709551615');
        default: {
          const resolved = field.resolvedType;
          if (resolved instanceof protobuf.Enum)
            return fc.oneof(fc.constantFrom(...Object.values(resolved.values)), fc.integer({ min: -5, max: 1000 }));
          if (resolved instanceof protobuf.Type) return messageFor(resolved, 1);
          return fc.constant(undefined);
        }
      }
    })();
    return field.repeated ? fc.array(scalar, { maxLength: 30 }) : scalar;
  }

  function messageFor(type: protobuf.Type, depth = 0): fc.Arbitrary<Record<string, unknown>> {
    const fields = depth > 2 ? [] : type.fieldsArray;
    if (fields.length === 0) return fc.constant({});
    return fc.record(Object.fromEntries(fields.map((field) => [field.name, valueFor(field)])), { requiredKeys: [] });
  }

  it('answers generated messages and random bytes to every method of every service without INTERNAL, UNKNOWN or a crash', async () => {
    const pidsBefore = pidsOf();
    const outcomes: GrpcOutcome[] = [];
    let index = 0;
    for (const serviceName of GRPC_SERVICES) {
      const address = platform.serviceAddresses[serviceName];
      if (address === undefined) continue;
      const service = root.lookupService(
        `mch.${serviceName}.v1.${serviceName[0]?.toUpperCase()}${serviceName.slice(1)}Service`,
      );
      const client = new GrpcClient(address, (await import('@grpc/grpc-js')).credentials.createInsecure());
      try {
        for (const method of service.methodsArray) {
          method.resolve();
          const requestType = method.resolvedRequestType as protobuf.Type;
          const messages = fc.sample(messageFor(requestType), {
            numRuns: GRPC_MESSAGES_PER_METHOD,
            seed: SEED + 10_000 + index++,
          });
          const randomBytes = fc.sample(fc.uint8Array({ maxLength: 512 }), { numRuns: 5, seed: SEED + 20_000 + index });
          const payloads: { kind: 'bytes' | 'message'; bytes: Buffer }[] = [
            ...messages.map((message) => {
              try {
                return {
                  kind: 'message' as const,
                  bytes: Buffer.from(requestType.encode(requestType.fromObject(message)).finish()),
                };
              } catch {
                return { kind: 'bytes' as const, bytes: Buffer.from([0x0a, 0xff]) };
              }
            }),
            ...randomBytes.map((bytes) => ({ kind: 'bytes' as const, bytes: Buffer.from(bytes) })),
          ];
          const path = `/${service.fullName.replace(/^\./, '')}/${method.name}`;
          await inParallel(payloads, 8, async (payload) => {
            const metadata = new Metadata();
            metadata.set('authorization', `Bearer ${tokens[index % tokens.length]}`);
            metadata.set('x-mch-purpose', 'treatment');
            metadata.set('idempotency-key', `fuzz-${SEED}-${index}-${Math.random()}`);
            const code = await new Promise<{ code: number | 'timeout'; details: string }>((resolve) => {
              const done = (code: number | 'timeout', details: string): void => resolve({ code, details });
              const deadline = new Date(Date.now() + REQUEST_TIMEOUT_MS);
              if (method.responseStream) {
                const call = client.makeServerStreamRequest(
                  path,
                  (b: Buffer) => b,
                  (b: Buffer) => b,
                  payload.bytes,
                  metadata,
                  { deadline },
                );
                call.on('data', () => call.cancel());
                call.on('error', (error: { code: number; details: string }) =>
                  done(error.code === grpcStatus.DEADLINE_EXCEEDED ? 'timeout' : error.code, error.details),
                );
                call.on('status', (s: { code: number; details: string }) => done(s.code, s.details));
              } else {
                client.makeUnaryRequest(
                  path,
                  (b: Buffer) => b,
                  (b: Buffer) => b,
                  payload.bytes,
                  metadata,
                  { deadline },
                  (error) =>
                    done(
                      error ? (error.code === grpcStatus.DEADLINE_EXCEEDED ? 'timeout' : error.code) : grpcStatus.OK,
                      error?.details ?? '',
                    ),
                );
              }
            });
            outcomes.push({ method: path, kind: payload.kind, ...code });
          });
        }
      } finally {
        client.close();
      }
    }
    log(`gRPC: ${outcomes.length} calls`);
    // Bytes that do not parse are refused by grpc-js itself before any handler runs (INTERNAL "Error
    // deserializing request"); a parsed message must never reach INTERNAL or UNKNOWN, and nothing may hang.
    const bad = outcomes.filter(
      (outcome) =>
        outcome.code === 'timeout' ||
        outcome.code === grpcStatus.UNKNOWN ||
        (outcome.code === grpcStatus.INTERNAL && !(outcome.kind === 'bytes' && /deserializ/i.test(outcome.details))),
    );
    expect(
      bad.slice(0, 20).map((outcome) => `${outcome.method} (${outcome.kind}) → ${outcome.code}: ${outcome.details}`),
    ).toEqual([]);
    expect(pidsOf()).toEqual(pidsBefore);
  });
});

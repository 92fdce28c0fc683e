// The authorization matrix for the gateway's hand-written routes, which are not in the protos' route table the
// main matrix enumerates: object upload and download (the right follows the patient the object is for), a
// consultation's live events (its participants, platform admins as audited operators), the replication events
// stream (platform admins) and the public operator page. Expectations are DESIGN.md's: clinicians of any member
// institution write and read any patient's record with a stated purpose; a resident reads her own; institution
// admins, analysts and platform admins take no part in care. The FHIR R4 reads answer exactly as the REST reads they
// are made from.
import { randomBytes } from 'node:crypto';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, ok } from '../../identity/test/support';
import { newPatient, newResident, session } from '../../consultation/test/support';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const STAFF = [
  'lufeng.clinician',
  'lufeng.midwife',
  'pref.clinician',
  'lufeng.admin',
  'pref.analyst',
  'lufeng.analyst',
  'platform.admin',
] as const;
type Caller = (typeof STAFF)[number] | 'anonymous' | 'resident (own)' | 'resident (other)';

const tokens = new Map<Caller, string>();
let ownPatient = '';
let objectId = '';
let consultationId = '';
const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';

/** The status the route answers with (a stream is closed as soon as its headers arrive). */
async function statusOf(
  method: 'GET' | 'POST',
  path: string,
  caller: Caller,
  purpose: string | undefined,
  body?: Buffer,
): Promise<number> {
  const headers: Record<string, string> = {};
  const token = tokens.get(caller);
  if (token) headers.authorization = `Bearer ${token}`;
  if (purpose) headers['x-mch-purpose'] = purpose;
  // A Bulk Data kick-off is asynchronous only (without the header it is a 400 for every caller).
  if (path.includes('/$export')) headers.prefer = 'respond-async';
  if (body) {
    headers['content-type'] = 'image/png';
    headers['idempotency-key'] = `hw-${randomBytes(8).toString('hex')}`;
  }
  const abort = new AbortController();
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    method,
    headers,
    body: body ? new Uint8Array(body) : undefined,
    signal: abort.signal,
  });
  const status = response.status;
  abort.abort();
  await response.body?.cancel().catch(() => undefined);
  return status;
}

beforeAll(async () => {
  for (const user of STAFF) tokens.set(user, (await api.login(user)).accessToken);
  const clinician = await session(api, 'lufeng.clinician');
  // Women of this file's own (a birth date no other file registers with).
  ownPatient = await newPatient(api, clinician, '1995-02-03');
  tokens.set('resident (own)', (await newResident(api, clinician, ownPatient)).token);
  tokens.set(
    'resident (other)',
    (await newResident(api, clinician, await newPatient(api, clinician, '1995-02-03'))).token,
  );
  const upload = await fetch(`${platform.gatewayUrl}/v1/objects?reference=patient:${ownPatient}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${clinician.token}`,
      'x-mch-purpose': 'treatment',
      'content-type': 'image/png',
      'idempotency-key': `hw-${randomBytes(8).toString('hex')}`,
    },
    body: new Uint8Array(randomBytes(256)),
  });
  objectId = ((await upload.json()) as { object: { id: string } }).object.id;
  const institutions = await ok(api.call('GET', '/v1/institutions?pageSize=200'));
  const prefecture = institutions.institutions.find(
    (institution: { code: string }) => institution.code === 'CX-PREF-MCH',
  ).id;
  consultationId = (
    await ok(
      api.call('POST', '/v1/consultations', {
        token: clinician.token,
        headers: { 'x-mch-purpose': 'consultation' },
        body: {
          kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
          patientId: ownPatient,
          addressedInstitutionId: prefecture,
          text: '请会诊',
        },
      }),
    )
  ).consultation.id;
}, 120_000);

it('answers every hand-written route as DESIGN.md says, for every caller', async () => {
  // Per route: the purpose staff state (residents and anonymous callers state none) and each caller's answer.
  const table: Array<[string, string | undefined, Partial<Record<Caller, number>>]> = [
    [
      `POST /v1/objects?reference=patient:${ownPatient}`,
      'treatment',
      {
        anonymous: 401,
        'lufeng.clinician': 201,
        'lufeng.midwife': 201,
        'pref.clinician': 201,
        'lufeng.admin': 403,
        'pref.analyst': 403,
        'platform.admin': 403,
        'resident (own)': 403,
        'resident (other)': 403,
      },
    ],
    [
      `GET /v1/objects/${objectId}`,
      'treatment',
      {
        anonymous: 401,
        'lufeng.clinician': 200,
        'pref.clinician': 200,
        'lufeng.admin': 403,
        'pref.analyst': 403,
        'platform.admin': 403,
        'resident (own)': 200,
        'resident (other)': 403,
      },
    ],
    [
      `GET /v1/consultations/${consultationId}/events`,
      'consultation',
      {
        anonymous: 401,
        'lufeng.clinician': 200,
        'lufeng.midwife': 403,
        'lufeng.admin': 403,
        'pref.analyst': 403,
        'platform.admin': 200,
        'resident (own)': 403,
        'resident (other)': 403,
      },
    ],
    [
      'GET /v1/replication/events',
      undefined,
      {
        anonymous: 401,
        'lufeng.clinician': 403,
        'lufeng.admin': 403,
        'pref.analyst': 403,
        'platform.admin': 200,
        'resident (own)': 403,
      },
    ],
    ['GET /status', undefined, { anonymous: 200 }],
    // FHIR R4: the same callers, purposes and answers as the REST reads it is made from (identity's GetPatient,
    // records' GetPatientRecord); the CapabilityStatement and the project's code systems need no token.
    ['GET /fhir/R4/metadata', undefined, { anonymous: 200, 'resident (own)': 200 }],
    ['GET /fhir/R4/CodeSystem/pregnancy-risk-colour', undefined, { anonymous: 200 }],
    [
      `GET /fhir/R4/Patient/${ownPatient}`,
      'treatment',
      {
        anonymous: 401,
        'lufeng.clinician': 200,
        'lufeng.midwife': 200,
        'pref.clinician': 200,
        'lufeng.admin': 403,
        'pref.analyst': 403,
        'platform.admin': 403,
        'resident (own)': 200,
        'resident (other)': 403,
      },
    ],
    [
      `GET /fhir/R4/Observation?patient=Patient/${ownPatient}`,
      'treatment',
      {
        anonymous: 401,
        'lufeng.clinician': 200,
        'lufeng.midwife': 200,
        'pref.clinician': 200,
        'lufeng.admin': 403,
        'pref.analyst': 403,
        'platform.admin': 403,
        'resident (own)': 200,
        'resident (other)': 403,
      },
    ],
    // FHIR Bulk Data: health administrators (analysts) within their scope start an export (the prefecture analyst
    // any county's, 202); nobody who takes part in care, and no resident. A job's status and files answer only the
    // client that started it: an id it did not start is not found for anyone (fhir-bulk-export.int.test.ts).
    [
      'GET /fhir/R4/Group/lufeng/$export?_type=Immunization&_since=2020-01-01T00:00:00Z',
      'treatment',
      {
        anonymous: 401,
        'lufeng.clinician': 403,
        'lufeng.midwife': 403,
        'pref.clinician': 403,
        'lufeng.admin': 403,
        'pref.analyst': 202,
        'platform.admin': 403,
        'resident (own)': 403,
        'resident (other)': 403,
      },
    ],
    [`GET /fhir/R4/Group/lufeng`, undefined, { anonymous: 401, 'lufeng.clinician': 200, 'pref.analyst': 200 }],
    [
      `GET /fhir/R4/$export-status/${UNKNOWN_JOB}`,
      undefined,
      { anonymous: 401, 'pref.analyst': 404, 'lufeng.clinician': 404, 'resident (own)': 404 },
    ],
    [
      `GET /fhir/R4/$export-file/${UNKNOWN_JOB}/Observation/0.ndjson`,
      undefined,
      { anonymous: 401, 'pref.analyst': 404, 'lufeng.clinician': 404 },
    ],
    // The dashboard (#31 §4): its shell and files need no token; its live stream follows the register's rules for
    // clinical staff and the statistics' for analysts (a county analyst for her county only).
    ['GET /dashboard', undefined, { anonymous: 200 }],
    ['GET /dashboard/dashboard.js', undefined, { anonymous: 200 }],
    ['GET /dashboard/dashboard.css', undefined, { anonymous: 200 }],
    ['GET /dashboard/targets.json', undefined, { anonymous: 200 }],
    ['GET /dashboard/echarts.min.js', undefined, { anonymous: 200 }],
    [
      'GET /v1/high-risk-cases/events',
      'treatment',
      {
        anonymous: 401,
        'lufeng.clinician': 200,
        'lufeng.midwife': 200,
        'pref.clinician': 200,
        'lufeng.admin': 403,
        'pref.analyst': 200,
        'lufeng.analyst': 403,
        'platform.admin': 403,
        'resident (own)': 403,
      },
    ],
    ['GET /v1/high-risk-cases/events?county=lufeng', 'treatment', { 'lufeng.analyst': 200, 'pref.analyst': 200 }],
    ['GET /v1/high-risk-cases/events?county=shuangbai', 'treatment', { 'lufeng.analyst': 403 }],
  ];
  // [route, caller, purpose, expected status]
  const rows: Array<[string, Caller, string | undefined, number]> = table.flatMap(([route, purpose, answers]) =>
    Object.entries(answers).map(([caller, expected]): [string, Caller, string | undefined, number] => [
      route,
      caller as Caller,
      caller === 'anonymous' || caller.startsWith('resident') ? undefined : purpose,
      expected,
    ]),
  );
  // Staff touching a patient's data without a stated purpose are refused.
  rows.push([table[0]![0], 'lufeng.clinician', undefined, 403], [table[1]![0], 'pref.clinician', undefined, 403]);
  rows.push([table[7]![0], 'lufeng.clinician', undefined, 403], [table[8]![0], 'pref.clinician', undefined, 403]);
  // The live register without a purpose is bad input naming X-MCH-Purpose, as the register itself; a bad cursor too.
  rows.push(
    ['GET /v1/high-risk-cases/events', 'lufeng.clinician', undefined, 400],
    ['GET /v1/high-risk-cases/events?lastEventId=not%20a%20cursor', 'pref.analyst', undefined, 400],
    ['GET /v1/high-risk-cases/events?lastEventId=AAAA', 'pref.analyst', undefined, 400],
  );

  const mismatches: string[] = [];
  for (const [route, caller, purpose, expected] of rows) {
    const [method, path] = route.split(' ') as ['GET' | 'POST', string];
    const status = await statusOf(method, path, caller, purpose, method === 'POST' ? randomBytes(128) : undefined);
    if (status !== expected)
      mismatches.push(
        `${route.replace(/[0-9a-f-]{36}|[0-9a-f]{64}/g, '…')} as ${caller}${purpose ? ` (${purpose})` : ''}: ${status}, expected ${expected}`,
      );
  }
  process.stderr.write(
    `[hand-written routes] ${rows.length} rows over ${table.length} routes; ${mismatches.length} mismatches\n`,
  );
  expect(mismatches).toEqual([]);
});

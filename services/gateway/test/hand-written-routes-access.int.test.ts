// The authorization matrix for the gateway's hand-written routes, which are not in the protos' route table the
// main matrix enumerates: object upload and download (the right follows the patient the object is for), a
// consultation's live events (its participants, platform admins as audited operators), the replication events
// stream (platform admins) and the public operator page. Expectations are DESIGN.md's: clinicians of any member
// institution write and read any patient's record with a stated purpose; a resident reads her own; institution
// admins, analysts and platform admins take no part in care.
import { randomBytes } from 'node:crypto';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, nextFemaleId } from '../../identity/test/support';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const STAFF = ['lufeng.clinician', 'lufeng.midwife', 'pref.clinician', 'lufeng.admin', 'pref.analyst', 'platform.admin'] as const;
type Caller = (typeof STAFF)[number] | 'anonymous' | 'resident (own)' | 'resident (other)';

const tokens = new Map<Caller, string>();
let ownPatient = '';
let objectId = '';
let consultationId = '';

async function ok(promise: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const answer = await promise;
  if (answer.status < 200 || answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function newResident(clinician: string): Promise<{ patientId: string; token: string }> {
  const staff = { 'x-mch-purpose': 'registration' };
  const { patient } = await ok(api.call('POST', '/v1/patients', { token: clinician, headers: staff, body: { nationalId: nextFemaleId('1995-02-03'), name: '矩阵', countyCode: 'lufeng' } }), 'register');
  const { code } = await ok(api.call('POST', `/v1/patients/${patient.id}/activation-codes`, { token: clinician, headers: staff, body: {} }), 'activation code');
  const activated = await ok(api.call('POST', '/v1/residents/activate', { body: { code, username: `hw.${randomBytes(4).toString('hex')}`, password: 'a resident passphrase' } }), 'activate');
  return { patientId: patient.id, token: activated.tokens.accessToken };
}

/** The status the route answers with (a stream is closed as soon as its headers arrive). */
async function statusOf(method: 'GET' | 'POST', path: string, caller: Caller, purpose: string | undefined, body?: Buffer): Promise<number> {
  const headers: Record<string, string> = {};
  const token = tokens.get(caller);
  if (token) headers.authorization = `Bearer ${token}`;
  if (purpose) headers['x-mch-purpose'] = purpose;
  if (body) {
    headers['content-type'] = 'image/png';
    headers['idempotency-key'] = `hw-${randomBytes(8).toString('hex')}`;
  }
  const abort = new AbortController();
  const response = await fetch(`${platform.gatewayUrl}${path}`, { method, headers, body: body ? new Uint8Array(body) : undefined, signal: abort.signal });
  const status = response.status;
  abort.abort();
  await response.body?.cancel().catch(() => undefined);
  return status;
}

beforeAll(async () => {
  for (const user of STAFF) tokens.set(user, (await api.login(user)).accessToken);
  const clinician = tokens.get('lufeng.clinician') as string;
  const own = await newResident(clinician);
  const other = await newResident(clinician);
  ownPatient = own.patientId;
  tokens.set('resident (own)', own.token);
  tokens.set('resident (other)', other.token);
  const upload = await fetch(`${platform.gatewayUrl}/v1/objects?reference=patient:${ownPatient}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${clinician}`, 'x-mch-purpose': 'treatment', 'content-type': 'image/png', 'idempotency-key': `hw-${randomBytes(8).toString('hex')}` },
    body: new Uint8Array(randomBytes(256)),
  });
  objectId = ((await upload.json()) as { object: { id: string } }).object.id;
  const institutions = await ok(api.call('GET', '/v1/institutions?pageSize=200'), 'institutions');
  const prefecture = institutions.institutions.find((institution: { code: string }) => institution.code === 'CX-PREF-MCH').id;
  consultationId = (
    await ok(
      api.call('POST', '/v1/consultations', {
        token: clinician,
        headers: { 'x-mch-purpose': 'consultation' },
        body: { kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST', patientId: ownPatient, addressedInstitutionId: prefecture, text: '请会诊' },
      }),
      'consultation',
    )
  ).consultation.id;
}, 120_000);

it('answers every hand-written route as DESIGN.md says, for every caller', async () => {
  const treatment = 'treatment';
  // [route, caller, purpose, expected status]
  const rows: Array<[string, Caller, string | undefined, number]> = [];
  const upload = `POST /v1/objects?reference=patient:${ownPatient}`;
  const download = `GET /v1/objects/${objectId}`;
  const events = `GET /v1/consultations/${consultationId}/events`;
  const replicationEvents = 'GET /v1/replication/events';
  for (const [caller, expected] of [
    ['anonymous', 401],
    ['lufeng.clinician', 201],
    ['lufeng.midwife', 201],
    ['pref.clinician', 201],
    ['lufeng.admin', 403],
    ['pref.analyst', 403],
    ['platform.admin', 403],
    ['resident (own)', 403],
    ['resident (other)', 403],
  ] as const) rows.push([upload, caller, caller === 'anonymous' || caller.startsWith('resident') ? undefined : treatment, expected]);
  rows.push([upload, 'lufeng.clinician', undefined, 403]);
  for (const [caller, expected] of [
    ['anonymous', 401],
    ['lufeng.clinician', 200],
    ['pref.clinician', 200],
    ['lufeng.admin', 403],
    ['pref.analyst', 403],
    ['platform.admin', 403],
    ['resident (own)', 200],
    ['resident (other)', 403],
  ] as const) rows.push([download, caller, caller === 'anonymous' || caller.startsWith('resident') ? undefined : treatment, expected]);
  rows.push([download, 'pref.clinician', undefined, 403]);
  for (const [caller, expected] of [
    ['anonymous', 401],
    ['lufeng.clinician', 200],
    ['lufeng.midwife', 403],
    ['lufeng.admin', 403],
    ['pref.analyst', 403],
    ['platform.admin', 200],
    ['resident (own)', 403],
    ['resident (other)', 403],
  ] as const) rows.push([events, caller, caller === 'anonymous' || caller.startsWith('resident') ? undefined : 'consultation', expected]);
  for (const [caller, expected] of [
    ['anonymous', 401],
    ['lufeng.clinician', 403],
    ['lufeng.admin', 403],
    ['pref.analyst', 403],
    ['platform.admin', 200],
    ['resident (own)', 403],
  ] as const) rows.push([replicationEvents, caller, undefined, expected]);
  rows.push(['GET /status', 'anonymous', undefined, 200]);

  const mismatches: string[] = [];
  for (const [route, caller, purpose, expected] of rows) {
    const [method, path] = route.split(' ') as ['GET' | 'POST', string];
    const status = await statusOf(method, path, caller, purpose, method === 'POST' ? randomBytes(128) : undefined);
    if (status !== expected) mismatches.push(`${route.replace(/[0-9a-f-]{36}|[0-9a-f]{64}/g, '…')} as ${caller}${purpose ? ` (${purpose})` : ''}: ${status}, expected ${expected}`);
  }
  process.stderr.write(`[hand-written routes] ${rows.length} rows over 5 routes; ${mismatches.length} mismatches\n`);
  expect(mismatches).toEqual([]);
});

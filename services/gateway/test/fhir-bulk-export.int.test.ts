// FHIR Bulk Data $export through the real gateway and records service, consumed as the Bulk Data spec tells a client
// to: kick-off with Prefer: respond-async, poll the Content-Location (202 with Retry-After until the manifest), then
// download every output file with the same token. A Lufeng woman with an HIV lab and a grade with purple beside it
// is exported by the Lufeng health administrator (an analyst) as part of the Lufeng Group: every NDJSON line
// validates against the R4 definitions, nothing sensitive is in it, a Shuangbai woman is not, `_type` and `_since`
// filter, others are refused, a cancelled job is gone, and a records service killed mid-export resumes its job.
import type { Resource } from '@medplum/fhirtypes';
import { sendControl } from '../../platform/src/control';
import {
  call,
  daysBefore,
  loginAll,
  newMother,
  ok,
  platform,
  recordsAuditOf,
  tokens,
} from '../../records/test/support';
import { validationErrors } from './fhir-validator';

const FHIR_BASE = `${platform.gatewayUrl}/fhir/R4`;

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: unknown[];
}

async function fhir(
  user: string | undefined,
  route: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const url = route.startsWith('http') ? route : `${FHIR_BASE}${route}`;
  return fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      accept: 'application/fhir+json',
      ...(user ? { authorization: `Bearer ${tokens[user] ?? ''}` } : {}),
      ...init.headers,
    },
  });
}

async function kickOff(user: string, route: string): Promise<string> {
  const answer = await fhir(user, route, { headers: { prefer: 'respond-async' } });
  if (answer.status !== 202) throw new Error(`kick-off ${route}: ${answer.status} ${await answer.text()}`);
  const location = answer.headers.get('content-location');
  if (!location) throw new Error('kick-off without Content-Location');
  return location;
}

/** Polls the status URL as a client does (after Retry-After) until the manifest; bounded, never timed. */
async function manifestOf(user: string, statusUrl: string): Promise<Manifest> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const answer = await fhir(user, statusUrl);
    if (answer.status === 200) return (await answer.json()) as Manifest;
    if (answer.status !== 202) throw new Error(`status ${answer.status}: ${await answer.text()}`);
    expect(answer.headers.get('x-progress')).toMatch(/%/);
    const retryAfter = Number(answer.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter, 1) * 500));
  }
  throw new Error(`export ${statusUrl} did not finish`);
}

async function download(user: string, manifest: Manifest): Promise<Resource[]> {
  const resources: Resource[] = [];
  for (const output of manifest.output) {
    const answer = await fhir(user, output.url, { headers: { accept: 'application/fhir+ndjson' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/fhir\+ndjson/);
    const lines = (await answer.text()).split('\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(output.count);
    for (const line of lines) {
      const resource = JSON.parse(line) as Resource;
      expect(resource.resourceType).toBe(output.type);
      resources.push(resource);
    }
  }
  return resources;
}

const ofPatient = (resources: Resource[], patientId: string): Resource[] =>
  resources.filter((resource) => JSON.stringify(resource).includes(`"Patient/${patientId}"`));

let motherId: string;
let otherCountyMotherId: string;
let before: string;

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'lufeng.clinician', 'shuangbai.midwife', 'lufeng.analyst', 'pref.analyst']);
  // `_since` from here keeps the exports to what this test wrote (other tests share the platform).
  before = new Date(Date.now() - 1000).toISOString();
  motherId = await newMother();
  const reg = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, { lmp: daysBefore(200) }),
  );
  const pregnancyId = reg.pregnancy.id as string;
  await ok(
    call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
      visitDate: daysBefore(10),
      systolicBp: 150,
      diastolicBp: 96,
      weightKg: 64,
      labs: [
        { code: 'HIV', result: 'positive' },
        { code: 'HBsAg', result: 'negative' },
      ],
    }),
  );
  await ok(
    call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/risk-assessments`, {
      colour: 'yellow',
      besideColours: ['purple'],
      reason: '妊娠期高血压; HIV',
    }),
  );
  otherCountyMotherId = await newMother('1992-03-04', 'shuangbai');
  await ok(call('lufeng.midwife', 'POST', `/v1/patients/${otherCountyMotherId}/pregnancies`, { lmp: daysBefore(100) }));
});

test('a county export completes, every NDJSON line validates, and nothing sensitive or of another county is in it', async () => {
  const statusUrl = await kickOff('lufeng.analyst', `/Group/lufeng/$export?_since=${encodeURIComponent(before)}`);
  expect(statusUrl).toMatch(/\/fhir\/R4\/\$export-status\/[0-9a-f-]{36}$/);
  const manifest = await manifestOf('lufeng.analyst', statusUrl);
  expect(manifest.requiresAccessToken).toBe(true);
  expect(manifest.request).toContain('/fhir/R4/Group/lufeng/$export');
  expect(Date.parse(manifest.transactionTime)).toBeGreaterThan(Date.parse(before));
  expect(manifest.error).toEqual([]);
  const resources = await download('lufeng.analyst', manifest);
  const errors = resources.flatMap(validationErrors);
  expect(errors).toEqual([]);
  const hers = ofPatient(resources, motherId);
  expect(hers.map((resource) => resource.resourceType).sort()).toEqual(
    expect.arrayContaining(['EpisodeOfCare', 'Encounter', 'Observation', 'RiskAssessment']),
  );
  const text = JSON.stringify(hers);
  // The HIV lab and the purple beside her grade are the treating team's: not in a bulk export.
  expect(text).not.toContain('HIV');
  expect(text).not.toContain('purple');
  expect(ofPatient(resources, otherCountyMotherId)).toEqual([]);
  // The same files refuse another client, even a prefecture-wide one.
  const first = manifest.output[0];
  expect(first).toBeDefined();
  expect(
    (await fhir('pref.analyst', first?.url ?? '', { headers: { accept: 'application/fhir+ndjson' } })).status,
  ).toBe(403);
  expect((await fhir(undefined, first?.url ?? '', { headers: { accept: 'application/fhir+ndjson' } })).status).toBe(
    401,
  );
  // Every exported patient is audited as exported.
  expect((await recordsAuditOf(motherId)).map((event) => event.action)).toContain('fhir.bulk-export.non-sensitive');
});

test('_type and _since filter the export', async () => {
  const typed = await manifestOf(
    'lufeng.analyst',
    await kickOff('lufeng.analyst', `/Group/lufeng/$export?_type=RiskAssessment&_since=${encodeURIComponent(before)}`),
  );
  expect(new Set(typed.output.map((output) => output.type))).toEqual(new Set(['RiskAssessment']));
  expect(ofPatient(await download('lufeng.analyst', typed), motherId)).toHaveLength(1);
  const after = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const later = await manifestOf(
    'lufeng.analyst',
    await kickOff('lufeng.analyst', `/Group/lufeng/$export?_since=${encodeURIComponent(after)}`),
  );
  expect(ofPatient(await download('lufeng.analyst', later), motherId)).toEqual([]);
});

test('a prefecture administrator exports the whole alliance; both women are in it', async () => {
  const manifest = await manifestOf(
    'pref.analyst',
    await kickOff('pref.analyst', `/$export?_type=EpisodeOfCare&_since=${encodeURIComponent(before)}`),
  );
  const resources = await download('pref.analyst', manifest);
  expect(ofPatient(resources, motherId)).toHaveLength(1);
  expect(ofPatient(resources, otherCountyMotherId)).toHaveLength(1);
});

test('bad parameters are 400 OperationOutcomes naming the parameter', async () => {
  const cases: [string, Record<string, string>, string][] = [
    ['/Group/lufeng/$export', {}, 'Prefer'],
    ['/Group/lufeng/$export?_outputFormat=text/csv', { prefer: 'respond-async' }, '_outputFormat'],
    ['/Group/lufeng/$export?_type=Practitioner', { prefer: 'respond-async' }, '_type'],
    ['/Group/lufeng/$export?_since=yesterday', { prefer: 'respond-async' }, '_since'],
    ['/Group/lufeng/$export?_typeFilter=Observation%3Fcode%3Dx', { prefer: 'respond-async' }, '_typeFilter'],
  ];
  for (const [route, headers, parameter] of cases) {
    const answer = await fhir('lufeng.analyst', route, { headers });
    expect(answer.status).toBe(400);
    const outcome = (await answer.json()) as { resourceType: string; issue: { expression?: string[] }[] };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]?.expression).toEqual([parameter]);
  }
  expect(
    (await fhir('lufeng.analyst', '/Group/atlantis/$export', { headers: { prefer: 'respond-async' } })).status,
  ).toBe(404);
});

test('midwives, another county and a system-level export by a county administrator are refused', async () => {
  const refusals: [string, string][] = [
    ['lufeng.midwife', '/Group/lufeng/$export'],
    ['shuangbai.midwife', '/Group/lufeng/$export'],
    ['lufeng.analyst', '/Group/shuangbai/$export'],
    ['lufeng.analyst', '/$export'],
  ];
  for (const [user, route] of refusals) {
    const answer = await fhir(user, route, { headers: { prefer: 'respond-async' } });
    expect([user, route, answer.status]).toEqual([user, route, 403]);
    expect(((await answer.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  }
  expect((await fhir(undefined, '/$export', { headers: { prefer: 'respond-async' } })).status).toBe(401);
});

test('the county Groups are readable Group resources that validate', async () => {
  const answer = await fhir('lufeng.analyst', '/Group/lufeng');
  expect(answer.status).toBe(200);
  const group = (await answer.json()) as Resource;
  expect(validationErrors(group)).toEqual([]);
  const bundle = (await (await fhir('lufeng.analyst', '/Group')).json()) as { total: number };
  expect(bundle.total).toBe(10);
});

test('DELETE cancels an export; its status is then gone', async () => {
  const statusUrl = await kickOff('lufeng.analyst', `/Group/lufeng/$export?_since=${encodeURIComponent(before)}`);
  expect((await fhir('lufeng.analyst', statusUrl, { method: 'DELETE' })).status).toBe(202);
  expect((await fhir('lufeng.analyst', statusUrl)).status).toBe(404);
});

test('a records service killed during an export resumes it: every patient exactly once', async () => {
  const statusUrl = await kickOff('pref.analyst', `/$export?_type=EpisodeOfCare&_since=${encodeURIComponent(before)}`);
  const killed = await sendControl(platform.dataDir, { target: 'service', action: 'kill', name: 'records' });
  expect(killed.ok).toBe(true);
  // The status URL answers again once the supervisor has restarted records (503 meanwhile).
  let manifest: Manifest | undefined;
  for (let attempt = 0; attempt < 120 && !manifest; attempt += 1) {
    try {
      manifest = await manifestOf('pref.analyst', statusUrl);
    } catch (error) {
      if (!/status 50[03]/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  expect(manifest).toBeDefined();
  const resources = await download('pref.analyst', manifest as Manifest);
  const ids = resources.map((resource) => resource.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ofPatient(resources, motherId)).toHaveLength(1);
  expect(ofPatient(resources, otherCountyMotherId)).toHaveLength(1);
});

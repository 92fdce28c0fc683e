// FHIR R4 through a real gateway on the real test platform, read by a real client (fhir-kit-client, in its own
// process): a Lufeng woman's pregnancy (visits with an HIV lab, a grade red with purple beside it and a reason naming
// HIV, the delivery, a postpartum visit) and her child's growth and doses. Her treating team reads everything; the
// midwife of another county (Shuangbai) reads through FHIR exactly what the REST API gives her — no HIV lab, no purple,
// no reason — and both reads are audited by the records service as reads of her record. Every resource either reader
// receives validates against the R4 base definitions (and the vital signs profiles).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Bundle, Observation, Resource, RiskAssessment } from '@medplum/fhirtypes';
import { matchSensitiveTerms } from '../../common/src/sensitive-text';
import {
  call,
  certificate,
  daysBefore,
  loginAll,
  newMother,
  ok,
  platform,
  recordOf,
  recordsAuditOf,
  today,
  tokens,
} from '../../records/test/support';
import { IDENTIFIER_SYSTEMS } from '../../common/src/fhir/canonical';
import { validationErrors } from './fhir-validator';

const run = promisify(execFile);
const FHIR_BASE = `${platform.gatewayUrl}/fhir/R4`;

interface ConsumerAnswer {
  capability: Resource;
  patients: { mother: Resource; child: Resource };
  pages: { mother: Record<string, Bundle[]>; child: Record<string, Bundle[]> };
  reads: { asked: Resource; read: Resource }[];
  refusals: Record<string, { status: number; body?: string | { resourceType?: string; issue?: { code: string }[] } }>;
}

async function consume(user: string, motherId: string, childId: string): Promise<ConsumerAnswer> {
  const { stdout } = await run(process.execPath, [path.join(__dirname, 'fhir-consumer.mjs')], {
    env: {
      ...process.env,
      FHIR_BASE,
      FHIR_TOKEN: tokens[user],
      FHIR_PURPOSE: 'treatment',
      MOTHER_ID: motherId,
      CHILD_ID: childId,
    },
    maxBuffer: 32 * 1024 * 1024,
    timeout: 120_000,
  });
  return JSON.parse(stdout) as ConsumerAnswer;
}

function matches(pages: Bundle[] | undefined): Resource[] {
  return (pages ?? []).flatMap((page) =>
    (page.entry ?? []).filter((entry) => entry.search?.mode === 'match').map((entry) => entry.resource as Resource),
  );
}

function everyResource(answer: ConsumerAnswer): Resource[] {
  return [
    answer.capability,
    answer.patients.mother,
    answer.patients.child,
    ...Object.values(answer.pages.mother).flat(),
    ...Object.values(answer.pages.child).flat(),
    ...answer.reads.map((read) => read.read),
  ];
}

const isLab = (code: string) => (resource: Resource) =>
  resource.resourceType === 'Observation' && (resource.code.coding ?? []).some((coding) => coding.code === code);
const gradeOf = (resources: Resource[]) =>
  resources.find(
    (resource): resource is RiskAssessment =>
      resource.resourceType === 'RiskAssessment' && resource.code?.coding?.[0]?.code === 'grade',
  );

let motherId: string;
let childId: string;
let treating: ConsumerAnswer;
let outsider: ConsumerAnswer;

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'lufeng.clinician', 'pref.clinician', 'shuangbai.midwife', 'lufeng.analyst']);
  motherId = await newMother();
  const reg = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, { lmp: daysBefore(270) }),
  );
  const pregnancyId = reg.pregnancy.id as string;
  await ok(
    call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
      visitDate: daysBefore(40),
      systolicBp: 168,
      diastolicBp: 112,
      weightKg: 66.4,
      fundalHeightCm: 33,
      proteinuria: 'PROTEINURIA_PLUS_2',
      haemoglobin: 108,
      labs: [
        { code: 'HIV', result: 'positive' },
        { code: 'HBsAg', result: 'negative' },
      ],
      notes: '血压高，已通知县医院',
    }),
  );
  await ok(
    call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
      visitDate: daysBefore(20),
      systolicBp: 150,
      diastolicBp: 95,
      weightKg: 67,
      notes: '血压复查',
    }),
  );
  await ok(
    call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/risk-assessments`, {
      colour: 'red',
      besideColours: ['purple'],
      reason: '重度高血压; HIV',
    }),
  );
  const delivered = await ok(
    call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/delivery`, {
      deliveryDate: daysBefore(6),
      dischargeDate: daysBefore(3),
      mode: 'DELIVERY_MODE_CAESAREAN',
      outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
      placeOfDelivery: 'PLACE_OF_DELIVERY_PREFECTURE_HOSPITAL',
      newborns: [
        { sex: 'CHILD_SEX_FEMALE', birthCertificateNumber: certificate(), birthWeightGrams: 2900, birthLengthCm: 48 },
      ],
    }),
  );
  childId = delivered.delivery.newborns[0].childPatientId;
  await ok(
    call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/postpartum-visits`, {
      kind: 'home-visit',
      visitDate: daysBefore(1),
      systolicBp: 128,
      diastolicBp: 82,
      temperatureC: 36.9,
    }),
  );
  await ok(
    call('lufeng.midwife', 'POST', `/v1/children/${childId}/checks`, {
      checkedOn: today,
      service: 'newborn-home-visit',
      growth: { weightKg: 3.0, lengthHeightCm: 49, headCircumferenceCm: 34 },
    }),
  );
  await ok(
    call('lufeng.midwife', 'POST', `/v1/children/${childId}/immunizations`, {
      vaccine: 'HepB',
      dose: 1,
      givenOn: daysBefore(6),
      lotNumber: 'HB2026-11',
    }),
  );
  await ok(
    call('lufeng.midwife', 'POST', `/v1/children/${childId}/immunizations`, {
      vaccine: 'BCG',
      dose: 1,
      givenOn: daysBefore(5),
    }),
  );
  treating = await consume('lufeng.midwife', motherId, childId);
  outsider = await consume('shuangbai.midwife', motherId, childId);
}, 240_000);

describe('a FHIR client reading the shared record', () => {
  it('every resource either reader receives validates against R4', () => {
    const resources = [...everyResource(treating), ...everyResource(outsider)];
    expect(resources.length).toBeGreaterThan(30);
    expect(resources.flatMap(validationErrors)).toEqual([]);
  });

  it("her treating team reads the pregnancy, the visits, the grade with purple and its reason, the HIV lab, and the child's growth and doses", () => {
    const mother = treating.pages.mother;
    expect(matches(mother.EpisodeOfCare)).toEqual([
      expect.objectContaining({ status: 'finished', patient: { reference: `Patient/${motherId}` } }),
    ]);
    const encounters = matches(mother.Encounter).map((resource) =>
      resource.resourceType === 'Encounter' ? resource.type?.[0]?.coding?.[0]?.code : '',
    );
    expect(encounters).toEqual(['antenatal-visit', 'antenatal-visit', 'delivery', 'postpartum-home-visit']);
    const observations = matches(mother.Observation);
    expect(observations.filter(isLab('lab-hiv'))).toHaveLength(1);
    expect(observations.filter(isLab('5196-1'))).toHaveLength(1);
    expect(observations.filter(isLab('85354-9'))).toHaveLength(3);
    const grade = gradeOf(matches(mother.RiskAssessment));
    expect(grade?.prediction?.map((prediction) => prediction.qualitativeRisk?.coding?.[0]?.code)).toEqual([
      'red',
      'purple',
    ]);
    expect(grade?.note).toEqual([{ text: '重度高血压; HIV' }]);
    // Paged: four per page, every page but the last full, and the pages together are the whole answer.
    const pages = mother.Observation ?? [];
    expect(pages.length).toBeGreaterThan(2);
    expect(
      pages
        .slice(0, -1)
        .every((page) => (page.entry ?? []).filter((entry) => entry.search?.mode === 'match').length === 4),
    ).toBe(true);
    expect(observations).toHaveLength(pages[0]?.total ?? -1);
    const child = treating.pages.child;
    const growth = matches(child.Observation) as Observation[];
    expect(growth.map((observation) => observation.code.coding?.[0]?.code)).toEqual(
      expect.arrayContaining(['29463-7', '8302-2', '9843-4', 'weight-for-age', 'head-circumference-for-age']),
    );
    expect(
      matches(child.Immunization).map((resource) =>
        resource.resourceType === 'Immunization' ? resource.vaccineCode.coding?.map((coding) => coding.code) : [],
      ),
    ).toEqual([
      ['HepB', '08'],
      ['BCG', '19'],
    ]);
    expect(
      matches(child.Encounter).map((resource) => (resource.resourceType === 'Encounter' ? resource.class.code : '')),
    ).toEqual(['HH']);
    // A read by id returns what the search returned.
    expect(treating.reads.length).toBe(7);
    for (const { asked, read } of treating.reads) expect(read).toEqual(asked);
  });

  it('the midwife of another county gets through FHIR only what the REST API gives her: no HIV lab, no purple, no reason', async () => {
    const rest = await recordOf('shuangbai.midwife', motherId);
    expect(rest.sensitiveWithheld).toBe(true);
    const mother = outsider.pages.mother;
    const observations = matches(mother.Observation);
    expect(observations.filter(isLab('lab-hiv'))).toEqual([]);
    expect(observations.filter(isLab('5196-1'))).toEqual([]);
    expect(rest.pregnancies[0].visits.flatMap((visit: { labs?: unknown[] }) => visit.labs ?? [])).toEqual([]);
    const grade = gradeOf(matches(mother.RiskAssessment));
    const restGrade = rest.pregnancies[0].riskAssessments.find(
      (assessment: { kind: string }) => assessment.kind === 'grade',
    );
    expect(grade?.prediction?.map((prediction) => prediction.qualitativeRisk?.coding?.[0]?.code)).toEqual([
      restGrade.colour,
      ...(restGrade.besideColours ?? []),
    ]);
    expect(grade?.prediction?.map((prediction) => prediction.qualitativeRisk?.coding?.[0]?.code)).toEqual(['red']);
    expect(grade?.note).toBeUndefined();
    expect(grade?.meta?.security?.[0]?.code).toBe('REDACTED');
    // The same visits, the same doses, the same measurements as the REST answer.
    const antenatal = matches(mother.Encounter).filter(
      (resource) =>
        resource.resourceType === 'Encounter' && resource.type?.[0]?.coding?.[0]?.code === 'antenatal-visit',
    );
    expect(
      antenatal.map((encounter) => encounter.resourceType === 'Encounter' && encounter.identifier?.[0]?.value),
    ).toEqual(rest.pregnancies[0].visits.map((visit: { id: string }) => visit.id));
    const restChild = await recordOf('shuangbai.midwife', childId);
    expect(
      matches(outsider.pages.child.Immunization).map(
        (resource) => resource.resourceType === 'Immunization' && resource.identifier?.[0]?.value,
      ),
    ).toEqual(restChild.child.immunizations.map((dose: { id: string }) => dose.id));
    // The search says that entries were withheld, and nothing she receives names the condition.
    expect(
      mother.Observation?.[0]?.entry?.some(
        (entry) => entry.search?.mode === 'outcome' && entry.resource?.resourceType === 'OperationOutcome',
      ),
    ).toBe(true);
    // (A vaccine's name is not a finding: the child's HepB dose names hepatitis B in its vaccine code, as every
    // newborn's does, so the child's answer is checked without the vaccine codes.)
    const motherPart = [outsider.patients.mother, ...Object.values(outsider.pages.mother).flat()];
    expect(matchSensitiveTerms(JSON.stringify(motherPart))).toEqual([]);
    const childPart = [outsider.patients.child, ...Object.values(outsider.pages.child).flat()];
    expect(
      matchSensitiveTerms(
        JSON.stringify(childPart, (key, value: unknown) => (key === 'vaccineCode' ? undefined : value)),
      ),
    ).toEqual([]);
  });

  it('break-glass through FHIR opens what it opens on the REST API, with the reason audited', async () => {
    const glass = {
      'x-mch-purpose': 'break-glass',
      'x-mch-break-glass-reason': 'eclampsia emergency, treating team unreachable',
    };
    const answer = await fetch(`${FHIR_BASE}/RiskAssessment?patient=Patient/${motherId}`, {
      headers: { authorization: `Bearer ${tokens['shuangbai.midwife']}`, ...glass },
    });
    expect(answer.status).toBe(200);
    const bundle = (await answer.json()) as Bundle;
    const grade = gradeOf((bundle.entry ?? []).map((entry) => entry.resource as Resource));
    expect(grade?.prediction?.map((prediction) => prediction.qualitativeRisk?.coding?.[0]?.code)).toEqual([
      'red',
      'purple',
    ]);
    expect(validationErrors(bundle)).toEqual([]);
    const events = await recordsAuditOf(motherId);
    expect(
      events.some(
        (event) =>
          event.action === 'record.read' && event.reason === `break-glass: ${glass['x-mch-break-glass-reason']}`,
      ),
    ).toBe(true);
  });

  it('finds her by her resident ID (the documented identifier system) and by MPI id; a search with no criterion is refused', async () => {
    const rest = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${motherId}`));
    const headers = {
      authorization: `Bearer ${tokens['lufeng.midwife']}`,
      'x-mch-purpose': 'treatment',
      accept: 'application/fhir+json',
    };
    const byResidentId = (await (
      await fetch(
        `${FHIR_BASE}/Patient?identifier=${encodeURIComponent(`${IDENTIFIER_SYSTEMS.residentId}|${rest.patient.nationalId}`)}`,
        { headers },
      )
    ).json()) as Bundle;
    expect(byResidentId).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    expect(byResidentId.entry?.map((entry) => entry.resource?.id)).toEqual([motherId]);
    expect(byResidentId.entry?.[0]?.resource).toEqual(treating.patients.mother);
    const byMpi = (await (
      await fetch(
        `${FHIR_BASE}/Patient?identifier=${encodeURIComponent(`${IDENTIFIER_SYSTEMS.mpiPatient}|${motherId}`)}&_format=json`,
        { headers },
      )
    ).json()) as Bundle;
    expect(byMpi.entry?.map((entry) => entry.resource?.id)).toEqual([motherId]);
    const none = await fetch(`${FHIR_BASE}/Patient`, { headers });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { issue: { code: string }[] }).issue[0]?.code).toBe('too-costly');
  });

  it("the records service audits the FHIR reads as reads of her record, restricted for the other county's midwife", async () => {
    const events = await recordsAuditOf(motherId);
    const reads = events.filter(
      (event) => event.action === 'record.read' || event.action === 'record.read.non-sensitive',
    );
    expect(reads.filter((event) => event.action === 'record.read.non-sensitive').length).toBeGreaterThanOrEqual(4);
    expect(reads.filter((event) => event.action === 'record.read').length).toBeGreaterThanOrEqual(4);
  });

  it('refuses what it must, each as an OperationOutcome: no token 401, no criterion 400 too-costly, unknown parameter 400, unknown id 404', () => {
    const { noToken, noCriterion, unknownParameter, unknownId } = treating.refusals;
    expect(noToken?.status).toBe(401);
    expect(noCriterion?.status).toBe(400);
    expect(unknownParameter?.status).toBe(400);
    expect(unknownId?.status).toBe(404);
    for (const refusal of [noToken, noCriterion, unknownParameter, unknownId]) {
      const body =
        typeof refusal?.body === 'string' ? (JSON.parse(refusal.body) as { resourceType?: string }) : refusal?.body;
      expect(body?.resourceType).toBe('OperationOutcome');
    }
  });

  it('an analyst, or staff without a purpose, is refused 403 as an OperationOutcome; the CapabilityStatement needs no token', async () => {
    const analyst = await fetch(`${FHIR_BASE}/Observation?patient=${motherId}`, {
      headers: { authorization: `Bearer ${tokens['lufeng.analyst']}`, 'x-mch-purpose': 'treatment' },
    });
    expect(analyst.status).toBe(403);
    expect(((await analyst.json()) as { resourceType: string; issue: { code: string }[] }).issue[0]?.code).toBe(
      'forbidden',
    );
    const noPurpose = await fetch(`${FHIR_BASE}/Patient/${motherId}`, {
      headers: { authorization: `Bearer ${tokens['lufeng.midwife']}` },
    });
    expect(noPurpose.status).toBe(403);
    expect(noPurpose.headers.get('content-type')).toContain('application/fhir+json');
    expect(treating.capability).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
  });
});

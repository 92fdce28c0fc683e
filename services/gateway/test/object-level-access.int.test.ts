// Broken object-level authorization, proven impossible for residents across every service: a resident holding a
// valid token reaches every route that names a patient, pregnancy, child, appointment, consultation or referral
// with the ids of ANOTHER woman's data, and no answer may be a success. The routes come from the gateway's own
// table, so a route added later is covered without editing this file; a control shows that the same resident
// does read her own data, so the test can fail.
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, nextFemaleId } from '../../identity/test/support';
import { gatewayRoutes } from './route-calls';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const routes = gatewayRoutes();

interface Woman {
  patientId: string;
  token: string;
  pregnancyId?: string;
  appointmentId?: string;
  consultationId?: string;
  referralId?: string;
}

async function ok(promise: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const answer = await promise;
  if (answer.status !== 200) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

let clinician: string;
let midwife: string;
let prefectureId: string;
const women: Woman[] = [];

async function newWoman(): Promise<Woman> {
  const staff = { 'x-mch-purpose': 'registration' };
  const { patient } = await ok(
    api.call('POST', '/v1/patients', {
      token: clinician,
      headers: staff,
      body: { nationalId: nextFemaleId('1994-05-06'), name: '测试', countyCode: 'lufeng' },
    }),
    'register',
  );
  const { code } = await ok(
    api.call('POST', `/v1/patients/${patient.id}/activation-codes`, { token: clinician, headers: staff, body: {} }),
    'activation code',
  );
  const activated = await ok(
    api.call('POST', '/v1/residents/activate', {
      body: { code, username: `bola.${patient.id.slice(0, 8)}`, password: 'a resident passphrase' },
    }),
    'activate',
  );
  return { patientId: patient.id, token: activated.tokens.accessToken };
}

beforeAll(async () => {
  clinician = (await api.login('lufeng.clinician')).accessToken;
  midwife = (await api.login('lufeng.midwife')).accessToken;
  const institutions = await ok(api.call('GET', '/v1/institutions?pageSize=200'), 'institutions');
  prefectureId = institutions.institutions.find(
    (institution: { code: string }) => institution.code === 'CX-PREF-MCH',
  ).id;
  women.push(await newWoman(), await newWoman());
  const victim = women[1] as Woman;
  const treatment = { 'x-mch-purpose': 'treatment' };
  // Her data in every service: a pregnancy, an appointment she booked, a consultation she opened, a referral.
  const lmp = new Date(Date.now() - 70 * 86_400_000).toISOString().slice(0, 10);
  victim.pregnancyId = (
    await ok(
      api.call('POST', `/v1/patients/${victim.patientId}/pregnancies`, {
        token: clinician,
        headers: treatment,
        body: { lmp },
      }),
      'pregnancy',
    )
  ).pregnancy.id;
  const from = encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString());
  const slots = await ok(
    api.call('GET', `/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&near=25.03,101.55&from=${from}`, {
      token: victim.token,
    }),
    'slots',
  );
  const slot = slots.slots[0];
  victim.appointmentId = (
    await ok(
      api.call('POST', '/v1/appointments', {
        token: victim.token,
        body: {
          patientId: victim.patientId,
          institutionId: slot.institutionId,
          service: 'SERVICE_TYPE_ANTENATAL_CHECK',
          start: slot.start,
        },
      }),
      'booking',
    )
  ).appointment.id;
  victim.consultationId = (
    await ok(
      api.call('POST', '/v1/consultations', {
        token: victim.token,
        body: {
          kind: 'CONSULTATION_KIND_RESIDENT_CLINICIAN',
          patientId: victim.patientId,
          addressedInstitutionId: slot.institutionId,
          subject: 'a question',
          text: 'is this swelling normal?',
        },
      }),
      'consultation',
    )
  ).consultation.id;
  victim.referralId = (
    await ok(
      api.call('POST', '/v1/referrals', {
        token: midwife,
        headers: { 'x-mch-purpose': 'referral' },
        body: {
          patientId: victim.patientId,
          toInstitutionId: prefectureId,
          direction: 'REFERRAL_DIRECTION_UP',
          urgency: 'REFERRAL_URGENCY_ROUTINE',
          reason: 'anaemia not improving',
        },
      }),
      'referral',
    )
  ).referral.id;
}, 120_000);

/** The route's path with the victim's ids in it; undefined when the route names something this test did not create. */
function targetOf(template: string, victim: Woman): string | undefined {
  const ids: Record<string, string | undefined> = {
    patient_id: victim.patientId,
    child_patient_id: victim.patientId,
    pregnancy_id: victim.pregnancyId,
    appointment_id: victim.appointmentId,
    consultation_id: victim.consultationId,
    referral_id: victim.referralId,
    account_id: victim.patientId,
  };
  let missing = false;
  const target = template.replace(/\{([a-z_.]+)(=[^}]*)?\}/g, (_match, field: string) => {
    const id = ids[field];
    if (id === undefined) missing = true;
    return id ?? '';
  });
  return missing ? undefined : target;
}

const OBJECT_FIELDS = /^(patient_id|child_patient_id|pregnancy_id|appointment_id|consultation_id|referral_id)$/;

it("lets no resident reach another woman's data through any route that names it", async () => {
  const [attacker, victim] = women as [Woman, Woman];
  const covered = routes.filter((route) => [...route.pathParams.values()].some((field) => OBJECT_FIELDS.test(field)));
  expect(covered.length).toBeGreaterThan(40);
  const breaches: string[] = [];
  const answers = new Map<number, number>();
  for (const route of covered) {
    const target = targetOf(route.template, victim);
    if (target === undefined) continue;
    // A body the gateway accepts (only fields the request has), so every write reaches the service's own checks.
    const fields = new Set(route.requestType.fieldsArray.map((field) => field.name));
    const body =
      route.verb === 'GET' || route.verb === 'DELETE'
        ? undefined
        : Object.fromEntries(
            [
              ['reason', 'probe'],
              ['text', 'probe'],
              ['visitDate', new Date().toISOString().slice(0, 10)],
            ].filter(([name]) => fields.has(String(name).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))),
          );
    const answer = await api.call(route.verb, target, {
      token: attacker.token,
      ...(body === undefined ? {} : { body }),
    });
    answers.set(answer.status, (answers.get(answer.status) ?? 0) + 1);
    if (process.env['BOLA_VERBOSE'])
      process.stderr.write(
        `${route.verb} ${route.template} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 160)}\n`,
      );
    // A read is refused as such (403, or 404 where existence is not disclosed); a write may also fail validation first.
    const refused =
      route.verb === 'GET'
        ? answer.status === 403 || answer.status === 404
        : answer.status >= 400 && answer.status < 500;
    if (!refused)
      breaches.push(`${route.verb} ${route.template} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
  }
  process.stderr.write(
    `[object-level access] ${covered.length} routes, answers ${[...answers]
      .sort()
      .map(([s, n]) => `${s}×${n}`)
      .join(', ')}\n`,
  );
  expect(breaches).toEqual([]);
}, 120_000);

it('does let each resident read her own data (the control: the tokens and ids above are real)', async () => {
  const victim = women[1] as Woman;
  for (const target of [
    `/v1/patients/${victim.patientId}/record`,
    `/v1/patients/${victim.patientId}/handbook`,
    `/v1/patients/${victim.patientId}/appointments`,
    `/v1/appointments/${victim.appointmentId}`,
    `/v1/consultations/${victim.consultationId}`,
    `/v1/consultations/${victim.consultationId}/messages`,
  ]) {
    const answer = await api.call('GET', target, { token: victim.token });
    expect({ target, status: answer.status }).toEqual({ target, status: 200 });
  }
});

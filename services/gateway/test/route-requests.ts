// A representative request for every route of the gateway's own table (collectRoutes), over a small world of real
// data made through the gateway: a pregnant woman graded red with an appointment, a consultation and a referral; a
// delivered mother and her child; staff; activation codes. Writes carry one idempotency key per route, so repeating
// a pass replays the first answer instead of changing state (a few routes whose request must differ per pass, such
// as a refresh token, take one from a stock made beforehand). A route without a request here is an error: a route
// added later must be given one.
import { randomBytes } from 'node:crypto';
import type { HttpRoute } from '../src/http-rules';
import { Api, nextFemaleId, residentId } from '../../identity/test/support';

export interface RouteRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

type Fixture = (pass: number) => { user?: string; path: string; body?: unknown; purpose?: string; perPass?: boolean };

const DAY = 86_400_000;
const STAFF = [
  'lufeng.midwife',
  'lufeng.clinician',
  'lufeng.admin',
  'pref.clinician',
  'pref.analyst',
  'platform.admin',
] as const;
/** Passes the stocks below are made for (each pass of a run takes its own refresh token, activation code...). */
export const MAX_PASSES = 40;

const daysFrom = (days: number): string => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** The names and national ids the world registers: a test can look for them where they must not appear. */
export interface PersonalData {
  readonly nationalIds: string[];
  readonly names: string[];
  readonly phones: string[];
}

export class RouteWorld {
  readonly api: Api;
  readonly run = randomBytes(4).toString('hex');
  readonly personal: PersonalData = { nationalIds: [], names: [], phones: [] };
  private readonly tokens: Record<string, string> = {};
  private readonly ids: Record<string, string> = {};
  private readonly refreshTokens: string[] = [];
  private readonly logoutTokens: string[] = [];
  private readonly activationCodes: string[] = [];
  private readonly fixtures: Record<string, Fixture>;

  constructor(gatewayUrl: string) {
    this.api = new Api(gatewayUrl);
    this.fixtures = this.table();
  }

  private id(name: string): string {
    const id = this.ids[name];
    if (id === undefined) throw new Error(`the world has no ${name}`);
    return id;
  }

  private async ok(
    user: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    purpose = 'treatment',
  ): Promise<any> {
    const answer = await this.api.call(method, path, {
      token: user === undefined ? undefined : this.tokens[user],
      body,
      headers: { 'x-mch-purpose': purpose },
    });
    if (answer.status !== 200 && answer.status !== 201)
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  private async woman(birthDate: string, name: string): Promise<string> {
    const nationalId = nextFemaleId(birthDate);
    const phone = `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    this.personal.nationalIds.push(nationalId);
    this.personal.names.push(name);
    this.personal.phones.push(phone);
    const { patient } = await this.ok(
      'lufeng.midwife',
      'POST',
      '/v1/patients',
      { nationalId, name, phone, countyCode: 'lufeng', address: '广通镇 3 号' },
      'registration',
    );
    return patient.id as string;
  }

  /** Logs the staff in and makes the data every route names. */
  async prepare(): Promise<void> {
    for (const user of STAFF) this.tokens[user] = (await this.api.login(user)).accessToken;
    for (let i = 0; i < MAX_PASSES; i++) {
      this.refreshTokens.push((await this.api.login('pref.analyst')).refreshToken);
      this.logoutTokens.push((await this.api.login('pref.analyst')).refreshToken);
    }
    const { institutions } = await this.ok(undefined, 'GET', '/v1/institutions?pageSize=200');
    const byCode = (code: string): string =>
      (institutions as { code: string; id: string }[]).find((institution) => institution.code === code)?.id ?? '';
    this.ids['county'] = byCode('CX-LFS-MCH');
    this.ids['prefecture'] = byCode('CX-PREF-MCH');
    this.ids['township'] = (await this.ok('lufeng.midwife', 'GET', '/v1/me')).account.institutionId;
    this.ids['specialistAccount'] = (await this.ok('pref.clinician', 'GET', '/v1/me')).account.id;
    this.ids['midwifeAccount'] = (await this.ok('lufeng.midwife', 'GET', '/v1/me')).account.id;

    // A woman in her third trimester, graded red after a visit with severe pre-eclampsia and hypertensive heart disease.
    this.ids['mother'] = await this.woman('1996-04-10', '李秀英');
    this.ids['pregnancy'] = (
      await this.ok('lufeng.midwife', 'POST', `/v1/patients/${this.id('mother')}/pregnancies`, {
        lmp: daysFrom(-220),
        registeredOn: daysFrom(-150),
        prePregnancyWeightKg: 55,
        heightCm: 158,
      })
    ).pregnancy.id;
    await this.ok('lufeng.midwife', 'POST', `/v1/pregnancies/${this.id('pregnancy')}/visits`, {
      visitDate: daysFrom(-1),
      systolicBp: 172,
      diastolicBp: 114,
      proteinuria: 'PROTEINURIA_PLUS_2',
      findings: ['hypertensive_heart_disease'],
    });
    await this.ok('lufeng.clinician', 'POST', `/v1/pregnancies/${this.id('pregnancy')}/risk-assessments`, {});
    // A mother delivered ten days ago, and her daughter.
    this.ids['delivered'] = await this.woman('1994-08-02', '张丽华');
    this.ids['deliveredPregnancy'] = (
      await this.ok('lufeng.midwife', 'POST', `/v1/patients/${this.id('delivered')}/pregnancies`, {
        lmp: daysFrom(-290),
      })
    ).pregnancy.id;
    const delivery = await this.ok(
      'lufeng.clinician',
      'POST',
      `/v1/pregnancies/${this.id('deliveredPregnancy')}/delivery`,
      {
        deliveryDate: daysFrom(-10),
        dischargeDate: daysFrom(-7),
        mode: 'DELIVERY_MODE_VAGINAL',
        outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
        placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
        newborns: [
          {
            sex: 'CHILD_SEX_FEMALE',
            birthCertificateNumber: `O${Date.now() % 1_000_000_000}`,
            birthWeightGrams: 3200,
            birthLengthCm: 50,
          },
        ],
      },
    );
    this.ids['child'] = delivery.delivery.newborns[0].childPatientId ?? delivery.delivery.newborns[0].patientId;
    // A mother who died five days after her delivery, and her son who died at four days; their death reports.
    this.ids['deceased'] = await this.woman('1993-09-09', '陈桂芳');
    const deceasedPregnancy = (
      await this.ok('lufeng.midwife', 'POST', `/v1/patients/${this.id('deceased')}/pregnancies`, {
        lmp: daysFrom(-285),
      })
    ).pregnancy.id;
    const deceasedDelivery = await this.ok(
      'lufeng.clinician',
      'POST',
      `/v1/pregnancies/${deceasedPregnancy}/delivery`,
      {
        deliveryDate: daysFrom(-6),
        mode: 'DELIVERY_MODE_CAESAREAN',
        outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
        placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
        newborns: [
          {
            sex: 'CHILD_SEX_MALE',
            birthCertificateNumber: `O${(Date.now() + 7) % 1_000_000_000}`,
            birthWeightGrams: 2100,
          },
        ],
      },
    );
    this.ids['deceasedChild'] = deceasedDelivery.delivery.newborns[0].childPatientId;
    // A woman with no pregnancy yet, for the registration route.
    this.ids['unregistered'] = await this.woman('1999-01-15', '王桂英');
    // Women with activation codes, one per pass.
    for (let i = 0; i < MAX_PASSES; i++) {
      const patientId = await this.woman('1990-06-06', '赵春梅');
      this.activationCodes.push(
        (
          await this.ok(
            'lufeng.clinician',
            'POST',
            `/v1/patients/${patientId}/activation-codes`,
            { delivery: 'handover' },
            'registration',
          )
        ).code,
      );
    }

    const from = encodeURIComponent(new Date(Date.now() + DAY).toISOString());
    const { slots } = await this.ok(
      'lufeng.clinician',
      'GET',
      `/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&near=25.15,102.07&from=${from}&pageSize=5`,
    );
    const book = async (patientId: string, slot: { institutionId: string; start: string }): Promise<string> =>
      (
        await this.ok('lufeng.clinician', 'POST', '/v1/appointments', {
          patientId,
          institutionId: slot.institutionId,
          service: 'SERVICE_TYPE_ANTENATAL_CHECK',
          start: slot.start,
        })
      ).appointment.id;
    this.ids['slotInstitution'] = slots[2].institutionId;
    this.ids['slotStart'] = slots[2].start;
    this.ids['appointment'] = await book(this.id('mother'), slots[0]);
    const atCounty = await this.ok(
      'lufeng.clinician',
      'GET',
      `/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&institution=${this.id('county')}&from=${from}&pageSize=1`,
    );
    this.ids['arrivingAppointment'] = await book(this.id('unregistered'), atCounty.slots[0]);

    this.ids['consultation'] = (
      await this.ok(
        'lufeng.clinician',
        'POST',
        '/v1/consultations',
        {
          kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
          patientId: this.id('mother'),
          addressedInstitutionId: this.id('prefecture'),
          text: '请会诊：重度子痫前期',
        },
        'consultation',
      )
    ).consultation.id;
    this.ids['referral'] = (
      await this.ok(
        'lufeng.midwife',
        'POST',
        '/v1/referrals',
        {
          patientId: this.id('mother'),
          toInstitutionId: this.id('prefecture'),
          direction: 'REFERRAL_DIRECTION_UP',
          urgency: 'REFERRAL_URGENCY_URGENT',
          reason: 'severe pre-eclampsia',
        },
        'referral',
      )
    ).referral.id;
    this.ids['staff'] = (
      await this.ok('lufeng.admin', 'POST', `/v1/institutions/${this.id('county')}/staff`, {
        username: `leaving.${this.run}`,
        displayName: '临时',
        roles: ['ROLE_MIDWIFE'],
        password: 'a long enough password',
      })
    ).account.id;
  }

  /** The request of `route` in pass `pass` (0-based), with the headers a client sends. */
  requestFor(route: HttpRoute, pass: number): RouteRequest {
    const key = `${route.verb} ${route.template}`;
    const fixture = this.fixtures[key];
    if (fixture === undefined) throw new Error(`no representative request for ${key}: add one to route-requests.ts`);
    const made = fixture(pass);
    const headers: Record<string, string> = { 'x-mch-purpose': made.purpose ?? 'treatment' };
    const user = made.user === undefined ? undefined : this.tokens[made.user];
    if (user !== undefined) headers['authorization'] = `Bearer ${user}`;
    if (route.verb !== 'GET')
      headers['idempotency-key'] = `fault-${this.run}-${route.method.name}${made.perPass ? `-${pass}` : ''}`;
    if (made.body !== undefined) headers['content-type'] = 'application/json';
    return { method: route.verb, path: made.path, headers, ...(made.body === undefined ? {} : { body: made.body }) };
  }

  private table(): Record<string, Fixture> {
    const mother = (): string => this.id('mother');
    const pregnancy = (): string => this.id('pregnancy');
    const child = (): string => this.id('child');
    const consultation = (): string => this.id('consultation');
    const referral = (): string => this.id('referral');
    const appointment = (): string => this.id('appointment');
    const arriving = (): string => this.id('arrivingAppointment');
    const county = (): string => this.id('county');
    const clinician = 'lufeng.clinician';
    const midwife = 'lufeng.midwife';
    const specialist = 'pref.clinician';
    const c = 'consultation';
    const r = 'referral';
    const missing = '00000000-0000-4000-8000-000000000000';
    return {
      // consultation
      'POST /v1/consultations': () => ({
        user: clinician,
        purpose: c,
        path: '/v1/consultations',
        body: {
          kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
          patientId: mother(),
          addressedInstitutionId: this.id('prefecture'),
          text: '第二次会诊',
        },
      }),
      'GET /v1/consultations/{consultation_id}': () => ({
        user: clinician,
        purpose: c,
        path: `/v1/consultations/${consultation()}`,
      }),
      'GET /v1/consultations': () => ({ user: clinician, purpose: c, path: '/v1/consultations?pageSize=10' }),
      'POST /v1/consultations/{consultation_id}/messages': () => ({
        user: clinician,
        purpose: c,
        path: `/v1/consultations/${consultation()}/messages`,
        body: { text: '血压 170/112' },
      }),
      'GET /v1/consultations/{consultation_id}/messages': () => ({
        user: clinician,
        purpose: c,
        path: `/v1/consultations/${consultation()}/messages?pageSize=20`,
      }),
      'POST /v1/consultations/{consultation_id}/read': () => ({
        user: clinician,
        purpose: c,
        path: `/v1/consultations/${consultation()}/read`,
        body: { upToSequence: 1 },
      }),
      'POST /v1/consultations/{consultation_id}/join': () => ({
        user: specialist,
        purpose: c,
        path: `/v1/consultations/${consultation()}/join`,
        body: {},
      }),
      'POST /v1/consultations/{consultation_id}/participants': () => ({
        user: clinician,
        purpose: c,
        path: `/v1/consultations/${consultation()}/participants`,
        body: { accountId: this.id('midwifeAccount') },
      }),
      'DELETE /v1/consultations/{consultation_id}/participants/{account_id}': () => ({
        user: clinician,
        purpose: c,
        path: `/v1/consultations/${consultation()}/participants/${this.id('midwifeAccount')}`,
      }),
      'POST /v1/consultations/{consultation_id}/close': () => ({
        user: specialist,
        purpose: c,
        path: `/v1/consultations/${consultation()}/close`,
        body: { outcome: 'transfer advised' },
      }),
      // identity
      'GET /v1/institutions': () => ({ path: '/v1/institutions?county=lufeng&pageSize=20' }),
      'GET /v1/institutions/{id}': () => ({ path: `/v1/institutions/${county()}` }),
      'POST /v1/auth/login': () => ({
        path: '/v1/auth/login',
        body: { username: 'lufeng.midwife', password: 'mch-demo-2026!' },
      }),
      'POST /v1/auth/refresh': (pass) => ({
        perPass: true,
        path: '/v1/auth/refresh',
        body: { refreshToken: this.refreshTokens[pass] },
      }),
      'POST /v1/auth/logout': (pass) => ({
        perPass: true,
        path: '/v1/auth/logout',
        body: { refreshToken: this.logoutTokens[pass] },
      }),
      'GET /v1/me': () => ({ user: midwife, path: '/v1/me' }),
      'GET /v1/auth/jwks': () => ({ path: '/v1/auth/jwks' }),
      'POST /v1/institutions/{institution_id}/staff': () => ({
        user: 'lufeng.admin',
        path: `/v1/institutions/${county()}/staff`,
        body: {
          username: `new.${this.run}`,
          displayName: '新同事',
          roles: ['ROLE_MIDWIFE'],
          password: 'a long enough password',
        },
      }),
      'GET /v1/institutions/{institution_id}/staff': () => ({
        user: 'lufeng.admin',
        path: `/v1/institutions/${county()}/staff?pageSize=20`,
      }),
      'POST /v1/staff/{id}/deactivate': () => ({
        user: 'lufeng.admin',
        path: `/v1/staff/${this.id('staff')}/deactivate`,
        body: { reason: 'left the service' },
      }),
      'POST /v1/patients': () => ({
        user: midwife,
        purpose: 'registration',
        path: '/v1/patients',
        body: { nationalId: this.fixedNationalId(), name: '孙玉兰', countyCode: 'lufeng' },
      }),
      'GET /v1/patients/{id}': () => ({ user: clinician, path: `/v1/patients/${mother()}` }),
      'GET /v1/patients': () => ({ user: clinician, path: `/v1/patients?nationalId=${this.personal.nationalIds[0]}` }),
      'GET /v1/patients/{patient_id}/audit': () => ({
        user: 'lufeng.admin',
        path: `/v1/patients/${mother()}/audit?pageSize=10`,
      }),
      'GET /v1/patient-matches': () => ({ user: 'lufeng.admin', path: '/v1/patient-matches?pageSize=10' }),
      'POST /v1/patient-matches/{id}/merge': () => ({
        user: 'lufeng.admin',
        path: `/v1/patient-matches/${missing}/merge`,
        body: { survivorId: mother(), reason: 'same woman' },
      }),
      'POST /v1/patient-matches/{id}/reject': () => ({
        user: 'lufeng.admin',
        path: `/v1/patient-matches/${missing}/reject`,
        body: { reason: 'different women' },
      }),
      'POST /v1/patients/{patient_id}/activation-codes': () => ({
        user: clinician,
        purpose: 'registration',
        path: `/v1/patients/${mother()}/activation-codes`,
        body: { delivery: 'handover' },
      }),
      'POST /v1/residents/activate': (pass) => ({
        perPass: true,
        path: '/v1/residents/activate',
        body: {
          code: this.activationCodes[pass],
          username: `res.${this.run}.${pass}`,
          password: 'a resident passphrase',
        },
      }),
      'POST /v1/patients/{patient_id}/guardians': () => ({
        user: midwife,
        purpose: 'registration',
        path: `/v1/patients/${child()}/guardians`,
        body: { guardianPatientId: this.id('delivered'), relationship: 'mother' },
      }),
      // records
      'GET /v1/patients/{patient_id}/record': () => ({ user: clinician, path: `/v1/patients/${mother()}/record` }),
      'GET /v1/patients/{patient_id}/record/history': () => ({
        user: clinician,
        path: `/v1/patients/${mother()}/record/history?pageSize=5`,
      }),
      'GET /v1/patients/{patient_id}/handbook': () => ({ user: clinician, path: `/v1/patients/${mother()}/handbook` }),
      'POST /v1/patients/{patient_id}/pregnancies': () => ({
        user: midwife,
        path: `/v1/patients/${this.id('unregistered')}/pregnancies`,
        body: { lmp: daysFrom(-60) },
      }),
      'POST /v1/pregnancies/{pregnancy_id}/visits': () => ({
        user: midwife,
        path: `/v1/pregnancies/${pregnancy()}/visits`,
        body: { visitDate: daysFrom(0), systolicBp: 150, diastolicBp: 100, weightKg: 66 },
      }),
      'POST /v1/pregnancies/{pregnancy_id}/risk-assessments': () => ({
        user: clinician,
        path: `/v1/pregnancies/${pregnancy()}/risk-assessments`,
        body: {},
      }),
      'POST /v1/pregnancies/{pregnancy_id}/delivery': () => ({
        user: clinician,
        path: `/v1/pregnancies/${this.id('deliveredPregnancy')}/delivery`,
        body: {
          deliveryDate: daysFrom(-10),
          mode: 'DELIVERY_MODE_VAGINAL',
          outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
          placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
          newborns: [{ sex: 'CHILD_SEX_MALE', birthCertificateNumber: 'O123456789', birthWeightGrams: 3000 }],
        },
      }),
      'POST /v1/children/{child_patient_id}/growth': () => ({
        user: midwife,
        path: `/v1/children/${child()}/growth`,
        body: { measuredOn: daysFrom(-1), weightKg: 3.4, lengthHeightCm: 51 },
      }),
      'POST /v1/children/{child_patient_id}/immunizations': () => ({
        user: midwife,
        path: `/v1/children/${child()}/immunizations`,
        body: { vaccine: 'HepB', dose: 1, givenOn: daysFrom(-9), lotNumber: 'HB2026-11' },
      }),
      'POST /v1/children/{child_patient_id}/immunization-deferrals': () => ({
        user: midwife,
        path: `/v1/children/${child()}/immunization-deferrals`,
        body: {
          vaccine: 'DTaP',
          dose: 1,
          contraindication: 'acute-illness',
          deferredOn: daysFrom(-1),
          deferredUntil: daysFrom(13),
        },
      }),
      'POST /v1/children/{child_patient_id}/screenings': () => ({
        user: midwife,
        path: `/v1/children/${child()}/screenings`,
        body: {
          kind: 'SCREENING_KIND_DEVELOPMENTAL',
          instrument: 'ASQ-3',
          screenedOn: daysFrom(-8),
          score: 50,
          result: 'SCREENING_RESULT_NORMAL',
        },
      }),
      'POST /v1/pregnancies/{pregnancy_id}/postpartum-visits': () => ({
        user: midwife,
        path: `/v1/pregnancies/${this.id('deliveredPregnancy')}/postpartum-visits`,
        body: { kind: 'home-visit', visitDate: daysFrom(-5) },
      }),
      'POST /v1/children/{child_patient_id}/checks': () => ({
        user: midwife,
        path: `/v1/children/${child()}/checks`,
        body: { checkedOn: daysFrom(-5), service: 'newborn-home-visit', notes: 'well' },
      }),
      'POST /v1/pregnancies/{pregnancy_id}/near-miss': () => ({
        user: clinician,
        path: `/v1/pregnancies/${pregnancy()}/near-miss`,
        body: { eventDate: daysFrom(-1), criteria: ['shock', 'massive_transfusion'] },
      }),
      'GET /v1/pregnancies/{pregnancy_id}/near-miss': () => ({
        user: clinician,
        path: `/v1/pregnancies/${pregnancy()}/near-miss`,
      }),
      'POST /v1/pregnancies/{pregnancy_id}/imaging': () => ({
        user: clinician,
        path: `/v1/pregnancies/${pregnancy()}/imaging`,
        body: {
          studyInstanceUid: `1.2.156.${parseInt(this.run, 16)}`,
          modality: 'US',
          studyDate: daysFrom(-2),
          findings: 'single live fetus',
        },
      }),
      'POST /v1/patients/{patient_id}/maternal-death': () => ({
        user: clinician,
        path: `/v1/patients/${this.id('deceased')}/maternal-death`,
        body: {
          deathDate: daysFrom(-1),
          timing: 'MATERNAL_DEATH_TIMING_POSTPARTUM',
          placeOfDeath: 'PLACE_OF_DEATH_COUNTY_HOSPITAL',
          causeGroup: 'amniotic_fluid_embolism',
          diagnosisBasis: 'DEATH_DIAGNOSIS_BASIS_CLINICAL',
        },
      }),
      'POST /v1/children/{child_patient_id}/death': () => ({
        user: clinician,
        path: `/v1/children/${this.id('deceasedChild')}/death`,
        body: {
          deathDate: daysFrom(-2),
          placeOfDeath: 'PLACE_OF_DEATH_COUNTY_HOSPITAL',
          causeGroup: 'birth_asphyxia',
          diagnosisBasis: 'DEATH_DIAGNOSIS_BASIS_CLINICAL',
          treatment: 'CHILD_DEATH_TREATMENT_INPATIENT',
          highestDiagnosisLevel: 'DIAGNOSIS_LEVEL_COUNTY',
        },
      }),
      'GET /v1/patients/{patient_id}/death-report': () => ({
        user: clinician,
        path: `/v1/patients/${this.id('deceased')}/death-report`,
      }),
      'POST /v1/patients/{patient_id}/death-report/reviews': () => ({
        user: clinician,
        path: `/v1/patients/${this.id('deceased')}/death-report/reviews`,
        body: {
          level: 'county',
          conclusion: 'avoidable',
          panelDate: daysFrom(0),
          factors: [{ link: 'health_system', aspect: 'knowledge_skill' }],
        },
      }),
      'GET /v1/death-reviews': () => ({ user: clinician, path: '/v1/death-reviews?status=all&pageSize=20' }),
      'GET /v1/high-risk-cases': () => ({ user: clinician, path: '/v1/high-risk-cases?county=lufeng&pageSize=10' }),
      'GET /v1/statistics': () => ({
        user: 'pref.analyst',
        path: `/v1/statistics?from=${daysFrom(-60).slice(0, 7)}&to=${daysFrom(0).slice(0, 7)}`,
      }),
      'GET /v1/risk-catalogue': () => ({ user: midwife, path: '/v1/risk-catalogue?colour=orange&pageSize=10' }),
      // referral
      'GET /v1/referrals/suggestions': () => ({
        user: midwife,
        purpose: r,
        path: `/v1/referrals/suggestions?patientId=${mother()}&maxResults=3`,
      }),
      'POST /v1/referrals': () => ({
        user: midwife,
        purpose: r,
        path: '/v1/referrals',
        body: {
          patientId: mother(),
          toInstitutionId: county(),
          direction: 'REFERRAL_DIRECTION_UP',
          urgency: 'REFERRAL_URGENCY_ROUTINE',
          reason: 'anaemia',
        },
      }),
      'GET /v1/referrals/{referral_id}': () => ({ user: midwife, purpose: r, path: `/v1/referrals/${referral()}` }),
      'POST /v1/referrals/{referral_id}/receive': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/receive`,
        body: { note: 'seen' },
      }),
      'POST /v1/referrals/{referral_id}/accept': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/accept`,
        body: { note: 'bed ready' },
      }),
      'POST /v1/referrals/{referral_id}/reject': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/reject`,
        body: { reason: 'no bed' },
      }),
      'POST /v1/referrals/{referral_id}/redirect': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/redirect`,
        body: { toInstitutionId: county(), reason: 'nearer' },
      }),
      'POST /v1/referrals/{referral_id}/start': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/start`,
        body: { note: 'admitted' },
      }),
      'POST /v1/referrals/{referral_id}/hold': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/hold`,
        body: { reason: 'awaiting labs' },
      }),
      'POST /v1/referrals/{referral_id}/resume': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/resume`,
        body: { note: 'labs back' },
      }),
      'POST /v1/referrals/{referral_id}/complete': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/complete`,
        body: { feedback: 'delivered safely' },
      }),
      'POST /v1/referrals/{referral_id}/fail': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/fail`,
        body: { reason: 'left' },
      }),
      'POST /v1/referrals/{referral_id}/cancel': () => ({
        user: midwife,
        purpose: r,
        path: `/v1/referrals/${referral()}/cancel`,
        body: { reason: 'not needed' },
      }),
      'POST /v1/referrals/{referral_id}/business-status': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/business-status`,
        body: { businessStatus: 'in ward' },
      }),
      'POST /v1/referrals/{referral_id}/refer-back': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/referrals/${referral()}/refer-back`,
        body: { toInstitutionId: this.id('township'), followUpPlan: 'BP twice a week', feedback: 'stable' },
      }),
      'GET /v1/institutions/{institution_id}/referrals': () => ({
        user: specialist,
        purpose: r,
        path: `/v1/institutions/${this.id('prefecture')}/referrals?pageSize=10`,
      }),
      'GET /v1/institutions/{institution_id}/referral-suggestions': () => ({
        user: clinician,
        purpose: r,
        path: `/v1/institutions/${county()}/referral-suggestions?pageSize=10`,
      }),
      'POST /v1/referral-suggestions/{suggestion_id}/dismiss': () => ({
        user: clinician,
        purpose: r,
        path: `/v1/referral-suggestions/${missing}/dismiss`,
        body: { reason: 'already referred' },
      }),
      // scheduling
      'POST /v1/institutions/{institution_id}/schedules': () => ({
        user: 'lufeng.admin',
        path: `/v1/institutions/${county()}/schedules`,
        body: { sessions: [] },
      }),
      'GET /v1/institutions/{institution_id}/schedules': () => ({
        user: clinician,
        path: `/v1/institutions/${county()}/schedules`,
      }),
      'GET /v1/slots': () => ({
        user: clinician,
        path: `/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&near=25.15,102.07&from=${encodeURIComponent(new Date(Date.now() + DAY).toISOString())}&pageSize=5`,
      }),
      'POST /v1/appointments': () => ({
        user: clinician,
        path: '/v1/appointments',
        body: {
          patientId: this.id('delivered'),
          institutionId: this.id('slotInstitution'),
          service: 'SERVICE_TYPE_ANTENATAL_CHECK',
          start: this.id('slotStart'),
        },
      }),
      'GET /v1/appointments/{appointment_id}': () => ({ user: clinician, path: `/v1/appointments/${appointment()}` }),
      'POST /v1/appointments/{appointment_id}/cancel': () => ({
        user: clinician,
        path: `/v1/appointments/${appointment()}/cancel`,
        body: { reason: 'moved away' },
      }),
      'POST /v1/appointments/{appointment_id}/reschedule': () => ({
        user: clinician,
        path: `/v1/appointments/${appointment()}/reschedule`,
        body: { start: this.id('slotStart'), reason: 'later' },
      }),
      'POST /v1/appointments/{appointment_id}/arrive': () => ({
        user: clinician,
        path: `/v1/appointments/${arriving()}/arrive`,
        body: {},
      }),
      'POST /v1/appointments/{appointment_id}/fulfil': () => ({
        user: clinician,
        path: `/v1/appointments/${arriving()}/fulfil`,
        body: {},
      }),
      'POST /v1/appointments/{appointment_id}/no-show': () => ({
        user: clinician,
        path: `/v1/appointments/${arriving()}/no-show`,
        body: {},
      }),
      'GET /v1/patients/{patient_id}/appointments': () => ({
        user: clinician,
        path: `/v1/patients/${mother()}/appointments`,
      }),
      'GET /v1/institutions/{institution_id}/appointments': () => ({
        user: clinician,
        path: `/v1/institutions/${county()}/appointments?date=${daysFrom(1)}`,
      }),
      'GET /v1/patients/{patient_id}/due-checks': () => ({
        user: clinician,
        path: `/v1/patients/${mother()}/due-checks`,
      }),
      'GET /v1/follow-ups': () => ({ user: clinician, path: `/v1/follow-ups?institutionId=${county()}&pageSize=10` }),
      // replication (the switchover as a clinician: refused by the service, so nothing switches)
      'GET /v1/replication/status': () => ({ user: 'platform.admin', path: '/v1/replication/status' }),
      'POST /v1/replication/switchover': () => ({
        user: clinician,
        path: '/v1/replication/switchover',
        body: { targetZone: 'az-b' },
      }),
      'GET /v1/objects/{id}/info': () => ({ user: clinician, path: `/v1/objects/${'cd'.repeat(32)}/info` }),
      'POST /v1/replication/objects/verify': () => ({
        user: 'platform.admin',
        path: '/v1/replication/objects/verify',
        body: {},
      }),
    };
  }

  private registeredId: string | undefined;

  /** The national id the registration route registers (the same every pass, so a replay answers). */
  private fixedNationalId(): string {
    if (this.registeredId === undefined) {
      this.registeredId = residentId('1997-02-03', 2 * (1 + Math.floor(Math.random() * 400)));
      this.personal.nationalIds.push(this.registeredId);
      this.personal.names.push('孙玉兰');
    }
    return this.registeredId;
  }
}

// The authorization matrix: every route of the gateway's own table × every kind of caller × own / other institution
// × own / other patient (and with / without a stated purpose of use), asked through the gateway over HTTP and of
// the owning service straight over gRPC. The expectations below are written from DESIGN.md's access rules (§1
// "people who use it", §2.8 privacy, §4 grading, §8 "platform admins only"), not read off the policy code; where
// the design is silent the choice is stated beside the rule. A route without a row here fails the suite.
//
// Allowed means 2xx, or a 4xx that is not 401/403 (a state conflict after an earlier allowed row, a missing object
// where the row names none on purpose); denied means 401 for anonymous callers and 403 otherwise (404 too where the
// route names an object that does not exist, so its existence cannot be told). Every mismatch is listed at once.
import { status } from '@grpc/grpc-js';
import { deriveServiceCredential, ServiceIdentity } from '../../common/src/auth/service-identity';
import { httpStatusForGrpcCode } from '../../common/src/status-codes';
import { loadOrCreateCredentials } from '../../platform/src/secrets';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, HttpAnswer, nextFemaleId } from '../../identity/test/support';
import { backendOf } from '../src/http-rules';
import { gatewayRoutes, GrpcRouteCaller, routeKey, RouteCall } from './route-calls';

const platform = readTestPlatform();
/** The women this file registers are born on a date no other test file uses, so their resident IDs never collide. */
const BIRTH_DATE = '1992-11-23';
/** ...and carry a name no other file uses, so this file's searches (each audited on every woman found) stay its own. */
const MATRIX_NAME = '矩阵';
const api = new Api(platform.gatewayUrl);
const routes = gatewayRoutes();
const grpc = new GrpcRouteCaller(routes, platform.serviceAddresses);

// ---------------------------------------------------------------------------------------------------------------
// Who calls, as the design describes them (not as the code models them).

/** L Lufeng county MCH hospital (二级), P the prefecture MCH hospital (三级), T a Lufeng township health centre, S a Shuangbai one. */
type Place = 'L' | 'P' | 'T' | 'S';
const INSTITUTION_CODES: Record<Place, string> = {
  L: 'CX-LFS-MCH',
  P: 'CX-PREF-MCH',
  T: 'CX-LFS-GUANGTONG-THC',
  S: 'CX-SBX-DAZHUANG-THC',
};
const COUNTY: Record<Place, string> = { L: 'lufeng', P: 'chuxiong', T: 'lufeng', S: 'shuangbai' };
const LEVEL: Record<Place, 'county' | 'prefecture' | 'township'> = {
  L: 'county',
  P: 'prefecture',
  T: 'township',
  S: 'township',
};

type Role = 'clinician' | 'midwife' | 'institution-admin' | 'analyst' | 'platform-admin';
interface Caller {
  readonly name: string;
  readonly kind: 'anonymous' | 'resident' | 'staff' | 'service';
  readonly role?: Role;
  readonly place?: Place;
  readonly analystScope?: string;
}

const CALLERS: readonly Caller[] = [
  { name: 'anonymous', kind: 'anonymous' },
  { name: 'resident', kind: 'resident' },
  { name: 'pref.clinician', kind: 'staff', role: 'clinician', place: 'P' },
  { name: 'lufeng.clinician', kind: 'staff', role: 'clinician', place: 'L' },
  { name: 'lufeng.midwife', kind: 'staff', role: 'midwife', place: 'T' },
  { name: 'shuangbai.midwife', kind: 'staff', role: 'midwife', place: 'S' },
  { name: 'pref.admin', kind: 'staff', role: 'institution-admin', place: 'P' },
  { name: 'lufeng.admin', kind: 'staff', role: 'institution-admin', place: 'L' },
  { name: 'pref.analyst', kind: 'staff', role: 'analyst', place: 'P', analystScope: 'prefecture' },
  { name: 'lufeng.analyst', kind: 'staff', role: 'analyst', place: 'L', analystScope: 'lufeng' },
  { name: 'platform.admin', kind: 'staff', role: 'platform-admin', place: 'P' },
  // A platform service acting as itself holds no role; it is granted things by name only (none of them is a route).
  { name: 'service:referral', kind: 'service' },
];

/** What a row is about: whose patient, which institution or county, and whether staff state a purpose of use. */
interface Context {
  readonly patient?: 'own' | 'other';
  readonly place?: Place;
  readonly county?: string;
  readonly purpose: boolean;
}

const ONE: Context[] = [{ purpose: true }];
const PATIENTS: Context[] = [
  { patient: 'own', purpose: true },
  { patient: 'other', purpose: true },
  { patient: 'own', purpose: false },
];
const PATIENTS_WITH_PURPOSE: Context[] = [
  { patient: 'own', purpose: true },
  { patient: 'other', purpose: true },
];
const PLACES: Context[] = (['L', 'P', 'T'] as Place[]).map((place) => ({ place, purpose: true }));
const WITH_AND_WITHOUT_PURPOSE: Context[] = [{ purpose: true }, { purpose: false }];

function describeContext(context: Context): string {
  return [
    context.patient && `${context.patient} patient`,
    context.place && `at ${context.place}`,
    context.county !== undefined && `county ${context.county || '(none)'}`,
    !context.purpose && 'no purpose',
  ]
    .filter(Boolean)
    .join(', ');
}

// The design's rules as predicates over the test's own description of a caller.
const anyone = (): boolean => true;
const signedIn = (c: Caller): boolean => c.kind !== 'anonymous';
const clinical = (c: Caller): boolean => c.role === 'clinician' || c.role === 'midwife';
/** The resident herself (her own record), never another woman's. */
const herself = (c: Caller, x: Context): boolean => c.kind === 'resident' && x.patient === 'own';
/** §1/§2.2: any member clinician reads and writes the shared record of any alliance patient, stating why (README: X-MCH-Purpose). */
const clinicalWithPurpose = (c: Caller, x: Context): boolean => clinical(c) && x.purpose;
const herselfOrClinical = (c: Caller, x: Context): boolean => herself(c, x) || clinicalWithPurpose(c, x);
/** §1: institution administrators manage their own institution's staff and schedules. */
const adminThere = (c: Caller, x: Context): boolean => c.role === 'institution-admin' && c.place === x.place;
/** An institution's worklists (referrals, appointments, follow-ups): its own clinical staff and admins. */
const staffThere = (c: Caller, x: Context): boolean =>
  (clinical(c) || c.role === 'institution-admin') && c.place === x.place;
const platformAdmin = (c: Caller): boolean => c.role === 'platform-admin';

// ---------------------------------------------------------------------------------------------------------------
// What the rows act on, made once (or afresh for a row that an earlier allowed row would have consumed).

interface Resident {
  patientId: string;
  token: string;
}

const tokens: Record<string, string> = {};
const places = {} as Record<Place, string>;
const accountIds: Record<string, string> = {};
const fixtures: {
  residents: Record<'own' | 'other', Resident>;
  children: Record<'own' | 'other', string>;
  pregnancies: Record<'own' | 'other', string>;
  objects: Record<'own' | 'other', string>;
  guardian: string;
  /** A woman whose pregnancy L registered and whose death L reported: L is her whole treating team. */
  deceased: string;
  /** A clinician at L who is none of the callers: the one invited into threads. */
  invitee: string;
  schedules: Partial<Record<Place, { sessions: unknown[]; exceptions: unknown[] }>>;
  primaryZone: string;
} = {} as never;

async function ok(answer: Promise<HttpAnswer>, what: string): Promise<any> {
  const settled = await answer;
  if (settled.status < 200 || settled.status > 299)
    throw new Error(`${what}: ${settled.status} ${JSON.stringify(settled.body)}`);
  return settled.body;
}

const staffHeaders = (purpose: string): Record<string, string> => ({ 'x-mch-purpose': purpose });
const tomorrow = (): string => new Date(Date.now() + 86_400_000).toISOString();

async function registerPatient(body: Record<string, unknown> = {}): Promise<string> {
  const answer = await ok(
    api.call('POST', '/v1/patients', {
      token: tokens['lufeng.clinician'],
      headers: staffHeaders('registration'),
      body: { nationalId: nextFemaleId(BIRTH_DATE), name: MATRIX_NAME, countyCode: 'lufeng', ...body },
    }),
    'register a patient',
  );
  return answer.patient.id;
}

async function activationCode(patientId: string): Promise<string> {
  return (
    await ok(
      api.call('POST', `/v1/patients/${patientId}/activation-codes`, {
        token: tokens['lufeng.clinician'],
        headers: staffHeaders('registration'),
        body: {},
      }),
      'activation code',
    )
  ).code;
}

async function newResident(): Promise<Resident> {
  const patientId = await registerPatient();
  const code = await activationCode(patientId);
  const activated = await ok(
    api.call('POST', '/v1/residents/activate', {
      body: { code, username: `matrix.${patientId.slice(0, 8)}`, password: 'a resident passphrase' },
    }),
    'activate',
  );
  return { patientId, token: activated.tokens.accessToken };
}

async function newChild(mother: string): Promise<string> {
  const birthDate = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
  const child = await registerPatient({ nationalId: '', name: '小宝', birthDate, sex: 'SEX_FEMALE' });
  await ok(
    api.call('POST', `/v1/patients/${child}/guardians`, {
      token: tokens['lufeng.clinician'],
      headers: staffHeaders('registration'),
      body: { guardianPatientId: mother, relationship: 'mother' },
    }),
    'link the mother',
  );
  return child;
}

type ReferralState = 'requested' | 'received' | 'accepted' | 'in-progress' | 'on-hold' | 'completed';
const REFERRAL_STEPS: readonly [ReferralState, string, Record<string, string>][] = [
  ['received', 'receive', { note: 'seen' }],
  ['accepted', 'accept', { note: 'we take her' }],
  ['in-progress', 'start', { note: 'arrived' }],
  ['on-hold', 'hold', { reason: 'waiting for the lab' }],
];

/**
 * A referral from the Lufeng township (T) up to the prefecture (P), driven to `state` by P's clinician. A woman has
 * one open referral between two institutions, so each referral is a new woman's: for `own` she is a resident, and the
 * row's resident caller is she; for `other` the resident caller is the matrix's resident, who is not the patient.
 */
async function newReferral(
  patient: 'own' | 'other',
  state: ReferralState,
): Promise<{ id: string; residentToken: string }> {
  const woman =
    patient === 'own'
      ? await newResident()
      : { patientId: await registerPatient(), token: fixtures.residents.own.token };
  const referral = await ok(
    api.call('POST', '/v1/referrals', {
      token: tokens['lufeng.midwife'],
      headers: staffHeaders('referral'),
      body: {
        patientId: woman.patientId,
        toInstitutionId: places.P,
        direction: 'REFERRAL_DIRECTION_UP',
        urgency: 'REFERRAL_URGENCY_ROUTINE',
        reason: 'anaemia not improving',
      },
    }),
    'referral',
  );
  const id: string = referral.referral.id;
  const target = state === 'completed' ? 'in-progress' : state;
  const reached = REFERRAL_STEPS.findIndex(([name]) => name === target);
  for (const [, action, body] of REFERRAL_STEPS.slice(0, reached + 1)) {
    await ok(
      api.call('POST', `/v1/referrals/${id}/${action}`, {
        token: tokens['pref.clinician'],
        headers: staffHeaders('referral'),
        body,
      }),
      `referral ${action}`,
    );
  }
  if (state === 'completed')
    await ok(
      api.call('POST', `/v1/referrals/${id}/complete`, {
        token: tokens['pref.clinician'],
        headers: staffHeaders('referral'),
        body: { feedback: 'delivered well' },
      }),
      'referral complete',
    );
  return { id, residentToken: woman.token };
}

/** A resident↔clinician thread the resident opened about herself, addressed to L, which L's clinician joined; P's clinician is invited. */
async function newConsultation(patient: 'own' | 'other'): Promise<string> {
  const resident = fixtures.residents[patient];
  const opened = await ok(
    api.call('POST', '/v1/consultations', {
      token: resident.token,
      body: {
        kind: 'CONSULTATION_KIND_RESIDENT_CLINICIAN',
        patientId: resident.patientId,
        addressedInstitutionId: places.L,
        subject: 'a question',
        text: 'is this swelling normal?',
      },
    }),
    'consultation',
  );
  const id: string = opened.consultation.id;
  await ok(
    api.call('POST', `/v1/consultations/${id}/join`, {
      token: tokens['lufeng.clinician'],
      headers: staffHeaders('consultation'),
      body: {},
    }),
    'join',
  );
  await ok(
    api.call('POST', `/v1/consultations/${id}/participants`, {
      token: tokens['lufeng.clinician'],
      headers: staffHeaders('consultation'),
      body: { accountId: accountIds['pref.clinician'] },
    }),
    'invite',
  );
  return id;
}

/** An appointment the resident booked at L. */
async function newAppointment(patient: 'own' | 'other'): Promise<string> {
  const resident = fixtures.residents[patient];
  const booked = await ok(
    api.call('POST', '/v1/appointments', {
      token: resident.token,
      body: {
        patientId: resident.patientId,
        institutionId: places.L,
        service: 'SERVICE_TYPE_ANTENATAL_CHECK',
        start: tomorrow(),
        earliestFreeAtOrAfter: true,
      },
    }),
    'booking',
  );
  return booked.appointment.id;
}

async function newStaff(place: 'L' | 'P'): Promise<string> {
  const admin = place === 'L' ? 'lufeng.admin' : 'pref.admin';
  const created = await ok(
    api.call('POST', `/v1/institutions/${places[place]}/staff`, {
      token: tokens[admin],
      body: {
        username: `matrix.${Math.random().toString(36).slice(2, 10)}`,
        displayName: 'Nurse',
        roles: ['ROLE_MIDWIFE'],
        password: 'a long enough passphrase',
      },
    }),
    'staff',
  );
  return created.account.id;
}

/** Memoised fixtures shared by the rows of one route and context. */
const shared = new Map<string, Promise<unknown>>();
function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  let made = shared.get(key) as Promise<T> | undefined;
  if (!made) {
    made = make();
    shared.set(key, made);
  }
  return made;
}

// ---------------------------------------------------------------------------------------------------------------
// The expectation table: one entry per route of the gateway's table.

interface Request {
  readonly path: string;
  readonly body?: unknown;
  /** The token the row's resident caller holds when she is not the matrix's resident (a referral's own patient). */
  readonly residentToken?: string;
}

interface Expectation {
  readonly contexts: readonly Context[];
  /** The design's answer: may this caller do this here? */
  readonly may: (caller: Caller, context: Context) => boolean;
  /** The request for a row; `fresh` asks for objects of its own (an allowed row would consume shared ones). */
  readonly request: (context: Context, caller: Caller, fresh: boolean) => Promise<Request>;
  /** Purpose of use staff state on this route. */
  readonly purpose?: string;
  /** The row names an object that does not exist: allowed is 404, and so may be a denial. */
  readonly absent?: boolean;
  /** Allowed rows act on objects of their own. */
  readonly consumes?: boolean;
}

const patientOf = (x: Context): string => fixtures.residents[x.patient ?? 'own'].patientId;
const get = (path: string) => async (): Promise<Request> => ({ path });
const UNKNOWN_ID = '00000000-0000-4000-8000-00000000abcd';

function referralRoute(
  action: string,
  state: ReferralState,
  may: Expectation['may'],
  body: (x: Context) => unknown,
): Expectation {
  return {
    contexts: PATIENTS_WITH_PURPOSE,
    purpose: 'referral',
    consumes: true,
    may,
    request: async (x, _c, fresh) => {
      const patient = x.patient ?? 'own';
      const { id, residentToken } = fresh
        ? await newReferral(patient, state)
        : await once(`referral ${action} ${patient}`, () => newReferral(patient, state));
      return { path: `/v1/referrals/${id}/${action}`, body: body(x), residentToken };
    },
  };
}

function consultationRoute(
  verb: string,
  suffix: (x: Context) => string,
  may: Expectation['may'],
  body?: () => unknown,
  consumes = false,
): Expectation {
  return {
    contexts: PATIENTS_WITH_PURPOSE,
    purpose: 'consultation',
    consumes,
    may,
    request: async (x, _c, fresh) => {
      const patient = x.patient ?? 'own';
      const id = fresh
        ? await newConsultation(patient)
        : await once(`consultation ${verb} ${patient}`, () => newConsultation(patient));
      return { path: `/v1/consultations/${id}${suffix(x)}`, ...(body === undefined ? {} : { body: body() }) };
    },
  };
}

function appointmentRoute(action: string, may: Expectation['may'], body: () => unknown): Expectation {
  return {
    contexts: PATIENTS_WITH_PURPOSE,
    consumes: true,
    may,
    request: async (x, _c, fresh) => {
      const patient = x.patient ?? 'own';
      const id = fresh
        ? await newAppointment(patient)
        : await once(`appointment ${action} ${patient}`, () => newAppointment(patient));
      return { path: `/v1/appointments/${id}/${action}`, body: body() };
    },
  };
}

const recordWrite = (
  path: (x: Context) => string,
  body: () => unknown,
  may: Expectation['may'] = clinicalWithPurpose,
): Expectation => ({
  contexts: PATIENTS,
  may,
  request: async (x) => ({ path: path(x), body: body() }),
});

const today = (): string => new Date().toISOString().slice(0, 10);
const maternalDeath = (): unknown => ({
  deathDate: today(),
  timing: 'MATERNAL_DEATH_TIMING_ANTEPARTUM',
  placeOfDeath: 'PLACE_OF_DEATH_COUNTY_HOSPITAL',
  causeGroup: 'hypertensive_disorders',
  diagnosisBasis: 'DEATH_DIAGNOSIS_BASIS_CLINICAL',
});
/**
 * §2.8 privacy, stricter for deaths (issue #23): her treating team, staff of a county-level institution of her county
 * (L for a Lufeng woman) and of the prefecture level (P), clinicians or institution admins, stating a purpose; not a
 * township that does not treat her (T, S), not analysts, residents or platform admins.
 */
const deathReader = (c: Caller, x: Context): boolean =>
  x.purpose && (clinical(c) || c.role === 'institution-admin') && (c.place === 'L' || c.place === 'P');
/** §2.4: the receiving institution's clinicians act on a referral; the sending one's may withdraw it. */
const receiver = (c: Caller): boolean => clinical(c) && c.place === 'P';
const sender = (c: Caller): boolean => clinical(c) && c.place === 'T';
/** A thread's active participants: the resident who opened it and L's clinician who joined (see newConsultation). */
const participant = (c: Caller, x: Context): boolean => herself(c, x) || c.name === 'lufeng.clinician';
/**
 * Reading a thread: its participants, and platform admins as operators (audited as "platform operations"). The design
 * is silent on operators; this is the code's documented choice, kept (see the report), and they never write.
 */
const threadReader = (c: Caller, x: Context): boolean => participant(c, x) || platformAdmin(c);
const staffParticipant = (c: Caller): boolean => c.name === 'lufeng.clinician';

const EXPECTATIONS: Record<string, Expectation> = {
  // ---- consultation (§2.5): threads between a resident and a clinician, and clinician↔specialist about a patient.
  'POST /v1/consultations': {
    contexts: PATIENTS,
    purpose: 'consultation',
    may: herselfOrClinical,
    // Staff open a resident thread at their own institution; a resident addresses L.
    request: async (x, c) => ({
      path: '/v1/consultations',
      body: {
        kind: 'CONSULTATION_KIND_RESIDENT_CLINICIAN',
        patientId: patientOf(x),
        addressedInstitutionId: places[c.place ?? 'L'],
        subject: 'matrix',
        text: 'a question',
      },
    }),
  },
  'GET /v1/consultations/{consultation_id}': consultationRoute('GET', () => '', threadReader),
  'GET /v1/consultations': { contexts: ONE, may: signedIn, request: get('/v1/consultations') },
  'POST /v1/consultations/{consultation_id}/messages': consultationRoute(
    'POST messages',
    () => '/messages',
    participant,
    () => ({ text: 'how are you feeling?' }),
  ),
  'GET /v1/consultations/{consultation_id}/messages': consultationRoute(
    'GET messages',
    () => '/messages',
    threadReader,
  ),
  'POST /v1/consultations/{consultation_id}/read': consultationRoute(
    'read',
    () => '/read',
    participant,
    () => ({ upToSequence: 1 }),
  ),
  // Joining: the resident whose thread it is; clinical staff of the requesting or addressed institution (L), or invited (P's clinician).
  'POST /v1/consultations/{consultation_id}/join': consultationRoute(
    'join',
    () => '/join',
    (c, x) => herself(c, x) || (clinicalWithPurpose(c, x) && (c.place === 'L' || c.name === 'pref.clinician')),
    () => ({}),
    true,
  ),
  'POST /v1/consultations/{consultation_id}/participants': consultationRoute(
    'invite',
    () => '/participants',
    staffParticipant,
    () => ({ accountId: fixtures.invitee }),
    true,
  ),
  'DELETE /v1/consultations/{consultation_id}/participants/{account_id}': consultationRoute(
    'remove',
    () => `/participants/${accountIds['pref.clinician']}`,
    staffParticipant,
    undefined,
    true,
  ),
  'POST /v1/consultations/{consultation_id}/close': consultationRoute(
    'close',
    () => '/close',
    staffParticipant,
    () => ({ outcome: 'answered' }),
    true,
  ),

  // ---- identity (§2.1): the public directory and sign-in; staff and the master patient index.
  'GET /v1/institutions': { contexts: ONE, may: anyone, request: get('/v1/institutions?pageSize=5') },
  'GET /v1/institutions/{id}': {
    contexts: ONE,
    may: anyone,
    request: async () => ({ path: `/v1/institutions/${places.S}` }),
  },
  'POST /v1/auth/login': {
    contexts: ONE,
    may: anyone,
    request: async () => ({
      path: '/v1/auth/login',
      body: { username: 'shuangbai.midwife', password: 'mch-demo-2026!' },
    }),
  },
  // The refresh token in the body is the credential: whoever holds it refreshes or ends that session.
  'POST /v1/auth/refresh': {
    contexts: ONE,
    may: anyone,
    request: async () => ({
      path: '/v1/auth/refresh',
      body: { refreshToken: (await api.login('shuangbai.midwife')).refreshToken },
    }),
  },
  'POST /v1/auth/logout': {
    contexts: ONE,
    may: anyone,
    request: async () => ({
      path: '/v1/auth/logout',
      body: { refreshToken: (await api.login('shuangbai.midwife')).refreshToken },
    }),
  },
  // Who am I: a person's account; a service token is no account.
  'GET /v1/me': { contexts: ONE, may: (c) => c.kind === 'resident' || c.kind === 'staff', request: get('/v1/me') },
  'GET /v1/auth/jwks': { contexts: ONE, may: anyone, request: get('/v1/auth/jwks') },
  'POST /v1/institutions/{institution_id}/staff': {
    contexts: PLACES,
    may: adminThere,
    request: async (x) => ({
      path: `/v1/institutions/${places[x.place as Place]}/staff`,
      body: {
        username: `matrix.${Math.random().toString(36).slice(2, 10)}`,
        displayName: 'Nurse',
        roles: ['ROLE_MIDWIFE'],
        password: 'a long enough passphrase',
      },
    }),
  },
  'GET /v1/institutions/{institution_id}/staff': {
    contexts: PLACES,
    may: adminThere,
    request: async (x) => ({ path: `/v1/institutions/${places[x.place as Place]}/staff` }),
  },
  'POST /v1/staff/{id}/deactivate': {
    contexts: [
      { place: 'L', purpose: true },
      { place: 'P', purpose: true },
    ],
    may: adminThere,
    consumes: true,
    request: async (x, _c, fresh) => {
      const place = x.place as 'L' | 'P';
      const id = fresh ? await newStaff(place) : await once(`staff ${place}`, () => newStaff(place));
      return { path: `/v1/staff/${id}/deactivate`, body: { reason: 'left the hospital' } };
    },
  },
  // Registering and finding patients is clinical staff's work (§1: clinicians at any member institution).
  'POST /v1/patients': {
    contexts: ONE,
    purpose: 'registration',
    may: clinical,
    request: async () => ({
      path: '/v1/patients',
      body: { nationalId: nextFemaleId(BIRTH_DATE), name: MATRIX_NAME, countyCode: 'lufeng' },
    }),
  },
  'GET /v1/patients/{id}': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({ path: `/v1/patients/${patientOf(x)}` }),
  },
  'GET /v1/patients': {
    contexts: WITH_AND_WITHOUT_PURPOSE,
    may: clinicalWithPurpose,
    request: get(`/v1/patients?name=${encodeURIComponent(MATRIX_NAME)}&pageSize=2`),
  },
  // The design is silent on who reads an audit trail: the patient herself (§2.8) and the admins who answer for access.
  'GET /v1/patients/{patient_id}/audit': {
    contexts: PATIENTS_WITH_PURPOSE,
    may: (c, x) => herself(c, x) || c.role === 'institution-admin' || platformAdmin(c),
    request: async (x) => ({ path: `/v1/patients/${patientOf(x)}/audit?pageSize=1` }),
  },
  // The duplicate review queue (§2.1 "a human review queue"): silent on who; clinicians and institution admins.
  'GET /v1/patient-matches': {
    contexts: ONE,
    may: (c) => c.role === 'clinician' || c.role === 'institution-admin',
    request: get('/v1/patient-matches?pageSize=1'),
  },
  'POST /v1/patient-matches/{id}/merge': {
    contexts: ONE,
    absent: true,
    may: (c) => c.role === 'clinician' || c.role === 'institution-admin',
    request: async () => ({
      path: `/v1/patient-matches/${UNKNOWN_ID}/merge`,
      body: { survivorId: fixtures.residents.other.patientId, reason: 'same woman' },
    }),
  },
  'POST /v1/patient-matches/{id}/reject': {
    contexts: ONE,
    absent: true,
    may: (c) => c.role === 'clinician' || c.role === 'institution-admin',
    request: async () => ({ path: `/v1/patient-matches/${UNKNOWN_ID}/reject`, body: { reason: 'different women' } }),
  },
  // §2.8: an activation code issued by an institution (its clinical staff).
  'POST /v1/patients/{patient_id}/activation-codes': {
    contexts: PATIENTS_WITH_PURPOSE,
    purpose: 'registration',
    may: clinical,
    request: async (x) => ({ path: `/v1/patients/${patientOf(x)}/activation-codes`, body: {} }),
  },
  'POST /v1/residents/activate': {
    contexts: ONE,
    may: anyone,
    request: async () => {
      const patientId = await registerPatient();
      return {
        path: '/v1/residents/activate',
        body: {
          code: await activationCode(patientId),
          username: `matrix.${patientId.slice(0, 8)}`,
          password: 'a resident passphrase',
        },
      };
    },
  },
  // §2.8: a parent is linked to a child explicitly (by staff), not by knowing the child's ID.
  'POST /v1/patients/{patient_id}/guardians': {
    contexts: PATIENTS_WITH_PURPOSE,
    purpose: 'registration',
    may: clinical,
    request: async (x) => ({
      path: `/v1/patients/${fixtures.children[x.patient ?? 'own']}/guardians`,
      body: { guardianPatientId: fixtures.guardian, relationship: 'guardian' },
    }),
  },

  // ---- records (§2.2): readable anywhere in the alliance by clinicians, the resident reads her own; residents only read.
  'GET /v1/patients/{patient_id}/record': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({ path: `/v1/patients/${patientOf(x)}/record` }),
  },
  'GET /v1/patients/{patient_id}/record/history': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({ path: `/v1/patients/${patientOf(x)}/record/history?pageSize=2` }),
  },
  'GET /v1/patients/{patient_id}/handbook': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({ path: `/v1/patients/${patientOf(x)}/handbook` }),
  },
  'POST /v1/patients/{patient_id}/pregnancies': recordWrite(
    (x) => `/v1/patients/${patientOf(x)}/pregnancies`,
    () => ({ lmp: new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10) }),
  ),
  'POST /v1/pregnancies/{pregnancy_id}/visits': recordWrite(
    (x) => `/v1/pregnancies/${fixtures.pregnancies[x.patient ?? 'own']}/visits`,
    () => ({ visitDate: today(), systolicBp: 112, diastolicBp: 70, weightKg: 58 }),
  ),
  // §4: a colour is graded by a clinician at county (二级) level or above; township staff screen.
  'POST /v1/pregnancies/{pregnancy_id}/risk-assessments': recordWrite(
    (x) => `/v1/pregnancies/${fixtures.pregnancies[x.patient ?? 'own']}/risk-assessments`,
    () => ({ assessedOn: today(), colour: 'green', reason: 'no complications' }),
    (c, x) => clinicalWithPurpose(c, x) && c.role === 'clinician' && LEVEL[c.place as Place] !== 'township',
  ),
  'POST /v1/pregnancies/{pregnancy_id}/delivery': recordWrite(
    (x) => `/v1/pregnancies/${fixtures.pregnancies[x.patient ?? 'own']}/delivery`,
    () => ({
      deliveryDate: today(),
      dischargeDate: today(),
      mode: 'DELIVERY_MODE_VAGINAL',
      outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
      placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
      newborns: [
        {
          sex: 'CHILD_SEX_FEMALE',
          birthOrder: 1,
          birthWeightGrams: 3100,
          birthCertificateNumber: `O${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`,
        },
      ],
    }),
  ),
  'POST /v1/children/{child_patient_id}/growth': recordWrite(
    (x) => `/v1/children/${fixtures.children[x.patient ?? 'own']}/growth`,
    () => ({ measuredOn: today(), weightKg: 4.2, lengthHeightCm: 54 }),
  ),
  'POST /v1/children/{child_patient_id}/immunizations': recordWrite(
    (x) => `/v1/children/${fixtures.children[x.patient ?? 'own']}/immunizations`,
    () => ({ vaccine: 'HepB', dose: 2, givenOn: today() }),
  ),
  'POST /v1/children/{child_patient_id}/immunization-deferrals': recordWrite(
    (x) => `/v1/children/${fixtures.children[x.patient ?? 'own']}/immunization-deferrals`,
    () => ({ vaccine: 'DTaP', dose: 1, contraindication: 'acute-illness', deferredOn: today() }),
  ),
  'POST /v1/children/{child_patient_id}/screenings': recordWrite(
    (x) => `/v1/children/${fixtures.children[x.patient ?? 'own']}/screenings`,
    () => ({
      kind: 'SCREENING_KIND_DEVELOPMENTAL',
      instrument: 'ASQ-3',
      screenedOn: today(),
      result: 'SCREENING_RESULT_NORMAL',
    }),
  ),
  'POST /v1/pregnancies/{pregnancy_id}/postpartum-visits': recordWrite(
    (x) => `/v1/pregnancies/${fixtures.pregnancies[x.patient ?? 'own']}/postpartum-visits`,
    () => ({ kind: 'home-visit', visitDate: today(), systolicBp: 110, diastolicBp: 70 }),
  ),
  'POST /v1/children/{child_patient_id}/checks': recordWrite(
    (x) => `/v1/children/${fixtures.children[x.patient ?? 'own']}/checks`,
    () => ({ checkedOn: today(), service: 'newborn-home-visit' }),
  ),
  'POST /v1/pregnancies/{pregnancy_id}/imaging': recordWrite(
    (x) => `/v1/pregnancies/${fixtures.pregnancies[x.patient ?? 'own']}/imaging`,
    () => ({ studyInstanceUid: `1.2.826.0.1.${Date.now()}`, modality: 'US', studyDate: today(), findings: 'normal' }),
  ),
  // A maternal near miss (WHO 2011, #23 §1): a record write on her pregnancy; read like her record.
  'POST /v1/pregnancies/{pregnancy_id}/near-miss': recordWrite(
    (x) => `/v1/pregnancies/${fixtures.pregnancies[x.patient ?? 'own']}/near-miss`,
    () => ({ eventDate: today(), criteria: ['massive_transfusion'] }),
  ),
  'GET /v1/pregnancies/{pregnancy_id}/near-miss': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({ path: `/v1/pregnancies/${fixtures.pregnancies[x.patient ?? 'own']}/near-miss` }),
  },
  'POST /v1/patients/{patient_id}/maternal-death': recordWrite(
    (x) => `/v1/patients/${patientOf(x)}/maternal-death`,
    maternalDeath,
  ),
  // The matrix's children are registered in identity only: an allowed row finds no child record (404).
  'POST /v1/children/{child_patient_id}/death': recordWrite(
    (x) => `/v1/children/${fixtures.children[x.patient ?? 'own']}/death`,
    () => ({
      deathDate: today(),
      placeOfDeath: 'PLACE_OF_DEATH_HOME',
      causeGroup: 'pneumonia',
      diagnosisBasis: 'DEATH_DIAGNOSIS_BASIS_INFERRED',
      treatment: 'CHILD_DEATH_TREATMENT_OUTPATIENT',
      highestDiagnosisLevel: 'DIAGNOSIS_LEVEL_TOWNSHIP',
    }),
  ),
  'GET /v1/patients/{patient_id}/death-report': {
    contexts: WITH_AND_WITHOUT_PURPOSE,
    may: deathReader,
    request: () => Promise.resolve({ path: `/v1/patients/${fixtures.deceased}/death-report` }),
  },
  // The death review panels (评审, #23 §1): the county review of a Lufeng death by staff of Lufeng's county-level
  // institution (L), stating a purpose; not the prefecture (P reviews after the county), townships, analysts,
  // residents or platform admins. Once an allowed row concluded it, the next allowed rows get 400 (already concluded).
  'POST /v1/patients/{patient_id}/death-report/reviews': {
    contexts: WITH_AND_WITHOUT_PURPOSE,
    may: (c, x) => x.purpose && (clinical(c) || c.role === 'institution-admin') && c.place === 'L',
    request: () =>
      Promise.resolve({
        path: `/v1/patients/${fixtures.deceased}/death-report/reviews`,
        body: { level: 'county', conclusion: 'unavoidable', panelDate: today() },
      }),
  },
  // A panel's worklist: staff of a county-level (L) or prefecture-level (P) institution, stating a purpose.
  'GET /v1/death-reviews': { contexts: WITH_AND_WITHOUT_PURPOSE, may: deathReader, request: get('/v1/death-reviews') },
  // High-risk case management (§4: orange, red, purple) is clinical work; platform admins run the platform, not care.
  'GET /v1/high-risk-cases': { contexts: ONE, may: clinical, request: get('/v1/high-risk-cases?pageSize=2') },
  // §1/§2.6: health administrators (analysts) read statistics, a county bureau for its own county.
  'GET /v1/statistics': {
    contexts: [
      { county: 'lufeng', purpose: true },
      { county: 'shuangbai', purpose: true },
      { county: '', purpose: true },
    ],
    may: (c, x) => c.role === 'analyst' && (c.analystScope === 'prefecture' || c.analystScope === x.county),
    request: async (x) => ({ path: `/v1/statistics?from=2026-01&to=2026-02${x.county ? `&county=${x.county}` : ''}` }),
  },

  // The risk form as data (#25 §1): reference data for staff screens, no patient in it.
  'GET /v1/risk-catalogue': {
    contexts: ONE,
    may: (c) => c.kind === 'staff',
    request: get('/v1/risk-catalogue?pageSize=5'),
  },

  // ---- referral (§2.4): up and down between institutions; the sender and the receiver act on it.
  'GET /v1/referrals/suggestions': {
    contexts: PATIENTS,
    purpose: 'referral',
    may: clinicalWithPurpose,
    request: async (x) => ({ path: `/v1/referrals/suggestions?patientId=${patientOf(x)}` }),
  },
  'POST /v1/referrals': {
    contexts: PATIENTS,
    purpose: 'referral',
    may: (c, x) => clinicalWithPurpose(c, x),
    request: async (x, c) => ({
      path: '/v1/referrals',
      body: {
        patientId: patientOf(x),
        toInstitutionId: c.place === 'P' ? places.L : places.P,
        direction: c.place === 'P' ? 'REFERRAL_DIRECTION_DOWN' : 'REFERRAL_DIRECTION_UP',
        urgency: 'REFERRAL_URGENCY_ROUTINE',
        reason: 'matrix',
        ...(c.place === 'P' ? { followUpPlan: 'postnatal follow-up at home' } : {}),
      },
    }),
  },
  'GET /v1/referrals/{referral_id}': {
    contexts: PATIENTS_WITH_PURPOSE,
    purpose: 'referral',
    may: (c, x) => herself(c, x) || sender(c) || receiver(c),
    request: async (x) => {
      const { id, residentToken } = await once(`referral GET ${x.patient}`, () =>
        newReferral(x.patient ?? 'own', 'requested'),
      );
      return { path: `/v1/referrals/${id}`, residentToken };
    },
  },
  'POST /v1/referrals/{referral_id}/receive': referralRoute('receive', 'requested', receiver, () => ({ note: 'seen' })),
  'POST /v1/referrals/{referral_id}/accept': referralRoute('accept', 'received', receiver, () => ({
    note: 'we take her',
  })),
  'POST /v1/referrals/{referral_id}/reject': referralRoute('reject', 'received', receiver, () => ({
    reason: 'no bed tonight',
  })),
  'POST /v1/referrals/{referral_id}/redirect': referralRoute('redirect', 'received', receiver, () => ({
    toInstitutionId: places.L,
    reason: 'closer to home',
  })),
  'POST /v1/referrals/{referral_id}/start': referralRoute('start', 'accepted', receiver, () => ({ note: 'arrived' })),
  'POST /v1/referrals/{referral_id}/hold': referralRoute('hold', 'in-progress', receiver, () => ({
    reason: 'waiting for the lab',
  })),
  'POST /v1/referrals/{referral_id}/resume': referralRoute('resume', 'on-hold', receiver, () => ({ note: 'lab back' })),
  'POST /v1/referrals/{referral_id}/complete': referralRoute('complete', 'in-progress', receiver, () => ({
    feedback: 'delivered well',
  })),
  'POST /v1/referrals/{referral_id}/fail': referralRoute('fail', 'in-progress', receiver, () => ({
    reason: 'she did not come',
  })),
  'POST /v1/referrals/{referral_id}/cancel': referralRoute('cancel', 'requested', sender, () => ({
    reason: 'she moved away',
  })),
  'POST /v1/referrals/{referral_id}/business-status': referralRoute(
    'business-status',
    'in-progress',
    (c) => sender(c) || receiver(c),
    () => ({ businessStatus: 'transport arranged' }),
  ),
  'POST /v1/referrals/{referral_id}/refer-back': referralRoute('refer-back', 'completed', receiver, () => ({
    toInstitutionId: places.T,
    followUpPlan: 'home visits',
    feedback: 'delivered well',
    urgency: 'REFERRAL_URGENCY_ROUTINE',
  })),
  'GET /v1/institutions/{institution_id}/referrals': {
    contexts: PLACES,
    may: staffThere,
    request: async (x) => ({ path: `/v1/institutions/${places[x.place as Place]}/referrals?pageSize=2` }),
  },
  'GET /v1/institutions/{institution_id}/referral-suggestions': {
    contexts: PLACES,
    may: staffThere,
    request: async (x) => ({ path: `/v1/institutions/${places[x.place as Place]}/referral-suggestions?pageSize=2` }),
  },
  // A suggestion belongs to an institution's worklist; the row names none, so staff get 404 and others 403 or 404.
  'POST /v1/referral-suggestions/{suggestion_id}/dismiss': {
    contexts: ONE,
    absent: true,
    may: (c) => clinical(c) || c.role === 'institution-admin',
    request: async () => ({
      path: `/v1/referral-suggestions/${UNKNOWN_ID}/dismiss`,
      body: { reason: 'already referred' },
    }),
  },

  // ---- scheduling (§2.3): institutions publish schedules (their admins, §1); residents and clinicians book.
  'POST /v1/institutions/{institution_id}/schedules': {
    contexts: PLACES,
    may: adminThere,
    // The schedule as it stands, published again: other tests' slots stay as they are.
    request: async (x) => ({
      path: `/v1/institutions/${places[x.place as Place]}/schedules`,
      body: fixtures.schedules[x.place as Place],
    }),
  },
  // Silent on who reads a schedule or searches slots: any signed-in user (they hold no patient data).
  'GET /v1/institutions/{institution_id}/schedules': {
    contexts: PLACES,
    may: signedIn,
    request: async (x) => ({ path: `/v1/institutions/${places[x.place as Place]}/schedules` }),
  },
  'GET /v1/slots': {
    contexts: ONE,
    may: signedIn,
    request: async () => ({
      path: `/v1/slots?service=SERVICE_TYPE_ANTENATAL_CHECK&institution=${places.L}&from=${encodeURIComponent(tomorrow())}&pageSize=2`,
    }),
  },
  'POST /v1/appointments': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({
      path: '/v1/appointments',
      body: {
        patientId: patientOf(x),
        institutionId: places.L,
        service: 'SERVICE_TYPE_ANTENATAL_CHECK',
        start: tomorrow(),
        earliestFreeAtOrAfter: true,
      },
    }),
  },
  // One appointment: whoever may read her record, and the staff of the institution whose day list holds it (L).
  'GET /v1/appointments/{appointment_id}': {
    contexts: PATIENTS,
    may: (c, x) => herselfOrClinical(c, x) || staffThere(c, { place: 'L', purpose: true }),
    request: async (x) => ({
      path: `/v1/appointments/${await once(`appointment GET ${x.patient}`, () => newAppointment(x.patient ?? 'own'))}`,
    }),
  },
  'POST /v1/appointments/{appointment_id}/cancel': appointmentRoute('cancel', herselfOrClinical, () => ({
    reason: 'feeling better',
  })),
  'POST /v1/appointments/{appointment_id}/reschedule': appointmentRoute('reschedule', herselfOrClinical, () => ({
    start: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    earliestFreeAtOrAfter: true,
    reason: 'work',
  })),
  // The appointment is at L: its own clinical staff and admins work the day list.
  'POST /v1/appointments/{appointment_id}/arrive': appointmentRoute(
    'arrive',
    (c) => staffThere(c, { place: 'L', purpose: true }),
    () => ({}),
  ),
  'POST /v1/appointments/{appointment_id}/fulfil': appointmentRoute(
    'fulfil',
    (c) => staffThere(c, { place: 'L', purpose: true }),
    () => ({}),
  ),
  'POST /v1/appointments/{appointment_id}/no-show': appointmentRoute(
    'no-show',
    (c) => staffThere(c, { place: 'L', purpose: true }),
    () => ({}),
  ),
  'GET /v1/patients/{patient_id}/appointments': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({ path: `/v1/patients/${patientOf(x)}/appointments?pageSize=2` }),
  },
  'GET /v1/institutions/{institution_id}/appointments': {
    contexts: PLACES,
    may: staffThere,
    request: async (x) => ({
      path: `/v1/institutions/${places[x.place as Place]}/appointments?date=${tomorrow().slice(0, 10)}&pageSize=2`,
    }),
  },
  'GET /v1/patients/{patient_id}/due-checks': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({ path: `/v1/patients/${patientOf(x)}/due-checks` }),
  },
  // Outreach lists: an institution's to its own staff; a county's to staff of that county and of the prefecture.
  'GET /v1/follow-ups': {
    contexts: [
      { place: 'L', purpose: true },
      { place: 'P', purpose: true },
      { county: 'lufeng', purpose: true },
      { county: 'shuangbai', purpose: true },
    ],
    may: (c, x) =>
      (clinical(c) || c.role === 'institution-admin') &&
      (x.place ? c.place === x.place : c.place === 'P' || COUNTY[c.place as Place] === x.county),
    request: async (x) => ({
      path: `/v1/follow-ups?pageSize=2&${x.place ? `institutionId=${places[x.place]}` : `county=${x.county}`}`,
    }),
  },

  // ---- replication (§2.7, §8 "platform admins only").
  'GET /v1/replication/status': { contexts: ONE, may: platformAdmin, request: get('/v1/replication/status') },
  // The target is the zone that already leads: allowed is 409, and no test may cause a failover.
  'POST /v1/replication/switchover': {
    contexts: ONE,
    may: platformAdmin,
    request: async () => ({ path: '/v1/replication/switchover', body: { targetZone: fixtures.primaryZone } }),
  },
  // An object filed under a patient is part of her record.
  'GET /v1/objects/{id}/info': {
    contexts: PATIENTS,
    may: herselfOrClinical,
    request: async (x) => ({ path: `/v1/objects/${fixtures.objects[x.patient ?? 'own']}/info` }),
  },
  'POST /v1/replication/objects/verify': {
    contexts: ONE,
    may: platformAdmin,
    request: async () => ({ path: '/v1/replication/objects/verify', body: {} }),
  },
};

// ---------------------------------------------------------------------------------------------------------------

async function uploadObject(patientId: string): Promise<string> {
  const response = await fetch(
    `${platform.gatewayUrl}/v1/objects?reference=${encodeURIComponent(`patient:${patientId}`)}`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens['lufeng.clinician']}`,
        'x-mch-purpose': 'treatment',
        'content-type': 'text/plain; charset=utf-8',
        'idempotency-key': `matrix-${patientId}`,
      },
      // Her own bytes: identical bytes are stored once and then carry both women's references.
      body: `lab report of ${patientId}: haemoglobin 112 g/L`,
    },
  );
  const body = (await response.json()) as { object?: { id: string } };
  if (response.status !== 201 || !body.object) throw new Error(`upload: ${response.status} ${JSON.stringify(body)}`);
  return body.object.id;
}

beforeAll(async () => {
  await Promise.all(
    CALLERS.filter((caller) => caller.kind === 'staff').map(async (caller) => {
      tokens[caller.name] = (await api.login(caller.name)).accessToken;
    }),
  );
  const { serviceSecret } = loadOrCreateCredentials(platform.dataDir);
  tokens['service:referral'] = await new ServiceIdentity({
    serviceName: 'referral',
    credential: deriveServiceCredential(serviceSecret, 'referral'),
    identityAddress: platform.serviceAddresses['identity'] as string,
  }).token();
  for (const name of ['pref.clinician'])
    accountIds[name] = (await ok(api.call('GET', '/v1/me', { token: tokens[name] }), 'me')).account.id;
  const directory = await ok(api.call('GET', '/v1/institutions?pageSize=200'), 'institutions');
  for (const place of Object.keys(INSTITUTION_CODES) as Place[]) {
    places[place] = directory.institutions.find(
      (institution: { code: string }) => institution.code === INSTITUTION_CODES[place],
    ).id;
  }
  const [own, other] = await Promise.all([newResident(), newResident()]);
  fixtures.residents = { own, other };
  tokens['resident'] = own.token;
  const lmp = new Date(Date.now() - 120 * 86_400_000).toISOString().slice(0, 10);
  const pregnancy = async (patientId: string): Promise<string> =>
    (
      await ok(
        api.call('POST', `/v1/patients/${patientId}/pregnancies`, {
          token: tokens['lufeng.clinician'],
          headers: staffHeaders('treatment'),
          body: { lmp },
        }),
        'pregnancy',
      )
    ).pregnancy.id;
  const [ownChild, otherChild, ownPregnancy, otherPregnancy, ownObject, otherObject, guardian, invitee] =
    await Promise.all([
      newChild(own.patientId),
      newChild(other.patientId),
      pregnancy(own.patientId),
      pregnancy(other.patientId),
      uploadObject(own.patientId),
      uploadObject(other.patientId),
      registerPatient(),
      newStaff('L'),
    ]);
  fixtures.invitee = invitee;
  fixtures.children = { own: ownChild, other: otherChild };
  fixtures.pregnancies = { own: ownPregnancy, other: otherPregnancy };
  fixtures.objects = { own: ownObject, other: otherObject };
  fixtures.guardian = guardian;
  fixtures.deceased = await registerPatient();
  await pregnancy(fixtures.deceased);
  await ok(
    api.call('POST', `/v1/patients/${fixtures.deceased}/maternal-death`, {
      token: tokens['lufeng.clinician'],
      headers: staffHeaders('treatment'),
      body: maternalDeath(),
    }),
    'maternal death',
  );
  fixtures.schedules = {};
  for (const place of ['L', 'P', 'T'] as Place[]) {
    const { schedule } = await ok(
      api.call('GET', `/v1/institutions/${places[place]}/schedules`, { token: tokens['lufeng.clinician'] }),
      'schedule',
    );
    fixtures.schedules[place] = { sessions: schedule?.sessions ?? [], exceptions: schedule?.exceptions ?? [] };
  }
  fixtures.primaryZone = (
    await ok(api.call('GET', '/v1/replication/status', { token: tokens['platform.admin'] }), 'replication status')
  ).status.primaryZone;
}, 120_000);

afterAll(() => grpc.close());

/** Runs `work` over `items` with at most `limit` in flight. */
async function pooled<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

interface Row {
  readonly key: string;
  readonly expectation: Expectation;
  readonly caller: Caller;
  readonly context: Context;
  readonly allowed: boolean;
}

/** Whether an HTTP status is the design's answer for the row. */
function answers(row: Row, httpStatus: number): boolean {
  if (row.allowed) {
    if (httpStatus >= 200 && httpStatus < 300) return true;
    if (httpStatus === 404) return row.expectation.absent === true;
    return httpStatus >= 400 && httpStatus < 500 && httpStatus !== 401 && httpStatus !== 403;
  }
  if (row.caller.kind === 'anonymous') return httpStatus === 401;
  return httpStatus === 403 || (row.expectation.absent === true && httpStatus === 404);
}

it('has an expectation for every route of the gateway, and none for a route it does not serve', () => {
  const served = new Set(routes.map(routeKey));
  const missing = [...served].filter((key) => !(key in EXPECTATIONS)).map((key) => `no expectation for route ${key}`);
  const stale = Object.keys(EXPECTATIONS)
    .filter((key) => !served.has(key))
    .map((key) => `expectation for a route the gateway does not serve: ${key}`);
  expect([...missing, ...stale]).toEqual([]);
});

it('answers every route × caller × institution × patient as the design says, through the gateway and straight over gRPC', async () => {
  const rows: Row[] = routes.flatMap((route) => {
    const key = routeKey(route);
    const expectation = EXPECTATIONS[key];
    if (!expectation) return [];
    return expectation.contexts.flatMap((context) =>
      CALLERS.map((caller) => ({ key, expectation, caller, context, allowed: expectation.may(caller, context) })),
    );
  });
  const mismatches: string[] = [];
  const allowedNot2xx: string[] = [];
  const tally = { http: 0, grpc: 0 };
  const began = Date.now();
  // Each service's routes one after another (a later route may depend on what an earlier one did, e.g. a delivery
  // before a postpartum visit), the services side by side, and the rows of one route in parallel.
  const services = [...new Set(routes.map((route) => backendOf(route.service)))];
  await Promise.all(
    services.map(async (service) => {
      for (const route of routes.filter((candidate) => backendOf(candidate.service) === service)) {
        const key = routeKey(route);
        await pooled(
          rows.filter((row) => row.key === key),
          6,
          async (row) => {
            const label = `${key} as ${row.caller.name}${describeContext(row.context) ? ` (${describeContext(row.context)})` : ''}: expected ${row.allowed ? 'allowed' : 'denied'}`;
            for (const door of ['http', 'grpc'] as const) {
              const fresh = row.allowed && row.expectation.consumes === true;
              let request: Request;
              try {
                request = await row.expectation.request(row.context, row.caller, fresh);
              } catch (error) {
                mismatches.push(`${label}, ${door}: the row's request could not be made: ${(error as Error).message}`);
                continue;
              }
              const token =
                row.caller.kind === 'resident'
                  ? (request.residentToken ?? tokens[row.caller.name])
                  : tokens[row.caller.name];
              const given: RouteCall = {
                ...(token ? { token } : {}),
                ...(request.body === undefined ? {} : { body: request.body }),
                ...(row.context.purpose && row.caller.kind === 'staff'
                  ? { headers: { 'x-mch-purpose': row.expectation.purpose ?? 'treatment' } }
                  : {}),
              };
              let httpStatus: number;
              let detail = '';
              if (door === 'http') {
                const answer = await api.call(route.verb, request.path, given);
                httpStatus = answer.status;
                detail = JSON.stringify(answer.body ?? '').slice(0, 160);
              } else {
                const code = await grpc.call(route.verb, request.path, given).catch((error: Error) => {
                  mismatches.push(
                    `${label}, grpc: the gateway's transcoding refused the row's request: ${error.message}`,
                  );
                  return undefined;
                });
                if (code === undefined) continue;
                httpStatus = code === status.OK ? 200 : httpStatusForGrpcCode(code);
                detail = `gRPC ${status[code]}`;
              }
              tally[door]++;
              if (!answers(row, httpStatus)) mismatches.push(`${label}, ${door} answered ${httpStatus} ${detail}`);
              else if (row.allowed && (httpStatus < 200 || httpStatus > 299) && !row.expectation.absent)
                allowedNot2xx.push(`${label}, ${door} ${httpStatus} ${detail}`);
            }
          },
        );
      }
    }),
  );
  const allowed = rows.filter((row) => row.allowed).length;
  process.stderr.write(
    `[authorization matrix] ${new Set(rows.map((row) => row.key)).size} routes, ${CALLERS.length} callers, ${rows.length} rows (${allowed} allowed, ${rows.length - allowed} denied), ` +
      `${tally.http} HTTP + ${tally.grpc} gRPC requests in ${((Date.now() - began) / 1000).toFixed(1)} s; ${mismatches.length} mismatches; ` +
      `${allowedNot2xx.length} allowed answers were a 4xx other than 401/403\n`,
  );
  if (process.env['MATRIX_VERBOSE']) process.stderr.write(`allowed, not 2xx:\n  ${allowedNot2xx.join('\n  ')}\n`);
  expect(mismatches).toEqual([]);
}, 300_000);

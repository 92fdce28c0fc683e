// Smoke test: one user, one iteration, every main route of the gateway once (DESIGN.md §8), each checked on its
// status and on the shape of its body. Any failed check fails the run. Needs the whole platform (identity, records,
// scheduling, referral, consultation, replication, gateway):  k6 run loadtest/k6/smoke.js
import { check, group } from 'k6';
import { account, INSTITUTIONS, PLACES, RESIDENT_PASSWORD } from './lib/config.js';
import {
  activateResident,
  apiGet,
  apiPost,
  chinaDate,
  describeFailure,
  expectOk,
  institutionId,
  institutionsByCode,
  login,
  randomFemaleId,
  randomInt,
  recordVisit,
  registerPregnancy,
  registerWoman,
  runLabel,
} from './lib/api.js';

/** @type {import('k6/options').Options} */
export const options = {
  vus: 1,
  iterations: 1,
  thresholds: {
    checks: ['rate==1.0'],
    http_req_failed: ['rate==0'],
  },
};

/** Logs in or ends the iteration with the failed check already counted. @param {import('./lib/config.js').AccountKey} key */
function loginAs(key) {
  const session = login(account(key));
  if (!session) throw new Error(`smoke: cannot continue without ${account(key).username}`);
  return session;
}

/** @param {string} what */
function skipped(what) {
  console.warn(`smoke: skipped ${what} (an earlier step failed)`);
}

export default function () {
  const midwife = loginAs('LUFENG_MIDWIFE'); // Guangtong township health centre
  const clinician = loginAs('LUFENG_CLINICIAN'); // Lufeng county MCH hospital
  const prefClinician = loginAs('PREF_CLINICIAN'); // the prefecture hospital
  const analyst = loginAs('LUFENG_ANALYST');
  const platformAdmin = loginAs('PLATFORM_ADMIN');

  group('auth', () => {
    expectOk(
      apiGet(midwife, '/v1/me'),
      'me',
      (b) => b.account.username === midwife.username && b.account.kind === 'staff' && b.account.institutionId,
    );
    // A second login of the same account: its refresh token is spent for a new pair, which is then logged out.
    const spare = login(account('LUFENG_MIDWIFE'));
    if (!spare) return skipped('refresh and logout');
    const refreshed = expectOk(
      apiPost(null, '/v1/auth/refresh', { refreshToken: spare.refreshToken }, { op: 'auth' }),
      'refresh',
      (b) => b.tokens.accessToken && b.tokens.refreshToken !== spare.refreshToken,
    );
    if (!refreshed) return skipped('logout');
    expectOk(
      apiPost(null, '/v1/auth/logout', { refreshToken: refreshed.tokens.refreshToken }, { op: 'auth' }),
      'logout',
      (b) => typeof b === 'object',
    );
  });

  /** @type {Record<string, any>} */
  let institutions = {};
  group('institutions', () => {
    institutions = institutionsByCode();
    expectOk(
      apiGet(null, '/v1/institutions', { query: { county: 'lufeng', level: 'county' } }),
      'institutions of a county and level',
      (b) => b.institutions.some((/** @type {any} */ i) => i.code === INSTITUTIONS.lufengCounty),
    );
    expectOk(
      apiGet(null, '/v1/institutions', { query: { near: PLACES.chuxiong, capability: 'caesarean', pageSize: 5 } }),
      'institutions near a point',
      (b) =>
        b.institutions.length > 0 &&
        b.institutions.every(
          (/** @type {any} */ i, /** @type {number} */ n, /** @type {any[]} */ all) =>
            typeof i.distanceKm === 'number' && (n === 0 || all[n - 1].distanceKm <= i.distanceKm),
        ),
    );
    const prefecture = institutions[INSTITUTIONS.prefecture];
    if (!prefecture) return skipped('GET /v1/institutions/{id}');
    expectOk(
      apiGet(null, '/v1/institutions/{id}', { params: { id: prefecture.id } }),
      'institution by id',
      (b) => b.institution.code === INSTITUTIONS.prefecture && b.institution.level === 'INSTITUTION_LEVEL_PREFECTURE',
    );
  });
  const prefectureId = institutionId(institutions, INSTITUTIONS.prefecture);
  const countyId = institutionId(institutions, INSTITUTIONS.lufengCounty);

  // --- the master patient index --------------------------------------------------------------------------------
  /** @type {string | undefined} */
  let motherId;
  group('patients', () => {
    const nationalId = randomFemaleId(1994, 1999);
    const registered = expectOk(
      apiPost(
        midwife,
        '/v1/patients',
        { nationalId, name: '张丽华', countyCode: 'lufeng' },
        { purpose: 'registration' },
      ),
      'register patient',
      (b) =>
        typeof b.patient.id === 'string' &&
        b.outcome === 'REGISTRATION_OUTCOME_CREATED' &&
        b.patient.countyCode === 'lufeng',
    );
    if (!registered) return skipped('the patient reads');
    motherId = registered.patient.id;
    expectOk(
      apiGet(midwife, '/v1/patients/{id}', { params: { id: registered.patient.id }, purpose: 'treatment' }),
      'patient by id',
      (b) => b.patient.id === registered.patient.id,
    );
    expectOk(
      apiGet(midwife, '/v1/patients', { query: { nationalId }, purpose: 'treatment' }),
      'patients by resident ID',
      (b) => b.patients.length === 1 && b.patients[0].id === registered.patient.id,
    );
    expectOk(
      apiGet(midwife, '/v1/patients', { query: { name: '张丽华', pageSize: 5 }, purpose: 'treatment' }),
      'patients by name',
      (b) => b.patients.length > 0,
    );
  });
  if (!motherId) return skipped('every route about a patient');
  const mother = motherId;

  // --- her record: pregnancy, visit, risk grade, reads ---------------------------------------------------------
  group('record', () => {
    const pregnancy = registerPregnancy(midwife, mother, 16);
    if (!pregnancy) return skipped('visit, grading and record reads');
    recordVisit(midwife, pregnancy.id);
    // The county clinician grades her: an empty colour confirms the rule engine's proposal.
    expectOk(
      apiPost(
        clinician,
        '/v1/pregnancies/{pregnancy_id}/risk-assessments',
        {},
        { params: { pregnancy_id: pregnancy.id }, purpose: 'treatment' },
      ),
      'grade risk',
      (b) =>
        b.assessment.kind === 'grade' &&
        typeof b.assessment.colour === 'string' &&
        b.assessment.colour === b.risk.colour,
    );
    expectOk(
      apiGet(clinician, '/v1/patients/{patient_id}/record', { params: { patient_id: mother }, purpose: 'treatment' }),
      'record',
      (b) =>
        b.record.patientId === mother &&
        b.record.version >= 3 &&
        b.record.pregnancies.length === 1 &&
        b.record.pregnancies[0].visits.length === 1,
    );
    expectOk(
      apiGet(clinician, '/v1/patients/{patient_id}/record/history', {
        params: { patient_id: mother },
        purpose: 'treatment',
      }),
      'record history',
      (b) => b.versions.length >= 3 && b.currentVersion === b.versions[0].version,
    );
    expectOk(
      apiGet(midwife, '/v1/patients/{patient_id}/handbook', { params: { patient_id: mother }, purpose: 'treatment' }),
      'handbook',
      (b) =>
        b.patientId === mother &&
        b.sections.some((/** @type {any} */ s) => s.kind === 'pregnancy' && s.items.length > 0),
    );
  });

  // --- a delivery and a child: growth and immunization ---------------------------------------------------------
  /** @type {string | undefined} */
  let childId;
  group('children', () => {
    const woman = registerWoman(midwife);
    if (!woman) return skipped('the child routes');
    const registered = expectOk(
      apiPost(
        midwife,
        '/v1/patients/{patient_id}/pregnancies',
        { lmp: chinaDate(-276), registeredOn: chinaDate(-200) },
        { params: { patient_id: woman.id }, purpose: 'treatment' },
      ),
      'register pregnancy',
      (b) => b.pregnancy.id,
    );
    if (!registered) return skipped('the delivery');
    const delivery = expectOk(
      apiPost(
        prefClinician,
        '/v1/pregnancies/{pregnancy_id}/delivery',
        {
          deliveryDate: chinaDate(-3),
          dischargeDate: chinaDate(-1),
          mode: 'DELIVERY_MODE_VAGINAL',
          outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
          placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
          newborns: [
            {
              sex: 'CHILD_SEX_FEMALE',
              birthCertificateNumber: `O${randomInt(100000000, 999999999)}`,
              birthWeightGrams: 3200,
              birthLengthCm: 50,
            },
          ],
        },
        { params: { pregnancy_id: registered.pregnancy.id }, purpose: 'treatment' },
      ),
      'record delivery',
      (b) => b.delivery.newborns.length === 1 && typeof b.delivery.newborns[0].childPatientId === 'string',
    );
    if (!delivery) return skipped('growth and immunization');
    const child = delivery.delivery.newborns[0].childPatientId;
    childId = child;
    expectOk(
      apiPost(
        midwife,
        '/v1/children/{child_patient_id}/growth',
        { measuredOn: chinaDate(0), weightKg: 3.3, lengthHeightCm: 50.5, headCircumferenceCm: 34 },
        { params: { child_patient_id: child }, purpose: 'treatment' },
      ),
      'record growth',
      (b) => b.measurement.ageDays === 3 && b.measurement.zScores.length > 0,
    );
    expectOk(
      apiPost(
        midwife,
        '/v1/children/{child_patient_id}/immunizations',
        { vaccine: 'HepB', dose: 1, givenOn: chinaDate(-3), lotNumber: 'K6-HB-01' },
        { params: { child_patient_id: child }, purpose: 'treatment' },
      ),
      'record immunization',
      (b) => b.immunization.vaccine === 'HepB' && b.immunization.dose === 1,
    );
    expectOk(
      apiGet(midwife, '/v1/patients/{patient_id}/handbook', { params: { patient_id: child }, purpose: 'treatment' }),
      'child handbook',
      (b) =>
        b.sections.some(
          (/** @type {any} */ s) =>
            s.kind === 'immunization' &&
            s.items.some((/** @type {any} */ i) => i.itemId === 'hepb-1' && i.status === 'done'),
        ),
    );
  });

  // --- statistics (JSON and CSV) ----------------------------------------------------------------------------------
  group('statistics', () => {
    expectOk(
      apiGet(analyst, '/v1/statistics', { query: { county: 'lufeng' } }),
      'statistics',
      (b) =>
        b.values.length > 0 &&
        b.values.every((/** @type {any} */ v) => v.county === 'lufeng') &&
        typeof b.source === 'string',
    );
    const csv = apiGet(analyst, '/v1/statistics', { query: { county: 'lufeng' }, accept: 'text/csv' });
    const passed = check(csv, {
      'statistics csv: status 200': (r) => r.status === 200,
      'statistics csv: body': (r) =>
        /^text\/csv/.test(r.headers['Content-Type'] || '') &&
        typeof r.body === 'string' &&
        r.body.split('\r\n')[0] === 'indicator,county,month,numerator,denominator,definition',
    });
    if (!passed) console.warn(`statistics csv: ${describeFailure(csv)}`);
  });

  // --- the resident: activation, her handbook, slots, booking and cancellation, due checks -------------------------
  group('scheduling', () => {
    const resident = activateResident(midwife, mother, `k6.smoke.${runLabel()}`, RESIDENT_PASSWORD);
    if (!resident) return skipped('the resident routes');
    expectOk(
      apiGet(resident, '/v1/me'),
      'resident me',
      (b) => b.account.kind === 'resident' && b.account.patientId === mother,
    );
    expectOk(
      apiGet(resident, '/v1/patients/{patient_id}/handbook', { params: { patient_id: mother } }),
      'resident handbook',
      (b) => b.patientId === mother && b.sections.length > 0,
    );
    const found = expectOk(
      apiGet(resident, '/v1/slots', {
        query: { service: 'SERVICE_TYPE_ANTENATAL_CHECK', near: PLACES.lufeng, pageSize: 20 },
      }),
      'search slots',
      (b) =>
        b.slots.some(
          (/** @type {any} */ s) => s.free > 0 && s.status === 'SLOT_STATUS_FREE' && typeof s.distanceKm === 'number',
        ),
    );
    if (!found) return skipped('booking');
    const slot = found.slots.filter((/** @type {any} */ s) => s.free > 0)[0];
    const booked = expectOk(
      apiPost(resident, '/v1/appointments', {
        patientId: mother,
        institutionId: slot.institutionId,
        service: 'SERVICE_TYPE_ANTENATAL_CHECK',
        start: slot.start,
      }),
      'book appointment',
      (b) =>
        b.appointment.status === 'APPOINTMENT_STATUS_BOOKED' &&
        b.appointment.start === slot.start &&
        b.appointment.patientId === mother,
    );
    if (booked) {
      expectOk(
        apiGet(resident, '/v1/patients/{patient_id}/appointments', { params: { patient_id: mother } }),
        'her appointments',
        (b) => b.appointments.some((/** @type {any} */ a) => a.id === booked.appointment.id),
      );
      expectOk(
        apiPost(
          resident,
          '/v1/appointments/{appointment_id}/cancel',
          { reason: 'k6 smoke: frees the slot again' },
          { params: { appointment_id: booked.appointment.id } },
        ),
        'cancel appointment',
        (b) => b.appointment.status === 'APPOINTMENT_STATUS_CANCELLED',
      );
    }
    expectOk(
      apiGet(resident, '/v1/patients/{patient_id}/due-checks', {
        params: { patient_id: mother },
        query: { near: PLACES.lufeng },
      }),
      'due checks',
      (b) => b.patientId === mother && typeof b.asOf === 'string' && Array.isArray(b.checks || []),
    );
    if (childId) {
      expectOk(
        apiGet(prefClinician, '/v1/patients/{patient_id}/due-checks', {
          params: { patient_id: childId },
          query: { near: PLACES.lufeng },
          purpose: 'treatment',
        }),
        'child due checks',
        (b) => b.checks.some((/** @type {any} */ c) => c.section === 'immunization'),
      );
    }
  });

  // --- referral: suggestion, request, receipt, acceptance with a booking ---------------------------------------------
  group('referral', () => {
    expectOk(
      apiGet(midwife, '/v1/referrals/suggestions', { query: { patientId: mother }, purpose: 'referral' }),
      'referral suggestions',
      (b) =>
        b.patientId === mother &&
        b.targets.length > 0 &&
        b.targets.every((/** @type {any} */ t) => typeof t.institutionId === 'string' && typeof t.reason === 'string'),
    );
    const created = expectOk(
      apiPost(
        midwife,
        '/v1/referrals',
        {
          patientId: mother,
          toInstitutionId: countyId,
          direction: 'REFERRAL_DIRECTION_UP',
          urgency: 'REFERRAL_URGENCY_ROUTINE',
          reason: 'k6 smoke: delivery planning at county level',
        },
        { purpose: 'referral' },
      ),
      'create referral',
      (b) =>
        b.referral.status === 'REFERRAL_STATUS_REQUESTED' &&
        b.referral.toInstitutionId === countyId &&
        b.referral.transitions.length === 1,
    );
    if (!created) return skipped('receive and accept');
    const referral = created.referral.id;
    expectOk(
      apiGet(clinician, '/v1/institutions/{institution_id}/referrals', {
        params: { institution_id: countyId },
        query: { direction: 'incoming', status: 'requested', pageSize: 20 },
        purpose: 'referral',
      }),
      'referral worklist',
      (b) =>
        Array.isArray(b.referrals) &&
        b.referrals.every(
          (/** @type {any} */ r) => r.toInstitutionId === countyId && r.status === 'REFERRAL_STATUS_REQUESTED',
        ),
    );
    expectOk(
      apiGet(clinician, '/v1/referrals/{referral_id}', { params: { referral_id: referral }, purpose: 'referral' }),
      'referral by id',
      (b) => b.referral.id === referral,
    );
    expectOk(
      apiPost(
        clinician,
        '/v1/referrals/{referral_id}/receive',
        { note: 'k6 smoke' },
        { params: { referral_id: referral }, purpose: 'referral' },
      ),
      'receive referral',
      (b) => b.referral.status === 'REFERRAL_STATUS_RECEIVED',
    );
    const tomorrow = new Date(`${chinaDate(1)}T00:00:00+08:00`).toISOString();
    expectOk(
      apiPost(
        clinician,
        '/v1/referrals/{referral_id}/accept',
        {
          note: 'k6 smoke',
          booking: { service: 'SERVICE_TYPE_ANTENATAL_CHECK', slotStart: tomorrow, earliestAtOrAfter: true },
        },
        { params: { referral_id: referral }, purpose: 'referral' },
      ),
      'accept referral',
      (b) =>
        b.referral.status === 'REFERRAL_STATUS_ACCEPTED' &&
        typeof b.referral.acceptedAt === 'string' &&
        typeof b.referral.booking.status === 'string',
    );
  });

  // --- consultation: a county clinician asks the prefecture's specialists ------------------------------------------
  group('consultation', () => {
    const created = expectOk(
      apiPost(
        clinician,
        '/v1/consultations',
        {
          kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
          patientId: mother,
          addressedInstitutionId: prefectureId,
          subject: 'k6 smoke',
          text: '请协助评估',
        },
        { purpose: 'consultation' },
      ),
      'create consultation',
      (b) =>
        typeof b.consultation.id === 'string' &&
        b.consultation.status === 'CONSULTATION_STATUS_REQUESTED' &&
        b.message.sequence === '1',
    );
    if (!created) return skipped('messages');
    const thread = created.consultation.id;
    expectOk(
      apiPost(
        clinician,
        '/v1/consultations/{consultation_id}/messages',
        { text: '血压 118/76，请指导' },
        { params: { consultation_id: thread }, purpose: 'consultation' },
      ),
      'post message',
      (b) => b.message.sequence === '2',
    );
    expectOk(
      apiGet(clinician, '/v1/consultations/{consultation_id}/messages', {
        params: { consultation_id: thread },
        purpose: 'consultation',
      }),
      'list messages',
      (b) => b.messages.map((/** @type {any} */ m) => m.sequence).join(',') === '1,2',
    );
    expectOk(
      apiGet(clinician, '/v1/consultations/{consultation_id}', {
        params: { consultation_id: thread },
        purpose: 'consultation',
      }),
      'consultation by id',
      (b) => b.summary.consultation.id === thread,
    );
  });

  // --- replication: the two zones, as the platform admin sees them ---------------------------------------------------
  group('replication', () => {
    expectOk(
      apiGet(platformAdmin, '/v1/replication/status'),
      'replication status',
      (b) => b.status.members.length === 2 && typeof b.status.primaryZone === 'string',
    );
  });
}

// The child programmes through the gateway (#26 §2 §4 §5): a failed hearing rescreen puts the diagnosis (due by 3
// months) on the screening institution's worklist; a positive warning sign at the 12-month check suggests a
// developmental assessment there; a weight-for-length z below −2 classifies as wasting and suggests 体弱儿
// enrolment for a clinician to confirm. Writes are idempotent under Idempotency-Key; bad input is 400 naming the field.
import { api, call, certificate, daysBefore, fieldsOf, loginAll, newMother, ok, recordOf, tokens } from './support';

let lufengMch: string;

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'lufeng.clinician', 'pref.clinician', 'lufeng.admin']);
  const me = await ok(api.call('GET', '/v1/me', { token: tokens['lufeng.clinician'] }));
  lufengMch = me.account.institutionId as string;
});

/** A boy delivered at the prefecture hospital on `birthDate` (an HBsAg-negative mother). */
async function boyBornOn(birthDate: string): Promise<string> {
  const motherId = await newMother();
  const lmp = new Date(Date.parse(`${birthDate}T00:00:00Z`) - 280 * 86_400_000).toISOString().slice(0, 10);
  const registeredOn = new Date(Date.parse(`${lmp}T00:00:00Z`) + 70 * 86_400_000).toISOString().slice(0, 10);
  const pregnancy = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, { lmp, registeredOn }),
  );
  const delivery = await ok(
    call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancy.pregnancy.id}/delivery`, {
      deliveryDate: birthDate,
      dischargeDate: birthDate,
      mode: 'DELIVERY_MODE_VAGINAL',
      outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
      placeOfDelivery: 'PLACE_OF_DELIVERY_PREFECTURE_HOSPITAL',
      newborns: [{ sex: 'CHILD_SEX_MALE', birthCertificateNumber: certificate(), birthWeightGrams: 3300 }],
    }),
  );
  return delivery.delivery.newborns[0].childPatientId as string;
}

const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const addMonths = (date: string, months: number): string => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
};

interface WorklistItem {
  childPatientId: string;
  kind: string;
  status: string;
  dueOn: string;
  overdueOn: string;
  causeEntryId: string;
  reasons: string[];
  suggestedLevel: string;
}

async function worklist(user = 'lufeng.clinician', institution = lufengMch): Promise<WorklistItem[]> {
  return (await ok(call(user, 'GET', `/v1/institutions/${institution}/child-worklist`))).items as WorklistItem[];
}

describe('newborn hearing screening on the 1-3-6 path', () => {
  let childId: string;
  const birthDate = daysBefore(50);

  beforeAll(async () => {
    childId = await boyBornOn(birthDate);
  }, 60_000);

  it('a failed rescreen puts the diagnosis, due by 3 months, on the screening institution’s worklist', async () => {
    const initial = await ok(
      call(
        'lufeng.clinician',
        'POST',
        `/v1/children/${childId}/newborn-screenings`,
        {
          stage: 'initial',
          performedOn: addDays(birthDate, 2),
          results: [
            { key: 'left', value: 'refer' },
            { key: 'right', value: 'pass' },
          ],
        },
        { 'idempotency-key': `hearing-initial-${childId}` },
      ),
    );
    // Day 50: the rescreen was due by day 42 and is overdue.
    expect(initial.followUps).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'hearing-rescreen', status: 'overdue' })]),
    );
    const rescreenBody = {
      stage: 'rescreen',
      performedOn: addDays(birthDate, 40),
      results: [
        { key: 'left', value: 'refer' },
        { key: 'right', value: 'pass' },
      ],
    };
    const key = { 'idempotency-key': `hearing-rescreen-${childId}` };
    const rescreen = await ok(
      call('lufeng.clinician', 'POST', `/v1/children/${childId}/newborn-screenings`, rescreenBody, key),
    );
    const again = await ok(
      call('lufeng.clinician', 'POST', `/v1/children/${childId}/newborn-screenings`, rescreenBody, key),
    );
    expect(again.screening.id).toBe(rescreen.screening.id);
    expect(again.recordVersion).toBe(rescreen.recordVersion);

    const items = (await worklist()).filter((item) => item.childPatientId === childId);
    expect(items).toEqual([
      expect.objectContaining({
        kind: 'hearing-diagnosis',
        status: 'due',
        dueOn: addDays(birthDate, 40),
        overdueOn: addDays(addMonths(birthDate, 3), 1),
        causeEntryId: rescreen.screening.id,
      }),
    ]);
    // Exactly one rescreen was written despite the retry.
    const record = await recordOf('lufeng.clinician', childId);
    expect(record.child.newbornScreenings.map((s: { stage: string }) => s.stage)).toEqual(['initial', 'rescreen']);
  });

  it('the diagnosis closes the item; another institution does not see it; a midwife elsewhere is refused', async () => {
    const pref = await ok(api.call('GET', '/v1/me', { token: tokens['pref.clinician'] }));
    const elsewhere = (await worklist('pref.clinician', pref.account.institutionId)).filter(
      (item) => item.childPatientId === childId && item.kind === 'hearing-diagnosis',
    );
    expect(elsewhere).toEqual([]);
    const refused = await call('pref.clinician', 'GET', `/v1/institutions/${lufengMch}/child-worklist`);
    expect(refused.status).toBe(403);
    const admin = await call('lufeng.admin', 'GET', `/v1/institutions/${lufengMch}/child-worklist`);
    expect(admin.status).toBe(403);
  });

  it('names the bad field with 400 and writes nothing', async () => {
    const before = (await recordOf('lufeng.clinician', childId)).version;
    const badStage = await call('lufeng.clinician', 'POST', `/v1/children/${childId}/newborn-screenings`, {
      stage: 'retest',
      performedOn: addDays(birthDate, 3),
    });
    expect(badStage.status).toBe(400);
    expect(fieldsOf(badStage)).toContain('stage');
    const oneEar = await call('lufeng.clinician', 'POST', `/v1/children/${childId}/newborn-screenings`, {
      stage: 'initial',
      performedOn: addDays(birthDate, 3),
      results: [{ key: 'left', value: 'maybe' }],
    });
    expect(oneEar.status).toBe(400);
    expect(fieldsOf(oneEar)).toContain('results[0].value');
    expect((await recordOf('lufeng.clinician', childId)).version).toBe(before);
  });
});

describe('the 12-month check', () => {
  let childId: string;
  const birthDate = addMonths(daysBefore(3), -12);

  beforeAll(async () => {
    childId = await boyBornOn(birthDate);
  }, 60_000);

  it('a positive warning sign suggests a developmental assessment at county level', async () => {
    const checkedOn = daysBefore(3);
    const answered = [
      { code: 'm12-1', present: true },
      { code: 'm12-2', present: false },
      { code: 'm12-3', present: false },
      { code: 'm12-4', present: false },
    ];
    const missing = await call('lufeng.clinician', 'POST', `/v1/children/${childId}/warning-signs`, {
      checkedOn,
      items: answered.slice(1),
    });
    expect(missing.status).toBe(400);
    expect(fieldsOf(missing)).toEqual(['items']);
    const key = { 'idempotency-key': `warning-${childId}` };
    const written = await ok(
      call('lufeng.clinician', 'POST', `/v1/children/${childId}/warning-signs`, { checkedOn, items: answered }, key),
    );
    expect(written.check).toMatchObject({
      bandMonths: 12,
      positive: ['m12-1'],
      suggestion: 'developmental-assessment',
      assessmentLevel: 'county',
    });
    const replayed = await ok(
      call('lufeng.clinician', 'POST', `/v1/children/${childId}/warning-signs`, { checkedOn, items: answered }, key),
    );
    expect(replayed.check.id).toBe(written.check.id);
    const items = (await worklist()).filter((item) => item.childPatientId === childId);
    expect(items).toEqual([
      expect.objectContaining({
        kind: 'developmental-assessment',
        status: 'suggested',
        suggestedLevel: 'county',
        causeEntryId: written.check.id,
      }),
    ]);
    // The worklist never names the signs (a psychological screening is sensitive); empty lists are left out of JSON.
    expect(items[0]?.reasons ?? []).toEqual([]);
  });

  it('a weight-for-length z below −2 is wasting and suggests 体弱儿 enrolment (nobody is enrolled)', async () => {
    // 80.0 cm recumbent boy: WHO row L −0.3521, M 10.4475, S 0.08308; 8.8 kg is z −2.13 (worked in the unit test).
    const check = await ok(
      call(
        'lufeng.clinician',
        'POST',
        `/v1/children/${childId}/checks`,
        {
          checkedOn: daysBefore(3),
          service: 'child-health-check',
          growth: { weightKg: 8.8, lengthHeightCm: 80, position: 'recumbent' },
        },
        { 'idempotency-key': `check-${childId}` },
      ),
    );
    expect(check.measurement.nutrition).toEqual(['wasting']);
    expect(check.measurement.displayReference).toBe('who');
    const wfl = check.measurement.zScores.find((z: { indicator: string }) => z.indicator === 'weight-for-length');
    expect(wfl.zScore).toBeCloseTo(-2.13, 2);
    const items = (await worklist()).filter(
      (item) => item.childPatientId === childId && item.kind === 'weak-child-enrolment',
    );
    expect(items).toEqual([
      expect.objectContaining({
        status: 'suggested',
        reasons: ['wasting'],
        causeEntryId: check.measurement.id,
      }),
    ]);
  });

  it('the recorded assessment (a developmental screening) closes the suggestion', async () => {
    await ok(
      call('lufeng.clinician', 'POST', `/v1/children/${childId}/screenings`, {
        kind: 'SCREENING_KIND_DEVELOPMENTAL',
        instrument: '儿心量表-II',
        screenedOn: daysBefore(1),
        result: 'SCREENING_RESULT_SUSPECTED',
      }),
    );
    const items = (await worklist()).filter(
      (item) => item.childPatientId === childId && item.kind === 'developmental-assessment',
    );
    expect(items).toEqual([]);
  });
});

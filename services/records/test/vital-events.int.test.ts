// Births and deaths through the gateway (issue #23 §1): the place of each delivery and each baby's own outcome
// (twins with one stillborn, a home delivery), refused input naming the field with nothing written, the key replay,
// and the national indicators they feed read back from the statistics.
import { waitFor } from '../../common/test/processes';
import { call, certificate, daysBefore, fieldsOf, loginAll, newMother, ok, recordOf, recordsAuditOf } from './support';

type Value = { indicator: string; numerator?: string; denominator?: string };

function sums(values: readonly Value[]): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const v of values) {
    const sum = (out[v.indicator] ??= [0, 0]);
    sum[0] += Number(v.numerator ?? 0);
    sum[1] += Number(v.denominator ?? 0);
  }
  return out;
}

const grown = (
  now: Record<string, [number, number]>,
  before: Record<string, [number, number]>,
  indicator: string,
): [number, number] => [
  (now[indicator]?.[0] ?? 0) - (before[indicator]?.[0] ?? 0),
  (now[indicator]?.[1] ?? 0) - (before[indicator]?.[1] ?? 0),
];

/**
 * The women of this file live in Wuding, a county no other test file registers women in, so the county's statistics
 * move only by what this file writes while other files run beside it.
 */
const COUNTY = 'wuding';

async function pregnantWoman(): Promise<{ motherId: string; pregnancyId: string }> {
  const motherId = await newMother('1992-03-14', COUNTY);
  const registered = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, {
      lmp: daysBefore(275),
      registeredOn: daysBefore(200),
    }),
  );
  return { motherId, pregnancyId: registered.pregnancy.id };
}

beforeAll(async () => {
  await loginAll([
    'lufeng.midwife',
    'pref.clinician',
    'pref.analyst',
    'lufeng.analyst',
    'shuangbai.midwife',
    'lufeng.admin',
  ]);
});

describe('place of delivery and each baby’s outcome', () => {
  const month = daysBefore(3).slice(0, 7);
  const statistics = `/v1/statistics?county=${COUNTY}&from=${month}&to=${month}&indicators=live_births&indicators=hospital_delivery_rate&indicators=low_birth_weight_rate&indicators=place_of_delivery_unrecorded`;

  it('records twins with one stillborn at a county hospital and a home delivery; the statistics count live births only', async () => {
    const before = sums((await ok(call('pref.analyst', 'GET', statistics))).values ?? []);
    const twins = await pregnantWoman();
    const twinsBody = {
      deliveryDate: daysBefore(3),
      mode: 'DELIVERY_MODE_VAGINAL',
      outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
      placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
      newborns: [
        {
          sex: 'CHILD_SEX_FEMALE',
          birthCertificateNumber: certificate(),
          birthWeightGrams: 2350,
          outcome: 'NEWBORN_OUTCOME_LIVE_BIRTH',
        },
        { birthWeightGrams: 1800, outcome: 'NEWBORN_OUTCOME_STILLBIRTH' },
      ],
    };
    const key = { 'idempotency-key': `twins-${twins.pregnancyId}` };
    const delivered = await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${twins.pregnancyId}/delivery`, twinsBody, key),
    );
    expect(delivered.delivery.placeOfDelivery).toBe('PLACE_OF_DELIVERY_COUNTY_HOSPITAL');
    expect(delivered.delivery.newborns).toHaveLength(2);
    const [liveTwin, stillTwin] = delivered.delivery.newborns;
    expect(liveTwin).toMatchObject({ birthOrder: 1, outcome: 'NEWBORN_OUTCOME_LIVE_BIRTH', birthWeightGrams: 2350 });
    expect(liveTwin.childPatientId).toMatch(/^[0-9a-f-]{36}$/);
    // The stillborn twin is recorded with its weight and is no patient.
    expect(stillTwin).toMatchObject({ birthOrder: 2, outcome: 'NEWBORN_OUTCOME_STILLBIRTH', birthWeightGrams: 1800 });
    expect(stillTwin.childPatientId ?? '').toBe('');
    // The same key replays the same answer: no second child.
    const replay = await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${twins.pregnancyId}/delivery`, twinsBody, key),
    );
    expect(replay).toEqual(delivered);
    const record = await recordOf('pref.clinician', twins.motherId);
    expect(record.pregnancies[0].delivery).toMatchObject({ placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL' });
    expect(record.pregnancies[0].delivery.newborns.map((n: { outcome: string }) => n.outcome)).toEqual([
      'NEWBORN_OUTCOME_LIVE_BIRTH',
      'NEWBORN_OUTCOME_STILLBIRTH',
    ]);

    const home = await pregnantWoman();
    await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${home.pregnancyId}/delivery`, {
        deliveryDate: daysBefore(3),
        mode: 'DELIVERY_MODE_VAGINAL',
        outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
        placeOfDelivery: 'PLACE_OF_DELIVERY_HOME',
        newborns: [{ sex: 'CHILD_SEX_MALE', birthCertificateNumber: certificate(), birthWeightGrams: 3100 }],
      }),
    );

    let after: Record<string, [number, number]> = {};
    await waitFor(
      async () => {
        after = sums((await ok(call('pref.analyst', 'GET', statistics))).values ?? []);
        return grown(after, before, 'live_births')[0] >= 2;
      },
      20_000,
      'the two deliveries in the statistics',
    );
    // Hand-worked: live births = the live twin + the home baby = 2 (the stillborn twin is none); in hospital 1 of 2;
    // weighed live births 2350 g and 3100 g: one low birth weight of 2 (the stillborn's 1800 g does not count).
    expect(grown(after, before, 'live_births')).toEqual([2, 0]);
    expect(grown(after, before, 'hospital_delivery_rate')).toEqual([1, 2]);
    expect(grown(after, before, 'low_birth_weight_rate')).toEqual([1, 2]);
    expect(grown(after, before, 'place_of_delivery_unrecorded')).toEqual([0, 0]);
    const catalogue = (await ok(call('pref.analyst', 'GET', statistics))).catalogue as Array<{
      indicator: string;
      titleZh: string;
      denominator: string;
      confirmation: string;
    }>;
    expect(catalogue.find((d) => d.indicator === 'hospital_delivery_rate')).toMatchObject({
      titleZh: '住院分娩率',
      denominator: 'live births (活产数)',
      confirmation: 'unconfirmed',
    });
  });

  it('refuses a birth without its place, a stillborn baby with a certificate and an unknown place, naming the field, writing nothing', async () => {
    const { motherId, pregnancyId } = await pregnantWoman();
    const base = {
      deliveryDate: daysBefore(2),
      mode: 'DELIVERY_MODE_VAGINAL',
      outcome: 'PREGNANCY_OUTCOME_STILLBIRTH',
    };
    const before = await recordOf('pref.clinician', motherId);
    for (const [body, field] of [
      [base, 'placeOfDelivery'],
      [
        {
          ...base,
          placeOfDelivery: 'PLACE_OF_DELIVERY_EN_ROUTE',
          newborns: [{ birthCertificateNumber: certificate(), birthWeightGrams: 1500 }],
        },
        'newborns[0].birthCertificateNumber',
      ],
      [
        {
          ...base,
          placeOfDelivery: 'PLACE_OF_DELIVERY_EN_ROUTE',
          newborns: [{ birthWeightGrams: 1500, outcome: 'NEWBORN_OUTCOME_LIVE_BIRTH' }],
        },
        'newborns[0].outcome',
      ],
      [{ ...base, placeOfDelivery: 17 }, 'placeOfDelivery'],
    ] as const) {
      const answer = await call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/delivery`, body);
      expect(answer.status).toBe(400);
      expect(fieldsOf(answer)).toEqual([field]);
    }
    expect(await recordOf('pref.clinician', motherId)).toEqual(before);
    // A stillbirth en route, one baby of 1500 g: accepted, no child patient.
    const stillbirth = await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/delivery`, {
        ...base,
        placeOfDelivery: 'PLACE_OF_DELIVERY_EN_ROUTE',
        newborns: [{ birthWeightGrams: 1500 }],
      }),
    );
    expect(stillbirth.delivery.newborns).toEqual([
      expect.objectContaining({ outcome: 'NEWBORN_OUTCOME_STILLBIRTH', birthWeightGrams: 1500 }),
    ]);
  });
});

describe('death reports', () => {
  it('a maternal and a neonatal death: recorded once under their key, read by her team and the MCH staff only, audited, counted over live births', async () => {
    const from = daysBefore(6).slice(0, 7);
    const to = daysBefore(1).slice(0, 7);
    const statistics = `/v1/statistics?county=${COUNTY}&from=${from}&to=${to}&indicators=live_births&indicators=maternal_mortality_ratio&indicators=neonatal_mortality_rate&indicators=infant_mortality_rate&indicators=under5_mortality_rate`;
    const before = sums((await ok(call('pref.analyst', 'GET', statistics))).values ?? []);
    // Registered by the Lufeng township midwife, delivered at the prefecture hospital six days ago.
    const { motherId, pregnancyId } = await pregnantWoman();
    const delivered = await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/delivery`, {
        deliveryDate: daysBefore(6),
        mode: 'DELIVERY_MODE_CAESAREAN',
        outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
        placeOfDelivery: 'PLACE_OF_DELIVERY_PREFECTURE_HOSPITAL',
        newborns: [{ sex: 'CHILD_SEX_MALE', birthCertificateNumber: certificate(), birthWeightGrams: 1900 }],
      }),
    );
    const childId: string = delivered.delivery.newborns[0].childPatientId;

    const maternal = {
      deathDate: daysBefore(1),
      timing: 'MATERNAL_DEATH_TIMING_POSTPARTUM',
      placeOfDeath: 'PLACE_OF_DEATH_PREFECTURE_HOSPITAL',
      causeGroup: 'obstetric_haemorrhage',
      icd10: 'O72.1',
      causeText: '产后出血, 失血性休克',
      diagnosisBasis: 'DEATH_DIAGNOSIS_BASIS_CLINICAL',
      hadAntenatalCare: true,
      firstAntenatalGaWeeks: 11,
      antenatalVisits: 4,
      transferred: true,
    };
    // Bad input: 400 naming the fields, nothing written.
    const versionBefore = (await recordOf('pref.clinician', motherId)).version;
    const bad = await call('pref.clinician', 'POST', `/v1/patients/${motherId}/maternal-death`, {
      ...maternal,
      causeGroup: 'bad luck',
      deathDate: daysBefore(-3),
    });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['causeGroup', 'deathDate']);
    expect((await recordOf('pref.clinician', motherId)).version).toBe(versionBefore);
    const key = { 'idempotency-key': `maternal-death-${motherId}` };
    const reported = await ok(call('pref.clinician', 'POST', `/v1/patients/${motherId}/maternal-death`, maternal, key));
    expect(reported.report).toMatchObject({
      patientId: motherId,
      pregnancyId,
      timing: 'MATERNAL_DEATH_TIMING_POSTPARTUM',
      daysAfterPregnancyEnd: 5,
      causeGroup: 'obstetric_haemorrhage',
      causeGroupZh: '产科出血',
      causeKind: 'direct',
      county: COUNTY,
    });
    expect(reported.recordVersion).toBe(versionBefore + 1);
    expect(await ok(call('pref.clinician', 'POST', `/v1/patients/${motherId}/maternal-death`, maternal, key))).toEqual(
      reported,
    );
    const second = await call('pref.clinician', 'POST', `/v1/patients/${motherId}/maternal-death`, maternal);
    expect(second.status).toBe(409);
    expect(JSON.stringify(second.body)).toContain('DEATH_ALREADY_REPORTED');
    // The record's history says a death report was written; its content stays in the report.
    const history = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${motherId}/record/history?pageSize=1`));
    expect(history.versions[0]).toMatchObject({ change: 'death-report' });
    expect(JSON.stringify(history)).not.toContain('产后出血');

    const child = {
      deathDate: daysBefore(1),
      placeOfDeath: 'PLACE_OF_DEATH_HOME',
      causeGroup: 'preterm_low_birth_weight',
      diagnosisBasis: 'DEATH_DIAGNOSIS_BASIS_INFERRED',
      treatment: 'CHILD_DEATH_TREATMENT_NONE',
      highestDiagnosisLevel: 'DIAGNOSIS_LEVEL_NOT_SEEN',
    };
    const noReason = await call('pref.clinician', 'POST', `/v1/children/${childId}/death`, child);
    expect(noReason.status).toBe(400);
    expect(fieldsOf(noReason)).toEqual(['noTreatmentReason']);
    const childReport = await ok(
      call('pref.clinician', 'POST', `/v1/children/${childId}/death`, {
        ...child,
        noTreatmentReason: 'NO_TREATMENT_REASON_DISTANCE_OR_TRANSPORT',
      }),
    );
    expect(childReport.report).toMatchObject({
      childPatientId: childId,
      ageDays: 5,
      ageGroup: 'neonatal',
      causeGroupZh: '早产或低出生体重',
      county: COUNTY,
    });

    // Readers: her treating team (the prefecture and the Lufeng township that registered her); not Shuangbai's
    // midwife, not Lufeng's county MCH admin (another county's: she lives in Wuding; the authorization matrix has the
    // Lufeng admin reading a Lufeng woman's report), not an analyst. The child was cared for only by the prefecture:
    // the Lufeng township midwife, who is not on his team, is refused his report; the prefecture's clinician reads it.
    const read = (user: string, patient: string) => call(user, 'GET', `/v1/patients/${patient}/death-report`);
    expect((await read('pref.clinician', motherId)).body.maternal).toMatchObject({
      causeText: '产后出血, 失血性休克',
      transferred: true,
      antenatalVisits: 4,
    });
    expect((await read('lufeng.midwife', motherId)).status).toBe(200);
    expect((await read('pref.clinician', childId)).body.child).toMatchObject({
      noTreatmentReason: 'NO_TREATMENT_REASON_DISTANCE_OR_TRANSPORT',
    });
    for (const [user, patient] of [
      ['shuangbai.midwife', motherId],
      ['shuangbai.midwife', childId],
      ['lufeng.analyst', motherId],
      ['lufeng.admin', motherId],
      ['lufeng.midwife', childId],
    ] as const) {
      const refused = await read(user, patient);
      expect([user, refused.status]).toEqual([user, 403]);
      expect(JSON.stringify(refused.body)).not.toContain('产后出血');
    }
    const audit = await recordsAuditOf(motherId);
    const reads = audit.filter((event) => event.action === 'record.death.read');
    expect(reads.filter((event) => event.outcome === 'allowed').length).toBeGreaterThanOrEqual(2);
    expect(reads.filter((event) => event.outcome === 'denied').length).toBeGreaterThanOrEqual(3);
    expect(audit.some((event) => event.action === 'record.death.maternal' && event.outcome === 'allowed')).toBe(true);

    // Statistics: one live birth, one maternal death, one neonatal death (also infant and under five).
    let after: Record<string, [number, number]> = {};
    await waitFor(
      async () => {
        after = sums((await ok(call('pref.analyst', 'GET', statistics))).values ?? []);
        return (
          grown(after, before, 'maternal_mortality_ratio')[0] >= 1 &&
          grown(after, before, 'under5_mortality_rate')[0] >= 1
        );
      },
      20_000,
      'the deaths in the statistics',
    );
    expect(grown(after, before, 'live_births')).toEqual([1, 0]);
    expect(grown(after, before, 'maternal_mortality_ratio')).toEqual([1, 1]);
    expect(grown(after, before, 'neonatal_mortality_rate')).toEqual([1, 1]);
    expect(grown(after, before, 'infant_mortality_rate')).toEqual([1, 1]);
    expect(grown(after, before, 'under5_mortality_rate')).toEqual([1, 1]);
    const catalogue = (await ok(call('pref.analyst', 'GET', statistics))).catalogue as Array<{
      indicator: string;
      unit: string;
      confirmation: string;
    }>;
    expect(catalogue.find((d) => d.indicator === 'maternal_mortality_ratio')).toMatchObject({
      unit: 'per 100,000 live births',
      confirmation: 'confirmed',
    });
    expect(catalogue.find((d) => d.indicator === 'infant_mortality_rate')).toMatchObject({ unit: '‰' });
  });

  it('a maternal death needs a recorded pregnancy (409), and a child death a child record (404)', async () => {
    const woman = await newMother('1990-01-20', COUNTY);
    const answer = await call('pref.clinician', 'POST', `/v1/patients/${woman}/maternal-death`, {
      deathDate: daysBefore(1),
      timing: 'MATERNAL_DEATH_TIMING_ANTEPARTUM',
      placeOfDeath: 'PLACE_OF_DEATH_HOME',
      causeGroup: 'unknown',
      diagnosisBasis: 'DEATH_DIAGNOSIS_BASIS_INFERRED',
    });
    expect(answer.status).toBe(409);
    expect(JSON.stringify(answer.body)).toContain('NO_PREGNANCY');
    const noChild = await call('pref.clinician', 'POST', `/v1/children/${woman}/death`, { deathDate: daysBefore(1) });
    expect(noChild.status).toBe(404);
    expect((await call('pref.clinician', 'GET', `/v1/patients/${woman}/death-report`)).status).toBe(404);
  });
});

describe('maternal near miss (WHO 2011)', () => {
  it('recorded once on her pregnancy under its key, read by her team, counted over live births; bad input names the field', async () => {
    const month = daysBefore(2).slice(0, 7);
    const statistics = `/v1/statistics?county=${COUNTY}&from=${month}&to=${month}&indicators=maternal_near_miss_ratio&indicators=live_births`;
    const before = sums((await ok(call('pref.analyst', 'GET', statistics))).values ?? []);
    const { motherId, pregnancyId } = await pregnantWoman();
    await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/delivery`, {
        deliveryDate: daysBefore(2),
        mode: 'DELIVERY_MODE_CAESAREAN',
        outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
        placeOfDelivery: 'PLACE_OF_DELIVERY_PREFECTURE_HOSPITAL',
        newborns: [{ sex: 'CHILD_SEX_FEMALE', birthCertificateNumber: certificate(), birthWeightGrams: 3100 }],
      }),
    );
    const path = `/v1/pregnancies/${pregnancyId}/near-miss`;
    const versionBefore = (await recordOf('pref.clinician', motherId)).version;
    const bad = await call('pref.clinician', 'POST', path, {
      eventDate: daysBefore(-1),
      criteria: ['massive_transfusion', 'bad_luck'],
    });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['criteria[1]', 'eventDate']);
    expect((await call('pref.clinician', 'POST', path, { eventDate: daysBefore(2), criteria: [] })).status).toBe(400);
    expect((await recordOf('pref.clinician', motherId)).version).toBe(versionBefore);
    expect((await ok(call('pref.clinician', 'GET', path))).nearMiss).toBeUndefined();

    const body = { eventDate: daysBefore(2), criteria: ['hysterectomy_infection_haemorrhage', 'massive_transfusion'] };
    const key = { 'idempotency-key': `near-miss-${pregnancyId}` };
    const recorded = await ok(call('pref.clinician', 'POST', path, body, key));
    expect(recorded.nearMiss).toMatchObject({
      patientId: motherId,
      pregnancyId,
      eventDate: daysBefore(2),
      county: COUNTY,
      criteriaListId: 'who-2011-maternal-near-miss',
    });
    expect((recorded.nearMiss.criteria as Array<{ code: string }>).map((c) => c.code)).toEqual([
      'massive_transfusion',
      'hysterectomy_infection_haemorrhage',
    ]);
    expect(recorded.recordVersion).toBe(versionBefore + 1);
    expect(await ok(call('pref.clinician', 'POST', path, body, key))).toEqual(recorded);
    const second = await call('pref.clinician', 'POST', path, body);
    expect(second.status).toBe(409);
    expect(JSON.stringify(second.body)).toContain('NEAR_MISS_RECORDED');
    expect((await ok(call('lufeng.midwife', 'GET', path))).nearMiss.id).toBe(recorded.nearMiss.id);
    // An analyst writes no record.
    expect((await call('lufeng.analyst', 'POST', path, body)).status).toBe(403);
    const audit = await recordsAuditOf(motherId);
    expect(audit.some((event) => event.action === 'record.near-miss' && event.outcome === 'allowed')).toBe(true);

    let after: Record<string, [number, number]> = {};
    await waitFor(
      async () => {
        after = sums((await ok(call('pref.analyst', 'GET', statistics))).values ?? []);
        return grown(after, before, 'maternal_near_miss_ratio')[0] >= 1;
      },
      20_000,
      'the near miss in the statistics',
    );
    // One near miss over the one live birth of this delivery.
    expect(grown(after, before, 'maternal_near_miss_ratio')).toEqual([1, 1]);
    expect(grown(after, before, 'live_births')).toEqual([1, 0]);
  });
});

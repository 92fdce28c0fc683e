// Births and deaths through the gateway (issue #23 §1): the place of each delivery and each baby's own outcome
// (twins with one stillborn, a home delivery), refused input naming the field with nothing written, the key replay,
// and the national indicators they feed read back from the statistics.
import { waitFor } from '../../common/test/processes';
import { call, certificate, daysBefore, fieldsOf, loginAll, newMother, ok, recordOf } from './support';

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

async function pregnantWoman(): Promise<{ motherId: string; pregnancyId: string }> {
  const motherId = await newMother('1992-03-14');
  const registered = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, {
      lmp: daysBefore(275),
      registeredOn: daysBefore(200),
    }),
  );
  return { motherId, pregnancyId: registered.pregnancy.id };
}

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'pref.clinician', 'lufeng.analyst']);
});

describe('place of delivery and each baby’s outcome', () => {
  const month = daysBefore(3).slice(0, 7);
  const statistics = `/v1/statistics?county=lufeng&from=${month}&to=${month}&indicators=live_births&indicators=hospital_delivery_rate&indicators=low_birth_weight_rate&indicators=place_of_delivery_unrecorded`;

  it('records twins with one stillborn at a county hospital and a home delivery; the statistics count live births only', async () => {
    const before = sums((await ok(call('lufeng.analyst', 'GET', statistics))).values ?? []);
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
        after = sums((await ok(call('lufeng.analyst', 'GET', statistics))).values ?? []);
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
    const catalogue = (await ok(call('lufeng.analyst', 'GET', statistics))).catalogue as Array<{
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

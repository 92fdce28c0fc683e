// The statistics facts on small hand-built cohorts, each answer worked by hand from the catalogue's definitions.
import { defaultRecordsDataDir, loadRecordsReferenceData } from './domain';
import { INDICATOR_CATALOGUE, indicatorDefinition } from './domain/statistics-catalogue';
import {
  ChildFactsInput,
  childFacts,
  deathFacts,
  nearMissFacts,
  DeathFactsInput,
  PregnancyFactsInput,
  pregnancyFacts,
  StatisticsFact,
} from './statistics-facts';

const reference = loadRecordsReferenceData(defaultRecordsDataDir());
const TODAY = '2026-06-30';

/** Sums facts per indicator as the rollups do (an item counts once overdue or once done on time). */
function totals(facts: readonly StatisticsFact[], today = TODAY): Record<string, [number, number]> {
  const sums: Record<string, [number, number]> = {};
  for (const fact of facts) {
    if (fact.countedFrom !== null && fact.countedFrom > today && fact.numerator === 0) continue;
    const sum = (sums[fact.indicator] ??= [0, 0]);
    sum[0] += fact.numerator;
    sum[1] += fact.denominator;
  }
  return sums;
}

const woman = (id: string, overrides: Partial<PregnancyFactsInput>): PregnancyFactsInput => ({
  id,
  patientId: `${id}-patient`,
  county: 'lufeng',
  registeredOn: '2025-08-01',
  registeredGaDays: 80,
  registeredAt: null,
  riskColour: 'green',
  gradedColours: [],
  caseOpened: false,
  visits: [],
  postpartumVisits: [],
  ...overrides,
});

const live = (weightGrams: number | null) => ({ outcome: 'live' as const, weightGrams });
const stillborn = (weightGrams: number | null) => ({ outcome: 'stillborn' as const, weightGrams });
// PlaceOfDelivery values.
const COUNTY_HOSPITAL = 2;
const TOWNSHIP_HOSPITAL = 3;
const HOME = 5;

const visitsAt = (...gaDays: number[]): PregnancyFactsInput['visits'] =>
  gaDays.map((ga, index) => ({ date: `2025-${String(8 + index).padStart(2, '0')}-01`, gaDays: ga }));

describe('pregnancy facts (卫统41 孕产妇保健和健康情况年报表)', () => {
  // Twins by caesarean, one under 2500 g; checked from 11+3 weeks, 6 checks, visited on day 3; graded yellow.
  const twins = woman('twins', {
    gradedColours: ['yellow'],
    riskColour: 'yellow',
    visits: visitsAt(80, 120, 160, 200, 230, 250),
    delivery: {
      date: '2026-03-01',
      dischargeDate: '2026-03-03',
      mode: 3,
      outcome: 1,
      gaDays: 259,
      institutionId: 'inst-county',
      newborns: [live(2400), live(2600)],
      placeOfDelivery: COUNTY_HOSPITAL,
    },
    postpartumVisits: [{ service: 'postpartum-home-visit', date: '2026-03-04', daysAfterDelivery: 3 }],
  });
  // A stillbirth at 30 weeks: a woman delivered (产妇), no live birth; first checked at 14+2 weeks, two checks.
  const stillbirth = woman('still', {
    registeredGaDays: 100,
    visits: visitsAt(100, 150),
    delivery: {
      date: '2026-03-20',
      dischargeDate: null,
      mode: 1,
      outcome: 2,
      gaDays: 210,
      institutionId: 'inst-county',
      newborns: [stillborn(1200)],
      placeOfDelivery: COUNTY_HOSPITAL,
    },
  });
  // A miscarriage at 10 weeks: no 产妇, no live birth; nothing of the national tables.
  const miscarriage = woman('miscarriage', {
    registeredGaDays: 60,
    delivery: {
      date: '2025-09-20',
      dischargeDate: null,
      mode: 0,
      outcome: 3,
      gaDays: 70,
      institutionId: null,
      newborns: [],
      placeOfDelivery: null,
    },
  });

  it('counts twins as two live births and the woman once in each numerator', () => {
    const sums = totals(pregnancyFacts(twins, reference, TODAY));
    expect(sums.live_births).toEqual([2, 0]);
    expect(sums.antenatal_check_rate).toEqual([1, 2]);
    expect(sums.early_antenatal_check_rate).toEqual([1, 2]);
    expect(sums.antenatal_5_plus_rate).toEqual([1, 2]);
    expect(sums.postpartum_visit_rate).toEqual([1, 2]);
    expect(sums.maternal_system_management_rate).toEqual([1, 2]);
    // Yellow is high risk; the denominator is women delivered.
    expect(sums.high_risk_rate).toEqual([1, 1]);
    expect(sums.caesarean_rate).toEqual([2, 2]);
    expect(sums.low_birth_weight_rate).toEqual([1, 2]);
  });

  it('adds a stillborn woman to the numerators but no live birth; a miscarriage to neither', () => {
    const sums = totals([twins, stillbirth, miscarriage].flatMap((each) => pregnancyFacts(each, reference, TODAY)));
    expect(sums.live_births).toEqual([2, 0]);
    // Twins' mother and the stillborn's were both checked: 2 women over 2 live births.
    expect(sums.antenatal_check_rate).toEqual([2, 2]);
    // Only the twins' mother was checked before 13 weeks.
    expect(sums.early_antenatal_check_rate).toEqual([1, 2]);
    expect(sums.high_risk_rate).toEqual([1, 2]);
    expect(sums.caesarean_rate).toEqual([2, 2]);
    // Registration indicators keep every pregnancy: 3 registered, 2 of them before 13 weeks (80 and 60 days).
    expect(sums.pregnancies_registered).toEqual([3, 0]);
    expect(sums.early_registration).toEqual([2, 3]);
  });

  // A home delivery of one baby of 2300 g, and twins at a township hospital of whom one was stillborn (1900 g).
  const home = woman('home', {
    visits: visitsAt(85, 120),
    delivery: {
      date: '2026-04-02',
      dischargeDate: null,
      mode: 1,
      outcome: 1,
      gaDays: 275,
      institutionId: null,
      newborns: [live(2300)],
      placeOfDelivery: HOME,
    },
  });
  const mixedTwins = woman('mixed', {
    visits: visitsAt(95, 130, 170),
    delivery: {
      date: '2026-04-10',
      dischargeDate: '2026-04-12',
      mode: 1,
      outcome: 1,
      gaDays: 245,
      institutionId: 'inst-township',
      newborns: [live(2700), stillborn(1900)],
      placeOfDelivery: TOWNSHIP_HOSPITAL,
    },
  });

  it('住院分娩率, 低出生体重 and 剖宫产率 over live births: twins, a stillbirth, a home delivery, twins with one stillborn', () => {
    const sums = totals(
      [twins, stillbirth, home, mixedTwins].flatMap((each) => pregnancyFacts(each, reference, TODAY)),
    );
    // Live births: twins 2, the stillbirth 0, home 1, the mixed twins 1 (the stillborn twin is none) = 4.
    expect(sums.live_births).toEqual([4, 0]);
    // In hospital: the twins (county, 2) and the live twin (township, 1); the home birth is not: 3 of 4.
    expect(sums.hospital_delivery_rate).toEqual([3, 4]);
    // Weighed live births 2400, 2600, 2300, 2700: two under 2500 g; the stillborn 1200 g and 1900 g are not counted.
    expect(sums.low_birth_weight_rate).toEqual([2, 4]);
    // Only the twins were by caesarean: 2 of 4.
    expect(sums.caesarean_rate).toEqual([2, 4]);
    // Four women delivered (产妇): the stillbirth at 30 weeks is one.
    expect(sums.high_risk_rate).toEqual([1, 4]);
    expect(sums.place_of_delivery_unrecorded).toEqual([0, 0]);
  });

  it('mortality over the live births: a maternal death, a neonatal, an infant and a three-year-old child death', () => {
    const death = (id: string, kind: DeathFactsInput['kind'], ageGroup: string | null): DeathFactsInput => ({
      id,
      patientId: `${id}-patient`,
      kind,
      county: 'lufeng',
      institutionId: null,
      deathDate: '2026-04-20',
      ageGroup,
    });
    const deaths = [
      death('m', 'maternal', null),
      death('n', 'child', 'neonatal'),
      death('i', 'child', 'infant'),
      death('u', 'child', 'under-5'),
    ];
    const sums = totals([
      ...[twins, stillbirth, home, mixedTwins].flatMap((each) => pregnancyFacts(each, reference, TODAY)),
      ...deaths.flatMap(deathFacts),
    ]);
    // 4 live births (twins 2, home 1, the live twin 1; the stillbirth none). Maternal 1/4 = 25,000 per 100,000 live
    // births; neonatal 1/4; infant (the neonatal and the infant death) 2/4; under five (all three children) 3/4.
    expect(sums.maternal_mortality_ratio).toEqual([1, 4]);
    expect(sums.neonatal_mortality_rate).toEqual([1, 4]);
    expect(sums.infant_mortality_rate).toEqual([2, 4]);
    expect(sums.under5_mortality_rate).toEqual([3, 4]);
    // Filed under the month of death.
    expect(deathFacts(deaths[0] as DeathFactsInput)[0]).toMatchObject({
      month: '2026-04-01',
      numerator: 1,
      denominator: 0,
    });
    expect(indicatorDefinition('maternal_mortality_ratio')?.unit).toBe('per 100,000 live births');
    expect(indicatorDefinition('under5_mortality_rate')?.unit).toBe('‰');
  });

  it('maternal near-miss ratio over the live births: two near misses among four live births', () => {
    const nearMiss = (pregnancyId: string, eventDate: string) =>
      nearMissFacts({
        pregnancyId,
        patientId: `${pregnancyId}-patient`,
        county: 'lufeng',
        institutionId: null,
        eventDate,
      });
    const sums = totals([
      ...[twins, stillbirth, home, mixedTwins].flatMap((each) => pregnancyFacts(each, reference, TODAY)),
      ...nearMiss('a', '2026-04-03'),
      ...nearMiss('b', '2026-04-28'),
    ]);
    // 2 near misses over 4 live births = 500 per 1,000 live births (the unit is ‰).
    expect(sums.maternal_near_miss_ratio).toEqual([2, 4]);
    expect(nearMiss('a', '2026-04-03')[0]).toMatchObject({ month: '2026-04-01', numerator: 1, denominator: 0 });
    expect(indicatorDefinition('maternal_near_miss_ratio')).toMatchObject({ unit: '‰', confirmation: 'confirmed' });
  });

  it('a delivery recorded before the place was asked is not in hospital and is counted as unrecorded', () => {
    const older = {
      ...home,
      delivery: { ...(home.delivery as NonNullable<PregnancyFactsInput['delivery']>), placeOfDelivery: null },
    };
    const sums = totals(pregnancyFacts(older, reference, TODAY));
    expect(sums.hospital_delivery_rate).toEqual([0, 1]);
    expect(sums.place_of_delivery_unrecorded).toEqual([1, 0]);
  });

  it('a live birth on an older row without per-baby outcomes counts every baby live, and a live birth without babies as one', () => {
    const legacy = {
      ...twins,
      delivery: {
        ...(twins.delivery as NonNullable<PregnancyFactsInput['delivery']>),
        newborns: [
          { outcome: null, weightGrams: 2400 },
          { outcome: null, weightGrams: 2600 },
        ],
      },
    };
    expect(totals(pregnancyFacts(legacy, reference, TODAY)).live_births).toEqual([2, 0]);
    const bare = {
      ...twins,
      delivery: { ...(twins.delivery as NonNullable<PregnancyFactsInput['delivery']>), newborns: [] },
    };
    expect(totals(pregnancyFacts(bare, reference, TODAY)).hospital_delivery_rate).toEqual([1, 1]);
  });

  it('files delivery facts under the delivery month and the delivering institution, registration under its own', () => {
    const facts = pregnancyFacts(twins, reference, TODAY);
    expect(facts.find((fact) => fact.indicator === 'live_births')).toMatchObject({
      month: '2026-03-01',
      institutionId: 'inst-county',
      county: 'lufeng',
    });
    expect(facts.find((fact) => fact.indicator === 'pregnancies_registered')).toMatchObject({ month: '2025-08-01' });
  });

  it('counts a postpartum visit after day 28 for no one, and the home visit on time only within its window', () => {
    const late = {
      ...twins,
      postpartumVisits: [{ service: 'postpartum-home-visit', date: '2026-04-01', daysAfterDelivery: 31 }],
    };
    const sums = totals(pregnancyFacts(late, reference, TODAY));
    expect(sums.postpartum_visit_rate).toEqual([0, 2]);
    expect(sums.maternal_system_management_rate).toEqual([0, 2]);
    // The home visit's window (by day 8 after discharge) has closed without an on-time visit.
    expect(sums.postpartum_visit_coverage).toEqual([0, 1]);
  });

  it('leaves a scheduled item out of the denominator until it falls overdue', () => {
    const recent = {
      ...twins,
      delivery: {
        ...(twins.delivery as NonNullable<PregnancyFactsInput['delivery']>),
        date: '2026-06-27',
        dischargeDate: '2026-06-29',
      },
      postpartumVisits: [],
    };
    const facts = pregnancyFacts(recent, reference, TODAY);
    expect(totals(facts).postpartum_visit_coverage).toBeUndefined();
    expect(totals(facts, '2026-07-08').postpartum_visit_coverage).toEqual([0, 1]);
  });
});

describe('child facts (卫统42 7岁以下儿童保健和健康情况年报表)', () => {
  const child = (overrides: Partial<ChildFactsInput>): ChildFactsInput => ({
    patientId: 'child-1',
    county: 'lufeng',
    birthDate: '2023-05-10',
    dischargeDate: null,
    checks: [],
    growth: [],
    doses: [],
    ...overrides,
  });
  const check = (checkedOn: string): ChildFactsInput['checks'][number] => ({
    service: 'child-health-check',
    checkedOn,
    growthMeasurementId: null,
    institutionId: 'inst-township',
  });
  const yearFacts = (facts: StatisticsFact[], indicator: string): Record<string, [number, number]> =>
    Object.fromEntries(
      facts
        .filter((fact) => fact.indicator === indicator)
        .map((fact) => [fact.month, [fact.numerator, fact.denominator]]),
    );

  it('a child who turns three mid-year: only the checks due before the third birthday decide the under-three rate', () => {
    // Reporting year 2025-10-01 – 2026-09-30: third birthday 2026-05-10; the 30-month check (due 2025-11-10) is the only
    // one due before it; the 36-month check (due on the birthday) does not count. Done on 2025-11-12.
    const facts = childFacts(child({ checks: [check('2025-11-12')] }), reference, TODAY);
    const under3 = yearFacts(facts, 'under3_system_management_rate');
    expect(under3['2025-10-01']).toEqual([1, 1]);
    // The year before: the 18- and 24-month checks were due and not done.
    expect(under3['2024-10-01']).toEqual([0, 1]);
    const under7 = yearFacts(facts, 'under7_health_management_rate');
    expect(under7['2025-10-01']).toEqual([1, 1]);
    expect(under7['2024-10-01']).toEqual([0, 1]);
    // Born in the reporting year 2022-10 – 2023-09; no year after the current one.
    expect(Object.keys(under7).sort()).toEqual(['2022-10-01', '2023-10-01', '2024-10-01', '2025-10-01']);
  });

  it('a child past three has no under-three fact; a growth measurement alone counts as a health check of the year', () => {
    const older = child({
      birthDate: '2021-01-15',
      growth: [{ id: 'g1', measuredOn: '2026-01-20', institutionId: 'inst-township' }],
    });
    const facts = childFacts(older, reference, TODAY);
    expect(yearFacts(facts, 'under3_system_management_rate')['2025-10-01']).toBeUndefined();
    expect(yearFacts(facts, 'under7_health_management_rate')['2025-10-01']).toEqual([1, 1]);
    // Filed under the institution that last cared for the child.
    expect(facts.every((fact) => fact.institutionId === 'inst-township')).toBe(true);
  });

  it('HepB dose 1 on the day after birth is on time, two days after is not', () => {
    const dose = (givenOn: string): ChildFactsInput['doses'][number] => ({
      vaccine: 'HepB',
      programmeVaccine: 'HepB',
      dose: 1,
      givenOn,
      institutionId: null,
    });
    const onTime = totals(
      childFacts(child({ birthDate: '2026-05-01', doses: [dose('2026-05-02')] }), reference, TODAY),
    );
    const late = totals(childFacts(child({ birthDate: '2026-05-01', doses: [dose('2026-05-03')] }), reference, TODAY));
    expect(onTime.immunization_hepb1_on_time).toEqual([1, 1]);
    expect(late.immunization_hepb1_on_time).toEqual([0, 1]);
  });

  it('immunization coverage follows the child’s edition and special rules: an HBsAg-exposed infant’s HBIG is a dose', () => {
    const items = (facts: StatisticsFact[]): string[] =>
      facts.filter((fact) => fact.indicator === 'immunization_coverage').map((fact) => fact.item);
    const born2025 = child({ birthDate: '2025-03-10' });
    const exposed = items(childFacts({ ...born2025, facts: { maternalHbsag: 'positive' } }, reference, TODAY));
    expect(exposed).toEqual(expect.arrayContaining(['hbig-1', 'dtap-1']));
    expect(exposed).not.toContain('dt-1');
    expect(items(childFacts(born2025, reference, TODAY))).not.toContain('hbig-1');
    // HBIG given on the day of birth counts on time in the month it fell overdue (the day after birth).
    const given = childFacts(
      {
        ...born2025,
        facts: { maternalHbsag: 'positive' },
        doses: [{ vaccine: 'HBIG', programmeVaccine: 'HBIG', dose: 1, givenOn: '2025-03-10', institutionId: null }],
      },
      reference,
      TODAY,
    );
    expect(given.find((fact) => fact.indicator === 'immunization_coverage' && fact.item === 'hbig-1')).toMatchObject({
      month: '2025-03-01',
      numerator: 1,
      denominator: 1,
    });
  });
});

describe('the catalogue', () => {
  it('gives every indicator a numerator, a denominator, a unit rule, a source and a confirmation', () => {
    for (const definition of INDICATOR_CATALOGUE) {
      expect(definition.numerator.length).toBeGreaterThan(0);
      expect(definition.source.length).toBeGreaterThan(0);
      expect(['confirmed', 'unconfirmed']).toContain(definition.confirmation);
      // A count has no denominator; a rate has one.
      expect(
        definition.unit === ''
          ? definition.denominator.startsWith('(none')
          : !definition.denominator.startsWith('(none'),
      ).toBe(true);
    }
  });

  it('defines every indicator the facts produce', () => {
    const facts = [
      ...pregnancyFacts(
        {
          ...woman('any', { visits: visitsAt(80) }),
          delivery: {
            date: '2026-03-01',
            dischargeDate: null,
            mode: 1,
            outcome: 1,
            gaDays: 270,
            institutionId: null,
            newborns: [live(3000)],
            placeOfDelivery: null,
          },
        },
        reference,
        TODAY,
      ),
      ...childFacts(
        {
          patientId: 'c',
          county: 'lufeng',
          birthDate: '2024-01-01',
          dischargeDate: null,
          checks: [],
          growth: [],
          doses: [],
        },
        reference,
        TODAY,
      ),
    ];
    for (const indicator of new Set(facts.map((fact) => fact.indicator)))
      expect(indicatorDefinition(indicator)).toBeDefined();
  });
});

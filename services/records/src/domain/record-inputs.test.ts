import { InvalidArgumentError } from '../../../common/src/errors';
import { defaultRecordsDataDir, loadRecordsReferenceData } from './reference-data';
import {
  checkDelivery,
  checkPregnancyRegistration,
  checkVisit,
  pregnancyPicture,
  programmeVaccineOf,
  todayInChina,
} from './record-inputs';
import { proposeRiskGrade, screenForGrading } from './risk/grading';
import { riskRuleSetInForce } from './risk/rule-set';
import { scheduleInForce } from './schedules/schedule';
import { fieldsOf } from '../../../common/test/violations';

const reference = loadRecordsReferenceData(defaultRecordsDataDir());

describe('todayInChina', () => {
  it('is the calendar date at UTC+8', () => {
    expect(todayInChina(new Date('2026-03-01T15:59:00Z'))).toBe('2026-03-01');
    expect(todayInChina(new Date('2026-03-01T16:00:00Z'))).toBe('2026-03-02');
  });
});

describe('checkPregnancyRegistration', () => {
  const base = { lmp: '', registeredOn: '2026-03-12', findings: [] as string[] };

  it('dates by LMP: EDD by Naegele, gestational age at registration', () => {
    const registration = checkPregnancyRegistration({ ...base, lmp: '2026-01-01' }, '2026-03-20');
    expect(registration).toMatchObject({
      lmp: '2026-01-01',
      edd: '2026-10-08',
      datingMethod: 'lmp',
      gestationalAgeDays: 70,
    });
  });

  it('dates by a first-trimester scan: the dating LMP follows from the scan', () => {
    const registration = checkPregnancyRegistration(
      { ...base, datingScan: { scanDate: '2026-03-10', gestationalAge: { weeks: 9, days: 2 } } },
      '2026-03-20',
    );
    expect(registration.datingMethod).toBe('ultrasound');
    expect(registration.lmp).toBe('2026-01-04');
    expect(registration.edd).toBe('2026-10-11');
  });

  it('needs exactly one dating method, and names each bad field at once', () => {
    expect(fieldsOf(() => checkPregnancyRegistration(base, '2026-03-20'))).toEqual(['lmp']);
    expect(
      fieldsOf(() =>
        checkPregnancyRegistration(
          { ...base, lmp: '2026-01-01', datingScan: { scanDate: '2026-03-10' } },
          '2026-03-20',
        ),
      ),
    ).toEqual(['datingScan']);
    expect(
      fieldsOf(() =>
        checkPregnancyRegistration(
          { ...base, lmp: '2026-04-01', registeredOn: '2026-05-01', prePregnancyWeightKg: 50, findings: ['nonsense'] },
          '2026-03-20',
        ),
      ),
    ).toEqual(['registeredOn', 'heightCm', 'findings[0]']);
  });

  it('refuses an LMP after registration or more than 45 weeks before it', () => {
    expect(fieldsOf(() => checkPregnancyRegistration({ ...base, lmp: '2026-03-13' }, '2026-03-20'))).toEqual(['lmp']);
    expect(fieldsOf(() => checkPregnancyRegistration({ ...base, lmp: '2025-04-01' }, '2026-03-20'))).toEqual(['lmp']);
  });

  it('computes the pre-pregnancy BMI from weight and height', () => {
    expect(
      checkPregnancyRegistration({ ...base, lmp: '2026-01-01', prePregnancyWeightKg: 70, heightCm: 160 }, '2026-03-20')
        .prePregnancyBmi,
    ).toBe(27.3);
  });
});

describe('checkVisit', () => {
  const pregnancy = { lmp: '2026-01-01', active: true };
  const visit = {
    visitDate: '2026-03-12',
    proteinuria: 0,
    findings: [] as string[],
    labs: [] as { code: string; result: string; resultedOn: string }[],
  };

  it('accepts a plausible visit and counts the gestational age from the LMP', () => {
    expect(checkVisit({ ...visit, systolicBp: 120, weightKg: 60 }, pregnancy, '2026-03-20').gestationalAgeDays).toBe(
      70,
    );
  });

  it('refuses a visit before the LMP or in the future, naming visitDate', () => {
    expect(fieldsOf(() => checkVisit({ ...visit, visitDate: '2025-12-31' }, pregnancy, '2026-03-20'))).toEqual([
      'visitDate',
    ]);
    expect(fieldsOf(() => checkVisit({ ...visit, visitDate: '2026-03-21' }, pregnancy, '2026-03-20'))).toEqual([
      'visitDate',
    ]);
  });

  it('names every implausible measurement, unknown finding and unknown lab code', () => {
    expect(
      fieldsOf(() =>
        checkVisit(
          {
            ...visit,
            weightKg: -2,
            systolicBp: 400,
            fetalHeartRate: 141.5,
            proteinuria: 9,
            findings: ['bad'],
            labs: [
              { code: 'HIV', result: 'positive', resultedOn: '' },
              { code: 'XYZ', result: 'maybe', resultedOn: '' },
            ],
          },
          pregnancy,
          '2026-03-20',
        ),
      ),
    ).toEqual([
      'systolicBp',
      'weightKg',
      'fetalHeartRate',
      'proteinuria',
      'findings[0]',
      'labs[1].code',
      'labs[1].result',
    ]);
  });

  it('refuses a visit to an ended pregnancy', () => {
    expect(fieldsOf(() => checkVisit(visit, { ...pregnancy, active: false }, '2026-03-20'))).toEqual(['pregnancyId']);
  });
});

describe('pregnancyPicture', () => {
  const ruleSet = riskRuleSetInForce(reference.riskRuleSets, 'CN', '2026-03-20');
  const pregnancy = { maternalBirthDate: '1994-05-12', edd: '2026-10-08', findings: [] as string[] };

  it('reads the latest value of each metric, so a later normal blood pressure replaces an earlier high one', () => {
    const visits = [
      { visitDate: '2026-05-01', systolicBp: 168, diastolicBp: 112, findings: [], labs: [] },
      { visitDate: '2026-06-01', systolicBp: 118, diastolicBp: 76, findings: [], labs: [] },
    ];
    expect(proposeRiskGrade(ruleSet, pregnancyPicture(pregnancy, visits)).colour).toBe('green');
    // Order of the list does not matter, only the visit dates: the high reading dated last decides.
    const highLast = [
      { ...visits[0], visitDate: '2026-07-01' } as (typeof visits)[number],
      visits[1] as (typeof visits)[number],
    ];
    // Severe-range BP alone is orange (managed as severe pre-eclampsia), no longer red.
    expect(proposeRiskGrade(ruleSet, pregnancyPicture(pregnancy, highLast)).colour).toBe('orange');
  });

  it('reads the dipstick as its plus count: 3+ with BP 168/112 is severe pre-eclampsia; negative, trace and untested are not protein', () => {
    const visit = { visitDate: '2026-05-01', systolicBp: 168, diastolicBp: 112, findings: [], labs: [] };
    const fired = (proteinuria: number): string[] =>
      proposeRiskGrade(ruleSet, pregnancyPicture(pregnancy, [{ ...visit, proteinuria }])).firedRules.map(
        (rule) => rule.ruleId,
      );
    expect(fired(5)).toContain('severe-pre-eclampsia'); // PROTEINURIA_PLUS_3
    expect(fired(3)).toContain('severe-pre-eclampsia'); // PROTEINURIA_PLUS_1
    for (const notProtein of [0, 1, 2]) expect(fired(notProtein)).not.toContain('severe-pre-eclampsia');
    expect(pregnancyPicture(pregnancy, [{ ...visit, proteinuria: 0 }]).proteinuria).toBeUndefined();
    expect(pregnancyPicture(pregnancy, [{ ...visit, proteinuria: 2 }]).proteinuria).toBe(0);
  });

  it('keeps every finding and lab of the pregnancy: twins and a positive HBsAg make yellow beside purple', () => {
    const picture = pregnancyPicture({ ...pregnancy, findings: ['twins'] }, [
      {
        visitDate: '2026-05-01',
        findings: [],
        labs: [{ code: 'HBsAg', result: 'positive', resultedOn: '2026-05-01' }],
      },
    ]);
    const proposal = proposeRiskGrade(ruleSet, picture);
    expect(proposal.colour).toBe('yellow');
    expect(proposal.besideColours).toEqual(['purple']);
    expect(screenForGrading(ruleSet, picture).positive).toBe(true);
  });

  it('reads maternal age on the EDD: 40 at delivery is orange', () => {
    expect(
      proposeRiskGrade(ruleSet, pregnancyPicture({ ...pregnancy, maternalBirthDate: '1986-10-01' }, [])).colour,
    ).toBe('orange');
  });
});

describe('checkDelivery', () => {
  const pregnancy = { lmp: '2026-01-01', active: true };
  const twin = (order: number, certificate: string) => ({
    sex: 'female' as const,
    birthOrder: order,
    name: '',
    birthCertificateNumber: certificate,
    birthWeightGrams: 2400,
  });
  const delivery = {
    deliveryDate: '2026-09-20',
    dischargeDate: '2026-09-23',
    mode: 3,
    outcome: 1,
    liveBirth: true,
    placeOfDelivery: 2,
    newborns: [twin(1, 'O530000001'), twin(2, 'O530000002')],
  };

  it('accepts twins and keeps their birth order', () => {
    const checked = checkDelivery(delivery, pregnancy, '2026-09-25');
    expect(checked.newborns.map((n) => n.birthOrder)).toEqual([1, 2]);
    expect(checked.gestationalAgeDays).toBe(262);
  });

  it('names every bad field: discharge before delivery, a repeated birth order and certificate, a missing sex', () => {
    const bad = {
      ...delivery,
      dischargeDate: '2026-09-19',
      newborns: [twin(1, 'O530000001'), { ...twin(1, 'O530000001'), sex: undefined }],
    };
    expect(fieldsOf(() => checkDelivery(bad, pregnancy, '2026-09-25'))).toEqual([
      'dischargeDate',
      'newborns[1].birthOrder',
      'newborns[1].sex',
      'newborns[1].birthCertificateNumber',
    ]);
  });

  it('needs a live-born newborn for a live birth, and no live-born baby for a stillbirth', () => {
    expect(fieldsOf(() => checkDelivery({ ...delivery, newborns: [] }, pregnancy, '2026-09-25'))).toEqual(['newborns']);
    // Stillborn by default under a stillbirth: the certificates are refused.
    expect(
      fieldsOf(() => checkDelivery({ ...delivery, outcome: 2, liveBirth: false }, pregnancy, '2026-09-25')),
    ).toEqual(['newborns[0].birthCertificateNumber', 'newborns[1].birthCertificateNumber']);
    expect(
      fieldsOf(() =>
        checkDelivery(
          { ...delivery, outcome: 2, liveBirth: false, newborns: [{ ...twin(1, ''), outcome: 1 }] },
          pregnancy,
          '2026-09-25',
        ),
      ),
    ).toEqual(['newborns[0].outcome']);
    expect(
      fieldsOf(() =>
        checkDelivery({ ...delivery, newborns: [{ ...twin(1, ''), outcome: 2 }] }, pregnancy, '2026-09-25'),
      ),
    ).toEqual(['newborns']);
    expect(
      fieldsOf(() =>
        checkDelivery({ ...delivery, outcome: 3, liveBirth: false, placeOfDelivery: 0 }, pregnancy, '2026-09-25'),
      ),
    ).toEqual(['newborns']);
  });

  it('keeps twins with one stillborn: the live twin is registered, the stillborn twin needs no certificate or sex', () => {
    const checked = checkDelivery(
      {
        ...delivery,
        newborns: [twin(1, 'O530000001'), { ...twin(2, ''), sex: undefined, birthWeightGrams: 1900, outcome: 2 }],
      },
      pregnancy,
      '2026-09-25',
    );
    expect(checked.newborns.map((n) => n.outcome)).toEqual(['live', 'stillborn']);
    expect(checked.liveBorn.map((n) => n.birthOrder)).toEqual([1]);
    expect(checked.placeOfDelivery).toBe(2);
  });

  it('needs the place of a live birth or stillbirth, not of a miscarriage, and refuses an unknown place', () => {
    expect(fieldsOf(() => checkDelivery({ ...delivery, placeOfDelivery: 0 }, pregnancy, '2026-09-25'))).toEqual([
      'placeOfDelivery',
    ]);
    expect(
      fieldsOf(() =>
        checkDelivery(
          { ...delivery, outcome: 2, liveBirth: false, newborns: [], placeOfDelivery: undefined },
          pregnancy,
          '2026-09-25',
        ),
      ),
    ).toEqual(['placeOfDelivery']);
    expect(fieldsOf(() => checkDelivery({ ...delivery, placeOfDelivery: 9 }, pregnancy, '2026-09-25'))).toEqual([
      'placeOfDelivery',
    ]);
    expect(
      checkDelivery(
        { ...delivery, outcome: 3, liveBirth: false, newborns: [], placeOfDelivery: 0 },
        pregnancy,
        '2026-09-25',
      ).placeOfDelivery,
    ).toBeNull();
  });
});

describe('programmeVaccineOf', () => {
  const schedule = scheduleInForce(reference.schedules, 'cn-nip', '2026-01-01');

  it('maps a product to the programme vaccine whose dose it counts as', () => {
    expect(programmeVaccineOf(schedule, 'HepB', 1)).toBe('HepB');
    expect(programmeVaccineOf(schedule, 'bOPV', 3)).toBe('Polio');
  });

  it('names vaccine for an unknown product and dose for a dose the programme does not have', () => {
    expect(fieldsOf(() => programmeVaccineOf(schedule, 'XYZ', 1))).toEqual(['vaccine']);
    expect(fieldsOf(() => programmeVaccineOf(schedule, 'HepB', 5))).toEqual(['dose']);
    expect(fieldsOf(() => programmeVaccineOf(schedule, 'bOPV', 1))).toEqual(['dose']);
  });
});

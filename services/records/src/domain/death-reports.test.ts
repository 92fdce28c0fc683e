// Death report validation: every bad field named, the 42-day window of a maternal death, the age limit of an
// under-5 death, and the cause groups as data.
import { fieldsOf } from '../../../common/test/violations';
import {
  checkChildDeath,
  checkMaternalDeath,
  childAgeGroup,
  MaternalDeathInput,
  ChildDeathInput,
} from './death-reports';
import { defaultRecordsDataDir, loadDeathCauseGroups } from './reference-data';

const causes = loadDeathCauseGroups(defaultRecordsDataDir());
const TODAY = '2026-06-30';

describe('cause groups (death-causes.json)', () => {
  it('holds the groups the national reporting names, maternal ones as direct or indirect, and is marked unconfirmed', () => {
    expect(causes.confirmed).toBe(false);
    expect(causes.maternal.get('obstetric_haemorrhage')).toMatchObject({ zh: '产科出血', kind: 'direct' });
    expect(causes.maternal.get('heart_disease')).toMatchObject({ kind: 'indirect' });
    expect(causes.child.get('preterm_low_birth_weight')?.zh).toBe('早产或低出生体重');
  });
});

describe('checkMaternalDeath', () => {
  const input: MaternalDeathInput = {
    deathDate: '2026-06-20',
    timing: 3,
    pregnancyEndDate: '',
    placeOfDeath: 2,
    causeGroup: 'obstetric_haemorrhage',
    icd10: 'o72.1',
    causeText: '产后出血',
    diagnosisBasis: 3,
    hadAntenatalCare: true,
    firstAntenatalGaWeeks: 10,
    antenatalVisits: 6,
  };
  const delivered = { lmp: '2025-09-01', deliveryDate: '2026-06-01' };

  it('accepts a postpartum death 19 days after the delivery, coding the ICD-10 upper case', () => {
    const checked = checkMaternalDeath(input, delivered, causes, TODAY);
    expect(checked).toMatchObject({
      daysAfterPregnancyEnd: 19,
      icd10: 'O72.1',
      causeGroup: { code: 'obstetric_haemorrhage' },
    });
  });

  it('42 days after the end is still maternal, 43 is not', () => {
    expect(
      checkMaternalDeath({ ...input, deathDate: '2026-07-13' }, delivered, causes, '2026-08-01').daysAfterPregnancyEnd,
    ).toBe(42);
    expect(
      fieldsOf(() => checkMaternalDeath({ ...input, deathDate: '2026-07-14' }, delivered, causes, '2026-08-01')),
    ).toEqual(['deathDate']);
  });

  it('a postpartum death without a recorded delivery needs the end date; an antepartum death after the delivery is refused', () => {
    expect(
      fieldsOf(() => checkMaternalDeath(input, { lmp: '2025-09-01', deliveryDate: undefined }, causes, TODAY)),
    ).toEqual(['pregnancyEndDate']);
    expect(
      checkMaternalDeath(
        { ...input, pregnancyEndDate: '2026-06-10' },
        { lmp: '2025-09-01', deliveryDate: undefined },
        causes,
        TODAY,
      ).daysAfterPregnancyEnd,
    ).toBe(10);
    expect(fieldsOf(() => checkMaternalDeath({ ...input, timing: 1 }, delivered, causes, TODAY))).toEqual(['timing']);
  });

  it('names every bad field at once', () => {
    const bad = {
      ...input,
      deathDate: '2026-07-05',
      timing: 0,
      placeOfDeath: 9,
      causeGroup: 'bad luck',
      icd10: '72.1',
      diagnosisBasis: 0,
      hadAntenatalCare: false,
      antenatalVisits: 3,
    };
    expect(fieldsOf(() => checkMaternalDeath(bad, delivered, causes, TODAY)).sort()).toEqual(
      ['causeGroup', 'deathDate', 'diagnosisBasis', 'hadAntenatalCare', 'icd10', 'placeOfDeath', 'timing'].sort(),
    );
  });
});

describe('checkChildDeath', () => {
  const input: ChildDeathInput = {
    deathDate: '2026-06-10',
    placeOfDeath: 5,
    causeGroup: 'pneumonia',
    icd10: '',
    causeText: '',
    diagnosisBasis: 4,
    treatment: 3,
    highestDiagnosisLevel: 5,
    noTreatmentReason: 2,
  };

  it('ages: under 28 days neonatal, before the first birthday infant, before the fifth under-5', () => {
    expect(childAgeGroup('2026-05-14', '2026-06-10')).toBe('neonatal');
    expect(childAgeGroup('2026-05-13', '2026-06-10')).toBe('infant');
    expect(childAgeGroup('2025-06-10', '2026-06-10')).toBe('under-5');
    expect(childAgeGroup('2021-06-10', '2026-06-10')).toBe('five-or-older');
    expect(checkChildDeath(input, { birthDate: '2026-05-14' }, causes, TODAY)).toMatchObject({
      ageDays: 27,
      ageGroup: 'neonatal',
    });
  });

  it('refuses a child of five, a death before birth, a missing reason for no treatment and a reason beside treatment', () => {
    expect(fieldsOf(() => checkChildDeath(input, { birthDate: '2021-06-10' }, causes, TODAY))).toEqual(['deathDate']);
    expect(fieldsOf(() => checkChildDeath(input, { birthDate: '2026-06-11' }, causes, TODAY))).toEqual(['deathDate']);
    expect(
      fieldsOf(() => checkChildDeath({ ...input, noTreatmentReason: 0 }, { birthDate: '2026-01-01' }, causes, TODAY)),
    ).toEqual(['noTreatmentReason']);
    expect(
      fieldsOf(() => checkChildDeath({ ...input, treatment: 1 }, { birthDate: '2026-01-01' }, causes, TODAY)),
    ).toEqual(['noTreatmentReason']);
    expect(
      fieldsOf(() =>
        checkChildDeath(
          { ...input, causeGroup: 'obstetric_haemorrhage', highestDiagnosisLevel: 0 },
          { birthDate: '2026-01-01' },
          causes,
          TODAY,
        ),
      ).sort(),
    ).toEqual(['causeGroup', 'highestDiagnosisLevel']);
  });
});

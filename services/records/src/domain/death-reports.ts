// Death reports as the national cards hold them (孕产妇死亡报告卡, 5岁以下儿童死亡报告卡): the cause groups (data,
// services/records/data/death-causes.json, loaded by reference-data.ts) and the validation of a report, each bad field named.
import { Violations } from '../../../common/src/errors';
import { dayNumberOf, IsoDate, parseIsoDate } from './calendar';
import { DataFileError } from './data-file';

export interface CauseGroup {
  readonly code: string;
  readonly zh: string;
  /** Maternal groups: direct or indirect obstetric death. */
  readonly kind?: 'direct' | 'indirect' | 'unknown';
}

export interface DeathCauseGroups {
  readonly id: string;
  readonly confirmed: boolean;
  readonly maternal: ReadonlyMap<string, CauseGroup>;
  readonly child: ReadonlyMap<string, CauseGroup>;
}

/** Checks the text of death-causes.json; a bad file fails naming itself and the place in it. */
export function parseDeathCauseGroups(text: string): DeathCauseGroups {
  const raw = JSON.parse(text) as { id?: unknown; confirmed?: unknown; maternal?: unknown; child?: unknown };
  const groups = (list: unknown, field: string): Map<string, CauseGroup> => {
    if (!Array.isArray(list) || list.length === 0)
      throw new DataFileError('death-causes.json', field, 'must be a non-empty list');
    const out = new Map<string, CauseGroup>();
    list.forEach((entry: { code?: unknown; zh?: unknown; kind?: unknown }, index) => {
      if (typeof entry.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(entry.code) || typeof entry.zh !== 'string') {
        throw new DataFileError('death-causes.json', `${field}[${index}]`, 'needs a snake_case code and a zh label');
      }
      if (out.has(entry.code))
        throw new DataFileError('death-causes.json', `${field}[${index}].code`, `"${entry.code}" is defined twice`);
      if (
        entry.kind !== undefined &&
        entry.kind !== 'direct' &&
        entry.kind !== 'indirect' &&
        entry.kind !== 'unknown'
      ) {
        throw new DataFileError('death-causes.json', `${field}[${index}].kind`, 'must be direct, indirect or unknown');
      }
      out.set(entry.code, { code: entry.code, zh: entry.zh, ...(entry.kind ? { kind: entry.kind } : {}) });
    });
    return out;
  };
  if (typeof raw.id !== 'string') throw new DataFileError('death-causes.json', 'id', 'is required');
  return {
    id: raw.id,
    confirmed: raw.confirmed === true,
    maternal: groups(raw.maternal, 'maternal'),
    child: groups(raw.child, 'child'),
  };
}

/** 孕产妇死亡: from the start of pregnancy to 42 days after its end. */
export const MATERNAL_DEATH_WINDOW_DAYS = 42;
const ICD10 = /^[A-Z]\d{2}(\.\d{1,2})?$/;
const TIMING_POSTPARTUM = 3;

export interface MaternalDeathInput {
  readonly deathDate: string;
  /** MaternalDeathTiming: 1 antepartum, 2 intrapartum, 3 postpartum. */
  readonly timing: number;
  readonly pregnancyEndDate: string;
  /** PlaceOfDeath 1–7. */
  readonly placeOfDeath: number;
  readonly causeGroup: string;
  readonly icd10: string;
  readonly causeText: string;
  /** DeathDiagnosisBasis 1–4. */
  readonly diagnosisBasis: number;
  readonly hadAntenatalCare: boolean;
  readonly firstAntenatalGaWeeks: number | undefined;
  readonly antenatalVisits: number;
}

export interface CheckedMaternalDeath {
  readonly deathDate: IsoDate;
  readonly causeGroup: CauseGroup;
  readonly icd10: string;
  /** Days from the end of the pregnancy (postpartum deaths). */
  readonly daysAfterPregnancyEnd: number | undefined;
}

function dateOf(violations: Violations, value: string, field: string): number | undefined {
  if (!value) {
    violations.add(field, 'is required (YYYY-MM-DD)');
    return undefined;
  }
  const day = dayNumberOf(value);
  if (day === undefined) violations.add(field, 'must be a date YYYY-MM-DD');
  return day;
}

function commonFields(
  violations: Violations,
  input: { placeOfDeath: number; icd10: string; causeText: string; diagnosisBasis: number },
): string {
  if (!Number.isInteger(input.placeOfDeath) || input.placeOfDeath < 1 || input.placeOfDeath > 7) {
    violations.add(
      'placeOfDeath',
      'is required: prefecture, county or township hospital, other institution, home, en route or other',
    );
  }
  const icd10 = input.icd10.trim().toUpperCase();
  if (icd10 !== '' && !ICD10.test(icd10)) violations.add('icd10', 'must be an ICD-10 code such as O72.1');
  if ([...input.causeText].length > 500) violations.add('causeText', 'must be at most 500 characters');
  if (!Number.isInteger(input.diagnosisBasis) || input.diagnosisBasis < 1 || input.diagnosisBasis > 4) {
    violations.add('diagnosisBasis', 'is required: autopsy, pathology, clinical or inferred after death');
  }
  return icd10;
}

/**
 * A maternal death of this pregnancy: dated from the LMP to today, and, after the pregnancy ended (the recorded
 * delivery's date, or `pregnancyEndDate` when none is recorded), within 42 days of its end; an antepartum or
 * intrapartum death is of a pregnancy not yet ended before that day.
 */
export function checkMaternalDeath(
  input: MaternalDeathInput,
  pregnancy: { readonly lmp: IsoDate; readonly deliveryDate: IsoDate | undefined },
  causes: DeathCauseGroups,
  today: IsoDate,
): CheckedMaternalDeath {
  const violations = new Violations();
  const died = dateOf(violations, input.deathDate, 'deathDate');
  const lmp = parseIsoDate(pregnancy.lmp, 'lmp');
  if (died !== undefined && died > parseIsoDate(today, 'today'))
    violations.add('deathDate', 'must not be in the future');
  else if (died !== undefined && died < lmp)
    violations.add('deathDate', `must not be before the LMP (${pregnancy.lmp})`);
  if (!Number.isInteger(input.timing) || input.timing < 1 || input.timing > 3)
    violations.add('timing', 'is required: antepartum, intrapartum or postpartum');
  let daysAfterPregnancyEnd: number | undefined;
  const endDate = pregnancy.deliveryDate ?? (input.pregnancyEndDate || undefined);
  if (pregnancy.deliveryDate && input.pregnancyEndDate && input.pregnancyEndDate !== pregnancy.deliveryDate) {
    violations.add('pregnancyEndDate', `the pregnancy ended with the recorded delivery on ${pregnancy.deliveryDate}`);
  }
  if (input.timing === TIMING_POSTPARTUM) {
    const ended = endDate ? dateOf(violations, endDate, 'pregnancyEndDate') : undefined;
    if (!endDate) violations.add('pregnancyEndDate', 'is required for a postpartum death when no delivery is recorded');
    if (ended !== undefined && died !== undefined) {
      if (died < ended) violations.add('deathDate', `must not be before the end of the pregnancy (${endDate})`);
      else if (died - ended > MATERNAL_DEATH_WINDOW_DAYS) {
        violations.add(
          'deathDate',
          'is more than 42 days after the end of the pregnancy: not a maternal death (妊娠期至产后42天内)',
        );
      } else daysAfterPregnancyEnd = died - ended;
    }
  } else if (
    (input.timing === 1 || input.timing === 2) &&
    pregnancy.deliveryDate &&
    died !== undefined &&
    died > parseIsoDate(pregnancy.deliveryDate, 'deliveryDate')
  ) {
    violations.add('timing', `she was delivered on ${pregnancy.deliveryDate}: a later death is postpartum`);
  }
  const causeGroup = causes.maternal.get(input.causeGroup.trim());
  if (!causeGroup) violations.add('causeGroup', `must be one of ${[...causes.maternal.keys()].join(', ')}`);
  const icd10 = commonFields(violations, input);
  if (!input.hadAntenatalCare && (input.antenatalVisits > 0 || input.firstAntenatalGaWeeks !== undefined)) {
    violations.add('hadAntenatalCare', 'antenatal visits or a first check are given: she had antenatal care');
  }
  if (!Number.isInteger(input.antenatalVisits) || input.antenatalVisits < 0 || input.antenatalVisits > 50)
    violations.add('antenatalVisits', 'must be from 0 to 50');
  if (
    input.firstAntenatalGaWeeks !== undefined &&
    (!Number.isInteger(input.firstAntenatalGaWeeks) ||
      input.firstAntenatalGaWeeks < 1 ||
      input.firstAntenatalGaWeeks > 45)
  ) {
    violations.add('firstAntenatalGaWeeks', 'must be a whole number of weeks from 1 to 45');
  }
  violations.throwIfAny();
  return { deathDate: input.deathDate, causeGroup: causeGroup as CauseGroup, icd10, daysAfterPregnancyEnd };
}

export interface ChildDeathInput {
  readonly deathDate: string;
  readonly placeOfDeath: number;
  readonly causeGroup: string;
  readonly icd10: string;
  readonly causeText: string;
  readonly diagnosisBasis: number;
  /** ChildDeathTreatment: 1 inpatient, 2 outpatient, 3 none. */
  readonly treatment: number;
  /** DiagnosisLevel 1–5. */
  readonly highestDiagnosisLevel: number;
  /** NoTreatmentReason 1–5, required when treatment is none. */
  readonly noTreatmentReason: number;
}

export interface CheckedChildDeath {
  readonly deathDate: IsoDate;
  readonly ageDays: number;
  readonly ageGroup: 'neonatal' | 'infant' | 'under-5';
  readonly causeGroup: CauseGroup;
  readonly icd10: string;
}

const TREATMENT_NONE = 3;
const NEONATAL_DAYS = 28;

function addYears(day: IsoDate, years: number): IsoDate {
  return `${String(Number(day.slice(0, 4)) + years).padStart(4, '0')}${day.slice(4)}`;
}

/** The age group of a death: 新生儿 under 28 days, 婴儿 before the first birthday, 5岁以下 before the fifth. */
export function childAgeGroup(
  birthDate: IsoDate,
  deathDate: IsoDate,
): 'neonatal' | 'infant' | 'under-5' | 'five-or-older' {
  if (deathDate >= addYears(birthDate, 5)) return 'five-or-older';
  if (parseIsoDate(deathDate, 'deathDate') - parseIsoDate(birthDate, 'birthDate') < NEONATAL_DAYS) return 'neonatal';
  return deathDate < addYears(birthDate, 1) ? 'infant' : 'under-5';
}

/** A child's death: from the birth date to today, before the fifth birthday, with the care it had. */
export function checkChildDeath(
  input: ChildDeathInput,
  child: { readonly birthDate: IsoDate },
  causes: DeathCauseGroups,
  today: IsoDate,
): CheckedChildDeath {
  const violations = new Violations();
  const died = dateOf(violations, input.deathDate, 'deathDate');
  const born = parseIsoDate(child.birthDate, 'birthDate');
  let ageGroup: CheckedChildDeath['ageGroup'] | undefined;
  if (died !== undefined) {
    if (died > parseIsoDate(today, 'today')) violations.add('deathDate', 'must not be in the future');
    else if (died < born) violations.add('deathDate', `must not be before the birth date (${child.birthDate})`);
    else {
      const group = childAgeGroup(child.birthDate, input.deathDate);
      if (group === 'five-or-older')
        violations.add('deathDate', 'the child was five or older: not a death under five (5岁以下儿童死亡)');
      else ageGroup = group;
    }
  }
  const causeGroup = causes.child.get(input.causeGroup.trim());
  if (!causeGroup) violations.add('causeGroup', `must be one of ${[...causes.child.keys()].join(', ')}`);
  const icd10 = commonFields(violations, input);
  if (!Number.isInteger(input.treatment) || input.treatment < 1 || input.treatment > 3)
    violations.add('treatment', 'is required: inpatient, outpatient or none');
  if (
    !Number.isInteger(input.highestDiagnosisLevel) ||
    input.highestDiagnosisLevel < 1 ||
    input.highestDiagnosisLevel > 5
  ) {
    violations.add('highestDiagnosisLevel', 'is required: prefecture, county, township, village or not seen');
  }
  const reasonGiven =
    Number.isInteger(input.noTreatmentReason) && input.noTreatmentReason >= 1 && input.noTreatmentReason <= 5;
  if (input.treatment === TREATMENT_NONE && !reasonGiven)
    violations.add('noTreatmentReason', 'is required when no treatment was sought or given');
  else if (input.treatment !== TREATMENT_NONE && input.noTreatmentReason !== 0)
    violations.add('noTreatmentReason', 'is only given when the child had no treatment');
  violations.throwIfAny();
  return {
    deathDate: input.deathDate,
    ageDays: (died as number) - born,
    ageGroup: ageGroup as CheckedChildDeath['ageGroup'],
    causeGroup: causeGroup as CauseGroup,
    icd10,
  };
}

// Child growth z-scores by the WHO method: which table serves a child of a given age, the length/height position
// rule, interpolation between rows, and the restricted adjustment for weight-based indicators.
import { FieldViolation, InvalidArgumentError } from '../../../../common/src/errors';
import { parseIsoDate } from '../calendar';
import { interpolateLms, Lms, lmsZScore, restrictedZScore } from './lms';
import { GrowthStandards, LmsTable, rowAt, Sex, tenthsOf, WhoTableName } from './tables';

export type GrowthIndicator =
  | 'weight-for-age'
  | 'length-height-for-age'
  | 'weight-for-length'
  | 'weight-for-height'
  | 'bmi-for-age'
  | 'head-circumference-for-age';

/** Recumbent length (lying, the rule under 2 years) or standing height (from 2 years). */
export type MeasurementPosition = 'recumbent' | 'standing';

export type GrowthReference = 'WHO 2006 Child Growth Standards' | 'WHO 2007 Growth Reference';

export interface ZScoreResult {
  readonly indicator: GrowthIndicator;
  /** Full precision, for storage and further arithmetic. */
  readonly zScore: number;
  /** Two decimals, as WHO reports it. */
  readonly zScoreReported: number;
  /** Whether the ±3 SD restricted adjustment changed the value. */
  readonly restricted: boolean;
  readonly reference: GrowthReference;
  /** The L, M and S used (interpolated where the measurement falls between rows). */
  readonly lms: Lms;
  /** The value looked up: the weight, the position-corrected length/height, the BMI, the head circumference. */
  readonly measuredValue: number;
}

/** The last day of the 2006 standards as published in WHO's tables (60 months = 1826 days); older is 2007. */
export const LAST_DAY_OF_2006_STANDARDS = 1826;
/** Recumbent length below this age in days, standing height from it (WHO: 24 months = day 731). */
export const FIRST_STANDING_DAY = 731;
/** WHO's days per month for converting an age in days to months. */
export const DAYS_PER_MONTH = 30.4375;
/** WHO treats a standing height before 9 months as a recording error: an infant that young cannot stand still. */
export const YOUNGEST_STANDING_MONTHS = 9;

/** The 2007 reference's upper ages per indicator (WHO anthroplus): weight-for-age to 10 years, the others to 19. */
const LAST_MONTH_2007: Readonly<Partial<Record<WhoTableName, number>>> = {
  weightForAge2007: 120,
  heightForAge2007: 228,
  bmiForAge2007: 228,
};

/** Age in whole days on the day of measurement (WHO looks ages up by day). */
export function ageInDays(birthDate: string, measuredOn: string): number {
  const born = parseIsoDate(birthDate, 'birthDate');
  const measured = parseIsoDate(measuredOn, 'measuredOn');
  if (measured < born) throw InvalidArgumentError.field('measuredOn', 'must not be before the birth date');
  return measured - born;
}

export interface AgeMeasurement {
  readonly sex: Sex;
  /** Whole days since birth. */
  readonly ageDays: number;
}

export function weightForAge(
  standards: GrowthStandards,
  input: AgeMeasurement & { readonly weightKg: number },
): ZScoreResult {
  checkAgeAndSex(input);
  const weight = positive(input.weightKg, 'weightKg');
  const { lms, reference } = lmsForAge(standards, input, 'weightForAge2006', 'weightForAge2007');
  return result('weight-for-age', weight, lms, reference, true);
}

export function lengthHeightForAge(
  standards: GrowthStandards,
  input: AgeMeasurement & { readonly lengthHeightCm: number; readonly position?: MeasurementPosition },
): ZScoreResult {
  checkAgeAndSex(input);
  const lengthHeight = correctedLengthHeight(input);
  const { lms, reference } = lmsForAge(standards, input, 'lengthHeightForAge2006', 'heightForAge2007');
  // Length and height are close to normal (L = 1): WHO applies no tail adjustment.
  return result('length-height-for-age', lengthHeight, lms, reference, false);
}

/**
 * Weight-for-length below 2 years (lying, 45–110 cm) and weight-for-height from 2 to 5 years (standing, 65–120 cm),
 * chosen by age as WHO anthro does, after the position correction.
 */
export function weightForLengthHeight(
  standards: GrowthStandards,
  input: AgeMeasurement & {
    readonly weightKg: number;
    readonly lengthHeightCm: number;
    readonly position?: MeasurementPosition;
  },
): ZScoreResult {
  checkAgeAndSex(input);
  const weight = positive(input.weightKg, 'weightKg');
  const lengthHeight = correctedLengthHeight(input);
  if (input.ageDays > LAST_DAY_OF_2006_STANDARDS) {
    throw InvalidArgumentError.field(
      'ageDays',
      `weight-for-length/height is defined to ${LAST_DAY_OF_2006_STANDARDS} days (5 years); use BMI-for-age after`,
    );
  }
  const lying = input.ageDays < FIRST_STANDING_DAY;
  const table = lying ? standards.weightForLength2006 : standards.weightForHeight2006;
  const lms = lmsForLength(table, input.sex, lengthHeight, lying ? 'length' : 'height');
  return result(
    lying ? 'weight-for-length' : 'weight-for-height',
    weight,
    lms,
    'WHO 2006 Child Growth Standards',
    true,
  );
}

export function bmiForAge(
  standards: GrowthStandards,
  input: AgeMeasurement & {
    readonly weightKg: number;
    readonly lengthHeightCm: number;
    readonly position?: MeasurementPosition;
  },
): ZScoreResult {
  checkAgeAndSex(input);
  const weight = positive(input.weightKg, 'weightKg');
  // BMI uses the corrected length/height, as WHO anthro computes it (cbmi from clenhei).
  const metres = correctedLengthHeight(input) / 100;
  const { lms, reference } = lmsForAge(standards, input, 'bmiForAge2006', 'bmiForAge2007');
  return result('bmi-for-age', weight / (metres * metres), lms, reference, true);
}

export function headCircumferenceForAge(
  standards: GrowthStandards,
  input: AgeMeasurement & { readonly headCircumferenceCm: number },
): ZScoreResult {
  checkAgeAndSex(input);
  const circumference = positive(input.headCircumferenceCm, 'headCircumferenceCm');
  if (input.ageDays > LAST_DAY_OF_2006_STANDARDS) {
    throw InvalidArgumentError.field(
      'ageDays',
      `head circumference-for-age is defined to ${LAST_DAY_OF_2006_STANDARDS} days (5 years)`,
    );
  }
  const { lms, reference } = lmsForAge(standards, input, 'headCircumferenceForAge2006', undefined);
  return result('head-circumference-for-age', circumference, lms, reference, false);
}

export interface ChildMeasurement extends AgeMeasurement {
  readonly weightKg?: number;
  readonly lengthHeightCm?: number;
  readonly position?: MeasurementPosition;
  readonly headCircumferenceCm?: number;
}

export interface GrowthAssessment {
  readonly weightForAge?: ZScoreResult;
  readonly lengthHeightForAge?: ZScoreResult;
  readonly weightForLengthHeight?: ZScoreResult;
  readonly bmiForAge?: ZScoreResult;
  readonly headCircumferenceForAge?: ZScoreResult;
}

/**
 * Every indicator the measurements and the child's age allow: an indicator whose reference ends before the child's
 * age (weight-for-length/height and head circumference after 5 years, weight-for-age after 10) is left out, while a
 * bad measurement is an error.
 */
export function assessGrowth(standards: GrowthStandards, measurement: ChildMeasurement): GrowthAssessment {
  checkAgeAndSex(measurement);
  const { weightKg, lengthHeightCm, headCircumferenceCm, ageDays } = measurement;
  const under5 = ageDays <= LAST_DAY_OF_2006_STANDARDS;
  const weightAgeLimit = Math.floor((LAST_MONTH_2007.weightForAge2007 ?? 0) * DAYS_PER_MONTH);
  return {
    ...(weightKg !== undefined && ageDays <= weightAgeLimit
      ? { weightForAge: weightForAge(standards, { ...measurement, weightKg }) }
      : {}),
    ...(lengthHeightCm !== undefined
      ? { lengthHeightForAge: lengthHeightForAge(standards, { ...measurement, lengthHeightCm }) }
      : {}),
    ...(weightKg !== undefined && lengthHeightCm !== undefined && under5
      ? { weightForLengthHeight: weightForLengthHeight(standards, { ...measurement, weightKg, lengthHeightCm }) }
      : {}),
    ...(weightKg !== undefined && lengthHeightCm !== undefined
      ? { bmiForAge: bmiForAge(standards, { ...measurement, weightKg, lengthHeightCm }) }
      : {}),
    ...(headCircumferenceCm !== undefined && under5
      ? { headCircumferenceForAge: headCircumferenceForAge(standards, { ...measurement, headCircumferenceCm }) }
      : {}),
  };
}

function result(
  indicator: GrowthIndicator,
  value: number,
  lms: Lms,
  reference: GrowthReference,
  weightBased: boolean,
): ZScoreResult {
  const computed = weightBased ? restrictedZScore(value, lms) : { zScore: lmsZScore(value, lms), restricted: false };
  // A median measurement with negative L computes as −0; the record should say 0.
  const zScore = computed.zScore === 0 ? 0 : computed.zScore;
  const zScoreReported = Math.round(zScore * 100) / 100 || 0;
  return { indicator, zScore, zScoreReported, restricted: computed.restricted, reference, lms, measuredValue: value };
}

function checkAgeAndSex(input: AgeMeasurement): void {
  const violations: FieldViolation[] = [];
  if (input.sex !== 'male' && input.sex !== 'female')
    violations.push({ field: 'sex', description: 'must be "male" or "female"' });
  if (!Number.isInteger(input.ageDays) || input.ageDays < 0)
    violations.push({ field: 'ageDays', description: 'must be a whole number of days from 0' });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
}

function positive(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw InvalidArgumentError.field(field, 'must be a positive number');
  return value;
}

/**
 * WHO's position rule: under 2 years the standards are for recumbent length, from 2 years for standing height. A
 * standing height taken under 2 years gets +0.7 cm, a recumbent length taken from 2 years −0.7 cm. Without a
 * position the measurement is taken to match the age.
 */
export function correctedLengthHeight(
  input: AgeMeasurement & { readonly lengthHeightCm: number; readonly position?: MeasurementPosition },
): number {
  const measured = positive(input.lengthHeightCm, 'lengthHeightCm');
  const position = input.position;
  if (position !== undefined && position !== 'recumbent' && position !== 'standing') {
    throw InvalidArgumentError.field('position', 'must be "recumbent" or "standing"');
  }
  if (position === 'standing' && input.ageDays / DAYS_PER_MONTH < YOUNGEST_STANDING_MONTHS) {
    throw InvalidArgumentError.field(
      'position',
      `a child under ${YOUNGEST_STANDING_MONTHS} months is measured lying down (recumbent)`,
    );
  }
  const shouldLie = input.ageDays < FIRST_STANDING_DAY;
  if (position === 'standing' && shouldLie) return measured + 0.7;
  if (position === 'recumbent' && !shouldLie) return measured - 0.7;
  return measured;
}

/**
 * L, M and S for an age: the exact day's row of the 2006 standards to day 1826, then the 2007 reference, whose rows
 * are whole months: interpolated linearly between the months either side of the exact age in months, as WHO's
 * anthroplus does.
 */
function lmsForAge(
  standards: GrowthStandards,
  input: AgeMeasurement,
  table2006: WhoTableName,
  table2007: WhoTableName | undefined,
): { lms: Lms; reference: GrowthReference } {
  if (input.ageDays <= LAST_DAY_OF_2006_STANDARDS) {
    const lms = rowAt(standards[table2006], input.sex, input.ageDays);
    if (!lms)
      throw InvalidArgumentError.field('ageDays', `no ${standards[table2006].file} row for day ${input.ageDays}`);
    return { lms, reference: 'WHO 2006 Child Growth Standards' };
  }
  const lastMonth = table2007 === undefined ? undefined : LAST_MONTH_2007[table2007];
  const ageMonths = input.ageDays / DAYS_PER_MONTH;
  if (table2007 === undefined || lastMonth === undefined || ageMonths > lastMonth) {
    const limit = lastMonth === undefined ? `${LAST_DAY_OF_2006_STANDARDS} days` : `${lastMonth} months`;
    throw InvalidArgumentError.field('ageDays', `beyond the WHO reference for this indicator (to ${limit})`);
  }
  const table = standards[table2007];
  const lowerMonth = Math.floor(ageMonths);
  const lower = rowAt(table, input.sex, lowerMonth);
  const upper = rowAt(table, input.sex, lowerMonth + 1) ?? lower;
  if (!lower || !upper) throw InvalidArgumentError.field('ageDays', `no ${table.file} row for month ${lowerMonth}`);
  return { lms: interpolateLms(lower, upper, ageMonths - lowerMonth), reference: 'WHO 2007 Growth Reference' };
}

/** L, M and S at a length/height: the exact 0.1 cm row, or linear interpolation between the two rows around it. */
function lmsForLength(table: LmsTable, sex: Sex, lengthCm: number, what: 'length' | 'height'): Lms {
  const range = table.range.get(sex);
  const scaled = lengthCm * 10;
  if (!range || scaled < range.first - 1e-9 || scaled > range.last + 1e-9) {
    const span = range ? `${range.first / 10}–${range.last / 10} cm` : 'the table';
    throw InvalidArgumentError.field(
      'lengthHeightCm',
      `${what} ${round(lengthCm)} cm (after the position correction) is outside ${span}`,
    );
  }
  const exact = tenthsOf(lengthCm);
  // Float noise (65.3 * 10 = 652.9999...) must not turn an exact row into an interpolation.
  if (Math.abs(scaled - exact) < 1e-9) return rowAt(table, sex, exact) as Lms;
  const lowerKey = Math.floor(scaled);
  const lower = rowAt(table, sex, lowerKey) as Lms;
  const upper = rowAt(table, sex, lowerKey + 1) as Lms;
  return interpolateLms(lower, upper, scaled - lowerKey);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

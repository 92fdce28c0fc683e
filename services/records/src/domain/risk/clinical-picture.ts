// The clinical picture that pregnancy risk rules read: the vocabulary of metrics, coded findings and lab results,
// and the checks that keep a request's picture inside that vocabulary.
import { FieldViolation, InvalidArgumentError } from '../../../../common/src/errors';
import { completedYears, parseIsoDate } from '../calendar';

/**
 * Numeric facts a rule may compare, each with its unit and a range outside which the value is an entry error rather
 * than a patient (a haemoglobin of 1,100 is g/dL typed as g/L, not a finding).
 */
export const METRICS = {
  maternalAge: { unit: 'completed years', min: 10, max: 70 },
  prePregnancyBmi: { unit: 'kg/m²', min: 10, max: 80 },
  systolicBp: { unit: 'mmHg', min: 40, max: 300 },
  diastolicBp: { unit: 'mmHg', min: 20, max: 200 },
  haemoglobin: { unit: 'g/L', min: 20, max: 250 },
  plateletCount: { unit: '×10⁹/L', min: 0, max: 2000 },
} as const;

export type Metric = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as Metric[];

/** Coded diagnoses and findings the workstation records on a pregnancy. */
export const FINDING_CODES = [
  'scarred_uterus',
  'gdm',
  'twins',
  'triplets_or_more',
  'ivf',
  'polyhydramnios',
  'oligohydramnios',
  'thrombocytopenia',
  'autoimmune',
  'epilepsy',
  'diabetes',
  'thyroid',
  'pre_eclampsia',
  'heart_disease',
  'severe_heart_disease',
  'placenta_praevia',
  'pernicious_placenta_praevia',
  'hepatitis_b',
  'syphilis',
  'hiv',
  'tuberculosis',
  'severe_infectious_pneumonia',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

/** Lab tests whose qualitative result a rule may read (LIS codes as the alliance's labs send them). */
export const LAB_CODES = ['HBsAg', 'TPPA', 'RPR', 'HIV', 'TB'] as const;

export type LabCode = (typeof LAB_CODES)[number];

export const LAB_RESULTS = ['positive', 'negative', 'indeterminate'] as const;

export type LabResultValue = (typeof LAB_RESULTS)[number];

export interface LabResult {
  readonly code: LabCode;
  readonly result: LabResultValue;
  /** When the result was reported; with several results for one test, the latest one counts. */
  readonly resultedOn?: string;
}

/**
 * What the grading rules see of a pregnant woman. A metric left out is "not known", never "normal": the proposal
 * lists the metrics it could not assess.
 */
export interface ClinicalPicture {
  /** Completed years at the expected date of delivery (see `maternalAgeAt`). */
  readonly maternalAge?: number;
  /** kg/m², one decimal (see `bodyMassIndex`). */
  readonly prePregnancyBmi?: number;
  /** Latest visit's blood pressure, mmHg. */
  readonly systolicBp?: number;
  readonly diastolicBp?: number;
  /** Latest haemoglobin, g/L. */
  readonly haemoglobin?: number;
  /** Latest platelet count, ×10⁹/L. */
  readonly plateletCount?: number;
  readonly findings?: readonly string[];
  readonly labs?: readonly { readonly code: string; readonly result: string; readonly resultedOn?: string }[];
}

/** A picture that passed `checkClinicalPicture`: codes are known, numbers plausible. */
export interface CheckedClinicalPicture {
  readonly metrics: ReadonlyMap<Metric, number>;
  readonly findings: ReadonlySet<FindingCode>;
  /** The latest result per lab test. */
  readonly labs: ReadonlyMap<LabCode, LabResultValue>;
}

function isFindingCode(code: string): code is FindingCode {
  return (FINDING_CODES as readonly string[]).includes(code);
}

function isLabCode(code: string): code is LabCode {
  return (LAB_CODES as readonly string[]).includes(code);
}

function isLabResult(result: string): result is LabResultValue {
  return (LAB_RESULTS as readonly string[]).includes(result);
}

/** Validates a picture from a request, naming every offending field at once. */
export function checkClinicalPicture(picture: ClinicalPicture): CheckedClinicalPicture {
  const violations: FieldViolation[] = [];
  const metrics = new Map<Metric, number>();
  for (const metric of METRIC_NAMES) {
    const value = picture[metric];
    if (value === undefined) continue;
    const { min, max, unit } = METRICS[metric];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      violations.push({ field: metric, description: `must be a number from ${min} to ${max} (${unit})` });
    } else {
      metrics.set(metric, value);
    }
  }
  const findings = new Set<FindingCode>();
  (picture.findings ?? []).forEach((code, index) => {
    if (isFindingCode(code)) findings.add(code);
    else violations.push({ field: `findings[${index}]`, description: `unknown finding "${code}"` });
  });
  const latest = new Map<LabCode, { result: LabResultValue; day: number }>();
  (picture.labs ?? []).forEach((lab, index) => {
    const codeOk = isLabCode(lab.code);
    const resultOk = isLabResult(lab.result);
    if (!codeOk) violations.push({ field: `labs[${index}].code`, description: `unknown lab test "${lab.code}" (known: ${LAB_CODES.join(', ')})` });
    if (!resultOk) violations.push({ field: `labs[${index}].result`, description: `must be one of ${LAB_RESULTS.join(', ')}` });
    let day = Number.NEGATIVE_INFINITY;
    if (lab.resultedOn !== undefined) {
      try {
        day = parseIsoDate(lab.resultedOn, `labs[${index}].resultedOn`);
      } catch (error) {
        if (error instanceof InvalidArgumentError) violations.push(...error.violations);
        else throw error;
      }
    }
    if (!codeOk || !resultOk) return;
    const previous = latest.get(lab.code);
    // Same day (or undated) results: a positive is kept, so a screen never loses a positive to ordering.
    if (!previous || day > previous.day || (day === previous.day && lab.result === 'positive')) {
      latest.set(lab.code, { result: lab.result, day });
    }
  });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return { metrics, findings, labs: new Map([...latest].map(([code, { result }]) => [code, result])) };
}

/**
 * Pre-pregnancy BMI to one decimal, as the handbook records it; the rule boundaries (25, 28, 18.5) are written to
 * that precision, so 25.04 is "25.0" and not above 25.
 */
export function bodyMassIndex(weightKg: number, heightCm: number): number {
  if (!Number.isFinite(weightKg) || weightKg <= 0) throw InvalidArgumentError.field('weightKg', 'must be a positive number');
  if (!Number.isFinite(heightCm) || heightCm < 100 || heightCm > 230) throw InvalidArgumentError.field('heightCm', 'must be a height from 100 to 230 cm');
  const metres = heightCm / 100;
  return Math.round((weightKg / (metres * metres)) * 10) / 10;
}

/**
 * Maternal age for grading: completed years on the expected date of delivery. The age factors (≥35, ≥40, ≤18)
 * describe the mother at delivery, and dating by EDD keeps the grade from changing on a birthday mid-pregnancy.
 */
export function maternalAgeAt(birthDate: string, edd: string): number {
  const born = parseIsoDate(birthDate, 'birthDate');
  const expected = parseIsoDate(edd, 'edd');
  if (expected < born) throw InvalidArgumentError.field('edd', 'must be after the birth date');
  return completedYears(born, expected);
}

// Validation of what clinicians write into the record (pregnancy registration, antenatal visits, deliveries,
// child entries) and the clinical picture a pregnancy presents to the risk engine. Pure: every bad field is
// named at once, so the workstation fixes the form in one round.
import { FieldViolation, InvalidArgumentError, Violations } from '../../../common/src/errors';
import { DayNumber, IsoDate, isoDateOf, parseIsoDate } from './calendar';
import {
  bodyMassIndex,
  checkClinicalPicture,
  ClinicalPicture,
  FINDING_CODES,
  LabResult,
  maternalAgeAt,
} from './risk/clinical-picture';
import { DAYS_FROM_LMP_TO_EDD, eddFromDatingScan, eddFromLmp } from './schedules/gestation';
import type { Schedule } from './schedules/schedule';

/** Beyond this a gestational age is a dating or entry error. */
const LONGEST_PREGNANCY_DAYS = 45 * 7;

/** The calendar date in China (UTC+8, no daylight saving): the date a clinician in Chuxiong calls "today". */
export function todayInChina(now: Date = new Date()): IsoDate {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

export function dateField(violations: Violations, value: string, field: string): DayNumber | undefined {
  return violations.check(() => parseIsoDate(value, field));
}

/** A number in [min, max] (and an integer when asked), or a violation naming the field. */
export function measurement(
  violations: Violations,
  value: number | undefined,
  field: string,
  min: number,
  max: number,
  unit: string,
  integer = false,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    violations.add(field, `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (${unit})`);
    return undefined;
  }
  return value;
}

function findingCodes(violations: Violations, findings: readonly string[], field = 'findings'): string[] {
  findings.forEach((code, index) => {
    if (!(FINDING_CODES as readonly string[]).includes(code))
      violations.add(`${field}[${index}]`, `unknown finding "${code}"`);
  });
  return [...new Set(findings)];
}

export interface PregnancyRegistrationInput {
  readonly lmp: string;
  readonly datingScan?: {
    readonly scanDate: string;
    readonly gestationalAge?: { readonly weeks: number; readonly days: number };
  };
  readonly registeredOn: string;
  readonly prePregnancyWeightKg?: number;
  readonly heightCm?: number;
  readonly findings: readonly string[];
}

export interface PregnancyRegistration {
  /** The dating LMP: the reported LMP, or the EDD from the scan minus 280 days. */
  readonly lmp: IsoDate;
  readonly edd: IsoDate;
  readonly datingMethod: 'lmp' | 'ultrasound';
  readonly registeredOn: IsoDate;
  readonly gestationalAgeDays: number;
  readonly prePregnancyBmi: number | undefined;
  readonly findings: readonly string[];
}

/** Dating by exactly one of LMP and a first-trimester scan; registration on or after the LMP, not in the future. */
export function checkPregnancyRegistration(input: PregnancyRegistrationInput, today: IsoDate): PregnancyRegistration {
  const violations = new Violations();
  const registeredOnText = input.registeredOn || today;
  const registeredOn = dateField(violations, registeredOnText, 'registeredOn');
  if (registeredOn !== undefined && registeredOn > parseIsoDate(today, 'today'))
    violations.add('registeredOn', 'must not be in the future');

  let edd: IsoDate | undefined;
  let datingMethod: 'lmp' | 'ultrasound' = 'lmp';
  const hasLmp = input.lmp.trim() !== '';
  if (hasLmp === (input.datingScan !== undefined)) {
    violations.add(hasLmp ? 'datingScan' : 'lmp', 'date the pregnancy by exactly one of lmp and datingScan');
  } else if (hasLmp) {
    if (dateField(violations, input.lmp, 'lmp') !== undefined) edd = eddFromLmp(input.lmp);
  } else if (input.datingScan) {
    datingMethod = 'ultrasound';
    const scan = input.datingScan;
    if (!scan.gestationalAge) violations.add('datingScan.gestationalAge', 'is required');
    else {
      const scanDay = dateField(violations, scan.scanDate, 'datingScan.scanDate');
      if (scanDay !== undefined && registeredOn !== undefined && scanDay > registeredOn)
        violations.add('datingScan.scanDate', 'must not be after registeredOn');
      edd = violations.check(() => {
        try {
          return eddFromDatingScan(scan.scanDate, scan.gestationalAge as { weeks: number; days: number });
        } catch (error) {
          if (error instanceof InvalidArgumentError)
            throw new InvalidArgumentError(
              error.violations.map((v) => ({
                ...v,
                field: v.field === 'scanDate' ? 'datingScan.scanDate' : 'datingScan.gestationalAge',
              })),
            );
          throw error;
        }
      });
    }
  }

  let gestationalAgeDays = 0;
  let lmp: IsoDate | undefined;
  if (edd !== undefined && registeredOn !== undefined) {
    const lmpDay = parseIsoDate(edd, 'edd') - DAYS_FROM_LMP_TO_EDD;
    lmp = isoDateOf(lmpDay);
    gestationalAgeDays = registeredOn - lmpDay;
    const field = datingMethod === 'lmp' ? 'lmp' : 'datingScan';
    if (gestationalAgeDays < 0) violations.add(field, 'must date the pregnancy on or before registeredOn');
    else if (gestationalAgeDays > LONGEST_PREGNANCY_DAYS)
      violations.add(field, 'dates the pregnancy more than 45 weeks before registeredOn');
  }

  let prePregnancyBmi: number | undefined;
  const { prePregnancyWeightKg: weight, heightCm: height } = input;
  if ((weight === undefined) !== (height === undefined)) {
    violations.add(
      weight === undefined ? 'prePregnancyWeightKg' : 'heightCm',
      'give pre-pregnancy weight and height together',
    );
  } else if (weight !== undefined && height !== undefined) {
    if (measurement(violations, weight, 'prePregnancyWeightKg', 25, 250, 'kg') !== undefined) {
      prePregnancyBmi = violations.check(() => bodyMassIndex(weight, height));
    }
  }
  const findings = findingCodes(violations, input.findings);
  violations.throwIfAny();
  return {
    lmp: lmp as IsoDate,
    edd: edd as IsoDate,
    datingMethod,
    registeredOn: registeredOnText,
    gestationalAgeDays,
    prePregnancyBmi,
    findings,
  };
}

export interface VisitInput {
  readonly visitDate: string;
  readonly systolicBp?: number;
  readonly diastolicBp?: number;
  readonly weightKg?: number;
  readonly fundalHeightCm?: number;
  readonly fetalHeartRate?: number;
  /** The proto enum value: 0 unspecified, 1..6 negative to 4+; anything else is not a value of the enum. */
  readonly proteinuria: number;
  readonly haemoglobin?: number;
  readonly plateletCount?: number;
  readonly findings: readonly string[];
  readonly labs: readonly { readonly code: string; readonly result: string; readonly resultedOn: string }[];
}

export interface CheckedVisit {
  readonly visitDate: IsoDate;
  readonly gestationalAgeDays: number;
  readonly findings: readonly string[];
  readonly labs: readonly LabResult[];
}

/** A visit of an active pregnancy: dated from its LMP to today, vitals in plausible ranges, coded findings and labs. */
export function checkVisit(
  input: VisitInput,
  pregnancy: { readonly lmp: IsoDate; readonly active: boolean },
  today: IsoDate,
): CheckedVisit {
  const violations = new Violations();
  const visitDay = dateField(violations, input.visitDate, 'visitDate');
  const lmpDay = parseIsoDate(pregnancy.lmp, 'lmp');
  let gestationalAgeDays = 0;
  if (visitDay !== undefined) {
    gestationalAgeDays = visitDay - lmpDay;
    if (visitDay < lmpDay) violations.add('visitDate', `must not be before the LMP (${pregnancy.lmp})`);
    else if (visitDay > parseIsoDate(today, 'today')) violations.add('visitDate', 'must not be in the future');
    else if (gestationalAgeDays > LONGEST_PREGNANCY_DAYS)
      violations.add('visitDate', 'is more than 45 weeks after the LMP');
  }
  measurement(violations, input.systolicBp, 'systolicBp', 40, 300, 'mmHg', true);
  measurement(violations, input.diastolicBp, 'diastolicBp', 20, 200, 'mmHg', true);
  measurement(violations, input.weightKg, 'weightKg', 25, 250, 'kg');
  measurement(violations, input.fundalHeightCm, 'fundalHeightCm', 5, 50, 'cm');
  measurement(violations, input.fetalHeartRate, 'fetalHeartRate', 50, 250, 'beats per minute', true);
  measurement(violations, input.haemoglobin, 'haemoglobin', 20, 250, 'g/L');
  measurement(violations, input.plateletCount, 'plateletCount', 0, 2000, '×10⁹/L');
  if (!Number.isInteger(input.proteinuria) || input.proteinuria < 0 || input.proteinuria > 6)
    violations.add('proteinuria', 'is not a known proteinuria grade');
  const labs = input.labs.map((lab) => ({
    code: lab.code,
    result: lab.result,
    resultedOn: lab.resultedOn || input.visitDate,
  }));
  violations.check(() => checkClinicalPicture({ findings: input.findings, labs }));
  violations.throwIfAny();
  if (!pregnancy.active)
    throw InvalidArgumentError.field('pregnancyId', 'the pregnancy has ended; record a postpartum visit instead');
  return {
    visitDate: input.visitDate,
    gestationalAgeDays,
    findings: [...new Set(input.findings)],
    labs: labs as LabResult[],
  };
}

/** What the engine sees of a pregnancy: registration facts, the latest value of each metric, every finding and lab. */
export function pregnancyPicture(
  pregnancy: {
    readonly maternalBirthDate?: IsoDate;
    readonly edd: IsoDate;
    readonly prePregnancyBmi?: number;
    readonly findings: readonly string[];
  },
  visits: readonly {
    readonly visitDate: IsoDate;
    readonly systolicBp?: number;
    readonly diastolicBp?: number;
    readonly haemoglobin?: number;
    readonly plateletCount?: number;
    /** The proto's Proteinuria value (0 unspecified). */
    readonly proteinuria?: number;
    readonly findings: readonly string[];
    readonly labs: readonly LabResult[];
  }[],
): ClinicalPicture {
  const ordered = [...visits].sort((a, b) => a.visitDate.localeCompare(b.visitDate));
  const latest = (pick: (visit: (typeof ordered)[number]) => number | undefined): number | undefined => {
    for (let i = ordered.length - 1; i >= 0; i--) {
      const value = pick(ordered[i] as (typeof ordered)[number]);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const picture: { -readonly [K in keyof ClinicalPicture]: ClinicalPicture[K] } = {
    findings: [...new Set([...pregnancy.findings, ...ordered.flatMap((visit) => visit.findings)])],
    labs: ordered.flatMap((visit) => visit.labs),
  };
  if (pregnancy.maternalBirthDate) picture.maternalAge = maternalAgeAt(pregnancy.maternalBirthDate, pregnancy.edd);
  if (pregnancy.prePregnancyBmi !== undefined) picture.prePregnancyBmi = pregnancy.prePregnancyBmi;
  const metrics = {
    systolicBp: latest((v) => v.systolicBp),
    diastolicBp: latest((v) => v.diastolicBp),
    haemoglobin: latest((v) => v.haemoglobin),
    plateletCount: latest((v) => v.plateletCount),
    proteinuria: latest((v) => dipstickPlus(v.proteinuria)),
  };
  for (const [metric, value] of Object.entries(metrics))
    if (value !== undefined) (picture as Record<string, unknown>)[metric] = value;
  return picture;
}

/**
 * The proto's Proteinuria (1 negative, 2 trace, 3-6 for 1+ to 4+; 0 not tested) as the plus count rules compare:
 * negative and trace are 0, not tested is unknown.
 */
export function dipstickPlus(proteinuria: number | undefined): number | undefined {
  if (proteinuria === undefined || proteinuria <= 0 || proteinuria > 6) return undefined;
  return Math.max(0, proteinuria - 2);
}

/**
 * Findings that reveal an infectious disease (sensitive, like the labs that show them) or a suspected mental
 * illness (sensitive, like psychological screenings).
 */
export const SENSITIVE_FINDINGS: ReadonlySet<string> = new Set([
  'hepatitis_b',
  'hepatitis_c',
  'viral_hepatitis_other',
  'hepatitis_virus_carrier',
  'syphilis',
  'hiv',
  'tuberculosis',
  'severe_infectious_pneumonia',
  'special_viral_infection',
  'sexually_transmitted_disease',
  'sti_history',
  'genital_ulcer_or_growth',
  'genital_purulent_discharge',
  'postpartum_depression_suspected',
  'postpartum_depression',
  'psychosis_acute',
  'psychosis_in_remission',
  'communication_or_mental_symptoms',
]);

export interface NewbornInput {
  readonly sex: 'female' | 'male' | undefined;
  readonly birthOrder: number;
  readonly name: string;
  readonly birthCertificateNumber: string;
  readonly birthWeightGrams: number;
  readonly birthLengthCm?: number;
  /** Proto NewbornOutcome: 1 live birth, 2 stillbirth; 0 takes the delivery's outcome. */
  readonly outcome?: number;
}

export interface DeliveryInput {
  readonly deliveryDate: string;
  readonly dischargeDate: string;
  /** Proto enum values; 0 is unspecified. */
  readonly mode: number;
  readonly outcome: number;
  readonly liveBirth: boolean;
  readonly newborns: readonly NewbornInput[];
  /** Proto PlaceOfDelivery; 0 is unspecified. */
  readonly placeOfDelivery?: number;
}

export type LiveBornNewborn = Omit<NewbornInput, 'outcome'> & {
  readonly outcome: 'live';
  readonly sex: 'female' | 'male';
  readonly birthCertificateNumber: string;
};
export type CheckedNewborn = LiveBornNewborn | (Omit<NewbornInput, 'outcome'> & { readonly outcome: 'stillborn' });

export interface CheckedDelivery {
  readonly deliveryDate: IsoDate;
  readonly dischargeDate: IsoDate | undefined;
  readonly gestationalAgeDays: number;
  /** Every baby, live-born and stillborn, in the order given. */
  readonly newborns: readonly CheckedNewborn[];
  /** The live-born babies, each to be registered as a child patient. */
  readonly liveBorn: readonly LiveBornNewborn[];
  /** 1–6 (PlaceOfDelivery), or null for a miscarriage or termination recorded without one. */
  readonly placeOfDelivery: number | null;
}

const BIRTH_CERTIFICATE = /^[A-Z]\d{9}$/;
const LIVE_BIRTH_OUTCOME = 1;
const STILLBIRTH_OUTCOME = 2;
/** PlaceOfDelivery: prefecture, county and township hospitals, other institution, home, en route. */
const PLACES_OF_DELIVERY = 6;

/**
 * A delivery of an active pregnancy: dates in order, a mode and outcome, the place of a birth, one entry per baby.
 * Each entry is a live birth (sex, certificate and weight required; registered as a child) or a stillbirth (weight
 * if weighed). A live-birth delivery has at least one live-born baby (twins with one stillborn are one of each); a
 * stillbirth delivery has only stillborn entries, or none (one stillborn baby, not described).
 */
export function checkDelivery(
  input: DeliveryInput,
  pregnancy: { readonly lmp: IsoDate; readonly active: boolean },
  today: IsoDate,
): CheckedDelivery {
  const violations = new Violations();
  const todayDay = parseIsoDate(today, 'today');
  const delivered = dateField(violations, input.deliveryDate, 'deliveryDate');
  const lmpDay = parseIsoDate(pregnancy.lmp, 'lmp');
  if (delivered !== undefined) {
    if (delivered < lmpDay) violations.add('deliveryDate', `must not be before the LMP (${pregnancy.lmp})`);
    else if (delivered > todayDay) violations.add('deliveryDate', 'must not be in the future');
    else if (delivered - lmpDay > LONGEST_PREGNANCY_DAYS)
      violations.add('deliveryDate', 'is more than 45 weeks after the LMP');
  }
  let dischargeDate: IsoDate | undefined;
  if (input.dischargeDate) {
    const discharged = dateField(violations, input.dischargeDate, 'dischargeDate');
    if (discharged !== undefined && delivered !== undefined && discharged < delivered)
      violations.add('dischargeDate', 'must not be before the delivery date');
    else if (discharged !== undefined && discharged > todayDay)
      violations.add('dischargeDate', 'must not be in the future');
    else dischargeDate = input.dischargeDate;
  }
  if (input.mode <= 0 || input.mode > 3) violations.add('mode', 'is required: vaginal, assisted vaginal or caesarean');
  if (input.outcome <= 0 || input.outcome > 4) violations.add('outcome', 'is required');
  const birth = input.outcome === LIVE_BIRTH_OUTCOME || input.outcome === STILLBIRTH_OUTCOME;
  const place = input.placeOfDelivery ?? 0;
  if (!Number.isInteger(place) || place < 0 || place > PLACES_OF_DELIVERY)
    violations.add('placeOfDelivery', 'is not a known place of delivery');
  else if (birth && place === 0) {
    violations.add(
      'placeOfDelivery',
      'is required for a live birth or stillbirth: prefecture, county or township hospital, other institution, home or en route',
    );
  }
  if (!birth && input.newborns.length > 0) violations.add('newborns', 'only a live birth or stillbirth lists babies');
  if (input.newborns.length > 6) violations.add('newborns', 'at most 6 newborns');
  const orders = new Set<number>();
  const certificates = new Set<string>();
  // A miscarriage's babies are refused as a whole (above), not one by one.
  const newborns = (birth ? input.newborns : []).map((newborn, index): CheckedNewborn => {
    const field = `newborns[${index}]`;
    const birthOrder = newborn.birthOrder || index + 1;
    if (!Number.isInteger(birthOrder) || birthOrder < 1 || birthOrder > input.newborns.length)
      violations.add(`${field}.birthOrder`, `must be from 1 to ${input.newborns.length}`);
    else if (orders.has(birthOrder)) violations.add(`${field}.birthOrder`, 'is given twice');
    orders.add(birthOrder);
    const given = newborn.outcome ?? 0;
    if (given < 0 || given > STILLBIRTH_OUTCOME) violations.add(`${field}.outcome`, 'must be live birth or stillbirth');
    else if (given === LIVE_BIRTH_OUTCOME && input.outcome === STILLBIRTH_OUTCOME)
      violations.add(
        `${field}.outcome`,
        'a stillbirth delivery has no live-born baby; record the delivery as a live birth',
      );
    const live =
      input.outcome !== STILLBIRTH_OUTCOME &&
      (given === LIVE_BIRTH_OUTCOME || (given === 0 && input.outcome === LIVE_BIRTH_OUTCOME));
    if ([...newborn.name].length > 50) violations.add(`${field}.name`, 'must be at most 50 characters');
    measurement(violations, newborn.birthLengthCm, `${field}.birthLengthCm`, 20, 70, 'cm');
    if (!live) {
      if (newborn.birthCertificateNumber.trim() !== '')
        violations.add(`${field}.birthCertificateNumber`, 'a stillborn baby has no birth certificate (出生医学证明)');
      if (newborn.birthWeightGrams !== 0)
        measurement(
          violations,
          newborn.birthWeightGrams,
          `${field}.birthWeightGrams`,
          100,
          7000,
          'g; 0 when not weighed',
          true,
        );
      return { ...newborn, birthOrder, outcome: 'stillborn' };
    }
    if (!newborn.sex) violations.add(`${field}.sex`, 'is required');
    const certificate = newborn.birthCertificateNumber.trim().toUpperCase();
    if (!BIRTH_CERTIFICATE.test(certificate))
      violations.add(`${field}.birthCertificateNumber`, 'must be a letter and 9 digits, e.g. O530012345');
    else if (certificates.has(certificate)) violations.add(`${field}.birthCertificateNumber`, 'is given twice');
    certificates.add(certificate);
    measurement(violations, newborn.birthWeightGrams, `${field}.birthWeightGrams`, 300, 7000, 'g', true);
    return {
      ...newborn,
      birthOrder,
      outcome: 'live',
      birthCertificateNumber: certificate,
      sex: newborn.sex as 'female' | 'male',
    };
  });
  const liveBorn = newborns.filter((newborn): newborn is LiveBornNewborn => newborn.outcome === 'live');
  if (input.outcome === LIVE_BIRTH_OUTCOME && liveBorn.length === 0)
    violations.add('newborns', 'a live birth needs at least one live-born newborn');
  violations.throwIfAny();
  if (!pregnancy.active) throw InvalidArgumentError.field('pregnancyId', 'the pregnancy has already ended');
  return {
    deliveryDate: input.deliveryDate,
    dischargeDate,
    gestationalAgeDays: (delivered as number) - lmpDay,
    newborns,
    liveBorn,
    placeOfDelivery: place === 0 ? null : place,
  };
}

/** A date of a child's record: from birth to today. */
export function checkChildDate(value: string, field: string, birthDate: IsoDate, today: IsoDate): IsoDate {
  const day = parseIsoDate(value, field);
  if (day < parseIsoDate(birthDate, 'birthDate'))
    throw InvalidArgumentError.field(field, `must not be before the birth date (${birthDate})`);
  if (day > parseIsoDate(today, 'today')) throw InvalidArgumentError.field(field, 'must not be in the future');
  return value;
}

/** Resolves a product code and dose number against the immunization schedule: the programme vaccine it counts as. */
export function programmeVaccineOf(schedule: Schedule, product: string, dose: number): string {
  const violations: FieldViolation[] = [];
  // Doses the special rules add (HBIG, an extra HepB dose) and every route's doses can be recorded.
  const every = [...schedule.items, ...schedule.special.flatMap((rule) => rule.add)];
  const items = every.filter((item) => item.type === 'dose' && item.products.includes(product));
  if (items.length === 0) {
    const known = [...new Set(every.flatMap((item) => (item.type === 'dose' ? item.products : [])))].sort();
    violations.push({
      field: 'vaccine',
      description: `unknown vaccine "${product}" in ${schedule.id} (known: ${known.join(', ')})`,
    });
  } else if (!Number.isInteger(dose) || !items.some((item) => item.type === 'dose' && item.dose === dose)) {
    violations.push({ field: 'dose', description: `${product} has no dose ${dose} in ${schedule.id}` });
  }
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  const item = items.find((candidate) => candidate.type === 'dose' && candidate.dose === dose);
  return item && item.type === 'dose' ? item.vaccine : product;
}

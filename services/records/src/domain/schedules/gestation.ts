// Pregnancy dating: EDD from the LMP (Naegele's rule), gestational age on a date, and EDD from an early ultrasound.
import { InvalidArgumentError } from '../../../../common/src/errors';
import { IsoDate, isoDateOf, parseIsoDate } from '../calendar';

/** Naegele's rule: the EDD is 280 days (40 weeks) after the first day of the last menstrual period. */
export const DAYS_FROM_LMP_TO_EDD = 280;

/** Gestational age is counted in completed weeks and days ("12+3"). */
export interface GestationalAge {
  readonly weeks: number;
  readonly days: number;
}

/** Crown-rump length dates a pregnancy reliably only in the first trimester: roughly 6+0 to 13+6 weeks. */
export const EARLIEST_DATING_SCAN_DAYS = 6 * 7;
export const LATEST_DATING_SCAN_DAYS = 13 * 7 + 6;
/** Beyond this a gestational age is a dating or entry error (post-term pregnancies are delivered by 42 weeks). */
const LONGEST_PREGNANCY_DAYS = 45 * 7;

export function eddFromLmp(lmp: IsoDate): IsoDate {
  return isoDateOf(parseIsoDate(lmp, 'lmp') + DAYS_FROM_LMP_TO_EDD);
}

/** The LMP-equivalent date of a working EDD: the date gestational weeks are counted from. */
export function datingLmpFromEdd(edd: IsoDate): IsoDate {
  return isoDateOf(parseIsoDate(edd, 'edd') - DAYS_FROM_LMP_TO_EDD);
}

/** Gestational age on a date, counted from the LMP (or from `datingLmpFromEdd` of the working EDD). */
export function gestationalAgeOn(lmp: IsoDate, onDate: IsoDate): GestationalAge {
  const elapsed = parseIsoDate(onDate, 'onDate') - parseIsoDate(lmp, 'lmp');
  if (elapsed < 0) throw InvalidArgumentError.field('onDate', 'must not be before the LMP');
  if (elapsed > LONGEST_PREGNANCY_DAYS)
    throw InvalidArgumentError.field('onDate', 'is more than 45 weeks after the LMP');
  return { weeks: Math.floor(elapsed / 7), days: elapsed % 7 };
}

export function gestationalAgeInDays(age: GestationalAge, field = 'gestationalAge'): number {
  const { weeks, days } = age;
  if (!Number.isInteger(weeks) || weeks < 0 || !Number.isInteger(days) || days < 0 || days > 6) {
    throw InvalidArgumentError.field(field, 'must be whole weeks and 0 to 6 days');
  }
  return weeks * 7 + days;
}

/**
 * EDD from a first-trimester dating scan: the sonographer's gestational age for the crown-rump length, on the scan
 * date, gives the dating LMP, and the EDD is 280 days after it.
 */
export function eddFromDatingScan(scanDate: IsoDate, gestationalAgeAtScan: GestationalAge): IsoDate {
  const scan = parseIsoDate(scanDate, 'scanDate');
  const ageDays = gestationalAgeInDays(gestationalAgeAtScan, 'gestationalAgeAtScan');
  if (ageDays < EARLIEST_DATING_SCAN_DAYS || ageDays > LATEST_DATING_SCAN_DAYS) {
    throw InvalidArgumentError.field(
      'gestationalAgeAtScan',
      'crown-rump length dates a pregnancy only from 6+0 to 13+6 weeks',
    );
  }
  return isoDateOf(scan - ageDays + DAYS_FROM_LMP_TO_EDD);
}

// Calendar dates of the clinical record (LMP, EDD, birth, visits) as whole days, and the offsets that schedules
// count from them. Clinical dates carry no time of day, so everything is done in UTC day numbers.
import { InvalidArgumentError } from '../../../common/src/errors';

/** A calendar date written `YYYY-MM-DD`, as the record and the apps carry it. */
export type IsoDate = string;

/** Days since 1970-01-01: the form in which dates are compared and counted. */
export type DayNumber = number;

const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Reads `YYYY-MM-DD` into a day number, or undefined when it is not a real calendar date. */
export function dayNumberOf(value: string): DayNumber | undefined {
  const match = ISO_DATE.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  // Date.UTC rolls 2025-02-30 over into March; a rolled date is not the date the user wrote.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  return ms / MS_PER_DAY;
}

/** Reads a date from the request, naming the field when it is not a calendar date. */
export function parseIsoDate(value: string, field: string): DayNumber {
  const day = dayNumberOf(value);
  if (day === undefined) throw InvalidArgumentError.field(field, 'must be a calendar date written YYYY-MM-DD');
  return day;
}

export function isoDateOf(day: DayNumber): IsoDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function addDays(day: DayNumber, days: number): DayNumber {
  return day + days;
}

/**
 * Adds calendar months the way people count ages ("6 months old on the 31st of ..."): the same day of the month,
 * or the month's last day when the month is shorter (31 Jan + 1 month = 28/29 Feb).
 */
export function addMonths(day: DayNumber, months: number): DayNumber {
  const date = new Date(day * MS_PER_DAY);
  const year = date.getUTCFullYear();
  const monthIndex = date.getUTCMonth() + months;
  const targetYear = year + Math.floor(monthIndex / 12);
  const targetMonth = ((monthIndex % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  return Date.UTC(targetYear, targetMonth, Math.min(date.getUTCDate(), lastDay)) / MS_PER_DAY;
}

/**
 * A distance from an anchor date, as schedules write it: `{ "weeks": 12, "days": 6 }`, `{ "months": 18 }`,
 * `{ "months": 3, "days": -14 }`. Years and months are calendar steps, weeks and days are counted days.
 */
export interface CalendarOffset {
  readonly years?: number;
  readonly months?: number;
  readonly weeks?: number;
  readonly days?: number;
}

/** Years and months first (calendar steps), then weeks and days, so "3 months less 14 days" means what it says. */
export function addOffset(day: DayNumber, offset: CalendarOffset): DayNumber {
  const months = (offset.years ?? 0) * 12 + (offset.months ?? 0);
  const afterMonths = months === 0 ? day : addMonths(day, months);
  return afterMonths + (offset.weeks ?? 0) * 7 + (offset.days ?? 0);
}

/** Whole completed years from `from` to `to` (an age on a date). */
export function completedYears(from: DayNumber, to: DayNumber): number {
  const start = new Date(from * MS_PER_DAY);
  const end = new Date(to * MS_PER_DAY);
  let years = end.getUTCFullYear() - start.getUTCFullYear();
  const beforeBirthday =
    end.getUTCMonth() < start.getUTCMonth() ||
    (end.getUTCMonth() === start.getUTCMonth() && end.getUTCDate() < start.getUTCDate());
  if (beforeBirthday) years -= 1;
  return years;
}

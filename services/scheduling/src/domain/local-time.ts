// Local time of the alliance: Asia/Shanghai, UTC+08:00 all year (China has kept no daylight saving since 1991), so
// a local wall-clock time is the instant minus eight hours: no tz database needed, and none consulted.
import { InvalidArgumentError } from '../../../common/src/errors';

/** A local calendar date, `YYYY-MM-DD`. */
export type LocalDate = string;

export const CHINA_OFFSET_MS = 8 * 3_600_000;
const MS_PER_DAY = 86_400_000;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The local date of an instant. */
export function localDateOf(instant: Date): LocalDate {
  return new Date(instant.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes after local midnight of an instant. */
export function localMinuteOf(instant: Date): number {
  const shifted = (instant.getTime() + CHINA_OFFSET_MS) % MS_PER_DAY;
  return Math.floor((shifted < 0 ? shifted + MS_PER_DAY : shifted) / 60_000);
}

/** The instant of a local date and minute of the day. */
export function instantAt(date: LocalDate, minute: number): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS + minute * 60_000);
}

/** ISO weekday of a local date: 1 Monday ... 7 Sunday. */
export function isoWeekday(date: LocalDate): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

export function addLocalDays(date: LocalDate, days: number): LocalDate {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Local dates from the one containing `from` to the one containing `to` (inclusive). */
export function localDatesBetween(from: Date, to: Date): LocalDate[] {
  const dates: LocalDate[] = [];
  const last = localDateOf(to);
  for (let date = localDateOf(from); date <= last; date = addLocalDays(date, 1)) dates.push(date);
  return dates;
}

/** Reads a local date, naming the field when it is not a real calendar date. */
export function parseLocalDate(value: string, field: string): LocalDate {
  const match = LOCAL_DATE.exec(value);
  const ok = match !== null && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
  if (!ok) throw InvalidArgumentError.field(field, 'must be a calendar date written YYYY-MM-DD');
  return value;
}

/** Reads `HH:MM` (local wall clock) into minutes after midnight. */
export function parseClock(value: string, field: string): number {
  const match = CLOCK.exec(value);
  if (!match) throw InvalidArgumentError.field(field, 'must be a local time written HH:MM (00:00 to 23:59)');
  return Number(match[1]) * 60 + Number(match[2]);
}

export function formatClock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

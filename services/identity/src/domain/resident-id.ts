// The 18-digit PRC resident identity number (GB 11643-1999): parsing, the ISO 7064 MOD 11-2 check character,
// and the masked form that is the only one allowed on a screen. It is the MPI's exact-match key.
import { InvalidArgumentError } from '../../../common/src/errors';

export type Sex = 'female' | 'male';

export interface ResidentId {
  /** The 18 characters with a lowercase check `x` made uppercase: the form stored and compared. */
  readonly normalized: string;
  /** Administrative division at issue (6 digits); codes are renamed over time, so it is not checked against a list. */
  readonly regionCode: string;
  /** First two digits: province, autonomous region, municipality or SAR. */
  readonly provinceCode: string;
  /** ISO calendar date, YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: Sex;
}

/**
 * Province-level codes of GB/T 2260 that can open a resident ID: 11–15, 21–23, 31–37, 41–46, 50–54, 61–65,
 * 71 (Taiwan), 81 (Hong Kong), 82 (Macao). Only the prefix is checked: county codes change with every
 * re-division, and an ID keeps the code it was issued under for life.
 */
export const PROVINCE_CODES: ReadonlySet<string> = new Set([
  ...range(11, 15),
  ...range(21, 23),
  ...range(31, 37),
  ...range(41, 46),
  ...range(50, 54),
  ...range(61, 65),
  '71',
  '81',
  '82',
]);

/** Weight of position i is 2^(17-i) mod 11; every weight is non-zero mod 11, which is what catches single-digit errors. */
export const CHECK_WEIGHTS: readonly number[] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** Check character for each remainder of the weighted sum mod 11. */
const CHECK_CHARACTERS = '10X98765432';

const EARLIEST_BIRTH_DATE = '1900-01-01';
/** China has one time zone and no daylight saving: the calendar date of a birth is the date at UTC+8. */
const CHINA_UTC_OFFSET_MS = 8 * 60 * 60 * 1000;

/**
 * The ISO 7064 MOD 11-2 check character for the first 17 digits. Throws RangeError for anything else: this is for
 * code that builds IDs, not for validating input (use `parseResidentId`).
 */
export function computeCheckDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('computeCheckDigit needs exactly 17 ASCII digits');
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * (CHECK_WEIGHTS[i] as number);
  return CHECK_CHARACTERS[sum % 11] as string;
}

/**
 * Parses and validates a resident ID; `today` bounds the birth date. Throws InvalidArgumentError naming `field`.
 * Messages never echo the number itself: they reach logs and other people's screens.
 */
export function parseResidentId(raw: string, today: Date, field = 'nationalId'): ResidentId {
  // NFKC turns the full-width digits and `Ｘ` that Chinese input methods produce into ASCII.
  const normalized = raw.normalize('NFKC').trim().toUpperCase();
  const fail = (description: string): InvalidArgumentError => InvalidArgumentError.field(field, description);

  if (/^\d{15}$/.test(normalized)) {
    throw fail('is a 15-digit first-generation ID, which has not been valid since 2013; give the 18-digit number');
  }
  if (normalized.length !== 18) {
    throw fail(`must be 18 characters (17 digits and a check digit 0-9 or X), got ${normalized.length}`);
  }
  if (!/^\d{17}[\dX]$/.test(normalized)) {
    throw fail('must be 17 digits followed by a check digit 0-9 or X');
  }

  const regionCode = normalized.slice(0, 6);
  const provinceCode = normalized.slice(0, 2);
  const compactDate = normalized.slice(6, 14);
  const birthDate = isoDateFromCompact(compactDate);
  if (birthDate === undefined) throw fail(`birth date ${compactDate} is not a calendar date`);
  if (birthDate < EARLIEST_BIRTH_DATE) throw fail(`birth date ${birthDate} is before 1900`);
  if (birthDate > calendarDateInChina(today)) throw fail(`birth date ${birthDate} is in the future`);
  if (!PROVINCE_CODES.has(provinceCode)) {
    throw fail(`starts with ${provinceCode}, which is not a PRC province-level code`);
  }
  if (computeCheckDigit(normalized.slice(0, 17)) !== normalized[17]) {
    throw fail('check digit does not match (ISO 7064 MOD 11-2)');
  }

  const sequenceDigit = Number(normalized[16]);
  return { normalized, regionCode, provinceCode, birthDate, sex: sequenceDigit % 2 === 1 ? 'male' : 'female' };
}

/** True when `parseResidentId` would accept `raw`. */
export function isValidResidentId(raw: string, today: Date): boolean {
  try {
    parseResidentId(raw, today);
    return true;
  } catch (error) {
    if (error instanceof InvalidArgumentError) return false;
    throw error;
  }
}

/**
 * The display form: region code and the last four characters, birth date hidden (`532301********002X`).
 * Anything that is not 18 characters is masked entirely, so a malformed number cannot leak either.
 */
export function maskResidentId(id: string): string {
  const normalized = id.normalize('NFKC').trim().toUpperCase();
  if (normalized.length !== 18) return '*'.repeat(normalized.length);
  return `${normalized.slice(0, 6)}${'*'.repeat(8)}${normalized.slice(14)}`;
}

/** The calendar date (YYYY-MM-DD) in China at `instant`. */
export function calendarDateInChina(instant: Date): string {
  return new Date(instant.getTime() + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` if `iso` is a real calendar date in that form, else undefined. */
export function parseIsoDate(iso: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return undefined;
  return isoDateFromCompact(`${match[1]}${match[2]}${match[3]}`);
}

function isoDateFromCompact(compact: string): string | undefined {
  if (!/^\d{8}$/.test(compact)) return undefined;
  const year = Number(compact.slice(0, 4));
  const month = Number(compact.slice(4, 6));
  const day = Number(compact.slice(6, 8));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function range(from: number, to: number): string[] {
  const codes: string[] = [];
  for (let code = from; code <= to; code += 1) codes.push(String(code));
  return codes;
}

// Identity of a newborn who has no resident ID yet: validation of the mother's ID, birth date, birth order and
// birth certificate number (出生医学证明编号), and the deterministic keys the MPI stores for that child.
import { createHash } from 'node:crypto';
import { FieldViolation, InvalidArgumentError } from '../../../common/src/errors';
import { calendarDateInChina, parseIsoDate, parseResidentId } from './resident-id';

export interface NewbornLinkInput {
  readonly motherNationalId: string;
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  /** 1 for a singleton or the first-born of twins, 2 for the second, … up to 9. */
  readonly birthOrder: number;
  readonly birthCertificateNumber: string;
}

export interface NewbornLink {
  /**
   * SHA-256 (hex) of all four normalised parts: the newborn's unique key. Equal input gives an equal key on every
   * zone and every run, so a retried registration finds the same child.
   */
  readonly linkKey: string;
  /**
   * SHA-256 (hex) of mother + birth date + birth order only. Two children cannot share it, so a repository that
   * also makes it unique turns a mistyped certificate number into a conflict instead of a second identity.
   */
  readonly birthSlotKey: string;
  readonly motherNationalId: string;
  readonly birthDate: string;
  readonly birthOrder: number;
  readonly birthCertificateNumber: string;
}

export const MAX_BIRTH_ORDER = 9;
/** Anything earlier would make the mother younger than ten at the birth: a wrong mother ID or a wrong date. */
export const MIN_MOTHER_AGE_YEARS = 10;

/** One letter then nine digits, e.g. `O530012345`: the form printed on certificates in use. */
const BIRTH_CERTIFICATE_PATTERN = /^[A-Z]\d{9}$/;
/** Bumped if the key derivation ever changes, so old and new keys can never collide. */
const KEY_VERSION = 'mch-newborn-link-v1';

/**
 * Validates the four parts together and derives the newborn's keys. Throws one InvalidArgumentError listing every
 * offending field, so a clerk fixes the form in one round.
 */
export function linkNewborn(input: NewbornLinkInput, today: Date): NewbornLink {
  const violations: FieldViolation[] = [];

  let motherNationalId: string | undefined;
  let motherBirthDate: string | undefined;
  try {
    const mother = parseResidentId(input.motherNationalId, today, 'motherNationalId');
    motherNationalId = mother.normalized;
    motherBirthDate = mother.birthDate;
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    violations.push(...error.violations);
  }

  const birthDate = parseIsoDate(input.birthDate.trim());
  if (birthDate === undefined) {
    violations.push({ field: 'birthDate', description: 'must be a calendar date YYYY-MM-DD' });
  } else if (birthDate > calendarDateInChina(today)) {
    violations.push({ field: 'birthDate', description: `${birthDate} is in the future` });
  } else if (motherBirthDate !== undefined && birthDate < plusYears(motherBirthDate, MIN_MOTHER_AGE_YEARS)) {
    violations.push({
      field: 'birthDate',
      description: `${birthDate} is less than ${MIN_MOTHER_AGE_YEARS} years after the mother's birth date`,
    });
  }

  const birthOrder = input.birthOrder;
  if (!Number.isInteger(birthOrder) || birthOrder < 1 || birthOrder > MAX_BIRTH_ORDER) {
    violations.push({ field: 'birthOrder', description: `must be a whole number from 1 to ${MAX_BIRTH_ORDER}` });
  }

  const birthCertificateNumber = normalizeBirthCertificateNumber(input.birthCertificateNumber);
  if (birthCertificateNumber === undefined) {
    violations.push({
      field: 'birthCertificateNumber',
      description: 'must be one letter followed by 9 digits, e.g. O530012345',
    });
  }

  if (
    violations.length > 0 ||
    motherNationalId === undefined ||
    birthDate === undefined ||
    birthCertificateNumber === undefined
  ) {
    throw new InvalidArgumentError(violations);
  }

  return {
    linkKey: sha256Hex([KEY_VERSION, motherNationalId, birthDate, String(birthOrder), birthCertificateNumber]),
    birthSlotKey: sha256Hex([`${KEY_VERSION}:slot`, motherNationalId, birthDate, String(birthOrder)]),
    motherNationalId,
    birthDate,
    birthOrder,
    birthCertificateNumber,
  };
}

/** The certificate number in its stored form (uppercase letter), or undefined if it is not in the accepted format. */
export function normalizeBirthCertificateNumber(raw: string): string | undefined {
  // NFKC for the full-width letters and digits that Chinese input methods produce.
  const normalized = raw.normalize('NFKC').trim().toUpperCase();
  return BIRTH_CERTIFICATE_PATTERN.test(normalized) ? normalized : undefined;
}

/**
 * The same month and day `years` later, as a string for comparison. 29 February becomes `YYYY-02-29` even in a
 * common year; compared as text it sorts after 28 February and before 1 March, i.e. it behaves as 1 March.
 */
function plusYears(isoDate: string, years: number): string {
  return `${String(Number(isoDate.slice(0, 4)) + years).padStart(4, '0')}${isoDate.slice(4)}`;
}

function sha256Hex(parts: readonly string[]): string {
  // The parts never contain a newline (they were validated), so joining on one is unambiguous.
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

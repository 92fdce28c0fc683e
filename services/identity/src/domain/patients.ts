// Rules for registering a patient: which identifiers are needed and how they must agree.
import { randomInt } from 'node:crypto';
import { Violations } from '../../../common/src/errors';
import { RegisterPatientRequest, Sex } from '../../../common/src/gen/mch/identity/v1/identity';
import { linkNewborn, NewbornLink } from './newborn-link';
import { normalizeName } from './name-match';
import { parseIsoDate, parseResidentId, ResidentId } from './resident-id';

export interface Registration {
  readonly residentId: ResidentId | undefined;
  readonly newborn: NewbornLink | undefined;
  readonly name: string;
  readonly sex: 'female' | 'male' | 'unspecified';
  readonly birthDate: string;
  readonly phone: string;
  readonly countyCode: string;
  readonly address: string;
}

const PHONE_PATTERN = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;

/** Validates a registration, collecting every violation; birth date and sex may come from the resident ID. */
export function checkRegistration(
  request: RegisterPatientRequest,
  knownCounties: ReadonlySet<string>,
  today: Date,
): Registration {
  const violations = new Violations();
  const collect = <T>(check: () => T): T | undefined => violations.check(check);

  const residentId = request.nationalId.trim() ? collect(() => parseResidentId(request.nationalId, today)) : undefined;
  const newborn = request.newborn
    ? collect(() => linkNewborn(request.newborn as NonNullable<RegisterPatientRequest['newborn']>, today))
    : undefined;

  const rawName = request.name.trim();
  const name = rawName ? normalizeName(rawName) : '';
  if (!name) violations.add('name', 'is required');
  else if ([...name].length > 50) violations.add('name', 'must be at most 50 characters');

  let birthDate = request.birthDate.trim();
  if (birthDate) {
    const parsed = parseIsoDate(birthDate);
    if (!parsed) violations.add('birthDate', 'must be a date YYYY-MM-DD');
    else if (parsed > today.toISOString().slice(0, 10)) violations.add('birthDate', 'must not be in the future');
    else if (residentId && parsed !== residentId.birthDate)
      violations.add('birthDate', 'does not agree with the birth date in nationalId');
    else if (newborn && parsed !== newborn.birthDate)
      violations.add('birthDate', 'does not agree with newborn.birthDate');
  } else {
    birthDate = residentId?.birthDate ?? newborn?.birthDate ?? '';
    if (!birthDate && !violations.has('nationalId')) violations.add('birthDate', 'is required without a nationalId');
  }

  let sex: Registration['sex'] =
    request.sex === Sex.SEX_FEMALE ? 'female' : request.sex === Sex.SEX_MALE ? 'male' : 'unspecified';
  if (residentId) {
    if (sex !== 'unspecified' && sex !== residentId.sex)
      violations.add('sex', 'does not agree with the sex digit of nationalId');
    sex = residentId.sex;
  }

  const phone = request.phone.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  if (phone && !PHONE_PATTERN.test(phone))
    violations.add('phone', 'must be a mainland mobile (11 digits) or landline number');

  const countyCode = request.countyCode.trim().toLowerCase();
  if (countyCode && !knownCounties.has(countyCode))
    violations.add('countyCode', `unknown county; one of ${[...knownCounties].sort().join(', ')}`);
  if (request.address.length > 200) violations.add('address', 'must be at most 200 characters');

  violations.throwIfAny();
  return { residentId, newborn, name, sex, birthDate, phone, countyCode, address: request.address.trim() };
}

/** Activation codes: 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 49 bits. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const ACTIVATION_CODE_LENGTH = 10;
export const ACTIVATION_CODE_TTL_MS = 72 * 3600_000;

export function newActivationCode(): string {
  let code = '';
  for (let i = 0; i < ACTIVATION_CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

export function normalizeActivationCode(raw: string): string {
  return raw.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
}

export const RELATIONSHIPS = ['mother', 'father', 'guardian'] as const;

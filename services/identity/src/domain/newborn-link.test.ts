import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { FieldViolation, InvalidArgumentError } from '../../../common/src/errors';
import { NewbornLinkInput, linkNewborn, normalizeBirthCertificateNumber } from './newborn-link';
import { computeCheckDigit } from './resident-id';

const TODAY = new Date('2025-06-15T04:00:00Z');

function residentId(first17: string): string {
  return first17 + computeCheckDigit(first17);
}

/** A Chuxiong mother born 1996-03-08. */
const MOTHER = residentId('53230119960308002');

const VALID: NewbornLinkInput = {
  motherNationalId: MOTHER,
  birthDate: '2025-06-01',
  birthOrder: 1,
  birthCertificateNumber: 'O530012345',
};

function violationsOf(input: NewbornLinkInput, today = TODAY): FieldViolation[] {
  try {
    linkNewborn(input, today);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return [...(error as InvalidArgumentError).violations];
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('linkNewborn', () => {
  it('returns the normalised parts and a SHA-256 link key over all four', () => {
    const link = linkNewborn(VALID, TODAY);
    expect(link).toMatchObject({
      motherNationalId: MOTHER,
      birthDate: '2025-06-01',
      birthOrder: 1,
      birthCertificateNumber: 'O530012345',
    });
    expect(link.linkKey).toMatch(/^[0-9a-f]{64}$/);
    expect(link.birthSlotKey).toMatch(/^[0-9a-f]{64}$/);
    expect(link.linkKey).toBe(
      createHash('sha256')
        .update(['mch-newborn-link-v1', MOTHER, '2025-06-01', '1', 'O530012345'].join('\n'))
        .digest('hex'),
    );
  });

  it('gives the same key for the same child however the parts were typed', () => {
    const retyped = linkNewborn(
      {
        motherNationalId: ` ${MOTHER.toLowerCase()} `,
        birthDate: ' 2025-06-01 ',
        birthOrder: 1,
        birthCertificateNumber: ' ｏ５３００１２３４５ ',
      },
      TODAY,
    );
    expect(retyped.linkKey).toBe(linkNewborn(VALID, TODAY).linkKey);
    expect(retyped.birthCertificateNumber).toBe('O530012345');
  });

  it('normalises a lowercase check x in the mother ID', () => {
    const motherWithX = '11010519491231002X';
    const link = linkNewborn({ ...VALID, motherNationalId: motherWithX.toLowerCase(), birthDate: '1980-01-01' }, TODAY);
    expect(link.motherNationalId).toBe(motherWithX);
  });

  it('gives twins (same mother and birth date) different keys', () => {
    const first = linkNewborn(VALID, TODAY);
    const second = linkNewborn({ ...VALID, birthOrder: 2, birthCertificateNumber: 'O530012346' }, TODAY);
    expect(second.linkKey).not.toBe(first.linkKey);
    expect(second.birthSlotKey).not.toBe(first.birthSlotKey);
  });

  it('keeps the birth slot key when only the certificate number differs, so a repository can catch the typo', () => {
    const registered = linkNewborn(VALID, TODAY);
    const mistyped = linkNewborn({ ...VALID, birthCertificateNumber: 'O530012354' }, TODAY);
    expect(mistyped.linkKey).not.toBe(registered.linkKey);
    expect(mistyped.birthSlotKey).toBe(registered.birthSlotKey);
  });

  it('changes the link key when any single part changes', () => {
    const base = linkNewborn(VALID, TODAY).linkKey;
    const otherMother = residentId('53230119960308004');
    for (const changed of [
      { ...VALID, motherNationalId: otherMother },
      { ...VALID, birthDate: '2025-06-02' },
      { ...VALID, birthOrder: 2 },
      { ...VALID, birthCertificateNumber: 'P530012345' },
    ]) {
      expect(linkNewborn(changed, TODAY).linkKey).not.toBe(base);
    }
  });

  it.each([
    [
      'wrong check digit',
      { motherNationalId: `${MOTHER.slice(0, 17)}${MOTHER[17] === '0' ? '1' : '0'}` },
      /check digit does not match/,
    ],
    ['too short', { motherNationalId: MOTHER.slice(0, 17) }, /must be 18 characters/],
  ])('rejects a mother ID with %s, naming motherNationalId', (_case, change, description) => {
    expect(violationsOf({ ...VALID, ...change })).toEqual([
      { field: 'motherNationalId', description: expect.stringMatching(description) },
    ]);
  });

  it.each([
    ['not ISO', '01/06/2025', /calendar date YYYY-MM-DD/],
    ['impossible', '2025-02-29', /calendar date/],
    ['tomorrow', '2025-06-16', /2025-06-16 is in the future/],
  ])('rejects a birth date that is %s', (_case, birthDate, description) => {
    expect(violationsOf({ ...VALID, birthDate })).toEqual([
      { field: 'birthDate', description: expect.stringMatching(description) },
    ]);
  });

  it('accepts a birth today in China even when it is still yesterday in UTC', () => {
    const justAfterMidnightInChina = new Date('2025-06-15T16:30:00Z');
    expect(linkNewborn({ ...VALID, birthDate: '2025-06-16' }, justAfterMidnightInChina).birthDate).toBe('2025-06-16');
  });

  it('rejects a birth less than ten years after the mother was born, and accepts one on the tenth birthday', () => {
    expect(violationsOf({ ...VALID, birthDate: '2006-03-07' })).toEqual([
      { field: 'birthDate', description: "2006-03-07 is less than 10 years after the mother's birth date" },
    ]);
    expect(linkNewborn({ ...VALID, birthDate: '2006-03-08' }, TODAY).birthDate).toBe('2006-03-08');
  });

  it('treats a mother born on 29 February as ten on 1 March of a common year', () => {
    const leapMother = residentId('53230120000229002');
    expect(violationsOf({ ...VALID, motherNationalId: leapMother, birthDate: '2010-02-28' })[0]?.field).toBe(
      'birthDate',
    );
    expect(linkNewborn({ ...VALID, motherNationalId: leapMother, birthDate: '2010-03-01' }, TODAY).birthDate).toBe(
      '2010-03-01',
    );
  });

  it.each([0, 10, -1, 1.5, Number.NaN])('rejects birth order %p', (birthOrder) => {
    expect(violationsOf({ ...VALID, birthOrder })).toEqual([
      { field: 'birthOrder', description: 'must be a whole number from 1 to 9' },
    ]);
  });

  it.each(['', 'O53001234', 'O5300123456', '0530012345', 'OO30012345', 'O53001234X', 'O 530012345', '粤530012345'])(
    'rejects birth certificate number %p',
    (birthCertificateNumber) => {
      expect(violationsOf({ ...VALID, birthCertificateNumber })).toEqual([
        { field: 'birthCertificateNumber', description: 'must be one letter followed by 9 digits, e.g. O530012345' },
      ]);
    },
  );

  it('reports every bad field at once', () => {
    const violations = violationsOf({
      motherNationalId: '123',
      birthDate: 'yesterday',
      birthOrder: 0,
      birthCertificateNumber: '12345',
    });
    expect(violations.map((v) => v.field)).toEqual([
      'motherNationalId',
      'birthDate',
      'birthOrder',
      'birthCertificateNumber',
    ]);
  });

  it('still checks the birth date against today when the mother ID is invalid', () => {
    const violations = violationsOf({ ...VALID, motherNationalId: 'x', birthDate: '2030-01-01' });
    expect(violations.map((v) => v.field)).toEqual(['motherNationalId', 'birthDate']);
  });

  it('is deterministic and injective over valid inputs (property)', () => {
    const input = fc.record({
      motherNationalId: fc.constantFrom(MOTHER, residentId('53232219880101004'), '11010519491231002X'),
      birthDate: fc
        .date({ min: new Date('2010-01-01T00:00:00Z'), max: new Date('2025-06-15T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
      birthOrder: fc.integer({ min: 1, max: 9 }),
      birthCertificateNumber: fc
        .tuple(fc.constantFrom('O', 'P', 'Q'), fc.integer({ min: 0, max: 999_999_999 }))
        .map(([letter, n]) => letter + String(n).padStart(9, '0')),
    });
    fc.assert(
      fc.property(input, input, (a, b) => {
        const linkA = linkNewborn(a, TODAY);
        expect(linkNewborn(a, TODAY).linkKey).toBe(linkA.linkKey);
        const same =
          a.motherNationalId === b.motherNationalId &&
          a.birthDate === b.birthDate &&
          a.birthOrder === b.birthOrder &&
          a.birthCertificateNumber === b.birthCertificateNumber;
        expect(linkNewborn(b, TODAY).linkKey === linkA.linkKey).toBe(same);
      }),
    );
  });
});

describe('normalizeBirthCertificateNumber', () => {
  it('uppercases the letter and refuses other shapes', () => {
    expect(normalizeBirthCertificateNumber('o530012345')).toBe('O530012345');
    expect(normalizeBirthCertificateNumber('530012345')).toBeUndefined();
  });
});

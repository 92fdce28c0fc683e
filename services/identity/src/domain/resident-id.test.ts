import fc from 'fast-check';
import { InvalidArgumentError } from '../../../common/src/errors';
import {
  CHECK_WEIGHTS,
  PROVINCE_CODES,
  calendarDateInChina,
  computeCheckDigit,
  isValidResidentId,
  maskResidentId,
  parseIsoDate,
  parseResidentId,
} from './resident-id';

const TODAY = new Date('2025-06-15T04:00:00Z');

/** A valid ID from its parts, the check digit computed. */
function residentId(region: string, compactBirthDate: string, sequence: string): string {
  const first17 = `${region}${compactBirthDate}${sequence}`;
  return first17 + computeCheckDigit(first17);
}

function violationOf(run: () => unknown): { field: string; description: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const violations = (error as InvalidArgumentError).violations;
    expect(violations).toHaveLength(1);
    return violations[0] as { field: string; description: string };
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('computeCheckDigit', () => {
  it('gives the check characters of the published GB 11643-1999 examples', () => {
    expect(computeCheckDigit('11010519491231002')).toBe('X');
    expect(computeCheckDigit('44052418800101001')).toBe('4');
  });

  it('uses weights 2^(17-i) mod 11, all non-zero mod 11', () => {
    CHECK_WEIGHTS.forEach((weight, i) => {
      expect(weight).toBe(2 ** (17 - i) % 11);
      expect(weight % 11).not.toBe(0);
    });
  });

  it('maps each remainder to its check character', () => {
    // Only the first digit carries weight 7 here, so the remainder is 7d mod 11.
    const expected: Record<number, string> = {
      0: '1',
      1: '0',
      2: 'X',
      3: '9',
      4: '8',
      5: '7',
      6: '6',
      7: '5',
      8: '4',
      9: '3',
      10: '2',
    };
    for (let d = 0; d <= 9; d += 1) {
      expect(computeCheckDigit(`${d}0000000000000000`)).toBe(expected[(7 * d) % 11]);
    }
    // 7d mod 11 misses remainder 4; reach it through the second digit (weight 9): 9·9 = 81 ≡ 4 (mod 11).
    expect(computeCheckDigit('09000000000000000')).toBe('8');
  });

  it('refuses anything but 17 digits', () => {
    for (const bad of [
      '',
      '1101051949123100',
      '110105194912310021',
      '1101051949123100X',
      '１１０１０５１９４９１２３１００２',
    ]) {
      expect(() => computeCheckDigit(bad)).toThrow(RangeError);
    }
  });
});

describe('parseResidentId', () => {
  it('parses the standard GB 11643 example (北京市朝阳区, 1949-12-31, female)', () => {
    expect(parseResidentId('11010519491231002X', TODAY)).toEqual({
      normalized: '11010519491231002X',
      regionCode: '110105',
      provinceCode: '11',
      birthDate: '1949-12-31',
      sex: 'female',
    });
  });

  it('rejects the 1880 GB 11643 example only because of the 1900 floor: its check digit is right', () => {
    // The floor is ours (nobody in the MPI was born before 1900), not the standard's.
    expect(violationOf(() => parseResidentId('440524188001010014', TODAY)).description).toBe(
      'birth date 1880-01-01 is before 1900',
    );
  });

  it('normalises a lowercase x, full-width characters and surrounding spaces', () => {
    expect(parseResidentId(' 11010519491231002x ', TODAY).normalized).toBe('11010519491231002X');
    expect(parseResidentId('１１０１０５１９４９１２３１００２Ｘ', TODAY).normalized).toBe('11010519491231002X');
  });

  it('reads sex from the parity of the sequence number', () => {
    expect(parseResidentId(residentId('532301', '19900101', '001'), TODAY).sex).toBe('male');
    expect(parseResidentId(residentId('532301', '19900101', '002'), TODAY).sex).toBe('female');
    expect(parseResidentId(residentId('532301', '19900101', '990'), TODAY).sex).toBe('female');
  });

  it('accepts a Chuxiong ID and reports its region', () => {
    const parsed = parseResidentId(residentId('532331', '19960229', '042'), TODAY);
    expect(parsed).toMatchObject({ regionCode: '532331', provinceCode: '53', birthDate: '1996-02-29', sex: 'female' });
  });

  it.each([
    ['too short', '53230119900101002', /must be 18 characters.*got 17/],
    ['too long', '5323011990010100211', /must be 18 characters.*got 19/],
    ['empty', '', /got 0/],
    ['letter inside', '5323011990A1010021', /17 digits followed by a check digit 0-9 or X/],
    ['X not last', '53230119900101002X'.replace('0101', '01X1'), /17 digits followed by a check digit/],
    ['internal space', '532301 9900101002X', /17 digits followed by a check digit/],
    ['15-digit first generation', '532301900101002', /15-digit first-generation/],
  ])('rejects %s', (_case, raw, description) => {
    const violation = violationOf(() => parseResidentId(raw, TODAY));
    expect(violation.field).toBe('nationalId');
    expect(violation.description).toMatch(description);
  });

  it.each([
    ['30 February', '19990230', /birth date 19990230 is not a calendar date/],
    ['29 February of a common year', '19000229', /not a calendar date/],
    ['month 13', '19901301', /not a calendar date/],
    ['day 00', '19900100', /not a calendar date/],
    ['day 32', '19900132', /not a calendar date/],
    ['before 1900', '18991231', /birth date 1899-12-31 is before 1900/],
    ['the day after today', '20250616', /birth date 2025-06-16 is in the future/],
    ['next year', '20260101', /in the future/],
  ])('rejects a birth date: %s', (_case, compactDate, description) => {
    const violation = violationOf(() => parseResidentId(residentId('532301', compactDate, '002'), TODAY));
    expect(violation).toEqual({ field: 'nationalId', description: expect.stringMatching(description) });
  });

  it('accepts 1900-01-01, 2000-02-29 and today', () => {
    expect(parseResidentId(residentId('532301', '19000101', '002'), TODAY).birthDate).toBe('1900-01-01');
    expect(parseResidentId(residentId('532301', '20000229', '002'), TODAY).birthDate).toBe('2000-02-29');
    expect(parseResidentId(residentId('532301', '20250615', '002'), TODAY).birthDate).toBe('2025-06-15');
  });

  it('judges "today" by the calendar in China, not in UTC', () => {
    // 00:30 on 16 June in Chuxiong is still 15 June in UTC; a baby born that night must be registrable.
    const justAfterMidnightInChina = new Date('2025-06-15T16:30:00Z');
    expect(calendarDateInChina(justAfterMidnightInChina)).toBe('2025-06-16');
    expect(parseResidentId(residentId('532301', '20250616', '002'), justAfterMidnightInChina).birthDate).toBe(
      '2025-06-16',
    );
    expect(() => parseResidentId(residentId('532301', '20250617', '002'), justAfterMidnightInChina)).toThrow(
      /in the future/,
    );
  });

  it.each([
    '00',
    '10',
    '16',
    '20',
    '24',
    '30',
    '38',
    '40',
    '47',
    '49',
    '55',
    '60',
    '66',
    '70',
    '72',
    '80',
    '83',
    '90',
    '99',
  ])('rejects province prefix %s', (province) => {
    const violation = violationOf(() => parseResidentId(residentId(`${province}0101`, '19900101', '002'), TODAY));
    expect(violation.description).toBe(`starts with ${province}, which is not a PRC province-level code`);
  });

  it('accepts every listed province prefix, whatever the county digits', () => {
    expect([...PROVINCE_CODES].sort()).toEqual([
      '11',
      '12',
      '13',
      '14',
      '15',
      '21',
      '22',
      '23',
      '31',
      '32',
      '33',
      '34',
      '35',
      '36',
      '37',
      '41',
      '42',
      '43',
      '44',
      '45',
      '46',
      '50',
      '51',
      '52',
      '53',
      '54',
      '61',
      '62',
      '63',
      '64',
      '65',
      '71',
      '81',
      '82',
    ]);
    // County digits that no division has ever had still pass: only the province prefix is checked.
    for (const province of PROVINCE_CODES) {
      expect(parseResidentId(residentId(`${province}9999`, '19900101', '002'), TODAY).provinceCode).toBe(province);
    }
  });

  it('says explicitly when the check digit is wrong', () => {
    const violation = violationOf(() => parseResidentId('110105194912310021', TODAY));
    expect(violation).toEqual({ field: 'nationalId', description: 'check digit does not match (ISO 7064 MOD 11-2)' });
  });

  it('names the field it was given', () => {
    expect(violationOf(() => parseResidentId('123', TODAY, 'motherNationalId')).field).toBe('motherNationalId');
  });

  it('never echoes the number in the error message', () => {
    const wrongCheck = '532301199001010021';
    for (const raw of [wrongCheck, wrongCheck.slice(0, 17), `${wrongCheck}9`]) {
      try {
        parseResidentId(raw, TODAY);
      } catch (error) {
        expect((error as Error).message).not.toContain(raw.slice(0, 14));
      }
    }
  });
});

describe('isValidResidentId', () => {
  it('is parseResidentId as a boolean', () => {
    expect(isValidResidentId('11010519491231002X', TODAY)).toBe(true);
    expect(isValidResidentId('110105194912310021', TODAY)).toBe(false);
    expect(isValidResidentId('not an id', TODAY)).toBe(false);
  });
});

describe('maskResidentId', () => {
  it('keeps only the region code and the last four characters', () => {
    expect(maskResidentId('53230119900101002x')).toBe('532301********002X');
    expect(maskResidentId('11010519491231002X')).toBe('110105********002X');
  });

  it('masks malformed input entirely', () => {
    expect(maskResidentId('5323011990')).toBe('**********');
    expect(maskResidentId('')).toBe('');
  });
});

describe('parseIsoDate', () => {
  it('accepts only real calendar dates in YYYY-MM-DD', () => {
    expect(parseIsoDate('2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2023-02-29', '2024-2-29', '20240229', '2024-04-31', '2024-00-10', ''])
      expect(parseIsoDate(bad)).toBeUndefined();
  });
});

describe('properties', () => {
  const digit = fc.integer({ min: 0, max: 9 }).map(String);
  const province = fc.constantFrom(...PROVINCE_CODES);
  const county = fc.array(digit, { minLength: 4, maxLength: 4 }).map((ds) => ds.join(''));
  const sequence = fc.array(digit, { minLength: 3, maxLength: 3 }).map((ds) => ds.join(''));
  const birthDate = fc
    .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2025-06-15T00:00:00Z'), noInvalidDate: true })
    .map((date) => date.toISOString().slice(0, 10).replace(/-/g, ''));
  const first17 = fc.tuple(province, county, birthDate, sequence).map(([p, c, b, s]) => `${p}${c}${b}${s}`);

  it('every valid prefix plus its computed check digit parses back to its parts', () => {
    fc.assert(
      fc.property(first17, (prefix) => {
        const parsed = parseResidentId(prefix + computeCheckDigit(prefix), TODAY);
        expect(parsed.normalized).toBe(prefix + computeCheckDigit(prefix));
        expect(parsed.birthDate.replace(/-/g, '')).toBe(prefix.slice(6, 14));
        expect(parsed.sex).toBe(Number(prefix[16]) % 2 === 1 ? 'male' : 'female');
      }),
    );
  });

  it('MOD 11-2 detects every single-digit substitution (exhaustive proof over positions and differences)', () => {
    // Changing digit i by δ (1 ≤ |δ| ≤ 9) changes the weighted sum by w_i·δ. 11 is prime and neither factor is a
    // multiple of it, so the sum mod 11 — and with it the check character — always changes. Enumerate to be sure.
    CHECK_WEIGHTS.forEach((weight) => {
      for (let delta = -9; delta <= 9; delta += 1) {
        if (delta !== 0) expect((((weight * delta) % 11) + 11) % 11).not.toBe(0);
      }
    });
  });

  it('any single substituted digit or check character fails the check', () => {
    fc.assert(
      fc.property(
        first17,
        fc.integer({ min: 0, max: 17 }),
        fc.integer({ min: 1, max: 10 }),
        (prefix, position, shift) => {
          const valid = prefix + computeCheckDigit(prefix);
          const alphabet = position === 17 ? '0123456789X' : '0123456789';
          const original = alphabet.indexOf(valid[position] as string);
          const replacement = alphabet[(original + shift) % alphabet.length] as string;
          fc.pre(replacement !== valid[position]);
          const corrupted = valid.slice(0, position) + replacement + valid.slice(position + 1);
          expect(computeCheckDigit(corrupted.slice(0, 17))).not.toBe(corrupted[17]);
        },
      ),
    );
  });

  it('any swap of two adjacent, different digits among the first 17 fails the check', () => {
    // Swapping a,b at i,i+1 changes the sum by (w_i - w_{i+1})(b - a) = w_{i+1}(b - a), since w_i = 2·w_{i+1} mod 11.
    fc.assert(
      fc.property(first17, fc.integer({ min: 0, max: 15 }), (prefix, position) => {
        fc.pre(prefix[position] !== prefix[position + 1]);
        const swapped =
          prefix.slice(0, position) + prefix[position + 1] + prefix[position] + prefix.slice(position + 2);
        expect(computeCheckDigit(swapped)).not.toBe(computeCheckDigit(prefix));
      }),
    );
  });

  it('masking never reveals the birth date', () => {
    fc.assert(
      fc.property(first17, (prefix) => {
        const masked = maskResidentId(prefix + computeCheckDigit(prefix));
        expect(masked.slice(6, 14)).toBe('********');
        expect(masked).toHaveLength(18);
      }),
    );
  });
});

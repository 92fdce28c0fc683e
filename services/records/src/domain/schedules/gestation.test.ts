import fc from 'fast-check';
import { InvalidArgumentError } from '../../../../common/src/errors';
import { isoDateOf } from '../calendar';
import { datingLmpFromEdd, eddFromDatingScan, eddFromLmp, gestationalAgeOn } from './gestation';

function fieldOf(attempt: () => unknown): string | undefined {
  try {
    attempt();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations[0]?.field;
    throw error;
  }
  return undefined;
}

describe('pregnancy dating', () => {
  it('puts the EDD 280 days after the LMP (Naegele), across a leap day', () => {
    expect(eddFromLmp('2026-01-05')).toBe('2026-10-12');
    expect(eddFromLmp('2023-06-01')).toBe('2024-03-07');
    expect(datingLmpFromEdd('2026-10-12')).toBe('2026-01-05');
  });

  it('counts gestational age in completed weeks and days', () => {
    expect(gestationalAgeOn('2026-01-05', '2026-01-05')).toEqual({ weeks: 0, days: 0 });
    expect(gestationalAgeOn('2026-01-05', '2026-03-30')).toEqual({ weeks: 12, days: 0 });
    expect(gestationalAgeOn('2026-01-05', '2026-04-05')).toEqual({ weeks: 12, days: 6 });
    expect(gestationalAgeOn('2026-01-05', '2026-10-12')).toEqual({ weeks: 40, days: 0 });
  });

  it('is 40+0 on the EDD for any LMP (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), (day) => {
        const lmp = isoDateOf(day);
        const age = gestationalAgeOn(lmp, eddFromLmp(lmp));
        return age.weeks === 40 && age.days === 0;
      }),
    );
  });

  it('dates from an early scan: scan date minus the CRL gestational age plus 280 days', () => {
    // 2026-03-10 at 8+3 (59 days): dating LMP 2026-01-10, EDD 2026-10-17.
    expect(eddFromDatingScan('2026-03-10', { weeks: 8, days: 3 })).toBe('2026-10-17');
    expect(eddFromDatingScan('2026-03-10', { weeks: 6, days: 0 })).toBe('2026-11-03');
    expect(eddFromDatingScan('2026-03-10', { weeks: 13, days: 6 })).toBe('2026-09-09');
  });

  it('names the bad field', () => {
    expect(fieldOf(() => eddFromDatingScan('2026-03-10', { weeks: 14, days: 0 }))).toBe('gestationalAgeAtScan');
    expect(fieldOf(() => eddFromDatingScan('2026-03-10', { weeks: 5, days: 6 }))).toBe('gestationalAgeAtScan');
    expect(fieldOf(() => eddFromDatingScan('2026-03-10', { weeks: 9, days: 7 }))).toBe('gestationalAgeAtScan');
    expect(fieldOf(() => eddFromDatingScan('2026-02-30', { weeks: 9, days: 0 }))).toBe('scanDate');
    expect(fieldOf(() => gestationalAgeOn('2026-01-05', '2026-01-04'))).toBe('onDate');
    expect(fieldOf(() => eddFromLmp('05/01/2026'))).toBe('lmp');
  });
});

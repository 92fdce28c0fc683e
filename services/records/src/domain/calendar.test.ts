import fc from 'fast-check';
import { InvalidArgumentError } from '../../../common/src/errors';
import { addMonths, addOffset, completedYears, dayNumberOf, isoDateOf, parseIsoDate } from './calendar';

const day = (iso: string): number => dayNumberOf(iso) as number;

describe('calendar dates', () => {
  it('reads real dates and refuses rolled-over or malformed ones', () => {
    expect(isoDateOf(day('2024-02-29'))).toBe('2024-02-29');
    expect(dayNumberOf('2025-02-29')).toBeUndefined();
    expect(dayNumberOf('2025-13-01')).toBeUndefined();
    expect(dayNumberOf('2025-1-01')).toBeUndefined();
    expect(dayNumberOf('2025-01-01T00:00:00Z')).toBeUndefined();
  });

  it('names the field of a bad date', () => {
    try {
      parseIsoDate('2025-02-30', 'anchors.birth');
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).violations[0]?.field).toBe('anchors.birth');
    }
  });

  it('round-trips every day number through its ISO date', () => {
    fc.assert(fc.property(fc.integer({ min: -30_000, max: 60_000 }), (n) => dayNumberOf(isoDateOf(n)) === n));
  });
});

describe('calendar offsets', () => {
  it('adds months to the same day of the month, or the last day of a shorter month', () => {
    expect(isoDateOf(addMonths(day('2025-01-31'), 1))).toBe('2025-02-28');
    expect(isoDateOf(addMonths(day('2024-01-31'), 1))).toBe('2024-02-29');
    expect(isoDateOf(addMonths(day('2025-03-31'), 6))).toBe('2025-09-30');
    expect(isoDateOf(addMonths(day('2025-11-15'), 3))).toBe('2026-02-15');
    expect(isoDateOf(addMonths(day('2025-03-15'), -3))).toBe('2024-12-15');
  });

  it('applies years and months before weeks and days', () => {
    expect(isoDateOf(addOffset(day('2025-01-31'), { months: 1, days: -14 }))).toBe('2025-02-14');
    expect(isoDateOf(addOffset(day('2024-02-29'), { years: 1 }))).toBe('2025-02-28');
    expect(isoDateOf(addOffset(day('2025-01-01'), { weeks: 12, days: 6 }))).toBe('2025-04-01');
    expect(isoDateOf(addOffset(day('2025-06-10'), { years: 4, months: -1 }))).toBe('2029-05-10');
  });

  it('counts completed years, not yet a year older on the day before the birthday', () => {
    expect(completedYears(day('1990-06-15'), day('2025-06-14'))).toBe(34);
    expect(completedYears(day('1990-06-15'), day('2025-06-15'))).toBe(35);
    expect(completedYears(day('1990-12-31'), day('2026-01-01'))).toBe(35);
  });
});

import { FailedPreconditionError } from '../../../common/src/errors';
import { nextStatus } from './appointment-status';

const past = new Date('2026-01-01T00:00:00Z');
const now = new Date('2026-06-01T00:00:00Z');
const future = new Date('2026-12-01T00:00:00Z');

describe('appointment moves (FHIR states)', () => {
  it('books, arrives, fulfils; cancels; marks a no-show once it has started', () => {
    expect(nextStatus('booked', 'arrive', past, now)).toBe('arrived');
    expect(nextStatus('arrived', 'fulfil', past, now)).toBe('fulfilled');
    expect(nextStatus('booked', 'cancel', future, now)).toBe('cancelled');
    expect(nextStatus('booked', 'reschedule', future, now)).toBe('booked');
    expect(nextStatus('booked', 'no-show', past, now)).toBe('noshow');
  });

  it('refuses moves out of final states and a no-show before the start', () => {
    for (const [from, move] of [
      ['cancelled', 'cancel'],
      ['fulfilled', 'cancel'],
      ['noshow', 'reschedule'],
      ['cancelled', 'arrive'],
      ['arrived', 'no-show'],
    ] as const) {
      expect(() => nextStatus(from, move, past, now)).toThrow(FailedPreconditionError);
    }
    expect(() => nextStatus('booked', 'no-show', future, now)).toThrow('before it starts');
  });
});

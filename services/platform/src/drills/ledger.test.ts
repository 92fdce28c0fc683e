import { checkLedger, LedgerEntry, longestWriteGapMs, median, percentile } from './ledger';

const entry = (
  element: string,
  outcome: LedgerEntry['outcome'],
  finishedAtMs = 0,
  unknownAttempts = 0,
): LedgerEntry => ({
  element,
  idempotencyKey: `k-${element}`,
  outcome,
  attempts: 1 + unknownAttempts,
  unknownAttempts,
  startedAtMs: finishedAtMs - 5,
  finishedAtMs,
});

describe('checkLedger', () => {
  it('passes when every acknowledged write is stored once and nothing else is', () => {
    const report = checkLedger(
      [entry('a', 'acknowledged'), entry('b', 'failed'), entry('c', 'unknown'), entry('d', 'acknowledged', 0, 2)],
      ['a', 'c', 'd'],
    );
    expect(report).toMatchObject({
      attempted: 4,
      acknowledged: 2,
      failed: 1,
      unknown: 1,
      unknownResolved: 1,
      unknownPresent: 1,
      unknownAbsent: 0,
      valid: true,
    });
  });

  it('reports an acknowledged write that is missing as lost', () => {
    const report = checkLedger([entry('a', 'acknowledged'), entry('b', 'acknowledged')], ['a']);
    expect(report.lost).toEqual(['b']);
    expect(report.valid).toBe(false);
  });

  it('reports an element stored twice as duplicated', () => {
    expect(checkLedger([entry('a', 'acknowledged')], ['a', 'a']).duplicated).toEqual(['a']);
  });

  it('reports an element nobody wrote as unexpected', () => {
    expect(checkLedger([entry('a', 'acknowledged')], ['a', 'z']).unexpected).toEqual(['z']);
  });

  it('reports a definitively refused write that is present', () => {
    expect(checkLedger([entry('a', 'failed')], ['a']).failedButPresent).toEqual(['a']);
  });

  it('accepts an unknown outcome either way', () => {
    expect(checkLedger([entry('a', 'unknown'), entry('b', 'unknown')], ['a'])).toMatchObject({
      unknownPresent: 1,
      unknownAbsent: 1,
      valid: true,
    });
  });
});

describe('longestWriteGapMs', () => {
  it('is the longest stretch without an acknowledgement, edges included', () => {
    const entries = [
      entry('a', 'acknowledged', 100),
      entry('b', 'acknowledged', 150),
      entry('c', 'failed', 300),
      entry('d', 'acknowledged', 900),
    ];
    expect(longestWriteGapMs(entries, 0, 1000)).toBe(750);
    expect(longestWriteGapMs(entries, 0, 2000)).toBe(1100);
    expect(longestWriteGapMs([], 0, 500)).toBe(500);
  });
});

describe('median and percentile', () => {
  it('summarise distributions', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});

// The acknowledged-write ledger of a drill, checked like Jepsen's set checker: every write a client saw
// acknowledged must be in the database exactly once; nothing may appear that nobody wrote.

/** How one logical write ended, from the client's side, after its retries with the same idempotency key. */
export type WriteOutcome = 'acknowledged' | 'failed' | 'unknown';

export interface LedgerEntry {
  /** The element the write adds (unique per write), e.g. a resident ID. */
  readonly element: string;
  readonly idempotencyKey: string;
  readonly outcome: WriteOutcome;
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** Attempts whose outcome was unknown (UNAVAILABLE, timeout, connection lost) before the final answer. */
  readonly unknownAttempts: number;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
}

export interface LedgerReport {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** Still unknown after every retry. */
  readonly unknown: number;
  /** Unknown outcomes later resolved by a retry with the same key. */
  readonly unknownResolved: number;
  /** Acknowledged but absent: must be 0. */
  readonly lost: readonly string[];
  /** Present more than once: must be 0. */
  readonly duplicated: readonly string[];
  /** Present but never attempted: must be 0. */
  readonly unexpected: readonly string[];
  /** Definitively refused yet present: must be 0. */
  readonly failedButPresent: readonly string[];
  /** Unknown outcomes that turned out to have committed / not committed. */
  readonly unknownPresent: number;
  readonly unknownAbsent: number;
  readonly valid: boolean;
}

/** Checks the ledger against the elements found in the database (with multiplicity). */
export function checkLedger(entries: readonly LedgerEntry[], stored: readonly string[]): LedgerReport {
  const counts = new Map<string, number>();
  for (const element of stored) counts.set(element, (counts.get(element) ?? 0) + 1);
  const attempted = new Set(entries.map((entry) => entry.element));
  const lost: string[] = [];
  const failedButPresent: string[] = [];
  let unknownPresent = 0;
  let unknownAbsent = 0;
  for (const entry of entries) {
    const present = (counts.get(entry.element) ?? 0) > 0;
    if (entry.outcome === 'acknowledged' && !present) lost.push(entry.element);
    if (entry.outcome === 'failed' && present) failedButPresent.push(entry.element);
    if (entry.outcome === 'unknown') {
      if (present) unknownPresent++;
      else unknownAbsent++;
    }
  }
  const duplicated = [...counts].filter(([, count]) => count > 1).map(([element]) => element);
  const unexpected = [...counts.keys()].filter((element) => !attempted.has(element));
  return {
    attempted: entries.length,
    acknowledged: entries.filter((entry) => entry.outcome === 'acknowledged').length,
    failed: entries.filter((entry) => entry.outcome === 'failed').length,
    unknown: entries.filter((entry) => entry.outcome === 'unknown').length,
    unknownResolved: entries.filter((entry) => entry.outcome !== 'unknown' && entry.unknownAttempts > 0).length,
    lost,
    duplicated,
    unexpected,
    failedButPresent,
    unknownPresent,
    unknownAbsent,
    valid: lost.length === 0 && duplicated.length === 0 && unexpected.length === 0 && failedButPresent.length === 0,
  };
}

/**
 * The write gap seen by clients: the longest time, within [fromMs, toMs], during which no write was
 * acknowledged. Acknowledgements are placed at their finish time.
 */
export function longestWriteGapMs(entries: readonly LedgerEntry[], fromMs: number, toMs: number): number {
  const acks = entries
    .filter((entry) => entry.outcome === 'acknowledged' && entry.finishedAtMs >= fromMs && entry.finishedAtMs <= toMs)
    .map((entry) => entry.finishedAtMs)
    .sort((a, b) => a - b);
  let previous = fromMs;
  let longest = 0;
  for (const at of [...acks, toMs]) {
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return longest;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

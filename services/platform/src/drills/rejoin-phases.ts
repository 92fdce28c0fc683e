// Where a rejoining zone spends its time, read from its own log (Patroni and PostgreSQL lines, each stamped
// by the supervisor): crash recovery, pg_rewind, start as a standby, streaming.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Zone } from '../patroni';

/** Milliseconds from the restart to the first line of each phase; absent when the phase did not happen. */
export interface RejoinPhases {
  readonly crashRecoveryAtMs?: number;
  readonly rewindStartAtMs?: number;
  readonly rewindEndAtMs?: number;
  /** A rewind that failed makes Patroni remove the data directory and clone the zone again. */
  readonly recloneAtMs?: number;
  readonly standbyStartAtMs?: number;
  readonly streamingAtMs?: number;
}

const MARKERS: ReadonlyArray<[keyof RejoinPhases, RegExp]> = [
  ['crashRecoveryAtMs', /doing crash recovery in a single user mode/],
  ['rewindStartAtMs', /running pg_rewind from/],
  ['rewindEndAtMs', /pg_rewind exit code=/],
  [
    'recloneAtMs',
    /removing data directory|trying to bootstrap from (replica|leader)|replica has been created using basebackup/i,
  ],
  ['standbyStartAtMs', /starting as a secondary/],
  ['streamingAtMs', /started streaming WAL from primary/],
];

/** Parses `logs/<zone>.log` lines written at or after `sinceMs`. */
export function rejoinPhases(logDir: string, zone: Zone, sinceMs: number): RejoinPhases {
  let text: string;
  try {
    text = readFileSync(join(logDir, `${zone}.log`), 'utf8');
  } catch {
    return {};
  }
  const phases: Partial<Record<keyof RejoinPhases, number>> = {};
  for (const line of text.split('\n')) {
    const stamp = Date.parse(line.slice(0, 24));
    if (!Number.isFinite(stamp) || stamp < sinceMs) continue;
    for (const [phase, marker] of MARKERS) {
      if (phases[phase] === undefined && marker.test(line)) phases[phase] = stamp - sinceMs;
    }
  }
  return phases;
}

export function describePhases(phases: RejoinPhases): string {
  const parts: string[] = [];
  if (phases.crashRecoveryAtMs !== undefined) parts.push(`crash recovery +${phases.crashRecoveryAtMs}`);
  if (phases.rewindStartAtMs !== undefined)
    parts.push(`pg_rewind +${phases.rewindStartAtMs}..+${phases.rewindEndAtMs ?? '?'}`);
  if (phases.recloneAtMs !== undefined) parts.push(`RE-CLONE +${phases.recloneAtMs}`);
  if (phases.standbyStartAtMs !== undefined) parts.push(`standby start +${phases.standbyStartAtMs}`);
  if (phases.streamingAtMs !== undefined) parts.push(`streaming +${phases.streamingAtMs}`);
  return parts.length === 0 ? 'no phase lines found' : `${parts.join(', ')} ms`;
}

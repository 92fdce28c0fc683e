// After a drill: the ledger checked against what each zone's database holds.
import { Client } from 'pg';
import { withConnection } from '../database';
import type { Zone } from '../patroni';
import type { Platform } from '../platform';
import { sleep } from '../proc';
import { checkLedger, type LedgerReport } from './ledger';
import type { RegistrationLoad } from './load';

export interface LedgerSummary {
  readonly checkedOn: string;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly unknown: number;
  /** Writes that met an unknown outcome (503, 504, timeout, network error) and how their retries ended. */
  readonly afterUnknown: Readonly<Record<string, number>>;
  /** Writes still unknown after the retry budget, found committed / not committed. */
  readonly unknownPresent: number;
  readonly unknownAbsent: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly unexpected: number;
  readonly failedButPresent: number;
  readonly examples: {
    readonly lost: readonly string[];
    readonly duplicated: readonly string[];
    readonly unexpected: readonly string[];
  };
  /** Every attempt's answer. */
  readonly answers: Readonly<Record<string, number>>;
  /** The first bodies of each kind of non-200 answer. */
  readonly answerExamples: Readonly<Record<string, readonly string[]>>;
  readonly clientErrors: readonly string[];
  readonly valid: boolean;
}

/** Every row the drill could have written (its names share a prefix), with multiplicity. */
export async function storedElements(url: string, namePrefix: string, timeoutMs = 60_000): Promise<string[]> {
  return withConnection(url, timeoutMs, async (client) => {
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM identity.patients WHERE name LIKE $1`, [
      `${namePrefix}%`,
    ]);
    return rows.map((row) => row.name);
  });
}

export function summarise(load: RegistrationLoad, report: LedgerReport, checkedOn: string): LedgerSummary {
  return {
    checkedOn,
    attempted: report.attempted,
    acknowledged: report.acknowledged,
    failed: report.failed,
    unknown: report.unknown,
    afterUnknown: load.resolvedAfterUnknown.toObject(),
    unknownPresent: report.unknownPresent,
    unknownAbsent: report.unknownAbsent,
    lost: report.lost.length,
    duplicated: report.duplicated.length,
    unexpected: report.unexpected.length,
    failedButPresent: report.failedButPresent.length,
    examples: {
      lost: report.lost.slice(0, 5),
      duplicated: report.duplicated.slice(0, 5),
      unexpected: report.unexpected.slice(0, 5),
    },
    answers: load.answers.toObject(),
    answerExamples: Object.fromEntries(load.answerExamples),
    clientErrors: [...new Set(load.clientErrors)].slice(0, 10),
    valid: report.valid,
  };
}

/** The ledger against the primary, through the read-write endpoint. */
export async function checkOnPrimary(
  platform: Platform,
  load: RegistrationLoad,
  namePrefix: string,
): Promise<LedgerSummary> {
  const stored = await storedElements(platform.rwUrl, namePrefix);
  return summarise(load, checkLedger(load.entries, stored), 'primary (read-write endpoint)');
}

/** Waits until `zone` has replayed everything the primary had written when called. */
export async function waitForReplay(
  platform: Platform,
  primary: Zone,
  standby: Zone,
  timeoutMs = 60_000,
): Promise<void> {
  const target = await withConnection(platform.zoneDatabaseUrl(primary), 10_000, async (client) => {
    const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]?.lsn ?? '0/0';
  });
  const deadline = Date.now() + timeoutMs;
  const client = new Client({ connectionString: platform.zoneDatabaseUrl(standby), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ caught_up: boolean }>(
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up',
        [target],
      );
      if (rows[0]?.caught_up === true) return;
      if (Date.now() > deadline) throw new Error(`${standby} did not replay up to ${target} within ${timeoutMs} ms`);
      await sleep(100);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The ledger against a standby zone's own copy, once it has replayed the primary's WAL: RPO 0 on both zones. */
export async function checkOnStandby(
  platform: Platform,
  load: RegistrationLoad,
  namePrefix: string,
  primary: Zone,
  standby: Zone,
): Promise<LedgerSummary> {
  await waitForReplay(platform, primary, standby);
  const stored = await storedElements(platform.zoneDatabaseUrl(standby), namePrefix);
  return summarise(load, checkLedger(load.entries, stored), `standby ${standby} (direct, after replay)`);
}

/** `withAttempts`: also the answers every attempt got (the same for every check of one load). */
export function describeLedger(summary: LedgerSummary, withAttempts = true): string[] {
  const afterUnknown =
    Object.entries(summary.afterUnknown)
      .map(([how, count]) => `${count} ${how}`)
      .join(', ') || 'none';
  const answers = Object.entries(summary.answers)
    .map(([label, count]) => `${label} ×${count}`)
    .join(', ');
  return [
    `ledger on ${summary.checkedOn}: attempted ${summary.attempted}, acknowledged ${summary.acknowledged}, failed ${summary.failed}, unknown ${summary.unknown}` +
      ` (present ${summary.unknownPresent}, absent ${summary.unknownAbsent})`,
    `  lost ${summary.lost}, duplicated ${summary.duplicated}, unexpected ${summary.unexpected}, refused-but-present ${summary.failedButPresent}` +
      `${summary.valid ? ' — valid' : ' — INVALID'}`,
    ...(withAttempts ? [`  writes that met an unknown outcome, then: ${afterUnknown}`, `  attempts: ${answers}`] : []),
    ...(summary.examples.lost.length > 0 ? [`  lost e.g. ${summary.examples.lost.join(', ')}`] : []),
    ...(summary.examples.duplicated.length > 0 ? [`  duplicated e.g. ${summary.examples.duplicated.join(', ')}`] : []),
    ...(summary.examples.unexpected.length > 0 ? [`  unexpected e.g. ${summary.examples.unexpected.join(', ')}`] : []),
    ...(withAttempts
      ? Object.entries(summary.answerExamples).flatMap(([label, bodies]) =>
          bodies.map((body) => `  ${label} e.g. ${body}`),
        )
      : []),
    ...(withAttempts ? summary.clientErrors.map((error) => `  client: ${error}`) : []),
  ];
}

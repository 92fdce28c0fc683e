// The point-in-time-recovery drill: acknowledged writes, a base backup, more acknowledged writes, then a
// mistake (every row deleted, on both zones at once, as synchronous replication copies it) and writes after
// it; the whole database is restored to the moment before the mistake into a fresh pair, and the drill
// checks that exactly the rows acknowledged before that moment are back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startPlatform, type Platform } from '../platform';
import { sleep } from '../proc';

export interface PitrOptions {
  /** Rows acknowledged before the base backup, and again between the backup and the target. */
  readonly rows: number;
  readonly keepData: boolean;
  readonly log: (line: string) => void;
}

export const DEFAULT_PITR_OPTIONS: Omit<PitrOptions, 'log'> = { rows: 2_000, keepData: false };

export interface PitrReport {
  readonly target: string;
  /** Rows acknowledged before the target (all must come back). */
  readonly acknowledgedBeforeTarget: number;
  /** Rows written after the target (none may come back). */
  readonly writtenAfterTarget: number;
  readonly restoredRows: number;
  readonly missing: number;
  readonly unexpected: number;
  readonly backupMs: number;
  readonly backupBytes: number;
  /** From the mistake to the WAL that holds it being in the repository (`pgbackrest check`). */
  readonly archiveMs: number;
  /** From the restore command to the restored pair leading with its synchronous standby. */
  readonly restoreMs: number;
  readonly restoredTimeline: number | undefined;
  readonly passed: boolean;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Inserts ids from..to-1 in batches; each batch is acknowledged (committed on both zones) when the call returns. */
async function insertRange(client: Client, from: number, to: number, phase: string): Promise<void> {
  for (let start = from; start < to; start += 200) {
    const end = Math.min(to, start + 200);
    await client.query(
      `INSERT INTO pitr_ledger (id, phase) SELECT g, $3 FROM generate_series($1::bigint, $2::bigint) g`,
      [start, end - 1, phase],
    );
  }
}

export async function runPitrDrill(options: PitrOptions): Promise<PitrReport> {
  const { log, rows } = options;
  const sourceDir = mkdtempSync(join(tmpdir(), 'mch-pitr-source-'));
  const restoredDir = mkdtempSync(join(tmpdir(), 'mch-pitr-restored-'));
  let source: Platform | undefined;
  let restored: Platform | undefined;
  try {
    source = await startPlatform({ dataDir: sourceDir, ports: 'free', services: [], log });
    await source.waitForSync();
    const url = source.rwUrl;
    await withClient(url, (client) =>
      client.query(
        'CREATE TABLE pitr_ledger (id bigint PRIMARY KEY, phase text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())',
      ),
    );
    await withClient(url, (client) => insertRange(client, 0, rows, 'before-backup'));
    log(`pitr: ${rows} rows acknowledged; taking a full backup`);
    const backup = await source.backup('full');
    const info = await source.backupInfo();
    const backupBytes = info.backups.at(-1)?.repositoryBytes ?? 0;
    log(
      `pitr: full backup ${backup.label ?? '?'} in ${(backup.ms / 1000).toFixed(1)} s, ${(backupBytes / 1e6).toFixed(1)} MB in the repository`,
    );
    // pgBackRest picks the newest backup that stopped before the target, at whole seconds.
    await sleep(2_000);
    await withClient(url, (client) => insertRange(client, rows, 2 * rows, 'after-backup'));
    // The target: after the last acknowledged row's commit, before the mistake.
    await sleep(50);
    const target = new Date();
    await sleep(1_000);
    const mistakeAt = Date.now();
    const writtenAfter = Math.max(1, Math.floor(rows / 10));
    await withClient(url, async (client) => {
      await client.query('DELETE FROM pitr_ledger');
      await insertRange(client, 10 * rows, 10 * rows + writtenAfter, 'after-mistake');
    });
    log(
      `pitr: mistake at ${new Date(mistakeAt).toISOString()} (every row deleted), ${writtenAfter} rows written after it`,
    );
    await source.checkArchive();
    const archiveMs = Date.now() - mistakeAt;

    log(`pitr: restoring to ${target.toISOString()} into a fresh pair`);
    const restoreBegan = Date.now();
    restored = await startPlatform({
      dataDir: restoredDir,
      ports: 'free',
      services: [],
      log,
      restoreFrom: { dataDir: sourceDir, target },
    });
    const status = await restored.waitForSync();
    const restoreMs = Date.now() - restoreBegan;
    const ids = await withClient(restored.rwUrl, async (client) =>
      (await client.query<{ id: string }>('SELECT id FROM pitr_ledger ORDER BY id')).rows.map((row) => Number(row.id)),
    );
    const present = new Set(ids);
    let missing = 0;
    for (let id = 0; id < 2 * rows; id++) if (!present.has(id)) missing++;
    const unexpected = ids.filter((id) => id < 0 || id >= 2 * rows).length;
    const report: PitrReport = {
      target: target.toISOString(),
      acknowledgedBeforeTarget: 2 * rows,
      writtenAfterTarget: writtenAfter,
      restoredRows: ids.length,
      missing,
      unexpected,
      backupMs: backup.ms,
      backupBytes,
      archiveMs,
      restoreMs,
      restoredTimeline: status.timeline,
      passed: missing === 0 && unexpected === 0 && ids.length === 2 * rows,
    };
    return report;
  } finally {
    await restored?.stop().catch((error: unknown) => log(`restored pair: stop failed: ${String(error)}`));
    await source?.stop().catch((error: unknown) => log(`source: stop failed: ${String(error)}`));
    if (!options.keepData) {
      rmSync(sourceDir, { recursive: true, force: true });
      rmSync(restoredDir, { recursive: true, force: true });
    } else {
      log(`pitr: data kept in ${sourceDir} and ${restoredDir}`);
    }
  }
}

export function describePitr(report: PitrReport): string {
  return [
    `PITR drill: ${report.passed ? 'PASS' : 'FAIL'}`,
    `  target                       ${report.target}`,
    `  acknowledged before target   ${report.acknowledgedBeforeTarget}`,
    `  written after target         ${report.writtenAfterTarget} (must not return)`,
    `  restored rows                ${report.restoredRows}  missing ${report.missing}  unexpected ${report.unexpected}`,
    `  full backup                  ${(report.backupMs / 1000).toFixed(1)} s, ${(report.backupBytes / 1e6).toFixed(1)} MB in the repository`,
    `  mistake archived after       ${(report.archiveMs / 1000).toFixed(1)} s`,
    `  restore into a fresh pair    ${(report.restoreMs / 1000).toFixed(1)} s (restore, replay, promote, standby cloned and synchronous; timeline ${report.restoredTimeline ?? '?'})`,
  ].join('\n');
}

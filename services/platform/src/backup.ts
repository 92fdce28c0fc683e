// Continuous backups of the two-zone database with pgBackRest: WAL archived from whichever zone leads, base
// backups on demand or on a schedule, retention by count of full backups, and a restore to a point in time
// into a fresh pair (a new platform bootstrapped by Patroni from the backup). Locally the repository is a
// directory of the platform's data dir; in Kubernetes CloudNativePG's own backups take this role.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureOwnedDirectory, giveToAccount, type OsAccount } from './account';
import { pgDataDir, zoneDir, type Zone, ZONES } from './patroni';
import { SUPERUSER, type DatabaseCredentials } from './secrets';
import { parseBackupInfo, type BackupInfo } from '../../common/src/pgbackrest';

export type { BackupInfo, BackupSummary } from '../../common/src/pgbackrest';

export const STANZA = 'mch';
export const PGBACKREST_BIN = '/usr/bin/pgbackrest';

export type BackupType = 'full' | 'diff' | 'incr';

export interface BackupSettings {
  /** Full backups kept (older ones and the WAL only they need are expired). */
  readonly retentionFull: number;
  /** Seconds after which a partly filled WAL segment is archived anyway: the backups' worst-case lag. */
  readonly archiveTimeoutSeconds: number;
}

export const DEFAULT_BACKUP_SETTINGS: BackupSettings = { retentionFull: 2, archiveTimeoutSeconds: 30 };

export function backupDir(dataDir: string): string {
  return join(dataDir, 'backup');
}

export function backupConfigPath(dataDir: string): string {
  return join(backupDir(dataDir), 'pgbackrest.conf');
}

export function backupRepoPath(dataDir: string): string {
  return join(backupDir(dataDir), 'repo');
}

/** The settings from MCH_BACKUP_RETENTION_FULL / MCH_BACKUP_ARCHIVE_TIMEOUT, validated. */
export function backupSettingsFrom(env: NodeJS.ProcessEnv): BackupSettings {
  const read = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`${name} must be an integer from ${min} to ${max}, not ${raw}`);
    return value;
  };
  return {
    retentionFull: read('MCH_BACKUP_RETENTION_FULL', DEFAULT_BACKUP_SETTINGS.retentionFull, 1, 100),
    archiveTimeoutSeconds: read('MCH_BACKUP_ARCHIVE_TIMEOUT', DEFAULT_BACKUP_SETTINGS.archiveTimeoutSeconds, 5, 3600),
  };
}

export interface BackupConfigOptions {
  readonly dataDir: string;
  readonly postgresPorts: Readonly<Record<Zone, number>>;
  readonly settings: BackupSettings;
}

/** pgbackrest.conf: one stanza whose two hosts are the zones; pgBackRest finds the primary among them itself. */
export function backupConfiguration(options: BackupConfigOptions): string {
  const dir = backupDir(options.dataDir);
  const lines = [
    '[global]',
    `repo1-path=${backupRepoPath(options.dataDir)}`,
    `repo1-retention-full=${options.settings.retentionFull}`,
    `log-path=${join(dir, 'log')}`,
    `lock-path=${join(dir, 'lock')}`,
    `spool-path=${join(dir, 'spool')}`,
    'log-level-console=warn',
    'log-level-file=info',
    'start-fast=y',
    'compress-type=lz4',
    'process-max=1',
    // How long archive-push / check wait for a segment to reach the repository.
    'archive-timeout=60',
    '',
    `[${STANZA}]`,
  ];
  ZONES.forEach((zone, index) => {
    const n = index + 1;
    lines.push(
      `pg${n}-path=${pgDataDir(options.dataDir, zone)}`,
      `pg${n}-port=${options.postgresPorts[zone]}`,
      `pg${n}-socket-path=${zoneDir(options.dataDir, zone)}`,
      `pg${n}-user=${SUPERUSER}`,
    );
  });
  return `${lines.join('\n')}\n`;
}

export function writeBackupConfiguration(options: BackupConfigOptions, account: OsAccount): string {
  const dir = backupDir(options.dataDir);
  ensureOwnedDirectory(dir, account, 0o700);
  for (const sub of ['repo', 'log', 'lock', 'spool']) ensureOwnedDirectory(join(dir, sub), account, 0o700);
  const path = backupConfigPath(options.dataDir);
  writeFileSync(path, backupConfiguration(options), { mode: 0o600 });
  giveToAccount(path, account);
  return path;
}

/**
 * The PostgreSQL settings of one zone's member that archive every completed WAL segment while it leads. archive-push
 * takes the cluster it runs in as pg1 and refuses a data directory other than pg1-path, so each member names its
 * own (with the configuration's pg1 = az-a alone, archiving stopped at the first failover to az-b).
 */
/** One word for sh, whatever the value holds (spaces, quotes). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function archiveParameters(dataDir: string, settings: BackupSettings, zone: Zone): Record<string, string> {
  return {
    archive_mode: 'on',
    // PostgreSQL runs archive_command through sh: a data dir with spaces must stay one argument.
    archive_command: `${PGBACKREST_BIN} ${shellQuote(`--config=${backupConfigPath(dataDir)}`)} --stanza=${STANZA} ${shellQuote(`--pg1-path=${pgDataDir(dataDir, zone)}`)} archive-push %p`,
    archive_timeout: `${settings.archiveTimeoutSeconds}s`,
  };
}

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs pgBackRest as the platform's OS account, with the superuser password for its database connections. */
export function runPgBackRest(
  dataDir: string,
  account: OsAccount,
  credentials: DatabaseCredentials,
  args: readonly string[],
  timeoutMs = 600_000,
): Promise<CommandResult> {
  const began = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(PGBACKREST_BIN, [`--config=${backupConfigPath(dataDir)}`, `--stanza=${STANZA}`, ...args], {
      env: {
        PATH: '/usr/bin:/bin',
        LANG: 'C.UTF-8',
        PGPASSWORD: credentials.superuserPassword,
        HOME: backupDir(dataDir),
      },
      cwd: backupDir(dataDir),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(account.switched ? { uid: account.uid, gid: account.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr, ms: Date.now() - began });
    });
  });
}

async function mustRun(
  dataDir: string,
  account: OsAccount,
  credentials: DatabaseCredentials,
  args: readonly string[],
): Promise<CommandResult> {
  const result = await runPgBackRest(dataDir, account, credentials, args);
  if (result.status !== 0)
    throw new Error(
      `pgbackrest ${args.join(' ')} failed (${result.status}): ${(result.stderr || result.stdout).trim().slice(0, 800)}`,
    );
  return result;
}

/** Creates the stanza (idempotent: an existing one for the same database is accepted). */
export async function ensureStanza(
  dataDir: string,
  account: OsAccount,
  credentials: DatabaseCredentials,
): Promise<void> {
  await mustRun(dataDir, account, credentials, ['stanza-create']);
}

/** Forces a WAL switch and waits until the segment is in the repository: everything committed so far is archived. */
export async function checkArchive(
  dataDir: string,
  account: OsAccount,
  credentials: DatabaseCredentials,
): Promise<void> {
  await mustRun(dataDir, account, credentials, ['check']);
}

export interface BackupRun {
  readonly type: BackupType;
  readonly ms: number;
  readonly label: string | undefined;
}

export async function takeBackup(
  dataDir: string,
  account: OsAccount,
  credentials: DatabaseCredentials,
  type: BackupType,
): Promise<BackupRun> {
  const result = await mustRun(dataDir, account, credentials, [`--type=${type}`, 'backup']);
  const info = await backupInfo(dataDir, account, credentials);
  return { type, ms: result.ms, label: info.backups.at(-1)?.label };
}

export async function backupInfo(
  dataDir: string,
  account: OsAccount,
  credentials: DatabaseCredentials,
): Promise<BackupInfo> {
  const result = await mustRun(dataDir, account, credentials, ['--output=json', 'info']);
  return parseBackupInfo(result.stdout);
}

export interface RestoreSource {
  /** The data dir of the platform whose backups are restored. */
  readonly dataDir: string;
  /** Recover to this instant (the last transaction committed at or before it is the last one kept). */
  readonly target: Date;
}

/** PostgreSQL's recovery_target_time syntax, in UTC. */
export function recoveryTargetTime(target: Date): string {
  return `${target.toISOString().replace('T', ' ').replace('Z', '')}+00`;
}

/**
 * The script Patroni runs as az-a's custom bootstrap of a restored pair: pgBackRest restores the newest
 * backup before the target from the source's repository into az-a's empty data directory and leaves a
 * recovery configuration that replays the archived WAL up to the target and then promotes.
 */
export function restoreScript(source: RestoreSource, targetDataDir: string): string {
  const pgdata = pgDataDir(targetDataDir, 'az-a');
  return [
    '#!/bin/sh',
    '# Written by the platform: bootstrap of a restored pair (see services/platform/src/backup.ts).',
    'set -eu',
    `mkdir -p ${shellQuote(pgdata)}`,
    `chmod 700 ${shellQuote(pgdata)}`,
    [
      PGBACKREST_BIN,
      shellQuote(`--config=${backupConfigPath(source.dataDir)}`),
      `--stanza=${STANZA}`,
      shellQuote(`--pg1-path=${pgdata}`),
      '--type=time',
      shellQuote(`--target=${recoveryTargetTime(source.target)}`),
      '--target-action=promote',
      '--log-level-console=info',
      'restore',
    ].join(' '),
    '',
  ].join('\n');
}

export function writeRestoreScript(source: RestoreSource, targetDataDir: string, account: OsAccount): string {
  if (!existsSync(backupConfigPath(source.dataDir)))
    throw new Error(`${source.dataDir} has no backup configuration (${backupConfigPath(source.dataDir)})`);
  const path = join(zoneDir(targetDataDir, 'az-a'), 'restore-from-backup.sh');
  writeFileSync(path, restoreScript(source, targetDataDir), { mode: 0o700 });
  chmodSync(path, 0o700);
  giveToAccount(path, account);
  return path;
}

/** Patroni's bootstrap section for az-a of a restored pair: the custom method instead of initdb. */
export function restoreBootstrap(scriptPath: string): Record<string, unknown> {
  return {
    method: 'pgbackrest',
    pgbackrest: { command: scriptPath, keep_existing_recovery_conf: true, no_params: true },
  };
}

// pgBackRest's view of a backup repository (`pgbackrest info --output=json`), read by the platform's backup
// commands and by the replication service for its status.
import { execFile } from 'node:child_process';

export interface BackupSummary {
  readonly label: string;
  readonly type: string;
  readonly startedAt: Date;
  readonly stoppedAt: Date;
  /** Database size at backup time, bytes. */
  readonly databaseBytes: number;
  /** Size in the repository (compressed), bytes. */
  readonly repositoryBytes: number;
  readonly walStart: string;
  readonly walStop: string;
}

export interface BackupInfo {
  readonly status: string;
  readonly backups: readonly BackupSummary[];
  /** Oldest and newest WAL segment in the archive. */
  readonly archiveMin: string | undefined;
  readonly archiveMax: string | undefined;
}

interface RawInfo {
  status?: { message?: string };
  backup?: {
    label: string;
    type: string;
    timestamp: { start: number; stop: number };
    info: { size: number; repository: { delta: number; size: number } };
    archive: { start: string; stop: string };
  }[];
  archive?: { min?: string | null; max?: string | null }[];
}

export function parseBackupInfo(json: string): BackupInfo {
  const stanzas = JSON.parse(json) as RawInfo[];
  const stanza = stanzas[0];
  if (!stanza) return { status: 'missing stanza', backups: [], archiveMin: undefined, archiveMax: undefined };
  const archive = stanza.archive?.at(-1);
  return {
    status: stanza.status?.message ?? 'unknown',
    backups: (stanza.backup ?? []).map((backup) => ({
      label: backup.label,
      type: backup.type,
      startedAt: new Date(backup.timestamp.start * 1000),
      stoppedAt: new Date(backup.timestamp.stop * 1000),
      databaseBytes: backup.info.size,
      repositoryBytes: backup.info.repository.size,
      walStart: backup.archive.start,
      walStop: backup.archive.stop,
    })),
    archiveMin: archive?.min ?? undefined,
    archiveMax: archive?.max ?? undefined,
  };
}

/**
 * `pgbackrest info` for one stanza, without writing a log file (the service may run as another OS user than the
 * repository's owner); rejects when the command fails or times out.
 */
export function readBackupInfo(
  configPath: string,
  stanza: string,
  timeoutMs = 15_000,
  binary = '/usr/bin/pgbackrest',
): Promise<BackupInfo> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      [
        `--config=${configPath}`,
        `--stanza=${stanza}`,
        '--output=json',
        '--log-level-file=off',
        '--log-level-console=off',
        'info',
      ],
      { timeout: timeoutMs, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`pgbackrest info: ${(stderr || error.message).trim().slice(0, 300)}`));
        try {
          resolve(parseBackupInfo(stdout));
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}

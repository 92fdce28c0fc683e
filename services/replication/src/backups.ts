// The backup repository in the replication status: read with `pgbackrest info` every minute (when the deployment
// names a pgBackRest configuration), with a warning when the newest backup is older than it should be or the
// repository reports a problem. Locally the platform passes its configuration; in Kubernetes CloudNativePG owns
// backups and this stays unconfigured (its Backup resources are the place to look).
import type { BackupStatus } from '../../common/src/gen/mch/replication/v1/replication';
import type { Logger } from '../../common/src/logger';
import { readBackupInfo, type BackupInfo } from '../../common/src/pgbackrest';

export const BACKUP_WARNING = 'backups:';

export interface BackupMonitorOptions {
  readonly configPath: string | undefined;
  readonly stanza: string;
  readonly intervalMs: number;
  /** A newest backup older than this is a warning. */
  readonly staleAfterMs: number;
  readonly logger: Logger;
  readonly read?: (configPath: string, stanza: string) => Promise<BackupInfo>;
  /** The primary's WAL archiver (pg_stat_archiver): a failing archive_command stops point-in-time recovery. */
  readonly archiver?: () => Promise<ArchiverState>;
  readonly now?: () => Date;
}

export interface ArchiverState {
  readonly lastArchivedAt: Date | undefined;
  readonly lastFailedAt: Date | undefined;
  readonly lastFailedWal: string | undefined;
}

/** A warning when the primary's last archive attempt failed: every commit since is missing from the archive. */
export function describeArchiver(state: ArchiverState | undefined): string[] {
  if (!state?.lastFailedAt) return [];
  if (state.lastArchivedAt && state.lastArchivedAt >= state.lastFailedAt) return [];
  const since = state.lastArchivedAt
    ? `the last segment archived at ${state.lastArchivedAt.toISOString()}`
    : 'no segment archived by this primary yet';
  return [
    `${BACKUP_WARNING} WAL archiving on the primary is failing (${state.lastFailedWal ?? 'a segment'} at ${state.lastFailedAt.toISOString()}; ${since}): point-in-time recovery stops there`,
  ];
}

/** The status fields and warnings for what the repository said (or failed to say). */
export function describeBackups(
  info: BackupInfo | undefined,
  error: string | undefined,
  checkedAt: Date,
  staleAfterMs: number,
): { status: BackupStatus; warnings: string[] } {
  const last = info?.backups.at(-1);
  const status: BackupStatus = {
    configured: true,
    repositoryStatus: error ?? info?.status ?? 'not read yet',
    lastBackupAt: last?.stoppedAt,
    lastBackupType: last?.type ?? '',
    lastBackupLabel: last?.label ?? '',
    backups: info?.backups.length ?? 0,
    repositoryBytes: String(info?.backups.reduce((sum, backup) => sum + backup.repositoryBytes, 0) ?? 0),
    newestArchivedWal: info?.archiveMax ?? '',
    checkedAt,
  };
  const warnings: string[] = [];
  if (error) warnings.push(`${BACKUP_WARNING} the repository could not be read (${error})`);
  // pgBackRest says "no valid backups" before the first one: that is the warning below, not a repository fault.
  else if (info && info.status !== 'ok' && !(info.backups.length === 0 && info.status === 'no valid backups'))
    warnings.push(`${BACKUP_WARNING} the repository reports "${info.status}"`);
  if (info && !last) warnings.push(`${BACKUP_WARNING} no base backup yet: point-in-time recovery is not possible`);
  if (last && checkedAt.getTime() - last.stoppedAt.getTime() > staleAfterMs) {
    warnings.push(
      `${BACKUP_WARNING} the newest base backup is ${Math.round((checkedAt.getTime() - last.stoppedAt.getTime()) / 3_600_000)} h old`,
    );
  }
  return { status, warnings };
}

export class BackupMonitor {
  private current: { status: BackupStatus; warnings: string[] } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: BackupMonitorOptions) {}

  get configured(): boolean {
    return this.options.configPath !== undefined;
  }

  async start(): Promise<void> {
    if (!this.configured) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const configPath = this.options.configPath;
    if (configPath === undefined) return;
    const read = this.options.read ?? readBackupInfo;
    const checkedAt = (this.options.now ?? (() => new Date()))();
    // The archiver's state is one more warning; not being able to read it (a failover in progress) is none.
    const archiver = await this.options.archiver?.().catch(() => undefined);
    try {
      const info = await read(configPath, this.options.stanza);
      const described = describeBackups(info, undefined, checkedAt, this.options.staleAfterMs);
      this.current = { status: described.status, warnings: [...described.warnings, ...describeArchiver(archiver)] };
      this.lastError = undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastError) this.options.logger.warn({ err: error }, 'backup repository could not be read');
      this.lastError = message;
      this.current = describeBackups(undefined, message, checkedAt, this.options.staleAfterMs);
    }
  }

  status(): { status: BackupStatus; warnings: string[] } {
    if (!this.configured) {
      return {
        status: {
          configured: false,
          repositoryStatus: '',
          lastBackupType: '',
          lastBackupLabel: '',
          backups: 0,
          repositoryBytes: '0',
          newestArchivedWal: '',
        },
        warnings: [],
      };
    }
    return this.current ?? describeBackups(undefined, undefined, new Date(), this.options.staleAfterMs);
  }
}

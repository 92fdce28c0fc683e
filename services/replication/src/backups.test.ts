import { describeBackups } from './backups';

const checkedAt = new Date('2026-11-25T12:00:00Z');
const backup = (stoppedAt: string) => ({
  label: 'L',
  type: 'full',
  startedAt: new Date(stoppedAt),
  stoppedAt: new Date(stoppedAt),
  databaseBytes: 10,
  repositoryBytes: 4,
  walStart: 'a',
  walStop: 'b',
});

describe('backup status', () => {
  const day = 26 * 3_600_000;

  it('reports the newest backup and warns of nothing while it is recent', () => {
    const { status, warnings } = describeBackups({ status: 'ok', backups: [backup('2026-11-24T12:00:00Z'), backup('2026-11-25T11:00:00Z')], archiveMin: 'x', archiveMax: 'y' }, undefined, checkedAt, day);
    expect(status).toMatchObject({ configured: true, repositoryStatus: 'ok', backups: 2, repositoryBytes: '8', newestArchivedWal: 'y', lastBackupAt: new Date('2026-11-25T11:00:00Z') });
    expect(warnings).toEqual([]);
  });

  it('warns when the newest backup is stale, when there is none, and when the repository cannot be read', () => {
    expect(describeBackups({ status: 'ok', backups: [backup('2026-11-23T12:00:00Z')], archiveMin: undefined, archiveMax: undefined }, undefined, checkedAt, day).warnings).toEqual([
      'backups: the newest base backup is 48 h old',
    ]);
    expect(describeBackups({ status: 'ok', backups: [], archiveMin: undefined, archiveMax: undefined }, undefined, checkedAt, day).warnings).toEqual([
      'backups: no base backup yet: point-in-time recovery is not possible',
    ]);
    const unreadable = describeBackups(undefined, 'pgbackrest info: permission denied', checkedAt, day);
    expect(unreadable.status.repositoryStatus).toBe('pgbackrest info: permission denied');
    expect(unreadable.warnings).toEqual(['backups: the repository could not be read (pgbackrest info: permission denied)']);
  });
});

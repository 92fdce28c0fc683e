import { describeArchiver, describeBackups } from './backups';

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
    const { status, warnings } = describeBackups(
      {
        status: 'ok',
        backups: [backup('2026-11-24T12:00:00Z'), backup('2026-11-25T11:00:00Z')],
        archiveMin: 'x',
        archiveMax: 'y',
      },
      undefined,
      checkedAt,
      day,
    );
    expect(status).toMatchObject({
      configured: true,
      repositoryStatus: 'ok',
      backups: 2,
      repositoryBytes: '8',
      newestArchivedWal: 'y',
      lastBackupAt: new Date('2026-11-25T11:00:00Z'),
    });
    expect(warnings).toEqual([]);
  });

  it('warns when the newest backup is stale, when there is none, and when the repository cannot be read', () => {
    expect(
      describeBackups(
        { status: 'ok', backups: [backup('2026-11-23T12:00:00Z')], archiveMin: undefined, archiveMax: undefined },
        undefined,
        checkedAt,
        day,
      ).warnings,
    ).toEqual(['backups: the newest base backup is 48 h old']);
    expect(
      describeBackups(
        { status: 'ok', backups: [], archiveMin: undefined, archiveMax: undefined },
        undefined,
        checkedAt,
        day,
      ).warnings,
    ).toEqual(['backups: no base backup yet: point-in-time recovery is not possible']);
    const unreadable = describeBackups(undefined, 'pgbackrest info: permission denied', checkedAt, day);
    expect(unreadable.status.repositoryStatus).toBe('pgbackrest info: permission denied');
    expect(unreadable.warnings).toEqual([
      'backups: the repository could not be read (pgbackrest info: permission denied)',
    ]);
  });

  it("warns while the primary's WAL archiving fails, and not once a segment was archived after the failure", () => {
    const failedAt = new Date('2026-11-25T10:00:00Z');
    expect(
      describeArchiver({
        lastArchivedAt: new Date('2026-11-25T09:59:00Z'),
        lastFailedAt: failedAt,
        lastFailedWal: '000000020000000000000007',
      }),
    ).toEqual([
      'backups: WAL archiving on the primary is failing (000000020000000000000007 at 2026-11-25T10:00:00.000Z; the last segment archived at 2026-11-25T09:59:00.000Z): point-in-time recovery stops there',
    ]);
    expect(
      describeArchiver({ lastArchivedAt: undefined, lastFailedAt: failedAt, lastFailedWal: undefined })[0],
    ).toContain('no segment archived by this primary yet');
    expect(
      describeArchiver({
        lastArchivedAt: new Date('2026-11-25T10:00:30Z'),
        lastFailedAt: failedAt,
        lastFailedWal: 'x',
      }),
    ).toEqual([]);
    expect(
      describeArchiver({
        lastArchivedAt: new Date('2026-11-25T10:00:30Z'),
        lastFailedAt: undefined,
        lastFailedWal: undefined,
      }),
    ).toEqual([]);
    expect(describeArchiver(undefined)).toEqual([]);
  });
});

import { spawnSync } from 'node:child_process';
import {
  archiveParameters,
  backupConfiguration,
  backupSettingsFrom,
  recoveryTargetTime,
  restoreBootstrap,
  restoreScript,
} from './backup';
import { parseBackupInfo } from '../../common/src/pgbackrest';

describe('backup configuration', () => {
  it('names both zones as hosts of one stanza, with the retention asked for', () => {
    const conf = backupConfiguration({
      dataDir: '/srv/mch',
      postgresPorts: { 'az-a': 5433, 'az-b': 5434 },
      settings: { retentionFull: 3, archiveTimeoutSeconds: 30 },
    });
    expect(conf).toContain('repo1-path=/srv/mch/backup/repo');
    expect(conf).toContain('repo1-retention-full=3');
    expect(conf).toContain('[mch]');
    expect(conf).toContain('pg1-path=/srv/mch/az-a/pgdata\npg1-port=5433\npg1-socket-path=/srv/mch/az-a');
    expect(conf).toContain('pg2-path=/srv/mch/az-b/pgdata\npg2-port=5434\npg2-socket-path=/srv/mch/az-b');
  });

  it("archives every segment through pgBackRest from the member's own data directory, and a partly filled one after the archive timeout", () => {
    expect(archiveParameters('/srv/mch', { retentionFull: 2, archiveTimeoutSeconds: 45 }, 'az-b')).toEqual({
      archive_mode: 'on',
      archive_command:
        "/usr/bin/pgbackrest '--config=/srv/mch/backup/pgbackrest.conf' --stanza=mch '--pg1-path=/srv/mch/az-b/pgdata' archive-push %p",
      archive_timeout: '45s',
    });
    expect(
      archiveParameters('/srv/mch', { retentionFull: 2, archiveTimeoutSeconds: 45 }, 'az-a').archive_command,
    ).toContain("'--pg1-path=/srv/mch/az-a/pgdata' archive-push");
    // sh keeps a data dir with spaces and quotes as one argument
    const command =
      archiveParameters("/srv/my mch's", { retentionFull: 2, archiveTimeoutSeconds: 45 }, 'az-a').archive_command ?? '';
    const words = spawnSync('sh', ['-c', `for word in ${command.replace(' %p', '')}; do echo "$word"; done`], {
      encoding: 'utf8',
    })
      .stdout.trim()
      .split('\n');
    expect(words).toEqual([
      '/usr/bin/pgbackrest',
      "--config=/srv/my mch's/backup/pgbackrest.conf",
      '--stanza=mch',
      "--pg1-path=/srv/my mch's/az-a/pgdata",
      'archive-push',
    ]);
  });

  it('reads its settings from the environment and names a bad one', () => {
    expect(backupSettingsFrom({})).toEqual({ retentionFull: 2, archiveTimeoutSeconds: 30 });
    expect(backupSettingsFrom({ MCH_BACKUP_RETENTION_FULL: '7', MCH_BACKUP_ARCHIVE_TIMEOUT: '60' })).toEqual({
      retentionFull: 7,
      archiveTimeoutSeconds: 60,
    });
    expect(() => backupSettingsFrom({ MCH_BACKUP_RETENTION_FULL: '0' })).toThrow(/MCH_BACKUP_RETENTION_FULL/);
    expect(() => backupSettingsFrom({ MCH_BACKUP_ARCHIVE_TIMEOUT: 'soon' })).toThrow(/MCH_BACKUP_ARCHIVE_TIMEOUT/);
  });
});

describe('restore', () => {
  const target = new Date('2026-11-25T20:15:40.946Z');

  it('states the target in UTC as PostgreSQL reads it', () => {
    expect(recoveryTargetTime(target)).toBe('2026-11-25 20:15:40.946+00');
  });

  it('restores into az-a of the new pair from the source repository, to the target, then promotes', () => {
    const script = restoreScript({ dataDir: '/srv/old', target }, '/srv/new');
    expect(script).toContain('--config=/srv/old/backup/pgbackrest.conf');
    expect(script).toContain("'--pg1-path=/srv/new/az-a/pgdata'");
    expect(script).toContain("'--target=2026-11-25 20:15:40.946+00'");
    expect(script).toContain('--type=time');
    expect(script).toContain('--target-action=promote');
    expect(script.trim().endsWith('restore')).toBe(true);
  });

  it('quotes paths so that a data dir with a quote cannot break out of the script', () => {
    const script = restoreScript({ dataDir: "/srv/o'ld", target }, '/srv/new');
    expect(script).toContain(`'--config=/srv/o'\\''ld/backup/pgbackrest.conf'`);
  });

  it('keeps the recovery settings pgBackRest writes', () => {
    expect(restoreBootstrap('/x/restore.sh')).toEqual({
      method: 'pgbackrest',
      pgbackrest: { command: '/x/restore.sh', keep_existing_recovery_conf: true, no_params: true },
    });
  });
});

describe('backup info', () => {
  it("reads pgBackRest's JSON", () => {
    const info = parseBackupInfo(
      JSON.stringify([
        {
          name: 'mch',
          status: { code: 0, message: 'ok' },
          archive: [{ id: '15-1', min: '000000010000000000000001', max: '000000010000000000000009' }],
          backup: [
            {
              label: '20261125-201535F',
              type: 'full',
              timestamp: { start: 1764101735, stop: 1764101739 },
              info: { size: 30_000_000, delta: 30_000_000, repository: { size: 6_100_000, delta: 6_100_000 } },
              archive: { start: '000000010000000000000003', stop: '000000010000000000000003' },
            },
          ],
        },
      ]),
    );
    expect(info.status).toBe('ok');
    expect(info.archiveMax).toBe('000000010000000000000009');
    expect(info.backups).toEqual([
      {
        label: '20261125-201535F',
        type: 'full',
        startedAt: new Date(1764101735_000),
        stoppedAt: new Date(1764101739_000),
        databaseBytes: 30_000_000,
        repositoryBytes: 6_100_000,
        walStart: '000000010000000000000003',
        walStop: '000000010000000000000003',
      },
    ]);
    expect(parseBackupInfo('[]').backups).toEqual([]);
  });
});

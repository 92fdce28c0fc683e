// The unprivileged OS account the database tier runs under (PostgreSQL refuses root) and ownership of its files.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';

export interface OsAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** True when the platform switches to this account for its child processes (it runs as root). */
  readonly switched: boolean;
}

export const PLATFORM_OS_USER = 'mch';

function idOf(flag: '-u' | '-g', user: string): number | undefined {
  const result = spawnSync('id', [flag, user], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const id = Number(result.stdout.trim());
  return Number.isInteger(id) ? id : undefined;
}

/**
 * As root: the `mch` system user (created if missing). Otherwise: the current user, since an
 * unprivileged user can run PostgreSQL itself.
 */
export function platformAccount(log: (line: string) => void): OsAccount {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid !== 0) return { name: process.env['USER'] ?? String(uid), uid, gid, switched: false };
  if (idOf('-u', PLATFORM_OS_USER) === undefined) {
    log(`creating system user ${PLATFORM_OS_USER}`);
    const created = spawnSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', PLATFORM_OS_USER],
      { encoding: 'utf8' },
    );
    if (created.status !== 0 && idOf('-u', PLATFORM_OS_USER) === undefined) {
      throw new Error(`useradd ${PLATFORM_OS_USER} failed: ${created.stderr.trim()}`);
    }
  }
  const accountUid = idOf('-u', PLATFORM_OS_USER);
  const accountGid = idOf('-g', PLATFORM_OS_USER);
  if (accountUid === undefined || accountGid === undefined) throw new Error(`cannot resolve user ${PLATFORM_OS_USER}`);
  return { name: PLATFORM_OS_USER, uid: accountUid, gid: accountGid, switched: true };
}

/** A directory the account owns (mode as given); parents are created as needed. */
export function ensureOwnedDirectory(path: string, account: OsAccount, mode = 0o750): void {
  mkdirSync(path, { recursive: true, mode });
  if (account.switched) chownSync(path, account.uid, account.gid);
}

export function giveToAccount(path: string, account: OsAccount): void {
  if (account.switched) chownSync(path, account.uid, account.gid);
}

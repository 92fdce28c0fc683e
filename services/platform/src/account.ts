// The unprivileged OS account the database tier runs under (PostgreSQL refuses root) and ownership of its files.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

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
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        PLATFORM_OS_USER,
      ],
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

/**
 * A directory the account owns with exactly `mode` (whatever the umask), whose every ancestor the account can
 * traverse. Missing ancestors are created 0755 and owned by the invoking user. As root, an existing ancestor
 * the account cannot traverse (a checkout under /root or a `mktemp -d` folder, both 0700) gets one narrow
 * ACL entry, `u:mch:--x` (search only: the account still cannot list or read it), and the grant is logged;
 * nothing outside the data directory is chmod-ed. When no grant is possible the error says what to do.
 */
export function ensureOwnedDirectory(
  path: string,
  account: OsAccount,
  mode = 0o750,
  log: (line: string) => void = () => undefined,
): void {
  const target = resolve(path);
  const missing: string[] = [];
  for (let dir = target; !existsSync(dir); dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    mkdirSync(dir);
    if (dir !== target) chmodSync(dir, 0o755);
  }
  chmodSync(target, mode);
  if (!account.switched) return;
  chownSync(target, account.uid, account.gid);
  grantTraversal(dirname(target), account, log);
}

/** Whether `account` can search `dir` (and so every directory above it). */
function canTraverse(dir: string, account: OsAccount): boolean {
  return spawnSync('/usr/bin/test', ['-x', dir], { uid: account.uid, gid: account.gid, stdio: 'ignore' }).status === 0;
}

function grantTraversal(dir: string, account: OsAccount, log: (line: string) => void): void {
  if (canTraverse(dir, account)) return;
  // Top-down: the first ancestor the account cannot search is the one to grant.
  const chain: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    chain.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const ancestor of chain) {
    if (canTraverse(ancestor, account)) continue;
    const granted = spawnSync('setfacl', ['-m', `u:${account.name}:--x`, ancestor], { encoding: 'utf8' });
    if (granted.error !== undefined || granted.status !== 0 || !canTraverse(ancestor, account)) {
      const why = granted.error?.message ?? granted.stderr.trim();
      throw new Error(
        `the database tier runs as the unprivileged user ${account.name}, who cannot enter ${ancestor}, and ` +
          `granting it search access failed (setfacl: ${why || 'no effect'}); set MCH_DATA_DIR to a directory ` +
          `${account.name} can reach (e.g. /var/lib/mch-alliance) or run: setfacl -m u:${account.name}:--x ${ancestor}`,
      );
    }
    log(
      `granted ${account.name} search-only access (setfacl -m u:${account.name}:--x) to ${ancestor}, so it can reach the data directory`,
    );
  }
}

export function giveToAccount(path: string, account: OsAccount): void {
  if (account.switched) chownSync(path, account.uid, account.gid);
}

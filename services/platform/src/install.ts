// Debian packages the platform runs on: checks them with dpkg and installs what is missing (root only).
import { spawnSync } from 'node:child_process';

export const REQUIRED_PACKAGES = [
  'postgresql-15',
  'patroni',
  // Patroni's etcd client: its package depends on any one DCS client, so with another present (pysyncobj) none is etcd's.
  'python3-etcd',
  'etcd-server',
  'etcd-client',
  'haproxy',
  'redis-server',
  'pgbackrest',
] as const;

/**
 * Only when the platform runs as root: setfacl, to let the database tier's account search a folder above the
 * data dir (a checkout under /root) without opening the folder to everyone.
 */
export const ROOT_PACKAGES = ['acl'] as const;

export type RequiredPackage = (typeof REQUIRED_PACKAGES)[number] | (typeof ROOT_PACKAGES)[number];

export class MissingPackagesError extends Error {
  constructor(
    readonly missing: readonly string[],
    readonly installCommand: string,
  ) {
    super(`missing packages: ${missing.join(', ')}; install them with:\n  ${installCommand}`);
    this.name = 'MissingPackagesError';
  }
}

export function isPackageInstalled(name: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

export function missingPackages(asRoot = process.getuid?.() === 0): RequiredPackage[] {
  const required: readonly RequiredPackage[] = asRoot ? [...REQUIRED_PACKAGES, ...ROOT_PACKAGES] : REQUIRED_PACKAGES;
  return required.filter((name) => !isPackageInstalled(name));
}

function runApt(args: readonly string[], log: (line: string) => void): void {
  log(`apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' },
  });
  if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed with status ${String(result.status)}`);
}

/**
 * Installs missing packages when running as root. Services the packages start on their standard ports
 * (PostgreSQL 5432, Redis 6379, etcd 2379) are left alone: the platform never uses those ports.
 * As another user, throws MissingPackagesError carrying the exact sudo command.
 */
export function installPrerequisites(log: (line: string) => void = console.log): RequiredPackage[] {
  const missing = missingPackages();
  if (missing.length === 0) return [];
  const installArgs = ['install', '-y', '--no-install-recommends', ...missing];
  if (process.getuid?.() !== 0) {
    throw new MissingPackagesError(missing, `sudo apt-get update && sudo apt-get ${installArgs.join(' ')}`);
  }
  runApt(['update'], log);
  runApt(['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...installArgs], log);
  const stillMissing = missingPackages();
  if (stillMissing.length > 0) throw new Error(`packages still missing after install: ${stillMissing.join(', ')}`);
  return missing;
}

// Secrets of one platform (database passwords, the service secret): generated once, kept in the data dir
// (mode 0600), reused on every start.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DatabaseCredentials {
  /** The Patroni superuser (`postgres`). */
  readonly superuserPassword: string;
  /** Streaming replication between the zones (`replicator`). */
  readonly replicationPassword: string;
  /** pg_rewind of a returning zone (`rewinder`). */
  readonly rewindPassword: string;
  /** The owner role `mch`: it owns the database and every schema and runs migrations and sweeps. */
  readonly appPassword: string;
  /** Each gRPC service's own login role `mch_<service>`, confined to its schema (database.ts). */
  readonly servicePasswords: Readonly<Record<string, string>>;
  /** Identity derives every service's credential from it (services/common/src/auth/service-identity.ts). */
  readonly serviceSecret: string;
}

export const SUPERUSER = 'postgres';
export const REPLICATION_USER = 'replicator';
export const REWIND_USER = 'rewinder';
export const APP_USER = 'mch';
export const APP_DATABASE = 'mch';
/** The services that reach the database, each as its own role `mch_<service>` on its own schema. */
export const DATABASE_SERVICES = [
  'identity',
  'records',
  'scheduling',
  'referral',
  'consultation',
  'replication',
] as const;

export function serviceRoleName(service: string): string {
  return `${APP_USER}_${service}`;
}

function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

type StoredCredentials = Omit<DatabaseCredentials, 'serviceSecret' | 'servicePasswords'> & {
  serviceSecret?: string;
  servicePasswords?: Record<string, string>;
};

function isCredentials(value: unknown): value is StoredCredentials {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['superuserPassword', 'replicationPassword', 'rewindPassword', 'appPassword'].every(
    (key) => typeof record[key] === 'string' && record[key].length > 0,
  );
}

export function loadOrCreateCredentials(dataDir: string): DatabaseCredentials {
  const path = join(dataDir, 'secrets.json');
  if (existsSync(path)) {
    const stored: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isCredentials(stored)) throw new Error(`${path} is not a valid credentials file`);
    chmodSync(path, 0o600);
    const serviceSecret =
      typeof stored.serviceSecret === 'string' && stored.serviceSecret.length > 0 ? stored.serviceSecret : undefined;
    const servicePasswords = withServicePasswords(stored.servicePasswords);
    const current: DatabaseCredentials = { ...stored, serviceSecret: serviceSecret ?? newPassword(), servicePasswords };
    // A data dir from before service identities or service roles: add what is missing, keep the passwords.
    if (serviceSecret === undefined || servicePasswords !== stored.servicePasswords) {
      writeFileSync(path, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
    }
    return current;
  }
  const created: DatabaseCredentials = {
    superuserPassword: newPassword(),
    replicationPassword: newPassword(),
    rewindPassword: newPassword(),
    appPassword: newPassword(),
    serviceSecret: newPassword(),
    servicePasswords: withServicePasswords(undefined),
  };
  writeFileSync(path, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return created;
}

/** The stored service passwords, with one generated for each service that has none (the same object when complete). */
function withServicePasswords(stored: Record<string, string> | undefined): Record<string, string> {
  const missing = DATABASE_SERVICES.filter(
    (service) => typeof stored?.[service] !== 'string' || stored[service] === '',
  );
  if (stored !== undefined && missing.length === 0) return stored;
  return { ...stored, ...Object.fromEntries(missing.map((service) => [service, newPassword()])) };
}

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
  /** The application role `mch`. */
  readonly appPassword: string;
  /** Identity derives every service's credential from it (services/common/src/auth/service-identity.ts). */
  readonly serviceSecret: string;
}

export const SUPERUSER = 'postgres';
export const REPLICATION_USER = 'replicator';
export const REWIND_USER = 'rewinder';
export const APP_USER = 'mch';
export const APP_DATABASE = 'mch';

function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

function isCredentials(value: unknown): value is Omit<DatabaseCredentials, 'serviceSecret'> & { serviceSecret?: string } {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['superuserPassword', 'replicationPassword', 'rewindPassword', 'appPassword'].every(
    (key) => typeof record[key] === 'string' && (record[key]).length > 0,
  );
}

export function loadOrCreateCredentials(dataDir: string): DatabaseCredentials {
  const path = join(dataDir, 'secrets.json');
  if (existsSync(path)) {
    const stored: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isCredentials(stored)) throw new Error(`${path} is not a valid credentials file`);
    chmodSync(path, 0o600);
    const { serviceSecret } = stored;
    if (typeof serviceSecret === 'string' && serviceSecret.length > 0) return { ...stored, serviceSecret };
    // A data dir from before service identities: add the secret, keep the passwords.
    const upgraded: DatabaseCredentials = { ...stored, serviceSecret: newPassword() };
    writeFileSync(path, `${JSON.stringify(upgraded, null, 2)}\n`, { mode: 0o600 });
    return upgraded;
  }
  const created: DatabaseCredentials = {
    superuserPassword: newPassword(),
    replicationPassword: newPassword(),
    rewindPassword: newPassword(),
    appPassword: newPassword(),
    serviceSecret: newPassword(),
  };
  writeFileSync(path, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return created;
}

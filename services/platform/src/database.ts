// The application's database, created idempotently through the read-write endpoint: database `mch` owned by the
// owner role `mch` (migrations, sweeps), and one login role `mch_<service>` per service, which owns nothing and
// which the owner's migrations confine to the service's schema (common/src/pg/migrate.ts, confineServiceRole).
import { Client } from 'pg';
import { sleep } from './proc';
import {
  APP_DATABASE,
  APP_USER,
  DATABASE_SERVICES,
  SUPERUSER,
  serviceRoleName,
  type DatabaseCredentials,
} from './secrets';

export function postgresUrl(user: string, password: string, port: number, database: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

export function appDatabaseUrl(credentials: DatabaseCredentials, port: number): string {
  return postgresUrl(APP_USER, credentials.appPassword, port, APP_DATABASE);
}

/** A service's own role on the application database. */
export function serviceDatabaseUrl(credentials: DatabaseCredentials, service: string, port: number): string {
  const password = credentials.servicePasswords[service];
  if (password === undefined) throw new Error(`no database password for service ${service}`);
  return postgresUrl(serviceRoleName(service), password, port, APP_DATABASE);
}

/** The roles a service role may be a member of: pg_monitor for replication (pg_stat_replication), none for the others. */
export function serviceRoleMemberships(service: string): readonly string[] {
  return service === 'replication' ? ['pg_monitor'] : [];
}

/** Runs `work` on a fresh connection, retrying connection failures (HAProxy may not route yet) until the deadline. */
export async function withConnection<T>(
  url: string,
  timeoutMs: number,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await sleep(250);
      continue;
    }
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Creates or updates the owner role `mch`, database `mch` owned by it and the services' roles (their passwords follow
 * the secrets file). None is a superuser or may create roles or databases. The owner keeps pg_monitor for the drills'
 * replication watch; of the services' roles only replication holds it (serviceRoleMemberships).
 */
export async function provisionAppDatabase(
  credentials: DatabaseCredentials,
  readWritePort: number,
  timeoutMs: number,
): Promise<void> {
  const adminUrl = postgresUrl(SUPERUSER, credentials.superuserPassword, readWritePort, 'postgres');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withConnection(adminUrl, Math.max(deadline - Date.now(), 0), (client) =>
        ensureRoleAndDatabase(client, credentials),
      );
      return;
    } catch (error) {
      // A primary that is being demoted answers "read-only transaction": wait for HAProxy to follow Patroni.
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** What no application role may be or do: only the Patroni superuser administers the cluster. */
const CONFINED = 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';

async function ensureRoleAndDatabase(client: Client, credentials: DatabaseCredentials): Promise<void> {
  const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_USER]);
  const verb = role.rowCount === 0 ? 'CREATE' : 'ALTER';
  await client.query(
    `${verb} ROLE ${APP_USER} WITH LOGIN ${CONFINED} PASSWORD ${quoteLiteral(credentials.appPassword)}`,
  );
  await client.query(`GRANT pg_monitor TO ${APP_USER}`);
  for (const service of DATABASE_SERVICES) {
    const name = serviceRoleName(service);
    const password = credentials.servicePasswords[service];
    if (password === undefined) throw new Error(`no database password for service ${service}`);
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    await client.query(
      `${exists.rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE ${name} WITH LOGIN ${CONFINED} PASSWORD ${quoteLiteral(password)}`,
    );
    const allowed = serviceRoleMemberships(service);
    const held = await client.query<{ rolname: string }>(
      'SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1',
      [name],
    );
    for (const { rolname } of held.rows)
      if (!allowed.includes(rolname)) await client.query(`REVOKE "${rolname.replace(/"/g, '""')}" FROM ${name}`);
    for (const membership of allowed) await client.query(`GRANT ${membership} TO ${name}`);
  }
  const database = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
  if (database.rowCount === 0) {
    await client.query(`CREATE DATABASE ${APP_DATABASE} OWNER ${APP_USER} ENCODING 'UTF8'`);
  }
}

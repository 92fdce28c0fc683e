// The application's database: role `mch` and database `mch`, created idempotently through the read-write endpoint.
import { Client } from 'pg';
import { sleep } from './proc';
import { APP_DATABASE, APP_USER, SUPERUSER, type DatabaseCredentials } from './secrets';

export function postgresUrl(user: string, password: string, port: number, database: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

export function appDatabaseUrl(credentials: DatabaseCredentials, port: number): string {
  return postgresUrl(APP_USER, credentials.appPassword, port, APP_DATABASE);
}

/** Runs `work` on a fresh connection, retrying connection failures (HAProxy may not route yet) until the deadline. */
export async function withConnection<T>(url: string, timeoutMs: number, work: (client: Client) => Promise<T>): Promise<T> {
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
 * Creates or updates role `mch` (its password follows the secrets file) and database `mch` owned by it.
 * pg_monitor lets the replication service read pg_stat_replication; it grants no write access.
 */
export async function provisionAppDatabase(credentials: DatabaseCredentials, readWritePort: number, timeoutMs: number): Promise<void> {
  const adminUrl = postgresUrl(SUPERUSER, credentials.superuserPassword, readWritePort, 'postgres');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withConnection(adminUrl, Math.max(deadline - Date.now(), 0), (client) => ensureRoleAndDatabase(client, credentials));
      return;
    } catch (error) {
      // A primary that is being demoted answers "read-only transaction": wait for HAProxy to follow Patroni.
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

async function ensureRoleAndDatabase(client: Client, credentials: DatabaseCredentials): Promise<void> {
  const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_USER]);
  const verb = role.rowCount === 0 ? 'CREATE' : 'ALTER';
  await client.query(`${verb} ROLE ${APP_USER} WITH LOGIN PASSWORD ${quoteLiteral(credentials.appPassword)}`);
  await client.query(`GRANT pg_monitor TO ${APP_USER}`);
  const database = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
  if (database.rowCount === 0) {
    await client.query(`CREATE DATABASE ${APP_DATABASE} OWNER ${APP_USER} ENCODING 'UTF8'`);
  }
}

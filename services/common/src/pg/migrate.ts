// Schema migrations: the kit's own tables, then the service's numbered SQL files, each in its own
// transaction, under an advisory lock so that replicas starting together apply each file exactly once.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../logger';
import { serviceDir } from '../paths';

export interface Migration {
  readonly source: string;
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const MIGRATION_FILE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/** Reads `NNN_name.sql` files of a folder, in version order. */
export function readMigrations(source: string, dir: string): Migration[] {
  return readdirSync(dir)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort()
    .map((file) => {
      const [, version, name] = MIGRATION_FILE.exec(file) as RegExpExecArray;
      const sql = readFileSync(path.join(dir, file), 'utf8');
      return {
        source,
        version: Number(version),
        name: name as string,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/** The kit's migrations (idempotency keys, ...) followed by the service's own. */
export function migrationsFor(service: string): Migration[] {
  return [
    ...readMigrations('kit', path.join(serviceDir('common'), 'migrations')),
    ...readMigrations(service, path.join(serviceDir(service), 'migrations')),
  ];
}

export interface MigrateOptions {
  readonly url: string;
  readonly schema: string;
  readonly migrations: readonly Migration[];
  readonly logger: Logger;
  /**
   * The service's own login role (`mch_<service>`), confined to the schema after the migrations: given when the
   * migrations run as the owner role while the service connects as this one (the platform and the chart do).
   */
  readonly serviceRole?: string;
}

/** What a table's `service_role_grants` row may list: privileges a service role can hold on a table. */
const TABLE_PRIVILEGES = /^((SELECT|INSERT|UPDATE|DELETE)(, (SELECT|INSERT|UPDATE|DELETE))*)?$/;

function quoteIdent(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`unsafe identifier ${identifier}`);
  return `"${identifier}"`;
}

/** Applies pending migrations to `schema`; fails if an applied file was edited since. Returns versions applied. */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const schema = quoteIdent(options.schema);
  const client = new Client({ connectionString: options.url, application_name: `${options.schema}-migrate` });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`mch:migrate:${options.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET search_path TO ${schema}, public`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      source text NOT NULL, version integer NOT NULL, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source, version))`);
    const { rows } = await client.query<{ source: string; version: number; checksum: string }>(
      'SELECT source, version, checksum FROM schema_migrations',
    );
    const done = new Map(rows.map((row) => [`${row.source}:${row.version}`, row.checksum]));
    for (const migration of options.migrations) {
      const id = `${migration.source}:${migration.version}`;
      const checksum = done.get(id);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum)
          throw new Error(`migration ${id} (${migration.name}) was edited after it was applied`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (source, version, name, checksum) VALUES ($1, $2, $3, $4)', [
          migration.source,
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        // Keep the SQLSTATE: a failover mid-migration (read-only node, lost connection) is retried at start-up.
        throw Object.assign(new Error(`migration ${id} (${migration.name}) failed: ${(error as Error).message}`), {
          code: (error as { code?: string }).code,
        });
      }
      applied.push(id);
      options.logger.info({ migration: id, file: migration.name }, 'migration applied');
    }
    if (options.serviceRole !== undefined) await confineServiceRole(client, options.schema, options.serviceRole);
  } finally {
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await client.end();
  }
  return applied;
}

/**
 * Least privilege (issue #28): the service role may use its own schema and nothing else in it
 * but rows: SELECT, INSERT, UPDATE, DELETE on its tables, now and (default privileges of the owner running this)
 * on every table a later migration creates, except the tables listed in `service_role_grants`, which get exactly the
 * privileges listed there (the audit: SELECT, INSERT). It never owns anything, so it cannot alter, drop, truncate
 * or disable a trigger. Run on every migration, in one transaction, so that a grant added by hand does not last.
 */
async function confineServiceRole(client: Client, schemaName: string, roleName: string): Promise<void> {
  const schema = quoteIdent(schemaName);
  const role = quoteIdent(roleName);
  const known = await client.query<{ owner: boolean }>(
    "SELECT pg_has_role(current_user, oid, 'MEMBER') AS owner FROM pg_roles WHERE rolname = $1",
    [roleName],
  );
  if (known.rowCount === 0)
    throw new Error(`service role ${roleName} does not exist: the platform or the chart's managed roles create it`);
  if (known.rows[0]?.owner)
    throw new Error(
      `service role ${roleName} is the migrating role or one of its roles: migrations must run as the owner role`,
    );
  const { rows } = await client.query<{ table_name: string; privileges: string }>(
    'SELECT table_name, privileges FROM service_role_grants ORDER BY table_name',
  );
  await client.query('BEGIN');
  try {
    await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
    );
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT USAGE, SELECT ON SEQUENCES TO ${role}`);
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${role}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
    await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
    for (const row of rows) {
      if (!TABLE_PRIVILEGES.test(row.privileges))
        throw new Error(`service_role_grants: ${row.table_name} lists "${row.privileges}"`);
      const table = `${schema}.${quoteIdent(row.table_name)}`;
      await client.query(`REVOKE ALL ON ${table} FROM ${role}`);
      if (row.privileges !== '') await client.query(`GRANT ${row.privileges} ON ${table} TO ${role}`);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

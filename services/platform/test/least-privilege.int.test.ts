// Least privilege in the database (issue #28 §3), on the real platform: each service connects as its own role, which
// is no superuser, cannot create roles or databases, cannot become the owner, cannot reach another service's schema,
// and cannot rewrite the audit (no UPDATE, DELETE, TRUNCATE, no disabling or dropping its trigger); normal work (an
// insert into its own tables, an idempotency key's response) still goes through, and the owner's sweep deletes.
import { Client } from 'pg';
import { join } from 'node:path';
import {
  compiledEntry,
  findRepoRoot,
  runOwnerCommand,
  type ResolvedService,
  type ServiceContext,
} from '../src/services';
import { readTestPlatform } from './platform-env';

const platform = readTestPlatform();
const SERVICES = ['identity', 'records', 'scheduling', 'referral', 'consultation', 'replication'] as const;
type Service = (typeof SERVICES)[number];
/** The tables each service's role may only read and append to (beside every schema's audit_events). */
const APPEND_ONLY: Partial<Record<Service, string>> = { records: 'record_versions', consultation: 'messages' };

const clients = new Map<Service, Client>();
let owner: Client;

function role(service: Service): Client {
  const client = clients.get(service);
  if (client === undefined) throw new Error(`no connection as ${service}`);
  return client;
}

/** The SQLSTATE `sql` fails with as `client` (undefined: it succeeded). */
async function refusal(client: Client, sql: string, values: unknown[] = []): Promise<string | undefined> {
  try {
    await client.query(sql, values);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

beforeAll(async () => {
  owner = new Client({ connectionString: platform.rwUrl });
  await owner.connect();
  for (const service of SERVICES) {
    const urls = platform.serviceDatabaseUrls[service];
    if (urls === undefined) throw new Error(`the platform gave ${service} no role of its own`);
    const client = new Client({ connectionString: urls.rw, options: `-c search_path=${service}` });
    await client.connect();
    clients.set(service, client);
  }
});

afterAll(async () => {
  await Promise.all([...clients.values()].map((client) => client.end()));
  await owner.end();
});

test('every running service connects as its own role, and its tables belong to the owner', async () => {
  const { rows } = await owner.query<{ service: string; usename: string }>(
    `SELECT DISTINCT split_part(application_name, '-', 1) AS service, usename FROM pg_stat_activity
      WHERE application_name ~ '^(identity|records|scheduling|referral|consultation|replication)-r[wo]$'`,
  );
  const running = Object.keys(platform.serviceAddresses).filter((name) =>
    (SERVICES as readonly string[]).includes(name),
  );
  expect(running.length).toBeGreaterThan(0);
  for (const service of running)
    expect(rows.filter((row) => row.service === service).map((row) => row.usename)).toEqual([`mch_${service}`]);
  const owners = await owner.query<{ owner: string }>(
    `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)`,
    [running],
  );
  expect(owners.rows).toEqual([{ owner: 'mch' }]);
});

describe.each(SERVICES)('as mch_%s', (service) => {
  test('no superuser, no CREATEROLE or CREATEDB, and a member of pg_monitor only when replication', async () => {
    const { rows } = await role(service).query(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
              ARRAY(SELECT r.rolname::text FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = u.oid ORDER BY 1) AS member_of
         FROM pg_roles u WHERE rolname = current_user`,
    );
    expect(rows[0]).toEqual({
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolreplication: false,
      rolbypassrls: false,
      member_of: service === 'replication' ? ['pg_monitor'] : [],
    });
  });

  test.each(SERVICES.filter((other) => other !== service))("cannot read or write %s's schema", async (other) => {
    expect(await refusal(role(service), `SELECT count(*) FROM ${other}.audit_events`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(role(service), `SELECT count(*) FROM ${other}.idempotency_keys`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(
      await refusal(
        role(service),
        `INSERT INTO ${other}.audit_events (actor_id, actor_kind, patient_id, action, outcome) VALUES ('x', 'x', 'x', 'x', 'denied')`,
      ),
    ).toBe(INSUFFICIENT_PRIVILEGE);
  });

  test('cannot create roles, databases, schemas or tables, nor become the owner or the superuser', async () => {
    const client = role(service);
    expect(await refusal(client, `CREATE ROLE mch_intruder LOGIN`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `CREATE DATABASE mch_intruder`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `CREATE SCHEMA intruder`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `CREATE TABLE ${service}.intruder (id int)`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `CREATE TABLE public.intruder (id int)`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `SET ROLE mch`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `SET ROLE postgres`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `SET SESSION AUTHORIZATION mch`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `GRANT mch TO mch_${service}`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `ALTER ROLE mch_${service} SUPERUSER`)).toBe(INSUFFICIENT_PRIVILEGE);
  });

  test.each(['audit_events', ...(APPEND_ONLY[service] === undefined ? [] : [APPEND_ONLY[service] as string])])(
    '%s: append-only, and its trigger cannot be disabled or dropped',
    async (table) => {
      const client = role(service);
      expect(await refusal(client, `SELECT count(*) FROM ${table}`)).toBeUndefined();
      // Refused by privilege, not only by the trigger (which the WHERE false below never reaches).
      const held = await client.query<{ privilege: string; held: boolean }>(
        `SELECT p AS privilege, has_table_privilege(current_user, $1::regclass, p) AS held FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES']) AS p`,
        [`${service}.${table}`],
      );
      expect(held.rows.filter((row) => row.held).map((row) => row.privilege)).toEqual(['SELECT', 'INSERT']);
      const column = await owner.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position LIMIT 1`,
        [service, table],
      );
      const first = column.rows[0]?.name as string;
      expect(await refusal(client, `UPDATE ${table} SET ${first} = ${first} WHERE false`)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await refusal(client, `DELETE FROM ${table} WHERE false`)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await refusal(client, `TRUNCATE ${table}`)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await refusal(client, `ALTER TABLE ${table} DISABLE TRIGGER ALL`)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await refusal(client, `ALTER TABLE ${table} DISABLE TRIGGER USER`)).toBe(INSUFFICIENT_PRIVILEGE);
      const triggers = await owner.query<{ tgname: string }>(
        `SELECT tgname FROM pg_trigger WHERE tgrelid = '${service}.${table}'::regclass AND NOT tgisinternal`,
      );
      expect(triggers.rows.length).toBeGreaterThan(0);
      for (const { tgname } of triggers.rows)
        expect(await refusal(client, `DROP TRIGGER ${tgname} ON ${table}`)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await refusal(client, `DROP TABLE ${table}`)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await refusal(client, `SET session_replication_role = replica`)).toBe(INSUFFICIENT_PRIVILEGE);
    },
  );

  test('appends to its audit and keeps idempotency keys, but may not delete them', async () => {
    const client = role(service);
    await client.query('BEGIN');
    try {
      await client.query(
        `INSERT INTO audit_events (actor_id, actor_kind, patient_id, action, outcome) VALUES ('least-privilege-test', 'test', 'none', 'probe', 'denied')`,
      );
      await client.query(
        `INSERT INTO idempotency_keys (caller, method, key, request_hash) VALUES ('least-privilege-test', 'probe', 'k', '\\x00')`,
      );
      await client.query(`UPDATE idempotency_keys SET response = '\\x01' WHERE caller = 'least-privilege-test'`);
    } finally {
      await client.query('ROLLBACK');
    }
    expect(await refusal(client, `DELETE FROM idempotency_keys WHERE false`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(client, `SELECT count(*) FROM schema_migrations`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(
      await refusal(
        client,
        `INSERT INTO service_role_grants VALUES ('audit_events', 'SELECT, INSERT, UPDATE, DELETE', 'me')`,
      ),
    ).toBe(INSUFFICIENT_PRIVILEGE);
  });
});

test('the replication role reads replication state through pg_monitor', async () => {
  const { rows } = await role('replication').query<{ state: string | null }>(`SELECT state FROM pg_stat_replication`);
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((row) => row.state !== null)).toBe(true);
  // Without pg_monitor the same view hides other roles' rows' state.
  const hidden = await role('records').query<{ state: string | null }>(`SELECT state FROM pg_stat_replication`);
  expect(hidden.rows.every((row) => row.state === null)).toBe(true);
});

test("a service's sweep runs as the owner and deletes the keys past retention", async () => {
  const service: Service = 'records';
  await owner.query(
    `INSERT INTO records.idempotency_keys (caller, method, key, request_hash, created_at) VALUES ('least-privilege-test', 'probe', $1, '\\x00', now() - interval '30 days')`,
    [`old-${Date.now()}`],
  );
  const repoRoot = findRepoRoot();
  const resolved: ResolvedService = {
    name: service,
    entry: compiledEntry(repoRoot, service),
    protocol: 'grpc',
    port: platform.ports[service],
  };
  const context: ServiceContext = {
    repoRoot,
    ports: platform.ports,
    databaseUrl: platform.rwUrl,
    databaseReadOnlyUrl: platform.roUrl,
    serviceDatabaseUrls: platform.serviceDatabaseUrls,
    redisUrl: platform.redisUrl,
    patroniUrls: Object.values(platform.patroniUrls),
    etcdUrl: platform.etcdUrl,
    durability: platform.durability,
    objectStoreAgents: '',
    serviceSecret: '',
  };
  await runOwnerCommand(resolved, context, 'sweep', join(platform.logDir, 'least-privilege-sweep.log'));
  const { rows } = await owner.query(`SELECT 1 FROM records.idempotency_keys WHERE caller = 'least-privilege-test'`);
  expect(rows).toEqual([]);
}, 60_000);

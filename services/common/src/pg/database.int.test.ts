// The commit rules against the real two-zone database: a cut-short synchronous wait and a connection lost
// during COMMIT are unknown outcomes (UNAVAILABLE, connection discarded); failures before COMMIT are
// retried on a fresh connection; a domain error rolls back.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { readTestPlatform } from '../../../platform/test/platform-env';
import { FailedPreconditionError, UnavailableError } from '../errors';
import { createLogger } from '../logger';
import { CommitOutcomeUnknownError, Database } from './database';

const logger = createLogger('commit-rules-test', 'silent');

describe('commit rules', () => {
  const platform = readTestPlatform();
  const schema = `kit_test_${randomBytes(4).toString('hex')}`;
  let admin: Client;
  let db: Database;

  beforeAll(async () => {
    admin = new Client({ connectionString: platform.rwUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.effects (id serial PRIMARY KEY, label text NOT NULL)`);
    // Fires at COMMIT: either says what Postgres says when a synchronous wait is cancelled, or stalls.
    await admin.query(`CREATE FUNCTION ${schema}.at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.label = 'notice' THEN
          RAISE WARNING 'canceling wait for synchronous replication due to user request'
            USING DETAIL = 'The transaction has already committed locally, but might not have been replicated to the standby.';
        ELSIF NEW.label = 'stall' THEN
          PERFORM pg_sleep(3);
        END IF;
        RETURN NULL;
      END $$`);
    await admin.query(`CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON ${schema}.effects
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${schema}.at_commit()`);
    db = new Database({
      rwUrl: platform.rwUrl,
      schema,
      applicationName: 'commit-rules-test',
      poolMax: 4,
      statementTimeoutMs: 5_000,
      commitUnknownAfterMs: 30_000,
      logger,
    });
  });

  afterAll(async () => {
    await db.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });

  const insert = (label: string) =>
    db.withTransaction(
      async (tx) => (await tx.query(`INSERT INTO effects (label) VALUES ($1) RETURNING id`, [label])).rows[0],
    );

  it('commits an ordinary transaction', async () => {
    await expect(insert('plain')).resolves.toEqual({ id: expect.any(Number) });
  });

  it('answers UNAVAILABLE, never success, when COMMIT carries the synchronous-replication cancel notice', async () => {
    const before = db.rw.totalCount;
    const error = await insert('notice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(error).toBeInstanceOf(UnavailableError);
    // That connection was discarded, not returned to the pool.
    expect(db.rw.totalCount).toBeLessThan(before + 1);
    expect(db.rw.idleCount).toBe(db.rw.totalCount);
  });

  it('answers UNAVAILABLE when the connection is lost during COMMIT', async () => {
    const pending = insert('stall').catch((e: unknown) => e);
    // Wait until the backend is inside the deferred trigger, i.e. executing COMMIT.
    let pid: number | undefined;
    for (let i = 0; i < 50 && pid === undefined; i++) {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'commit-rules-test-rw' AND query = 'COMMIT' AND state = 'active'`,
      );
      pid = rows[0]?.pid;
      if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(pid).toBeDefined();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await pending;
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
  });

  it('retries on a fresh connection when the connection is lost before COMMIT', async () => {
    let attempts = 0;
    const result = await db.withTransaction(async (tx) => {
      attempts++;
      if (attempts === 1) {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      }
      return (await tx.query(`INSERT INTO effects (label) VALUES ('retried') RETURNING label`)).rows[0];
    });
    expect(attempts).toBe(2);
    expect(result).toEqual({ label: 'retried' });
  });

  it('rolls back everything when the work throws a domain error', async () => {
    const label = `rolled-back-${Date.now()}`;
    await expect(
      db.withTransaction(async (tx) => {
        await tx.query(`INSERT INTO effects (label) VALUES ($1)`, [label]);
        throw new FailedPreconditionError('slot is full', 'SLOT_FULL');
      }),
    ).rejects.toBeInstanceOf(FailedPreconditionError);
    const { rows } = await admin.query(`SELECT 1 FROM ${schema}.effects WHERE label = $1`, [label]);
    expect(rows).toHaveLength(0);
  });
});

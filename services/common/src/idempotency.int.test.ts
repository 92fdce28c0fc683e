// The idempotency store on the real database: replay, mismatch, concurrent duplicates, and scoping.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { readTestPlatform } from '../../platform/test/platform-env';
import { InvalidArgumentError } from './errors';
import { LatLng } from './gen/mch/common/v1/common';
import { runIdempotent } from './idempotency';
import { createLogger } from './logger';
import { Database } from './pg/database';
import { migrate, readMigrations } from './pg/migrate';
import { serviceDir } from './paths';
import path from 'node:path';

const logger = createLogger('idempotency-test', 'silent');

describe('idempotency store', () => {
  const platform = readTestPlatform();
  const schema = `idem_test_${randomBytes(4).toString('hex')}`;
  let db: Database;
  let admin: Client;

  beforeAll(async () => {
    await migrate({
      url: platform.rwUrl,
      schema,
      migrations: readMigrations('kit', path.join(serviceDir('common'), 'migrations')),
      logger,
    });
    admin = new Client({ connectionString: platform.rwUrl });
    await admin.connect();
    await admin.query(`CREATE TABLE ${schema}.effects (id serial PRIMARY KEY, key text)`);
    db = new Database({
      rwUrl: platform.rwUrl,
      schema,
      applicationName: 'idem-test',
      poolMax: 8,
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

  const request = (latitude: number): Uint8Array => LatLng.encode({ latitude, longitude: 101.55 }).finish();
  const effect =
    (key: string, latitude: number) =>
    async (tx: import('pg').PoolClient): Promise<LatLng> => {
      const { rows } = await tx.query<{ id: number }>('INSERT INTO effects (key) VALUES ($1) RETURNING id', [key]);
      return { latitude, longitude: rows[0]?.id ?? -1 };
    };
  const effectsFor = async (key: string): Promise<number> =>
    (await admin.query(`SELECT 1 FROM ${schema}.effects WHERE key = $1`, [key])).rowCount ?? 0;

  it('replays the first result for a repeated key and runs the effect once', async () => {
    const scope = { caller: 'clinician-1', method: '/test/Book', key: 'key-replay-0001' };
    const first = await runIdempotent(db, scope, request(25), LatLng, effect(scope.key, 25));
    const second = await runIdempotent(db, scope, request(25), LatLng, effect(scope.key, 25));
    expect(second).toEqual(first);
    expect(await effectsFor(scope.key)).toBe(1);
  });

  it('refuses the same key with a different request, naming Idempotency-Key', async () => {
    const scope = { caller: 'clinician-1', method: '/test/Book', key: 'key-mismatch-01' };
    await runIdempotent(db, scope, request(25), LatLng, effect(scope.key, 25));
    const error = await runIdempotent(db, scope, request(26), LatLng, effect(scope.key, 26)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).violations[0]?.field).toBe('Idempotency-Key');
    expect(await effectsFor(scope.key)).toBe(1);
  });

  it('runs the effect once when duplicates race', async () => {
    const scope = { caller: 'resident-7', method: '/test/Book', key: 'key-race-000001' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runIdempotent(db, scope, request(24), LatLng, effect(scope.key, 24))),
    );
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await effectsFor(scope.key)).toBe(1);
  });

  it('scopes keys to the caller and the method', async () => {
    const key = 'key-scoped-0001';
    await runIdempotent(db, { caller: 'a', method: '/test/Book', key }, request(1), LatLng, effect(key, 1));
    await runIdempotent(db, { caller: 'b', method: '/test/Book', key }, request(2), LatLng, effect(key, 2));
    await runIdempotent(db, { caller: 'a', method: '/test/Cancel', key }, request(3), LatLng, effect(key, 3));
    expect(await effectsFor(key)).toBe(3);
  });

  it('stores nothing when the effect fails, so a retry runs it', async () => {
    const scope = { caller: 'clinician-2', method: '/test/Book', key: 'key-failed-0001' };
    await expect(
      runIdempotent(db, scope, request(5), LatLng, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await runIdempotent(db, scope, request(5), LatLng, effect(scope.key, 5));
    expect(await effectsFor(scope.key)).toBe(1);
  });
});

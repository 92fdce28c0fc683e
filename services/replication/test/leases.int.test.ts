// The leases that keep the scheduled object scan and repair loop to one replica at a time, against the replication
// service's real schema on the test platform: a second holder is refused while the first holds the lease, the first
// renews it, and once it runs out the second takes it. The database's clock decides.
import { Database } from '../../common/src/pg/database';
import { createLogger } from '../../common/src/logger';
import { readTestPlatform } from '../../platform/test/platform-env';
import { ObjectRepository } from '../src/objects/repository';

const platform = readTestPlatform();
let db: Database;

beforeAll(() => {
  db = new Database({
    rwUrl: platform.rwUrl,
    schema: 'replication',
    applicationName: 'lease-test',
    poolMax: 2,
    statementTimeoutMs: 5_000,
    commitUnknownAfterMs: 5_000,
    logger: createLogger('lease-test', 'silent'),
  });
});

afterAll(async () => {
  await db.rw.query(`DELETE FROM object_store_leases WHERE name = 'scan' AND holder LIKE 'test-%'`);
  await db.close();
});

test('one holder at a time; renewal by the holder; taken over once it runs out', async () => {
  const repository = new ObjectRepository(db, ['az-a', 'az-b']);
  // The platform's own replica first takes 'scan' one scan interval (6 h) after it started: free during the tests.
  const first = `test-a-${process.pid}`;
  const second = `test-b-${process.pid}`;
  expect(await repository.takeLease('scan', first, 800)).toBe(true);
  expect(await repository.takeLease('scan', second, 800)).toBe(false);
  expect(await repository.takeLease('scan', first, 800)).toBe(true);
  expect(await repository.takeLease('scan', second, 800)).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await repository.takeLease('scan', second, 800)).toBe(true);
  expect(await repository.takeLease('scan', first, 800)).toBe(false);
  await expect(repository.takeLease('nightly' as never, first, 800)).rejects.toThrow(/check constraint/);
});

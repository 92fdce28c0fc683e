// The two-zone platform as the rest of the system relies on it: up from nothing, one leader with a synchronous
// standby, writes through rw readable through ro, crashed services restarted, no failover during normal work.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { clusterStatus } from '../src/patroni';
import { pickFreePorts } from '../src/ports';
import { grpcServing, httpOk, redisPing } from '../src/probes';
import { isAlive, sleep } from '../src/proc';
import { serviceReadiness, serviceSpec, type ResolvedService, type ServiceContext } from '../src/services';
import { Supervisor } from '../src/supervisor';
import { readTestPlatform } from './platform-env';

const platform = readTestPlatform();
const patroniUrls = Object.values(platform.patroniUrls);

async function query<T extends Record<string, unknown>>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('two-zone platform', () => {
  test('came up from an empty data directory with every component answering', async () => {
    expect(platform.startedFromEmpty).toBe(true);
    console.log(`platform cold start (globalSetup): ${(platform.coldStartMs / 1000).toFixed(1)} s`);
    expect(await httpOk(`${platform.etcdUrl}/health`)).toBe(true);
    expect(await httpOk(platform.haproxyStatsUrl)).toBe(true);
    expect(await redisPing(platform.ports.redis)).toBe(true);
    for (const url of patroniUrls) expect(await httpOk(`${url}/patroni`)).toBe(true);
    for (const [name, address] of Object.entries(platform.serviceAddresses)) {
      const ready = name === 'gateway' ? await httpOk(`http://${address}/readyz`) : await grpcServing(address);
      expect({ name, ready }).toEqual({ name, ready: true });
    }
  });

  test('Patroni reports exactly one leader and one synchronous standby, in different zones', async () => {
    const status = await clusterStatus(patroniUrls);
    const leaders = status.members.filter((member) => member.role === 'leader');
    const syncStandbys = status.members.filter((member) => member.role === 'sync_standby');
    expect(leaders).toHaveLength(1);
    expect(syncStandbys).toHaveLength(1);
    expect(leaders[0]?.state).toBe('running');
    expect(['running', 'streaming']).toContain(syncStandbys[0]?.state);
    expect(leaders[0]?.name).not.toBe(syncStandbys[0]?.name);
    expect(status.inSync).toBe(true);
  });

  test('a row written through the read-write endpoint is read back through the read-only endpoint, on the standby', async () => {
    const marker = `probe-${process.pid}-${Date.now()}`;
    await query(
      platform.rwUrl,
      'CREATE TABLE IF NOT EXISTS platform_int_probe (marker text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())',
    );
    const written = await query<{ in_recovery: boolean }>(
      platform.rwUrl,
      'WITH inserted AS (INSERT INTO platform_int_probe (marker) VALUES ($1) RETURNING marker) SELECT pg_is_in_recovery() AS in_recovery FROM inserted',
      [marker],
    );
    expect(written).toEqual([{ in_recovery: false }]);

    // The synchronous standby has the commit flushed when COMMIT returns; replay follows within moments.
    const deadline = Date.now() + 10_000;
    let seen: Array<{ found: boolean; in_recovery: boolean }> = [];
    while (Date.now() < deadline) {
      seen = await query(
        platform.roUrl,
        'SELECT EXISTS (SELECT 1 FROM platform_int_probe WHERE marker = $1) AS found, pg_is_in_recovery() AS in_recovery',
        [marker],
      );
      if (seen[0]?.found === true) break;
      await sleep(100);
    }
    expect(seen).toEqual([{ found: true, in_recovery: true }]);
    await expect(
      query(platform.roUrl, 'INSERT INTO platform_int_probe (marker) VALUES ($1)', [`${marker}-ro`]),
    ).rejects.toThrow(/read-only/);
  });

  describe('service supervision (test-only fixture service, same supervisor path as the app services)', () => {
    const logDir = mkdtempSync(join(platform.dataDir, 'fixture-'));
    const supervisor = new Supervisor({ logDir, runDir: logDir, log: (line) => console.log(line) });
    let fixture: ResolvedService;

    beforeAll(async () => {
      const [port] = await pickFreePorts(1);
      if (port === undefined) throw new Error('no free port');
      fixture = { name: 'fixture', entry: join(__dirname, 'fixtures', 'fixture-service.js'), protocol: 'grpc', port };
      const context: ServiceContext = {
        repoRoot: join(__dirname, '..', '..', '..'),
        ports: platform.ports,
        databaseUrl: platform.rwUrl,
        databaseReadOnlyUrl: platform.roUrl,
        redisUrl: platform.redisUrl,
        patroniUrls,
        etcdUrl: platform.etcdUrl,
        durability: platform.durability,
        objectStoreAgents: '',
        serviceSecret: 'fixture-service-secret',
      };
      supervisor.add(serviceSpec(fixture, context));
      await supervisor.start(fixture.name, 30_000);
    }, 40_000);

    afterAll(async () => {
      await supervisor.stopAll();
    }, 30_000);

    test('a SIGKILLed service process is restarted and serves again', async () => {
      const component = supervisor.get('fixture');
      const killedPid = component?.pid;
      expect(killedPid).toBeDefined();
      const killedAt = Date.now();
      process.kill(killedPid ?? 0, 'SIGKILL');

      const ready = serviceReadiness(fixture);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const pid = component?.pid;
        if (pid !== undefined && pid !== killedPid && (await ready())) break;
        await sleep(100);
      }
      console.log(`fixture service restarted and serving ${Date.now() - killedAt} ms after SIGKILL`);
      expect(isAlive(killedPid ?? 0)).toBe(false);
      expect(component?.pid).toBeDefined();
      expect(component?.pid).not.toBe(killedPid);
      expect(component?.restarts).toBe(1);
      expect(await ready()).toBe(true);
    }, 40_000);
  });

  test('no failover happened: same leader and timeline as when the platform came up', async () => {
    const status = await clusterStatus(patroniUrls);
    expect({ leader: status.leader, timeline: status.timeline }).toEqual({
      leader: platform.initialLeader,
      timeline: platform.initialTimeline,
    });
  });
});

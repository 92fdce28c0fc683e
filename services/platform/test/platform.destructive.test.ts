// Losing a zone, on a platform of its own: the other zone takes over without losing an acknowledged write, the
// lost zone rejoins as synchronous standby by itself, and crashed service processes come back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { drillRejoin, drillZoneLoss } from '../src/failover';
import { startPlatform, type Platform } from '../src/platform';
import { pickFreePorts } from '../src/ports';
import { isAlive, sleep } from '../src/proc';
import { PLATFORM_SERVICES, serviceReadiness, type CustomService, type ResolvedService } from '../src/services';
import { servicesFromEnvironment } from './globalSetup';

jest.setTimeout(120_000);

let platform: Platform;
let dataDir: string;
let fixture: CustomService;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mch-test-'));
  const [fixturePort] = await pickFreePorts(1);
  if (fixturePort === undefined) throw new Error('no free port');
  fixture = {
    name: 'fixture',
    entry: join(__dirname, 'fixtures', 'fixture-service.js'),
    protocol: 'grpc',
    port: fixturePort,
  };
  platform = await startPlatform({
    dataDir,
    ports: 'free',
    durability: 'available',
    // The app services that are built (or MCH_TEST_SERVICES), plus the fixture so that one always exists.
    services: [...(servicesFromEnvironment(process.env['MCH_TEST_SERVICES']) ?? PLATFORM_SERVICES), fixture],
    log: (line) => process.stderr.write(`[destructive platform] ${line}\n`),
  });
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

function resolvedService(name: string, address: string): ResolvedService {
  const port = Number(address.split(':')[1]);
  return { name, entry: '', protocol: name === 'gateway' ? 'http' : 'grpc', port };
}

test('every SIGKILLed service process is restarted by the supervisor and becomes ready again', async () => {
  const services = Object.entries(platform.serviceAddresses);
  expect(services.map(([name]) => name)).toContain('fixture');
  for (const [name, address] of services) {
    const killedPid = platform.killService(name);
    expect(killedPid).toBeDefined();
    const killedAt = Date.now();
    const ready = serviceReadiness(resolvedService(name, address));
    await sleep(100);
    const deadline = Date.now() + 60_000;
    let readyAgain = false;
    while (!readyAgain && Date.now() < deadline) {
      const pid = platform.servicePid(name);
      readyAgain = pid !== undefined && pid !== killedPid && (await ready());
      if (!readyAgain) await sleep(100);
    }
    console.log(`${name}: ready again ${Date.now() - killedAt} ms after SIGKILL`);
    expect({ name, killedAlive: isAlive(killedPid ?? 0), readyAgain }).toEqual({
      name,
      killedAlive: false,
      readyAgain: true,
    });
  }
});

test('kill -9 of zone az-a while primary: az-b leads within 15 s, no acknowledged write is lost, rw writes land on az-b', async () => {
  const before = await platform.waitForSync();
  expect(before.leader).toBe('az-a');
  expect(before.syncStandby).toBe('az-b');

  const report = await drillZoneLoss(platform, 'az-a', 15_000);
  console.log(
    `failover: az-b leader ${report.leaderAfterMs} ms after kill -9 of az-a (${report.killedProcesses} processes); ` +
      `first write ${report.firstWriteAfterMs} ms after; write gap ${report.writeGapMs} ms; ` +
      `${report.acknowledgedCommits} acknowledged, ${report.missingCommits} missing, ${report.unknownOutcomes} unknown outcome; ` +
      `timeline ${report.timelineBefore ?? '?'} → ${report.timelineAfter ?? '?'}`,
  );
  expect(report.newLeader).toBe('az-b');
  expect(report.missingCommits).toBe(0);
  expect(report.acknowledgedCommits).toBeGreaterThan(0);

  const client = new Client({ connectionString: platform.rwUrl });
  await client.connect();
  try {
    const written = await client.query<{ port: number }>(
      'WITH row AS (INSERT INTO platform_probe.commits DEFAULT VALUES RETURNING id) SELECT inet_server_port() AS port FROM row',
    );
    expect(written.rows[0]?.port).toBe(platform.ports.postgresAzB);
  } finally {
    await client.end();
  }
});

test('az-a, restarted, rejoins as the synchronous standby without intervention', async () => {
  const report = await drillRejoin(platform, 'az-a', 90_000);
  console.log(`rejoin: az-a synchronous standby again ${report.rejoinMs} ms after restart`);
  expect(report.status.leader).toBe('az-b');
  expect(report.status.syncStandby).toBe('az-a');
  expect(report.status.inSync).toBe(true);
});

test('with az-b leading, WAL is still archived and a backup is taken from it (point-in-time recovery survives the failover)', async () => {
  expect((await platform.status()).leader).toBe('az-b');
  const began = Date.now();
  await platform.checkArchive();
  const backup = await platform.backup('incr');
  const info = await platform.backupInfo();
  console.log(
    `after failover: archive check ${Date.now() - began - backup.ms} ms, incremental backup from az-b ${backup.ms} ms (${backup.label ?? '?'})`,
  );
  expect(info.backups.map((entry) => entry.label)).toContain(backup.label);
});

// The replication status tells the truth within seconds of a switchover and of a standby zone's loss, on a
// platform of its own (this file kills a zone).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type Platform } from '../../platform/src/platform';
import { Api } from '../../identity/test/support';

jest.setTimeout(180_000);

let platform: Platform;
let dataDir: string;
let api: Api;
let admin: string;

async function statusUntil(
  predicate: (status: any) => boolean,
  timeoutMs: number,
): Promise<{ status: any; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const answer = await api.call('GET', '/v1/replication/status', { token: admin });
    if (answer.status === 200 && predicate(answer.body.status))
      return { status: answer.body.status, afterMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`status never matched: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  // The services inherit the environment: the backup repository is re-read every 2 s instead of every minute.
  process.env['BACKUP_CHECK_INTERVAL_MS'] = '2000';
  dataDir = mkdtempSync(join(tmpdir(), 'mch-test-'));
  platform = await startPlatform({
    dataDir,
    ports: 'free',
    durability: 'available',
    services: ['identity', 'replication', 'gateway'],
    log: (line) => process.stderr.write(`[replication platform] ${line}\n`),
  });
  await platform.waitForSync();
  api = new Api(platform.gatewayUrl);
  admin = (await api.login('platform.admin')).accessToken;
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

it('reports both zones in sync, to platform admins only', async () => {
  const { status } = await statusUntil((s) => s.inSync === true, 15_000);
  expect(status.primaryZone).toBe('az-a');
  // proto3 JSON leaves false out.
  expect(status.exposed ?? false).toBe(false);
  expect(status.members.map((m: any) => m.role).sort()).toEqual(['MEMBER_ROLE_PRIMARY', 'MEMBER_ROLE_SYNC_STANDBY']);
  const clinician = (await api.login('pref.clinician')).accessToken;
  expect((await api.call('GET', '/v1/replication/status', { token: clinician })).status).toBe(403);
  expect((await api.call('GET', '/v1/replication/status')).status).toBe(401);
  expect(
    (await api.call('POST', '/v1/replication/switchover', { token: clinician, body: { targetZone: 'az-b' } })).status,
  ).toBe(403);
});

it('reports the backup repository: no base backup at first, then the one just taken', async () => {
  const { status: before } = await statusUntil(
    (s) => s.backups?.configured === true && s.backups?.newestArchivedWal !== undefined,
    30_000,
  );
  expect(before.backups.repositoryStatus).toBe('no valid backups');
  expect(before.backups.lastBackupLabel ?? '').toBe('');
  expect(before.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^backups: no base backup yet/)]));
  const backup = await platform.backup('full');
  const { status: after } = await statusUntil((s) => s.backups?.lastBackupLabel === backup.label, 30_000);
  expect(after.backups).toMatchObject({ lastBackupType: 'full', backups: 1, repositoryStatus: 'ok' });
  expect(after.backups.newestArchivedWal).toMatch(/^[0-9A-F]{24}$/);
  expect((after.warnings ?? []).filter((warning: string) => warning.startsWith('backups:'))).toEqual([]);
});

it('moves the primary on request and reports it as a switchover, not a failover', async () => {
  const refused = await api.call('POST', '/v1/replication/switchover', { token: admin, body: { targetZone: 'az-a' } });
  expect(refused.status).toBe(409);
  const started = Date.now();
  const answer = await api.call('POST', '/v1/replication/switchover', { token: admin, body: { targetZone: 'az-b' } });
  expect(answer.status).toBe(200);
  expect(answer.body.status.primaryZone).toBe('az-b');
  const { status } = await statusUntil((s) => s.primaryZone === 'az-b' && s.inSync === true, 30_000);
  console.log(
    `switchover: az-b primary when the call returned after ${Date.now() - started} ms; both in sync again ${Date.now() - started} ms after the request`,
  );
  expect(status.lastSwitchover).toMatchObject({ fromZone: 'az-a', toZone: 'az-b', kind: 'switchover' });
  expect(status.lastFailover).toBeUndefined();
});

it('shows a switchover on the operator page as it happens (headless Chromium)', async () => {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${platform.gatewayUrl}/status`);
    await page.fill('#username', 'platform.admin');
    await page.fill('#password', 'mch-demo-2026!');
    await page.click('button[type=submit]');
    await page.waitForSelector('#zone-az-b[data-role="primary"]', { timeout: 15_000 });
    expect(await page.textContent('#exposure')).toMatch(/In sync/);
    const asked = Date.now();
    const answer = await api.call('POST', '/v1/replication/switchover', { token: admin, body: { targetZone: 'az-a' } });
    expect(answer.status).toBe(200);
    await page.waitForSelector('#zone-az-a[data-role="primary"]', { timeout: 30_000 });
    await page.waitForSelector('#events[data-last-switchover="az-a"]', { timeout: 30_000 });
    console.log(`operator page showed az-a as primary ${Date.now() - asked} ms after the switchover was asked for`);
    await page.waitForSelector('#zone-az-b[data-role="sync"]', { timeout: 60_000 });
  } finally {
    await browser.close();
  }
});

it('raises exposure within seconds of losing the standby zone, and clears it when the zone is back in sync', async () => {
  const { status: before } = await statusUntil((s) => s.inSync === true, 60_000);
  const standby = before.members.find((m: any) => m.role === 'MEMBER_ROLE_SYNC_STANDBY').zone;
  const killedAt = Date.now();
  await platform.killZone(standby);
  const exposed = await statusUntil((s) => s.exposed === true, 30_000);
  console.log(`standby loss: exposure reported ${Date.now() - killedAt} ms after kill -9 of ${standby}`);
  expect(exposed.status.primaryZone).toBe(before.primaryZone);
  expect(exposed.status.members.find((m: any) => m.zone === standby).role).toBe('MEMBER_ROLE_DOWN');
  const restartedAt = Date.now();
  await platform.startZone(standby);
  const back = await statusUntil((s) => s.inSync === true && !s.exposed, 90_000);
  console.log(`rejoin: in sync and exposure cleared ${Date.now() - restartedAt} ms after ${standby} restarted`);
  expect(back.status.members.find((m: any) => m.zone === standby).role).toBe('MEMBER_ROLE_SYNC_STANDBY');
});

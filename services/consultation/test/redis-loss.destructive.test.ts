// Live consultation delivery when the platform's Redis dies, on a platform of its own: a subscriber attached before
// the loss keeps receiving posts (the consultation service polls Postgres), a subscriber that reconnects with
// Last-Event-ID while Redis is down gets what it missed, and once Redis is back new posts flow through it again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { waitFor } from '../../common/test/processes';
import { Api } from '../../identity/test/support';
import { startPlatform, type Platform } from '../../platform/src/platform';
import {
  consultationPurpose,
  newPatient,
  nextMessages,
  ok,
  openJoinedThread,
  session,
  Session,
  subscribe,
} from './support';

jest.setTimeout(180_000);

let platform: Platform;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mch-test-'));
  platform = await startPlatform({
    dataDir,
    ports: 'free',
    durability: 'available',
    services: ['identity', 'consultation', 'gateway'],
    log: (line) => process.stderr.write(`[destructive platform] ${line}\n`),
  });
  await platform.waitForSync();
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

test('with Redis killed, messages still arrive live and on reconnect; after it returns they keep arriving', async () => {
  const api = new Api(platform.gatewayUrl);
  const county: Session = await session(api, 'lufeng.clinician');
  const specialist: Session = await session(api, 'pref.clinician');
  const midwife: Session = await session(api, 'lufeng.midwife');
  const patientId = await newPatient(api, midwife);
  const post = (who: Session, id: string, text: string) =>
    ok(
      api.call('POST', `/v1/consultations/${id}/messages`, {
        token: who.token,
        headers: consultationPurpose,
        body: { text },
      }),
    );
  const consultation = { id: await openJoinedThread(api, county, specialist, patientId) };

  const attached = await subscribe(platform.gatewayUrl, consultation.id, county, '2');
  const killed = await platform.killRedis();
  expect(killed.length).toBeGreaterThan(0);
  try {
    for (const text of ['一', '二', '三']) await post(specialist, consultation.id, text);
    expect(await nextMessages(attached, 3)).toEqual(['3:一', '4:二', '5:三']);
    const lastEventId = attached.lastEventId;
    attached.close();

    for (const text of ['四', '五']) await post(specialist, consultation.id, text);
    const again = await subscribe(platform.gatewayUrl, consultation.id, county, lastEventId);
    expect(await nextMessages(again, 2)).toEqual(['6:四', '7:五']);

    await platform.startRedis();
    // The consultation process subscribes to the thread's channel again on the new Redis by itself.
    const redis = new Redis(platform.redisUrl);
    try {
      await waitFor(
        async () =>
          Number(((await redis.pubsub('NUMSUB', `consultation:thread:${consultation.id}`)) as [string, number])[1]) ===
          1,
        30_000,
        'the resubscription',
      );
    } finally {
      redis.disconnect();
    }
    await post(specialist, consultation.id, '六');
    expect(await nextMessages(again, 1)).toEqual(['8:六']);
    again.close();
  } finally {
    await platform.startRedis().catch(() => undefined);
  }
});

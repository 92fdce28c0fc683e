// Consultations through the gateway against the real platform: a county clinician asks the prefecture's
// specialists about a patient, a resident asks her county hospital; who may read and write; the limits; attachments
// confirmed by the object store and downloadable by participants only; idempotent posting; sequence numbers without gaps under concurrent posts; and live delivery: two subscribers on two
// gateways (one behind its own consultation process that hears posts only through Redis) get a post made through
// a third, in order, once; a reconnect with Last-Event-ID gets exactly what it missed; a consultation process
// without Redis still delivers, by polling Postgres.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { freePort, waitFor } from '../../common/test/processes';
import { Api } from '../../identity/test/support';
import { readTestPlatform } from '../../platform/test/platform-env';
import {
  consultationPurpose,
  ExtraStack,
  fieldsOf,
  newPatient,
  newResident,
  nextMessages,
  ok,
  session,
  Session,
  subscribe,
} from './support';

jest.setTimeout(120_000);

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const staff: Record<string, Session> = {};
let patientId: string;

async function as(who: Session, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  return api.call(method, route, { token: who.token, body, headers: { ...consultationPurpose, ...headers } });
}

async function openSpecialistThread(text = '孕 32 周，血压 160/110，蛋白尿 ++，请会诊'): Promise<any> {
  const body = await ok(
    as(staff['lufeng.clinician']!, 'POST', '/v1/consultations', {
      kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
      patientId,
      addressedInstitutionId: staff['pref.clinician']!.institutionId,
      subject: '重度子痫前期',
      text,
    }),
  );
  await ok(as(staff['pref.clinician']!, 'POST', `/v1/consultations/${body.consultation.id}/join`, {}));
  return body.consultation;
}

/** A small PNG whose bytes differ with `label` (objects are content-addressed). */
function png(label: string): Buffer {
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(`${label} ${randomUUID()}`)]);
}

async function upload(who: Session, reference: string, bytes: Buffer): Promise<{ id: string; size: string }> {
  const response = await fetch(`${platform.gatewayUrl}/v1/objects?reference=${encodeURIComponent(reference)}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${who.token}`,
      ...consultationPurpose,
      'content-type': 'image/png',
      'idempotency-key': `upload-${randomUUID()}`,
    },
    body: bytes,
  });
  const body = (await response.json()) as any;
  if (!response.ok) throw new Error(`upload: ${response.status} ${JSON.stringify(body)}`);
  return body.object;
}

async function post(who: Session, consultationId: string, text: string, baseUrl = platform.gatewayUrl): Promise<any> {
  const answer = await new Api(baseUrl).call('POST', `/v1/consultations/${consultationId}/messages`, {
    token: who.token,
    headers: consultationPurpose,
    body: { text },
  });
  if (answer.status !== 200) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.message;
}

beforeAll(async () => {
  for (const user of [
    'lufeng.clinician',
    'lufeng.midwife',
    'pref.clinician',
    'shuangbai.midwife',
    'platform.admin',
    'lufeng.admin',
    'pref.analyst',
  ])
    staff[user] = await session(api, user);
  patientId = await newPatient(api, staff['lufeng.midwife']!);
});

describe('a clinician–specialist consultation', () => {
  let thread: any;

  it('is opened by the county clinician to the prefecture hospital with an opening message, and answered when a specialist joins', async () => {
    const scan = await upload(staff['lufeng.clinician']!, `patient:${patientId}`, png('opening scan'));
    const created = await ok(
      as(staff['lufeng.clinician']!, 'POST', '/v1/consultations', {
        kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
        patientId,
        addressedInstitutionId: staff['pref.clinician']!.institutionId,
        subject: '双胎，胎盘前置',
        referralId: randomUUID(),
        text: '请协助评估分娩时机',
        attachments: [{ objectId: scan.id, fileName: 'ultrasound.png', contentType: 'image/jpeg', sizeBytes: '1' }],
      }),
    );
    thread = created.consultation;
    expect(thread.status).toBe('CONSULTATION_STATUS_REQUESTED');
    expect(thread.lastSequence).toBe('1');
    expect(created.message).toMatchObject({
      sequence: '1',
      text: '请协助评估分娩时机',
      status: 'MESSAGE_STATUS_COMPLETED',
      attachments: [{ objectId: scan.id, fileName: 'ultrasound.png', contentType: 'image/png', sizeBytes: scan.size }],
    });

    const joined = await ok(as(staff['pref.clinician']!, 'POST', `/v1/consultations/${thread.id}/join`, {}));
    expect(joined.consultation.status).toBe('CONSULTATION_STATUS_IN_PROGRESS');
    expect(joined.consultation.participants.map((p: any) => [p.accountId, p.state])).toEqual(
      expect.arrayContaining([
        [staff['lufeng.clinician']!.accountId, 'PARTICIPANT_STATE_ACTIVE'],
        [staff['pref.clinician']!.accountId, 'PARTICIPANT_STATE_ACTIVE'],
      ]),
    );
    const messages = await ok(as(staff['pref.clinician']!, 'GET', `/v1/consultations/${thread.id}/messages`));
    expect(messages.messages.map((m: any) => [m.sequence, m.kind, m.event ?? ''])).toEqual([
      ['1', 'MESSAGE_KIND_POST', ''],
      ['2', 'MESSAGE_KIND_EVENT', 'participant.joined'],
    ]);
  });

  it('counts unread posts per reader and marks them read', async () => {
    await post(staff['pref.clinician']!, thread.id, '建议转诊至州妇幼，32 周前完成评估');
    const before = await ok(as(staff['lufeng.clinician']!, 'GET', `/v1/consultations/${thread.id}`));
    expect(before.summary.unreadCount).toBe(1);
    const mine = await ok(as(staff['lufeng.clinician']!, 'GET', '/v1/consultations?pageSize=100'));
    expect(mine.consultations.find((c: any) => c.consultation.id === thread.id).unreadCount).toBe(1);
    const marked = await ok(
      as(staff['lufeng.clinician']!, 'POST', `/v1/consultations/${thread.id}/read`, {
        upToSequence: before.summary.consultation.lastSequence,
      }),
    );
    expect(marked).toMatchObject({ lastReadSequence: before.summary.consultation.lastSequence });
    expect(marked.unreadCount ?? 0).toBe(0);
    const beyond = await as(staff['lufeng.clinician']!, 'POST', `/v1/consultations/${thread.id}/read`, {
      upToSequence: '999',
    });
    expect([beyond.status, fieldsOf(beyond)]).toEqual([400, ['upToSequence']]);
  });

  it('is closed as completed, then takes no more messages (409)', async () => {
    const other = await openSpecialistThread();
    const closed = await ok(
      as(staff['pref.clinician']!, 'POST', `/v1/consultations/${other.id}/close`, { outcome: '建议 34 周择期剖宫产' }),
    );
    expect(closed.consultation).toMatchObject({
      status: 'CONSULTATION_STATUS_COMPLETED',
      outcome: '建议 34 周择期剖宫产',
    });
    const late = await as(staff['lufeng.clinician']!, 'POST', `/v1/consultations/${other.id}/messages`, {
      text: '补充',
    });
    expect(late.status).toBe(409);
  });

  it('cannot be addressed to an institution of the same level or lower (403)', async () => {
    const sideways = await as(staff['lufeng.clinician']!, 'POST', '/v1/consultations', {
      kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
      patientId,
      addressedInstitutionId: staff['lufeng.clinician']!.institutionId,
      text: 'x',
    });
    expect(sideways.status).toBe(403);
  });

  it('is closed to non-participants: 403 on reading, messages, the live stream, posting and joining', async () => {
    const outsider = staff['shuangbai.midwife']!;
    expect((await as(outsider, 'GET', `/v1/consultations/${thread.id}`)).status).toBe(403);
    expect((await as(outsider, 'GET', `/v1/consultations/${thread.id}/messages`)).status).toBe(403);
    expect((await as(outsider, 'POST', `/v1/consultations/${thread.id}/messages`, { text: '你好' })).status).toBe(403);
    expect((await as(outsider, 'POST', `/v1/consultations/${thread.id}/join`, {})).status).toBe(403);
    expect((await as(staff['pref.analyst']!, 'GET', `/v1/consultations/${thread.id}`)).status).toBe(403);
    const stream = await subscribe(platform.gatewayUrl, thread.id, outsider);
    expect(stream.status).toBe(403);
    expect((await as(outsider, 'GET', `/v1/consultations/${randomUUID()}`)).status).toBe(404);
  });

  it("is read by a platform admin as an audited operation, and the specialist's join is in the patient's audit trail", async () => {
    expect((await as(staff['platform.admin']!, 'GET', `/v1/consultations/${thread.id}`)).status).toBe(200);
    expect(
      (await as(staff['platform.admin']!, 'POST', `/v1/consultations/${thread.id}/messages`, { text: 'x' })).status,
    ).toBe(403);
    const audit = await ok(as(staff['lufeng.admin']!, 'GET', `/v1/patients/${patientId}/audit?pageSize=100`));
    const consultationEvents = audit.events.filter((e: any) => e.service === 'consultation');
    expect(consultationEvents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'consultation.join',
          actorId: staff['pref.clinician']!.accountId,
          purpose: 'consultation',
          outcome: 'allowed',
        }),
        expect.objectContaining({
          action: 'consultation.read',
          actorId: staff['platform.admin']!.accountId,
          reason: 'platform operations',
        }),
        expect.objectContaining({
          action: 'consultation.read',
          actorId: staff['shuangbai.midwife']!.accountId,
          outcome: 'denied',
        }),
      ]),
    );
  });

  it('refuses an oversized message and too many attachments with 400 naming the field, and stores nothing', async () => {
    const before = (await ok(as(staff['lufeng.clinician']!, 'GET', `/v1/consultations/${thread.id}`))).summary
      .consultation.lastSequence;
    const long = await as(staff['lufeng.clinician']!, 'POST', `/v1/consultations/${thread.id}/messages`, {
      text: '血'.repeat(4001),
    });
    expect([long.status, fieldsOf(long)]).toEqual([400, ['text']]);
    const attachments = Array.from({ length: 11 }, (_, i) => ({
      objectId: i.toString(16).padStart(64, '0'),
      fileName: `${i}.jpg`,
    }));
    const many = await as(staff['lufeng.clinician']!, 'POST', `/v1/consultations/${thread.id}/messages`, {
      text: 'x',
      attachments,
    });
    expect([many.status, fieldsOf(many)]).toEqual([400, ['attachments']]);
    const after = (await ok(as(staff['lufeng.clinician']!, 'GET', `/v1/consultations/${thread.id}`))).summary
      .consultation.lastSequence;
    expect(after).toBe(before);
  });

  it("carries attachments from the object store that only the thread's participants download, and refuses others' objects", async () => {
    const bytes = png('胎心监护图');
    const trace = await upload(staff['pref.clinician']!, `consultation:${thread.id}`, bytes);
    const posted = await ok(
      as(staff['pref.clinician']!, 'POST', `/v1/consultations/${thread.id}/messages`, {
        text: '胎心监护见附件',
        attachments: [{ objectId: trace.id, fileName: 'ctg.png' }],
      }),
    );
    expect(posted.message.attachments).toEqual([
      { objectId: trace.id, fileName: 'ctg.png', contentType: 'image/png', sizeBytes: String(bytes.length) },
    ]);
    const download = async (who: Session) =>
      fetch(`${platform.gatewayUrl}/v1/objects/${trace.id}`, {
        headers: { authorization: `Bearer ${who.token}`, ...consultationPurpose },
      });
    const theirs = await download(staff['lufeng.clinician']!);
    expect([theirs.status, Buffer.from(await theirs.arrayBuffer()).equals(bytes)]).toEqual([200, true]);
    expect((await download(staff['shuangbai.midwife']!)).status).toBe(403);

    const elsewhere = await openSpecialistThread();
    const foreign = await upload(staff['pref.clinician']!, `consultation:${elsewhere.id}`, png('another thread'));
    const misplaced = await as(staff['pref.clinician']!, 'POST', `/v1/consultations/${thread.id}/messages`, {
      attachments: [{ objectId: foreign.id, fileName: 'x.png' }],
    });
    expect([misplaced.status, fieldsOf(misplaced)]).toEqual([400, ['attachments[0].objectId']]);
    const missing = await as(staff['pref.clinician']!, 'POST', `/v1/consultations/${thread.id}/messages`, {
      attachments: [{ objectId: 'f'.repeat(64), fileName: 'x.png' }],
    });
    expect([missing.status, fieldsOf(missing)]).toEqual([400, ['attachments[0].objectId']]);
  });

  it('posts once per Idempotency-Key, and refuses the key with another message', async () => {
    const key = { 'idempotency-key': `post-${randomUUID()}` };
    const first = await ok(
      as(staff['lufeng.clinician']!, 'POST', `/v1/consultations/${thread.id}/messages`, { text: '化验单已上传' }, key),
    );
    const again = await ok(
      as(staff['lufeng.clinician']!, 'POST', `/v1/consultations/${thread.id}/messages`, { text: '化验单已上传' }, key),
    );
    expect(again.message).toEqual(first.message);
    const other = await as(
      staff['lufeng.clinician']!,
      'POST',
      `/v1/consultations/${thread.id}/messages`,
      { text: '另一条' },
      key,
    );
    expect([other.status, fieldsOf(other)]).toEqual([400, ['Idempotency-Key']]);
  });

  it('numbers 30 concurrent posts without a gap or a duplicate', async () => {
    const fresh = await openSpecialistThread();
    const posted = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post(i % 2 ? staff['lufeng.clinician']! : staff['pref.clinician']!, fresh.id, `并发 ${i}`),
      ),
    );
    const sequences = posted.map((m) => Number(m.sequence)).sort((a, b) => a - b);
    // Sequence 1 is the opening message, 2 the specialist's join.
    expect(sequences).toEqual(Array.from({ length: 30 }, (_, i) => i + 3));
  });
});

describe('a resident–clinician consultation', () => {
  it('is opened by the resident to her county hospital, joined by its clinician, and only she and they read it', async () => {
    const resident = await newResident(api, staff['lufeng.clinician']!, patientId);
    const created = await ok(
      api.call('POST', '/v1/consultations', {
        token: resident.token,
        body: {
          kind: 'CONSULTATION_KIND_RESIDENT_CLINICIAN',
          addressedInstitutionId: staff['lufeng.clinician']!.institutionId,
          text: '最近头痛，眼花，需要去医院吗？',
        },
      }),
    );
    const id = created.consultation.id;
    expect(created.consultation.patientId).toBe(patientId);
    await ok(as(staff['lufeng.clinician']!, 'POST', `/v1/consultations/${id}/join`, {}));
    await post(staff['lufeng.clinician']!, id, '请今天来院测血压');
    const hers = await ok(api.call('GET', '/v1/consultations', { token: resident.token }));
    expect(hers.consultations.map((c: any) => [c.consultation.id, c.unreadCount])).toEqual([[id, 1]]);
    expect(hers.totalUnread).toBe(1);
    // Another township's midwife is neither of the thread's institutions.
    expect((await as(staff['shuangbai.midwife']!, 'POST', `/v1/consultations/${id}/join`, {})).status).toBe(403);
    // A resident cannot open a specialist consultation, nor one about someone else.
    const specialist = await api.call('POST', '/v1/consultations', {
      token: resident.token,
      body: {
        kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
        addressedInstitutionId: staff['pref.clinician']!.institutionId,
        text: 'x',
      },
    });
    expect(specialist.status).toBe(403);
    const unknownInstitution = await api.call('POST', '/v1/consultations', {
      token: resident.token,
      body: { kind: 'CONSULTATION_KIND_RESIDENT_CLINICIAN', addressedInstitutionId: randomUUID(), text: 'x' },
    });
    expect([unknownInstitution.status, fieldsOf(unknownInstitution)]).toEqual([400, ['addressedInstitutionId']]);
  });
});

describe('live delivery', () => {
  // A second consultation process behind its own gateway: it hears posts made elsewhere only through Redis (its
  // safety poll is set beyond the test's reach). A third gateway in front of the platform's consultation process.
  const viaRedisOnly = new ExtraStack(platform, { CONSULTATION_SAFETY_POLL_MS: '300000' });
  const third = new ExtraStack(platform);

  beforeAll(async () => {
    await Promise.all([viaRedisOnly.start(), third.start()]);
    await Promise.all([
      viaRedisOnly.ready(staff['lufeng.clinician']!.token),
      third.ready(staff['lufeng.clinician']!.token),
    ]);
  });
  afterAll(async () => {
    await Promise.all([viaRedisOnly.stop(), third.stop()]);
  });

  it('delivers posts made through a third gateway to subscribers on two other gateways, in order, exactly once', async () => {
    const thread = await openSpecialistThread();
    const a = await subscribe(platform.gatewayUrl, thread.id, staff['lufeng.clinician']!, '2');
    const b = await subscribe(viaRedisOnly.gatewayUrl, thread.id, staff['pref.clinician']!, '2');
    try {
      for (const text of ['一', '二', '三']) await post(staff['pref.clinician']!, thread.id, text, third.gatewayUrl);
      // A marker after the three: whatever a subscriber receives next must be it, so nothing came twice.
      await post(staff['lufeng.clinician']!, thread.id, 'marker', third.gatewayUrl);
      expect(await nextMessages(a, 4)).toEqual(['3:一', '4:二', '5:三', '6:marker']);
      expect(await nextMessages(b, 4)).toEqual(['3:一', '4:二', '5:三', '6:marker']);
    } finally {
      a.close();
      b.close();
    }
  });

  it('gives a subscriber that was away exactly the three messages it missed when it reconnects with Last-Event-ID', async () => {
    const thread = await openSpecialistThread();
    const first = await subscribe(viaRedisOnly.gatewayUrl, thread.id, staff['lufeng.clinician']!);
    expect(await nextMessages(first, 2)).toEqual([expect.stringMatching(/^1:/), '2:participant.joined']);
    const lastEventId = first.lastEventId;
    first.close();
    for (const text of ['甲', '乙', '丙']) await post(staff['pref.clinician']!, thread.id, text, third.gatewayUrl);
    const again = await subscribe(viaRedisOnly.gatewayUrl, thread.id, staff['lufeng.clinician']!, lastEventId);
    try {
      await post(staff['pref.clinician']!, thread.id, 'marker');
      expect(await nextMessages(again, 4)).toEqual(['3:甲', '4:乙', '5:丙', '6:marker']);
    } finally {
      again.close();
    }
  });

  it('sends heartbeats on a quiet stream, and ends the backend subscription when the client leaves', async () => {
    const thread = await openSpecialistThread();
    const channel = `consultation:thread:${thread.id}`;
    const redis = new Redis(platform.redisUrl);
    const listeners = async (): Promise<number> =>
      Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
    try {
      const controller = new AbortController();
      const response = await fetch(`${third.gatewayUrl}/v1/consultations/${thread.id}/events`, {
        headers: {
          authorization: `Bearer ${staff['lufeng.clinician']!.token}`,
          ...consultationPurpose,
          'last-event-id': '2',
        },
        signal: controller.signal,
      });
      expect([response.status, response.headers.get('content-type')]).toEqual([
        200,
        'text/event-stream; charset=utf-8',
      ]);
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (text.includes(': heartbeat\n\n')) break;
      }
      expect(text).toContain('event: ready');
      expect(await listeners()).toBe(1);
      controller.abort();
      await waitFor(async () => (await listeners()) === 0, 30_000, 'the consultation process to drop the subscription');
    } finally {
      redis.disconnect();
    }
  });

  it('ends the stream of a participant who is removed, and refuses its reconnect', async () => {
    const thread = await openSpecialistThread();
    const removed = await subscribe(viaRedisOnly.gatewayUrl, thread.id, staff['pref.clinician']!, '2');
    await ok(
      as(
        staff['lufeng.clinician']!,
        'DELETE',
        `/v1/consultations/${thread.id}/participants/${staff['pref.clinician']!.accountId}`,
      ),
    );
    expect(await nextMessages(removed, 1)).toEqual(['3:participant.removed']);
    expect(await removed.next()).toBeUndefined();
    const again = await subscribe(viaRedisOnly.gatewayUrl, thread.id, staff['pref.clinician']!, '3');
    expect(again.status).toBe(403);
  });

  it('refuses a Last-Event-ID that is not a sequence number with 400 naming it', async () => {
    const thread = await openSpecialistThread();
    const stream = await subscribe(platform.gatewayUrl, thread.id, staff['lufeng.clinician']!, 'abc');
    expect([stream.status, (stream.errorBody as any).details[0].fieldViolations[0].field]).toEqual([
      400,
      'Last-Event-ID',
    ]);
  });

  describe('through a consultation process whose Redis is gone', () => {
    let noRedis: ExtraStack;

    beforeAll(async () => {
      noRedis = new ExtraStack(platform, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      await noRedis.start();
      await noRedis.ready(staff['lufeng.clinician']!.token);
    });
    afterAll(async () => noRedis.stop());

    it('still takes posts, delivers them live by polling Postgres, and replays what was missed on reconnect', async () => {
      const thread = await openSpecialistThread();
      const live = await subscribe(noRedis.gatewayUrl, thread.id, staff['lufeng.clinician']!, '2');
      await post(staff['pref.clinician']!, thread.id, '经平台网关', platform.gatewayUrl);
      await post(staff['pref.clinician']!, thread.id, '经无 Redis 的网关', noRedis.gatewayUrl);
      expect(await nextMessages(live, 2)).toEqual(['3:经平台网关', '4:经无 Redis 的网关']);
      const lastEventId = live.lastEventId;
      live.close();
      for (const text of ['子', '丑', '寅']) await post(staff['pref.clinician']!, thread.id, text, noRedis.gatewayUrl);
      const again = await subscribe(noRedis.gatewayUrl, thread.id, staff['lufeng.clinician']!, lastEventId);
      try {
        await post(staff['pref.clinician']!, thread.id, 'marker', noRedis.gatewayUrl);
        expect(await nextMessages(again, 4)).toEqual(['5:子', '6:丑', '7:寅', '8:marker']);
      } finally {
        again.close();
      }
    });
  });
});

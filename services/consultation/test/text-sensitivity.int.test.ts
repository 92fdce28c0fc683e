// Sensitive facts do not leak through a consultation's free text (issue 28 §1), through the gateway on the real
// platform: the Guangtong township midwife asks the Lufeng county hospital about a woman, with a subject naming
// syphilis, an opening message naming HIV and an attachment named after the HIV test. The county's clinician (the
// addressed institution) reads everything; the Shuangbai midwife of another county, invited into the thread, reads
// the thread, its messages, her thread list and the live events stream without that text or the attachment, with
// text_withheld set, while plain messages reach her; break-glass opens the stream's replay for her; the matches
// are audited by field and category, never the text.
import { randomUUID } from 'node:crypto';
import { Api } from '../../identity/test/support';
import { readTestPlatform } from '../../platform/test/platform-env';
import { SseStream } from '../../../loadtest/bench/sse-client';
import { matchSensitiveTerms } from '../../common/src/sensitive-text';
import { consultationPurpose, newPatient, ok, session, Session, subscribe } from './support';

jest.setTimeout(120_000);

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const staff: Record<string, Session> = {};
const glass = {
  'x-mch-purpose': 'break-glass',
  'x-mch-break-glass-reason': 'she is in labour here, the county cannot be reached',
};

function as(who: Session, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  return api.call(method, route, { token: who.token, body, headers: { ...consultationPurpose, ...headers } });
}

/** A message as the events stream sends it (JSON: unset fields left out). */
interface WireMessage {
  sequence: string;
  text?: string;
  textWithheld?: boolean;
  attachments?: { objectId: string; fileName: string }[];
}

/** The next message event of a stream, parsed. */
async function nextMessage(stream: SseStream): Promise<WireMessage> {
  return JSON.parse((await stream.nextOf('message')).data) as WireMessage;
}

beforeAll(async () => {
  for (const user of ['lufeng.midwife', 'lufeng.clinician', 'lufeng.admin', 'shuangbai.midwife'])
    staff[user] = await session(api, user);
});

describe('a consultation naming HIV and syphilis', () => {
  let patientId: string;
  let threadId: string;
  let objectId: string;
  const midwife = (): Session => staff['lufeng.midwife']!;
  const county = (): Session => staff['lufeng.clinician']!;
  const outsider = (): Session => staff['shuangbai.midwife']!;

  beforeAll(async () => {
    patientId = await newPatient(api, midwife(), '1994-02-17');
    const bytes = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(`hiv report ${randomUUID()}`)]);
    const uploaded = await fetch(
      `${platform.gatewayUrl}/v1/objects?reference=${encodeURIComponent(`patient:${patientId}`)}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${midwife().token}`,
          ...consultationPurpose,
          'content-type': 'image/png',
          'idempotency-key': `upload-${randomUUID()}`,
        },
        body: bytes,
      },
    );
    expect(uploaded.ok).toBe(true);
    objectId = ((await uploaded.json()) as { object: { id: string } }).object.id;
    const { consultation, message } = await ok(
      as(midwife(), 'POST', '/v1/consultations', {
        kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
        patientId,
        addressedInstitutionId: county().institutionId,
        subject: '妊娠合并梅毒',
        text: 'HIV阳性，CD4 350，请会诊',
        attachments: [{ objectId, fileName: 'HIV确证报告.png' }],
      }),
    );
    threadId = consultation.id;
    expect(consultation.subject).toBe('妊娠合并梅毒');
    expect(message).toMatchObject({
      text: 'HIV阳性，CD4 350，请会诊',
      attachments: [expect.objectContaining({ fileName: 'HIV确证报告.png' })],
    });
    await ok(as(county(), 'POST', `/v1/consultations/${threadId}/join`, {}));
    await ok(as(county(), 'POST', `/v1/consultations/${threadId}/participants`, { accountId: outsider().accountId }));
    await ok(as(outsider(), 'POST', `/v1/consultations/${threadId}/join`, {}));
    await ok(as(midwife(), 'POST', `/v1/consultations/${threadId}/messages`, { text: '孕 30 周，血压正常' }));
  });

  it('is read whole by the addressed institution', async () => {
    const { summary } = await ok(as(county(), 'GET', `/v1/consultations/${threadId}`));
    expect(summary.consultation).toMatchObject({ subject: '妊娠合并梅毒' });
    const { messages } = await ok(as(county(), 'GET', `/v1/consultations/${threadId}/messages?pageSize=50`));
    expect(messages[0]).toMatchObject({
      text: 'HIV阳性，CD4 350，请会诊',
      attachments: [expect.objectContaining({ objectId })],
    });
    expect(messages[0].textWithheld ?? false).toBe(false);
  });

  it('is read by the invited midwife of another county without the sensitive subject, text or attachment', async () => {
    const { summary } = await ok(as(outsider(), 'GET', `/v1/consultations/${threadId}`));
    expect(summary.consultation.subject ?? '').toBe('');
    expect(summary.consultation.textWithheld).toBe(true);
    const { messages } = await ok(as(outsider(), 'GET', `/v1/consultations/${threadId}/messages?pageSize=50`));
    const opening = messages[0];
    expect(opening.text ?? '').toBe('');
    expect(opening.attachments ?? []).toEqual([]);
    expect(opening.textWithheld).toBe(true);
    const plain = messages.find((m: { text?: string }) => m.text === '孕 30 周，血压正常');
    expect(plain).toBeDefined();
    expect(plain.textWithheld ?? false).toBe(false);
    expect(matchSensitiveTerms(JSON.stringify(messages))).toEqual([]);
    const mine = await ok(as(outsider(), 'GET', '/v1/consultations?pageSize=100'));
    const listed = mine.consultations.find((s: { consultation: { id: string } }) => s.consultation.id === threadId);
    expect(listed.consultation).toMatchObject({ textWithheld: true });
    expect(matchSensitiveTerms(JSON.stringify(listed))).toEqual([]);
  });

  it("withholds sensitive posts in her live events stream, live and in its replay, and not in the county's", async () => {
    const hers = await subscribe(platform.gatewayUrl, threadId, outsider());
    const theirs = await subscribe(platform.gatewayUrl, threadId, county());
    try {
      // The replay: the opening message (withheld for her), then events and the plain post.
      const replayed: WireMessage[] = [];
      for (;;) {
        const message = await nextMessage(hers);
        replayed.push(message);
        if (message.text === '孕 30 周，血压正常') break;
      }
      expect(replayed[0]).toMatchObject({ sequence: '1', textWithheld: true });
      expect(replayed[0]?.text ?? '').toBe('');
      expect(matchSensitiveTerms(JSON.stringify(replayed))).toEqual([]);
      for (;;) if ((await nextMessage(theirs)).text === '孕 30 周，血压正常') break;

      await ok(as(midwife(), 'POST', `/v1/consultations/${threadId}/messages`, { text: '复查RPR 1:8，TPPA阳性' }));
      await ok(as(midwife(), 'POST', `/v1/consultations/${threadId}/messages`, { text: '明天复诊' }));
      const [sensitive, marker] = [await nextMessage(hers), await nextMessage(hers)];
      expect(sensitive).toMatchObject({ textWithheld: true });
      expect(sensitive.text ?? '').toBe('');
      expect(marker).toMatchObject({ text: '明天复诊' });
      expect(marker.textWithheld ?? false).toBe(false);
      expect((await nextMessage(theirs)).text).toBe('复查RPR 1:8，TPPA阳性');
    } finally {
      hers.close();
      theirs.close();
    }
  });

  it('opens the stream to her by break-glass', async () => {
    const stream = await SseStream.open(`${platform.gatewayUrl}/v1/consultations/${threadId}/events`, {
      authorization: `Bearer ${outsider().token}`,
      ...glass,
    });
    try {
      expect(stream.status).toBe(200);
      await stream.nextOf('ready');
      expect(await nextMessage(stream)).toMatchObject({
        sequence: '1',
        text: 'HIV阳性，CD4 350，请会诊',
        attachments: [expect.objectContaining({ objectId })],
      });
    } finally {
      stream.close();
    }
  });

  it('audits the matches by field and category, and the break-glass read with its reason, never the text', async () => {
    const trail = await ok(
      api.call('GET', `/v1/patients/${patientId}/audit?pageSize=100`, { token: staff['lufeng.admin']!.token }),
    );
    const events = (trail.events ?? []).filter((e: { service: string }) => e.service === 'consultation');
    const matches = events
      .filter((e: { action: string }) => e.action === 'text.sensitive-terms')
      .map((e: { reason: string }) => e.reason.replace(/; list=\S+$/, ''));
    expect(matches.sort()).toEqual(
      [
        'field=consultation.subject; categories=syphilis',
        'field=consultation_message.text; categories=hiv',
        'field=consultation_message.attachments; categories=hiv',
        'field=consultation_message.text; categories=syphilis',
      ].sort(),
    );
    expect(
      events.some(
        (e: { action: string; reason?: string }) =>
          e.action === 'consultation.subscribe' && e.reason === `break-glass: ${glass['x-mch-break-glass-reason']}`,
      ),
    ).toBe(true);
    expect(JSON.stringify(trail)).not.toContain('CD4');
  });
});

// The listener over real TCP on loopback, with @medplum/hl7's MLLP client as the test LIS. The sink here is an
// in-memory one keyed like the store (MSH-3, MSH-4, MSH-10); storing into Postgres is not exercised here.
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import net from 'node:net';
import type { OruR01 } from '../domain/lis/oru-r01';
import { startMllpListener, type LabMessageOutcome, type LabMessageSink, type MllpListener } from './mllp-listener';

const NATIONAL_ID = '532301199003070020';
const KNOWN = new Set([NATIONAL_ID]);

class MemorySink implements LabMessageSink {
  readonly stored = new Map<string, { message: OruR01; outcome: LabMessageOutcome }>();
  private reviews = 0;
  accept(message: OruR01): Promise<LabMessageOutcome> {
    const key = `${message.header.sendingApplication}|${message.header.sendingFacility}|${message.header.controlId}`;
    const seen = this.stored.get(key);
    if (seen) {
      const first = seen.outcome.kind === 'duplicate' ? seen.outcome.first : seen.outcome;
      return Promise.resolve({ kind: 'duplicate', first });
    }
    const matched = message.identifiers.some((id) => id.kind === 'national' && KNOWN.has(id.value));
    const outcome: LabMessageOutcome = matched
      ? { kind: 'stored' }
      : { kind: 'review', reviewId: `lab-review-${++this.reviews}` };
    this.stored.set(key, { message, outcome });
    return Promise.resolve(outcome);
  }
}

function oru(
  controlId: string,
  options: { id?: string; name?: string; msh18?: string; app?: string; obx?: string } = {},
): string {
  return [
    `MSH|^~\\&|${options.app ?? 'LIS'}|LUFENG_MCH|MCH|ALLIANCE|20261208083000||ORU^R01^ORU_R01|${controlId}|P|2.5|||||CHN|${options.msh18 ?? 'UNICODE UTF-8'}`,
    `PID|1||${options.id ?? NATIONAL_ID}^^^CHN^NNCHN||${options.name ?? '李^秀英'}||19900307|F`,
    'OBR|1||LAB-77|CBC^血常规^L|||20261207101500',
    options.obx ?? 'OBX|1|NM|HGB^血红蛋白^L||98|g/L|110-150|L|||F',
  ].join('\r');
}

describe('MLLP listener', () => {
  let listener: MllpListener;
  let sink: MemorySink;
  const clients: Hl7Client[] = [];
  const client = (encoding?: string): Hl7Client => {
    const created = new Hl7Client({ host: '127.0.0.1', port: listener.port, ...(encoding ? { encoding } : {}) });
    clients.push(created);
    return created;
  };
  // No timeoutMs: 5.0.10 leaves that timer running after the ACK arrives (jest's timeout bounds the wait).
  // @medplum/hl7 5.0.10 brings its own @medplum/core copy: the same Hl7Message API under another declaration.
  type ClientMessage = Parameters<Hl7Client['sendAndWait']>[0];
  const send = async (text: string, encoding?: string): Promise<Hl7Message> =>
    (await client(encoding).sendAndWait(Hl7Message.parse(text) as unknown as ClientMessage)) as unknown as Hl7Message;
  const msa = (ack: Hl7Message, field: number): string => ack.getSegment('MSA')?.getField(field)?.toString() ?? '';
  const err = (ack: Hl7Message): string[] => ack.getAllSegments('ERR').map((segment) => segment.getField(2).toString());

  beforeEach(async () => {
    sink = new MemorySink();
    listener = await startMllpListener({
      host: '127.0.0.1',
      port: 0,
      sink,
      senders: [
        { sendingApplication: 'LIS', sendingFacility: 'LUFENG_MCH', addresses: ['127.0.0.1'], defaultCharset: 'utf-8' },
      ],
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await listener.close();
  });

  it('answers AA for a matched patient and stores the result once per MSH-10', async () => {
    const first = await send(oru('M1'));
    expect([msa(first, 1), msa(first, 2), msa(first, 3)]).toEqual(['AA', 'M1', '']);
    const again = await send(oru('M1'));
    expect(msa(again, 1)).toBe('AA');
    expect(sink.stored.size).toBe(1);
    expect(sink.stored.get('LIS|LUFENG_MCH|M1')?.message.observations[0]).toMatchObject({
      code: 'HGB',
      numericValue: 98,
      units: 'g/L',
    });
  });

  it('answers AA with the review id in MSA-3 when the patient is not matched, and the same id on a resend', async () => {
    const ack = await send(oru('M2', { id: '53230119910307001X' }));
    expect(msa(ack, 1)).toBe('AA');
    expect(msa(ack, 3)).toBe('lab-review-1');
    expect(msa(await send(oru('M2', { id: '53230119910307001X' })), 3)).toBe('lab-review-1');
  });

  it('answers AE with an ERR naming the field of a malformed message, and stores nothing of it', async () => {
    const ack = await send(oru('M3', { obx: 'OBX|1|NM|HGB^血红蛋白^L||ninety|g/L|110-150|L|||F' }));
    expect(msa(ack, 1)).toBe('AE');
    expect(err(ack)).toEqual(['OBX^1^5']);
    expect(sink.stored.size).toBe(0);
  });

  it('answers AR naming MSH-4 for a sender that is not configured', async () => {
    const ack = await send(oru('M4', { app: 'OTHER_LIS' }));
    expect(msa(ack, 1)).toBe('AR');
    expect(err(ack)).toEqual(['MSH^1^4']);
    expect(sink.stored.size).toBe(0);
  });

  it('stores the right Chinese name and result text from a GB18030 message, and refuses GB18030 bytes sent as UTF-8', async () => {
    const ack = await send(oru('M5', { msh18: 'GB18030', name: '阿依^秀英' }), 'gb18030');
    expect(msa(ack, 1)).toBe('AA');
    const stored = sink.stored.get('LIS|LUFENG_MCH|M5')?.message;
    expect(stored?.patientName).toBe('阿依秀英');
    expect(stored?.observations[0]?.name).toBe('血红蛋白');
    const mislabelled = await send(oru('M6', { msh18: 'UNICODE UTF-8', name: '阿依^秀英' }), 'gb18030');
    expect(msa(mislabelled, 1)).toBe('AR');
    expect(err(mislabelled)).toEqual(['MSH^1^18']);
    expect(sink.stored.has('LIS|LUFENG_MCH|M6')).toBe(false);
  });

  it('closes a connection from an address that is not configured without reading it', async () => {
    const other = await startMllpListener({
      host: '127.0.0.1',
      port: 0,
      sink,
      senders: [
        { sendingApplication: 'LIS', sendingFacility: 'LUFENG_MCH', addresses: ['10.0.0.9'], defaultCharset: 'utf-8' },
      ],
    });
    const closed = await new Promise<boolean>((resolve) => {
      const socket = net.connect(other.port, '127.0.0.1');
      socket.on('close', () => resolve(true));
      socket.on('error', () => undefined);
    });
    expect(closed).toBe(true);
    await other.close();
  });
});

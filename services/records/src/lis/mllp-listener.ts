// The MLLP listener for hospital LIS (HL7 v2 over TCP, optionally TLS): frames (VT … FS CR), admits only configured
// senders (source address and MSH-3/MSH-4), decodes each message by its own MSH-18, and answers every frame with
// one ACK in the message's character set. What is stored, and how, is the sink's business.
import net from 'node:net';
import tls from 'node:tls';
import { buildAck, type AckFields, type Hl7AckCode } from '../domain/lis/ack';
import { decodeHl7Frame, encodeHl7, Hl7DecodeError, type Hl7Charset } from '../domain/lis/charset';
import { Hl7MessageError, parseOruR01, type Hl7Problem, type OruR01 } from '../domain/lis/oru-r01';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

/** One LIS allowed to send: its MSH-3/MSH-4 and the addresses it connects from. */
export interface LisSender {
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly addresses: readonly string[];
  /** The set of a message whose MSH-18 is empty. */
  readonly defaultCharset: Hl7Charset;
}

/** What became of a checked message: stored in the record, held for review (patient unmatched), or seen before. */
export type LabMessageOutcome =
  | { readonly kind: 'stored' }
  | { readonly kind: 'review'; readonly reviewId: string }
  | {
      readonly kind: 'duplicate';
      readonly first: { readonly kind: 'stored' } | { readonly kind: 'review'; readonly reviewId: string };
    };

export interface LabMessageSink {
  /** Stores all of the message or none of it, idempotent by (MSH-3, MSH-4, MSH-10). */
  accept(message: OruR01, sender: LisSender): Promise<LabMessageOutcome>;
}

export interface MllpListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly senders: readonly LisSender[];
  readonly sink: LabMessageSink;
  /** Our MSH-3/MSH-4 on acknowledgements. */
  readonly receivingApplication?: string;
  readonly receivingFacility?: string;
  /** TLS key and certificate (PEM); plain TCP without them. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer; readonly ca?: string | Buffer };
  /** A frame longer than this closes the connection. */
  readonly maxFrameBytes?: number;
  readonly onError?: (error: unknown) => void;
}

export interface MllpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** IPv4-mapped IPv6 addresses as their IPv4 form, so `127.0.0.1` in the allow-list matches. */
function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

/** MSH fields for the ACK, read from the raw frame (ASCII in every accepted set) even when it cannot be decoded. */
function rawAckFields(
  frame: Buffer,
  charsetName: string,
): Omit<AckFields, 'receivingApplication' | 'receivingFacility'> {
  const end = frame.indexOf(CR);
  const msh = frame.subarray(0, end === -1 ? frame.length : end).toString('latin1');
  const separator = msh.charAt(3) || '|';
  const component = msh.charAt(4) || '^';
  const fields = msh.startsWith('MSH') ? msh.split(separator) : [];
  const at = (n: number): string => (fields[n - 1] ?? '').split(component)[0] ?? '';
  return {
    sendingApplication: at(3),
    sendingFacility: at(4),
    controlId: fields[9] ?? '',
    version: at(12),
    processingId: at(11),
    charsetName,
  };
}

let ackSequence = 0;
const nextAckControlId = (): string => `MCH${Date.now().toString(36)}${(ackSequence++).toString(36)}`;

export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  const maxFrame = options.maxFrameBytes ?? 1024 * 1024;
  const allowedAddresses = new Set(options.senders.flatMap((sender) => sender.addresses));

  async function answer(frame: Buffer, remote: string): Promise<Buffer> {
    const senders = options.senders.filter((sender) => sender.addresses.includes(remote));
    const raw = rawAckFields(frame, '');
    const rawSender = senders.find(
      (sender) =>
        sender.sendingApplication === raw.sendingApplication && sender.sendingFacility === raw.sendingFacility,
    );
    let charset: Hl7Charset = rawSender?.defaultCharset ?? 'utf-8';
    let charsetName = '';
    const reply = (code: Hl7AckCode, text: string, problems: readonly Hl7Problem[] = []): Buffer => {
      const fields: AckFields = {
        ...raw,
        charsetName,
        receivingApplication: options.receivingApplication ?? 'MCH',
        receivingFacility: options.receivingFacility ?? 'MCH_ALLIANCE',
      };
      return encodeHl7(buildAck(fields, code, { text, problems, ackControlId: nextAckControlId() }), charset);
    };
    if (rawSender === undefined) {
      return reply('AR', 'sender not admitted', [
        {
          segment: 'MSH',
          sequence: 1,
          field: 4,
          code: 204,
          description: `MSH-3/MSH-4 "${raw.sendingApplication}"/"${raw.sendingFacility}" is not a configured sender from ${remote}`,
        },
      ]);
    }
    let text: string;
    try {
      ({ text, charset } = decodeHl7Frame(frame, rawSender.defaultCharset));
      charsetName = rawMsh18Name(frame);
    } catch (error) {
      if (!(error instanceof Hl7DecodeError)) throw error;
      return reply('AR', error.message, [
        { segment: 'MSH', sequence: 1, field: 18, code: 103, description: error.message },
      ]);
    }
    let message: OruR01;
    try {
      message = parseOruR01(text);
    } catch (error) {
      if (!(error instanceof Hl7MessageError)) throw error;
      return reply(error.ackCode, error.message.slice(0, 200), error.problems);
    }
    try {
      const outcome = await options.sink.accept(message, rawSender);
      const settled = outcome.kind === 'duplicate' ? outcome.first : outcome;
      return reply('AA', settled.kind === 'review' ? settled.reviewId : '');
    } catch (error) {
      options.onError?.(error);
      // Unknown outcome (a lost commit, identity unavailable): the sender retries; the message key makes that safe.
      return reply('AE', 'not stored: try again', [
        {
          segment: 'MSH',
          sequence: 1,
          field: 10,
          code: 207,
          description: 'temporarily unable to store; resend this message',
        },
      ]);
    }
  }

  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const remote = plainAddress(socket.remoteAddress);
    if (!allowedAddresses.has(remote)) {
      socket.destroy();
      return;
    }
    let buffered = Buffer.alloc(0);
    let chain = Promise.resolve();
    socket.on('error', (error) => options.onError?.(error));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const start = buffered.indexOf(VT);
        if (start === -1) {
          buffered = Buffer.alloc(0);
          return;
        }
        let end = -1;
        for (let i = start + 1; i < buffered.length - 1; i++) {
          if (buffered[i] === FS && buffered[i + 1] === CR) {
            end = i;
            break;
          }
        }
        if (end === -1) {
          if (buffered.length - start > maxFrame) socket.destroy();
          buffered = buffered.subarray(start);
          return;
        }
        const frame = Buffer.from(buffered.subarray(start + 1, end));
        buffered = buffered.subarray(end + 2);
        // Frames of one connection are answered in order.
        chain = chain
          .then(() => answer(frame, remote))
          .then((ack) => {
            if (!socket.destroyed) socket.write(Buffer.concat([Buffer.from([VT]), ack, Buffer.from([FS, CR])]));
          })
          .catch((error: unknown) => {
            options.onError?.(error);
            socket.destroy();
          });
      }
    });
  };

  const server = options.tls ? tls.createServer({ ...options.tls }, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Senders keep connections open between messages; answers already written have been flushed by end().
        for (const socket of sockets) socket.end();
      }),
  };
}

function rawMsh18Name(frame: Buffer): string {
  const end = frame.indexOf(CR);
  const msh = frame.subarray(0, end === -1 ? frame.length : end).toString('latin1');
  return msh.split(msh.charAt(3) || '|')[17] ?? '';
}

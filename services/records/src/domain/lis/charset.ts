// MSH-18 (character set, HL7 table 0211) of an inbound HL7 v2 message: which bytes mean which characters. A message
// that does not decode cleanly under its declared set is refused: a name is never stored as mojibake.
import iconv from 'iconv-lite';

/** The character sets the listener decodes, by the iconv-lite name it uses. */
export type Hl7Charset = 'utf-8' | 'gb18030' | 'gbk' | 'ascii' | 'latin1';

/**
 * MSH-18 values as LIS vendors send them: HL7 table 0211 names ("UNICODE UTF-8", "GB 18030-2000", "8859/1",
 * "ASCII") and the bare names Chinese LIS often write instead ("UTF-8", "GB18030", "GBK").
 */
const MSH18_NAMES: ReadonlyMap<string, Hl7Charset> = new Map([
  ['UNICODE UTF-8', 'utf-8'],
  ['UTF-8', 'utf-8'],
  ['UTF8', 'utf-8'],
  ['GB 18030-2000', 'gb18030'],
  ['GB18030', 'gb18030'],
  ['GB18030-2000', 'gb18030'],
  ['GB18030-2005', 'gb18030'],
  ['GB 18030-2005', 'gb18030'],
  ['GBK', 'gbk'],
  ['GB2312', 'gbk'],
  ['ASCII', 'ascii'],
  ['8859/1', 'latin1'],
]);

/** Why a frame's bytes could not be read as text; `field` is an HL7 location such as `MSH-18` or `PID-5`. */
export class Hl7DecodeError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'Hl7DecodeError';
  }
}

export function charsetOfMsh18(value: string): Hl7Charset | undefined {
  return MSH18_NAMES.get(value.trim().toUpperCase());
}

/**
 * Reads MSH-18 from the raw frame without decoding it: the MSH segment's delimiters and its first 18 fields are
 * ASCII in every character set of table 0211 that a LIS sends here. Empty when the field is absent.
 */
export function rawMsh18(frame: Buffer): string {
  const end = frame.indexOf(0x0d);
  const msh = frame.subarray(0, end === -1 ? frame.length : end).toString('latin1');
  if (!msh.startsWith('MSH') || msh.length < 4)
    throw new Hl7DecodeError('MSH-1', 'the message does not start with MSH');
  const fields = msh.split(msh.charAt(3));
  // fields[0] is "MSH" and MSH-1 is the separator itself, so MSH-n is fields[n - 1].
  const value = fields[17] ?? '';
  return value.split(msh.charAt(4) || '^')[0] ?? '';
}

function strictUtf8(frame: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(frame);
  } catch {
    return undefined;
  }
}

const HAN = /\p{Script=Han}/u;

/**
 * Decodes a frame by its MSH-18, or by the sender's default when MSH-18 is empty. Fails naming MSH-18 when the set is
 * unknown or the bytes are not valid in it (GB18030 bytes declared as UTF-8, stray bytes), and when bytes declared
 * as GB18030/GBK are strict UTF-8 whose Han text GB18030 would turn into other Han characters (UTF-8 sent under a
 * GB18030 label): that is the one mislabelling a decoder cannot see, and it would store a wrong name.
 */
export function decodeHl7Frame(frame: Buffer, senderDefault: Hl7Charset): { text: string; charset: Hl7Charset } {
  const declared = rawMsh18(frame);
  const charset = declared === '' ? senderDefault : charsetOfMsh18(declared);
  if (charset === undefined) throw new Hl7DecodeError('MSH-18', `unsupported character set "${declared}"`);
  if (charset === 'utf-8') {
    const text = strictUtf8(frame);
    if (text === undefined) throw new Hl7DecodeError('MSH-18', 'the message is not valid UTF-8 (is it GB18030?)');
    return { text, charset };
  }
  if (charset === 'ascii') {
    if (frame.some((byte) => byte > 0x7f)) throw new Hl7DecodeError('MSH-18', 'bytes above 0x7F in an ASCII message');
    return { text: frame.toString('latin1'), charset };
  }
  const text = iconv.decode(frame, charset);
  if (text.includes('\uFFFD')) throw new Hl7DecodeError('MSH-18', `the message is not valid ${declared || charset}`);
  if (charset !== 'latin1' && /[\x80-\xff]/.test(frame.toString('latin1'))) {
    const asUtf8 = strictUtf8(frame);
    if (asUtf8 !== undefined && HAN.test(asUtf8)) {
      throw new Hl7DecodeError('MSH-18', `the message is declared ${declared || charset} but its bytes are UTF-8`);
    }
  }
  return { text, charset };
}

/** Encodes an acknowledgement in the character set of the message it answers. */
export function encodeHl7(text: string, charset: Hl7Charset): Buffer {
  return charset === 'utf-8' || charset === 'ascii' ? Buffer.from(text, 'utf8') : iconv.encode(text, charset);
}

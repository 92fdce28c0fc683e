// FHIR logical ids for record entries. A visit, grade or dose lives inside one patient's record, and the records
// service reads whole records by patient, so the id of every resource but Patient carries the patient: the patient's
// UUID and the entry's UUID, each as 26 base32 characters (RFC 4648 alphabet, lower case), then an optional short
// part naming one of several resources made from the same entry (`bp`, `wt`, `z-wfa`). At most 64 characters, within
// FHIR's id rule [A-Za-z0-9\-\.]{1,64}. A read decodes the patient, reads her record through the records service
// (with its privacy rules and audit) and finds the entry; an id naming anything else is simply not found.

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PART = /^[a-z0-9][a-z0-9-]{0,9}$/;
const ENCODED = /^[a-z2-7]{26}$/;

/** 16 bytes of a UUID as 26 base32 characters (the last carries 3 bits). */
export function encodeUuid(uuid: string): string {
  if (!UUID.test(uuid)) throw new Error(`not a UUID: ${uuid}`);
  const bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** The UUID back from its 26 characters; undefined when they are not one this encoding makes. */
export function decodeUuid(encoded: string): string | undefined {
  if (!ENCODED.test(encoded)) return undefined;
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of encoded) {
    value = ((value << 5) | ALPHABET.indexOf(char)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // 26 characters hold 130 bits: the 2 left over must be zero, or two spellings would name one entry.
  if (bytes.length !== 16 || (value & ((1 << bits) - 1)) !== 0) return undefined;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of a resource made from entry `entryId` of patient `patientId`'s record. */
export function entryResourceId(patientId: string, entryId: string, part?: string): string {
  if (part !== undefined && !PART.test(part)) throw new Error(`bad id part: ${part}`);
  return [encodeUuid(patientId), encodeUuid(entryId), ...(part === undefined ? [] : [part])].join('-');
}

export interface EntryResourceId {
  readonly patientId: string;
  readonly entryId: string;
  readonly part: string | undefined;
}

/** The patient, entry and part an id names; undefined when it is not an id this layer issued. */
export function parseEntryResourceId(id: string): EntryResourceId | undefined {
  const match = /^([a-z2-7]{26})-([a-z2-7]{26})(?:-([a-z0-9][a-z0-9-]{0,9}))?$/.exec(id);
  if (!match) return undefined;
  const patientId = decodeUuid(match[1] as string);
  const entryId = decodeUuid(match[2] as string);
  if (!patientId || !entryId) return undefined;
  return { patientId, entryId, part: match[3] };
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

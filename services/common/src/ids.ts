// Ids in requests: every entity id is a UUID; anything else is INVALID_ARGUMENT naming the field it came in.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id in canonical (lower-case) form, or INVALID_ARGUMENT naming `field`. */
export function requireId(value: string, field: string): string {
  if (!UUID.test(value)) throw InvalidArgumentError.field(field, 'must be an id (UUID)');
  return value.toLowerCase();
}

/** The platform's UUIDv5 namespace (a random UUID fixed once). */
const MCH_NAMESPACE = '6f1d2c3a-8b4e-4f7a-9c2d-5e8f1a0b3c4d';

/** RFC 4122 version-5 UUID of `name` in the platform namespace. */
export function stableUuid(kind: string, name: string): string {
  const namespace = Buffer.from(MCH_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(namespace).update(`${kind}:${name}`).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

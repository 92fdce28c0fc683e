// Ids in requests: every entity id is a UUID; anything else is INVALID_ARGUMENT naming the field it came in.
import { InvalidArgumentError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id in canonical (lower-case) form, or INVALID_ARGUMENT naming `field`. */
export function requireId(value: string, field: string): string {
  if (!UUID.test(value)) throw InvalidArgumentError.field(field, 'must be an id (UUID)');
  return value.toLowerCase();
}

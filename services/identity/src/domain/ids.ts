// Stable identifiers: the same seed code gives the same UUID in every zone and every environment.

// The seed's ids are computed in the shared kit, so other services can name seed institutions by code.
export { stableUuid } from '../../../common/src/ids';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

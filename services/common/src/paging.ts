// Pagination shared by every list: page-size limits and opaque page tokens bound to the query they came
// from, so a token cannot be replayed against other filters.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from './errors';

/** Validates `pageSize` (0 means the default). */
export function checkPageSize(pageSize: number, max: number, fallback: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > max)
    throw InvalidArgumentError.field('pageSize', `must be between 1 and ${max}`);
  return pageSize || fallback;
}

function fingerprint(filters: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(filters ?? null))
    .digest('base64url')
    .slice(0, 12);
}

/** A token for the page starting at `offset` of the query with `filters`. */
export function encodeOffsetToken(filters: unknown, offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint(filters) })).toString('base64url');
}

/** The offset a token points at (0 without one); INVALID_ARGUMENT naming `pageToken` for foreign or altered tokens. */
export function decodeOffsetToken(token: string, filters: unknown): number {
  if (!token) return 0;
  let parsed: { o?: unknown; f?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
  } catch {
    parsed = undefined;
  }
  if (
    !parsed ||
    typeof parsed.o !== 'number' ||
    !Number.isInteger(parsed.o) ||
    parsed.o < 0 ||
    typeof parsed.f !== 'string'
  ) {
    throw InvalidArgumentError.field('pageToken', 'is not a token this API issued');
  }
  if (parsed.f !== fingerprint(filters))
    throw InvalidArgumentError.field('pageToken', 'belongs to a query with other filters');
  return parsed.o;
}

/** The next page's token, or '' on the last page (`fetched` is the rows read with one extra to look ahead). */
export function nextOffsetToken(filters: unknown, offset: number, limit: number, fetched: number): string {
  return fetched > limit ? encodeOffsetToken(filters, offset + limit) : '';
}

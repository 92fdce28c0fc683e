// Values no service can store: PostgreSQL refuses the NUL character in text, and a Timestamp whose seconds lie beyond
// any date decodes to an invalid Date that neither Postgres nor the idempotency store (which re-encodes the request)
// can take; either would fail deep inside a handler as an internal error. Every request is checked once, in the
// adapter, and refused with the field that holds it.
import { InvalidArgumentError } from '../errors';

/** The path (`patient.name`, `newborns[1].name`) of the first string holding U+0000, if any. */
export function nulCharacterPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(request)' : undefined;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulCharacterPath(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    const found = nulCharacterPath(child, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The path of the first time that is not one (an invalid Date from an out-of-range Timestamp), if any. */
export function invalidTimePath(value: unknown, path = ''): string | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? undefined : path || '(request)';
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return undefined;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((child, i) => [`${path}[${i}]`, child]) : Object.entries(value).map(([key, child]) => [path ? `${path}.${key}` : key, child]);
  for (const [childPath, child] of entries) {
    const found = invalidTimePath(child, childPath);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The request, unless a string in it holds a NUL character or a time in it is out of range: then INVALID_ARGUMENT
 * naming the field.
 */
export function checkRequestText<T>(request: T): T {
  const path = nulCharacterPath(request);
  if (path !== undefined) throw InvalidArgumentError.field(path, 'must not contain the NUL character (U+0000)');
  const time = invalidTimePath(request);
  if (time !== undefined) throw InvalidArgumentError.field(time, 'is not a valid time (seconds out of range)');
  return request;
}

// Text no service can store: PostgreSQL refuses the NUL character in text, so a request string holding one would
// fail deep inside a handler as an internal error. Every request is checked once, in the adapter, and refused
// with the field that holds it.
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

/** The request, unless a string in it holds a NUL character: then INVALID_ARGUMENT naming the field. */
export function checkRequestText<T>(request: T): T {
  const path = nulCharacterPath(request);
  if (path !== undefined) throw InvalidArgumentError.field(path, 'must not contain the NUL character (U+0000)');
  return request;
}

// Values no handler can use, refused once for every request in the adapter with the field that holds them:
// text with the NUL character (PostgreSQL refuses it in text, so it would fail deep inside a handler as an
// internal error), and a google.protobuf.Timestamp outside what a JavaScript Date holds (ts-proto decodes it to
// an Invalid Date, which fails the first time it is encoded or compared).
import { InvalidArgumentError } from '../errors';

export interface RequestProblem {
  readonly path: string;
  readonly description: string;
}

/** The first field (`patient.name`, `newborns[1].name`) holding an unusable value, if any. */
export function requestProblem(value: unknown, path = ''): RequestProblem | undefined {
  if (typeof value === 'string')
    return value.includes('\u0000')
      ? { path: path || '(request)', description: 'must not contain the NUL character (U+0000)' }
      : undefined;
  if (value instanceof Date)
    return Number.isNaN(value.getTime())
      ? { path: path || '(request)', description: 'is not a time that can be represented' }
      : undefined;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = requestProblem(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    const found = requestProblem(child, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The request, unless a field holds an unusable value: then INVALID_ARGUMENT naming the field. */
export function checkRequestText<T>(request: T): T {
  const problem = requestProblem(request);
  if (problem !== undefined) throw InvalidArgumentError.field(problem.path, problem.description);
  return request;
}

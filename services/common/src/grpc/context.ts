// What a handler knows about the call it serves: who asks, under which request id and idempotency key,
// until when, and whether the caller is still there.
import type {
  Metadata,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
} from '@grpc/grpc-js';
import type { Principal } from '../auth/principal';
import type { Purpose } from '../auth/policy';
import type { Logger } from '../logger';

export const METADATA = {
  requestId: 'x-request-id',
  idempotencyKey: 'idempotency-key',
  authorization: 'authorization',
  purpose: 'x-mch-purpose',
  breakGlassReason: 'x-mch-break-glass-reason',
  /** The end client's address as the gateway saw it (login throttling). */
  clientAddress: 'x-mch-client-ip',
} as const;

/** Any server call: child calls take it as `parent`. */
export type AnyServerCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

export interface CallContext {
  /** The fully qualified method, e.g. `/mch.identity.v1.IdentityService/GetInstitution`. */
  readonly method: string;
  readonly metadata: Metadata;
  readonly requestId: string;
  readonly idempotencyKey: string | undefined;
  /** The verified caller; undefined only on public methods called without a token. */
  readonly principal: Principal | undefined;
  /** Who is calling, for scoping idempotency keys: the principal's subject, or `anonymous`. */
  readonly caller: string;
  /** The stated purpose of use (header X-MCH-Purpose). */
  readonly purpose: Purpose | undefined;
  readonly breakGlassReason: string | undefined;
  readonly deadline: Date | undefined;
  /** Aborted when the caller cancels or its deadline passes. */
  readonly signal: AbortSignal;
  /** The server call, passed as `parent` to child calls so they inherit deadline and cancellation. */
  readonly call: AnyServerCall;
  readonly logger: Logger;
}

export function firstMetadataValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : value?.toString('utf8');
}

// What the gateway's handlers share: the metadata a backend call carries from the HTTP request, the checked
// Idempotency-Key, and sending an error in the one body shape.
import { Metadata } from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError } from '../../common/src/errors';
import { parseIdempotencyKey } from '../../common/src/grpc/adapter';
import { METADATA } from '../../common/src/grpc/context';
import type { HttpError } from './http-errors';
import { FHIR_JSON, FHIR_PREFIX } from '../../common/src/fhir/canonical';
import { outcomeOfStatus } from './fhir/operation-outcome';

/** What a backend call carries from the HTTP request: request id, idempotency key, the caller's token, purpose and address. */
export function forwardedMetadata(request: FastifyRequest, idempotencyKey: string | undefined): Metadata {
  const metadata = new Metadata();
  metadata.set(METADATA.requestId, request.id);
  if (idempotencyKey) metadata.set(METADATA.idempotencyKey, idempotencyKey);
  for (const header of [METADATA.authorization, METADATA.purpose, METADATA.breakGlassReason]) {
    const value = request.headers[header];
    if (typeof value === 'string') metadata.set(header, value);
  }
  metadata.set(METADATA.clientAddress, request.ip);
  return metadata;
}

/** The request's Idempotency-Key header, checked (INVALID_ARGUMENT naming the header when malformed). */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const rawKey = request.headers['idempotency-key'];
  return parseIdempotencyKey(Array.isArray(rawKey) ? rawKey.join(',') : rawKey);
}

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * The client's own deadline, from a `Grpc-Timeout` header (gRPC's format, which grpc-gateway also reads from HTTP
 * clients: up to 8 digits and a unit H, M, S, m, u or n), in milliseconds; undefined without one. The gateway's
 * call, and every retry within it, then ends by the earlier of this and its own deadline.
 */
export function clientTimeoutMsOf(request: FastifyRequest): number | undefined {
  const raw = request.headers['grpc-timeout'];
  if (raw === undefined) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(Array.isArray(raw) ? (raw[0] ?? '') : raw.trim());
  if (match === null)
    throw InvalidArgumentError.field('Grpc-Timeout', 'must be up to 8 digits and a unit H, M, S, m, u or n (e.g. 5S)');
  return Math.max(1, Math.floor(Number(match[1]) * (TIMEOUT_UNIT_MS[match[2] ?? 'S'] ?? 1_000)));
}

/**
 * Sends an error in the one body shape; under /fhir/R4 (the gateway's own answers before a FHIR route runs: load
 * shedding, rate limits, a slow body) as the OperationOutcome FHIR clients expect.
 */
export function send(reply: FastifyReply, error: HttpError): FastifyReply {
  const status = error.body.code === 13 ? 500 : error.httpStatus;
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  if (reply.request.url.startsWith(`${FHIR_PREFIX}/`))
    return reply
      .code(status)
      .type(`${FHIR_JSON}; charset=utf-8`)
      .send(outcomeOfStatus(error.body.code, error.body.message));
  return reply.code(status).type('application/json').send(error.body);
}

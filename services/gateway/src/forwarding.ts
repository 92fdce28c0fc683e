// What the gateway's handlers share: the metadata a backend call carries from the HTTP request, the checked
// Idempotency-Key, and sending an error in the one body shape.
import { Metadata } from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * Sends an error in the one body shape; under /fhir/R4 (the gateway's own answers before a FHIR route runs: load
 * shedding, rate limits, a slow body) as the OperationOutcome FHIR clients expect.
 */
export function send(reply: FastifyReply, error: HttpError): FastifyReply {
  const status = error.body.code === 13 ? 500 : error.httpStatus;
  if (reply.request.url.startsWith(`${FHIR_PREFIX}/`))
    return reply
      .code(status)
      .type(`${FHIR_JSON}; charset=utf-8`)
      .send(outcomeOfStatus(error.body.code, error.body.message));
  return reply.code(status).type('application/json').send(error.body);
}

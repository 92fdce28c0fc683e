// gRPC failures -> HTTP answers: the status from the one table, a google.rpc.Status-shaped body.
import type { ServiceError } from '@grpc/grpc-js';
import { isDomainError, readStatusDetails, retryDelayMsOf, toWireStatus } from '../../common/src/errors';
import { grpcCodeName, httpStatusForGrpcCode } from '../../common/src/status-codes';
import type { MessageCodec } from './proto-registry';

export interface ErrorBody {
  code: number;
  status: string;
  message: string;
  details: Array<Record<string, unknown>>;
}

export interface HttpError {
  readonly httpStatus: number;
  readonly body: ErrorBody;
  /** The backend's google.rpc.RetryInfo as whole seconds: sent as Retry-After. */
  readonly retryAfterSeconds?: number;
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';

function decodeDetails(
  details: ReadonlyArray<{ typeUrl: string; value: Uint8Array }>,
  codecs: ReadonlyMap<string, MessageCodec>,
): Array<Record<string, unknown>> {
  return details.map((detail) => {
    const codec = codecs.get(detail.typeUrl.replace(TYPE_URL_PREFIX, ''));
    if (!codec) return { '@type': detail.typeUrl };
    return { '@type': detail.typeUrl, ...(codec.toJSON(codec.decode(detail.value)) as Record<string, unknown>) };
  });
}

/**
 * When the backend itself did not answer (no status of its own: refused connection, no answer before the deadline),
 * grpc-js's text names addresses and timings; the client is told which service instead.
 */
function transportMessage(code: number, backend: string | undefined): string | undefined {
  const name = backend === undefined ? 'the backend service' : `the ${backend.toLowerCase()} service`;
  if (code === 14) return `${name} is unavailable; retry later`;
  if (code === 4) return `${name} did not answer in time; retry later`;
  return undefined;
}

/** The answer for a failed backend call. Messages of INTERNAL/UNKNOWN are never passed through. */
export function httpErrorFromGrpc(
  error: ServiceError,
  codecs: ReadonlyMap<string, MessageCodec>,
  backend?: string,
): HttpError {
  const code = typeof error.code === 'number' ? error.code : 2;
  const status = readStatusDetails(error.metadata);
  const opaque = code === 13 || code === 2 || code === 15;
  const message = opaque
    ? 'internal error'
    : (status?.message ?? transportMessage(code, backend) ?? error.details ?? grpcCodeName(code));
  const retryDelayMs = opaque ? undefined : retryDelayMsOf(status);
  return {
    httpStatus: httpStatusForGrpcCode(code),
    ...(retryDelayMs === undefined ? {} : { retryAfterSeconds: Math.max(1, Math.ceil(retryDelayMs / 1000)) }),
    body: {
      code,
      status: grpcCodeName(code),
      message,
      details: opaque ? [] : decodeDetails(status?.details ?? [], codecs),
    },
  };
}

/** The answer for an error raised in the gateway itself (bad query, no route, body too large). */
export function httpErrorFromLocal(error: unknown, codecs: ReadonlyMap<string, MessageCodec>): HttpError {
  const wire = toWireStatus(error);
  const status = readStatusDetails(wire.metadata);
  return {
    httpStatus: httpStatusForGrpcCode(wire.code),
    body: {
      code: wire.code,
      status: grpcCodeName(wire.code),
      message: isDomainError(error) ? error.message : 'internal error',
      details: decodeDetails(status?.details ?? [], codecs),
    },
  };
}

export function plainError(httpStatus: number, code: number, message: string): HttpError {
  return { httpStatus, body: { code, status: grpcCodeName(code), message, details: [] } };
}

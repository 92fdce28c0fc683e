// The one adapter between grpc-js and async handlers: builds the call context, validates the idempotency
// key, and maps errors to statuses exactly once.
import { randomUUID } from 'node:crypto';
import type { Deadline, handleUnaryCall, sendUnaryData, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidArgumentError, isDomainError, toWireStatus } from '../errors';
import type { Logger } from '../logger';
import { CallContext, firstMetadataValue, METADATA } from './context';

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

/** Handlers for every unary method of a ts-proto service definition, keyed by its method names. */
export type UnaryHandlers<D extends ServiceDefinition> = {
  [K in keyof D]: D[K] extends { requestDeserialize: (b: Buffer) => infer Req; responseSerialize: (r: infer Res) => Buffer }
    ? UnaryHandler<Req, Res>
    : never;
};

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{8,128}$/;

/** Validates a client-supplied idempotency key: 8–128 printable ASCII characters, no spaces. */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(raw)) {
    throw InvalidArgumentError.field('Idempotency-Key', 'must be 8 to 128 printable ASCII characters without spaces');
  }
  return raw;
}

function deadlineToDate(deadline: Deadline): Date | undefined {
  if (deadline instanceof Date) return deadline;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}

export function contextFor(call: ServerUnaryCall<unknown, unknown>, method: string, logger: Logger): CallContext {
  const requestId = firstMetadataValue(call.metadata, METADATA.requestId) ?? randomUUID();
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(new Error('call cancelled by the client')));
  return {
    method,
    metadata: call.metadata,
    requestId,
    idempotencyKey: parseIdempotencyKey(firstMetadataValue(call.metadata, METADATA.idempotencyKey)),
    caller: 'anonymous',
    deadline: deadlineToDate(call.getDeadline()),
    signal: controller.signal,
    call,
    logger: logger.child({ request_id: requestId, method }),
  };
}

/** Wraps one async handler as a grpc-js unary handler. */
export function adaptUnary<Req, Res>(method: string, handler: UnaryHandler<Req, Res>, logger: Logger): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    let ctx: CallContext | undefined;
    Promise.resolve()
      .then(() => {
        ctx = contextFor(call as ServerUnaryCall<unknown, unknown>, method, logger);
        return handler(call.request, ctx);
      })
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          const log = ctx?.logger ?? logger.child({ method });
          if (isDomainError(error)) log.debug({ code: error.code, err: error }, 'request refused');
          else log.error({ err: error }, 'unexpected error in handler');
          const wire = toWireStatus(error);
          callback({ code: wire.code, details: wire.details, metadata: wire.metadata });
        },
      );
  };
}

/** Adapts every handler of a service definition. */
export function adaptService<D extends ServiceDefinition>(definition: D, handlers: UnaryHandlers<D>, logger: Logger): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = (handlers as Record<string, UnaryHandler<unknown, unknown> | undefined>)[name];
    if (!handler) throw new Error(`no handler for ${method.path}`);
    if (method.requestStream || method.responseStream) throw new Error(`${method.path}: streaming handlers are adapted separately`);
    implementation[name] = adaptUnary(method.path, handler, logger);
  }
  return implementation;
}

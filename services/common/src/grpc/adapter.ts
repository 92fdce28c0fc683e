// The one adapter between grpc-js and async handlers: builds the call context, validates the idempotency
// key, and maps errors to statuses exactly once.
import { randomUUID } from 'node:crypto';
import type {
  Deadline,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  sendUnaryData,
  ServerReadableStream,
  ServerUnaryCall,
  ServiceError,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import { parsePurpose } from '../auth/policy';
import type { Principal } from '../auth/principal';
import { bearerToken, TokenVerifier } from '../auth/tokens';
import { FieldViolation, InvalidArgumentError, isDomainError, UnauthenticatedError, toWireStatus } from '../errors';
import { isConnectionLost, toDomainError } from '../pg/errors';
import type { Logger } from '../logger';
import { CallContext, firstMetadataValue, METADATA } from './context';
import { checkRequestText } from './request-text';

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;
/** A server-streaming handler yields each message; it should stop when `ctx.signal` aborts. */
export type ServerStreamHandler<Req, Res> = (request: Req, ctx: CallContext) => AsyncIterable<Res>;

/**
 * A client-streaming handler reads the caller's messages in order (the iteration waits for the next one, so a slow
 * handler slows the sender: HTTP/2 flow control) and answers once. A cancelled call ends the iteration with an error.
 */
export type ClientStreamHandler<Req, Res> = (requests: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>;

/** Handlers for every method of a ts-proto service definition, keyed by its method names. */
export type UnaryHandlers<D extends ServiceDefinition> = {
  [K in keyof D]: D[K] extends {
    requestDeserialize: (b: Buffer) => infer Req;
    responseSerialize: (r: infer Res) => Buffer;
    requestStream: infer ClientStreaming;
    responseStream: infer Streaming;
  }
    ? ClientStreaming extends true
      ? Streaming extends true
        ? never
        : ClientStreamHandler<Req, Res>
      : Streaming extends true
        ? ServerStreamHandler<Req, Res>
        : UnaryHandler<Req, Res>
    : never;
};

/** Any server call whose metadata, deadline and cancellation a context is built from. */
type IncomingCall =
  ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown> | ServerReadableStream<unknown, unknown>;

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

/** How a service authenticates its callers. Without it every caller is anonymous (fixtures, tests). */
export interface Authentication {
  readonly verifier: TokenVerifier;
  /** Method names (as in the service definition) that answer without a token. */
  readonly publicMethods: ReadonlySet<string>;
}

export interface AdapterOptions {
  readonly logger: Logger;
  readonly authentication?: Authentication;
  /** Told of every answered call: its path (/package.Service/Method), gRPC status code, seconds (the service's metrics). */
  readonly observe?: (method: string, code: number, seconds: number) => void;
  /**
   * Per method name: the request's missing required fields (the proto's `(mch.common.v1.required)`, see
   * proto-rules.ts). A request with any is refused INVALID_ARGUMENT naming them, after authentication and before
   * the handler.
   */
  readonly required?: ReadonlyMap<string, (request: unknown) => FieldViolation[]>;
}

/** The request, checked for unusable text and for the required fields its method's annotations name. */
function checkedRequest<Req>(request: Req, name: string, options: AdapterOptions): Req {
  const checked = checkRequestText(request);
  const violations = options.required?.get(name)?.(checked) ?? [];
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return checked;
}

/** Started when a call arrives; tells `observe` (if any) the call's status code and seconds once it is answered. */
function callTimer(method: string, options: AdapterOptions): (code: number) => void {
  const started = process.hrtime.bigint();
  return (code) => options.observe?.(method, code, Number(process.hrtime.bigint() - started) / 1e9);
}

async function authenticate(
  call: IncomingCall,
  name: string,
  authentication: Authentication | undefined,
): Promise<Principal | undefined> {
  if (!authentication) return undefined;
  const token = bearerToken(firstMetadataValue(call.metadata, METADATA.authorization));
  if (token === undefined) {
    if (authentication.publicMethods.has(name)) return undefined;
    throw new UnauthenticatedError('a bearer token is required', 'TOKEN_MISSING');
  }
  return authentication.verifier.verify(token);
}

/** Header values are Latin-1; clients percent-encode a reason written in Chinese. */
function decodeHeaderText(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export async function contextFor(
  call: IncomingCall,
  method: string,
  name: string,
  options: AdapterOptions,
): Promise<CallContext> {
  const requestId = firstMetadataValue(call.metadata, METADATA.requestId) ?? randomUUID();
  const controller = new AbortController();
  (call as ServerUnaryCall<unknown, unknown>).on('cancelled', () =>
    controller.abort(new Error('call cancelled by the client')),
  );
  const principal = await authenticate(call, name, options.authentication);
  const breakGlassReason = firstMetadataValue(call.metadata, METADATA.breakGlassReason);
  return {
    method,
    metadata: call.metadata,
    requestId,
    idempotencyKey: parseIdempotencyKey(firstMetadataValue(call.metadata, METADATA.idempotencyKey)),
    principal,
    caller: principal?.subject ?? 'anonymous',
    purpose: parsePurpose(firstMetadataValue(call.metadata, METADATA.purpose)),
    breakGlassReason: breakGlassReason ? decodeHeaderText(breakGlassReason) : undefined,
    deadline: deadlineToDate(call.getDeadline()),
    signal: controller.signal,
    call,
    logger: options.logger.child({ request_id: requestId, method }),
  };
}

/** Wraps one async handler as a grpc-js unary handler. */
export function adaptUnary<Req, Res>(
  method: string,
  name: string,
  handler: UnaryHandler<Req, Res>,
  options: AdapterOptions,
): handleUnaryCall<Req, Res> {
  const logger = options.logger;
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const answered = callTimer(method, options);
    let ctx: CallContext | undefined;
    contextFor(call as ServerUnaryCall<unknown, unknown>, method, name, options)
      .then((context) => {
        ctx = context;
        return handler(checkedRequest(call.request, name, options), context);
      })
      .then(
        (response) => {
          answered(grpcStatus.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const failure = failureStatus(error, ctx, logger, method);
          answered(failure.code ?? grpcStatus.UNKNOWN);
          callback(failure);
        },
      );
  };
}

/** Logs a failed call once (refusals at debug, the unexpected at error) and returns the status to send. */
function failureStatus(
  error: unknown,
  ctx: CallContext | undefined,
  logger: Logger,
  method: string,
): Partial<ServiceError> {
  const log = ctx?.logger ?? logger.child({ method });
  // A database connection lost under a handler that queried a pool directly (a failover or switchover under it) is
  // a transient dependency failure, UNAVAILABLE, retryable; never INTERNAL. Mapped here once for every handler.
  if (!isDomainError(error) && isConnectionLost(error)) {
    log.warn({ err: error }, 'database connection lost under the handler');
    error = toDomainError(error);
  }
  if (isDomainError(error)) log.debug({ code: error.code, err: error }, 'request refused');
  else log.error({ err: error }, 'unexpected error in handler');
  const wire = toWireStatus(error);
  return { code: wire.code, details: wire.details, metadata: wire.metadata };
}

/**
 * Wraps one client-streaming handler: the context is built from the call's metadata before the first message is
 * read; the handler's answer (or its error, mapped once) ends the call. Messages the handler leaves unread are
 * dropped; a caller that cancels makes the iteration throw, so the handler's clean-up runs.
 */
export function adaptClientStream<Req, Res>(
  method: string,
  name: string,
  handler: ClientStreamHandler<Req, Res>,
  options: AdapterOptions,
): handleClientStreamingCall<Req, Res> {
  return (call: ServerReadableStream<Req, Res>, callback: sendUnaryData<Res>): void => {
    const answered = callTimer(method, options);
    let ctx: CallContext | undefined;
    // One promise that rejects when the caller goes away: a read waiting for the next message must not hang.
    const gone = new Promise<never>((_resolve, reject) => call.once('cancelled', () => reject(new CancelledError())));
    gone.catch(() => undefined);
    const requests: AsyncIterable<Req> = {
      [Symbol.asyncIterator]: () => {
        const iterator = (call as unknown as AsyncIterable<Req>)[Symbol.asyncIterator]();
        return {
          next: async () => {
            if (call.cancelled) throw new CancelledError();
            const next = await Promise.race([iterator.next(), gone]);
            if (call.cancelled) throw new CancelledError();
            return next;
          },
          return: async () => {
            await iterator.return?.();
            return { done: true as const, value: undefined };
          },
        };
      },
    };
    contextFor(call as ServerReadableStream<unknown, unknown>, method, name, options)
      .then((context) => {
        ctx = context;
        return handler(requests, context);
      })
      .then(
        (response) => {
          answered(call.cancelled ? grpcStatus.CANCELLED : grpcStatus.OK);
          if (!call.cancelled) callback(null, response);
        },
        (error: unknown) => {
          if (call.cancelled) {
            answered(grpcStatus.CANCELLED);
            return;
          }
          const failure = failureStatus(error, ctx, options.logger, method);
          answered(failure.code ?? grpcStatus.UNKNOWN);
          callback(failure);
        },
      );
  };
}

/** The caller went away in the middle of a client stream. */
class CancelledError extends Error {
  constructor() {
    super('call cancelled by the client');
    this.name = 'CancelledError';
  }
}

/** Wraps one server-streaming handler: each yielded message is written; errors end the stream with a status. */
export function adaptServerStream<Req, Res>(
  method: string,
  name: string,
  handler: ServerStreamHandler<Req, Res>,
  options: AdapterOptions,
): handleServerStreamingCall<Req, Res> {
  return (call: ServerWritableStream<Req, Res>): void => {
    const answered = callTimer(method, options);
    let ctx: CallContext | undefined;
    void (async () => {
      try {
        ctx = await contextFor(call, method, name, options);
        for await (const message of handler(checkedRequest(call.request, name, options), ctx)) {
          if (call.cancelled || ctx.signal.aborted) break;
          call.write(message);
        }
        answered(call.cancelled ? grpcStatus.CANCELLED : grpcStatus.OK);
        if (!call.cancelled) call.end();
      } catch (error) {
        const log = ctx?.logger ?? options.logger.child({ method });
        if (isDomainError(error)) log.debug({ code: error.code, err: error }, 'stream refused');
        else log.error({ err: error }, 'unexpected error in stream handler');
        const wire = toWireStatus(error);
        answered(call.cancelled ? grpcStatus.CANCELLED : wire.code);
        if (call.cancelled) return;
        call.emit('error', { code: wire.code, details: wire.details, metadata: wire.metadata });
      }
    })();
  };
}

/** Adapts every handler of a service definition. */
export function adaptService<D extends ServiceDefinition>(
  definition: D,
  handlers: UnaryHandlers<D>,
  options: AdapterOptions | Logger,
): UntypedServiceImplementation {
  const adapterOptions: AdapterOptions = 'logger' in options ? options : { logger: options };
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = (handlers as Record<string, UnaryHandler<unknown, unknown> | undefined>)[name];
    if (!handler) throw new Error(`no handler for ${method.path}`);
    if (method.requestStream && method.responseStream)
      throw new Error(`${method.path}: bidirectional streaming is not supported by the adapter`);
    implementation[name] = method.requestStream
      ? adaptClientStream(
          method.path,
          name,
          handler as unknown as ClientStreamHandler<unknown, unknown>,
          adapterOptions,
        )
      : method.responseStream
        ? adaptServerStream(
            method.path,
            name,
            handler as unknown as ServerStreamHandler<unknown, unknown>,
            adapterOptions,
          )
        : adaptUnary(method.path, name, handler, adapterOptions);
  }
  return implementation;
}

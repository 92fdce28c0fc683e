// The one adapter between grpc-js and async handlers: builds the call context, validates the idempotency
// key, and maps errors to statuses exactly once.
import { randomUUID } from 'node:crypto';
import type {
  Deadline,
  handleServerStreamingCall,
  handleUnaryCall,
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { parsePurpose } from '../auth/policy';
import type { Principal } from '../auth/principal';
import { bearerToken, TokenVerifier } from '../auth/tokens';
import { InvalidArgumentError, isDomainError, UnauthenticatedError, toWireStatus } from '../errors';
import type { Logger } from '../logger';
import { CallContext, firstMetadataValue, METADATA } from './context';
import { checkRequestText } from './request-text';

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;
/** A server-streaming handler yields each message; it should stop when `ctx.signal` aborts. */
export type ServerStreamHandler<Req, Res> = (request: Req, ctx: CallContext) => AsyncIterable<Res>;

/** Handlers for every method of a ts-proto service definition, keyed by its method names. */
export type UnaryHandlers<D extends ServiceDefinition> = {
  [K in keyof D]: D[K] extends { requestDeserialize: (b: Buffer) => infer Req; responseSerialize: (r: infer Res) => Buffer; responseStream: infer Streaming }
    ? Streaming extends true
      ? ServerStreamHandler<Req, Res>
      : UnaryHandler<Req, Res>
    : never;
};

/** Any server call whose metadata, deadline and cancellation a context is built from. */
type IncomingCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

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
}

async function authenticate(call: IncomingCall, name: string, authentication: Authentication | undefined): Promise<Principal | undefined> {
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

export async function contextFor(call: IncomingCall, method: string, name: string, options: AdapterOptions): Promise<CallContext> {
  const requestId = firstMetadataValue(call.metadata, METADATA.requestId) ?? randomUUID();
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(new Error('call cancelled by the client')));
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
export function adaptUnary<Req, Res>(method: string, name: string, handler: UnaryHandler<Req, Res>, options: AdapterOptions): handleUnaryCall<Req, Res> {
  const logger = options.logger;
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    let ctx: CallContext | undefined;
    contextFor(call as ServerUnaryCall<unknown, unknown>, method, name, options)
      .then((context) => {
        ctx = context;
        return handler(checkRequestText(call.request), context);
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

/** Wraps one server-streaming handler: each yielded message is written; errors end the stream with a status. */
export function adaptServerStream<Req, Res>(method: string, name: string, handler: ServerStreamHandler<Req, Res>, options: AdapterOptions): handleServerStreamingCall<Req, Res> {
  return (call: ServerWritableStream<Req, Res>): void => {
    let ctx: CallContext | undefined;
    void (async () => {
      try {
        ctx = await contextFor(call as ServerWritableStream<unknown, unknown>, method, name, options);
        for await (const message of handler(checkRequestText(call.request), ctx)) {
          if (call.cancelled || ctx.signal.aborted) break;
          call.write(message);
        }
        if (!call.cancelled) call.end();
      } catch (error) {
        const log = ctx?.logger ?? options.logger.child({ method });
        if (isDomainError(error)) log.debug({ code: error.code, err: error }, 'stream refused');
        else log.error({ err: error }, 'unexpected error in stream handler');
        if (call.cancelled) return;
        const wire = toWireStatus(error);
        call.emit('error', { code: wire.code, details: wire.details, metadata: wire.metadata });
      }
    })();
  };
}

/** Adapts every handler of a service definition. */
export function adaptService<D extends ServiceDefinition>(definition: D, handlers: UnaryHandlers<D>, options: AdapterOptions | Logger): UntypedServiceImplementation {
  const adapterOptions: AdapterOptions = 'logger' in options ? options : { logger: options };
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = (handlers as Record<string, UnaryHandler<unknown, unknown> | undefined>)[name];
    if (!handler) throw new Error(`no handler for ${method.path}`);
    if (method.requestStream) throw new Error(`${method.path}: client streaming is not supported by the adapter`);
    implementation[name] = method.responseStream
      ? adaptServerStream(method.path, name, handler as unknown as ServerStreamHandler<unknown, unknown>, adapterOptions)
      : adaptUnary(method.path, name, handler, adapterOptions);
  }
  return implementation;
}

// gRPC clients: a deadline on every call, deadline and cancellation inherited from the call being served,
// request id / authorization / purpose carried on, and retries only for methods marked idempotent.
import { randomUUID } from 'node:crypto';
import {
  CallOptions,
  ChannelCredentials,
  Client,
  ClientReadableStream,
  credentials,
  Metadata,
  MethodDefinition,
  propagate,
  ServiceError,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import { readStatusDetails, retryDelayMsOf } from '../errors';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryable, RetryPolicy } from '../retry';
import { CallContext, METADATA } from './context';

/** Channel options: round robin across every address the name resolves to (headless Services in Kubernetes). */
export const CLIENT_CHANNEL_OPTIONS = {
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
  // Reconnect quickly after a backend restarts, so it is back in rotation within a second or two.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/** A message's encode/decode pair (a ts-proto MessageFns fits). */
export interface WireCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** A unary method definition for a path and its two message codecs (for calls without a generated client). */
export function unaryMethod<Req, Res>(
  path: string,
  request: WireCodec<Req>,
  response: WireCodec<Res>,
): MethodDefinition<Req, Res> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Req) => Buffer.from(request.encode(value).finish()),
    requestDeserialize: (bytes: Buffer) => request.decode(bytes),
    responseSerialize: (value: Res) => Buffer.from(response.encode(value).finish()),
    responseDeserialize: (bytes: Buffer) => response.decode(bytes),
  };
}

export function createChannelClient(
  address: string,
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
): Client {
  return new Client(address, channelCredentials, CLIENT_CHANNEL_OPTIONS);
}

export interface UnaryCallOptions {
  /** The call being served, whose deadline, cancellation and caller metadata this call inherits. */
  readonly parent?: CallContext;
  /** Extra metadata, e.g. the HTTP request's headers mapped by the gateway. */
  readonly metadata?: Metadata;
  /** Deadline when there is no parent deadline (or a tighter one). */
  readonly timeoutMs?: number;
  /** Only idempotent methods (reads, or writes carrying an idempotency key) are retried. */
  readonly idempotent?: boolean;
  readonly retryPolicy?: RetryPolicy;
}

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** Metadata for a child call: the parent's request id, authorization and purpose, plus `extra`. */
export function childMetadata(parent: CallContext | undefined, extra?: Metadata): Metadata {
  const metadata = extra?.clone() ?? new Metadata();
  if (parent) {
    for (const key of [METADATA.authorization, METADATA.purpose, METADATA.breakGlassReason]) {
      const value = parent.metadata.get(key)[0];
      if (value !== undefined && metadata.get(key).length === 0) metadata.set(key, value);
    }
    if (metadata.get(METADATA.requestId).length === 0) metadata.set(METADATA.requestId, parent.requestId);
  }
  if (metadata.get(METADATA.requestId).length === 0) metadata.set(METADATA.requestId, randomUUID());
  return metadata;
}

function effectiveDeadline(options: UnaryCallOptions): Date {
  const own = Date.now() + (options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
  const inherited = options.parent?.deadline?.getTime();
  return new Date(inherited !== undefined ? Math.min(own, inherited) : own);
}

function streamCallOptions(options: UnaryCallOptions): CallOptions {
  const callOptions: CallOptions = { deadline: effectiveDeadline(options) };
  if (options.parent) {
    callOptions.parent = options.parent.call;
    callOptions.propagate_flags = propagate.DEADLINE | propagate.CANCELLATION;
  }
  return callOptions;
}

/** An open client-streaming call: write messages (each waits while the transport is full), then end for the answer. */
export interface ClientStreamCall<Req, Res> {
  /** Resolves once the message is handed to the transport; rejects if the call already failed. */
  write(message: Req): Promise<void>;
  /** Half-closes and waits for the answer (or the call's error). */
  end(): Promise<Res>;
  /** Cancels the call: the server sees CANCELLED and must keep nothing. */
  cancel(): void;
  /** Settles with the call's outcome, whether or not `end` was called (a server may answer early with an error). */
  readonly outcome: Promise<Res>;
}

/**
 * Opens a client-streaming call with a deadline and the caller's metadata. Never retried: the messages are gone
 * once written; the caller retries the whole call when the method is idempotent.
 */
export function openClientStream<Req, Res>(
  client: Client,
  method: MethodDefinition<Req, Res>,
  options: Omit<UnaryCallOptions, 'idempotent' | 'retryPolicy'> = {},
): ClientStreamCall<Req, Res> {
  let settle: { resolve: (value: Res) => void; reject: (error: Error) => void } | undefined;
  const outcome = new Promise<Res>((resolve, reject) => (settle = { resolve, reject }));
  outcome.catch(() => undefined);
  let failure: Error | undefined;
  const call = client.makeClientStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    childMetadata(options.parent, options.metadata),
    streamCallOptions(options),
    (error, response) => {
      if (error) {
        failure = error;
        settle?.reject(error);
      } else settle?.resolve(response as Res);
    },
  );
  return {
    outcome,
    write: (message) =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        const flushed = call.write(message);
        if (flushed) return resolve();
        // Wait for room, but not past the call's end (an early error from the server).
        const onDrain = (): void => resolve();
        call.once('drain', onDrain);
        outcome.then(
          () => call.off('drain', onDrain),
          (error: Error) => {
            call.off('drain', onDrain);
            reject(error);
          },
        );
      }),
    end: () => {
      call.end();
      return outcome;
    },
    cancel: () => call.cancel(),
  };
}

/** Opens a server-streaming call (async-iterable messages) with a deadline and the caller's metadata. */
export function openServerStream<Req, Res>(
  client: Client,
  method: MethodDefinition<Req, Res>,
  request: Req,
  options: Omit<UnaryCallOptions, 'idempotent' | 'retryPolicy'> = {},
): ClientReadableStream<Res> {
  return client.makeServerStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    request,
    childMetadata(options.parent, options.metadata),
    streamCallOptions(options),
  );
}

function unaryOnce<Req, Res>(
  client: Client,
  method: MethodDefinition<Req, Res>,
  request: Req,
  metadata: Metadata,
  callOptions: CallOptions,
): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      metadata,
      callOptions,
      (error, response) => {
        if (error) reject(error);
        else resolve(response as Res);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Calls one unary method with a deadline, retrying retryable failures of idempotent methods within it. */
export async function callUnary<Req, Res>(
  client: Client,
  method: MethodDefinition<Req, Res>,
  request: Req,
  options: UnaryCallOptions = {},
): Promise<Res> {
  const deadline = effectiveDeadline(options);
  const metadata = childMetadata(options.parent, options.metadata);
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const callOptions: CallOptions = { deadline };
  if (options.parent) {
    callOptions.parent = options.parent.call;
    callOptions.propagate_flags = propagate.DEADLINE | propagate.CANCELLATION;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await unaryOnce(client, method, request, metadata, callOptions);
    } catch (error) {
      const code = (error as ServiceError).code as GrpcStatus | undefined;
      if (!options.idempotent || !isRetryable(policy, code, attempt)) throw error;
      // A server that said how long the condition lasts (RetryInfo) is not asked again sooner; if that is past the
      // deadline, its answer goes back now, with the delay, rather than after a wait that would answer nobody.
      const asked = retryDelayMsOf(readStatusDetails((error as ServiceError).metadata));
      const delay = Math.max(backoffDelayMs(policy, attempt), asked ?? 0);
      if (Date.now() + delay >= deadline.getTime()) throw error;
      await sleep(delay, options.parent?.signal);
      if (options.parent?.signal.aborted) throw error;
    }
  }
}

export function isServiceError(error: unknown): error is ServiceError {
  return typeof error === 'object' && error !== null && 'code' in error && 'metadata' in error;
}

// Domain errors that every service throws and the one place that turns them into gRPC statuses.
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { Any } from './gen/google/protobuf/any';
import { BadRequest, ErrorInfo, PreconditionFailure, RetryInfo } from './gen/google/rpc/error_details';
import { Status } from './gen/google/rpc/status';

/** One invalid request field: `field` is its path as the client wrote it (JSON name), e.g. `near`. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** Base of every error a handler may throw on purpose; anything else is INTERNAL. */
export abstract class DomainError extends Error {
  abstract readonly code: GrpcStatus;
  /** A machine-readable reason, e.g. `SLOT_FULL`; sent as google.rpc.ErrorInfo. */
  readonly reason: string | undefined;

  constructor(message: string, reason?: string) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
  }
}

/** Bad input: names every offending field. */
export class InvalidArgumentError extends DomainError {
  readonly code = GrpcStatus.INVALID_ARGUMENT;
  readonly violations: readonly FieldViolation[];

  constructor(violations: readonly FieldViolation[], message?: string) {
    super(message ?? summarise(violations), 'INVALID_ARGUMENT');
    this.violations = violations;
  }

  static field(field: string, description: string): InvalidArgumentError {
    return new InvalidArgumentError([{ field, description }]);
  }
}

/** Collects the violations of several checks so that one answer names every bad field. */
export class Violations {
  private readonly found: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.found.push({ field, description });
  }

  /** Runs a check that may throw InvalidArgumentError; keeps its violations and returns undefined instead. */
  check<T>(run: () => T): T | undefined {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      this.found.push(...error.violations);
      return undefined;
    }
  }

  has(field: string): boolean {
    return this.found.some((violation) => violation.field === field);
  }

  count(): number {
    return this.found.length;
  }

  throwIfAny(): void {
    if (this.found.length > 0) throw new InvalidArgumentError([...this.found]);
  }
}

/** Prefixes the fields of a validation error (a nested message's fields, e.g. `growth.weightKg`). */
export function withFieldPrefix<T>(prefix: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new InvalidArgumentError(error.violations.map((v) => ({ ...v, field: `${prefix}${v.field}` })));
    throw error;
  }
}

function summarise(violations: readonly FieldViolation[]): string {
  return violations.map((v) => `${v.field}: ${v.description}`).join('; ') || 'invalid request';
}

export class NotFoundError extends DomainError {
  readonly code = GrpcStatus.NOT_FOUND;
}

export class AlreadyExistsError extends DomainError {
  readonly code = GrpcStatus.ALREADY_EXISTS;
}

/** A state conflict the client cannot fix by retrying (a full slot, an illegal transition). */
export class FailedPreconditionError extends DomainError {
  readonly code = GrpcStatus.FAILED_PRECONDITION;
}

/** A concurrency conflict: re-read and retry (a stale record version). */
export class AbortedError extends DomainError {
  readonly code = GrpcStatus.ABORTED;
}

export class PermissionDeniedError extends DomainError {
  readonly code = GrpcStatus.PERMISSION_DENIED;
}

export class UnauthenticatedError extends DomainError {
  readonly code = GrpcStatus.UNAUTHENTICATED;
}

export class ResourceExhaustedError extends DomainError {
  readonly code = GrpcStatus.RESOURCE_EXHAUSTED;
}

/** A transient dependency failure, or a commit whose outcome is unknown: the client may retry with its key. */
export class UnavailableError extends DomainError {
  readonly code = GrpcStatus.UNAVAILABLE;

  /**
   * `retryAfterMs`: when the service knows the condition lasts (writes held under strict durability while the
   * standby is away), how long the client should wait; sent as google.rpc.RetryInfo, answered as Retry-After.
   */
  constructor(
    message: string,
    reason?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message, reason);
  }
}

/** Stored bytes no longer match their hash (a corrupt copy): the caller should read another copy. */
export class DataLossError extends DomainError {
  readonly code = GrpcStatus.DATA_LOSS;
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

export function isInvalidArgument(error: unknown): error is InvalidArgumentError {
  return error instanceof InvalidArgumentError;
}

export function isUnavailable(error: unknown): error is UnavailableError {
  return error instanceof UnavailableError;
}

const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** What a handler error becomes on the wire: code, message for the caller, and metadata with details. */
export interface WireStatus {
  code: GrpcStatus;
  details: string;
  metadata: Metadata;
}

/**
 * Maps an error to a gRPC status exactly once. Unknown errors become INTERNAL with a generic message; their
 * details belong in the log, never in the answer.
 */
export function toWireStatus(error: unknown): WireStatus {
  if (!isDomainError(error)) {
    return withDetails(GrpcStatus.INTERNAL, 'internal error', []);
  }
  const details: Any[] = [];
  if (error instanceof InvalidArgumentError) {
    details.push(
      pack(
        'google.rpc.BadRequest',
        BadRequest.encode({ fieldViolations: error.violations.map((v) => ({ ...v, reason: '' })) }).finish(),
      ),
    );
  }
  if (error instanceof FailedPreconditionError && error.reason) {
    details.push(
      pack(
        'google.rpc.PreconditionFailure',
        PreconditionFailure.encode({
          violations: [{ type: error.reason, subject: '', description: error.message }],
        }).finish(),
      ),
    );
  }
  if (error.reason && !(error instanceof InvalidArgumentError)) {
    details.push(
      pack(
        'google.rpc.ErrorInfo',
        ErrorInfo.encode({ reason: error.reason, domain: 'mch.alliance', metadata: {} }).finish(),
      ),
    );
  }
  if (error instanceof UnavailableError && error.retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.round(error.retryAfterMs));
    details.push(
      pack(
        'google.rpc.RetryInfo',
        RetryInfo.encode({
          retryDelay: { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 },
        }).finish(),
      ),
    );
  }
  return withDetails(error.code, error.message, details);
}

/** The delay a server asked for before a retry (google.rpc.RetryInfo), in milliseconds; undefined without one. */
export function retryDelayMsOf(status: Status | undefined): number | undefined {
  for (const detail of status?.details ?? []) {
    if (detail.typeUrl !== TYPE_URL_PREFIX + 'google.rpc.RetryInfo') continue;
    const delay = RetryInfo.decode(detail.value).retryDelay;
    if (delay !== undefined) return Number(delay.seconds) * 1000 + Math.floor(delay.nanos / 1_000_000);
  }
  return undefined;
}

function pack(typeName: string, value: Uint8Array): Any {
  return { typeUrl: TYPE_URL_PREFIX + typeName, value: Buffer.from(value) };
}

function withDetails(code: GrpcStatus, message: string, details: Any[]): WireStatus {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(Status.encode({ code, message, details }).finish()));
  return { code, details: message, metadata };
}

/** Reads the google.rpc.Status a server attached to an error, if any. */
export function readStatusDetails(metadata: Metadata | undefined): Status | undefined {
  const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!raw || typeof raw === 'string') return undefined;
  try {
    return Status.decode(raw);
  } catch {
    return undefined;
  }
}

/** Field violations carried by a status, for clients that want the field from structure. */
export function fieldViolationsOf(status: Status | undefined): FieldViolation[] {
  const violations: FieldViolation[] = [];
  for (const detail of status?.details ?? []) {
    if (detail.typeUrl === TYPE_URL_PREFIX + 'google.rpc.BadRequest') {
      for (const v of BadRequest.decode(detail.value).fieldViolations)
        violations.push({ field: v.field, description: v.description });
    }
  }
  return violations;
}

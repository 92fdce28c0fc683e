// Which failures are worth retrying, and how long to wait between attempts (jittered exponential backoff).
import { status as GrpcStatus } from '@grpc/grpc-js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  /** Exactly the codes that may be retried; any other code is final. */
  readonly retryableCodes: readonly GrpcStatus[];
}

/**
 * Retried only for methods marked idempotent: UNAVAILABLE (a backend restarting, a failover, an unknown
 * commit outcome — safe because the request carries its idempotency key) and RESOURCE_EXHAUSTED is not
 * retried (the caller is being told to slow down).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  initialBackoffMs: 50,
  maxBackoffMs: 2_000,
  backoffMultiplier: 2,
  retryableCodes: [GrpcStatus.UNAVAILABLE],
};

/**
 * For a caller that bounds its retries by a deadline (the gateway's call to a backend): a retryable failure of an
 * idempotent call is tried again until the deadline, not a fixed number of times, because a zone failover lasts
 * seconds (Patroni's ttl plus the promotion) while a refused connection fails in a millisecond. The backoff ceiling
 * of 1 s keeps the first answer after the outage at most about a second late.
 */
export const UNTIL_DEADLINE_RETRY_POLICY: RetryPolicy = {
  maxAttempts: Number.POSITIVE_INFINITY,
  initialBackoffMs: 50,
  maxBackoffMs: 1_000,
  backoffMultiplier: 2,
  retryableCodes: [GrpcStatus.UNAVAILABLE],
};

export function isRetryable(policy: RetryPolicy, code: GrpcStatus | undefined, attempt: number): boolean {
  return code !== undefined && attempt < policy.maxAttempts && policy.retryableCodes.includes(code);
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1): "full jitter", a uniform draw in
 * [0, min(max, initial * multiplier^(attempt-1))], so clients retrying after a failover do not stampede.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(
    policy.maxBackoffMs,
    policy.initialBackoffMs * policy.backoffMultiplier ** Math.max(0, attempt - 1),
  );
  return Math.floor(random() * ceiling);
}

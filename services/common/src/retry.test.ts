import { status } from '@grpc/grpc-js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryable } from './retry';

describe('retry policy', () => {
  it('retries UNAVAILABLE only, and only while attempts remain', () => {
    expect(isRetryable(DEFAULT_RETRY_POLICY, status.UNAVAILABLE, 1)).toBe(true);
    expect(isRetryable(DEFAULT_RETRY_POLICY, status.UNAVAILABLE, DEFAULT_RETRY_POLICY.maxAttempts)).toBe(false);
    for (const code of [
      status.INVALID_ARGUMENT,
      status.FAILED_PRECONDITION,
      status.ABORTED,
      status.DEADLINE_EXCEEDED,
      status.INTERNAL,
      status.RESOURCE_EXHAUSTED,
    ]) {
      expect(isRetryable(DEFAULT_RETRY_POLICY, code, 1)).toBe(false);
    }
    expect(isRetryable(DEFAULT_RETRY_POLICY, undefined, 1)).toBe(false);
  });

  it('draws the delay uniformly below an exponentially growing, capped ceiling', () => {
    const top = (): number => 0.999999;
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 1, top)).toBe(49);
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 2, top)).toBe(99);
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 3, top)).toBe(199);
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 20, top)).toBe(DEFAULT_RETRY_POLICY.maxBackoffMs - 1);
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 3, () => 0)).toBe(0);
  });
});

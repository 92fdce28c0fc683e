// Failed logins slow down and then stop, per username and per client address, counted in Redis. If Redis
// is away the limit is not enforced (the memory-hard hash still slows guessing), and logins keep working.
import type { Cache } from '../../common/src/cache';
import { ResourceExhaustedError } from '../../common/src/errors';
import type { Logger } from '../../common/src/logger';

export const FAILURES_PER_USERNAME = 5;
export const FAILURES_PER_ADDRESS = 50;
export const FAILURE_WINDOW_SECONDS = 15 * 60;

export class LoginThrottle {
  constructor(
    private readonly cache: Cache,
    private readonly logger: Logger,
  ) {}

  private keys(username: string, address: string): [string, string] {
    return [
      this.cache.key('login-failures', `user:${username.toLowerCase()}`),
      this.cache.key('login-failures', `addr:${address}`),
    ];
  }

  /** Refuses with RESOURCE_EXHAUSTED (429) when either counter is over its limit. */
  async check(username: string, address: string): Promise<void> {
    const [userKey, addressKey] = this.keys(username, address);
    let counts: Array<string | null>;
    try {
      counts = await this.cache.redis.mget(userKey, addressKey);
    } catch (error) {
      this.logger.warn({ err: error }, 'login throttle unavailable (redis); not enforced');
      return;
    }
    if (Number(counts[0] ?? 0) >= FAILURES_PER_USERNAME || Number(counts[1] ?? 0) >= FAILURES_PER_ADDRESS) {
      const ttl = await this.cache.redis.ttl(userKey).catch(() => FAILURE_WINDOW_SECONDS);
      throw new ResourceExhaustedError(
        `too many failed logins; try again in ${Math.max(ttl, 1)} seconds`,
        'LOGIN_THROTTLED',
      );
    }
  }

  /** Counts a failure and returns how many this username has had in the window. */
  async fail(username: string, address: string): Promise<number> {
    const [userKey, addressKey] = this.keys(username, address);
    try {
      const results = await this.cache.redis
        .multi()
        .incr(userKey)
        .expire(userKey, FAILURE_WINDOW_SECONDS, 'NX')
        .incr(addressKey)
        .expire(addressKey, FAILURE_WINDOW_SECONDS, 'NX')
        .exec();
      return Number(results?.[0]?.[1] ?? 1);
    } catch {
      return 1;
    }
  }

  async succeed(username: string): Promise<void> {
    await this.cache.redis.del(this.keys(username, '')[0]).catch(() => undefined);
  }
}

/** The pause before answering a failed login grows with the failures: 200 ms, 400 ms, ... up to 2 s. */
export function failureDelayMs(failures: number): number {
  return Math.min(2_000, 100 * 2 ** Math.max(1, failures));
}

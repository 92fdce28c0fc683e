// Per-client rate limits in Redis, shared by every gateway replica: a fixed window per client address and per
// bearer token (each login is its own session; the address limit catches a client that mints junk tokens).
// Over the limit: 429 with Retry-After. Redis unreachable: requests pass (the limits protect capacity, they
// are not an access control), the failure is logged once per window and /readyz says `rateLimits: unavailable`.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/src/logger';

export interface RateLimitSettings {
  /** Requests per window per client address; 0 turns the address limit off. */
  readonly perAddress: number;
  /** Requests per window per bearer token; 0 turns the token limit off. */
  readonly perToken: number;
  readonly windowSeconds: number;
}

export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly retryAfterSeconds: number;
      readonly limit: number;
      readonly scope: 'address' | 'token';
    };

// KEYS: the counters; ARGV[1]: window ms. Returns, per key, its count and the ms left in its window.
const COUNT_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then redis.call('PEXPIRE', key, ARGV[1]); ttl = tonumber(ARGV[1]) end
  out[#out + 1] = count
  out[#out + 1] = ttl
end
return out`;

/** Counter keys never hold a token or a raw address: a short hash of either. */
export function limiterKey(scope: 'address' | 'token', value: string): string {
  return `mch:gateway:rate:${scope}:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`;
}

/** The decision for counts just taken: the first limit exceeded, with the seconds until its window ends. */
export function decide(
  counts: readonly { scope: 'address' | 'token'; count: number; ttlMs: number; limit: number }[],
): RateDecision {
  for (const { scope, count, ttlMs, limit } of counts) {
    if (limit > 0 && count > limit)
      return { allowed: false, scope, limit, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
  }
  return { allowed: true };
}

export class RateLimiter {
  private warnedAt = 0;

  constructor(
    private readonly redis: Redis | undefined,
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
  ) {}

  /** For /readyz: `off` (not configured), `on`, or `unavailable` (Redis not connected: requests pass unlimited). */
  state(): 'off' | 'on' | 'unavailable' {
    if (!this.enabled) return 'off';
    return this.redis?.status === 'ready' ? 'on' : 'unavailable';
  }

  get enabled(): boolean {
    return this.redis !== undefined && (this.settings.perAddress > 0 || this.settings.perToken > 0);
  }

  async check(address: string, bearer: string | undefined): Promise<RateDecision> {
    if (!this.redis || !this.enabled) return { allowed: true };
    const limits: { scope: 'address' | 'token'; key: string; limit: number }[] = [];
    if (this.settings.perAddress > 0)
      limits.push({ scope: 'address', key: limiterKey('address', address), limit: this.settings.perAddress });
    if (this.settings.perToken > 0 && bearer)
      limits.push({ scope: 'token', key: limiterKey('token', bearer), limit: this.settings.perToken });
    if (limits.length === 0) return { allowed: true };
    try {
      const raw = (await this.redis.eval(
        COUNT_SCRIPT,
        limits.length,
        ...limits.map((limit) => limit.key),
        String(this.settings.windowSeconds * 1000),
      )) as number[];
      return decide(
        limits.map((limit, index) => ({
          scope: limit.scope,
          limit: limit.limit,
          count: Number(raw[2 * index]),
          ttlMs: Number(raw[2 * index + 1]),
        })),
      );
    } catch (error) {
      if (Date.now() - this.warnedAt > this.settings.windowSeconds * 1000) {
        this.warnedAt = Date.now();
        this.logger.warn({ err: error }, 'rate limits unavailable (Redis): requests pass unlimited');
      }
      return { allowed: true };
    }
  }
}

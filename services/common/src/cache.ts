// Redis as a cache that can only make things faster: cache-aside with a generation (bumped after a
// database failover so no entry from an abandoned timeline is served), short command timeouts, no
// offline queue, and every Redis error treated as a miss.
import Redis from 'ioredis';
import type { Logger } from './logger';

export interface Codec<T> {
  encode(value: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export interface CacheOptions {
  readonly url: string;
  /** Prefix of every key this service writes, e.g. `identity`. */
  readonly service: string;
  readonly commandTimeoutMs: number;
  readonly defaultTtlSeconds: number;
  readonly logger: Logger;
}

/** The key that holds the platform-wide cache generation. */
export const GENERATION_KEY = 'mch:cache:generation';
const GENERATION_MEMO_MS = 1_000;

export function createRedis(url: string, commandTimeoutMs: number, logger: Logger): Redis {
  const redis = new Redis(url, {
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // A failed-over Redis replica answers READONLY: reconnect to find the writable one.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  });
  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      logger.warn({ err: error }, 'redis error (cache degraded to misses)');
    }
  });
  return redis;
}

export class Cache {
  readonly redis: Redis;
  private generation = '0';
  private generationReadAt = 0;
  private invalidationFailed = false;

  constructor(private readonly options: CacheOptions) {
    this.redis = createRedis(options.url, options.commandTimeoutMs, options.logger);
    // Entries that could not be invalidated while Redis was away must not be served when it returns.
    this.redis.on('ready', () => {
      if (this.invalidationFailed) void this.bumpGeneration().then(() => (this.invalidationFailed = false));
    });
  }

  key(entity: string, id: string): string {
    return `${this.options.service}:${entity}:${id}`;
  }

  private async currentGeneration(): Promise<string> {
    if (Date.now() - this.generationReadAt < GENERATION_MEMO_MS) return this.generation;
    this.generation = (await this.redis.get(GENERATION_KEY)) ?? '0';
    this.generationReadAt = Date.now();
    return this.generation;
  }

  /** Returns the cached value of `key`, or loads, stores and returns it. A Redis failure is a miss. */
  async getOrLoad<T>(
    key: string,
    codec: Codec<T>,
    load: () => Promise<T>,
    ttlSeconds = this.options.defaultTtlSeconds,
  ): Promise<{ value: T; hit: boolean }> {
    let fullKey: string | undefined;
    try {
      fullKey = `${key}:g${await this.currentGeneration()}`;
      const cached = await this.redis.getBuffer(fullKey);
      if (cached) return { value: codec.decode(cached), hit: true };
    } catch (error) {
      this.options.logger.debug({ err: error }, 'cache read failed; loading from the database');
    }
    const value = await load();
    if (fullKey) {
      this.redis.set(fullKey, Buffer.from(codec.encode(value).finish()), 'EX', ttlSeconds).catch(() => undefined);
    }
    return { value, hit: false };
  }

  /** Removes entries after a write has committed. If Redis is unreachable, the generation is bumped later. */
  async invalidate(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      const generation = await this.currentGeneration();
      await this.redis.del(...keys.map((key) => `${key}:g${generation}`));
    } catch (error) {
      this.invalidationFailed = true;
      this.options.logger.warn({ err: error }, 'cache invalidation failed; generation will be bumped on reconnect');
    }
  }

  /**
   * Current values of counters that callers fold into their keys (a generation per entity, e.g. a slot's capacity
   * per institution and service); undefined when Redis cannot answer, and then nothing should be cached.
   */
  async counters(keys: readonly string[]): Promise<string[] | undefined> {
    if (keys.length === 0) return [];
    try {
      return (await this.redis.mget(...keys)).map((value) => value ?? '0');
    } catch (error) {
      this.options.logger.debug({ err: error }, 'cache counters unreadable; not caching');
      return undefined;
    }
  }

  /** Bumps counters after a write has committed. If Redis is unreachable, the generation is bumped later. */
  async bumpCounters(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      const transaction = this.redis.multi();
      for (const key of keys) transaction.incr(key);
      await transaction.exec();
    } catch (error) {
      this.invalidationFailed = true;
      this.options.logger.warn({ err: error }, 'cache counter bump failed; generation will be bumped on reconnect');
    }
  }

  /** Makes every entry of every service unreachable at once (after a failover). */
  async bumpGeneration(): Promise<void> {
    this.generation = String(await this.redis.incr(GENERATION_KEY));
    this.generationReadAt = Date.now();
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

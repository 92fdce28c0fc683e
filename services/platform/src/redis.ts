// Redis as the platform's cache and pub/sub: its own port, no persistence (never the source of truth).
import { join } from 'node:path';
import type { OsAccount } from './account';
import { redisPing } from './probes';
import type { ComponentSpec } from './supervisor';

export const REDIS_COMPONENT = 'redis';

export interface RedisOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly account: OsAccount;
}

export function redisUrl(port: number): string {
  return `redis://127.0.0.1:${port}`;
}

export function redisSpec(options: RedisOptions): ComponentSpec {
  return {
    name: REDIS_COMPONENT,
    command: '/usr/bin/redis-server',
    args: [
      '--bind',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      join(options.dataDir, 'redis'),
      '--maxmemory',
      '256mb',
      '--maxmemory-policy',
      'allkeys-lru',
      '--logfile',
      '',
    ],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    account: options.account,
    restart: 'on-crash',
    readiness: () => redisPing(options.port),
    stopTimeoutMs: 5_000,
  };
}

// The settings a drill ran under, read from the running platform where they live (Patroni's dynamic
// configuration), so that every figure is printed next to the timings that produced it.
import { HAPROXY_CHECK_TIMINGS } from '../haproxy';
import type { Durability } from '../patroni';
import type { Platform } from '../platform';
import { httpRequest } from '../probes';
import type { ClientPolicy } from './load';

export interface SettingsInForce {
  readonly durability: Durability;
  readonly patroni: {
    readonly ttl?: number;
    readonly loopWait?: number;
    readonly retryTimeout?: number;
    readonly synchronousMode?: boolean;
    readonly synchronousModeStrict?: boolean;
    readonly maximumLagOnFailover?: number;
  };
  readonly haproxy: typeof HAPROXY_CHECK_TIMINGS;
  /** The services' defaults unless the environment overrides them (README, Configuration). */
  readonly gatewayCallTimeoutMs: number;
  readonly commitUnknownAfterMs: number;
  readonly client: ClientPolicy & { readonly writers: number };
}

function numberFrom(env: string | undefined, fallback: number): number {
  const value = Number(env);
  return env === undefined || env === '' || !Number.isFinite(value) ? fallback : value;
}

export async function settingsInForce(
  platform: Platform,
  client: ClientPolicy,
  writers: number,
): Promise<SettingsInForce> {
  let config: Record<string, unknown> = {};
  for (const url of Object.values(platform.patroniUrls)) {
    try {
      const answer = await httpRequest('GET', `${url}/config`);
      if (answer.status === 200) {
        config = JSON.parse(answer.body) as Record<string, unknown>;
        break;
      }
    } catch {
      // the other zone may answer
    }
  }
  const num = (key: string): number | undefined => (typeof config[key] === 'number' ? config[key] : undefined);
  const bool = (key: string): boolean | undefined => (typeof config[key] === 'boolean' ? config[key] : undefined);
  const patroni = {
    ...(num('ttl') === undefined ? {} : { ttl: num('ttl') }),
    ...(num('loop_wait') === undefined ? {} : { loopWait: num('loop_wait') }),
    ...(num('retry_timeout') === undefined ? {} : { retryTimeout: num('retry_timeout') }),
    ...(bool('synchronous_mode') === undefined ? {} : { synchronousMode: bool('synchronous_mode') }),
    ...(bool('synchronous_mode_strict') === undefined
      ? {}
      : { synchronousModeStrict: bool('synchronous_mode_strict') }),
    ...(num('maximum_lag_on_failover') === undefined ? {} : { maximumLagOnFailover: num('maximum_lag_on_failover') }),
  };
  return {
    durability: platform.durability,
    patroni,
    haproxy: HAPROXY_CHECK_TIMINGS,
    gatewayCallTimeoutMs: numberFrom(process.env['GATEWAY_CALL_TIMEOUT_MS'], 10_000),
    commitUnknownAfterMs: numberFrom(process.env['PG_COMMIT_UNKNOWN_AFTER_MS'], 30_000),
    client: { ...client, writers },
  };
}

export function describeSettings(settings: SettingsInForce): string[] {
  const p = settings.patroni;
  const h = settings.haproxy;
  const c = settings.client;
  return [
    `patroni      ttl ${p.ttl ?? '?'} s, loop_wait ${p.loopWait ?? '?'} s, retry_timeout ${p.retryTimeout ?? '?'} s, ` +
      `synchronous_mode ${String(p.synchronousMode ?? '?')}, strict ${String(p.synchronousModeStrict ?? '?')}, maximum_lag_on_failover ${p.maximumLagOnFailover ?? '?'} B ` +
      `(durability ${settings.durability})`,
    `haproxy      checks inter ${h.inter}, fastinter ${h.fastinter}, downinter ${h.downinter}, rw fall ${h.readWriteFall}, ro fall ${h.readOnlyFall}, ` +
      `rise ${h.rise}, check timeout ${h.checkTimeout}, on-marked-down shutdown-sessions`,
    `services     gateway call deadline ${settings.gatewayCallTimeoutMs} ms (retries UNAVAILABLE with the key inside it), ` +
      `COMMIT unknown after ${settings.commitUnknownAfterMs} ms`,
    `clients      ${c.writers} writers, request timeout ${c.requestTimeoutMs} ms, retry budget ${c.retryBudgetMs} ms, ` +
      `backoff ${c.firstBackoffMs}..${c.maxBackoffMs} ms jittered, same Idempotency-Key on every retry`,
  ];
}

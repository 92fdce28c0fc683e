// What each zone's PostgreSQL and Patroni say about synchronous replication, sampled every 100 ms during a
// drill: when commits stopped waiting for the other zone (RPO exposure) and when they waited again.
import { Client } from 'pg';
import { clusterStatus, ZONES, type Zone } from '../patroni';
import type { Platform } from '../platform';
import { sleep } from '../proc';

export interface ZoneSample {
  /** false for a primary. */
  readonly recovery: boolean;
  /** synchronous_standby_names: empty on a primary means its commits wait for nobody. */
  readonly synchronousStandbyNames: string;
  /** pg_stat_replication rows with sync_state 'sync' and state 'streaming'. */
  readonly syncStreaming: number;
}

export interface ReplicationSample {
  readonly at: number;
  readonly zones: Partial<Record<Zone, ZoneSample>>;
}

export interface PatroniSample {
  readonly at: number;
  readonly leader?: Zone;
  readonly syncStandby?: Zone;
  readonly inSync: boolean;
}

const QUERY = `SELECT pg_is_in_recovery() AS recovery,
                      current_setting('synchronous_standby_names') AS ssn,
                      (SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming')::int AS sync_streaming`;
const QUERY_TIMEOUT_MS = 500;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]);
}

/** The primary of a sample, when exactly one zone answers as primary. */
export function primaryOf(sample: ReplicationSample): { zone: Zone; state: ZoneSample } | undefined {
  const primaries = ZONES.flatMap((zone) => {
    const state = sample.zones[zone];
    return state !== undefined && !state.recovery ? [{ zone, state }] : [];
  });
  return primaries.length === 1 ? primaries[0] : undefined;
}

/** A primary answers whose commits wait for nobody: acknowledged writes are on one zone only. */
export function isExposed(sample: ReplicationSample): boolean {
  const primary = primaryOf(sample);
  return primary !== undefined && primary.state.synchronousStandbyNames.trim() === '';
}

/** A primary's commits wait for a synchronous standby that is streaming. */
export function isSynchronous(sample: ReplicationSample): boolean {
  const primary = primaryOf(sample);
  return (
    primary !== undefined && primary.state.synchronousStandbyNames.trim() !== '' && primary.state.syncStreaming > 0
  );
}

export class ReplicationWatch {
  readonly samples: ReplicationSample[] = [];
  readonly patroni: PatroniSample[] = [];
  private readonly clients = new Map<Zone, Client>();
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly platform: Platform,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.running = true;
    this.loops = [this.databaseLoop(), this.patroniLoop()];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const client of this.clients.values()) void client.end().catch(() => undefined);
    this.clients.clear();
  }

  /** The first sample at or after `from` that satisfies `condition`, if any. */
  firstAfter(from: number, condition: (sample: ReplicationSample) => boolean): number | undefined {
    return this.samples.find((sample) => sample.at >= from && condition(sample))?.at;
  }

  /** Waits for a sample after `from` satisfying `condition`. */
  async waitFor(
    from: number,
    condition: (sample: ReplicationSample) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.firstAfter(from, condition);
      if (at !== undefined) return at;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(50);
    }
  }

  /** Milliseconds within [from, to] during which the samples showed a primary exposed (no synchronous standby). */
  exposedMs(from: number, to: number): number {
    let total = 0;
    let previous: ReplicationSample | undefined;
    for (const sample of this.samples) {
      if (sample.at > to) break;
      if (previous !== undefined && previous.at >= from && isExposed(previous)) total += sample.at - previous.at;
      previous = sample;
    }
    return total;
  }

  private async databaseLoop(): Promise<void> {
    while (this.running) {
      const began = Date.now();
      const entries = await Promise.all(ZONES.map(async (zone) => [zone, await this.sampleZone(zone)] as const));
      const zones: Partial<Record<Zone, ZoneSample>> = {};
      for (const [zone, state] of entries) if (state !== undefined) zones[zone] = state;
      this.samples.push({ at: Date.now(), zones });
      await sleep(Math.max(0, this.intervalMs - (Date.now() - began)));
    }
  }

  private async patroniLoop(): Promise<void> {
    while (this.running) {
      const began = Date.now();
      try {
        const status = await clusterStatus(Object.values(this.platform.patroniUrls));
        this.patroni.push({
          at: Date.now(),
          ...(status.leader === undefined ? {} : { leader: status.leader }),
          ...(status.syncStandby === undefined ? {} : { syncStandby: status.syncStandby }),
          inSync: status.inSync,
        });
      } catch {
        this.patroni.push({ at: Date.now(), inSync: false });
      }
      await sleep(Math.max(0, 2 * this.intervalMs - (Date.now() - began)));
    }
  }

  private async sampleZone(zone: Zone): Promise<ZoneSample | undefined> {
    let client = this.clients.get(zone);
    try {
      if (client === undefined) {
        client = new Client({
          connectionString: this.platform.zoneDatabaseUrl(zone),
          connectionTimeoutMillis: QUERY_TIMEOUT_MS,
        });
        client.on('error', () => undefined);
        this.clients.set(zone, client);
        await withTimeout(client.connect(), QUERY_TIMEOUT_MS);
      }
      const { rows } = await withTimeout(
        client.query<{ recovery: boolean; ssn: string; sync_streaming: number }>(QUERY),
        QUERY_TIMEOUT_MS,
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return { recovery: row.recovery, synchronousStandbyNames: row.ssn, syncStreaming: row.sync_streaming };
    } catch {
      // A zone that is down, frozen or restarting: no sample from it; a fresh connection next time.
      this.clients.delete(zone);
      void client?.end().catch(() => undefined);
      return undefined;
    }
  }
}

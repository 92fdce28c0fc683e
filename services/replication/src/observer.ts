// Watches the two zones: polls the HA engine and the primary's replication view, keeps the current status,
// records leader changes and exposure windows, raises the RPO-exposure alarm (log line, metric, status field),
// and tells watchers when anything changed.
import { EventEmitter } from 'node:events';
import { Gauge, Registry } from 'prom-client';
import type { Logger } from '../../common/src/logger';
import type { Database } from '../../common/src/pg/database';
import {
  BackupStatus,
  ObjectStoreStatus,
  ReplicationStatus,
} from '../../common/src/gen/mch/replication/v1/replication';
import { BACKUP_WARNING } from './backups';
import { EMPTY_MEMORY, ObservedEvent, observe, ObserverMemory, statusChanged } from './domain/status';
import type { HaEngine } from './engine';

const OBJECT_WARNING = 'object store';

export class ReplicationObserver {
  readonly changes = new EventEmitter();
  readonly metrics = new Registry();
  private memory: ObserverMemory = EMPTY_MEMORY;
  private current: ReplicationStatus | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<ReplicationStatus> | undefined;
  private objectStore: (() => ObjectStoreStatus) | undefined;
  private backups: (() => { status: BackupStatus; warnings: string[] }) | undefined;
  private readonly exposedGauge = new Gauge({
    name: 'mch_replication_exposed',
    help: '1 while acknowledged writes are on one zone only (RPO exposure).',
    registers: [this.metrics],
  });
  private readonly inSyncGauge = new Gauge({
    name: 'mch_replication_in_sync',
    help: '1 while a synchronous standby holds every acknowledged write.',
    registers: [this.metrics],
  });
  private readonly lagGauge = new Gauge({
    name: 'mch_replication_lag_bytes',
    help: 'WAL bytes a zone is behind the primary.',
    labelNames: ['zone'] as const,
    registers: [this.metrics],
  });
  private readonly exposedSecondsGauge = new Gauge({
    name: 'mch_replication_exposed_seconds',
    help: 'How long the current exposure has lasted.',
    registers: [this.metrics],
  });

  constructor(
    private readonly engine: HaEngine,
    private readonly db: Database,
    private readonly durability: string,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {
    this.changes.setMaxListeners(1_000);
  }

  /** Restores what was seen before a restart, then polls. */
  async start(): Promise<void> {
    const rows = await this.db.query<{
      kind: string;
      from_zone: string;
      to_zone: string;
      timeline: number;
      occurred_at: Date;
    }>(
      `SELECT DISTINCT ON (kind) kind, from_zone, to_zone, timeline, occurred_at FROM replication_events ORDER BY kind, occurred_at DESC`,
    );
    const last = (kind: string) => rows.find((row) => row.kind === kind);
    const change = (kind: 'failover' | 'switchover') => {
      const row = last(kind);
      return row
        ? { at: row.occurred_at, fromZone: row.from_zone, toZone: row.to_zone, timeline: row.timeline, kind }
        : undefined;
    };
    const exposed = last('exposed');
    const inSync = last('in-sync');
    this.memory = {
      ...EMPTY_MEMORY,
      lastFailover: change('failover'),
      lastSwitchover: change('switchover'),
      exposedSince: exposed && (!inSync || inSync.occurred_at < exposed.occurred_at) ? exposed.occurred_at : undefined,
    };
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reports the object store's exposure with the databases' in every status. */
  includeObjectStore(status: () => ObjectStoreStatus): void {
    this.objectStore = status;
  }

  /** Reports the backup repository with the databases' in every status. */
  includeBackups(status: () => { status: BackupStatus; warnings: string[] }): void {
    this.backups = status;
  }

  /** The last observation, with the object store as it stands now. */
  status(): ReplicationStatus | undefined {
    return this.current && this.withObjectStore(this.current);
  }

  private withObjectStore(observed: ReplicationStatus): ReplicationStatus {
    const backups = this.backups?.();
    const status = backups
      ? {
          ...observed,
          backups: backups.status,
          warnings: [
            ...observed.warnings.filter((warning) => !warning.startsWith(BACKUP_WARNING)),
            ...backups.warnings,
          ],
        }
      : observed;
    const objectStore = this.objectStore?.();
    if (!objectStore) return status;
    const warnings = status.warnings.filter((warning) => !warning.startsWith(OBJECT_WARNING));
    for (const zone of objectStore.zones)
      if (!zone.reachable)
        warnings.push(`${OBJECT_WARNING} agent of ${zone.zone} does not answer: new objects are held in one zone only`);
    if (objectStore.exposed)
      warnings.push(
        `${OBJECT_WARNING}: ${objectStore.exposedObjects} objects are held in one zone only until the repair loop copies them`,
      );
    return { ...status, warnings, objectStore };
  }

  /** The next switchover to `zone` is planned; the observer will not call it a failover. */
  async expectSwitchover(fromZone: string, toZone: string, actor: string): Promise<void> {
    this.memory = { ...this.memory, pendingSwitchoverTo: toZone };
    await this.db.query(
      `INSERT INTO replication_events (kind, from_zone, to_zone, actor) VALUES ('switchover-requested', $1, $2, $3)`,
      [fromZone, toZone, actor],
    );
  }

  /** One observation at a time: concurrent polls folding into the same memory would see one leader change twice. */
  poll(): Promise<ReplicationStatus> {
    this.polling ??= this.observeOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async observeOnce(): Promise<ReplicationStatus> {
    const members = await this.engine.cluster();
    const replayLag = await this.replayLag();
    const observed = observe(members, replayLag, this.durability, this.memory, new Date(), this.engine.description);
    const { memory, events } = observed;
    const status = this.withObjectStore(observed.status);
    this.memory = memory;
    for (const event of events) await this.record(event);
    this.exposedGauge.set(status.exposed ? 1 : 0);
    this.inSyncGauge.set(status.inSync ? 1 : 0);
    this.exposedSecondsGauge.set(status.exposedSince ? (Date.now() - status.exposedSince.getTime()) / 1000 : 0);
    for (const member of status.members) this.lagGauge.set({ zone: member.zone }, Number(member.lagBytes));
    if (status.exposed && this.current && !this.current.exposed) {
      this.logger.error(
        { alarm: 'RPO_EXPOSURE', primary: status.primaryZone },
        'RPO EXPOSURE: acknowledged writes are on one zone only until the other is back in sync',
      );
    }
    const changed = statusChanged(this.current, status);
    this.current = status;
    if (changed) this.changes.emit('status', status);
    return status;
  }

  private async replayLag(): Promise<Map<string, number>> {
    try {
      const rows = await this.db.query<{ application_name: string; seconds: number | null }>(
        `SELECT application_name, extract(epoch FROM replay_lag)::float8 AS seconds FROM pg_stat_replication`,
      );
      return new Map(rows.map((row) => [row.application_name, row.seconds ?? 0]));
    } catch {
      return new Map();
    }
  }

  private async record(event: ObservedEvent): Promise<void> {
    if (event.kind === 'failover' || event.kind === 'switchover') {
      this.logger.warn(
        { event: event.kind, from: event.change.fromZone, to: event.change.toZone, timeline: event.change.timeline },
        `primary moved: ${event.kind}`,
      );
    } else if (event.kind === 'in-sync') {
      this.logger.info({ exposedForMs: event.exposedForMs }, 'both zones in sync again: exposure over');
    }
    const [from, to, timeline] =
      event.kind === 'failover' || event.kind === 'switchover'
        ? [event.change.fromZone, event.change.toZone, event.change.timeline]
        : ['', '', 0];
    await this.db
      .query(`INSERT INTO replication_events (kind, from_zone, to_zone, timeline) VALUES ($1, $2, $3, $4)`, [
        event.kind,
        from,
        to,
        timeline,
      ])
      .catch((error: unknown) =>
        this.logger.warn(
          { err: error, event: event.kind },
          'could not record a replication event (database unavailable)',
        ),
      );
  }
}

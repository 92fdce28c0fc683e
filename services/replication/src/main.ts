// Replication service process: config -> telemetry -> Postgres -> observer -> gRPC server (+ metrics) -> signals.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'replication');

import { runService } from '../../common/src/service';
import { ConfigError } from '../../common/src/config';
import { ReplicationServiceService } from '../../common/src/gen/mch/replication/v1/replication';
import { loadReplicationConfig } from './config';
import { replicationHandlers } from './handlers';
import { DEFAULT_CONTENT_TYPES } from './domain/objects';
import { GrpcConsultationAccess, ObjectAccess } from './objects/access';
import { parseAgentAddresses, StoreAgents } from './objects/agents';
import { ObjectStore } from './objects/store';
import { ReplicationObserver } from './observer';
import { BackupMonitor } from './backups';
import { PatroniClient } from './patroni';
import { CloudNativePgEngine, inClusterApiUrl, STANDBYS_SQL, type StandbyRow } from './cloudnative-pg';
import type { HaEngine } from './engine';

void runService({
  service: 'replication',
  loadConfig: loadReplicationConfig,
  protoFile: 'mch/replication/v1/replication.proto',
  serviceName: 'mch.replication.v1.ReplicationService',
  definition: ReplicationServiceService,
  async build({ config, db, logger, serviceIdentity, metrics }) {
    const engine: HaEngine =
      config.HA_ENGINE === 'cloudnative-pg'
        ? new CloudNativePgEngine({
            cluster: config.POSTGRES_CLUSTER as string,
            namespace: config.POD_NAMESPACE as string,
            zones: config.CNPG_ZONES,
            apiUrl:
              config.KUBERNETES_API_URL ??
              inClusterApiUrl(config.KUBERNETES_SERVICE_HOST as string, config.KUBERNETES_SERVICE_PORT),
            standbys: () => db.query<StandbyRow>(STANDBYS_SQL),
          })
        : new PatroniClient(config.PATRONI_API_URLS);
    const observer = new ReplicationObserver(engine, db, config.MCH_DURABILITY, logger, config.REPLICATION_POLL_MS);
    const agents = parseAgentAddresses(config.OBJECT_STORE_AGENTS);
    let objects: ObjectStore | undefined;
    if (agents.size > 0) {
      if (!serviceIdentity)
        throw new ConfigError([
          "OBJECT_STORE_AGENTS: needs the service's own credential (MCH_SERVICE_CREDENTIAL, IDENTITY_SERVICE_ADDR); the agents serve only the replication service",
        ]);
      const contentTypes = config.OBJECT_CONTENT_TYPES.split(',')
        .map((type) => type.trim().toLowerCase())
        .filter(Boolean);
      objects = new ObjectStore(
        db,
        new StoreAgents(agents, serviceIdentity),
        new ObjectAccess(db, new GrpcConsultationAccess(config.CONSULTATION_SERVICE_ADDR)),
        {
          rules: {
            maxBytes: config.OBJECT_MAX_BYTES,
            contentTypes: contentTypes.length > 0 ? contentTypes : DEFAULT_CONTENT_TYPES,
          },
          durability: config.MCH_DURABILITY,
          repairIntervalMs: config.OBJECT_REPAIR_INTERVAL_MS,
          scanIntervalMs: config.OBJECT_SCAN_INTERVAL_MS,
          transferTimeoutMs: config.OBJECT_TRANSFER_TIMEOUT_MS,
          stallTimeoutMs: config.OBJECT_STALL_TIMEOUT_MS,
          orphanAgeMs: config.OBJECT_ORPHAN_AGE_MS,
        },
        logger,
        observer.metrics,
      );
      await objects.start();
      const store = objects;
      observer.includeObjectStore(() => store.status());
    }
    const backups = new BackupMonitor({
      configPath: config.PGBACKREST_CONFIG,
      stanza: config.PGBACKREST_STANZA,
      intervalMs: config.BACKUP_CHECK_INTERVAL_MS,
      staleAfterMs: config.BACKUP_STALE_HOURS * 3_600_000,
      logger,
      archiver: async () => {
        const rows = await db.query<{
          last_archived_time: Date | null;
          last_failed_time: Date | null;
          last_failed_wal: string | null;
        }>('SELECT last_archived_time, last_failed_time, last_failed_wal FROM pg_stat_archiver');
        const row = rows[0];
        return {
          lastArchivedAt: row?.last_archived_time ?? undefined,
          lastFailedAt: row?.last_failed_time ?? undefined,
          lastFailedWal: row?.last_failed_wal ?? undefined,
        };
      },
    });
    await backups.start();
    observer.includeBackups(() => backups.status());
    await observer.start();
    // Its RPO, lag and exposure gauges, served on METRICS_PORT with the service's call metrics.
    metrics.include(observer.metrics);
    return replicationHandlers(observer, engine, objects, db);
  },
});

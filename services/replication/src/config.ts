// Replication's configuration: the kit's keys plus where the HA engine answers.
import { ConfigOf, ConfigField, int, loadConfig, optionalStr, port, serviceConfigSpec, str } from '../../common/src/config';

function urlList(): ConfigField<string[]> {
  return {
    parse: (raw) => {
      if (raw === undefined) throw new Error('is required: the Patroni REST API of each zone, comma-separated');
      const urls = raw.split(',').map((url) => url.trim()).filter(Boolean);
      for (const url of urls) {
        if (!/^https?:\/\/[^\s]+$/.test(url)) throw new Error(`"${url}" is not an http(s) URL`);
      }
      return urls.map((url) => url.replace(/\/$/, ''));
    },
  };
}

export const replicationConfigSpec = {
  ...serviceConfigSpec,
  PATRONI_API_URLS: urlList(),
  MCH_DURABILITY: str({ default: 'available', oneOf: ['available', 'strict'] }),
  REPLICATION_POLL_MS: int({ default: 1_000, min: 100 }),
  /** The store agent of each zone, `az-a=host:port,az-b=host:port`; empty: no object store. */
  OBJECT_STORE_AGENTS: str({ default: '' }),
  /** Largest object accepted, bytes. */
  OBJECT_MAX_BYTES: int({ default: 25 * 1024 * 1024, min: 1024 }),
  /** Accepted media types, comma-separated; empty: the built-in list (images, PDF, DICOM, text). */
  OBJECT_CONTENT_TYPES: str({ default: '' }),
  /** How often the repair loop copies missing copies to zones whose agent answers. */
  OBJECT_REPAIR_INTERVAL_MS: int({ default: 2_000, min: 100 }),
  /** How often every copy is re-hashed (verify-and-repair scan). */
  OBJECT_SCAN_INTERVAL_MS: int({ default: 6 * 60 * 60_000, min: 1_000 }),
  /** Deadline of one transfer to or from an agent. */
  OBJECT_TRANSFER_TIMEOUT_MS: int({ default: 120_000, min: 1_000 }),
  /** How long a zone's agent may stall an upload or a read's first byte before it is treated as down. */
  OBJECT_STALL_TIMEOUT_MS: int({ default: 10_000, min: 100 }),
  /** A blob no object names older than this is moved to its agent's quarantine by the scan. */
  OBJECT_ORPHAN_AGE_MS: int({ default: 24 * 60 * 60_000, min: 60_000 }),
  CONSULTATION_SERVICE_ADDR: optionalStr(),
  /** pgBackRest configuration of the database's backups (the local platform's); unset: backups not reported. */
  PGBACKREST_CONFIG: optionalStr(),
  PGBACKREST_STANZA: str({ default: 'mch' }),
  BACKUP_CHECK_INTERVAL_MS: int({ default: 60_000, min: 1_000 }),
  /** A newest base backup older than this is a status warning (a daily schedule plus slack). */
  BACKUP_STALE_HOURS: int({ default: 26, min: 1 }),
};

export type ReplicationConfig = ConfigOf<typeof replicationConfigSpec>;

export function loadReplicationConfig(env: NodeJS.ProcessEnv = process.env): ReplicationConfig {
  return loadConfig(replicationConfigSpec, env);
}

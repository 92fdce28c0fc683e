// Replication's configuration: the kit's keys plus which HA engine it observes and where that answers: Patroni's
// REST API of each zone, or a CloudNativePG Cluster through the Kubernetes API.
import {
  ConfigError,
  ConfigOf,
  ConfigField,
  int,
  loadConfig,
  optionalStr,
  serviceConfigSpec,
  str,
} from '../../common/src/config';

function urlList(): ConfigField<string[]> {
  return {
    parse: (raw) => {
      if (raw === undefined) return [];
      const urls = raw
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean);
      for (const url of urls) {
        if (!/^https?:\/\/[^\s]+$/.test(url)) throw new Error(`"${url}" is not an http(s) URL`);
      }
      return urls.map((url) => url.replace(/\/$/, ''));
    },
  };
}

/** `az-a=zone-a,az-b=zone-b`: the service's zone ids and the `topology.kubernetes.io/zone` labels they stand for. */
function zoneMap(): ConfigField<Map<string, string>> {
  return {
    parse: (raw) => {
      const zones = new Map<string, string>();
      for (const entry of (raw ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)) {
        const [zone, label] = entry.split('=').map((part) => part.trim());
        if (!zone || !label || !/^az-[a-z0-9]+$/.test(zone)) throw new Error(`"${entry}" is not az-<id>=<zone label>`);
        zones.set(zone, label);
      }
      return zones;
    },
  };
}

export const replicationConfigSpec = {
  ...serviceConfigSpec,
  /** patroni (the local platform, plain hosts) or cloudnative-pg (Kubernetes). */
  HA_ENGINE: str({ default: 'patroni', oneOf: ['patroni', 'cloudnative-pg'] }),
  /** Patroni: the REST API of each zone, comma-separated (required with HA_ENGINE=patroni). */
  PATRONI_API_URLS: urlList(),
  /** CloudNativePG: the Cluster's name and namespace (required with HA_ENGINE=cloudnative-pg). */
  POSTGRES_CLUSTER: optionalStr(),
  POD_NAMESPACE: optionalStr(),
  /** CloudNativePG: each zone id and its node label (required with HA_ENGINE=cloudnative-pg). */
  CNPG_ZONES: zoneMap(),
  /** The Kubernetes API; unset: the in-cluster address (KUBERNETES_SERVICE_HOST/PORT) and the pod's service account. */
  KUBERNETES_API_URL: optionalStr(),
  KUBERNETES_SERVICE_HOST: optionalStr(),
  KUBERNETES_SERVICE_PORT: optionalStr(),
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

/** The keys each engine needs beyond the spec's own checks; every missing one is listed at once. */
export function loadReplicationConfig(env: NodeJS.ProcessEnv = process.env): ReplicationConfig {
  const config = loadConfig(replicationConfigSpec, env);
  const problems: string[] = [];
  if (config.HA_ENGINE === 'patroni' && config.PATRONI_API_URLS.length === 0)
    problems.push(
      'PATRONI_API_URLS: is required with HA_ENGINE=patroni: the Patroni REST API of each zone, comma-separated',
    );
  if (config.HA_ENGINE === 'cloudnative-pg') {
    if (!config.POSTGRES_CLUSTER)
      problems.push(
        'POSTGRES_CLUSTER: is required with HA_ENGINE=cloudnative-pg: the name of the CloudNativePG Cluster',
      );
    if (!config.POD_NAMESPACE)
      problems.push(
        "POD_NAMESPACE: is required with HA_ENGINE=cloudnative-pg: the namespace of the Cluster (the pod's own)",
      );
    if (config.CNPG_ZONES.size === 0)
      problems.push('CNPG_ZONES: is required with HA_ENGINE=cloudnative-pg: az-a=<zone label>,az-b=<zone label>');
    if (!config.KUBERNETES_API_URL && !config.KUBERNETES_SERVICE_HOST)
      problems.push('KUBERNETES_API_URL: is required outside a pod (no KUBERNETES_SERVICE_HOST)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

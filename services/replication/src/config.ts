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
  /** Prometheus metrics (exposure alarm, lag) on this port; off when unset. */
  METRICS_PORT: port({ default: 0 }),
  METRICS_HOST: optionalStr(),
};

export type ReplicationConfig = ConfigOf<typeof replicationConfigSpec>;

export function loadReplicationConfig(env: NodeJS.ProcessEnv = process.env): ReplicationConfig {
  return loadConfig(replicationConfigSpec, env);
}

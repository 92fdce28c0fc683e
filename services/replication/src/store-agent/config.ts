// The store agent's configuration: its zone, its directory, where it listens, the largest blob it takes, and the
// identity service whose keys verify the replication service's token (the only caller it serves).
import { ConfigOf, int, loadConfig, port, str } from '../../../common/src/config';

export const storeAgentConfigSpec = {
  SERVICE_NAME: str({ default: 'store-agent' }),
  LOG_LEVEL: str({ default: 'info', oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }),
  AGENT_ZONE: str(),
  AGENT_DATA_DIR: str(),
  GRPC_HOST: str({ default: '127.0.0.1' }),
  GRPC_PORT: port(),
  IDENTITY_SERVICE_ADDR: str(),
  AGENT_MAX_BLOB_BYTES: int({ default: 256 * 1024 * 1024, min: 1024 }),
  SHUTDOWN_GRACE_MS: int({ default: 10_000, min: 0 }),
  /** Prometheus metrics (GET /metrics) on this port; 0: none. */
  METRICS_PORT: port({ default: 0 }),
  METRICS_HOST: str({ default: '127.0.0.1' }),
};

export type StoreAgentConfig = ConfigOf<typeof storeAgentConfigSpec>;

export function loadStoreAgentConfig(env: NodeJS.ProcessEnv = process.env): StoreAgentConfig {
  return loadConfig(storeAgentConfigSpec, env);
}

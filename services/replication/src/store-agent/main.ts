// Store agent process: config -> the zone's directory -> gRPC server that verifies tokens with identity's keys (health
// SERVING once the directory is ready) -> drained shutdown on SIGTERM.
import { startTelemetry } from '../../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'store-agent');

import { TokenVerifier } from '../../../common/src/auth/tokens';
import { ConfigError } from '../../../common/src/config';
import { StoreAgentServiceService } from '../../../common/src/gen/mch/replication/v1/store_agent';
import { adaptService } from '../../../common/src/grpc/adapter';
import { GrpcServer } from '../../../common/src/grpc/server';
import { createLogger } from '../../../common/src/logger';
import { serveMetrics, ServiceMetrics } from '../../../common/src/metrics';
import { identityJwksSource } from '../../../common/src/service';
import { stopTelemetry } from '../../../common/src/telemetry';
import { BlobStore } from './blob-store';
import { loadStoreAgentConfig, StoreAgentConfig } from './config';
import { storeAgentHandlers } from './handlers';

async function main(): Promise<void> {
  let config: StoreAgentConfig;
  try {
    config = loadStoreAgentConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL).child({ zone: config.AGENT_ZONE });
  const metrics = new ServiceMetrics(config.SERVICE_NAME);
  const store = new BlobStore(config.AGENT_DATA_DIR, config.AGENT_MAX_BLOB_BYTES);
  await store.open();
  const server = new GrpcServer({
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    reflection: false,
    logger,
    services: [
      {
        name: 'mch.replication.v1.StoreAgentService',
        definition: StoreAgentServiceService,
        // Every call carries a token identity signed; the handlers serve only the replication service's.
        implementation: adaptService(StoreAgentServiceService, storeAgentHandlers(store), {
          logger,
          authentication: {
            verifier: new TokenVerifier(identityJwksSource(config.IDENTITY_SERVICE_ADDR)),
            publicMethods: new Set(),
          },
          observe: (method, code, seconds) => metrics.observeCall(method, code, seconds),
        }),
        protoFile: 'mch/replication/v1/store_agent.proto',
      },
    ],
  });
  const port = await server.listen();
  const metricsServer = await serveMetrics(metrics, config.METRICS_PORT, config.METRICS_HOST);
  server.setServing(true);
  logger.info({ port, dir: config.AGENT_DATA_DIR }, 'store agent serving');

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server.drain(config.SHUTDOWN_GRACE_MS);
    metricsServer?.close();
    await stopTelemetry().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

void main().catch((error: unknown) => {
  process.stderr.write(
    `store agent failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

// Gateway process: telemetry -> config -> routes from the protos -> HTTP server -> signals.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'gateway');

import path from 'node:path';
import { ConfigError } from '../../common/src/config';
import { createLogger } from '../../common/src/logger';
import { protoDir } from '../../common/src/paths';
import { stopTelemetry } from '../../common/src/telemetry';
import { buildGateway } from './app';
import { loadGatewayConfig } from './config';
import { findServiceProtos } from './proto-registry';

async function main(): Promise<void> {
  let config;
  try {
    config = loadGatewayConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const gateway = await buildGateway({
    config,
    logger,
    env: process.env,
    protos: {
      includeDirs: [protoDir(), path.join(protoDir(), 'third_party')],
      files: findServiceProtos(protoDir()),
      generatedDirs: [path.resolve(__dirname, '../../common/src/gen')],
    },
  });
  await gateway.app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  logger.info({ port: config.HTTP_PORT, routes: gateway.routes.length }, 'gateway listening');

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    gateway.setDraining();
    logger.info('shutting down: not ready, draining requests in flight');
    const force = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS);
    force.unref();
    await gateway.close();
    await stopTelemetry().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

void main();

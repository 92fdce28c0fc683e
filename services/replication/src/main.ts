// Replication service process: config -> telemetry -> Postgres -> observer -> gRPC server (+ metrics) -> signals.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'replication');

import { createServer } from 'node:http';
import { runService } from '../../common/src/service';
import { ReplicationServiceService } from '../../common/src/gen/mch/replication/v1/replication';
import { loadReplicationConfig } from './config';
import { replicationHandlers } from './handlers';
import { ReplicationObserver } from './observer';
import { PatroniClient } from './patroni';

void runService({
  service: 'replication',
  loadConfig: loadReplicationConfig,
  protoFile: 'mch/replication/v1/replication.proto',
  serviceName: 'mch.replication.v1.ReplicationService',
  definition: ReplicationServiceService,
  async build({ config, db, logger }) {
    const engine = new PatroniClient(config.PATRONI_API_URLS);
    const observer = new ReplicationObserver(engine, db, config.MCH_DURABILITY, logger, config.REPLICATION_POLL_MS);
    await observer.start();
    if (config.METRICS_PORT > 0) {
      createServer((request, response) => {
        if (request.url !== '/metrics') return void response.writeHead(404).end();
        void observer.metrics.metrics().then((text) => response.writeHead(200, { 'content-type': observer.metrics.contentType }).end(text));
      }).listen(config.METRICS_PORT, config.METRICS_HOST ?? '127.0.0.1');
    }
    return replicationHandlers(observer, engine);
  },
});

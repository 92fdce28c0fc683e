// Consultation service process: config -> telemetry -> Postgres/Redis -> migrations -> live feed -> gRPC server.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'consultation');

import { createRedis } from '../../common/src/cache';
import { runService } from '../../common/src/service';
import { AttachmentStore } from './attachments';
import { ConsultationServiceService } from '../../common/src/gen/mch/consultation/v1/consultation';
import { loadConsultationConfig } from './config';
import { ConsultationService } from './consultation-service';
import { consultationHandlers } from './handlers';
import { IdentityDirectory } from './identity-client';
import { LiveFeed } from './live';
import { ConsultationRepository } from './repository';

void runService({
  service: 'consultation',
  loadConfig: loadConsultationConfig,
  protoFile: 'mch/consultation/v1/consultation.proto',
  serviceName: 'mch.consultation.v1.ConsultationService',
  definition: ConsultationServiceService,
  async build({ config, db, cache, logger }) {
    const repository = new ConsultationRepository(db);
    // Subscriptions need a connection of their own (a subscribed Redis connection runs no other commands).
    const subscriber = createRedis(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS, logger);
    const live = new LiveFeed(
      repository,
      cache.redis,
      subscriber,
      { fallbackPollMs: config.CONSULTATION_FALLBACK_POLL_MS, safetyPollMs: config.CONSULTATION_SAFETY_POLL_MS },
      logger,
    );
    const attachments = new AttachmentStore(config.REPLICATION_SERVICE_ADDR);
    return consultationHandlers(
      new ConsultationService(db, repository, new IdentityDirectory(config.IDENTITY_SERVICE_ADDR), live, attachments),
    );
  },
});

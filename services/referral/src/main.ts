// Referral service process: config -> telemetry -> Postgres/Redis -> migrations -> routing rules -> gRPC server,
// and the workers that read records' risk outbox and complete pending bookings as the service itself.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'referral');

import { METADATA } from '../../common/src/grpc/context';
import { runService } from '../../common/src/service';
import { ReferralServiceService } from '../../common/src/gen/mch/referral/v1/referral';
import { ConsultationOpener, IdentityDirectory, RecordsReader, SchedulingBooker } from './clients';
import { loadReferralConfig } from './config';
import { checkAcceptanceWindows } from './domain/deadlines';
import { loadRoutingRules } from './domain/routing';
import { referralHandlers } from './handlers';
import { ReferralService, ServiceAuth } from './referral-service';
import { ReferralImport } from './referral-import';
import { ReferralImportRepository, ReferralRepository } from './repository';
import { BookingRetrier, repeat, RiskOutboxConsumer } from './workers';

void runService({
  service: 'referral',
  loadConfig: loadReferralConfig,
  protoFile: 'mch/referral/v1/referral.proto',
  serviceName: 'mch.referral.v1.ReferralService',
  definition: ReferralServiceService,
  async build({ config, db, logger, serviceIdentity }) {
    // A bad rules file or window stops the start here, naming what is wrong.
    const rules = loadRoutingRules();
    const windows = checkAcceptanceWindows({
      routine: config.REFERRAL_ACCEPT_ROUTINE_MINUTES,
      urgent: config.REFERRAL_ACCEPT_URGENT_MINUTES,
      emergency: config.REFERRAL_ACCEPT_EMERGENCY_MINUTES,
    });
    const repository = new ReferralRepository(db);
    const directory = new IdentityDirectory(config.IDENTITY_SERVICE_ADDR);
    const records = new RecordsReader(config.RECORDS_SERVICE_ADDR);
    const booker = new SchedulingBooker(config.SCHEDULING_SERVICE_ADDR);
    const consultations = new ConsultationOpener(config.CONSULTATION_SERVICE_ADDR);
    const serviceAuth: ServiceAuth | undefined = serviceIdentity
      ? async () => {
          const metadata = await serviceIdentity.metadata();
          metadata.set(METADATA.purpose, 'referral');
          return metadata;
        }
      : undefined;
    const referrals = new ReferralService({
      db,
      repository,
      directory,
      records,
      booker,
      consultations,
      rules,
      windows,
      logger,
      bookingRetryMs: config.REFERRAL_BOOKING_RETRY_MS,
      serviceAuth,
    });
    if (serviceIdentity && serviceAuth) {
      const outbox = new RiskOutboxConsumer(db, repository, records, directory, serviceIdentity, rules, logger);
      const bookings = new BookingRetrier(
        db,
        repository,
        booker,
        serviceAuth,
        config.REFERRAL_BOOKING_RETRY_MS,
        logger,
      );
      repeat('risk-outbox', config.REFERRAL_RISK_POLL_MS, logger, () => outbox.drain());
      repeat('bookings', config.REFERRAL_BOOKING_RETRY_MS, logger, () => bookings.drain());
    } else {
      logger.warn(
        'no service credential (MCH_SERVICE_CREDENTIAL): the risk outbox is not read and pending bookings are not retried',
      );
    }
    logger.info({ rules: rules.id, windows }, 'referral ready');
    return referralHandlers(
      db,
      repository,
      referrals,
      new ReferralImport(db, new ReferralImportRepository(), () => directory.institutions(), windows),
    );
  },
});

// Scheduling service process: config -> telemetry -> Postgres/Redis -> migrations -> gRPC server, the demo
// schedules seeded in the background, the reminder outbox drained and known patients' due items swept.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'scheduling');

import { runService } from '../../common/src/service';
import { SchedulingServiceService } from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { BookingService } from './booking-service';
import { loadSchedulingConfig } from './config';
import { DueCheckService, DueSweep } from './due-checks';
import { FollowUpService } from './follow-ups';
import { AppointmentImport } from './appointment-import';
import { schedulingHandlers } from './handlers';
import { IdentityClient } from './identity-client';
import { RecordsClient } from './records-client';
import { localReminderSender, ReminderWorker } from './reminders';
import { AppointmentImportRepository, SchedulingRepository } from './repository';
import { ScheduleService } from './schedule-service';
import { seedInBackground } from './seed';
import { SlotFinder } from './slot-finder';

void runService({
  service: 'scheduling',
  loadConfig: loadSchedulingConfig,
  protoFile: 'mch/scheduling/v1/scheduling.proto',
  serviceName: 'mch.scheduling.v1.SchedulingService',
  definition: SchedulingServiceService,
  async build({ config, db, cache, logger, serviceIdentity }) {
    const repository = new SchedulingRepository(db);
    const identity = new IdentityClient(config.IDENTITY_SERVICE_ADDR);
    const records = new RecordsClient(config.RECORDS_SERVICE_ADDR);
    const finder = new SlotFinder(repository, cache);
    const schedules = new ScheduleService(db, repository, identity, finder);
    const bookings = new BookingService(db, repository, identity, finder);
    if (config.SEED_DEMO_SCHEDULES) seedInBackground(db, repository, identity.institutions, logger);
    new ReminderWorker(
      db,
      repository,
      localReminderSender(config.REMINDER_OUTBOX_FILE, logger),
      logger,
      config.REMINDER_POLL_MS,
    ).start();
    if (serviceIdentity && config.DUE_SWEEP_INTERVAL_MS > 0)
      new DueSweep(db, repository, records, serviceIdentity, logger, config.DUE_SWEEP_INTERVAL_MS).start();
    else logger.info('due sweep off (no service identity, or DUE_SWEEP_INTERVAL_MS=0)');
    return schedulingHandlers({
      schedules,
      bookings,
      imports: new AppointmentImport(
        db,
        repository,
        new AppointmentImportRepository(),
        () => identity.institutions.all(),
        (appointment, institutions) => bookings.reminderFor(appointment, institutions),
        (changes) => finder.capacityChanged(changes),
      ),
      dueChecks: new DueCheckService(db, repository, identity, records, schedules),
      followUps: new FollowUpService(db, repository, identity),
    });
  },
});

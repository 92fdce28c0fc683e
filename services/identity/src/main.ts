// Identity service process: config -> telemetry -> Postgres/Redis -> migrations and seed -> gRPC server -> signals.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'identity');

import { runService } from '../../common/src/service';
import { IdentityServiceService } from '../../common/src/gen/mch/identity/v1/identity';
import { AccountsRepository } from './accounts-repository';
import { AuditFanOut } from './audit-fanout';
import { AuthService } from './auth-handlers';
import { loadIdentityConfig } from './config';
import { identityHandlers } from './handlers';
import { KeyStore } from './keys';
import { PatientService } from './patient-handlers';
import { PatientImport } from './patient-import';
import { PatientImportRepository, PatientsRepository } from './patients-repository';
import { IdentityRepository } from './repository';
import { seedDemoAccounts, seedInstitutions } from './seed';
import { localSender } from './sms';
import { StaffService } from './staff-handlers';
import { LoginThrottle } from './throttle';

void runService({
  service: 'identity',
  loadConfig: loadIdentityConfig,
  protoFile: 'mch/identity/v1/identity.proto',
  serviceName: 'mch.identity.v1.IdentityService',
  definition: IdentityServiceService,
  // Identity verifies tokens against its own key store.
  jwks:
    ({ db }) =>
    () =>
      new KeyStore(db).jwks(),
  async seed({ config, db, logger }) {
    await new KeyStore(db).ensureCurrentKey();
    if (!config.SEED_ON_START) return;
    logger.info({ institutions: await seedInstitutions(db, new IdentityRepository(db)) }, 'reference data seeded');
    if (config.SEED_DEMO_ACCOUNTS) logger.info({ accounts: await seedDemoAccounts(db) }, 'demo accounts seeded');
  },
  async build({ config, db, cache, logger }) {
    const keys = new KeyStore(db);
    await keys.ensureCurrentKey();
    const institutions = new IdentityRepository(db);
    const accounts = new AccountsRepository(db);
    const throttle = new LoginThrottle(cache, logger);
    const auth = new AuthService(db, accounts, keys, throttle, config.MCH_SERVICE_SECRET);
    return identityHandlers(institutions, cache, {
      auth,
      staff: new StaffService(db, accounts, institutions),
      patients: new PatientService(
        db,
        new PatientsRepository(db),
        accounts,
        institutions,
        auth,
        throttle,
        localSender(config.SMS_OUTBOX_FILE, logger),
        new AuditFanOut(process.env),
      ),
      imports: new PatientImport(db, new PatientImportRepository(db), institutions),
    });
  },
});

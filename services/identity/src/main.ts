// Identity service process: config -> telemetry -> Postgres/Redis -> migrations and seed -> gRPC server -> signals.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'identity');

import { runService } from '../../common/src/service';
import { IdentityServiceService } from '../../common/src/gen/mch/identity/v1/identity';
import { loadIdentityConfig } from './config';
import { identityHandlers } from './handlers';
import { IdentityRepository } from './repository';
import { seedInstitutions } from './seed';

void runService({
  service: 'identity',
  loadConfig: loadIdentityConfig,
  protoFile: 'mch/identity/v1/identity.proto',
  serviceName: 'mch.identity.v1.IdentityService',
  definition: IdentityServiceService,
  async seed({ config, db, logger }) {
    if (config.SEED_ON_START) logger.info({ institutions: await seedInstitutions(db, new IdentityRepository(db)) }, 'reference data seeded');
  },
  async build({ db, cache }) {
    return identityHandlers(new IdentityRepository(db), cache);
  },
});

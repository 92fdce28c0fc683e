// Records service process: config -> telemetry -> Postgres/Redis -> migrations -> reference data -> gRPC server.
import { startTelemetry } from '../../common/src/telemetry';
startTelemetry(process.env.SERVICE_NAME ?? 'records');

import { AuditBatcher } from '../../common/src/audit-batch';
import { runService } from '../../common/src/service';
import { RecordsServiceService } from '../../common/src/gen/mch/records/v1/records';
import { RecordAccess } from './access';
import { ChildService } from './child-service';
import { DeathService } from './death-service';
import { NearMissService } from './near-miss-service';
import { loadRecordsConfig } from './config';
import {
  defaultRecordsDataDir,
  loadDeathCauseGroups,
  loadDeathReviewRules,
  loadNearMissCriteria,
  loadRecordsReferenceData,
} from './domain';
import { recordsHandlers } from './handlers';
import { ReferralIndicatorClient } from './referral-indicators';
import { IdentityClient } from './identity-client';
import { NO_OBJECT_STORE, ObjectStoreClient } from './object-store-client';
import { PregnancyService } from './pregnancy-service';
import { ReadService } from './read-service';
import { RecordImport } from './record-import';
import { RecordImportRepository } from './import-repository';
import { RecordsRepository } from './repository';
import { startRollups, StatisticsFacts } from './statistics-facts';

void runService({
  service: 'records',
  loadConfig: loadRecordsConfig,
  protoFile: 'mch/records/v1/records.proto',
  serviceName: 'mch.records.v1.RecordsService',
  definition: RecordsServiceService,
  async build({ config, db, cache, logger }) {
    // A bad data file stops the start here, naming the file and the place in it.
    const reference = loadRecordsReferenceData(defaultRecordsDataDir());
    logger.info(
      { ruleSets: reference.riskRuleSets.ruleSets.map((ruleSet) => ruleSet.id) },
      'records reference data loaded',
    );
    const identity = new IdentityClient(config.IDENTITY_SERVICE_ADDR);
    // Statistics facts move with every record change; the rollups the statistics read follow within seconds.
    const statistics = new StatisticsFacts(reference);
    const access = new RecordAccess(db, new RecordsRepository(db, statistics), reference);
    startRollups(db, logger, config.STATISTICS_ROLLUP_INTERVAL_MS);
    return recordsHandlers({
      db,
      pregnancies: new PregnancyService(
        access,
        identity,
        config.REPLICATION_SERVICE_ADDR ? new ObjectStoreClient(config.REPLICATION_SERVICE_ADDR) : NO_OBJECT_STORE,
      ),
      children: new ChildService(access, identity),
      deaths: new DeathService(
        access,
        identity,
        loadDeathCauseGroups(defaultRecordsDataDir()),
        loadDeathReviewRules(defaultRecordsDataDir()),
      ),
      nearMisses: new NearMissService(access, loadNearMissCriteria(defaultRecordsDataDir())),
      reads: new ReadService(access, cache, new AuditBatcher(db)),
      imports: new RecordImport(access, new RecordImportRepository(statistics), identity),
      reference,
      referrals: config.REFERRAL_SERVICE_ADDR ? new ReferralIndicatorClient(config.REFERRAL_SERVICE_ADDR) : undefined,
    });
  },
});

// Proposes re-grades after a rule change (#25 §2): every active pregnancy with a confirmed grade is evaluated under
// the rules in force today (`node dist/services/records/src/regrade-sweep.js`, with records' environment). A
// confirmed grade is never changed here; run it again and it proposes nothing twice.
import { createLogger } from '../../common/src/logger';
import { Database } from '../../common/src/pg/database';
import { RISK_JURISDICTION } from './access';
import { loadRecordsConfig } from './config';
import { defaultRecordsDataDir, loadRecordsReferenceData, riskRuleSetInForce, todayInChina } from './domain';
import { proposeRegrades } from './regrade';
import { RecordsRepository } from './repository';

async function main(): Promise<void> {
  const config = loadRecordsConfig();
  const logger = createLogger(`${config.SERVICE_NAME}-regrade-sweep`, config.LOG_LEVEL);
  const db = new Database({
    rwUrl: config.DATABASE_URL,
    schema: 'records',
    applicationName: `${config.SERVICE_NAME}-regrade-sweep`,
    poolMax: 2,
    statementTimeoutMs: 60_000,
    commitUnknownAfterMs: config.PG_COMMIT_UNKNOWN_AFTER_MS,
    logger,
  });
  try {
    const reference = loadRecordsReferenceData(defaultRecordsDataDir());
    const ruleSet = riskRuleSetInForce(reference.riskRuleSets, RISK_JURISDICTION, todayInChina());
    const result = await proposeRegrades(db, new RecordsRepository(db), ruleSet, logger);
    logger.info(result, 're-grade sweep done');
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`regrade-sweep: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

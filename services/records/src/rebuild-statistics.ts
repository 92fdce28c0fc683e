// Rebuilds every statistics fact from the records and rolls every month up: after a definition or a schedule
// changes, or to backfill a database written before the facts existed. Runs beside the services with records'
// environment (`node dist/services/records/src/rebuild-statistics.js`); progress is logged and kept in
// statistics_state, and each batch of patients is its own transaction, so the services keep writing meanwhile.
import { createLogger } from '../../common/src/logger';
import { Database } from '../../common/src/pg/database';
import { loadRecordsConfig } from './config';
import { defaultRecordsDataDir, loadRecordsReferenceData } from './domain';
import { rebuildStatistics, StatisticsFacts } from './statistics-facts';

async function main(): Promise<void> {
  const config = loadRecordsConfig();
  const logger = createLogger(`${config.SERVICE_NAME}-rebuild-statistics`, config.LOG_LEVEL);
  const db = new Database({
    rwUrl: config.DATABASE_URL,
    schema: 'records',
    applicationName: `${config.SERVICE_NAME}-rebuild-statistics`,
    poolMax: 2,
    statementTimeoutMs: 600_000,
    commitUnknownAfterMs: config.PG_COMMIT_UNKNOWN_AFTER_MS,
    logger,
  });
  try {
    const began = Date.now();
    const { patients } = await rebuildStatistics(
      db,
      new StatisticsFacts(loadRecordsReferenceData(defaultRecordsDataDir())),
      logger,
    );
    logger.info({ patients, seconds: Math.round((Date.now() - began) / 1000) }, 'statistics rebuilt');
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`rebuild-statistics: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

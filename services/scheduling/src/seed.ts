// Demo schedules: every member institution that has none gets the one its level and capabilities suggest, so the
// platform books out of the box. Runs in the background until identity answers; never overwrites a published one.
import type { Logger } from '../../common/src/logger';
import type { Database } from '../../common/src/pg/database';
import { demoScheduleRules } from './domain/demo-schedule';
import type { InstitutionDirectory } from './identity-client';
import type { SchedulingRepository } from './repository';

export async function seedDemoSchedules(
  db: Database,
  repository: SchedulingRepository,
  directory: InstitutionDirectory,
): Promise<number> {
  const institutions = [...(await directory.all()).values()];
  const existing = await repository.schedules();
  let seeded = 0;
  for (const institution of institutions) {
    if (existing.has(institution.id) || !institution.level) continue;
    const rules = demoScheduleRules(institution.level, institution.capabilities);
    if (rules.weekly.length === 0) continue;
    const version = await db.withTransaction((tx) =>
      repository.replaceSchedule(tx, institution.id, rules, 'seed', true),
    );
    if (version !== undefined) seeded++;
  }
  return seeded;
}

/** Retries until identity's directory can be read (it may start after scheduling). */
export function seedInBackground(
  db: Database,
  repository: SchedulingRepository,
  directory: InstitutionDirectory,
  logger: Logger,
): void {
  const attempt = (delayMs: number): void => {
    seedDemoSchedules(db, repository, directory).then(
      (seeded) => logger.info({ seeded }, 'demo schedules seeded'),
      (error: unknown) => {
        logger.warn({ err: error, retryInMs: delayMs }, 'demo schedules not seeded yet');
        setTimeout(() => attempt(Math.min(delayMs * 2, 30_000)), delayMs).unref();
      },
    );
  };
  attempt(500);
}

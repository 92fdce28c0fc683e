// The one place the records domain touches the file system: reading its reference data (risk rule sets, WHO growth
// tables, schedules) from a data directory at start-up. The service and the tests share it, so both run on the
// same files; everything else in the domain is pure.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceDir } from '../../../common/src/paths';
import { DeathCauseGroups, parseDeathCauseGroups } from './death-reports';
import { DeathReviewRules, parseDeathReviewRules } from './death-reviews';
import { NearMissCriteria, parseNearMissCriteria } from './near-miss';
import { parseLmsTable, GrowthStandards, WHO_TABLE_FILES, WhoTableName, LmsTable } from './growth/tables';
import { parseRiskRuleSet, riskRuleSetCatalogue, RiskRuleSetCatalogue } from './risk/rule-set';
import { parseSchedule, scheduleCatalogue, ScheduleCatalogue } from './schedules/schedule';

export interface RecordsReferenceData {
  readonly riskRuleSets: RiskRuleSetCatalogue;
  readonly growthStandards: GrowthStandards;
  readonly schedules: ScheduleCatalogue;
}

/** `services/records/data` of this checkout (works from src and from dist). */
export function defaultRecordsDataDir(): string {
  return path.join(serviceDir('records'), 'data');
}

/** Reads and validates every reference file under `dataDir`; a bad file fails here, naming itself. */
export function loadRecordsReferenceData(dataDir: string): RecordsReferenceData {
  return {
    riskRuleSets: loadRiskRuleSets(path.join(dataDir, 'risk-rules')),
    growthStandards: loadGrowthStandards(path.join(dataDir, 'who-growth')),
    schedules: loadSchedules(path.join(dataDir, 'schedules')),
  };
}

/** The cause groups of the national death reports (`death-causes.json`). */
export function loadDeathCauseGroups(dataDir: string): DeathCauseGroups {
  return parseDeathCauseGroups(readFileSync(path.join(dataDir, 'death-causes.json'), 'utf8'));
}

/** The 评审 grid, conclusions and due days of the death reviews (`death-review.json`). */
export function loadDeathReviewRules(dataDir: string): DeathReviewRules {
  return parseDeathReviewRules(readFileSync(path.join(dataDir, 'death-review.json'), 'utf8'));
}

/** The WHO maternal near-miss criteria (`near-miss-criteria.json`). */
export function loadNearMissCriteria(dataDir: string): NearMissCriteria {
  return parseNearMissCriteria(readFileSync(path.join(dataDir, 'near-miss-criteria.json'), 'utf8'));
}

/** Every `*.json` in the directory is one rule set. */
export function loadRiskRuleSets(dir: string): RiskRuleSetCatalogue {
  return riskRuleSetCatalogue(
    jsonFiles(dir).map((file) => parseRiskRuleSet(path.relative(path.dirname(dir), file), readFileSync(file, 'utf8'))),
  );
}

/** Every `*.json` in the directory is one schedule version. */
export function loadSchedules(dir: string): ScheduleCatalogue {
  return scheduleCatalogue(
    jsonFiles(dir).map((file) => parseSchedule(path.relative(path.dirname(dir), file), readFileSync(file, 'utf8'))),
  );
}

/** The nine WHO LMS tables, each by its file name from WHO's anthro and anthroplus packages. */
export function loadGrowthStandards(dir: string): GrowthStandards {
  const tables = {} as Record<WhoTableName, LmsTable>;
  for (const name of Object.keys(WHO_TABLE_FILES) as WhoTableName[]) {
    const { file, column, index } = WHO_TABLE_FILES[name];
    tables[name] = parseLmsTable(
      path.join(path.basename(dir), file),
      readFileSync(path.join(dir, file), 'utf8'),
      column,
      index,
    );
  }
  return tables;
}

function jsonFiles(dir: string): string[] {
  // Sorted so that load order, and so any "defined twice" message, does not depend on the file system.
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => path.join(dir, name));
}

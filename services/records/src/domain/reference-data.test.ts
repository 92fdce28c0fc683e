import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataFileError } from './data-file';
import {
  defaultRecordsDataDir,
  loadGrowthStandards,
  loadRecordsReferenceData,
  loadRiskRuleSets,
  loadSchedules,
} from './reference-data';

describe('records reference data', () => {
  const data = loadRecordsReferenceData(defaultRecordsDataDir());

  it('loads both risk rule sets, all nine WHO tables and every schedule from the repository', () => {
    expect(data.riskRuleSets.ruleSets.map((ruleSet) => ruleSet.id).sort()).toEqual([
      'cn-2017-five-colour',
      'example-six-colour',
    ]);
    expect(Object.keys(data.growthStandards).sort()).toEqual([
      'bmiForAge2006',
      'bmiForAge2007',
      'headCircumferenceForAge2006',
      'heightForAge2007',
      'lengthHeightForAge2006',
      'weightForAge2006',
      'weightForAge2007',
      'weightForHeight2006',
      'weightForLength2006',
    ]);
    expect(data.schedules.schedules.map((schedule) => schedule.id).sort()).toEqual([
      'cn-bphs-antenatal-2017',
      'cn-bphs-child-health-2017',
      'cn-bphs-postpartum-2017',
      'cn-cma-antenatal-2018',
      'cn-nip-2021',
      'cn-nip-2025',
      'who-anc-2016',
    ]);
  });

  it('covers the WHO tables day by day from birth to 1826 days and month by month after', () => {
    const { weightForAge2006, weightForLength2006, weightForHeight2006, heightForAge2007 } = data.growthStandards;
    expect(weightForAge2006.range.get('female')).toEqual({ first: 0, last: 1826 });
    expect(weightForLength2006.range.get('male')).toEqual({ first: 450, last: 1100 });
    expect(weightForHeight2006.range.get('male')).toEqual({ first: 650, last: 1200 });
    expect(heightForAge2007.range.get('female')).toEqual({ first: 60, last: 229 });
  });
});

describe('bad reference files stop the load and name themselves', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'records-data-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function rewrite(sourceDir: string, file: string, edit: (json: Record<string, unknown>) => void): string {
    const target = path.join(dir, path.basename(sourceDir));
    cpSync(sourceDir, target, { recursive: true });
    const json = JSON.parse(readFileSync(path.join(target, file), 'utf8')) as Record<string, unknown>;
    edit(json);
    writeFileSync(path.join(target, file), JSON.stringify(json));
    return target;
  }

  it('a rule with an unknown colour', () => {
    const target = rewrite(path.join(defaultRecordsDataDir(), 'risk-rules'), 'cn-2017-five-colour.json', (json) => {
      (json.rules as { colour: string }[])[0]!.colour = 'pink';
    });
    expect(() => loadRiskRuleSets(target)).toThrow(DataFileError);
    expect(() => loadRiskRuleSets(target)).toThrow(
      'risk-rules/cn-2017-five-colour.json: rules[0].colour: unknown colour "pink"',
    );
  });

  it('a schedule whose dose numbers skip', () => {
    const target = rewrite(path.join(defaultRecordsDataDir(), 'schedules'), 'cn-nip-2021.json', (json) => {
      (json.items as { dose: number }[])[2]!.dose = 4;
    });
    expect(() => loadSchedules(target)).toThrow(
      'schedules/cn-nip-2021.json: items[2].dose: HepB dose 4 follows 2 earlier dose(s); expected dose 3',
    );
  });

  it('two files that define the same schedule', () => {
    const target = path.join(dir, 'schedules');
    cpSync(path.join(defaultRecordsDataDir(), 'schedules'), target, { recursive: true });
    cpSync(path.join(target, 'cn-nip-2021.json'), path.join(target, 'zz-copy.json'));
    expect(() => loadSchedules(target)).toThrow('schedule "cn-nip-2021" is defined twice');
  });

  it('a WHO table with a missing row', () => {
    const target = path.join(dir, 'who-growth');
    cpSync(path.join(defaultRecordsDataDir(), 'who-growth'), target, { recursive: true });
    const file = path.join(target, 'wflanthro.txt');
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [...lines.slice(0, 10), ...lines.slice(11)].join('\n'));
    expect(() => loadGrowthStandards(target)).toThrow(
      'who-growth/wflanthro.txt: (top level): rows for sex male are not contiguous from 450 to 1100',
    );
  });
});

// The death review rules: the data file's grid and conclusions, the order of the panels, the grid cells, and the due
// dates of the worklist.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fieldsOf } from '../../../common/test/violations';
import { checkDeathReview, nextReviewDue, parseDeathReviewRules } from './death-reviews';
import { defaultRecordsDataDir, loadDeathReviewRules } from './reference-data';

const rules = loadDeathReviewRules(defaultRecordsDataDir());
const text = readFileSync(path.join(defaultRecordsDataDir(), 'death-review.json'), 'utf8');

/** The fields a refusal names, sorted. */
const fieldsOfError = (run: () => unknown): string[] => fieldsOf(run).sort();

const input = {
  level: 'county',
  conclusion: 'avoidable',
  panelDate: '2026-03-10',
  factors: [{ link: 'health_system', aspect: 'resources' }],
};
const report = { deathDate: '2026-03-01', reviewed: [] };
const cell = { link: 'health_system', aspect: 'resources' };

describe('the 十二格表 grid as data', () => {
  it('has 3 links × 4 aspects = 12 cells and the three conclusions, unconfirmed as national text', () => {
    expect([...rules.links.keys()]).toEqual(['family_community', 'health_system', 'administration_society']);
    expect([...rules.aspects.keys()]).toEqual(['knowledge_skill', 'attitude', 'resources', 'management']);
    expect(rules.links.size * rules.aspects.size).toBe(12);
    expect([...rules.conclusions.values()].map((conclusion) => conclusion.zh)).toEqual([
      '可避免死亡',
      '创造条件可避免死亡',
      '不可避免死亡',
    ]);
    expect(rules.confirmed).toBe(false);
    expect(rules.dueDaysAfterDeath).toEqual({ county: 14, prefecture: 30 });
  });

  it('refuses a file with a prefecture due before the county, a duplicate code or a missing needsFactors', () => {
    type Raw = {
      dueDaysAfterDeath: Record<string, number>;
      aspects: Array<{ code: string; zh: string }>;
      conclusions: Array<{ needsFactors?: boolean }>;
    };
    const raw = JSON.parse(text) as Raw;
    const bad = (change: (copy: Raw) => void): string => {
      const copy = structuredClone(raw);
      change(copy);
      try {
        parseDeathReviewRules(JSON.stringify(copy));
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(bad((copy) => (copy.dueDaysAfterDeath.prefecture = 7))).toContain('dueDaysAfterDeath.prefecture');
    expect(bad((copy) => copy.aspects.push({ code: 'attitude', zh: '态度' }))).toContain('defined twice');
    expect(bad((copy) => delete copy.conclusions[0]?.needsFactors)).toContain('needsFactors');
  });
});

describe('checkDeathReview', () => {
  it('accepts the county review and sorts its factors in the grid’s order', () => {
    const checked = checkDeathReview(
      {
        ...input,
        factors: [
          { link: 'administration_society', aspect: 'management' },
          { link: 'family_community', aspect: 'knowledge_skill' },
          { link: 'health_system', aspect: 'attitude' },
        ],
      },
      report,
      rules,
      '2026-03-20',
    );
    expect(checked.level).toBe('county');
    expect(checked.factors.map((factor) => `${factor.link}/${factor.aspect}`)).toEqual([
      'family_community/knowledge_skill',
      'health_system/attitude',
      'administration_society/management',
    ]);
  });

  it('lets an unavoidable death have no factor, an avoidable one not', () => {
    expect(
      checkDeathReview({ ...input, conclusion: 'unavoidable', factors: [] }, report, rules, '2026-03-20').factors,
    ).toEqual([]);
    expect(fieldsOfError(() => checkDeathReview({ ...input, factors: [] }, report, rules, '2026-03-20'))).toEqual([
      'factors',
    ]);
    expect(
      fieldsOfError(() =>
        checkDeathReview(
          { ...input, conclusion: 'avoidable_under_better_conditions', factors: [] },
          report,
          rules,
          '2026-03-20',
        ),
      ),
    ).toEqual(['factors']);
  });

  it('names each bad field: level, conclusion, a cell outside the grid, a cell twice, the panel date', () => {
    expect(
      fieldsOfError(() =>
        checkDeathReview(
          {
            level: 'province',
            conclusion: 'bad luck',
            panelDate: '2026-02-28',
            factors: [
              { link: 'weather', aspect: 'attitude' },
              { link: 'health_system', aspect: 'money' },
            ],
          },
          report,
          rules,
          '2026-03-20',
        ),
      ),
    ).toEqual(['conclusion', 'factors[0].link', 'factors[1].aspect', 'level', 'panelDate']);
    expect(
      fieldsOfError(() => checkDeathReview({ ...input, factors: [cell, cell] }, report, rules, '2026-03-20')),
    ).toEqual(['factors[1]']);
    expect(
      fieldsOfError(() => checkDeathReview({ ...input, panelDate: '2026-03-21' }, report, rules, '2026-03-20')),
    ).toEqual(['panelDate']);
    expect(fieldsOfError(() => checkDeathReview({ ...input, panelDate: '' }, report, rules, '2026-03-20'))).toEqual([
      'panelDate',
    ]);
  });

  it('takes the county first, the prefecture after it, each once', () => {
    expect(
      fieldsOfError(() => checkDeathReview({ ...input, level: 'prefecture' }, report, rules, '2026-03-20')),
    ).toEqual(['level']);
    expect(
      checkDeathReview({ ...input, level: 'Prefecture' }, { ...report, reviewed: ['county'] }, rules, '2026-03-20')
        .level,
    ).toBe('prefecture');
    expect(
      fieldsOfError(() => checkDeathReview(input, { ...report, reviewed: ['county'] }, rules, '2026-03-20')),
    ).toEqual(['level']);
  });
});

describe('nextReviewDue', () => {
  it('is the county review 14 days after the death, overdue from the 15th day; then the prefecture’s at 30 days', () => {
    expect(nextReviewDue('2026-03-01', [], rules, '2026-03-15')).toEqual({
      level: 'county',
      dueDate: '2026-03-15',
      overdue: false,
    });
    expect(nextReviewDue('2026-03-01', [], rules, '2026-03-16')?.overdue).toBe(true);
    expect(nextReviewDue('2026-03-01', ['county'], rules, '2026-03-16')).toEqual({
      level: 'prefecture',
      dueDate: '2026-03-31',
      overdue: false,
    });
    expect(nextReviewDue('2026-03-01', ['county', 'prefecture'], rules, '2026-05-01')).toBeUndefined();
  });
});

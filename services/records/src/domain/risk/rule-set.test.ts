import { InvalidArgumentError } from '../../../../common/src/errors';
import { DataFileError } from '../data-file';
import { findRiskRuleSet, parseRiskRuleSet, riskRuleSetCatalogue, riskRuleSetInForce, RiskRuleSet } from './rule-set';

type Json = Record<string, unknown>;

function minimalRuleSet(overrides: Json = {}): Json {
  return {
    id: 'test-set',
    title: { zh: '测试', en: 'test' },
    jurisdiction: 'CN',
    effectiveFrom: '2017-11-06',
    source: 'unit test',
    defaultColour: 'green',
    colours: [
      { code: 'green', rank: 0, label: { zh: '绿', en: 'green' }, entersCaseManagement: false },
      { code: 'yellow', rank: 1, label: { zh: '黄', en: 'yellow' }, entersCaseManagement: false },
      { code: 'purple', rank: 9, label: { zh: '紫', en: 'purple' }, entersCaseManagement: true, standsBeside: true },
    ],
    rules: [
      { id: 'age', colour: 'yellow', label: { zh: '年龄', en: 'age' }, when: { metric: 'maternalAge', gte: 35 } },
    ],
    ...overrides,
  };
}

function withRule(when: unknown, extra: Json = {}): Json {
  return minimalRuleSet({ rules: [{ id: 'r', colour: 'yellow', label: { zh: '规则', en: 'rule' }, when, ...extra }] });
}

const parse = (json: Json): RiskRuleSet => parseRiskRuleSet('risk-rules/test.json', JSON.stringify(json));

function problem(json: Json): string {
  try {
    parse(json);
  } catch (error) {
    if (error instanceof DataFileError) return error.message;
    throw error;
  }
  throw new Error('expected the rule set to be refused');
}

describe('rule-set files are validated at load', () => {
  it('accepts a well-formed set and orders colours by rank', () => {
    const ruleSet = parse(minimalRuleSet());
    expect(ruleSet.colours.map((colour) => colour.code)).toEqual(['green', 'yellow', 'purple']);
    expect(ruleSet.metricsRead).toEqual(['maternalAge']);
  });

  it.each([
    [
      'an unknown colour',
      minimalRuleSet({
        rules: [{ id: 'r', colour: 'pink', label: { zh: '粉', en: 'pink' }, when: { finding: 'twins' } }],
      }),
      'rules[0].colour: unknown colour "pink"',
    ],
    ['an unknown metric', withRule({ metric: 'sbp', gte: 160 }), 'rules[0].when.metric: unknown metric "sbp"'],
    ['a bad operator', withRule({ metric: 'systolicBp', ge: 160 }), 'rules[0].when: unknown operator "ge"'],
    [
      'a metric without an operator',
      withRule({ metric: 'systolicBp' }),
      'rules[0].when: a metric condition needs at least one of gte, gt, lte, lt',
    ],
    ['a non-numeric bound', withRule({ metric: 'systolicBp', gte: '160' }), 'rules[0].when.gte: must be a number'],
    ['both gte and gt', withRule({ metric: 'haemoglobin', gte: 100, gt: 99 }), 'use "gte" or "gt", not both'],
    [
      'an empty range',
      withRule({ metric: 'haemoglobin', gte: 110, lt: 100 }),
      'the lower bound must be below the upper bound',
    ],
    ['an unknown finding', withRule({ finding: 'twinz' }), 'rules[0].when.finding: unknown finding "twinz"'],
    [
      'an unknown lab test',
      withRule({ lab: 'HBV-DNA', result: 'positive' }),
      'rules[0].when.lab: unknown lab test "HBV-DNA"',
    ],
    [
      'a source the set does not declare',
      withRule({ finding: 'twins' }, { source: 'annex9' }),
      'rules[0].source: unknown source "annex9"',
    ],
    [
      'an unknown lab result',
      withRule({ lab: 'HIV', result: 'reactive' }),
      'rules[0].when.result: result must be one of positive, negative, indeterminate',
    ],
    [
      'two kinds in one condition',
      withRule({ finding: 'twins', metric: 'maternalAge', gte: 35 }),
      'exactly one of "metric", "finding", "lab", "any", "all" (found metric, finding)',
    ],
    ['an empty "any"', withRule({ any: [] }), 'rules[0].when.any: must not be empty'],
    [
      'a nested fault, with its path',
      withRule({ all: [{ finding: 'twins' }, { any: [{ metric: 'weight', gt: 1 }] }] }),
      'rules[0].when.all[1].any[0].metric: unknown metric "weight"',
    ],
    ['a misspelt key on a rule', withRule({ finding: 'twins' }, { colur: 'red' }), 'rules[0]: unknown key "colur"'],
    [
      'a rule that proposes the default colour',
      minimalRuleSet({
        rules: [{ id: 'r', colour: 'green', label: { zh: '绿', en: 'g' }, when: { finding: 'twins' } }],
      }),
      'cannot propose the default colour',
    ],
    [
      'a repeated rule id',
      minimalRuleSet({
        rules: [
          { id: 'r', colour: 'yellow', label: { zh: '一', en: 'one' }, when: { finding: 'twins' } },
          { id: 'r', colour: 'yellow', label: { zh: '二', en: 'two' }, when: { finding: 'gdm' } },
        ],
      }),
      'rules[1].id: rule id "r" is used twice',
    ],
    ['an unknown default colour', minimalRuleSet({ defaultColour: 'white' }), 'defaultColour: unknown colour "white"'],
    [
      'a default colour that stands beside',
      minimalRuleSet({ defaultColour: 'purple' }),
      'defaultColour: the default colour cannot be one that stands beside others',
    ],
    [
      'a repeated rank',
      minimalRuleSet({
        colours: [
          { code: 'green', rank: 0, label: { zh: '绿', en: 'green' }, entersCaseManagement: false },
          { code: 'yellow', rank: 0, label: { zh: '黄', en: 'yellow' }, entersCaseManagement: false },
        ],
      }),
      'colours[1]: colour "yellow" repeats the code or rank of colours[0]',
    ],
    [
      'a missing label language',
      withRule({ finding: 'twins' }, { label: { zh: '规则' } }),
      'rules[0].label: missing "en"',
    ],
    ['a bad effective date', minimalRuleSet({ effectiveFrom: '2017-02-30' }), 'effectiveFrom: must be a calendar date'],
  ])('refuses %s', (_what, json, message) => {
    const text = problem(json);
    expect(text).toContain('risk-rules/test.json');
    expect(text).toContain(message);
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseRiskRuleSet('risk-rules/broken.json', '{ "id": ')).toThrow(
      /^risk-rules\/broken\.json: \(top level\): not valid JSON/,
    );
  });
});

describe('choosing a rule set', () => {
  const national2017 = parse(minimalRuleSet({ id: 'cn-2017' }));
  const national2026 = parse(minimalRuleSet({ id: 'cn-2026', effectiveFrom: '2026-01-01' }));
  const regional = parse(minimalRuleSet({ id: 'yn-2020', jurisdiction: 'YN', effectiveFrom: '2020-01-01' }));
  const catalogue = riskRuleSetCatalogue([national2017, national2026, regional]);

  it('finds a rule set by id, or names the field when it does not exist', () => {
    expect(findRiskRuleSet(catalogue, 'yn-2020').jurisdiction).toBe('YN');
    expect(() => findRiskRuleSet(catalogue, 'cn-1999')).toThrow(InvalidArgumentError);
  });

  it('takes the latest version of the jurisdiction that was in force on the date', () => {
    expect(riskRuleSetInForce(catalogue, 'CN', '2025-12-31').id).toBe('cn-2017');
    expect(riskRuleSetInForce(catalogue, 'CN', '2026-01-01').id).toBe('cn-2026');
    expect(() => riskRuleSetInForce(catalogue, 'CN', '2010-01-01')).toThrow(
      'no CN risk rule set was in force on 2010-01-01',
    );
  });

  it('refuses two rule sets with one id', () => {
    expect(() => riskRuleSetCatalogue([national2017, national2017])).toThrow(
      'risk rule set "cn-2017" is defined twice',
    );
  });
});

import fc from 'fast-check';
import { InvalidArgumentError } from '../../../../common/src/errors';
import { defaultRecordsDataDir, loadRiskRuleSets } from '../reference-data';
import { ClinicalPicture, FINDING_CODES, FindingCode } from './clinical-picture';
import { checkRiskGrade, entersCaseManagement, proposeRiskGrade, screenForGrading, screenPositive } from './grading';
import { findRiskRuleSet, RiskCondition } from './rule-set';
import { fieldsOf as violatedFields } from '../../../../common/test/violations';

const catalogue = loadRiskRuleSets(`${defaultRecordsDataDir()}/risk-rules`);
const fiveColour = findRiskRuleSet(catalogue, 'cn-2017-five-colour');
const sixColour = findRiskRuleSet(catalogue, 'example-six-colour');

const grade = (picture: ClinicalPicture): ReturnType<typeof proposeRiskGrade> => proposeRiskGrade(fiveColour, picture);
const fired = (picture: ClinicalPicture): string[] => grade(picture).firedRules.map((rule) => rule.ruleId);
const colourOf = (picture: ClinicalPicture): string => grade(picture).colour;

/**
 * A picture that satisfies a condition, built from the condition alone (not by the engine): every catalogue item must be
 * reachable from some input.
 */
function witness(condition: RiskCondition): ClinicalPicture {
  switch (condition.kind) {
    case 'metric': {
      const { gte, gt, lte, lt } = condition.bounds;
      const value = gte ?? (gt !== undefined ? gt + 0.5 : (lte ?? (lt !== undefined ? lt - 0.5 : 0)));
      return { [condition.metric]: value };
    }
    case 'finding':
      return { findings: [condition.finding] };
    case 'lab':
      return { labs: [{ code: condition.lab, result: condition.result }] };
    case 'any':
      return witness(condition.conditions[0] as RiskCondition);
    case 'all':
      return condition.conditions.map(witness).reduce(
        (a, b) => ({
          ...a,
          ...b,
          findings: [...(a.findings ?? []), ...(b.findings ?? [])],
          labs: [...(a.labs ?? []), ...(b.labs ?? [])],
        }),
        {},
      );
  }
}

const rank = (code: string): number => fiveColour.colours.find((colour) => colour.code === code)?.rank ?? -1;

describe('the national five-colour rule set, rule by rule', () => {
  it("carries, for every rule and screening line, the form's wording, its section, a declared source and a confirmed flag", () => {
    for (const rule of [...fiveColour.rules, ...fiveColour.screening]) {
      expect({
        id: rule.id,
        wording: Boolean(rule.wording),
        section: Boolean(rule.section),
        source: rule.source !== undefined && rule.source in fiveColour.sources,
        confirmed: typeof rule.confirmed,
      }).toEqual({
        id: rule.id,
        wording: true,
        section: true,
        source: true,
        confirmed: 'boolean',
      });
    }
    expect(fiveColour.rules.length).toBeGreaterThan(100);
    expect(fiveColour.screening.length).toBeGreaterThan(40);
  });

  it.each(fiveColour.rules.map((rule) => [rule.id, rule] as const))(
    '%s can be reached from an input and proposes at least its colour',
    (ruleId, rule) => {
      const proposal = grade(witness(rule.when));
      expect(proposal.firedRules.map((fired) => fired.ruleId)).toContain(ruleId);
      if (rule.colour === 'purple') expect(proposal.besideColours).toContain('purple');
      else expect(rank(proposal.colour)).toBeGreaterThanOrEqual(rank(rule.colour));
    },
  );

  it.each(fiveColour.screening.map((rule) => [rule.id, rule] as const))(
    'screening line %s can be reached and flags her',
    (ruleId, rule) => {
      const screen = screenForGrading(fiveColour, witness(rule.when));
      expect(screen.positive).toBe(true);
      expect(screen.reasons.map((reason) => reason.ruleId)).toContain(ruleId);
    },
  );

  it('proposes green, with nothing fired, for a woman with no risk factor', () => {
    const proposal = grade({
      maternalAge: 28,
      prePregnancyBmi: 21.5,
      systolicBp: 112,
      diastolicBp: 72,
      haemoglobin: 124,
      plateletCount: 210,
      findings: [],
      labs: [
        { code: 'HBsAg', result: 'negative' },
        { code: 'HIV', result: 'negative' },
        { code: 'TPPA', result: 'negative' },
      ],
    });
    expect(proposal).toMatchObject({
      colour: 'green',
      besideColours: [],
      firedRules: [],
      entersCaseManagement: false,
      unassessedMetrics: ['proteinuria'],
    });
  });

  it('recognises syphilis from RPR or a recorded diagnosis as well as TPPA, and hepatitis B, HIV and TB from a diagnosis or a lab', () => {
    expect(fired({ labs: [{ code: 'RPR', result: 'positive' }] })).toEqual(['syphilis']);
    expect(fired({ findings: ['syphilis'] })).toEqual(['syphilis']);
    expect(fired({ findings: ['hepatitis_b'] })).toEqual(['hepatitis-b']);
    expect(fired({ findings: ['hiv'] })).toEqual(['hiv']);
    expect(fired({ labs: [{ code: 'TB', result: 'positive' }] })).toEqual(['tuberculosis']);
    expect(fired({ findings: ['thrombocytopenia'] })).toEqual(['thrombocytopenia']);
  });
});

describe('boundaries', () => {
  it.each([
    [34, 'green', []],
    [35, 'yellow', ['age-35-or-over']],
    [39, 'yellow', ['age-35-or-over']],
    [40, 'orange', ['age-40-or-over', 'age-35-or-over']],
    [18, 'yellow', ['age-18-or-under']],
    [19, 'green', []],
  ])('age %i is %s', (maternalAge, colour, rules) => {
    expect(colourOf({ maternalAge })).toBe(colour);
    expect(fired({ maternalAge })).toEqual(rules);
  });

  it.each([
    [25, 'green'],
    [25.1, 'yellow'],
    [27.9, 'yellow'],
    [28, 'orange'],
    [18.5, 'green'],
    [18.4, 'yellow'],
  ])('pre-pregnancy BMI %d is %s', (prePregnancyBmi, colour) => {
    expect(colourOf({ prePregnancyBmi })).toBe(colour);
  });

  it.each([
    [{ systolicBp: 139, diastolicBp: 89 }, 'green'],
    [{ systolicBp: 140, diastolicBp: 80 }, 'yellow'],
    [{ systolicBp: 120, diastolicBp: 90 }, 'yellow'],
    [{ systolicBp: 159, diastolicBp: 100 }, 'yellow'],
    [{ systolicBp: 160, diastolicBp: 100 }, 'orange'],
    [{ systolicBp: 150, diastolicBp: 109 }, 'yellow'],
    [{ systolicBp: 150, diastolicBp: 110 }, 'orange'],
  ])('blood pressure %o is %s', (vitals, colour) => {
    expect(colourOf(vitals)).toBe(colour);
  });

  it.each([
    [110, 'green', []],
    [109, 'yellow', ['anaemia']],
    [60, 'yellow', ['anaemia']],
    [59, 'orange', ['anaemia-severe']],
    [41, 'orange', ['anaemia-severe']],
    [40, 'red', ['anaemia-critical']],
  ])('haemoglobin %i g/L is %s', (haemoglobin, colour, rules) => {
    expect(colourOf({ haemoglobin })).toBe(colour);
    expect(fired({ haemoglobin })).toEqual(rules);
  });

  it.each([
    [100, 'green'],
    [99, 'yellow'],
    [50, 'yellow'],
    [49, 'orange'],
    [30, 'orange'],
    [29, 'red'],
  ])('platelets %i ×10⁹/L is %s', (plateletCount, colour) => {
    expect(colourOf({ plateletCount })).toBe(colour);
  });
});

describe('the corrected misgradings and severity tiers', () => {
  it.each([
    [
      'BP 168/112 with proteinuria 3+ is severe pre-eclampsia, orange, not red',
      { systolicBp: 168, diastolicBp: 112, proteinuria: 3 },
      'orange',
      'severe-pre-eclampsia',
    ],
    [
      'severe-range BP alone is orange',
      { systolicBp: 165, diastolicBp: 100 },
      'orange',
      'severe-gestational-hypertension',
    ],
    [
      'pre-eclampsia without severe features is yellow, not orange',
      { findings: ['pre_eclampsia'] },
      'yellow',
      'hypertensive-disorder',
    ],
    [
      'severe pre-eclampsia is recordable and orange',
      { findings: ['severe_pre_eclampsia'] },
      'orange',
      'severe-pre-eclampsia',
    ],
    [
      'chronic hypertension with superimposed pre-eclampsia is orange',
      { findings: ['chronic_hypertension_with_pre_eclampsia'] },
      'orange',
      'severe-pre-eclampsia',
    ],
    ['eclampsia is recordable and at least orange', { findings: ['eclampsia'] }, 'orange', 'eclampsia'],
    ['HELLP is recordable and at least orange', { findings: ['hellp'] }, 'orange', 'hellp'],
    [
      'diabetes without medication is yellow',
      { findings: ['diabetes_no_medication'] },
      'yellow',
      'endocrine-disease-no-medication',
    ],
    [
      'diabetes on insulin is orange, not yellow',
      { findings: ['diabetes_on_insulin'] },
      'orange',
      'endocrine-disease-on-medication',
    ],
    [
      'gestational diabetes on medication is orange',
      { findings: ['gdm_on_medication'] },
      'orange',
      'endocrine-disease-on-medication',
    ],
    [
      'diabetes with organ damage is red',
      { findings: ['diabetes_with_organ_damage'] },
      'red',
      'diabetes-with-organ-damage',
    ],
    [
      'partial epilepsy is yellow',
      { findings: ['epilepsy_partial'] },
      'yellow',
      'epilepsy-partial-or-ocular-myasthenia',
    ],
    [
      'absence epilepsy is orange',
      { findings: ['epilepsy_absence'] },
      'orange',
      'epilepsy-absence-or-generalised-myasthenia',
    ],
    [
      'generalised epilepsy is red, not capped at orange',
      { findings: ['epilepsy_generalised'] },
      'red',
      'epilepsy-generalised',
    ],
    ['SLE without medication is yellow', { findings: ['sle_no_medication'] }, 'yellow', 'autoimmune-no-medication'],
    [
      'inactive SLE on low-dose steroids is orange',
      { findings: ['sle_inactive_on_medication'] },
      'orange',
      'autoimmune-low-dose-steroid',
    ],
    ['active SLE is red, not capped at orange', { findings: ['sle_active'] }, 'red', 'autoimmune-active'],
    [
      'NYHA I heart disease without medication is yellow',
      { findings: ['nyha_class_i'] },
      'yellow',
      'heart-disease-no-medication',
    ],
    ['NYHA II is orange', { findings: ['nyha_class_ii'] }, 'orange', 'nyha-ii-or-ef-40-50'],
    ['EF 40-50% is orange', { findings: ['ef_40_to_50'] }, 'orange', 'nyha-ii-or-ef-40-50'],
    ['NYHA III is red', { findings: ['nyha_class_iii'] }, 'red', 'severe-cardiovascular-other'],
    ['NYHA IV is red', { findings: ['nyha_class_iv'] }, 'red', 'severe-cardiovascular-other'],
    ['EF below 40% is red', { findings: ['ef_below_40'] }, 'red', 'severe-cardiovascular-other'],
    [
      'pulmonary pressure below 50 mmHg is orange',
      { findings: ['pulmonary_hypertension_under_50'] },
      'orange',
      'pulmonary-hypertension-mild',
    ],
    [
      'pulmonary pressure of 50 mmHg or more is red',
      { findings: ['pulmonary_hypertension_50_or_more'] },
      'red',
      'pulmonary-hypertension-50-or-more',
    ],
    ['placental abruption is red', { findings: ['placental_abruption'] }, 'red', 'placental-abruption'],
    ['Rh incompatibility is orange', { findings: ['rh_incompatibility'] }, 'orange', 'rh-incompatibility'],
    ['antiphospholipid syndrome is orange', { findings: ['antiphospholipid_syndrome'] }, 'orange', 'thrombophilia'],
    ['compensated chronic kidney disease is orange', { findings: ['ckd_compensated'] }, 'orange', 'ckd-compensated'],
    ['decompensated cirrhosis is red', { findings: ['cirrhosis_decompensated'] }, 'red', 'digestive-disease-severe'],
    ['acute psychosis is red', { findings: ['psychosis_acute'] }, 'red', 'psychosis-acute'],
    ['cancer found in pregnancy is red', { findings: ['cancer_in_pregnancy'] }, 'red', 'cancer-in-pregnancy'],
    ['venous thromboembolism is red', { findings: ['venous_thromboembolism'] }, 'red', 'venous-thromboembolism'],
    ['aplastic anaemia is red', { findings: ['aplastic_anaemia'] }, 'red', 'aplastic-anaemia'],
    ['a history of drug use is yellow', { findings: ['drug_use_history'] }, 'yellow', 'drug-use-history'],
    ['current drug use is red', { findings: ['drug_use_current'] }, 'red', 'drug-use-current'],
    [
      'fibroid of 5 cm or more is yellow',
      { findings: ['fibroid_or_ovarian_cyst_5cm'] },
      'yellow',
      'fibroid-or-ovarian-cyst-5cm',
    ],
    [
      'intrahepatic cholestasis is yellow',
      { findings: ['intrahepatic_cholestasis'] },
      'yellow',
      'intrahepatic-cholestasis',
    ],
    [
      'scarred uterus with central praevia is orange',
      { findings: ['scarred_uterus', 'placenta_praevia_central'] },
      'orange',
      'scarred-uterus-with-central-praevia',
    ],
  ] as const)('%s', (_name, picture, colour, ruleId) => {
    expect(colourOf(picture as ClinicalPicture)).toBe(colour);
    expect(fired(picture as ClinicalPicture)).toContain(ruleId);
  });

  it('other viral hepatitis is purple beside the graded colour', () => {
    expect(grade({ labs: [{ code: 'HCV', result: 'positive' }] })).toMatchObject({
      colour: 'green',
      besideColours: ['purple'],
    });
  });

  it('codes recorded before the tiers keep the colour they had', () => {
    for (const [code, colour] of [
      ['heart_disease', 'orange'],
      ['severe_heart_disease', 'red'],
      ['diabetes', 'orange'],
      ['thyroid', 'orange'],
      ['autoimmune', 'orange'],
      ['epilepsy', 'orange'],
      ['placenta_praevia', 'orange'],
      ['gdm', 'yellow'],
    ] as const) {
      expect([code, colourOf({ findings: [code] })]).toEqual([code, colour]);
    }
  });

  it('a screening-table line flags her without proposing a colour', () => {
    expect(screenForGrading(fiveColour, { findings: ['rh_negative'] }).reasons.map((reason) => reason.ruleId)).toEqual([
      'screen-rh-negative',
    ]);
    expect(grade({ findings: ['rh_negative'] }).colour).toBe('green');
  });
});

describe('combinations', () => {
  it('the highest colour wins: yellow and red together are red, with both reasons listed, red first', () => {
    const proposal = grade({ findings: ['twins', 'pernicious_placenta_praevia'] });
    expect(proposal.colour).toBe('red');
    expect(proposal.firedRules.map((rule) => [rule.ruleId, rule.colour])).toEqual([
      ['pernicious-placenta-praevia', 'red'],
      ['twins', 'yellow'],
    ]);
  });

  it('purple stands beside orange instead of replacing it, and listed last', () => {
    const proposal = grade({ findings: ['epilepsy'], labs: [{ code: 'HBsAg', result: 'positive' }] });
    expect(proposal.colour).toBe('orange');
    expect(proposal.besideColours).toEqual(['purple']);
    expect(proposal.firedRules.map((rule) => rule.ruleId)).toEqual([
      'epilepsy-absence-or-generalised-myasthenia',
      'hepatitis-b',
    ]);
    expect(proposal.entersCaseManagement).toBe(true);
  });

  it('several infections still give one purple', () => {
    const proposal = grade({
      labs: [
        { code: 'HIV', result: 'positive' },
        { code: 'TPPA', result: 'positive' },
      ],
      findings: ['gdm'],
    });
    expect(proposal).toMatchObject({ colour: 'yellow', besideColours: ['purple'] });
    expect(proposal.firedRules).toHaveLength(3);
  });

  it('reads the latest of several results of one test; on the same day a positive is kept', () => {
    const negativeLater = {
      labs: [
        { code: 'RPR', result: 'positive', resultedOn: '2026-03-01' },
        { code: 'RPR', result: 'negative', resultedOn: '2026-03-20' },
      ],
    };
    expect(grade(negativeLater).besideColours).toEqual([]);
    const positiveLater = {
      labs: [
        { code: 'HIV', result: 'negative', resultedOn: '2026-03-01' },
        { code: 'HIV', result: 'positive', resultedOn: '2026-04-02' },
      ],
    };
    expect(grade(positiveLater).besideColours).toEqual(['purple']);
    const sameDay = {
      labs: [
        { code: 'HBsAg', result: 'positive', resultedOn: '2026-03-01' },
        { code: 'HBsAg', result: 'negative', resultedOn: '2026-03-01' },
      ],
    };
    expect(grade(sameDay).besideColours).toEqual(['purple']);
  });

  it('lists the metrics it could not assess rather than treating them as normal', () => {
    expect(grade({ maternalAge: 30, findings: [] }).unassessedMetrics).toEqual([
      'prePregnancyBmi',
      'systolicBp',
      'diastolicBp',
      'haemoglobin',
      'plateletCount',
      'proteinuria',
    ]);
  });

  it('never lowers the colour when a finding is added (property)', () => {
    fc.assert(
      fc.property(
        fc.subarray([...FINDING_CODES]),
        fc.constantFrom(...FINDING_CODES),
        (findings: FindingCode[], extra: FindingCode) => {
          return rank(colourOf({ findings: [...findings, extra] })) >= rank(colourOf({ findings }));
        },
      ),
    );
  });
});

describe('the township screen', () => {
  it('is negative when no rule above green fires', () => {
    expect(screenPositive(fiveColour, { maternalAge: 26, haemoglobin: 120 })).toBe(false);
  });

  it('is positive for any rule, purple included, and says why without proposing a colour', () => {
    expect(screenPositive(fiveColour, { maternalAge: 35 })).toBe(true);
    const screen = screenForGrading(fiveColour, { labs: [{ code: 'HBsAg', result: 'positive' }] });
    expect(screen).toEqual({
      positive: true,
      reasons: [{ ruleId: 'hepatitis-b', label: expect.objectContaining({ en: 'hepatitis B (HBsAg positive)' }) }],
    });
    expect(screen).not.toHaveProperty('colour');
  });
});

describe('case management and the confirmed grade', () => {
  it.each([
    [{ colour: 'green', besideColours: [] }, false],
    [{ colour: 'yellow', besideColours: [] }, false],
    [{ colour: 'orange', besideColours: [] }, true],
    [{ colour: 'red', besideColours: [] }, true],
    [{ colour: 'green', besideColours: ['purple'] }, true],
    [{ colour: 'yellow', besideColours: ['purple'] }, true],
  ])('%o enters case management: %s', (confirmed, expected) => {
    expect(entersCaseManagement(fiveColour, confirmed)).toBe(expected);
  });

  it('accepts a clinician’s grade that differs from the proposal, deduplicating beside colours', () => {
    expect(checkRiskGrade(fiveColour, { colour: 'orange', besideColours: ['purple', 'purple'] })).toEqual({
      colour: 'orange',
      besideColours: ['purple'],
    });
    expect(checkRiskGrade(fiveColour, { colour: 'red' })).toEqual({ colour: 'red', besideColours: [] });
  });

  it('refuses an unknown colour, purple as the graded colour, or a graded colour as a beside colour', () => {
    expect(violatedFields(() => checkRiskGrade(fiveColour, { colour: 'blue' }))).toEqual(['colour']);
    expect(violatedFields(() => checkRiskGrade(fiveColour, { colour: 'purple' }))).toEqual(['colour']);
    expect(violatedFields(() => checkRiskGrade(fiveColour, { colour: 'yellow', besideColours: ['red'] }))).toEqual([
      'besideColours[0]',
    ]);
  });
});

describe('a bad clinical picture', () => {
  it('names every offending field', () => {
    const picture = {
      maternalAge: 7,
      haemoglobin: 1200,
      systolicBp: Number.NaN,
      findings: ['twins', 'twinz'],
      labs: [
        { code: 'HBV-DNA', result: 'positive' },
        { code: 'HIV', result: 'maybe', resultedOn: '2026-02-30' },
      ],
    };
    expect(violatedFields(() => grade(picture))).toEqual([
      'maternalAge',
      'systolicBp',
      'haemoglobin',
      'findings[1]',
      'labs[0].code',
      'labs[1].result',
      'labs[1].resultedOn',
    ]);
  });
});

describe('a six-colour regional set runs on the same engine', () => {
  const six = (picture: ClinicalPicture): ReturnType<typeof proposeRiskGrade> => proposeRiskGrade(sixColour, picture);

  it('has six colours, blue between green and yellow', () => {
    expect(sixColour.colours.map((colour) => colour.code)).toEqual([
      'green',
      'blue',
      'yellow',
      'orange',
      'red',
      'purple',
    ]);
  });

  it('grades basic-situation factors blue, complications yellow, and the highest still wins', () => {
    expect(six({ maternalAge: 36 }).colour).toBe('blue');
    expect(six({ prePregnancyBmi: 26 }).colour).toBe('blue');
    expect(six({ maternalAge: 36, findings: ['gdm'] }).colour).toBe('yellow');
    expect(six({ maternalAge: 41 }).colour).toBe('orange');
    expect(six({ findings: ['epilepsy', 'twins'] }).colour).toBe('orange');
    expect(six({ systolicBp: 170 }).colour).toBe('red');
  });

  it('keeps purple beside, and case management follows the set’s own flags', () => {
    const proposal = six({ maternalAge: 36, labs: [{ code: 'TPPA', result: 'positive' }] });
    expect(proposal).toMatchObject({ colour: 'blue', besideColours: ['purple'], entersCaseManagement: true });
    expect(entersCaseManagement(sixColour, { colour: 'blue', besideColours: [] })).toBe(false);
    expect(entersCaseManagement(sixColour, { colour: 'orange', besideColours: [] })).toBe(true);
  });

  it('accepts blue as a confirmed colour where the national set does not', () => {
    expect(checkRiskGrade(sixColour, { colour: 'blue' })).toEqual({ colour: 'blue', besideColours: [] });
    expect(violatedFields(() => checkRiskGrade(fiveColour, { colour: 'blue' }))).toEqual(['colour']);
  });
});

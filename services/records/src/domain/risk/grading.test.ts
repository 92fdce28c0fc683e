import fc from 'fast-check';
import { InvalidArgumentError } from '../../../../common/src/errors';
import { defaultRecordsDataDir, loadRiskRuleSets } from '../reference-data';
import { ClinicalPicture, FINDING_CODES, FindingCode } from './clinical-picture';
import { checkRiskGrade, entersCaseManagement, proposeRiskGrade, screenForGrading, screenPositive } from './grading';
import { findRiskRuleSet } from './rule-set';
import { fieldsOf as violatedFields } from '../../../../common/test/violations';

const catalogue = loadRiskRuleSets(`${defaultRecordsDataDir()}/risk-rules`);
const fiveColour = findRiskRuleSet(catalogue, 'cn-2017-five-colour');
const sixColour = findRiskRuleSet(catalogue, 'example-six-colour');

const grade = (picture: ClinicalPicture): ReturnType<typeof proposeRiskGrade> => proposeRiskGrade(fiveColour, picture);
const fired = (picture: ClinicalPicture): string[] => grade(picture).firedRules.map((rule) => rule.ruleId);
const colourOf = (picture: ClinicalPicture): string => grade(picture).colour;


/** One picture per rule of the national set that fires that rule, with the colour it proposes. */
const EVERY_RULE: readonly [ruleId: string, picture: ClinicalPicture, colour: string, beside: readonly string[]][] = [
  ['age-35-or-over', { maternalAge: 36 }, 'yellow', []],
  ['age-18-or-under', { maternalAge: 17 }, 'yellow', []],
  ['bmi-over-25', { prePregnancyBmi: 26.4 }, 'yellow', []],
  ['bmi-under-18-5', { prePregnancyBmi: 17.9 }, 'yellow', []],
  ['scarred-uterus', { findings: ['scarred_uterus'] }, 'yellow', []],
  ['gestational-diabetes', { findings: ['gdm'] }, 'yellow', []],
  ['twins', { findings: ['twins'] }, 'yellow', []],
  ['assisted-reproduction', { findings: ['ivf'] }, 'yellow', []],
  ['anaemia-mild', { haemoglobin: 104 }, 'yellow', []],
  ['anaemia-moderate', { haemoglobin: 85 }, 'yellow', []],
  ['thrombocytopenia', { plateletCount: 80 }, 'yellow', []],
  ['polyhydramnios', { findings: ['polyhydramnios'] }, 'yellow', []],
  ['oligohydramnios', { findings: ['oligohydramnios'] }, 'yellow', []],
  ['hypertension', { systolicBp: 145, diastolicBp: 85 }, 'yellow', []],
  ['age-40-or-over', { maternalAge: 42 }, 'orange', []],
  ['bmi-28-or-over', { prePregnancyBmi: 31 }, 'orange', []],
  ['triplets-or-more', { findings: ['triplets_or_more'] }, 'orange', []],
  ['autoimmune-disease', { findings: ['autoimmune'] }, 'orange', []],
  ['epilepsy', { findings: ['epilepsy'] }, 'orange', []],
  ['diabetes', { findings: ['diabetes'] }, 'orange', []],
  ['thyroid-disease', { findings: ['thyroid'] }, 'orange', []],
  ['pre-eclampsia', { findings: ['pre_eclampsia'] }, 'orange', []],
  ['heart-disease', { findings: ['heart_disease'] }, 'orange', []],
  ['placenta-praevia', { findings: ['placenta_praevia'] }, 'orange', []],
  ['anaemia-severe', { haemoglobin: 62 }, 'orange', []],
  ['thrombocytopenia-severe', { plateletCount: 45 }, 'orange', []],
  ['severe-hypertension', { systolicBp: 165, diastolicBp: 100 }, 'red', []],
  ['severe-heart-disease', { findings: ['severe_heart_disease'] }, 'red', []],
  ['pernicious-placenta-praevia', { findings: ['pernicious_placenta_praevia'] }, 'red', []],
  ['thrombocytopenia-critical', { plateletCount: 20 }, 'red', []],
  ['anaemia-critical', { haemoglobin: 38 }, 'red', []],
  ['hepatitis-b', { labs: [{ code: 'HBsAg', result: 'positive' }] }, 'green', ['purple']],
  ['syphilis', { labs: [{ code: 'TPPA', result: 'positive' }] }, 'green', ['purple']],
  ['hiv', { labs: [{ code: 'HIV', result: 'positive' }] }, 'green', ['purple']],
  ['tuberculosis', { findings: ['tuberculosis'] }, 'green', ['purple']],
  ['severe-infectious-pneumonia', { findings: ['severe_infectious_pneumonia'] }, 'green', ['purple']],
];

describe('the national five-colour rule set, rule by rule', () => {
  it('has a case here for every rule in the file (a new rule needs a new case)', () => {
    expect(EVERY_RULE.map(([ruleId]) => ruleId).sort()).toEqual(fiveColour.rules.map((rule) => rule.id).sort());
  });

  it.each(EVERY_RULE)('%s fires and proposes its colour', (ruleId, picture, colour, beside) => {
    const proposal = grade(picture);
    expect(proposal.firedRules.map((rule) => rule.ruleId)).toContain(ruleId);
    expect(proposal.colour).toBe(colour);
    expect(proposal.besideColours).toEqual(beside);
    const rule = proposal.firedRules.find((candidate) => candidate.ruleId === ruleId);
    expect(rule?.label.zh).toBeTruthy();
    expect(rule?.label.en).toBeTruthy();
  });

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
    expect(proposal).toMatchObject({ colour: 'green', besideColours: [], firedRules: [], entersCaseManagement: false, unassessedMetrics: [] });
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
    [{ systolicBp: 160, diastolicBp: 100 }, 'red'],
    [{ systolicBp: 150, diastolicBp: 109 }, 'yellow'],
    [{ systolicBp: 150, diastolicBp: 110 }, 'red'],
  ])('blood pressure %o is %s', (vitals, colour) => {
    expect(colourOf(vitals)).toBe(colour);
  });

  it.each([
    [110, 'green', []],
    [109, 'yellow', ['anaemia-mild']],
    [100, 'yellow', ['anaemia-mild']],
    [99, 'yellow', ['anaemia-moderate']],
    [70, 'yellow', ['anaemia-moderate']],
    [69, 'orange', ['anaemia-severe']],
    [41, 'orange', ['anaemia-severe']],
    [40, 'red', ['anaemia-critical', 'anaemia-severe']],
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
    expect(proposal.firedRules.map((rule) => rule.ruleId)).toEqual(['epilepsy', 'hepatitis-b']);
    expect(proposal.entersCaseManagement).toBe(true);
  });

  it('several infections still give one purple', () => {
    const proposal = grade({ labs: [{ code: 'HIV', result: 'positive' }, { code: 'TPPA', result: 'positive' }], findings: ['gdm'] });
    expect(proposal).toMatchObject({ colour: 'yellow', besideColours: ['purple'] });
    expect(proposal.firedRules).toHaveLength(3);
  });

  it('reads the latest of several results of one test; on the same day a positive is kept', () => {
    const negativeLater = { labs: [{ code: 'RPR', result: 'positive', resultedOn: '2026-03-01' }, { code: 'RPR', result: 'negative', resultedOn: '2026-03-20' }] };
    expect(grade(negativeLater).besideColours).toEqual([]);
    const positiveLater = { labs: [{ code: 'HIV', result: 'negative', resultedOn: '2026-03-01' }, { code: 'HIV', result: 'positive', resultedOn: '2026-04-02' }] };
    expect(grade(positiveLater).besideColours).toEqual(['purple']);
    const sameDay = { labs: [{ code: 'HBsAg', result: 'positive', resultedOn: '2026-03-01' }, { code: 'HBsAg', result: 'negative', resultedOn: '2026-03-01' }] };
    expect(grade(sameDay).besideColours).toEqual(['purple']);
  });

  it('lists the metrics it could not assess rather than treating them as normal', () => {
    expect(grade({ maternalAge: 30, findings: [] }).unassessedMetrics).toEqual(['prePregnancyBmi', 'systolicBp', 'diastolicBp', 'haemoglobin', 'plateletCount']);
  });

  it('never lowers the colour when a finding is added (property)', () => {
    const rank = (code: string): number => fiveColour.colours.find((colour) => colour.code === code)?.rank ?? -1;
    fc.assert(
      fc.property(fc.subarray([...FINDING_CODES]), fc.constantFrom(...FINDING_CODES), (findings: FindingCode[], extra: FindingCode) => {
        return rank(colourOf({ findings: [...findings, extra] })) >= rank(colourOf({ findings }));
      }),
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
    expect(screen).toEqual({ positive: true, reasons: [{ ruleId: 'hepatitis-b', label: expect.objectContaining({ en: 'hepatitis B (HBsAg positive)' }) }] });
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
    expect(checkRiskGrade(fiveColour, { colour: 'orange', besideColours: ['purple', 'purple'] })).toEqual({ colour: 'orange', besideColours: ['purple'] });
    expect(checkRiskGrade(fiveColour, { colour: 'red' })).toEqual({ colour: 'red', besideColours: [] });
  });

  it('refuses an unknown colour, purple as the graded colour, or a graded colour as a beside colour', () => {
    expect(violatedFields(() => checkRiskGrade(fiveColour, { colour: 'blue' }))).toEqual(['colour']);
    expect(violatedFields(() => checkRiskGrade(fiveColour, { colour: 'purple' }))).toEqual(['colour']);
    expect(violatedFields(() => checkRiskGrade(fiveColour, { colour: 'yellow', besideColours: ['red'] }))).toEqual(['besideColours[0]']);
  });
});

describe('a bad clinical picture', () => {
  it('names every offending field', () => {
    const picture = {
      maternalAge: 7,
      haemoglobin: 1200,
      systolicBp: Number.NaN,
      findings: ['twins', 'twinz'],
      labs: [{ code: 'HBV-DNA', result: 'positive' }, { code: 'HIV', result: 'maybe', resultedOn: '2026-02-30' }],
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
    expect(sixColour.colours.map((colour) => colour.code)).toEqual(['green', 'blue', 'yellow', 'orange', 'red', 'purple']);
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

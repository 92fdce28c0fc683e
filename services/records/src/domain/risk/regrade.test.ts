import { defaultRecordsDataDir, loadRiskRuleSets } from '../reference-data';
import { regradeProposal, ruleSetDigest } from './regrade';
import { findRiskRuleSet } from './rule-set';

const catalogue = loadRiskRuleSets(`${defaultRecordsDataDir()}/risk-rules`);
const fiveColour = findRiskRuleSet(catalogue, 'cn-2017-five-colour');
const red = { colour: 'red', besideColours: [] };
const orange = { colour: 'orange', besideColours: [] };

describe('re-grading a confirmed pregnancy under the corrected rules', () => {
  it('BP 168/112 alone, confirmed red under the old rule (severe-hypertension red): orange is proposed, red stays confirmed', () => {
    const proposal = regradeProposal(
      fiveColour,
      { systolicBp: 168, diastolicBp: 112 },
      { confirmed: red, proposedThen: red },
    );
    expect(proposal?.proposed).toEqual(orange);
    expect(proposal?.confirmed).toEqual(red);
    expect(proposal?.firedRules.map((rule) => rule.ruleId)).toContain('severe-gestational-hypertension');
    expect(proposal?.ruleSetId).toBe('cn-2017-five-colour');
  });

  it('BP 168/112 with proteinuria 3+ proposes orange (severe pre-eclampsia) over a red confirmed then', () => {
    const proposal = regradeProposal(
      fiveColour,
      { systolicBp: 168, diastolicBp: 112, proteinuria: 3 },
      { confirmed: red, proposedThen: red },
    );
    expect(proposal?.proposed.colour).toBe('orange');
    expect(proposal?.firedRules.map((rule) => rule.ruleId)).toContain('severe-pre-eclampsia');
  });

  it('proposes nothing when the rules propose what they proposed at confirmation (a clinician chose red against orange, with a reason)', () => {
    expect(
      regradeProposal(fiveColour, { systolicBp: 168, diastolicBp: 112 }, { confirmed: red, proposedThen: orange }),
    ).toBeUndefined();
  });

  it('proposes nothing when the rules now propose the colour already confirmed', () => {
    expect(
      regradeProposal(fiveColour, { systolicBp: 168, diastolicBp: 112 }, { confirmed: orange, proposedThen: red }),
    ).toBeUndefined();
  });

  it('carries a purple that now stands beside: the beside colours are part of the grade', () => {
    const proposal = regradeProposal(
      fiveColour,
      { labs: [{ code: 'HIV', result: 'positive' }] },
      { confirmed: { colour: 'green', besideColours: [] }, proposedThen: { colour: 'green', besideColours: [] } },
    );
    expect(proposal?.proposed.besideColours).toContain('purple');
  });

  it('the digest names the rules: the same rule set gives the same digest, another rule set another', () => {
    expect(ruleSetDigest(fiveColour)).toBe(ruleSetDigest(findRiskRuleSet(catalogue, 'cn-2017-five-colour')));
    expect(ruleSetDigest(fiveColour)).not.toBe(ruleSetDigest(findRiskRuleSet(catalogue, 'example-six-colour')));
    expect(ruleSetDigest(fiveColour)).toMatch(/^[0-9a-f]{32}$/);
  });
});

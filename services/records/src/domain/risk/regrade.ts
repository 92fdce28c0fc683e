// Re-grading confirmed pregnancies after the rules change (#25 §2): a confirmed grade keeps its colour and its
// reasons; where the rules now in force would propose something else than they proposed when she was confirmed, a
// re-grade proposal goes to the treating clinician, who grades again (or keeps the colour, with a reason).
import { createHash } from 'node:crypto';
import { ClinicalPicture } from './clinical-picture';
import { FiredRule, proposeRiskGrade, RiskGrade } from './grading';
import { RiskRuleSet } from './rule-set';

/** The grade as confirmed and what the rules proposed at that moment (stored on the grade assessment). */
export interface ConfirmedGradeBasis {
  readonly confirmed: RiskGrade;
  readonly proposedThen: RiskGrade;
}

export interface RegradeProposal {
  readonly ruleSetId: string;
  readonly ruleSetDigest: string;
  readonly confirmed: RiskGrade;
  readonly proposed: RiskGrade;
  readonly firedRules: readonly FiredRule[];
}

const sameGrade = (a: RiskGrade, b: RiskGrade): boolean =>
  a.colour === b.colour && [...a.besideColours].sort().join(',') === [...b.besideColours].sort().join(',');

/**
 * A re-grade proposal, or undefined when there is nothing to propose: the current rules propose what they proposed at
 * confirmation (a clinician who confirmed another colour then did so against that proposal, with a reason, and is not
 * asked again), or they propose the colour already confirmed.
 */
export function regradeProposal(
  ruleSet: RiskRuleSet,
  picture: ClinicalPicture,
  basis: ConfirmedGradeBasis,
): RegradeProposal | undefined {
  const now = proposeRiskGrade(ruleSet, picture);
  const proposed: RiskGrade = { colour: now.colour, besideColours: now.besideColours };
  if (sameGrade(proposed, basis.proposedThen) || sameGrade(proposed, basis.confirmed)) return undefined;
  return {
    ruleSetId: ruleSet.id,
    ruleSetDigest: ruleSetDigest(ruleSet),
    confirmed: basis.confirmed,
    proposed,
    firedRules: now.firedRules,
  };
}

/** A digest of what grades (colours, default and rules): another edit of the same rule set is another sweep. */
export function ruleSetDigest(ruleSet: RiskRuleSet): string {
  const grading = { colours: ruleSet.colours, defaultColour: ruleSet.defaultColour, rules: ruleSet.rules };
  return createHash('sha256').update(JSON.stringify(grading)).digest('hex').slice(0, 32);
}

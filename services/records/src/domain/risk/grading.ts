// The pregnancy risk engine: applies a rule set to a clinical picture and proposes a colour for a clinician to
// confirm (grading, 二级 and above), or only says whether she needs grading (the township screen).
import { FieldViolation, InvalidArgumentError } from '../../../../common/src/errors';
import { BilingualLabel } from '../data-file';
import { CheckedClinicalPicture, checkClinicalPicture, ClinicalPicture, Metric } from './clinical-picture';
import { RiskColour, RiskCondition, RiskRuleSet } from './rule-set';

/** A colour as the record stores it once confirmed: one graded colour, plus any colours that stand beside it. */
export interface RiskGrade {
  readonly colour: string;
  readonly besideColours: readonly string[];
}

export interface FiredRule {
  readonly ruleId: string;
  readonly colour: string;
  readonly label: BilingualLabel;
}

/** What the engine proposes; a clinician confirms or changes it. */
export interface RiskGradeProposal extends RiskGrade {
  readonly ruleSetId: string;
  /** Every rule that fired, the graded colours most serious first and then those that stand beside. */
  readonly firedRules: readonly FiredRule[];
  readonly entersCaseManagement: boolean;
  /** Metrics some rule reads that the picture did not give: the proposal is silent about them, not reassuring. */
  readonly unassessedMetrics: readonly Metric[];
}

export interface PregnancyScreen {
  /** True when any rule above the default colour fired: she is flagged for grading. Not itself a colour. */
  readonly positive: boolean;
  readonly reasons: readonly { readonly ruleId: string; readonly label: BilingualLabel }[];
}

/** Applies every rule; the highest-ranked graded colour wins, and colours that stand beside (purple) are added. */
export function proposeRiskGrade(ruleSet: RiskRuleSet, picture: ClinicalPicture): RiskGradeProposal {
  const checked = checkClinicalPicture(picture);
  const colours = new Map(ruleSet.colours.map((colour) => [colour.code, colour]));
  const fired = firedRules(ruleSet, checked).sort((a, b) => displayOrder(colours, a.colour, b.colour));

  let graded = colourOf(colours, ruleSet.defaultColour);
  const beside = new Set<string>();
  for (const rule of fired) {
    const colour = colourOf(colours, rule.colour);
    if (colour.standsBeside) beside.add(colour.code);
    else if (colour.rank > graded.rank) graded = colour;
  }
  const grade: RiskGrade = { colour: graded.code, besideColours: sortByRank(colours, [...beside]) };
  return {
    ruleSetId: ruleSet.id,
    ...grade,
    firedRules: fired,
    entersCaseManagement: entersCaseManagement(ruleSet, grade),
    unassessedMetrics: ruleSet.metricsRead.filter((metric) => !checked.metrics.has(metric)),
  };
}

/**
 * The township screen: any line of the screening table, or any rule that would raise her above the default colour,
 * flags her for grading. Graded rules come first, then the screening table's lines.
 */
export function screenForGrading(ruleSet: RiskRuleSet, picture: ClinicalPicture): PregnancyScreen {
  const checked = checkClinicalPicture(picture);
  const reasons = [
    ...firedRules(ruleSet, checked).map(({ ruleId, label }) => ({ ruleId, label })),
    ...ruleSet.screening
      .filter((rule) => holds(rule.when, checked))
      .map((rule) => ({ ruleId: rule.id, label: rule.label })),
  ];
  return { positive: reasons.length > 0, reasons };
}

export function screenPositive(ruleSet: RiskRuleSet, picture: ClinicalPicture): boolean {
  return screenForGrading(ruleSet, picture).positive;
}

/** Whether a (confirmed or proposed) grade puts her under high-risk case management: any of its colours does. */
export function entersCaseManagement(ruleSet: RiskRuleSet, grade: RiskGrade): boolean {
  const colours = new Map(ruleSet.colours.map((colour) => [colour.code, colour]));
  return [grade.colour, ...grade.besideColours].some((code) => colours.get(code)?.entersCaseManagement === true);
}

/**
 * Checks the grade a clinician confirms against the rule set: one known graded colour, and only colours that stand
 * beside as `besideColours`. Returns it with the beside colours deduplicated and in rank order.
 */
export function checkRiskGrade(
  ruleSet: RiskRuleSet,
  grade: { colour: string; besideColours?: readonly string[] },
): RiskGrade {
  const colours = new Map(ruleSet.colours.map((colour) => [colour.code, colour]));
  const violations: FieldViolation[] = [];
  const graded = colours.get(grade.colour);
  if (!graded || graded.standsBeside) {
    const names = ruleSet.colours.filter((colour) => !colour.standsBeside).map((colour) => colour.code);
    violations.push({ field: 'colour', description: `must be one of ${names.join(', ')}` });
  }
  const beside = new Set<string>();
  (grade.besideColours ?? []).forEach((code, index) => {
    if (colours.get(code)?.standsBeside === true) beside.add(code);
    else
      violations.push({
        field: `besideColours[${index}]`,
        description: `"${code}" is not a colour that stands beside others`,
      });
  });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return { colour: grade.colour, besideColours: sortByRank(colours, [...beside]) };
}

function firedRules(ruleSet: RiskRuleSet, picture: CheckedClinicalPicture): FiredRule[] {
  return ruleSet.rules
    .filter((rule) => holds(rule.when, picture))
    .map((rule) => ({ ruleId: rule.id, colour: rule.colour, label: rule.label }));
}

/** A condition on a fact the picture does not give is false: unknown is not evidence of risk. */
function holds(condition: RiskCondition, picture: CheckedClinicalPicture): boolean {
  switch (condition.kind) {
    case 'metric': {
      const value = picture.metrics.get(condition.metric);
      if (value === undefined) return false;
      const { gte, gt, lte, lt } = condition.bounds;
      return (
        (gte === undefined || value >= gte) &&
        (gt === undefined || value > gt) &&
        (lte === undefined || value <= lte) &&
        (lt === undefined || value < lt)
      );
    }
    case 'finding':
      return picture.findings.has(condition.finding);
    case 'lab':
      return picture.labs.get(condition.lab) === condition.result;
    case 'any':
      return condition.conditions.some((child) => holds(child, picture));
    case 'all':
      return condition.conditions.every((child) => holds(child, picture));
  }
}

function colourOf(colours: ReadonlyMap<string, RiskColour>, code: string): RiskColour {
  const colour = colours.get(code);
  // Parsing guarantees every rule's colour and the default exist; reaching this is a bug, not bad input.
  if (!colour) throw new Error(`colour "${code}" is not in the rule set`);
  return colour;
}

function rankOf(colours: ReadonlyMap<string, RiskColour>, code: string): number {
  return colourOf(colours, code).rank;
}

/** Graded colours from the most serious down, then the colours that stand beside; ties keep the file's order. */
function displayOrder(colours: ReadonlyMap<string, RiskColour>, a: string, b: string): number {
  const colourA = colourOf(colours, a);
  const colourB = colourOf(colours, b);
  if (colourA.standsBeside !== colourB.standsBeside) return colourA.standsBeside ? 1 : -1;
  return colourB.rank - colourA.rank;
}

function sortByRank(colours: ReadonlyMap<string, RiskColour>, codes: string[]): string[] {
  return codes.sort((a, b) => rankOf(colours, a) - rankOf(colours, b));
}

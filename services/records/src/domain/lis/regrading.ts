// Whether lab results from the LIS change a pregnant woman's risk: the engine's proposal over her record with and
// without them. A change is put to her treating clinicians as a re-grading suggestion; the confirmed grade moves
// only when a clinician grades her (AssessRisk), never here.
import type { LabResult } from '../risk/clinical-picture';
import { proposeRiskGrade, type RiskGrade, type RiskGradeProposal } from '../risk/grading';
import type { RiskRuleSet } from '../risk/rule-set';
import { pregnancyPicture } from '../record-inputs';
import type { LabObservation } from './oru-r01';

type PregnancyFacts = Parameters<typeof pregnancyPicture>[0];
type VisitFacts = Parameters<typeof pregnancyPicture>[1][number];

/** One day's LIS results as the picture reads a visit (proteinuria in the proto's enum: plus count + 2). */
export function lisResultsAsVisits(
  observations: readonly Pick<LabObservation, 'observedOn' | 'grading'>[],
): VisitFacts[] {
  const byDay = new Map<
    string,
    { haemoglobin?: number; plateletCount?: number; proteinuria?: number; labs: LabResult[] }
  >();
  for (const observation of observations) {
    const grading = observation.grading;
    if (grading === undefined) continue;
    const day = byDay.get(observation.observedOn) ?? { labs: [] };
    if ('lab' in grading)
      day.labs.push({ code: grading.lab, result: grading.result, resultedOn: observation.observedOn });
    else if (grading.metric === 'proteinuria') day.proteinuria = grading.value + 2;
    else day[grading.metric] = grading.value;
    byDay.set(observation.observedOn, day);
  }
  return [...byDay].map(([visitDate, day]) => ({ visitDate, findings: [], ...day }));
}

export interface RegradingSuggestion {
  readonly proposal: RiskGradeProposal;
  /** The engine's proposal before these results. */
  readonly previousProposal: RiskGradeProposal;
  /** Rules that fire now and did not before. */
  readonly newRuleIds: readonly string[];
}

const sameGrade = (a: RiskGrade, b: RiskGrade): boolean =>
  a.colour === b.colour && [...a.besideColours].sort().join(',') === [...b.besideColours].sort().join(',');

/**
 * A suggestion when the results change the engine's proposal and the new proposal is not the grade she already
 * has (`confirmed` empty colour: not graded yet). Undefined otherwise: results that change nothing stay quiet.
 */
export function regradingSuggestion(
  ruleSet: RiskRuleSet,
  pregnancy: PregnancyFacts,
  earlier: readonly VisitFacts[],
  results: readonly Pick<LabObservation, 'observedOn' | 'grading'>[],
  confirmed: RiskGrade,
): RegradingSuggestion | undefined {
  const added = lisResultsAsVisits(results);
  if (added.length === 0) return undefined;
  const previousProposal = proposeRiskGrade(ruleSet, pregnancyPicture(pregnancy, earlier));
  const proposal = proposeRiskGrade(ruleSet, pregnancyPicture(pregnancy, [...earlier, ...added]));
  if (sameGrade(proposal, previousProposal)) return undefined;
  if (confirmed.colour !== '' && sameGrade(proposal, confirmed)) return undefined;
  const before = new Set(previousProposal.firedRules.map((rule) => rule.ruleId));
  return {
    proposal,
    previousProposal,
    newRuleIds: proposal.firedRules.map((rule) => rule.ruleId).filter((id) => !before.has(id)),
  };
}

// RiskAssessment for each grade and township screen of a pregnancy (五色管理): the confirmed colour, and the colours
// that stand beside it, as predictions coded in the project's colour CodeSystem; the rules that fired as reasons; the
// clinician's reason as a note. What the records service withheld from this reader (purple, sensitive rules, the
// reason beside them) is not in the record, so it is not here either.
import type { CodeableConcept, RiskAssessment, RiskAssessmentPrediction } from '@medplum/fhirtypes';
import type { Pregnancy, RiskAssessment as RecordRiskAssessment } from '../gen/mch/records/v1/records';
import { episodeOfCareId } from './episode-of-care';
import { entryResourceId } from './ids';
import { entryIdentifier, patientReference, staffReference, withheldMeta } from './references';
import { projectCoding } from './terminology';
import { RISK_COLOURS } from './code-systems';

function colourConcept(colour: string): CodeableConcept {
  const known = RISK_COLOURS.find((entry) => entry.code === colour);
  return { coding: [projectCoding('riskColour', colour, known?.display)], text: known?.display ?? colour };
}

export function toRiskAssessment(
  patientId: string,
  pregnancy: Pregnancy,
  assessment: RecordRiskAssessment,
): RiskAssessment {
  const grade = assessment.kind === 'grade';
  const prediction: RiskAssessmentPrediction[] = [];
  if (grade && assessment.colour) {
    const proposal =
      assessment.overridesProposal && assessment.proposedColour
        ? `; the rule engine proposed ${assessment.proposedColour}`
        : '';
    prediction.push({
      outcome: { text: 'Pregnancy risk (妊娠风险)' },
      qualitativeRisk: colourConcept(assessment.colour),
      rationale: `graded ${assessment.colour}${proposal}`,
    });
    for (const beside of assessment.besideColours)
      prediction.push({
        outcome: { text: 'Infectious disease risk beside the grade' },
        qualitativeRisk: colourConcept(beside),
        rationale: `${beside} stands beside the grade`,
      });
  }
  if (!grade) {
    prediction.push({
      outcome: { text: 'Referral for grading' },
      qualitativeRisk: {
        coding: [
          projectCoding('riskAssessmentKind', assessment.screenPositive ? 'screen-positive' : 'screen-negative'),
        ],
        text: assessment.screenPositive ? 'screen positive' : 'screen negative',
      },
    });
  }
  const performer = staffReference(assessment.assessorId);
  return {
    resourceType: 'RiskAssessment',
    id: entryResourceId(patientId, assessment.id),
    ...withheldMeta(assessment.textWithheld),
    identifier: [entryIdentifier(assessment.id)],
    status: 'final',
    code: {
      coding: [
        projectCoding(
          'riskAssessmentKind',
          grade ? 'grade' : 'screen',
          grade ? 'Pregnancy risk grade (妊娠风险评估)' : 'Pregnancy risk screen (妊娠风险筛查)',
        ),
      ],
    },
    ...(assessment.ruleSetId ? { method: { text: `rule set ${assessment.ruleSetId}` } } : {}),
    subject: patientReference(patientId),
    // RiskAssessment has no link to an episode: the pregnancy is named by its EpisodeOfCare as the basis.
    basis: [{ reference: `EpisodeOfCare/${episodeOfCareId(patientId, pregnancy.id)}` }],
    occurrenceDateTime: assessment.assessedOn,
    ...(performer ? { performer } : {}),
    ...(assessment.firedRules.length > 0
      ? {
          reasonCode: assessment.firedRules.map((rule) => ({
            coding: [projectCoding('riskRule', rule.ruleId, rule.labelEn || rule.labelZh)],
            text: rule.labelZh || rule.labelEn,
          })),
        }
      : {}),
    ...(prediction.length > 0 ? { prediction } : {}),
    ...(assessment.reason ? { note: [{ text: assessment.reason }] } : {}),
  };
}

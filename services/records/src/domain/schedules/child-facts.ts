// What the record knows of a child's birth for the immunization programme's special rules: the mother's HBsAg in
// the pregnancy the child was born of, birth weight and gestational age at birth. Pure: the caller reads the rows.
import { checkClinicalPicture, LabResult } from '../risk/clinical-picture';
import { ChildFacts } from './engine';

export interface BirthRecord {
  readonly birthWeightGrams: number | null;
  /** The pregnancy the child was born of, when it is in the record: the labs of its visits and the delivery's gestational age. */
  readonly pregnancy?: { readonly labs: readonly LabResult[]; readonly gestationalAgeDays: number | null };
}

/**
 * The child's facts. The mother's HBsAg is the latest result of the pregnancy (a positive kept on a tie, as in risk
 * grading); an indeterminate result or none at all is `unknown`, which the programme treats like a positive for the
 * birth dose. A child whose birth pregnancy is not in the record has no maternal fact, so no HBsAg rule applies.
 */
export function childFactsOf(birth: BirthRecord): ChildFacts {
  const facts: { -readonly [K in keyof ChildFacts]: ChildFacts[K] } = {};
  if (birth.birthWeightGrams !== null && birth.birthWeightGrams > 0) facts.birthWeightGrams = birth.birthWeightGrams;
  if (birth.pregnancy) {
    const hbsag = checkClinicalPicture({ labs: birth.pregnancy.labs.filter((lab) => lab.code === 'HBsAg') }).labs.get(
      'HBsAg',
    );
    facts.maternalHbsag = hbsag === 'positive' ? 'positive' : hbsag === 'negative' ? 'negative' : 'unknown';
    if (birth.pregnancy.gestationalAgeDays !== null) facts.gestationalAgeDays = birth.pregnancy.gestationalAgeDays;
  }
  return facts;
}

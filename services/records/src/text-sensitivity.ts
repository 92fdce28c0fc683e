// The free text of one write classified before it is stored: each field (and the version's reason) against the
// sensitive term list and beside the entry's own sensitive facts, the term matches audited in the write's
// transaction. What counts as a sensitive fact of an entry is decided here, from the rule set in force.
import { SENSITIVE_FINDINGS } from './domain';
import type { Visibility } from './views';

export { classifyWriteText } from '../../common/src/sensitive-text';

export interface EntryFacts {
  readonly findings?: readonly string[];
  readonly labs?: readonly unknown[];
  readonly colours?: readonly string[];
  readonly ruleIds?: readonly string[];
  /** The whole entry is sensitive (a screening). */
  readonly wholly?: boolean;
}

/** The entry carries a fact withheld from readers outside her treating team. */
export function carriesSensitiveFact(facts: EntryFacts, restricted: Visibility): boolean {
  return (
    facts.wholly === true ||
    (facts.labs ?? []).length > 0 ||
    (facts.findings ?? []).some((code) => SENSITIVE_FINDINGS.has(code)) ||
    (facts.colours ?? []).some((colour) => restricted.sensitiveColours.has(colour)) ||
    (facts.ruleIds ?? []).some((rule) => restricted.sensitiveRules.has(rule))
  );
}

// The free text of one write classified before it is stored: each field (and the version's reason) against the
// sensitive term list and beside the entry's own sensitive facts, the term matches audited in the write's
// transaction. What counts as a sensitive fact of an entry is decided here, from the rule set in force.
import { auditSensitiveText, classifyText, TextSensitivity } from '../../common/src/sensitive-text';
import type { CallContext } from '../../common/src/grpc/context';
import type { PoolClient } from '../../common/src/pg/database';
import { SENSITIVE_FINDINGS } from './domain';
import type { Visibility } from './views';

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

/**
 * Classifies each named text of a write (`entity.field` in the audit), audits the term matches and returns each
 * field's classification to store beside it.
 */
export async function classifyWriteText<Field extends string>(
  tx: Pick<PoolClient, 'query'>,
  ctx: CallContext,
  patientId: string,
  entity: string,
  texts: Readonly<Record<Field, string>>,
  context: { accompaniesSensitiveFact: boolean; authorMarkedNotSensitive: boolean },
): Promise<Record<Field, TextSensitivity>> {
  const fields = (Object.keys(texts) as Field[]).map((field) => ({ field, classification: classifyText(texts[field], context) }));
  await auditSensitiveText(tx, ctx, patientId, fields.map(({ field, classification }) => ({ field: `${entity}.${field}`, classification })));
  return Object.fromEntries(fields.map(({ field, classification }) => [field, classification.sensitivity])) as Record<Field, TextSensitivity>;
}

// Free text that can reveal a sensitive condition: the maintained term list (services/common/data/sensitive-terms.json),
// the matcher over it, and the classification every service stores beside a free-text field at write time. A reader
// who may not see a patient's sensitive facts does not see text classified sensitive either; the match is audited
// (field and category, never the text) so a reviewer can see what was withheld and why.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { recordAudits } from './audit';
import type { CallContext } from './grpc/context';
import { serviceDir } from './paths';
import type { PoolClient } from './pg/database';

export interface SensitiveCategory {
  readonly code: string;
  readonly labelZh: string;
  readonly labelEn: string;
  readonly source: string;
  readonly status: 'confirmed' | 'unconfirmed';
}

interface CompiledTerm {
  readonly term: string;
  readonly category: string;
  /** Tested against the NFKC text as written (case-sensitive terms) or also case-folded (the rest). */
  readonly caseSensitive: boolean;
  readonly pattern: RegExp;
}

export interface SensitiveTermList {
  readonly version: string;
  readonly categories: ReadonlyMap<string, SensitiveCategory>;
  readonly terms: readonly CompiledTerm[];
}

/**
 * How a stored free-text field was classified when it was written:
 * - `plain`: names no listed condition and accompanies no sensitive fact;
 * - `author-cleared`: accompanies a sensitive fact, and its author stated it names none (and it matches no term);
 * - `accompanies-sensitive`: accompanies a sensitive fact (an infectious-disease lab, a sensitive finding or colour);
 * - `names-sensitive`: matches the term list (whatever its author said);
 * - `unclassified`: written before classification existed; treated as sensitive.
 */
export type TextSensitivity = 'plain' | 'author-cleared' | 'accompanies-sensitive' | 'names-sensitive' | 'unclassified';

export const TEXT_SENSITIVITIES: readonly TextSensitivity[] = [
  'plain',
  'author-cleared',
  'accompanies-sensitive',
  'names-sensitive',
  'unclassified',
];

export function isSensitiveText(sensitivity: TextSensitivity): boolean {
  return sensitivity !== 'plain' && sensitivity !== 'author-cleared';
}

/** NFKC folds full-width letters, digits and punctuation to their half-width forms; then case is ignored. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

const LATIN_TERM = /^[a-z0-9][a-z0-9 .-]*$/;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compileTerm(term: string, prefix: boolean, caseSensitive: boolean): RegExp {
  const folded = caseSensitive ? term.normalize('NFKC') : normaliseText(term);
  // A Latin abbreviation is a word: a letter beside it makes another word (HIVE, TRUSTED); digits, CJK and
  // punctuation do not (HIV-1, 抗HIV抗体, HBsAg阳性). Chinese has no word boundaries, so its terms match anywhere.
  if (!LATIN_TERM.test(normaliseText(term))) return new RegExp(escape(folded), 'u');
  return new RegExp(`(?<![A-Za-z])${escape(folded)}${prefix ? '' : '(?![A-Za-z])'}`, 'u');
}

function fail(file: string, where: string, problem: string): never {
  throw new Error(`${file}: ${where}: ${problem}`);
}

/** Reads and checks a term list; a bad edit stops the service at start-up with the place to fix. */
export function loadSensitiveTerms(
  file: string = path.join(serviceDir('common'), 'data', 'sensitive-terms.json'),
): SensitiveTermList {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; categories?: unknown; terms?: unknown };
  if (typeof raw.version !== 'string' || !raw.version) fail(file, 'version', 'must be a non-empty string');
  if (!Array.isArray(raw.categories) || raw.categories.length === 0)
    fail(file, 'categories', 'must be a non-empty array');
  if (!Array.isArray(raw.terms) || raw.terms.length === 0) fail(file, 'terms', 'must be a non-empty array');
  const categories = new Map<string, SensitiveCategory>();
  raw.categories.forEach((entry: Record<string, unknown>, index: number) => {
    const where = `categories[${index}]`;
    for (const key of ['code', 'labelZh', 'labelEn', 'source'] as const) {
      if (typeof entry[key] !== 'string' || !entry[key]) fail(file, `${where}.${key}`, 'must be a non-empty string');
    }
    if (entry.status !== 'confirmed' && entry.status !== 'unconfirmed')
      fail(file, `${where}.status`, "must be 'confirmed' or 'unconfirmed'");
    if (categories.has(entry.code as string)) fail(file, `${where}.code`, `${String(entry.code)} appears twice`);
    categories.set(entry.code as string, entry as unknown as SensitiveCategory);
  });
  const terms = raw.terms.map((entry: Record<string, unknown>, index: number): CompiledTerm => {
    const where = `terms[${index}]`;
    if (typeof entry.term !== 'string' || !entry.term.trim()) fail(file, `${where}.term`, 'must be a non-empty string');
    if (typeof entry.category !== 'string' || !categories.has(entry.category))
      fail(file, `${where}.category`, `must be one of ${[...categories.keys()].join(', ')}`);
    const caseSensitive = entry.caseSensitive === true;
    return {
      term: entry.term,
      category: entry.category,
      caseSensitive,
      pattern: compileTerm(entry.term, entry.prefix === true, caseSensitive),
    };
  });
  return { version: raw.version, categories, terms };
}

let defaultList: SensitiveTermList | undefined;

/** The platform's term list, read once per process. */
export function sensitiveTerms(): SensitiveTermList {
  defaultList ??= loadSensitiveTerms();
  return defaultList;
}

/** The categories of the listed conditions the text names (sorted, each once); empty when it names none. */
export function matchSensitiveTerms(text: string, list: SensitiveTermList = sensitiveTerms()): string[] {
  if (!text) return [];
  const folded = normaliseText(text);
  const nfkc = text.normalize('NFKC');
  const found = new Set<string>();
  for (const term of list.terms) {
    if (found.has(term.category)) continue;
    if (term.pattern.test(term.caseSensitive ? nfkc : folded)) found.add(term.category);
  }
  return [...found].sort();
}

export interface TextClassification {
  readonly sensitivity: TextSensitivity;
  /** The term categories the text matched (for the audit). */
  readonly categories: readonly string[];
}

export interface TextContext {
  /** The entry the text belongs to carries a sensitive fact (a lab, a sensitive finding, colour or rule). */
  readonly accompaniesSensitiveFact: boolean;
  /** Its author stated the text names no sensitive condition. */
  readonly authorMarkedNotSensitive: boolean;
}

/** The classification stored beside a free-text field when it is written. */
export function classifyText(
  text: string,
  context: TextContext,
  list: SensitiveTermList = sensitiveTerms(),
): TextClassification {
  if (!text.trim()) return { sensitivity: 'plain', categories: [] };
  const categories = matchSensitiveTerms(text, list);
  if (categories.length > 0) return { sensitivity: 'names-sensitive', categories };
  if (!context.accompaniesSensitiveFact) return { sensitivity: 'plain', categories };
  return { sensitivity: context.authorMarkedNotSensitive ? 'author-cleared' : 'accompanies-sensitive', categories };
}

/** The text as this reader may see it: empty when it is sensitive and the reader may not see sensitive facts. */
export function visibleText(text: string, sensitivity: TextSensitivity, maySeeSensitive: boolean): string {
  return maySeeSensitive || !isSensitiveText(sensitivity) ? text : '';
}

/** True when the reader does not see text that is there. */
export function textWithheld(text: string, sensitivity: TextSensitivity, maySeeSensitive: boolean): boolean {
  return text !== '' && visibleText(text, sensitivity, maySeeSensitive) === '';
}

export interface ClassifiedField {
  /** Which field, e.g. `antenatal_visit.notes`. */
  readonly field: string;
  readonly classification: TextClassification;
}

/**
 * Audits every field the term list matched, in the write's transaction: one event per field naming the field, the
 * categories and the list version (never the text), under `text.sensitive-terms`, so a reviewer reading the
 * patient's audit trail sees what was classified and why.
 */
export async function auditSensitiveText(
  tx: Pick<PoolClient, 'query'>,
  ctx: CallContext,
  patientId: string,
  fields: readonly ClassifiedField[],
  list: SensitiveTermList = sensitiveTerms(),
): Promise<void> {
  const matched = fields.filter((field) => field.classification.categories.length > 0);
  await recordAudits(
    tx,
    ctx,
    matched.map((field) => ({
      patientId,
      action: 'text.sensitive-terms',
      outcome: 'allowed' as const,
      reason: `field=${field.field}; categories=${field.classification.categories.join(',')}; list=${list.version}`,
    })),
  );
}

/**
 * Classifies each named text of a write (`entity.field` in the audit), audits the term matches in the write's
 * transaction and returns each field's classification to store beside it.
 */
export async function classifyWriteText<Field extends string>(
  tx: Pick<PoolClient, 'query'>,
  ctx: CallContext,
  patientId: string,
  entity: string,
  texts: Readonly<Record<Field, string>>,
  context: TextContext,
): Promise<Record<Field, TextSensitivity>> {
  const fields = (Object.keys(texts) as Field[]).map((field) => ({
    field,
    classification: classifyText(texts[field], context),
  }));
  await auditSensitiveText(
    tx,
    ctx,
    patientId,
    fields.map(({ field, classification }) => ({ field: `${entity}.${field}`, classification })),
  );
  return Object.fromEntries(fields.map(({ field, classification }) => [field, classification.sensitivity])) as Record<
    Field,
    TextSensitivity
  >;
}

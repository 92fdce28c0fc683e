// The review (评审) of a reported death, county panel first, then prefecture: the conclusion on avoidability and the
// contributing factors as cells of the 十二格表 grid (3 links × 4 aspects), never free text. The grid, the conclusions
// and each level's due days are data (services/records/data/death-review.json, with its sources and confirmation).
import { Violations } from '../../../common/src/errors';
import { dayNumberOf, isoDateOf, IsoDate, parseIsoDate } from './calendar';
import { DataFileError } from './data-file';

export const REVIEW_LEVELS = ['county', 'prefecture'] as const;
export type ReviewLevel = (typeof REVIEW_LEVELS)[number];

export interface CodedTerm {
  readonly code: string;
  readonly zh: string;
}

export interface ReviewConclusion extends CodedTerm {
  /** Whether the conclusion must name at least one contributing factor (an avoidable death has causes to act on). */
  readonly needsFactors: boolean;
}

export interface DeathReviewRules {
  readonly id: string;
  readonly confirmed: boolean;
  readonly links: ReadonlyMap<string, CodedTerm>;
  readonly aspects: ReadonlyMap<string, CodedTerm>;
  readonly conclusions: ReadonlyMap<string, ReviewConclusion>;
  readonly dueDaysAfterDeath: Readonly<Record<ReviewLevel, number>>;
}

const FILE = 'death-review.json';
const CODE = /^[a-z][a-z0-9_]*$/;

function terms<T extends CodedTerm>(
  list: unknown,
  field: string,
  extra: (entry: Record<string, unknown>) => T,
): Map<string, T> {
  if (!Array.isArray(list) || list.length === 0) throw new DataFileError(FILE, field, 'must be a non-empty list');
  const out = new Map<string, T>();
  (list as Record<string, unknown>[]).forEach((entry, index) => {
    if (typeof entry.code !== 'string' || !CODE.test(entry.code) || typeof entry.zh !== 'string')
      throw new DataFileError(FILE, `${field}[${index}]`, 'needs a snake_case code and a zh label');
    if (out.has(entry.code))
      throw new DataFileError(FILE, `${field}[${index}].code`, `"${entry.code}" is defined twice`);
    out.set(entry.code, extra(entry));
  });
  return out;
}

/** Checks the text of death-review.json; a bad file fails naming itself and the place in it. */
export function parseDeathReviewRules(text: string): DeathReviewRules {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (typeof raw.id !== 'string') throw new DataFileError(FILE, 'id', 'is required');
  const due = raw.dueDaysAfterDeath as Record<string, unknown> | undefined;
  const dueDays = {} as Record<ReviewLevel, number>;
  for (const level of REVIEW_LEVELS) {
    const days = due?.[level];
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1)
      throw new DataFileError(FILE, `dueDaysAfterDeath.${level}`, 'must be a whole number of days ≥ 1');
    dueDays[level] = days;
  }
  if (dueDays.prefecture < dueDays.county)
    throw new DataFileError(FILE, 'dueDaysAfterDeath.prefecture', 'must not fall before the county review');
  const plain = (entry: Record<string, unknown>): CodedTerm => ({ code: entry.code as string, zh: entry.zh as string });
  return {
    id: raw.id,
    confirmed: raw.confirmed === true,
    links: terms(raw.links, 'links', plain),
    aspects: terms(raw.aspects, 'aspects', plain),
    conclusions: terms(raw.conclusions, 'conclusions', (entry) => {
      if (typeof entry.needsFactors !== 'boolean')
        throw new DataFileError(FILE, `conclusions.${String(entry.code)}.needsFactors`, 'must be true or false');
      return { ...plain(entry), needsFactors: entry.needsFactors };
    }),
    dueDaysAfterDeath: dueDays,
  };
}

export interface ReviewFactor {
  readonly link: string;
  readonly aspect: string;
}

export interface DeathReviewInput {
  readonly level: string;
  readonly conclusion: string;
  readonly factors: readonly ReviewFactor[];
  readonly panelDate: string;
}

export interface CheckedDeathReview {
  readonly level: ReviewLevel;
  readonly conclusion: ReviewConclusion;
  /** Distinct cells, in the grid's order (links, then aspects). */
  readonly factors: readonly ReviewFactor[];
  readonly panelDate: IsoDate;
}

/**
 * A review of a death reported on `deathDate`, given the levels already reviewed: the county panel first, the
 * prefecture's after it, each once; the panel sat on or after the death and not in the future; every factor a cell of
 * the grid; an avoidable death names at least one.
 */
export function checkDeathReview(
  input: DeathReviewInput,
  report: { readonly deathDate: IsoDate; readonly reviewed: readonly ReviewLevel[] },
  rules: DeathReviewRules,
  today: IsoDate,
): CheckedDeathReview {
  const violations = new Violations();
  const level = input.level.trim().toLowerCase();
  const isLevel = (REVIEW_LEVELS as readonly string[]).includes(level);
  if (!isLevel) violations.add('level', `must be one of ${REVIEW_LEVELS.join(', ')}`);
  const conclusion = rules.conclusions.get(input.conclusion.trim());
  if (!conclusion) violations.add('conclusion', `must be one of ${[...rules.conclusions.keys()].join(', ')}`);
  const cells = new Set<string>();
  input.factors.forEach((factor, index) => {
    if (!rules.links.has(factor.link))
      violations.add(`factors[${index}].link`, `must be one of ${[...rules.links.keys()].join(', ')}`);
    if (!rules.aspects.has(factor.aspect))
      violations.add(`factors[${index}].aspect`, `must be one of ${[...rules.aspects.keys()].join(', ')}`);
    const cell = `${factor.link}/${factor.aspect}`;
    if (cells.has(cell)) violations.add(`factors[${index}]`, `names the cell ${cell} twice`);
    cells.add(cell);
  });
  if (conclusion?.needsFactors && input.factors.length === 0)
    violations.add('factors', `${conclusion.zh} needs at least one contributing factor on the 十二格表 grid`);
  const panel = input.panelDate ? dayNumberOf(input.panelDate) : undefined;
  if (!input.panelDate) violations.add('panelDate', 'is required (YYYY-MM-DD)');
  else if (panel === undefined) violations.add('panelDate', 'must be a date YYYY-MM-DD');
  else if (panel < parseIsoDate(report.deathDate, 'deathDate'))
    violations.add('panelDate', `must not be before the death (${report.deathDate})`);
  else if (panel > parseIsoDate(today, 'today')) violations.add('panelDate', 'must not be in the future');
  if (isLevel) {
    if (report.reviewed.includes(level as ReviewLevel))
      violations.add('level', `the ${level} review of this death is already concluded`);
    else if (level === 'prefecture' && !report.reviewed.includes('county'))
      violations.add('level', 'the county review comes first: the prefecture reviews a death the county has reviewed');
  }
  violations.throwIfAny();
  const links = [...rules.links.keys()];
  const aspects = [...rules.aspects.keys()];
  const order = (factor: ReviewFactor): number =>
    links.indexOf(factor.link) * aspects.length + aspects.indexOf(factor.aspect);
  return {
    level: level as ReviewLevel,
    conclusion: conclusion as ReviewConclusion,
    factors: [...input.factors].map(({ link, aspect }) => ({ link, aspect })).sort((a, b) => order(a) - order(b)),
    panelDate: input.panelDate,
  };
}

export interface ReviewDue {
  readonly level: ReviewLevel;
  readonly dueDate: IsoDate;
  readonly overdue: boolean;
}

/** The next review a death awaits, when it is due and whether it is overdue; undefined once the prefecture reviewed. */
export function nextReviewDue(
  deathDate: IsoDate,
  reviewed: readonly ReviewLevel[],
  rules: DeathReviewRules,
  today: IsoDate,
): ReviewDue | undefined {
  const level = REVIEW_LEVELS.find((candidate) => !reviewed.includes(candidate));
  if (!level) return undefined;
  const due = parseIsoDate(deathDate, 'deathDate') + rules.dueDaysAfterDeath[level];
  return { level, dueDate: isoDateOf(due), overdue: parseIsoDate(today, 'today') > due };
}

// Maternal near miss (WHO 2011): a woman who nearly died but survived a complication during pregnancy, childbirth or
// within 42 days of the end of pregnancy, identified by at least one life-threatening condition of the WHO list
// (services/records/data/near-miss-criteria.json, with its source). A recorded event, counted over live births.
import { Violations } from '../../../common/src/errors';
import { dayNumberOf, IsoDate, parseIsoDate } from './calendar';
import { DataFileError } from './data-file';

export interface NearMissCriterion {
  readonly code: string;
  readonly system: string;
  readonly type: 'clinical' | 'laboratory' | 'management';
  readonly en: string;
  readonly zh: string;
}

export interface NearMissCriteria {
  readonly id: string;
  readonly confirmed: boolean;
  readonly windowDaysAfterPregnancyEnd: number;
  readonly criteria: ReadonlyMap<string, NearMissCriterion>;
}

const FILE = 'near-miss-criteria.json';
const TYPES = new Set(['clinical', 'laboratory', 'management']);

/** Checks the text of near-miss-criteria.json; a bad file fails naming itself and the place in it. */
export function parseNearMissCriteria(text: string): NearMissCriteria {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (typeof raw.id !== 'string') throw new DataFileError(FILE, 'id', 'is required');
  const window = raw.windowDaysAfterPregnancyEnd;
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 0)
    throw new DataFileError(FILE, 'windowDaysAfterPregnancyEnd', 'must be a whole number of days');
  if (!Array.isArray(raw.criteria) || raw.criteria.length === 0)
    throw new DataFileError(FILE, 'criteria', 'must be a non-empty list');
  const criteria = new Map<string, NearMissCriterion>();
  (raw.criteria as Record<string, unknown>[]).forEach((entry, index) => {
    const where = `criteria[${index}]`;
    if (typeof entry.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(entry.code))
      throw new DataFileError(FILE, `${where}.code`, 'must be a snake_case code');
    if (criteria.has(entry.code)) throw new DataFileError(FILE, `${where}.code`, `"${entry.code}" is defined twice`);
    if (typeof entry.type !== 'string' || !TYPES.has(entry.type))
      throw new DataFileError(FILE, `${where}.type`, 'must be clinical, laboratory or management');
    for (const field of ['system', 'en', 'zh'] as const)
      if (typeof entry[field] !== 'string' || !entry[field])
        throw new DataFileError(FILE, `${where}.${field}`, 'is required');
    criteria.set(entry.code, entry as unknown as NearMissCriterion);
  });
  return { id: raw.id, confirmed: raw.confirmed === true, windowDaysAfterPregnancyEnd: window, criteria };
}

export interface NearMissInput {
  readonly eventDate: string;
  readonly criteria: readonly string[];
}

/**
 * A near-miss event of a pregnancy: on or after its LMP, not in the future, not past the window after its end (when it
 * ended), with at least one criterion of the list and none twice. Returns the criteria in the list's order.
 */
export function checkNearMiss(
  input: NearMissInput,
  pregnancy: { readonly lmp: IsoDate; readonly endDate: IsoDate | undefined },
  list: NearMissCriteria,
  today: IsoDate,
): { eventDate: IsoDate; criteria: string[] } {
  const violations = new Violations();
  const day = input.eventDate ? dayNumberOf(input.eventDate) : undefined;
  if (!input.eventDate) violations.add('eventDate', 'is required (YYYY-MM-DD)');
  else if (day === undefined) violations.add('eventDate', 'must be a date YYYY-MM-DD');
  else if (day > parseIsoDate(today, 'today')) violations.add('eventDate', 'must not be in the future');
  else if (day < parseIsoDate(pregnancy.lmp, 'lmp'))
    violations.add('eventDate', `must not be before the pregnancy began (LMP ${pregnancy.lmp})`);
  else if (pregnancy.endDate && day > parseIsoDate(pregnancy.endDate, 'endDate') + list.windowDaysAfterPregnancyEnd) {
    violations.add(
      'eventDate',
      `must be within ${list.windowDaysAfterPregnancyEnd} days of the end of pregnancy (${pregnancy.endDate})`,
    );
  }
  if (input.criteria.length === 0)
    violations.add('criteria', 'at least one WHO near-miss criterion (life-threatening condition) is required');
  const seen = new Set<string>();
  input.criteria.forEach((code, index) => {
    if (!list.criteria.has(code))
      violations.add(`criteria[${index}]`, `"${code}" is not a WHO near-miss criterion of ${list.id}`);
    else if (seen.has(code)) violations.add(`criteria[${index}]`, `"${code}" is given twice`);
    seen.add(code);
  });
  violations.throwIfAny();
  const order = [...list.criteria.keys()];
  return {
    eventDate: input.eventDate,
    criteria: [...seen].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
  };
}

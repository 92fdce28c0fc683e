// The extra visits of high-risk case management (专案管理, #25 §3): for a woman under it, the next antenatal visit is
// due within the interval of her most serious colour after her last one (`data/case-management-follow-up.json`).
import { addDays, IsoDate, isoDateOf, parseIsoDate } from '../calendar';
import { JsonNode } from '../data-file';
import { ItemState } from './engine';
import { Confirmation } from './schedule';

export interface CaseManagementIntervals {
  /** Colour → days between visits; a colour not listed adds no visits. */
  readonly days: ReadonlyMap<string, number>;
  readonly confirmation: ReadonlyMap<string, Confirmation>;
}

export function parseCaseManagementIntervals(file: string, text: string): CaseManagementIntervals {
  const root = JsonNode.parse(file, text);
  root.onlyKeys(['description', 'source', 'intervals']);
  root.field('source').string();
  const days = new Map<string, number>();
  const confirmation = new Map<string, Confirmation>();
  for (const node of root.field('intervals').nonEmptyArray()) {
    node.onlyKeys(['colour', 'days', 'confirmation', 'evidence']);
    const colour = node.field('colour').string();
    const interval = node.field('days').integer();
    if (interval < 1) node.field('days').fail('must be at least 1 day');
    if (days.has(colour)) node.field('colour').fail(`"${colour}" is listed twice`);
    const stated = node.field('confirmation').string();
    if (stated !== 'confirmed' && stated !== 'unconfirmed')
      node.field('confirmation').fail('must be "confirmed" or "unconfirmed"');
    node.field('evidence').string();
    days.set(colour, interval);
    confirmation.set(colour, stated as Confirmation);
  }
  return { days, confirmation };
}

/**
 * The follow-up item for a woman under case management, or undefined (not under it, no interval for her colours, or
 * delivered). Opens on her last visit, due `days` after it and overdue the day after that; with no visit yet, from the
 * grade.
 */
export function caseManagementFollowUp(
  intervals: CaseManagementIntervals,
  pregnancy: {
    readonly inCaseManagement: boolean;
    readonly colours: readonly string[];
    readonly gradedOn: IsoDate | undefined;
    readonly visitDates: readonly IsoDate[];
    readonly delivered: boolean;
  },
  today: IsoDate,
): ItemState | undefined {
  if (!pregnancy.inCaseManagement || pregnancy.delivered) return undefined;
  const known = pregnancy.colours
    .map((colour) => intervals.days.get(colour))
    .filter((d): d is number => d !== undefined);
  if (known.length === 0) return undefined;
  const interval = Math.min(...known);
  const last = [...pregnancy.visitDates, ...(pregnancy.gradedOn ? [pregnancy.gradedOn] : [])].sort().at(-1);
  if (!last) return undefined;
  const from = parseIsoDate(last, 'lastVisit');
  const dueOn = isoDateOf(addDays(from, interval));
  const overdueOn = isoDateOf(addDays(from, interval + 1));
  return {
    itemId: 'case-management-follow-up',
    label: {
      zh: `高危专案管理随访（每${interval}天1次产前检查）`,
      en: `high-risk case management follow-up (an antenatal visit every ${interval} days)`,
    },
    type: 'visit',
    service: 'antenatal-visit',
    status: today >= overdueOn ? 'overdue' : today >= dueOn ? 'due' : 'open',
    opensOn: last,
    dueOn,
    overdueOn,
  };
}

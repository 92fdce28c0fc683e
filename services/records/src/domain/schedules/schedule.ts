// Care and immunization schedules as versioned data: the file format, its validation at load, and choosing a
// schedule by id or as the version of a programme in force on a date. Applying one is in engine.ts.
import { InvalidArgumentError } from '../../../../common/src/errors';
import { addOffset, CalendarOffset, dayNumberOf, IsoDate, isoDateOf, parseIsoDate } from '../calendar';
import { BilingualLabel, JsonNode } from '../data-file';

export const SCHEDULE_KINDS = ['antenatal', 'postpartum', 'child-health', 'immunization'] as const;

export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** The date an item is counted from. `lmp` is the dating anchor (from the working EDD when there is one). */
export const ANCHORS = ['lmp', 'delivery', 'discharge', 'birth'] as const;

export type Anchor = (typeof ANCHORS)[number];

/** Which anchors make sense for which kind: a child's check never counts from an LMP. */
const ANCHORS_BY_KIND: Readonly<Record<ScheduleKind, readonly Anchor[]>> = {
  antenatal: ['lmp'],
  postpartum: ['delivery', 'discharge'],
  'child-health': ['birth', 'discharge'],
  immunization: ['birth', 'discharge'],
};

interface ItemBase {
  readonly id: string;
  readonly label: BilingualLabel;
  readonly anchor: Anchor;
  /** From this date the item may be done. */
  readonly opens: CalendarOffset;
  /** From this date it should be done: reminders start. */
  readonly due: CalendarOffset;
  /** From this date it is late. */
  readonly overdue: CalendarOffset;
  /** From this date it can no longer be done (or no longer counts) and is not applicable; absent = never. */
  readonly closes: CalendarOffset | undefined;
}

/** A check or visit, satisfied by a visit of its service dated inside its window. */
export interface VisitItem extends ItemBase {
  readonly type: 'visit';
  readonly service: string;
  /**
   * `window`: an unused visit dated from `opens` until `closes`. `first`: the first visit of the service on or after
   * `opens`, whenever it was, shared with the window it also falls in (a first visit at 18 weeks is both a late
   * registration and the 16–20 week check).
   */
  readonly match: 'window' | 'first';
}

export interface MinimumInterval extends CalendarOffset {
  /** The item the interval counts from; by default the previous dose of the same vaccine. */
  readonly after: string;
}

/** One dose of a programme vaccine. */
export interface DoseItem extends ItemBase {
  readonly type: 'dose';
  readonly vaccine: string;
  readonly dose: number;
  /** Product codes that count as this dose (e.g. IPV or bOPV for a polio dose); always includes `vaccine`. */
  readonly products: readonly string[];
  readonly minInterval: MinimumInterval | undefined;
}

export type ScheduleItem = VisitItem | DoseItem;

export interface Schedule {
  /** One version of a programme, e.g. `cn-nip-2021`. */
  readonly id: string;
  /** The programme the version belongs to, e.g. `cn-nip`; versions of one programme replace each other by date. */
  readonly programme: string;
  readonly kind: ScheduleKind;
  readonly title: BilingualLabel;
  readonly effectiveFrom: IsoDate;
  readonly source: string;
  readonly items: readonly ScheduleItem[];
}

const CODE_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const OFFSET_KEYS = ['years', 'months', 'weeks', 'days'] as const;
/** Anchors for the ordering check: month ends and a leap day, where calendar-month arithmetic is least regular. */
const PROBE_ANCHORS = ['2023-01-31', '2024-02-29', '2024-08-31', '2025-03-01'].map((date) => dayNumberOf(date) as number);

/** Parses and validates one schedule file; any fault is a DataFileError naming the file and the place in it. */
export function parseSchedule(file: string, text: string): Schedule {
  const root = JsonNode.parse(file, text);
  root.onlyKeys(['id', 'programme', 'kind', 'title', 'effectiveFrom', 'source', 'notes', 'items']);
  root.optionalField('notes')?.array().forEach((note) => note.string());
  const kindNode = root.field('kind');
  const kind = kindNode.string();
  if (!(SCHEDULE_KINDS as readonly string[]).includes(kind)) kindNode.fail(`unknown kind "${kind}" (kinds: ${SCHEDULE_KINDS.join(', ')})`);
  const allowedAnchors = ANCHORS_BY_KIND[kind as ScheduleKind];

  const items: ScheduleItem[] = [];
  for (const node of root.field('items').nonEmptyArray()) {
    const item = parseItem(node, allowedAnchors, items);
    if (items.some((earlier) => earlier.id === item.id)) node.field('id').fail(`item id "${item.id}" is used twice`);
    items.push(item);
  }
  return {
    id: code(root.field('id')),
    programme: code(root.field('programme')),
    kind: kind as ScheduleKind,
    title: root.field('title').label(),
    effectiveFrom: isoDateOf(root.field('effectiveFrom').date()),
    source: root.field('source').string(),
    items,
  };
}

function parseItem(node: JsonNode, allowedAnchors: readonly Anchor[], earlier: readonly ScheduleItem[]): ScheduleItem {
  const isDose = node.isObject() && node.has('vaccine');
  node.onlyKeys(
    isDose
      ? ['id', 'label', 'anchor', 'vaccine', 'dose', 'products', 'minInterval', 'opens', 'due', 'overdue', 'closes', 'note']
      : ['id', 'label', 'anchor', 'service', 'match', 'opens', 'due', 'overdue', 'closes', 'note'],
  );
  node.optionalField('note')?.string();
  const anchorNode = node.field('anchor');
  const anchor = anchorNode.string();
  if (!(allowedAnchors as readonly string[]).includes(anchor)) anchorNode.fail(`anchor must be one of ${allowedAnchors.join(', ')} for this kind of schedule`);
  const closesNode = node.optionalField('closes');
  const base: ItemBase = {
    id: code(node.field('id')),
    label: node.field('label').label(),
    anchor: anchor as Anchor,
    opens: offset(node.field('opens')),
    due: offset(node.field('due')),
    overdue: offset(node.field('overdue')),
    closes: closesNode ? offset(closesNode) : undefined,
  };
  checkOrder(node, base);

  if (!isDose) {
    const matchNode = node.optionalField('match');
    const match = matchNode?.string() ?? 'window';
    if (match !== 'window' && match !== 'first') matchNode?.fail('match must be "window" or "first"');
    return { ...base, type: 'visit', service: code(node.field('service')), match: match as 'window' | 'first' };
  }

  const vaccine = node.field('vaccine').string();
  const doseNode = node.field('dose');
  const dose = doseNode.integer();
  const sameVaccine = earlier.filter((item): item is DoseItem => item.type === 'dose' && item.vaccine === vaccine);
  // Doses are numbered 1, 2, 3 in file order, so "the previous dose" is always an item already read.
  if (dose !== sameVaccine.length + 1) doseNode.fail(`${vaccine} dose ${dose} follows ${sameVaccine.length} earlier dose(s); expected dose ${sameVaccine.length + 1}`);
  const products = node.optionalField('products')?.nonEmptyArray().map((product) => product.string()) ?? [];

  const intervalNode = node.optionalField('minInterval');
  let minInterval: MinimumInterval | undefined;
  if (intervalNode) {
    intervalNode.onlyKeys(['after', ...OFFSET_KEYS]);
    const afterNode = intervalNode.optionalField('after');
    const previous = sameVaccine[sameVaccine.length - 1];
    const after = afterNode?.string() ?? previous?.id;
    if (after === undefined) throw intervalNode.error(`a minimum interval on ${vaccine} dose 1 must say which item it counts from ("after")`);
    if (!earlier.some((item) => item.type === 'dose' && item.id === after)) {
      (afterNode ?? intervalNode).fail(`"${after}" is not an earlier dose in this schedule`);
    }
    minInterval = { after, ...offset(intervalNode, ['after']) };
  }
  return {
    ...base,
    type: 'dose',
    vaccine,
    dose,
    products: [vaccine, ...products.filter((product) => product !== vaccine)],
    minInterval,
  };
}

function offset(node: JsonNode, alsoAllowed: readonly string[] = []): CalendarOffset {
  node.onlyKeys([...OFFSET_KEYS, ...alsoAllowed]);
  const parts: Record<string, number> = {};
  for (const key of OFFSET_KEYS) {
    const part = node.optionalField(key);
    if (part) parts[key] = part.integer();
  }
  if (Object.keys(parts).length === 0) node.fail(`an offset needs at least one of ${OFFSET_KEYS.join(', ')}`);
  return parts;
}

/** opens ≤ due ≤ overdue ≤ closes at every probe anchor; month arithmetic makes a day-count comparison unreliable. */
function checkOrder(node: JsonNode, item: ItemBase): void {
  for (const anchor of PROBE_ANCHORS) {
    const [opens, due, overdue] = [addOffset(anchor, item.opens), addOffset(anchor, item.due), addOffset(anchor, item.overdue)];
    if (!(opens <= due && due < overdue)) node.fail('the window must satisfy opens ≤ due < overdue');
    if (item.closes && addOffset(anchor, item.closes) < overdue) node.fail('"closes" must not come before "overdue"');
  }
}

function code(node: JsonNode): string {
  const value = node.string();
  if (!CODE_PATTERN.test(value)) node.fail(`"${value}" must be lowercase letters, digits and "-"`);
  return value;
}

/** The schedules the service knows. */
export interface ScheduleCatalogue {
  readonly schedules: readonly Schedule[];
}

export function scheduleCatalogue(schedules: readonly Schedule[]): ScheduleCatalogue {
  const seen = new Set<string>();
  for (const schedule of schedules) {
    if (seen.has(schedule.id)) throw new Error(`schedule "${schedule.id}" is defined twice`);
    seen.add(schedule.id);
  }
  // Two versions of a programme starting the same day would make "the version in force" ambiguous.
  for (const schedule of schedules) {
    const sameDay = schedules.find((other) => other !== schedule && other.programme === schedule.programme && other.effectiveFrom === schedule.effectiveFrom);
    if (sameDay) throw new Error(`schedules "${schedule.id}" and "${sameDay.id}" both start ${schedule.programme} on ${schedule.effectiveFrom}`);
  }
  return { schedules: [...schedules] };
}

export function findSchedule(catalogue: ScheduleCatalogue, id: string, field = 'scheduleId'): Schedule {
  const schedule = catalogue.schedules.find((candidate) => candidate.id === id);
  if (!schedule) throw InvalidArgumentError.field(field, `unknown schedule "${id}"`);
  return schedule;
}

/**
 * The version of a programme in force on a date: the latest that took effect on or before it. A date before every
 * version held (a child born before the 2021 immunization programme, now 5 years old and still in care) gets the
 * earliest one: its predecessors are not in the data, and each edition replaced the last for everyone still in care.
 */
export function scheduleInForce(catalogue: ScheduleCatalogue, programme: string, onDate: IsoDate, field = 'onDate'): Schedule {
  const day = parseIsoDate(onDate, field);
  const versions = catalogue.schedules.filter((schedule) => schedule.programme === programme).sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom));
  if (versions.length === 0) throw InvalidArgumentError.field(field, `no version of ${programme} is known`);
  return versions.find((schedule) => parseIsoDate(schedule.effectiveFrom, 'effectiveFrom') <= day) ?? (versions.at(-1) as Schedule);
}

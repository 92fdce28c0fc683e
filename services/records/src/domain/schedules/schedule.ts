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
  /** Where a guideline schedule's item comes from, and whether its window was checked against the source text. */
  readonly provenance?: { readonly source: string; readonly confirmation: Confirmation; readonly evidence: string };
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
  /**
   * On a schedule a child moved to part-way (a transition), the earlier edition's item for the same dose: a dose
   * given before the switch date is judged by its window, not by this edition's.
   */
  readonly previous?: DoseItem;
}

export type ScheduleItem = VisitItem | DoseItem;

/** Whether a rule's text was checked against its source; `evidence` says what was and was not. */
export type Confirmation = 'confirmed' | 'unconfirmed';

/** What the record says of the mother's HBsAg in the pregnancy the child was born of; `unknown`: no result recorded. */
export const MATERNAL_HBSAG = ['positive', 'negative', 'unknown'] as const;

export type MaternalHbsag = (typeof MATERNAL_HBSAG)[number];

/** Every condition given must hold; a fact the record does not have makes its condition false. */
export interface SpecialCondition {
  readonly maternalHbsag?: readonly MaternalHbsag[];
  readonly birthWeightBelowGrams?: number;
  readonly gestationalDaysAtLeast?: number;
  readonly gestationalDaysBelow?: number;
}

/** A change to one item's label, anchor or window when a special rule applies. */
export interface ItemAdjustment {
  readonly item: string;
  readonly label?: BilingualLabel;
  readonly anchor?: Anchor;
  readonly opens?: CalendarOffset;
  readonly due?: CalendarOffset;
  readonly overdue?: CalendarOffset;
  readonly closes?: CalendarOffset;
  readonly minInterval?: MinimumInterval;
}

/** A rule for some children (an HBsAg-exposed or low birth weight infant, a preterm one): adjusted and added items. */
export interface SpecialRule {
  readonly id: string;
  readonly label: BilingualLabel;
  readonly when: SpecialCondition;
  readonly adjust: readonly ItemAdjustment[];
  readonly add: readonly ScheduleItem[];
  readonly source: string;
  readonly confirmation: Confirmation;
  readonly evidence: string;
}

/** Alternative vaccines for the same protection (live or inactivated JE): a child follows one of them. */
export interface RouteGroup {
  readonly id: string;
  readonly vaccines: readonly string[];
  /** The route until a dose of another is recorded. */
  readonly default: string;
  readonly source: string;
  readonly confirmation: Confirmation;
  readonly evidence: string;
}

/** A contraindication a dose can be deferred for (the programme's general principles), with its source. */
export interface DeferralReason {
  readonly code: string;
  readonly label: BilingualLabel;
  readonly source: string;
  readonly confirmation: Confirmation;
  readonly evidence: string;
}

/** An edition that is an earlier one with some vaccines' doses replaced. */
export interface ScheduleBasis {
  readonly schedule: string;
  readonly replacesVaccines: readonly string[];
}

/** Which children born before an edition moves to it, and how (the notice's transition rule). */
export interface ScheduleTransition {
  readonly bornOnOrAfter: IsoDate;
  readonly rule: string;
  readonly source: string;
  readonly confirmation: Confirmation;
  readonly evidence: string;
}

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
  readonly special: readonly SpecialRule[];
  readonly routes: readonly RouteGroup[];
  readonly deferralReasons: readonly DeferralReason[];
  readonly basedOn?: ScheduleBasis;
  readonly transition?: ScheduleTransition;
  /** Set on the schedule of a child who moved to this edition part-way: the edition it left and the switch date. */
  readonly transitionFrom?: { readonly scheduleId: string; readonly switchOn: IsoDate };
}

const CODE_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const OFFSET_KEYS = ['years', 'months', 'weeks', 'days'] as const;
/** Anchors for the ordering check: month ends and a leap day, where calendar-month arithmetic is least regular. */
const PROBE_ANCHORS = ['2023-01-31', '2024-02-29', '2024-08-31', '2025-03-01'].map(
  (date) => dayNumberOf(date) as number,
);

/** Parses and validates one schedule file; any fault is a DataFileError naming the file and the place in it. */
export function parseSchedule(file: string, text: string): Schedule {
  const root = JsonNode.parse(file, text);
  root.onlyKeys([
    'id',
    'programme',
    'kind',
    'title',
    'effectiveFrom',
    'source',
    'notes',
    'items',
    'special',
    'routes',
    'deferralReasons',
    'basedOn',
    'transition',
  ]);
  root
    .optionalField('notes')
    ?.array()
    .forEach((note) => note.string());
  const kindNode = root.field('kind');
  const kind = kindNode.string();
  if (!(SCHEDULE_KINDS as readonly string[]).includes(kind))
    kindNode.fail(`unknown kind "${kind}" (kinds: ${SCHEDULE_KINDS.join(', ')})`);
  const allowedAnchors = ANCHORS_BY_KIND[kind as ScheduleKind];

  const items: ScheduleItem[] = [];
  for (const node of root.field('items').nonEmptyArray()) {
    const item = parseItem(node, allowedAnchors, items);
    if (items.some((earlier) => earlier.id === item.id)) node.field('id').fail(`item id "${item.id}" is used twice`);
    items.push(item);
  }
  // The rules see the file's items and the items earlier rules add; the schedule's own items stay the file's.
  const known = [...items];
  const special = (root.optionalField('special')?.array() ?? []).map((node) =>
    parseSpecialRule(node, allowedAnchors, known),
  );
  const routes = (root.optionalField('routes')?.array() ?? []).map((node) => parseRoute(node));
  const deferralReasons = (root.optionalField('deferralReasons')?.array() ?? []).map((node) =>
    parseDeferralReason(node),
  );
  if (new Set(deferralReasons.map((reason) => reason.code)).size !== deferralReasons.length)
    root.field('deferralReasons').fail('a code is used twice');
  const basedOnNode = root.optionalField('basedOn');
  const transitionNode = root.optionalField('transition');
  if (transitionNode && !basedOnNode)
    transitionNode.fail('a transition needs "basedOn" (the edition children move from)');
  return {
    id: code(root.field('id')),
    programme: code(root.field('programme')),
    kind: kind as ScheduleKind,
    title: root.field('title').label(),
    effectiveFrom: isoDateOf(root.field('effectiveFrom').date()),
    source: root.field('source').string(),
    items,
    special,
    routes,
    deferralReasons,
    ...(basedOnNode ? { basedOn: parseBasis(basedOnNode) } : {}),
    ...(transitionNode ? { transition: parseTransition(transitionNode) } : {}),
  };
}

const CONFIRMATIONS: readonly Confirmation[] = ['confirmed', 'unconfirmed'];

function confirmationOf(node: JsonNode): Confirmation {
  const value = node.string();
  if (!(CONFIRMATIONS as readonly string[]).includes(value)) node.fail('must be "confirmed" or "unconfirmed"');
  return value as Confirmation;
}

/** A special rule: its conditions, adjustments of earlier items and added items, each rule with its source. */
function parseSpecialRule(node: JsonNode, allowedAnchors: readonly Anchor[], items: ScheduleItem[]): SpecialRule {
  node.onlyKeys(['id', 'label', 'when', 'adjust', 'add', 'source', 'confirmation', 'evidence', 'note']);
  node.optionalField('note')?.string();
  const whenNode = node.field('when');
  whenNode.onlyKeys(['maternalHbsag', 'birthWeightBelowGrams', 'gestationalDaysAtLeast', 'gestationalDaysBelow']);
  const when: Record<string, unknown> = {};
  const hbsag = whenNode.optionalField('maternalHbsag');
  if (hbsag) {
    when.maternalHbsag = hbsag.nonEmptyArray().map((value) => {
      const result = value.string();
      if (!(MATERNAL_HBSAG as readonly string[]).includes(result))
        value.fail(`must be one of ${MATERNAL_HBSAG.join(', ')}`);
      return result;
    });
  }
  for (const key of ['birthWeightBelowGrams', 'gestationalDaysAtLeast', 'gestationalDaysBelow'] as const) {
    const value = whenNode.optionalField(key);
    if (value) {
      const number = value.integer();
      if (number <= 0) value.fail('must be positive');
      when[key] = number;
    }
  }
  if (Object.keys(when).length === 0) whenNode.fail('a special rule needs at least one condition');
  const adjust = (node.optionalField('adjust')?.array() ?? []).map((adjustment) =>
    parseAdjustment(adjustment, allowedAnchors, items),
  );
  const add: ScheduleItem[] = [];
  for (const itemNode of node.optionalField('add')?.array() ?? []) {
    const item = parseItem(itemNode, allowedAnchors, items);
    if (items.some((earlier) => earlier.id === item.id))
      itemNode.field('id').fail(`item id "${item.id}" is used twice`);
    // Later rules may adjust an added item, and added doses number on from the file's.
    items.push(item);
    add.push(item);
  }
  if (adjust.length === 0 && add.length === 0) node.fail('a special rule must adjust or add at least one item');
  return {
    id: code(node.field('id')),
    label: node.field('label').label(),
    when,
    adjust,
    add,
    source: node.field('source').string(),
    confirmation: confirmationOf(node.field('confirmation')),
    evidence: node.field('evidence').string(),
  };
}

function parseAdjustment(
  node: JsonNode,
  allowedAnchors: readonly Anchor[],
  items: readonly ScheduleItem[],
): ItemAdjustment {
  node.onlyKeys(['item', 'label', 'anchor', 'opens', 'due', 'overdue', 'closes', 'minInterval']);
  const itemNode = node.field('item');
  const target = items.find((item) => item.id === itemNode.string());
  if (!target)
    throw itemNode.error(`"${itemNode.string()}" is not an item of this schedule (or one an earlier rule adds)`);
  const adjustment: { -readonly [K in keyof ItemAdjustment]: ItemAdjustment[K] } = { item: target.id };
  const labelNode = node.optionalField('label');
  if (labelNode) adjustment.label = labelNode.label();
  const anchorNode = node.optionalField('anchor');
  if (anchorNode) {
    const anchor = anchorNode.string();
    if (!(allowedAnchors as readonly string[]).includes(anchor))
      anchorNode.fail(`anchor must be one of ${allowedAnchors.join(', ')} for this kind of schedule`);
    adjustment.anchor = anchor as Anchor;
  }
  for (const key of ['opens', 'due', 'overdue', 'closes'] as const) {
    const offsetNode = node.optionalField(key);
    if (offsetNode) adjustment[key] = offset(offsetNode);
  }
  const intervalNode = node.optionalField('minInterval');
  if (intervalNode) {
    if (target.type !== 'dose') intervalNode.fail('only a dose has a minimum interval');
    intervalNode.onlyKeys(['after', ...OFFSET_KEYS]);
    const after =
      intervalNode.optionalField('after')?.string() ?? (target.type === 'dose' ? target.minInterval?.after : undefined);
    if (after === undefined || !items.some((item) => item.type === 'dose' && item.id === after && item !== target))
      throw intervalNode.error('must count from an earlier dose ("after")');
    adjustment.minInterval = { after, ...offset(intervalNode, ['after']) };
  }
  checkOrder(node, adjustedItem(target, adjustment));
  return adjustment;
}

/** The item with an adjustment applied. */
export function adjustedItem<T extends ScheduleItem>(item: T, adjustment: ItemAdjustment): T {
  const { item: _id, minInterval, ...changes } = adjustment;
  return { ...item, ...changes, ...(minInterval && item.type === 'dose' ? { minInterval } : {}) };
}

function parseRoute(node: JsonNode): RouteGroup {
  node.onlyKeys(['id', 'vaccines', 'default', 'source', 'confirmation', 'evidence', 'note']);
  node.optionalField('note')?.string();
  const vaccines = node
    .field('vaccines')
    .nonEmptyArray()
    .map((vaccine) => vaccine.string());
  if (vaccines.length < 2) node.field('vaccines').fail('a route group needs at least two vaccines');
  const defaultNode = node.field('default');
  if (!vaccines.includes(defaultNode.string())) defaultNode.fail("must be one of the group's vaccines");
  return {
    id: code(node.field('id')),
    vaccines,
    default: defaultNode.string(),
    source: node.field('source').string(),
    confirmation: confirmationOf(node.field('confirmation')),
    evidence: node.field('evidence').string(),
  };
}

function parseDeferralReason(node: JsonNode): DeferralReason {
  node.onlyKeys(['code', 'label', 'source', 'confirmation', 'evidence']);
  return {
    code: code(node.field('code')),
    label: node.field('label').label(),
    source: node.field('source').string(),
    confirmation: confirmationOf(node.field('confirmation')),
    evidence: node.field('evidence').string(),
  };
}

function parseBasis(node: JsonNode): ScheduleBasis {
  node.onlyKeys(['schedule', 'replacesVaccines']);
  return {
    schedule: code(node.field('schedule')),
    replacesVaccines: node
      .field('replacesVaccines')
      .nonEmptyArray()
      .map((vaccine) => vaccine.string()),
  };
}

function parseTransition(node: JsonNode): ScheduleTransition {
  node.onlyKeys(['bornOnOrAfter', 'rule', 'source', 'confirmation', 'evidence']);
  return {
    bornOnOrAfter: isoDateOf(node.field('bornOnOrAfter').date()),
    rule: node.field('rule').string(),
    source: node.field('source').string(),
    confirmation: confirmationOf(node.field('confirmation')),
    evidence: node.field('evidence').string(),
  };
}

function parseItem(node: JsonNode, allowedAnchors: readonly Anchor[], earlier: readonly ScheduleItem[]): ScheduleItem {
  const isDose = node.isObject() && node.has('vaccine');
  node.onlyKeys(
    isDose
      ? [
          'id',
          'label',
          'anchor',
          'vaccine',
          'dose',
          'products',
          'minInterval',
          'opens',
          'due',
          'overdue',
          'closes',
          'note',
        ]
      : [
          'id',
          'label',
          'anchor',
          'service',
          'match',
          'opens',
          'due',
          'overdue',
          'closes',
          'note',
          'source',
          'confirmation',
          'evidence',
        ],
  );
  node.optionalField('note')?.string();
  const anchorNode = node.field('anchor');
  const anchor = anchorNode.string();
  if (!(allowedAnchors as readonly string[]).includes(anchor))
    anchorNode.fail(`anchor must be one of ${allowedAnchors.join(', ')} for this kind of schedule`);
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
    const sourceNode = node.optionalField('source');
    const provenance = sourceNode
      ? {
          source: sourceNode.string(),
          confirmation: confirmationOf(node.field('confirmation')),
          evidence: node.field('evidence').string(),
        }
      : undefined;
    return {
      ...base,
      type: 'visit',
      service: code(node.field('service')),
      match: match as 'window' | 'first',
      ...(provenance ? { provenance } : {}),
    };
  }

  const vaccine = node.field('vaccine').string();
  const doseNode = node.field('dose');
  const dose = doseNode.integer();
  const sameVaccine = earlier.filter((item): item is DoseItem => item.type === 'dose' && item.vaccine === vaccine);
  // Doses are numbered 1, 2, 3 in file order, so "the previous dose" is always an item already read.
  if (dose !== sameVaccine.length + 1)
    doseNode.fail(
      `${vaccine} dose ${dose} follows ${sameVaccine.length} earlier dose(s); expected dose ${sameVaccine.length + 1}`,
    );
  const products =
    node
      .optionalField('products')
      ?.nonEmptyArray()
      .map((product) => product.string()) ?? [];

  const intervalNode = node.optionalField('minInterval');
  let minInterval: MinimumInterval | undefined;
  if (intervalNode) {
    intervalNode.onlyKeys(['after', ...OFFSET_KEYS]);
    const afterNode = intervalNode.optionalField('after');
    const previous = sameVaccine[sameVaccine.length - 1];
    const after = afterNode?.string() ?? previous?.id;
    if (after === undefined)
      throw intervalNode.error(`a minimum interval on ${vaccine} dose 1 must say which item it counts from ("after")`);
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
    const [opens, due, overdue] = [
      addOffset(anchor, item.opens),
      addOffset(anchor, item.due),
      addOffset(anchor, item.overdue),
    ];
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
    const sameDay = schedules.find(
      (other) =>
        other !== schedule && other.programme === schedule.programme && other.effectiveFrom === schedule.effectiveFrom,
    );
    if (sameDay)
      throw new Error(
        `schedules "${schedule.id}" and "${sameDay.id}" both start ${schedule.programme} on ${schedule.effectiveFrom}`,
      );
  }
  const expanded = new Map<string, Schedule>();
  const expand = (schedule: Schedule, chain: readonly string[]): Schedule => {
    const done = expanded.get(schedule.id);
    if (done) return done;
    if (chain.includes(schedule.id))
      throw new Error(`schedule "${schedule.id}" is based on itself (${[...chain, schedule.id].join(' → ')})`);
    const result = schedule.basedOn
      ? onBasis(schedule, expand(baseOf(schedules, schedule), [...chain, schedule.id]))
      : schedule;
    expanded.set(schedule.id, result);
    return result;
  };
  return { schedules: schedules.map((schedule) => expand(schedule, [])) };
}

function baseOf(schedules: readonly Schedule[], schedule: Schedule): Schedule {
  const basis = schedule.basedOn as ScheduleBasis;
  const base = schedules.find((candidate) => candidate.id === basis.schedule);
  if (!base) throw new Error(`schedule "${schedule.id}" is based on unknown schedule "${basis.schedule}"`);
  if (base.programme !== schedule.programme || base.kind !== schedule.kind)
    throw new Error(`schedule "${schedule.id}" is based on "${base.id}" of another programme`);
  if (base.effectiveFrom >= schedule.effectiveFrom)
    throw new Error(`schedule "${schedule.id}" is based on "${base.id}", which does not take effect before it`);
  return base;
}

/**
 * An edition written as its basis with some vaccines' doses replaced: the basis's items without those vaccines, the
 * edition's own items where the first replaced one stood; the basis's special rules and routes, then its own.
 */
function onBasis(schedule: Schedule, base: Schedule): Schedule {
  const replaces = new Set((schedule.basedOn as ScheduleBasis).replacesVaccines);
  const replaced = (item: ScheduleItem): boolean => item.type === 'dose' && replaces.has(item.vaccine);
  if (!base.items.some(replaced))
    throw new Error(`schedule "${schedule.id}" replaces vaccines that "${base.id}" does not give`);
  const own = schedule.items.filter((item) => item.type !== 'dose' || !replaces.has(item.vaccine));
  if (own.length > 0)
    throw new Error(`schedule "${schedule.id}": item "${own[0]?.id}" is not a dose of a replaced vaccine`);
  const at = base.items.findIndex(replaced);
  const items = [
    ...base.items.slice(0, at).filter((item) => !replaced(item)),
    ...schedule.items,
    ...base.items.slice(at).filter((item) => !replaced(item)),
  ];
  const ids = new Set(items.map((item) => item.id));
  for (const item of items) {
    if (item.type === 'dose' && item.minInterval && !ids.has(item.minInterval.after))
      throw new Error(
        `schedule "${schedule.id}": ${item.id} counts from "${item.minInterval.after}", which it replaced`,
      );
  }
  const special = [...base.special, ...schedule.special];
  for (const rule of special) {
    for (const adjustment of rule.adjust) {
      const added = special.some((other) => other.add.some((item) => item.id === adjustment.item));
      if (!ids.has(adjustment.item) && !added)
        throw new Error(
          `schedule "${schedule.id}": special rule "${rule.id}" adjusts "${adjustment.item}", which it replaced`,
        );
    }
  }
  return {
    ...schedule,
    items,
    special,
    routes: [...base.routes, ...schedule.routes],
    deferralReasons: [...base.deferralReasons, ...schedule.deferralReasons],
  };
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
export function scheduleInForce(
  catalogue: ScheduleCatalogue,
  programme: string,
  onDate: IsoDate,
  field = 'onDate',
): Schedule {
  const day = parseIsoDate(onDate, field);
  const versions = catalogue.schedules
    .filter((schedule) => schedule.programme === programme)
    .sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom));
  if (versions.length === 0) throw InvalidArgumentError.field(field, `no version of ${programme} is known`);
  return (
    versions.find((schedule) => parseIsoDate(schedule.effectiveFrom, 'effectiveFrom') <= day) ??
    (versions.at(-1) as Schedule)
  );
}

/**
 * The edition of a programme that applies to a child born on `birthDate`: the one in force at birth, unless a later
 * edition's transition moves children of that birth date to it (the 2025 DTaP adjustment moves children under 6 on
 * its start date). A moved child keeps the doses given: a replaced vaccine's dose given before the switch date is
 * judged by the edition the child left (`previous`), the doses still to give follow the new edition.
 */
export function scheduleForChild(
  catalogue: ScheduleCatalogue,
  programme: string,
  birthDate: IsoDate,
  field = 'birthDate',
): Schedule {
  const atBirth = scheduleInForce(catalogue, programme, birthDate, field);
  const later = catalogue.schedules
    .filter(
      (schedule) =>
        schedule.programme === programme &&
        schedule.effectiveFrom > birthDate &&
        schedule.transition &&
        schedule.basedOn?.schedule === atBirth.id,
    )
    .filter((schedule) => birthDate >= (schedule.transition as ScheduleTransition).bornOnOrAfter)
    .sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom))[0];
  if (!later) return atBirth;
  const replaces = new Set((later.basedOn as ScheduleBasis).replacesVaccines);
  const previousOf = (item: DoseItem): DoseItem | undefined =>
    atBirth.items.find(
      (old): old is DoseItem => old.type === 'dose' && old.vaccine === item.vaccine && old.dose === item.dose,
    );
  const items = later.items.map((item): ScheduleItem => {
    if (item.type !== 'dose' || !replaces.has(item.vaccine)) return item;
    const previous = previousOf(item);
    return previous ? { ...item, previous } : item;
  });
  return { ...later, items, transitionFrom: { scheduleId: atBirth.id, switchOn: later.effectiveFrom } };
}

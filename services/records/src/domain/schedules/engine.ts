// The schedule engine: given a schedule, the anchor dates of a pregnancy or child, what has been done and today's
// date, it says for every item whether it is upcoming, open, due, overdue, done or not applicable, with its dates.
import { FieldViolation, InvalidArgumentError } from '../../../../common/src/errors';
import { addOffset, DayNumber, IsoDate, isoDateOf, parseIsoDate } from '../calendar';
import { BilingualLabel } from '../data-file';
import { DAYS_FROM_LMP_TO_EDD } from './gestation';
import {
  adjustedItem,
  Anchor,
  DoseItem,
  MaternalHbsag,
  Schedule,
  ScheduleItem,
  SpecialCondition,
  VisitItem,
} from './schedule';

/** `deferred`: a contraindication deferral recorded for the dose holds on this date (it leaves the due list). */
export type ItemStatus = 'upcoming' | 'open' | 'due' | 'overdue' | 'done' | 'not-applicable' | 'deferred';

/**
 * Why an item is not applicable: its anchor date is not recorded yet (no discharge date, not yet delivered), the
 * pregnancy ended before the item fell due, or its window has closed without it being done.
 */
export type NotApplicableReason = 'anchor-missing' | 'pregnancy-ended' | 'window-closed';

/** The dates a schedule counts from. For a pregnancy, `edd` (the working, possibly ultrasound-corrected EDD) wins over `lmp`. */
export interface ScheduleAnchors {
  readonly lmp?: IsoDate;
  readonly edd?: IsoDate;
  readonly delivery?: IsoDate;
  readonly discharge?: IsoDate;
  readonly birth?: IsoDate;
}

export interface VisitRecord {
  readonly service: string;
  readonly date: IsoDate;
}

export interface DoseRecord {
  /** The programme vaccine or the product given (`HepB`, `IPV`, `bOPV`, `MMR` ...). */
  readonly vaccine: string;
  readonly dose: number;
  readonly date: IsoDate;
}

/**
 * What the record knows of a child's birth, for the special rules: the mother's HBsAg in the pregnancy the child was
 * born of (absent when that pregnancy is not in the record), birth weight and gestational age at birth.
 */
export interface ChildFacts {
  readonly maternalHbsag?: MaternalHbsag;
  readonly birthWeightGrams?: number;
  readonly gestationalAgeDays?: number;
}

export interface ScheduleProgress {
  readonly visits?: readonly VisitRecord[];
  readonly doses?: readonly DoseRecord[];
  readonly deferrals?: readonly DeferralRecord[];
}

/** A dose deferred for a contraindication from `on` until `until` (open-ended without it); the latest one counts. */
export interface DeferralRecord {
  /** The programme vaccine (`HepB`, `DTaP`), as the items name it. */
  readonly vaccine: string;
  readonly dose: number;
  readonly on: IsoDate;
  readonly until?: IsoDate;
  readonly reason: string;
}

export interface ItemState {
  readonly itemId: string;
  readonly label: BilingualLabel;
  readonly type: 'visit' | 'dose';
  readonly service?: string;
  readonly vaccine?: string;
  readonly dose?: number;
  readonly status: ItemStatus;
  readonly reason?: NotApplicableReason;
  /** The earliest date it may be done; for a dose, also no earlier than the minimum interval allows. */
  readonly opensOn?: IsoDate;
  readonly dueOn?: IsoDate;
  readonly overdueOn?: IsoDate;
  readonly closesOn?: IsoDate;
  /** Set when a minimum interval after this earlier dose, not the child's age, decides `opensOn`. */
  readonly intervalAfter?: string;
  readonly doneOn?: IsoDate;
  /** Done before `overdueOn`. */
  readonly onTime?: boolean;
  /** A dose given before `opensOn`; programmes do not count such a dose, so the clinician should review it. */
  readonly givenEarly?: boolean;
  /** For a deferred dose: until when (absent: until reviewed) and the contraindication code. */
  readonly deferredUntil?: IsoDate;
  readonly deferralReason?: string;
}

export interface ScheduleEvaluation {
  readonly scheduleId: string;
  readonly programme: string;
  readonly today: IsoDate;
  readonly items: readonly ItemState[];
  /** The special rules that applied to this child, in file order. */
  readonly specialRules: readonly string[];
  /** The route followed in each route group (`je` → `JE-I`). */
  readonly routes: Readonly<Record<string, string>>;
}

interface ItemEntry {
  readonly state: ItemState;
  readonly window: Window | undefined;
  readonly done: DayNumber | undefined;
  /** A deferred dose: until when (infinite when open-ended). */
  readonly deferredUntil?: DayNumber | undefined;
}

interface Deferral {
  readonly vaccine: string;
  readonly dose: number;
  readonly on: DayNumber;
  readonly until: DayNumber | undefined;
  readonly reason: string;
}

/** The latest deferral of the dose, when it holds today: recorded on or before today and not yet expired. */
function activeDeferral(item: DoseItem, deferrals: readonly Deferral[], today: DayNumber): Deferral | undefined {
  const latest = deferrals
    .filter((deferral) => deferral.vaccine === item.vaccine && deferral.dose === item.dose && deferral.on <= today)
    .sort((a, b) => b.on - a.on)[0];
  return latest && (latest.until === undefined || today < latest.until) ? latest : undefined;
}

interface Window {
  readonly opens: DayNumber;
  readonly due: DayNumber;
  readonly overdue: DayNumber;
  readonly closes: DayNumber | undefined;
}

/** Evaluates every item of a schedule for one pregnancy or child on `today`. */
export function evaluateSchedule(
  schedule: Schedule,
  input: {
    readonly anchors: ScheduleAnchors;
    readonly progress?: ScheduleProgress;
    readonly today: IsoDate;
    readonly facts?: ChildFacts;
  },
): ScheduleEvaluation {
  const today = parseIsoDate(input.today, 'today');
  const anchors = anchorDays(input.anchors);
  const { visits, doses, deferrals } = progressRecords(input.progress ?? {});
  const pregnancyEnded = schedule.kind === 'antenatal' ? anchors.delivery : undefined;
  const personal = personalItems(schedule, input.facts ?? {}, doses);
  const switchOn = schedule.transitionFrom ? parseIsoDate(schedule.transitionFrom.switchOn, 'switchOn') : undefined;

  const usedVisits = new Set<number>();
  const states = new Map<string, ItemEntry>();
  const items = personal.items.map((scheduled): ItemState => {
    const given = scheduled.type === 'dose' ? givenOn(scheduled, doses) : undefined;
    // A dose given before a transition's switch date is judged by the edition the child left.
    const item =
      scheduled.type === 'dose' &&
      scheduled.previous &&
      given !== undefined &&
      switchOn !== undefined &&
      given < switchOn
        ? scheduled.previous
        : scheduled;
    const anchor = anchors[item.anchor];
    const common = identify(item);
    if (anchor === undefined) {
      const state: ItemState = { ...common, status: 'not-applicable', reason: 'anchor-missing' };
      states.set(item.id, { state, window: undefined, done: undefined });
      return state;
    }
    let window: Window = {
      opens: addOffset(anchor, item.opens),
      due: addOffset(anchor, item.due),
      overdue: addOffset(anchor, item.overdue),
      closes: item.closes ? addOffset(anchor, item.closes) : undefined,
    };
    let done: DayNumber | undefined;
    let intervalAfter: string | undefined;
    if (item.type === 'visit') {
      done = matchVisit(item, window, visits, usedVisits);
    } else {
      done = given;
      const interval = intervalOpening(item, states, today);
      if (interval !== undefined && interval > window.opens) {
        window = shiftedWindow(window, interval);
        intervalAfter = item.minInterval?.after;
      }
    }
    let status = statusOf(window, done, today, pregnancyEnded);
    const deferral =
      item.type === 'dose' && done === undefined && status.status !== 'not-applicable'
        ? activeDeferral(item, deferrals, today)
        : undefined;
    if (deferral) status = { status: 'deferred' };
    const state: ItemState = {
      ...common,
      ...dates(window),
      ...(intervalAfter !== undefined ? { intervalAfter } : {}),
      ...status,
      ...(deferral
        ? {
            deferralReason: deferral.reason,
            ...(deferral.until !== undefined ? { deferredUntil: isoDateOf(deferral.until) } : {}),
          }
        : {}),
      ...(done !== undefined ? doneDetails(item, window, done) : {}),
    };
    states.set(item.id, {
      state,
      window,
      done,
      deferredUntil: deferral ? (deferral.until ?? Number.POSITIVE_INFINITY) : undefined,
    });
    return state;
  });
  return {
    scheduleId: schedule.id,
    programme: schedule.programme,
    today: isoDateOf(today),
    items,
    specialRules: personal.specialRules,
    routes: personal.routes,
  };
}

function givenOn(
  item: DoseItem,
  doses: readonly { vaccine: string; dose: number; day: DayNumber }[],
): DayNumber | undefined {
  return doses
    .filter((record) => item.products.includes(record.vaccine) && record.dose === item.dose)
    .reduce<DayNumber | undefined>(earliest, undefined);
}

/** Whether every condition of a special rule holds for the child; a fact the record lacks makes its condition false. */
export function conditionHolds(when: SpecialCondition, facts: ChildFacts): boolean {
  if (when.maternalHbsag && (facts.maternalHbsag === undefined || !when.maternalHbsag.includes(facts.maternalHbsag)))
    return false;
  if (
    when.birthWeightBelowGrams !== undefined &&
    (facts.birthWeightGrams === undefined || !(facts.birthWeightGrams < when.birthWeightBelowGrams))
  )
    return false;
  if (
    when.gestationalDaysAtLeast !== undefined &&
    (facts.gestationalAgeDays === undefined || facts.gestationalAgeDays < when.gestationalDaysAtLeast)
  )
    return false;
  if (
    when.gestationalDaysBelow !== undefined &&
    (facts.gestationalAgeDays === undefined || !(facts.gestationalAgeDays < when.gestationalDaysBelow))
  )
    return false;
  return true;
}

/**
 * The child's own items: the special rules that apply adjust and add items (in file order, so a later rule may adjust
 * what an earlier one added); in each route group only the route followed stays, the route of the earliest recorded
 * dose of the group, else the group's default.
 */
function personalItems(
  schedule: Schedule,
  facts: ChildFacts,
  doses: readonly { vaccine: string; dose: number; day: DayNumber }[],
): { items: ScheduleItem[]; specialRules: string[]; routes: Record<string, string> } {
  let items: ScheduleItem[] = [...schedule.items];
  const specialRules: string[] = [];
  for (const rule of schedule.special) {
    if (!conditionHolds(rule.when, facts)) continue;
    specialRules.push(rule.id);
    items = [...items, ...rule.add];
    for (const adjustment of rule.adjust)
      items = items.map((item) => (item.id === adjustment.item ? adjustedItem(item, adjustment) : item));
  }
  const routes: Record<string, string> = {};
  for (const group of schedule.routes) {
    const firstOf = (vaccine: string): DayNumber | undefined =>
      items
        .filter((item): item is DoseItem => item.type === 'dose' && item.vaccine === vaccine)
        .map((item) => givenOn(item, doses))
        .reduce<DayNumber | undefined>(
          (found, day) => (day === undefined ? found : found === undefined || day < found ? day : found),
          undefined,
        );
    const started = group.vaccines
      .map((vaccine) => ({ vaccine, day: firstOf(vaccine) }))
      .filter((route): route is { vaccine: string; day: DayNumber } => route.day !== undefined);
    const followed = started.sort((a, b) => a.day - b.day)[0]?.vaccine ?? group.default;
    routes[group.id] = followed;
    items = items.filter(
      (item) => item.type !== 'dose' || !group.vaccines.includes(item.vaccine) || item.vaccine === followed,
    );
  }
  return { items, specialRules, routes };
}

function identify(item: ScheduleItem): Pick<ItemState, 'itemId' | 'label' | 'type' | 'service' | 'vaccine' | 'dose'> {
  return item.type === 'visit'
    ? { itemId: item.id, label: item.label, type: 'visit', service: item.service }
    : { itemId: item.id, label: item.label, type: 'dose', vaccine: item.vaccine, dose: item.dose };
}

function statusOf(
  window: Window,
  done: DayNumber | undefined,
  today: DayNumber,
  pregnancyEnded: DayNumber | undefined,
): Pick<ItemState, 'status' | 'reason'> {
  if (done !== undefined) return { status: 'done' };
  if (pregnancyEnded !== undefined) {
    // After delivery no antenatal item can be done: one that had not yet fallen late simply no longer applies.
    return { status: 'not-applicable', reason: window.overdue > pregnancyEnded ? 'pregnancy-ended' : 'window-closed' };
  }
  // A window can also close before it opens, when a late earlier dose pushes this one past the last permitted age.
  if (window.closes !== undefined && (today >= window.closes || window.opens >= window.closes)) {
    return { status: 'not-applicable', reason: 'window-closed' };
  }
  if (today < window.opens) return { status: 'upcoming' };
  if (today < window.due) return { status: 'open' };
  if (today < window.overdue) return { status: 'due' };
  return { status: 'overdue' };
}

function doneDetails(
  item: ScheduleItem,
  window: Window,
  done: DayNumber,
): Pick<ItemState, 'doneOn' | 'onTime' | 'givenEarly'> {
  return {
    doneOn: isoDateOf(done),
    onTime: done < window.overdue,
    ...(item.type === 'dose' ? { givenEarly: done < window.opens } : {}),
  };
}

function dates(window: Window): Pick<ItemState, 'opensOn' | 'dueOn' | 'overdueOn' | 'closesOn'> {
  return {
    opensOn: isoDateOf(window.opens),
    dueOn: isoDateOf(window.due),
    overdueOn: isoDateOf(window.overdue),
    ...(window.closes !== undefined ? { closesOn: isoDateOf(window.closes) } : {}),
  };
}

/**
 * The first visit of the item's service inside its window. Window items take visits in schedule order and each visit
 * satisfies one of them; a `first` item reads the first visit without taking it.
 */
function matchVisit(
  item: VisitItem,
  window: Window,
  visits: readonly { service: string; day: DayNumber; index: number }[],
  used: Set<number>,
): DayNumber | undefined {
  const candidates = visits.filter((visit) => visit.service === item.service && visit.day >= window.opens);
  if (item.match === 'first') return candidates[0]?.day;
  const visit = candidates.find(
    (candidate) => !used.has(candidate.index) && (window.closes === undefined || candidate.day < window.closes),
  );
  if (!visit) return undefined;
  used.add(visit.index);
  return visit.day;
}

/**
 * The earliest date the minimum interval allows: from the earlier dose's date when given, else from the day it could
 * be given at the soonest (today, or its opening if later), so a missing dose pushes its successors too. An earlier
 * dose that no longer applies (its window closed) does not hold the next one back.
 */
function intervalOpening(
  item: DoseItem,
  states: ReadonlyMap<string, ItemEntry>,
  today: DayNumber,
): DayNumber | undefined {
  if (!item.minInterval) return undefined;
  const previous = states.get(item.minInterval.after);
  if (!previous?.window || previous.state.status === 'not-applicable') return undefined;
  // A dose deferred until a date can be given from that date at the soonest; one deferred open-ended, from today.
  const deferredTo =
    previous.deferredUntil !== undefined && Number.isFinite(previous.deferredUntil) ? previous.deferredUntil : today;
  const from = previous.done ?? Math.max(previous.window.opens, today, deferredTo);
  return addOffset(from, item.minInterval);
}

/** A later opening moves the due and overdue dates by the same number of days, keeping the window's length. */
function shiftedWindow(window: Window, opens: DayNumber): Window {
  const shift = Math.max(0, opens - window.due);
  return { opens, due: window.due + shift, overdue: window.overdue + shift, closes: window.closes };
}

function earliest(found: DayNumber | undefined, record: { day: DayNumber }): DayNumber {
  return found === undefined || record.day < found ? record.day : found;
}

function anchorDays(anchors: ScheduleAnchors): Partial<Record<Anchor, DayNumber>> {
  const violations: FieldViolation[] = [];
  const read = (value: string | undefined, field: string): DayNumber | undefined => {
    if (value === undefined) return undefined;
    try {
      return parseIsoDate(value, field);
    } catch (error) {
      if (error instanceof InvalidArgumentError) violations.push(...error.violations);
      else throw error;
      return undefined;
    }
  };
  const lmp = read(anchors.lmp, 'anchors.lmp');
  const edd = read(anchors.edd, 'anchors.edd');
  const delivery = read(anchors.delivery, 'anchors.delivery');
  const discharge = read(anchors.discharge, 'anchors.discharge');
  const birth = read(anchors.birth, 'anchors.birth');
  const born = delivery ?? birth;
  if (discharge !== undefined && born !== undefined && discharge < born) {
    violations.push({ field: 'anchors.discharge', description: 'must not be before the delivery or birth date' });
  }
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  const dating = edd !== undefined ? edd - DAYS_FROM_LMP_TO_EDD : lmp;
  return { lmp: dating, delivery, discharge, birth };
}

function progressRecords(progress: ScheduleProgress): {
  visits: { service: string; day: DayNumber; index: number }[];
  doses: { vaccine: string; dose: number; day: DayNumber }[];
  deferrals: Deferral[];
} {
  const violations: FieldViolation[] = [];
  const day = (value: string, field: string): DayNumber => {
    try {
      return parseIsoDate(value, field);
    } catch (error) {
      if (error instanceof InvalidArgumentError) violations.push(...error.violations);
      else throw error;
      return Number.NaN;
    }
  };
  const visits = (progress.visits ?? []).map((visit, index) => {
    if (typeof visit.service !== 'string' || visit.service === '')
      violations.push({ field: `visits[${index}].service`, description: 'must name the service' });
    return { service: visit.service, day: day(visit.date, `visits[${index}].date`), index };
  });
  const doses = (progress.doses ?? []).map((record, index) => {
    if (typeof record.vaccine !== 'string' || record.vaccine === '')
      violations.push({ field: `doses[${index}].vaccine`, description: 'must name the vaccine' });
    if (!Number.isInteger(record.dose) || record.dose < 1)
      violations.push({ field: `doses[${index}].dose`, description: 'must be a dose number from 1' });
    return { vaccine: record.vaccine, dose: record.dose, day: day(record.date, `doses[${index}].date`) };
  });
  const deferrals = (progress.deferrals ?? []).map((record, index): Deferral => {
    if (typeof record.vaccine !== 'string' || record.vaccine === '')
      violations.push({ field: `deferrals[${index}].vaccine`, description: 'must name the vaccine' });
    if (!Number.isInteger(record.dose) || record.dose < 1)
      violations.push({ field: `deferrals[${index}].dose`, description: 'must be a dose number from 1' });
    const on = day(record.on, `deferrals[${index}].on`);
    const until = record.until === undefined ? undefined : day(record.until, `deferrals[${index}].until`);
    if (until !== undefined && !(until > on))
      violations.push({ field: `deferrals[${index}].until`, description: 'must be after the day it was deferred' });
    return { vaccine: record.vaccine, dose: record.dose, on, until, reason: record.reason };
  });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  // Matching takes the earliest visit first, whatever order the record listed them in.
  visits.sort((a, b) => a.day - b.day || a.index - b.index);
  return { visits, doses, deferrals };
}

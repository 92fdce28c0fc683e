// An institution's schedule as rules: weekly sessions per service type cut into slots of a fixed length with a
// capacity each, and dated exceptions (closed days for one service or all, extra sessions). Expanding the rules
// over a period gives the slots that exist; occupancy is the database's business, not this module's.
import { Violations } from '../../../common/src/errors';
import { ScheduleException, ServiceType, WeeklySession } from '../../../common/src/gen/mch/scheduling/v1/scheduling';
import {
  formatClock,
  instantAt,
  isoWeekday,
  LocalDate,
  localDatesBetween,
  parseClock,
  parseLocalDate,
} from './local-time';
import { ServiceCode, serviceCodeOf, serviceTypeOf } from './service-types';

/** One stretch of slots: from `startMinute` to `endMinute` (local), whole slots of `slotMinutes`. */
export interface SessionTimes {
  readonly startMinute: number;
  readonly endMinute: number;
  readonly slotMinutes: number;
  readonly capacity: number;
}

export interface WeeklyRule extends SessionTimes {
  readonly service: ServiceCode;
  readonly weekday: number;
}

export interface ExceptionRule {
  readonly date: LocalDate;
  /** Undefined: every service. */
  readonly service: ServiceCode | undefined;
  readonly closed: boolean;
  /** The extra session, when not closed. */
  readonly session: SessionTimes | undefined;
  readonly reason: string;
}

export interface ScheduleRules {
  readonly weekly: readonly WeeklyRule[];
  readonly exceptions: readonly ExceptionRule[];
}

/** A slot that the schedule creates. */
export interface SlotTime {
  readonly service: ServiceCode;
  readonly start: Date;
  readonly end: Date;
  readonly capacity: number;
}

export const MAX_SESSIONS = 200;
export const MAX_EXCEPTIONS = 500;

function sessionTimes(
  violations: Violations,
  path: string,
  raw: { startTime: string; endTime: string; slotMinutes: number; capacity: number },
): SessionTimes | undefined {
  const startMinute = violations.check(() => parseClock(raw.startTime, `${path}.startTime`));
  const endMinute = violations.check(() => parseClock(raw.endTime, `${path}.endTime`));
  let ok = startMinute !== undefined && endMinute !== undefined;
  if (ok && (endMinute as number) <= (startMinute as number)) {
    violations.add(`${path}.endTime`, 'must be after startTime');
    ok = false;
  }
  if (!Number.isInteger(raw.slotMinutes) || raw.slotMinutes < 5 || raw.slotMinutes > 240) {
    violations.add(`${path}.slotMinutes`, 'must be a whole number of minutes from 5 to 240');
    ok = false;
  } else if (ok && (endMinute as number) - (startMinute as number) < raw.slotMinutes) {
    violations.add(`${path}.slotMinutes`, 'is longer than the session');
    ok = false;
  }
  if (!Number.isInteger(raw.capacity) || raw.capacity < 1 || raw.capacity > 500) {
    violations.add(`${path}.capacity`, 'must be from 1 to 500 patients per slot');
    ok = false;
  }
  return ok
    ? {
        startMinute: startMinute as number,
        endMinute: endMinute as number,
        slotMinutes: raw.slotMinutes,
        capacity: raw.capacity,
      }
    : undefined;
}

function overlaps(a: SessionTimes, b: SessionTimes): boolean {
  return a.startMinute < b.endMinute && b.startMinute < a.endMinute;
}

/** Checks a published schedule, naming every bad field (`sessions[2].endTime`, `exceptions[0].date`). */
export function validateSchedule(
  sessions: readonly WeeklySession[],
  exceptions: readonly ScheduleException[],
): ScheduleRules {
  const violations = new Violations();
  if (sessions.length > MAX_SESSIONS) violations.add('sessions', `must have at most ${MAX_SESSIONS} sessions`);
  if (exceptions.length > MAX_EXCEPTIONS)
    violations.add('exceptions', `must have at most ${MAX_EXCEPTIONS} exceptions`);
  violations.throwIfAny();
  const weekly: WeeklyRule[] = [];
  const weeklyIndex: number[] = [];
  sessions.forEach((session, index) => {
    const path = `sessions[${index}]`;
    const service = violations.check(() => serviceCodeOf(session.service, `${path}.service`));
    if (!Number.isInteger(session.weekday) || session.weekday < 1 || session.weekday > 7)
      violations.add(`${path}.weekday`, 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)');
    const times = sessionTimes(violations, path, session);
    if (!service || !times || violations.has(`${path}.weekday`)) return;
    const rule: WeeklyRule = { ...times, service, weekday: session.weekday };
    const clash = weekly.findIndex(
      (other) => other.service === service && other.weekday === rule.weekday && overlaps(other, rule),
    );
    if (clash >= 0)
      violations.add(`${path}.startTime`, `overlaps sessions[${weeklyIndex[clash]}] of the same service and weekday`);
    else {
      weekly.push(rule);
      weeklyIndex.push(index);
    }
  });
  const exceptionRules: ExceptionRule[] = [];
  exceptions.forEach((exception, index) => {
    const path = `exceptions[${index}]`;
    const date = violations.check(() => parseLocalDate(exception.date, `${path}.date`));
    const service =
      exception.service === ServiceType.SERVICE_TYPE_UNSPECIFIED
        ? undefined
        : violations.check(() => serviceCodeOf(exception.service, `${path}.service`));
    if (exception.reason.length > 200) violations.add(`${path}.reason`, 'must be at most 200 characters');
    if (exception.closed) {
      if (date) exceptionRules.push({ date, service, closed: true, session: undefined, reason: exception.reason });
      return;
    }
    if (!service) {
      if (!violations.has(`${path}.service`))
        violations.add(`${path}.service`, 'an extra session needs its service (or set closed for a closed day)');
      return;
    }
    const times = sessionTimes(violations, path, exception);
    if (!date || !times) return;
    const weekday = isoWeekday(date);
    const clash =
      weekly.some((rule) => rule.service === service && rule.weekday === weekday && overlaps(rule, times)) ||
      exceptionRules.some(
        (other) =>
          other.date === date &&
          other.service === service &&
          other.session !== undefined &&
          overlaps(other.session, times),
      );
    if (clash) violations.add(`${path}.startTime`, 'overlaps another session of the same service that day');
    else exceptionRules.push({ date, service, closed: false, session: times, reason: exception.reason });
  });
  violations.throwIfAny();
  return { weekly, exceptions: exceptionRules };
}

/** The sessions of one local date for a service (or every service): weekly ones unless closed, plus extra ones. */
function sessionsOn(
  rules: ScheduleRules,
  date: LocalDate,
  service: ServiceCode | undefined,
): Array<{ service: ServiceCode; times: SessionTimes }> {
  const exceptions = rules.exceptions.filter((exception) => exception.date === date);
  const closedAll = exceptions.some((exception) => exception.closed && exception.service === undefined);
  if (closedAll) return [];
  const closed = new Set(exceptions.filter((exception) => exception.closed).map((exception) => exception.service));
  const weekday = isoWeekday(date);
  const out: Array<{ service: ServiceCode; times: SessionTimes }> = [];
  for (const rule of rules.weekly) {
    if (rule.weekday === weekday && (!service || rule.service === service) && !closed.has(rule.service))
      out.push({ service: rule.service, times: rule });
  }
  for (const exception of exceptions) {
    if (
      !exception.closed &&
      exception.session &&
      exception.service &&
      (!service || exception.service === service) &&
      !closed.has(exception.service)
    ) {
      out.push({ service: exception.service, times: exception.session });
    }
  }
  return out;
}

/** Every slot the rules create with a start in [from, to), earliest first. */
export function expandSlots(rules: ScheduleRules, service: ServiceCode | undefined, from: Date, to: Date): SlotTime[] {
  const slots: SlotTime[] = [];
  if (to <= from) return slots;
  for (const date of localDatesBetween(from, to)) {
    for (const { service: slotService, times } of sessionsOn(rules, date, service)) {
      for (let minute = times.startMinute; minute + times.slotMinutes <= times.endMinute; minute += times.slotMinutes) {
        const start = instantAt(date, minute);
        if (start < from || start >= to) continue;
        slots.push({
          service: slotService,
          start,
          end: instantAt(date, minute + times.slotMinutes),
          capacity: times.capacity,
        });
      }
    }
  }
  return slots.sort((a, b) => a.start.getTime() - b.start.getTime() || a.service.localeCompare(b.service));
}

/** The slot of a service that starts exactly at `start`, if the rules create one. */
export function slotStartingAt(rules: ScheduleRules, service: ServiceCode, start: Date): SlotTime | undefined {
  return expandSlots(rules, service, start, new Date(start.getTime() + 1)).find(
    (slot) => slot.start.getTime() === start.getTime(),
  );
}

/** The rules back in the proto's shape. */
export function toProtoSessions(rules: ScheduleRules): { sessions: WeeklySession[]; exceptions: ScheduleException[] } {
  return {
    sessions: rules.weekly.map((rule) => ({
      service: serviceTypeOf(rule.service),
      weekday: rule.weekday,
      startTime: formatClock(rule.startMinute),
      endTime: formatClock(rule.endMinute),
      slotMinutes: rule.slotMinutes,
      capacity: rule.capacity,
    })),
    exceptions: rules.exceptions.map((exception) => ({
      date: exception.date,
      closed: exception.closed,
      service: exception.service ? serviceTypeOf(exception.service) : ServiceType.SERVICE_TYPE_UNSPECIFIED,
      startTime: exception.session ? formatClock(exception.session.startMinute) : '',
      endTime: exception.session ? formatClock(exception.session.endMinute) : '',
      slotMinutes: exception.session?.slotMinutes ?? 0,
      capacity: exception.session?.capacity ?? 0,
      reason: exception.reason,
    })),
  };
}

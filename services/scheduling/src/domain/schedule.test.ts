import { ScheduleException, ServiceType, WeeklySession } from '../../../common/src/gen/mch/scheduling/v1/scheduling';
import { InvalidArgumentError } from '../../../common/src/errors';
import { demoScheduleRules } from './demo-schedule';
import { addLocalDays, instantAt, isoWeekday, localDateOf, localMinuteOf } from './local-time';
import { expandSlots, slotStartingAt, toProtoSessions, validateSchedule } from './schedule';
import { fieldsOf } from '../../../common/test/violations';

const ANC = ServiceType.SERVICE_TYPE_ANTENATAL_CHECK;
const session = (overrides: Partial<WeeklySession> = {}): WeeklySession => ({
  service: ANC,
  weekday: 1,
  startTime: '08:30',
  endTime: '11:30',
  slotMinutes: 30,
  capacity: 4,
  ...overrides,
});
const exception = (overrides: Partial<ScheduleException>): ScheduleException => ({
  date: '2026-10-01',
  closed: false,
  service: ServiceType.SERVICE_TYPE_UNSPECIFIED,
  startTime: '',
  endTime: '',
  slotMinutes: 0,
  capacity: 0,
  reason: '',
  ...overrides,
});

describe('Asia/Shanghai local time (+08:00, no daylight saving)', () => {
  it('maps a local wall-clock time to the instant eight hours earlier in UTC, the same in January and July', () => {
    expect(instantAt('2026-01-15', 8 * 60 + 30).toISOString()).toBe('2026-01-15T00:30:00.000Z');
    expect(instantAt('2026-07-15', 8 * 60 + 30).toISOString()).toBe('2026-07-15T00:30:00.000Z');
    // Early local morning is the previous UTC day.
    expect(instantAt('2026-03-01', 7 * 60).toISOString()).toBe('2026-02-28T23:00:00.000Z');
  });

  it('reads the local date and minute of an instant across the UTC midnight', () => {
    expect(localDateOf(new Date('2026-02-28T16:00:00Z'))).toBe('2026-03-01');
    expect(localDateOf(new Date('2026-02-28T15:59:59Z'))).toBe('2026-02-28');
    expect(localMinuteOf(new Date('2026-02-28T16:30:00Z'))).toBe(30);
  });

  it('knows ISO weekdays and month/leap-year ends', () => {
    expect(isoWeekday('2026-11-23')).toBe(1);
    expect(isoWeekday('2026-11-29')).toBe(7);
    expect(addLocalDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addLocalDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});

describe('week expansion', () => {
  const rules = validateSchedule(
    [
      session(),
      session({ weekday: 3, startTime: '14:30', endTime: '16:00', slotMinutes: 45, capacity: 2 }),
      session({ service: ServiceType.SERVICE_TYPE_VACCINATION, weekday: 1, slotMinutes: 60 }),
    ],
    [],
  );

  it('cuts each weekly session into whole slots at local times, with their capacity', () => {
    // Monday 2026-11-23 .. Sunday 2026-11-29, local.
    const slots = expandSlots(rules, 'antenatal-check', instantAt('2026-11-23', 0), instantAt('2026-11-30', 0));
    expect(
      slots.map(
        (slot) =>
          `${localDateOf(slot.start)} ${localMinuteOf(slot.start)}-${localMinuteOf(slot.end)} x${slot.capacity}`,
      ),
    ).toEqual([
      '2026-11-23 510-540 x4',
      '2026-11-23 540-570 x4',
      '2026-11-23 570-600 x4',
      '2026-11-23 600-630 x4',
      '2026-11-23 630-660 x4',
      '2026-11-23 660-690 x4',
      '2026-11-25 870-915 x2',
      '2026-11-25 915-960 x2',
    ]);
    expect(slots[0]?.start.toISOString()).toBe('2026-11-23T00:30:00.000Z');
  });

  it('repeats every week, and keeps services apart', () => {
    const fourWeeks = expandSlots(rules, 'antenatal-check', instantAt('2026-11-23', 0), instantAt('2026-12-21', 0));
    expect(fourWeeks).toHaveLength(4 * 8);
    expect(expandSlots(rules, 'vaccination', instantAt('2026-11-23', 0), instantAt('2026-11-30', 0))).toHaveLength(3);
    expect(expandSlots(rules, undefined, instantAt('2026-11-23', 0), instantAt('2026-11-30', 0))).toHaveLength(11);
  });

  it('honours the bounds to the minute: a slot belongs to a period by its start', () => {
    const slots = expandSlots(rules, 'antenatal-check', instantAt('2026-11-23', 540), instantAt('2026-11-23', 600));
    expect(slots.map((slot) => localMinuteOf(slot.start))).toEqual([540, 570]);
  });

  it('closes a holiday for every service, or a day for one service, and adds extra sessions', () => {
    const withExceptions = validateSchedule(
      [session(), session({ service: ServiceType.SERVICE_TYPE_VACCINATION, slotMinutes: 60 })],
      [
        exception({ date: '2026-11-23', closed: true, reason: '停电' }),
        exception({ date: '2026-11-30', closed: true, service: ServiceType.SERVICE_TYPE_VACCINATION }),
        exception({
          date: '2026-12-05',
          service: ANC,
          startTime: '09:00',
          endTime: '10:00',
          slotMinutes: 20,
          capacity: 1,
          reason: '周六加诊',
        }),
      ],
    );
    const count = (service: 'antenatal-check' | 'vaccination', date: string): number =>
      expandSlots(withExceptions, service, instantAt(date, 0), instantAt(addLocalDays(date, 1), 0)).length;
    expect(count('antenatal-check', '2026-11-23')).toBe(0);
    expect(count('vaccination', '2026-11-23')).toBe(0);
    expect(count('antenatal-check', '2026-11-30')).toBe(6);
    expect(count('vaccination', '2026-11-30')).toBe(0);
    expect(count('antenatal-check', '2026-12-05')).toBe(3);
  });

  it('finds the exact slot of a start, and nothing between slots', () => {
    expect(slotStartingAt(rules, 'antenatal-check', instantAt('2026-11-23', 540))?.end.toISOString()).toBe(
      instantAt('2026-11-23', 570).toISOString(),
    );
    expect(slotStartingAt(rules, 'antenatal-check', instantAt('2026-11-23', 545))).toBeUndefined();
    expect(slotStartingAt(rules, 'antenatal-check', instantAt('2026-11-24', 540))).toBeUndefined();
  });

  it('round-trips the rules to the proto shape', () => {
    const proto = toProtoSessions(rules);
    expect(validateSchedule(proto.sessions, proto.exceptions)).toEqual(rules);
  });
});

describe('schedule validation names the field', () => {
  it.each([
    [{ endTime: '08:00' }, 'sessions[0].endTime'],
    [{ startTime: '8:30' }, 'sessions[0].startTime'],
    [{ weekday: 8 }, 'sessions[0].weekday'],
    [{ slotMinutes: 2 }, 'sessions[0].slotMinutes'],
    [{ capacity: 0 }, 'sessions[0].capacity'],
    [{ service: ServiceType.SERVICE_TYPE_UNSPECIFIED }, 'sessions[0].service'],
  ])('%j -> %s', (overrides, field) => {
    expect(fieldsOf(() => validateSchedule([session(overrides)], []))).toEqual([field]);
  });

  it('refuses overlapping sessions of one service and weekday, and bad exception dates', () => {
    expect(
      fieldsOf(() => validateSchedule([session(), session({ startTime: '11:00', endTime: '12:00' })], [])),
    ).toEqual(['sessions[1].startTime']);
    expect(fieldsOf(() => validateSchedule([], [exception({ date: '2026-02-30', closed: true })]))).toEqual([
      'exceptions[0].date',
    ]);
    expect(fieldsOf(() => validateSchedule([], [exception({ date: '2026-12-05' })]))).toEqual([
      'exceptions[0].service',
    ]);
  });
});

describe('demo schedules', () => {
  it('offer what an institution can do, more per slot at higher levels', () => {
    const township = demoScheduleRules('township', ['anc', 'vaccination']);
    expect(new Set(township.weekly.map((rule) => rule.service))).toEqual(new Set(['antenatal-check', 'vaccination']));
    const county = demoScheduleRules('county', ['anc', 'ultrasound', 'child_health', 'vaccination', 'delivery']);
    expect(new Set(county.weekly.map((rule) => rule.service)).size).toBe(6);
    expect(Math.max(...county.weekly.map((rule) => rule.capacity))).toBeGreaterThan(
      Math.max(...township.weekly.map((rule) => rule.capacity)),
    );
    // The demo rules are valid published schedules.
    const proto = toProtoSessions(county);
    expect(validateSchedule(proto.sessions, proto.exceptions).weekly).toHaveLength(county.weekly.length);
  });
});

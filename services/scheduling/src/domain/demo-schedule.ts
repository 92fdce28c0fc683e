// The schedule every seeded institution starts with, so the platform books out of the box: what it offers follows
// its capabilities, how many per slot follows its level. Admins replace it by publishing their own.
import type { ScheduleRules, WeeklyRule } from './schedule';
import { CAPABILITY_OF, ServiceCode } from './service-types';

export type InstitutionLevelName = 'prefecture' | 'county' | 'township';

interface Pattern {
  readonly weekdays: readonly number[];
  readonly sessions: ReadonlyArray<readonly [start: string, end: string]>;
  readonly slotMinutes: number;
  readonly capacity: Readonly<Record<InstitutionLevelName, number>>;
  /** Offered by township institutions too (else county level and above). */
  readonly township: boolean;
}

const WEEKDAYS = [1, 2, 3, 4, 5];
const MORNING = ['08:30', '11:30'] as const;
const AFTERNOON = ['14:30', '17:30'] as const;

const PATTERNS: Readonly<Record<ServiceCode, Pattern>> = {
  'antenatal-check': {
    weekdays: [...WEEKDAYS, 6],
    sessions: [MORNING, AFTERNOON],
    slotMinutes: 30,
    capacity: { prefecture: 6, county: 4, township: 2 },
    township: true,
  },
  ultrasound: {
    weekdays: WEEKDAYS,
    sessions: [MORNING, AFTERNOON],
    slotMinutes: 20,
    capacity: { prefecture: 3, county: 2, township: 1 },
    township: true,
  },
  'child-health-check': {
    weekdays: [2, 4],
    sessions: [MORNING, AFTERNOON],
    slotMinutes: 30,
    capacity: { prefecture: 6, county: 4, township: 3 },
    township: true,
  },
  vaccination: {
    weekdays: [1, 3, 5],
    sessions: [MORNING],
    slotMinutes: 15,
    capacity: { prefecture: 6, county: 4, township: 3 },
    township: true,
  },
  consultation: {
    weekdays: WEEKDAYS,
    sessions: [AFTERNOON],
    slotMinutes: 30,
    capacity: { prefecture: 3, county: 2, township: 1 },
    township: false,
  },
  'delivery-assessment': {
    weekdays: [1, 3, 5],
    sessions: [MORNING],
    slotMinutes: 30,
    capacity: { prefecture: 3, county: 2, township: 1 },
    township: true,
  },
};

function minutes(clock: string): number {
  const [hours, mins] = clock.split(':').map(Number) as [number, number];
  return hours * 60 + mins;
}

export function demoScheduleRules(level: InstitutionLevelName, capabilities: readonly string[]): ScheduleRules {
  const weekly: WeeklyRule[] = [];
  for (const [service, pattern] of Object.entries(PATTERNS) as Array<[ServiceCode, Pattern]>) {
    if (!capabilities.includes(CAPABILITY_OF[service])) continue;
    if (level === 'township' && !pattern.township) continue;
    for (const weekday of pattern.weekdays) {
      for (const [start, end] of pattern.sessions) {
        // Saturdays: mornings only.
        if (weekday === 6 && start !== MORNING[0]) continue;
        weekly.push({
          service,
          weekday,
          startMinute: minutes(start),
          endMinute: minutes(end),
          slotMinutes: pattern.slotMinutes,
          capacity: pattern.capacity[level],
        });
      }
    }
  }
  return { weekly, exceptions: [] };
}

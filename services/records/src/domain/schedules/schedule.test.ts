import { DataFileError } from '../data-file';
import { parseSchedule, Schedule, scheduleCatalogue } from './schedule';

type Json = Record<string, unknown>;

const label = { zh: '项目', en: 'item' };

function schedule(kind: string, items: Json[], overrides: Json = {}): Json {
  return {
    id: 'test-2026',
    programme: 'test',
    kind,
    title: label,
    effectiveFrom: '2026-01-01',
    source: 'unit test',
    items,
    ...overrides,
  };
}

const check = (overrides: Json = {}): Json => ({
  id: 'check',
  label,
  anchor: 'birth',
  service: 'child-health-check',
  opens: { months: 3, days: -14 },
  due: { months: 3 },
  overdue: { months: 4 },
  ...overrides,
});

const hepb = (dose: number, overrides: Json = {}): Json => ({
  id: `hepb-${dose}`,
  label,
  anchor: 'birth',
  vaccine: 'HepB',
  dose,
  opens: { months: dose },
  due: { months: dose },
  overdue: { months: dose + 1 },
  ...overrides,
});

const parse = (json: Json): Schedule => parseSchedule('schedules/test.json', JSON.stringify(json));

function problem(json: Json): string {
  try {
    parse(json);
  } catch (error) {
    if (error instanceof DataFileError) return error.message;
    throw error;
  }
  throw new Error('expected the schedule to be refused');
}

describe('schedule files are validated at load', () => {
  it('reads visits and doses, defaulting the interval to the previous dose of the same vaccine', () => {
    const parsed = parse(
      schedule('immunization', [hepb(1), hepb(2, { minInterval: { days: 28 } }), hepb(3, { products: ['HepB-CHO'] })]),
    );
    const [first, second, third] = parsed.items;
    expect(first).toMatchObject({ type: 'dose', vaccine: 'HepB', dose: 1, products: ['HepB'], minInterval: undefined });
    expect(second).toMatchObject({ minInterval: { after: 'hepb-1', days: 28 } });
    expect(third).toMatchObject({ products: ['HepB', 'HepB-CHO'] });
    expect(parse(schedule('child-health', [check()])).items[0]).toMatchObject({
      type: 'visit',
      service: 'child-health-check',
      match: 'window',
    });
  });

  it.each([
    ['an unknown kind', schedule('vaccines', [check()]), 'kind: unknown kind "vaccines"'],
    [
      'an anchor the kind does not use',
      schedule('child-health', [check({ anchor: 'lmp' })]),
      'items[0].anchor: anchor must be one of birth, discharge',
    ],
    [
      'a window that closes before it opens',
      schedule('child-health', [check({ due: { months: 2 } })]),
      'items[0]: the window must satisfy opens ≤ due < overdue',
    ],
    [
      'a window that is never overdue',
      schedule('child-health', [check({ overdue: { months: 3 } })]),
      'opens ≤ due < overdue',
    ],
    [
      '"closes" before "overdue"',
      schedule('child-health', [check({ closes: { months: 3, days: 20 } })]),
      '"closes" must not come before "overdue"',
    ],
    [
      'a misspelt offset unit',
      schedule('child-health', [check({ due: { month: 3 } })]),
      'items[0].due: unknown key "month"',
    ],
    [
      'a fractional offset',
      schedule('child-health', [check({ due: { months: 3.5 } })]),
      'items[0].due.months: must be a whole number',
    ],
    [
      'an empty offset',
      schedule('child-health', [check({ opens: {} })]),
      'items[0].opens: an offset needs at least one of years, months, weeks, days',
    ],
    [
      'an unknown match rule',
      schedule('child-health', [check({ match: 'any' })]),
      'items[0].match: match must be "window" or "first"',
    ],
    ['a repeated item id', schedule('child-health', [check(), check()]), 'items[1].id: item id "check" is used twice'],
    [
      'a dose out of order',
      schedule('immunization', [hepb(2)]),
      'items[0].dose: HepB dose 2 follows 0 earlier dose(s); expected dose 1',
    ],
    [
      'an interval after an unknown dose',
      schedule('immunization', [hepb(1), hepb(2, { minInterval: { after: 'hepb-9', days: 28 } })]),
      'items[1].minInterval.after: "hepb-9" is not an earlier dose',
    ],
    [
      'an interval on a first dose that does not say after what',
      schedule('immunization', [hepb(1, { minInterval: { days: 28 } })]),
      'must say which item it counts from',
    ],
    ['a visit key on a dose', schedule('immunization', [hepb(1, { service: 'x' })]), 'items[0]: unknown key "service"'],
    ['no items', schedule('immunization', []), 'items: must not be empty'],
  ])('refuses %s', (_what, json, message) => {
    const text = problem(json);
    expect(text).toContain('schedules/test.json');
    expect(text).toContain(message);
  });

  it('refuses two versions of one programme that start the same day', () => {
    const a = parse(schedule('child-health', [check()], { id: 'a' }));
    const b = parse(schedule('child-health', [check()], { id: 'b' }));
    expect(() => scheduleCatalogue([a, b])).toThrow('schedules "a" and "b" both start test on 2026-01-01');
  });
});

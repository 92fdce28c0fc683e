// The national immunization programme's editions on hand-worked cases: the 2025 DTaP adjustment chosen by birth
// date, and the transition of children already part-way through DTaP when it took effect.
import path from 'node:path';
import { defaultRecordsDataDir, loadSchedules } from '../reference-data';
import { DoseRecord, evaluateSchedule, ItemState, ScheduleProgress } from './engine';
import { findSchedule, scheduleForChild } from './schedule';

const catalogue = loadSchedules(path.join(defaultRecordsDataDir(), 'schedules'));

function states(birth: string, today: string, progress: ScheduleProgress = {}): Map<string, ItemState> {
  const schedule = scheduleForChild(catalogue, 'cn-nip', birth);
  return new Map(
    evaluateSchedule(schedule, { anchors: { birth }, progress, today }).items.map((item) => [item.itemId, item]),
  );
}

function item(map: Map<string, ItemState>, id: string): ItemState {
  const state = map.get(id);
  if (!state) throw new Error(`no item ${id} (items: ${[...map.keys()].join(', ')})`);
  return state;
}

const dtap = (dose: number, date: string): DoseRecord => ({ vaccine: 'DTaP', dose, date });

describe('the 2025 edition (DTaP at 2, 4, 6, 18 months and 6 years)', () => {
  it('is the 2021 programme with DTaP replaced: every other item is the 2021 one, DT is gone', () => {
    const edition = findSchedule(catalogue, 'cn-nip-2025');
    const previous = findSchedule(catalogue, 'cn-nip-2021');
    const others = (schedule: typeof edition): string[] =>
      schedule.items.filter((i) => i.type !== 'dose' || !['DTaP', 'DT'].includes(i.vaccine)).map((i) => i.id);
    expect(others(edition)).toEqual(others(previous));
    expect(edition.items.filter((i) => i.type === 'dose' && i.vaccine === 'DTaP').map((i) => i.id)).toEqual([
      'dtap-1',
      'dtap-2',
      'dtap-3',
      'dtap-4',
      'dtap-5',
    ]);
    expect(edition.items.some((i) => i.type === 'dose' && i.vaccine === 'DT')).toBe(false);
    // The transition rule carries its source and says it is unconfirmed.
    expect(edition.transition).toMatchObject({ bornOnOrAfter: '2019-01-01', confirmation: 'unconfirmed' });
    expect(edition.transition?.source).toContain('百白破疫苗和白破疫苗免疫程序调整');
  });

  it('a child born 2025-03-10 has DTaP due at 2 months (2025-05-10), then at 4, 6, 18 months and 6 years', () => {
    expect(scheduleForChild(catalogue, 'cn-nip', '2025-03-10')).toMatchObject({ id: 'cn-nip-2025' });
    expect(scheduleForChild(catalogue, 'cn-nip', '2025-03-10').transitionFrom).toBeUndefined();
    const child = states('2025-03-10', '2025-05-10');
    expect(item(child, 'dtap-1')).toMatchObject({
      status: 'due',
      opensOn: '2025-05-10',
      dueOn: '2025-05-10',
      overdueOn: '2025-06-10',
    });
    expect(item(child, 'dtap-2')).toMatchObject({ status: 'upcoming', dueOn: '2025-07-10', overdueOn: '2025-08-10' });
    expect(item(child, 'dtap-3')).toMatchObject({ dueOn: '2025-09-10', overdueOn: '2026-03-10' });
    expect(item(child, 'dtap-4')).toMatchObject({ dueOn: '2026-09-10', overdueOn: '2027-03-10' });
    expect(item(child, 'dtap-5')).toMatchObject({
      vaccine: 'DTaP',
      dose: 5,
      dueOn: '2031-03-10',
      overdueOn: '2032-03-10',
    });
    expect(child.has('dt-1')).toBe(false);
  });

  it('catch-up (补种): missed doses stay due, are not restarted, and each next dose waits its minimum interval from today', () => {
    // Nothing given by 2025-12-01: dose 1 is overdue; dose 2 can follow 28 days after dose 1 could be given today.
    const child = states('2025-03-10', '2025-12-01');
    expect(item(child, 'dtap-1')).toMatchObject({ status: 'overdue', dueOn: '2025-05-10' });
    expect(item(child, 'dtap-2')).toMatchObject({ status: 'upcoming', opensOn: '2025-12-29', intervalAfter: 'dtap-1' });
    // Dose 1 given on 2025-12-01: dose 2 opens 28 days later, and only the missing doses remain.
    const caught = states('2025-03-10', '2025-12-01', { doses: [dtap(1, '2025-12-01')] });
    expect(item(caught, 'dtap-1')).toMatchObject({ status: 'done', onTime: false });
    expect(item(caught, 'dtap-2')).toMatchObject({ opensOn: '2025-12-29' });
  });
});

describe('children born before 2025 (the transition)', () => {
  it('born 2023-06-15 with DTaP 1-3 given at 3, 4 and 5 months: those count by the 2021 ages, dose 4 at 18 months, dose 5 DTaP at 6 years', () => {
    const schedule = scheduleForChild(catalogue, 'cn-nip', '2023-06-15');
    expect(schedule).toMatchObject({
      id: 'cn-nip-2025',
      transitionFrom: { scheduleId: 'cn-nip-2021', switchOn: '2025-01-01' },
    });
    const child = states('2023-06-15', '2025-01-10', {
      doses: [dtap(1, '2023-09-15'), dtap(2, '2023-10-16'), dtap(3, '2023-11-15')],
    });
    // Under the 2025 ages dose 3 would open at 6 months (2023-12-15) and read as given early; the 2021 window judges it.
    expect(item(child, 'dtap-3')).toMatchObject({
      status: 'done',
      opensOn: '2023-11-15',
      onTime: true,
      givenEarly: false,
    });
    expect(item(child, 'dtap-1')).toMatchObject({ status: 'done', onTime: true, givenEarly: false });
    expect(item(child, 'dtap-4')).toMatchObject({ status: 'due', dueOn: '2024-12-15', overdueOn: '2025-06-15' });
    expect(item(child, 'dtap-5')).toMatchObject({
      vaccine: 'DTaP',
      dose: 5,
      dueOn: '2029-06-15',
      overdueOn: '2030-06-15',
    });
    expect(child.has('dt-1')).toBe(false);
  });

  it('born 2024-09-01 with DTaP 1 given in 2024: doses 2 and 3 follow the 2025 ages (4 and 6 months)', () => {
    const child = states('2024-09-01', '2025-01-02', { doses: [dtap(1, '2024-12-01')] });
    expect(item(child, 'dtap-1')).toMatchObject({ status: 'done', onTime: true, opensOn: '2024-12-01' });
    expect(item(child, 'dtap-2')).toMatchObject({
      status: 'due',
      opensOn: '2025-01-01',
      dueOn: '2025-01-01',
      overdueOn: '2025-02-01',
    });
    // The 2021 edition had dose 3 at 5 months (2025-02-01); the 2025 edition gives it at 6 months.
    expect(item(child, 'dtap-3')).toMatchObject({ dueOn: '2025-03-01', overdueOn: '2025-09-01' });
  });

  it('a dose given from 2025 on is judged by the 2025 ages, even for a child born before', () => {
    // Born 2024-10-20: DTaP 1 is due at 2 months (2024-12-20) under the 2025 edition and late from 3 months.
    const child = states('2024-10-20', '2025-02-01', { doses: [dtap(1, '2025-01-20')] });
    expect(item(child, 'dtap-1')).toMatchObject({
      status: 'done',
      dueOn: '2024-12-20',
      overdueOn: '2025-01-20',
      onTime: false,
    });
  });

  it('a child 6 years or older on 2025-01-01 stays on the 2021 edition: DT at 6 years', () => {
    expect(scheduleForChild(catalogue, 'cn-nip', '2018-12-31').id).toBe('cn-nip-2021');
    const child = states('2018-06-01', '2024-06-01');
    expect(item(child, 'dt-1')).toMatchObject({ status: 'due', dueOn: '2024-06-01' });
    expect(child.has('dtap-5')).toBe(false);
    // Born on the cut-off day (6 on 2025-01-01), with DTaP 1-4 given: DTaP at 6 years, due that day.
    const doses = [dtap(1, '2019-04-01'), dtap(2, '2019-05-01'), dtap(3, '2019-06-01'), dtap(4, '2020-07-01')];
    expect(item(states('2019-01-01', '2025-01-01', { doses }), 'dtap-5')).toMatchObject({
      status: 'due',
      dueOn: '2025-01-01',
    });
    // Without dose 4 the 6-month interval after it holds dose 5 back (it can follow 6 months after dose 4 is given).
    expect(item(states('2019-01-01', '2025-01-01', { doses: doses.slice(0, 3) }), 'dtap-5')).toMatchObject({
      status: 'upcoming',
      intervalAfter: 'dtap-4',
    });
  });
});

describe('contraindication deferrals', () => {
  const deferral = (until?: string): ScheduleProgress['deferrals'] => [
    { vaccine: 'DTaP', dose: 1, on: '2025-05-12', ...(until ? { until } : {}), reason: 'acute-illness' },
  ];

  it('a deferred dose is deferred (off the due list) until the date given, and the next dose waits its interval from then', () => {
    const child = states('2025-03-10', '2025-05-12', { deferrals: deferral('2025-07-01') });
    expect(item(child, 'dtap-1')).toMatchObject({
      status: 'deferred',
      deferredUntil: '2025-07-01',
      deferralReason: 'acute-illness',
      dueOn: '2025-05-10',
    });
    // 28 days after 2025-07-01, later than 4 months (2025-07-10).
    expect(item(child, 'dtap-2')).toMatchObject({ opensOn: '2025-07-29', intervalAfter: 'dtap-1' });
  });

  it('from the end of the deferral the dose is a catch-up dose again; an open-ended one holds until a later record', () => {
    expect(item(states('2025-03-10', '2025-07-01', { deferrals: deferral('2025-07-01') }), 'dtap-1').status).toBe(
      'overdue',
    );
    const open = states('2025-03-10', '2025-08-01', { deferrals: deferral() });
    expect(item(open, 'dtap-1').status).toBe('deferred');
    expect(item(open, 'dtap-1').deferredUntil).toBeUndefined();
    // A later deferral replaces it: ended by 2025-08-01, so the dose is overdue again.
    const replaced = states('2025-03-10', '2025-08-01', {
      deferrals: [
        ...(deferral() ?? []),
        { vaccine: 'DTaP', dose: 1, on: '2025-07-01', until: '2025-07-15', reason: 'acute-illness' },
      ],
    });
    expect(item(replaced, 'dtap-1').status).toBe('overdue');
  });

  it('a dose given is done whatever was deferred; a deferral not yet begun does not hold', () => {
    expect(
      item(states('2025-03-10', '2025-06-01', { doses: [dtap(1, '2025-05-20')], deferrals: deferral() }), 'dtap-1')
        .status,
    ).toBe('done');
    expect(item(states('2025-03-10', '2025-05-11', { deferrals: deferral() }), 'dtap-1').status).toBe('due');
  });

  it('names the field of a bad deferral', () => {
    const schedule = scheduleForChild(catalogue, 'cn-nip', '2025-03-10');
    expect(() =>
      evaluateSchedule(schedule, {
        anchors: { birth: '2025-03-10' },
        today: '2025-05-12',
        progress: { deferrals: [{ vaccine: 'DTaP', dose: 1, on: '2025-05-12', until: '2025-05-12', reason: 'x' }] },
      }),
    ).toThrow(/deferrals\[0\]\.until/);
  });

  it('the programme data lists the contraindications a dose can be deferred for, each with its source, unconfirmed', () => {
    const schedule = scheduleForChild(catalogue, 'cn-nip', '2025-03-10');
    expect(schedule.deferralReasons.map((reason) => reason.code)).toEqual([
      'acute-illness',
      'severe-allergy',
      'immunodeficiency',
      'neurological',
      'awaiting-assessment',
      'other',
    ]);
    for (const reason of schedule.deferralReasons)
      expect(reason).toMatchObject({ confirmation: 'unconfirmed', source: expect.stringContaining('2021年版') });
  });
});

import fc from 'fast-check';
import path from 'node:path';
import { InvalidArgumentError } from '../../../../common/src/errors';
import { addOffset, dayNumberOf, isoDateOf } from '../calendar';
import { defaultRecordsDataDir, loadSchedules } from '../reference-data';
import {
  DoseRecord,
  evaluateSchedule,
  ItemState,
  ItemStatus,
  ScheduleAnchors,
  ScheduleProgress,
  VisitRecord,
} from './engine';
import { findSchedule, scheduleInForce } from './schedule';
import { fieldsOf as fields } from '../../../../common/test/violations';

const catalogue = loadSchedules(path.join(defaultRecordsDataDir(), 'schedules'));
const nip = findSchedule(catalogue, 'cn-nip-2021');
const childHealth = findSchedule(catalogue, 'cn-bphs-child-health-2017');
const nationalAntenatal = findSchedule(catalogue, 'cn-bphs-antenatal-2017');
const whoAntenatal = findSchedule(catalogue, 'who-anc-2016');
const postpartum = findSchedule(catalogue, 'cn-bphs-postpartum-2017');

function evaluate(
  schedule: typeof nip,
  anchors: ScheduleAnchors,
  today: string,
  progress: ScheduleProgress = {},
): Map<string, ItemState> {
  const evaluation = evaluateSchedule(schedule, { anchors, progress, today });
  return new Map(evaluation.items.map((item) => [item.itemId, item]));
}

function item(states: Map<string, ItemState>, id: string): ItemState {
  const state = states.get(id);
  if (!state) throw new Error(`no item ${id}`);
  return state;
}

const dose = (vaccine: string, number: number, date: string): DoseRecord => ({ vaccine, dose: number, date });
const visit = (service: string, date: string): VisitRecord => ({ service, date });

describe('a child’s immunization dates come from the data exactly', () => {
  const born = '2026-03-15';
  const states = evaluate(nip, { birth: born }, born);

  it('every dose is due at its offset from birth, on the day of birth', () => {
    // The alternative routes (inactivated JE and HepA) stand aside until a dose of theirs is recorded.
    const alternatives = new Set(
      nip.routes.flatMap((group) => group.vaccines.filter((vaccine) => vaccine !== group.default)),
    );
    for (const schedItem of nip.items.filter(
      (candidate) => candidate.type !== 'dose' || !alternatives.has(candidate.vaccine),
    )) {
      const state = item(states, schedItem.id);
      expect(state.dueOn).toBe(isoDateOf(addOffset(dayNumberOf(born) as number, schedItem.due)));
      expect(state.overdueOn).toBe(isoDateOf(addOffset(dayNumberOf(born) as number, schedItem.overdue)));
    }
  });

  it.each([
    ['hepb-1', '2026-03-15', '2026-03-15', '2026-03-17'],
    ['hepb-2', '2026-04-15', '2026-04-15', '2026-05-15'],
    ['hepb-3', '2026-09-15', '2026-09-15', '2027-03-15'],
    ['bcg-1', '2026-03-15', '2026-03-15', '2026-06-15'],
    ['polio-1', '2026-05-15', '2026-05-15', '2026-06-15'],
    ['polio-4', '2030-03-15', '2030-03-15', '2031-03-15'],
    ['dtap-1', '2026-06-15', '2026-06-15', '2026-07-15'],
    ['dtap-4', '2027-09-15', '2027-09-15', '2028-03-15'],
    ['dt-1', '2032-03-15', '2032-03-15', '2033-03-15'],
    ['mmr-1', '2026-11-15', '2026-11-15', '2027-03-15'],
    ['mmr-2', '2027-09-15', '2027-09-15', '2028-03-15'],
    ['je-1', '2026-11-15', '2026-11-15', '2027-03-15'],
    ['je-2', '2028-03-15', '2028-03-15', '2029-03-15'],
    ['mena-1', '2026-09-15', '2026-09-15', '2026-10-15'],
    ['mena-2', '2026-12-15', '2026-12-15', '2027-09-15'],
    ['menac-1', '2029-03-15', '2029-03-15', '2030-03-15'],
    ['menac-2', '2032-03-15', '2032-03-15', '2033-03-15'],
    ['hepa-1', '2027-09-15', '2027-09-15', '2028-03-15'],
  ])('%s opens %s, is due %s, overdue %s', (id, opensOn, dueOn, overdueOn) => {
    expect(item(states, id)).toMatchObject({ opensOn, dueOn, overdueOn });
  });

  it('at birth the birth doses are due and the rest upcoming', () => {
    expect(item(states, 'hepb-1').status).toBe('due');
    expect(item(states, 'bcg-1').status).toBe('due');
    expect(item(states, 'hepb-2').status).toBe('upcoming');
    expect(item(states, 'dt-1').status).toBe('upcoming');
  });

  it('a child born on the 31st is due a month later on the month’s last day', () => {
    const late = evaluate(nip, { birth: '2026-01-31' }, '2026-01-31');
    expect(item(late, 'hepb-2').dueOn).toBe('2026-02-28');
    expect(item(late, 'polio-1').dueOn).toBe('2026-03-31');
    expect(item(late, 'dtap-1').dueOn).toBe('2026-04-30');
    expect(item(late, 'mmr-1').dueOn).toBe('2026-09-30');
  });
});

describe('windows at their boundaries (3-month child check, born 2026-03-15)', () => {
  const check = (today: string, visits: VisitRecord[] = []): ItemState =>
    item(evaluate(childHealth, { birth: '2026-03-15', discharge: '2026-03-18' }, today, { visits }), 'check-3-months');

  it.each([
    ['2026-05-31', 'upcoming'],
    ['2026-06-01', 'open'],
    ['2026-06-14', 'open'],
    ['2026-06-15', 'due'],
    ['2026-07-14', 'due'],
    ['2026-07-15', 'overdue'],
    ['2026-08-31', 'overdue'],
    ['2026-09-01', 'not-applicable'],
  ])('on %s it is %s', (today, status) => {
    expect(check(today).status).toBe(status);
  });

  it('opens 14 days before 3 months, is overdue a month after, and closes when the 6-month check opens', () => {
    expect(check('2026-06-01')).toMatchObject({
      opensOn: '2026-06-01',
      dueOn: '2026-06-15',
      overdueOn: '2026-07-15',
      closesOn: '2026-09-01',
    });
    expect(check('2026-09-01').reason).toBe('window-closed');
  });

  it('is done on time by a check in the window, late by one after it, and not by one before it', () => {
    expect(check('2026-08-01', [visit('child-health-check', '2026-06-20')])).toMatchObject({
      status: 'done',
      doneOn: '2026-06-20',
      onTime: true,
    });
    expect(check('2026-08-01', [visit('child-health-check', '2026-07-20')])).toMatchObject({
      status: 'done',
      doneOn: '2026-07-20',
      onTime: false,
    });
    expect(check('2026-08-01', [visit('child-health-check', '2026-05-20')]).status).toBe('overdue');
  });

  it('the day a dose opens and the day it becomes overdue', () => {
    const dtap1 = (today: string): ItemStatus => item(evaluate(nip, { birth: '2026-03-15' }, today), 'dtap-1').status;
    expect(dtap1('2026-06-14')).toBe('upcoming');
    expect(dtap1('2026-06-15')).toBe('due');
    expect(dtap1('2026-07-14')).toBe('due');
    expect(dtap1('2026-07-15')).toBe('overdue');
  });

  it('status only moves forward as the days pass (property)', () => {
    const order: ItemStatus[] = ['upcoming', 'open', 'due', 'overdue', 'not-applicable'];
    const born = dayNumberOf('2026-03-15') as number;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2700 }), fc.integer({ min: 0, max: 2700 }), (a, b) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        const before = evaluate(childHealth, { birth: '2026-03-15', discharge: '2026-03-18' }, isoDateOf(born + early));
        const after = evaluate(childHealth, { birth: '2026-03-15', discharge: '2026-03-18' }, isoDateOf(born + late));
        return [...before].every(([id, state]) => order.indexOf(state.status) <= order.indexOf(item(after, id).status));
      }),
      { numRuns: 200 },
    );
  });
});

describe('child health checks', () => {
  const born = '2026-03-15';

  it.each([
    ['check-28-30-days', '2026-04-12', '2026-04-12', '2026-04-15', '2026-06-01'],
    ['check-6-months', '2026-09-01', '2026-09-15', '2026-10-15', '2026-11-01'],
    ['check-8-months', '2026-11-01', '2026-11-15', '2026-12-15', '2027-03-01'],
    ['check-12-months', '2027-03-01', '2027-03-15', '2027-04-15', '2027-09-01'],
    ['check-18-months', '2027-09-01', '2027-09-15', '2027-11-15', '2028-03-01'],
    ['check-24-months', '2028-03-01', '2028-03-15', '2028-05-15', '2028-09-01'],
    ['check-30-months', '2028-09-01', '2028-09-15', '2028-11-15', '2029-03-01'],
    ['check-36-months', '2029-03-01', '2029-03-15', '2029-05-15', '2030-02-15'],
    ['check-4-years', '2030-02-15', '2030-03-15', '2030-06-15', '2031-02-15'],
    ['check-5-years', '2031-02-15', '2031-03-15', '2031-06-15', '2032-02-15'],
    ['check-6-years', '2032-02-15', '2032-03-15', '2032-06-15', '2033-03-15'],
  ])('%s opens %s, due %s, overdue %s, closes %s', (id, opensOn, dueOn, overdueOn, closesOn) => {
    expect(item(evaluate(childHealth, { birth: born }, born), id)).toMatchObject({
      opensOn,
      dueOn,
      overdueOn,
      closesOn,
    });
  });

  it('the newborn home visit counts from discharge and needs the discharge date', () => {
    const withDischarge = evaluate(childHealth, { birth: born, discharge: '2026-03-18' }, '2026-03-25');
    expect(item(withDischarge, 'newborn-home-visit')).toMatchObject({
      status: 'due',
      opensOn: '2026-03-18',
      overdueOn: '2026-03-26',
    });
    expect(
      item(evaluate(childHealth, { birth: born, discharge: '2026-03-18' }, '2026-03-26'), 'newborn-home-visit').status,
    ).toBe('overdue');
    expect(item(evaluate(childHealth, { birth: born }, '2026-03-25'), 'newborn-home-visit')).toMatchObject({
      status: 'not-applicable',
      reason: 'anchor-missing',
    });
  });

  it('each check visit satisfies one check: two visits in one window do not fill the next', () => {
    const states = evaluate(childHealth, { birth: born }, '2026-10-20', {
      visits: [
        visit('child-health-check', '2026-06-16'),
        visit('child-health-check', '2026-06-30'),
        visit('child-health-check', '2026-09-20'),
      ],
    });
    expect(item(states, 'check-3-months')).toMatchObject({ status: 'done', doneOn: '2026-06-16' });
    expect(item(states, 'check-6-months')).toMatchObject({ status: 'done', doneOn: '2026-09-20' });
    expect(item(states, 'check-28-30-days')).toMatchObject({ status: 'not-applicable', reason: 'window-closed' });
  });

  it('ignores visits of another service', () => {
    const states = evaluate(childHealth, { birth: born }, '2026-07-01', {
      visits: [visit('antenatal-visit', '2026-06-16')],
    });
    expect(item(states, 'check-3-months').status).toBe('due');
  });
});

describe('minimum intervals between doses', () => {
  const born = '2026-03-15';

  it('a late DTaP 1 pushes DTaP 2: 28 days after the dose, due and overdue moved by the same days', () => {
    const states = evaluate(nip, { birth: born }, '2026-08-10', { doses: [dose('DTaP', 1, '2026-08-01')] });
    expect(item(states, 'dtap-1')).toMatchObject({ status: 'done', doneOn: '2026-08-01', onTime: false });
    // Nominal 2026-07-15 / 07-15 / 08-15; 28 days after 08-01 is 08-29, 45 days later.
    expect(item(states, 'dtap-2')).toMatchObject({
      status: 'upcoming',
      opensOn: '2026-08-29',
      dueOn: '2026-08-29',
      overdueOn: '2026-09-29',
      intervalAfter: 'dtap-1',
    });
    // DTaP 3 waits 28 days after the soonest DTaP 2 (08-29): 09-26, 42 days after its nominal 08-15.
    expect(item(states, 'dtap-3')).toMatchObject({
      opensOn: '2026-09-26',
      dueOn: '2026-09-26',
      overdueOn: '2027-04-26',
    });
  });

  it('a dose given on time leaves the next at its age', () => {
    const states = evaluate(nip, { birth: born }, '2026-07-20', { doses: [dose('DTaP', 1, '2026-06-15')] });
    expect(item(states, 'dtap-2')).toMatchObject({
      status: 'due',
      opensOn: '2026-07-15',
      dueOn: '2026-07-15',
      overdueOn: '2026-08-15',
    });
    expect(item(states, 'dtap-2').intervalAfter).toBeUndefined();
  });

  it('a missing earlier dose holds the next back from today', () => {
    // At 5 months with no HepB 2, HepB 3 can be given no sooner than 60 days after a HepB 2 given today.
    const states = evaluate(nip, { birth: born }, '2026-08-15', { doses: [dose('HepB', 1, '2026-03-15')] });
    expect(item(states, 'hepb-2').status).toBe('overdue');
    expect(item(states, 'hepb-3')).toMatchObject({
      status: 'upcoming',
      opensOn: '2026-10-14',
      intervalAfter: 'hepb-2',
    });
  });

  it('HepB 3 waits 60 days after a late HepB 2', () => {
    const states = evaluate(nip, { birth: born }, '2026-09-20', {
      doses: [dose('HepB', 1, '2026-03-15'), dose('HepB', 2, '2026-08-15')],
    });
    expect(item(states, 'hepb-3')).toMatchObject({ status: 'upcoming', opensOn: '2026-10-14' });
  });

  it('DTaP 4 waits 6 months after DTaP 3', () => {
    const states = evaluate(nip, { birth: born }, '2027-09-20', {
      doses: [dose('DTaP', 1, '2026-06-15'), dose('DTaP', 2, '2026-07-15'), dose('DTaP', 3, '2027-05-01')],
    });
    expect(item(states, 'dtap-4')).toMatchObject({
      status: 'upcoming',
      opensOn: '2027-11-01',
      intervalAfter: 'dtap-3',
    });
  });

  it('MenAC 1 counts 12 months from MenA 2, a different vaccine', () => {
    const states = evaluate(nip, { birth: born }, '2029-03-20', {
      doses: [dose('MenA', 1, '2027-09-01'), dose('MenA', 2, '2028-06-01')],
    });
    expect(item(states, 'menac-1')).toMatchObject({
      status: 'upcoming',
      opensOn: '2029-06-01',
      intervalAfter: 'mena-2',
    });
  });

  it('MenA no longer applies from 24 months, and then does not hold MenAC back', () => {
    const states = evaluate(nip, { birth: born }, '2029-03-20');
    expect(item(states, 'mena-1')).toMatchObject({
      status: 'not-applicable',
      reason: 'window-closed',
      closesOn: '2028-03-15',
    });
    expect(item(states, 'mena-2')).toMatchObject({ status: 'not-applicable', reason: 'window-closed' });
    expect(item(states, 'menac-1')).toMatchObject({ status: 'due', opensOn: '2029-03-15' });
  });

  it('MenA 2 pushed past 24 months by a late MenA 1 no longer applies', () => {
    const states = evaluate(nip, { birth: born }, '2028-01-10', { doses: [dose('MenA', 1, '2028-01-01')] });
    expect(item(states, 'mena-2')).toMatchObject({
      status: 'not-applicable',
      reason: 'window-closed',
      opensOn: '2028-04-01',
    });
  });
});

describe('which dose records satisfy which dose', () => {
  const born = '2026-03-15';

  it('counts the products the programme allows for a dose', () => {
    const states = evaluate(nip, { birth: born }, '2026-12-01', {
      doses: [
        dose('IPV', 1, '2026-05-15'),
        dose('IPV', 2, '2026-06-15'),
        dose('bOPV', 3, '2026-07-15'),
        dose('MR', 1, '2026-11-20'),
      ],
    });
    expect(item(states, 'polio-1').status).toBe('done');
    expect(item(states, 'polio-2').status).toBe('done');
    expect(item(states, 'polio-3')).toMatchObject({ status: 'done', doneOn: '2026-07-15', onTime: true });
    expect(item(states, 'mmr-1')).toMatchObject({ status: 'done', doneOn: '2026-11-20' });
  });

  it('does not count a product the dose does not allow, or another dose number', () => {
    const states = evaluate(nip, { birth: born }, '2026-06-20', {
      doses: [dose('bOPV', 1, '2026-05-15'), dose('HepB', 1, '2026-03-15'), dose('HepB', 3, '2026-04-15')],
    });
    expect(item(states, 'polio-1').status).toBe('overdue');
    expect(item(states, 'hepb-2').status).toBe('overdue');
    expect(item(states, 'hepb-3')).toMatchObject({ status: 'done', givenEarly: true });
  });

  it('flags a dose given before it may be given', () => {
    const states = evaluate(nip, { birth: born }, '2026-06-01', {
      doses: [dose('HepB', 1, '2026-03-15'), dose('HepB', 2, '2026-04-01')],
    });
    expect(item(states, 'hepb-2')).toMatchObject({ status: 'done', givenEarly: true });
  });

  it('BCG is no longer given from 4 years', () => {
    expect(item(evaluate(nip, { birth: born }, '2030-03-14'), 'bcg-1').status).toBe('overdue');
    expect(item(evaluate(nip, { birth: born }, '2030-03-15'), 'bcg-1')).toMatchObject({
      status: 'not-applicable',
      reason: 'window-closed',
    });
  });
});

describe('antenatal schedules for an LMP', () => {
  const lmp = '2026-01-05';

  it('the national schedule: first visit before 13 weeks, then 16–20, 21–24, 28–36, 37–40 weeks', () => {
    const states = evaluate(nationalAntenatal, { lmp }, '2026-05-12', {
      visits: [visit('antenatal-visit', '2026-03-02')],
    });
    expect(item(states, 'first-visit')).toMatchObject({
      status: 'done',
      doneOn: '2026-03-02',
      onTime: true,
      overdueOn: '2026-04-06',
    });
    expect(item(states, 'visit-16-20')).toMatchObject({
      status: 'due',
      opensOn: '2026-04-27',
      overdueOn: '2026-06-01',
    });
    expect(item(states, 'visit-21-24')).toMatchObject({
      status: 'upcoming',
      opensOn: '2026-06-01',
      overdueOn: '2026-06-29',
    });
    expect(item(states, 'visit-28-36')).toMatchObject({ opensOn: '2026-07-20', overdueOn: '2026-09-21' });
    expect(item(states, 'visit-37-40')).toMatchObject({
      opensOn: '2026-09-21',
      overdueOn: '2026-10-19',
      closesOn: '2026-10-26',
    });
  });

  it('the working EDD gives the same dates as its LMP', () => {
    const byLmp = evaluateSchedule(nationalAntenatal, { anchors: { lmp }, today: '2026-05-12' });
    const byEdd = evaluateSchedule(nationalAntenatal, { anchors: { edd: '2026-10-12' }, today: '2026-05-12' });
    expect(byEdd.items).toEqual(byLmp.items);
  });

  it('the 16–20 window becomes overdue at 21+0', () => {
    expect(item(evaluate(nationalAntenatal, { lmp }, '2026-05-31'), 'visit-16-20').status).toBe('due');
    expect(item(evaluate(nationalAntenatal, { lmp }, '2026-06-01'), 'visit-16-20').status).toBe('not-applicable');
  });

  it('a first visit at 18 weeks is a late registration and also the 16–20 week visit', () => {
    const states = evaluate(nationalAntenatal, { lmp }, '2026-05-20', {
      visits: [visit('antenatal-visit', '2026-05-11')],
    });
    expect(item(states, 'first-visit')).toMatchObject({ status: 'done', doneOn: '2026-05-11', onTime: false });
    expect(item(states, 'visit-16-20')).toMatchObject({ status: 'done', doneOn: '2026-05-11', onTime: true });
  });

  it('after delivery, an item not yet late no longer applies and a missed one is marked as closed', () => {
    const states = evaluate(nationalAntenatal, { lmp, delivery: '2026-09-25' }, '2026-10-01', {
      visits: [
        visit('antenatal-visit', '2026-03-02'),
        visit('antenatal-visit', '2026-05-04'),
        visit('antenatal-visit', '2026-06-10'),
      ],
    });
    expect(item(states, 'visit-21-24').status).toBe('done');
    expect(item(states, 'visit-28-36')).toMatchObject({ status: 'not-applicable', reason: 'window-closed' });
    expect(item(states, 'visit-37-40')).toMatchObject({ status: 'not-applicable', reason: 'pregnancy-ended' });
  });

  it('the WHO 2016 model: eight contacts due at ≤12, 20, 26, 30, 34, 36, 38 and 40 weeks', () => {
    const states = evaluate(whoAntenatal, { lmp }, '2026-05-26');
    expect([...states.keys()]).toHaveLength(8);
    expect(item(states, 'contact-2')).toMatchObject({
      status: 'due',
      opensOn: '2026-04-27',
      dueOn: '2026-05-25',
      overdueOn: '2026-06-08',
    });
    expect(item(states, 'contact-3')).toMatchObject({ status: 'upcoming', opensOn: '2026-06-15', dueOn: '2026-07-06' });
    expect(item(states, 'contact-8').dueOn).toBe('2026-10-12');
  });

  it('both antenatal models are selectable for the same pregnancy, each with its own programme', () => {
    expect(scheduleInForce(catalogue, 'cn-bphs-antenatal', '2026-05-26').id).toBe('cn-bphs-antenatal-2017');
    expect(scheduleInForce(catalogue, 'who-anc', '2026-05-26').id).toBe('who-anc-2016');
    // Before every version held (a child born before the 2021 programme): the earliest one, not an error.
    expect(scheduleInForce(catalogue, 'cn-nip', '2020-11-30').id).toBe('cn-nip-2021');
    expect(() => scheduleInForce(catalogue, 'no-such-programme', '2026-05-26')).toThrow(
      /no version of no-such-programme/,
    );
    const visits = [visit('antenatal-visit', '2026-03-02'), visit('antenatal-visit', '2026-05-18')];
    const national = evaluate(nationalAntenatal, { lmp }, '2026-05-26', { visits });
    const who = evaluate(whoAntenatal, { lmp }, '2026-05-26', { visits });
    expect(item(national, 'visit-16-20').status).toBe('done');
    expect(item(who, 'contact-2').status).toBe('done');
  });
});

describe('postpartum', () => {
  it('the home visit counts from discharge, the 42-day check from delivery', () => {
    const anchors = { delivery: '2026-09-20', discharge: '2026-09-23' };
    expect(item(evaluate(postpartum, anchors, '2026-09-30'), 'home-visit')).toMatchObject({
      status: 'due',
      opensOn: '2026-09-23',
      overdueOn: '2026-10-01',
    });
    expect(item(evaluate(postpartum, anchors, '2026-10-01'), 'home-visit').status).toBe('overdue');
    expect(item(evaluate(postpartum, anchors, '2026-10-01'), 'check-42-day')).toMatchObject({
      status: 'upcoming',
      dueOn: '2026-11-01',
      overdueOn: '2026-11-16',
    });
  });

  it('without a discharge date the home visit cannot be scheduled', () => {
    expect(item(evaluate(postpartum, { delivery: '2026-09-20' }, '2026-09-22'), 'home-visit')).toMatchObject({
      status: 'not-applicable',
      reason: 'anchor-missing',
    });
  });
});

describe('bad input names the field', () => {
  it('dates, dose numbers and a discharge before birth', () => {
    expect(fields(() => evaluateSchedule(nip, { anchors: { birth: '2026-02-30' }, today: '2026-03-01' }))).toEqual([
      'anchors.birth',
    ]);
    expect(fields(() => evaluateSchedule(nip, { anchors: { birth: '2026-03-01' }, today: 'today' }))).toEqual([
      'today',
    ]);
    expect(
      fields(() =>
        evaluateSchedule(childHealth, {
          anchors: { birth: '2026-03-01', discharge: '2026-02-27' },
          today: '2026-03-01',
        }),
      ),
    ).toEqual(['anchors.discharge']);
    expect(
      fields(() =>
        evaluateSchedule(nip, {
          anchors: { birth: '2026-03-01' },
          today: '2026-03-01',
          progress: {
            doses: [
              { vaccine: 'HepB', dose: 0, date: '2026-03-01' },
              { vaccine: '', dose: 1, date: '2026-3-1' },
            ],
          },
        }),
      ),
    ).toEqual(['doses[0].dose', 'doses[1].vaccine', 'doses[1].date']);
  });
});

describe('choosing a version by the date it takes effect', () => {
  const fixtures = loadSchedules(path.join(__dirname, 'test-fixtures'));

  it('takes the older version before 2026-01-01 and the newer from that day', () => {
    expect(scheduleInForce(fixtures, 'test-checks', '2025-12-31').id).toBe('test-checks-2020');
    expect(scheduleInForce(fixtures, 'test-checks', '2026-01-01').id).toBe('test-checks-2026');
    expect(
      evaluateSchedule(scheduleInForce(fixtures, 'test-checks', '2026-06-01'), {
        anchors: { birth: '2026-01-10' },
        today: '2026-06-01',
      }).items,
    ).toHaveLength(2);
  });

  it('gives a date before every version the earliest one, and refuses an unknown id', () => {
    expect(scheduleInForce(fixtures, 'test-checks', '2019-12-31').id).toBe('test-checks-2020');
    expect(() => findSchedule(catalogue, 'cn-nip-1978')).toThrow(InvalidArgumentError);
  });

  it('the national immunization programme in force is the 2021 edition until 2024 and the 2025 DTaP adjustment from 2025', () => {
    expect(scheduleInForce(catalogue, 'cn-nip', '2024-12-31').id).toBe('cn-nip-2021');
    expect(scheduleInForce(catalogue, 'cn-nip', '2026-11-25').id).toBe('cn-nip-2025');
  });
});

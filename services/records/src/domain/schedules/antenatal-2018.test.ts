// The 2018 guideline's antenatal schedule (#25 §3): its checks and content items, which institution follows it, and
// the 75 g OGTT due in the 24–28-week window and overdue after 28+6.
import { stableUuid } from '../../../../common/src/ids';
import { addDays, isoDateOf, parseIsoDate } from '../calendar';
import { defaultRecordsDataDir, loadRecordsReferenceData } from '../reference-data';
import { antenatalScheduleFor, contentItemIds, parseAntenatalAssignments } from './antenatal-assignment';
import { evaluateSchedule } from './engine';
import { findSchedule } from './schedule';

const reference = loadRecordsReferenceData(defaultRecordsDataDir());
const schedule = findSchedule(reference.schedules, 'cn-cma-antenatal-2018');
const lmp = '2026-01-05';
const at = (days: number): string => isoDateOf(addDays(parseIsoDate(lmp, 'lmp'), days));
const edd = at(280);
const onDay = (weeks: number, days = 0): string => at(weeks * 7 + days);
const ogttOn = (today: string, done: { service: string; date: string }[] = []): unknown =>
  evaluateSchedule(schedule, { anchors: { edd }, progress: { visits: done }, today }).items.find(
    (item) => item.itemId === 'ogtt-75g',
  );

describe('the 2018 antenatal guideline schedule', () => {
  it('has the guideline checks 6–13+6, 14–19+6, 20–24, 25–28, 29–32, 33–36 and weekly 37–41 (11 at most), each citing its source', () => {
    const checks = schedule.items.filter((item) => item.type === 'visit' && item.service === 'antenatal-visit');
    expect(checks.map((item) => item.id)).toEqual([
      'check-6-13',
      'check-14-19',
      'check-20-24',
      'check-25-28',
      'check-29-32',
      'check-33-36',
      'check-37',
      'check-38',
      'check-39',
      'check-40',
      'check-41',
    ]);
    for (const item of schedule.items) {
      if (item.type !== 'visit') throw new Error('no doses in an antenatal schedule');
      expect(item.provenance?.source).toContain('孕前和孕期保健指南');
      expect(['confirmed', 'unconfirmed']).toContain(item.provenance?.confirmation);
    }
  });

  it('lists its content items, each its own service', () => {
    expect(contentItemIds(schedule)).toEqual([
      'first-visit-labs',
      'nt-scan',
      'first-trimester-screening',
      'second-trimester-screening',
      'fetal-anomaly-scan',
      'ogtt-75g',
      'gbs-screening',
      'nst-weekly-from-37',
    ]);
  });

  it('the 75 g OGTT: upcoming at 23+6, due from 24+0 to 28+6, overdue from 29+0, done when recorded', () => {
    expect(ogttOn(onDay(23, 6))).toMatchObject({ status: 'upcoming', dueOn: onDay(24), overdueOn: onDay(29) });
    expect(ogttOn(onDay(24))).toMatchObject({ status: 'due' });
    expect(ogttOn(onDay(28, 6))).toMatchObject({ status: 'due' });
    expect(ogttOn(onDay(29))).toMatchObject({ status: 'overdue' });
    expect(ogttOn(onDay(34))).toMatchObject({ status: 'overdue' });
    expect(ogttOn(onDay(29), [{ service: 'content-ogtt-75g', date: onDay(26) }])).toMatchObject({
      status: 'done',
      doneOn: onDay(26),
      onTime: true,
    });
    // An antenatal visit without the test does not satisfy it.
    expect(ogttOn(onDay(29), [{ service: 'antenatal-visit', date: onDay(26) }])).toMatchObject({
      status: 'overdue',
    });
  });

  it('hospitals follow it, townships the basic public health schedule; a county hospital without GBS drops it', () => {
    const county = antenatalScheduleFor(
      reference.schedules,
      reference.antenatalAssignments,
      stableUuid('institution', 'CX-LFS-MCH'),
      '2026-06-01',
    );
    expect(county.id).toBe('cn-cma-antenatal-2018');
    expect(county.items.map((item) => item.id)).not.toContain('gbs-screening');
    const prefecture = antenatalScheduleFor(
      reference.schedules,
      reference.antenatalAssignments,
      stableUuid('institution', 'CX-PREF-MCH'),
      '2026-06-01',
    );
    expect(prefecture.items.map((item) => item.id)).toContain('gbs-screening');
    const township = antenatalScheduleFor(
      reference.schedules,
      reference.antenatalAssignments,
      stableUuid('institution', 'CX-LFS-GUANGTONG-THC'),
      '2026-06-01',
    );
    expect(township.id).toBe('cn-bphs-antenatal-2017');
    expect(antenatalScheduleFor(reference.schedules, reference.antenatalAssignments, null, '2026-06-01').id).toBe(
      'cn-bphs-antenatal-2017',
    );
  });

  it('refuses an assignment to an unknown programme or an item the programme does not have, naming the place', () => {
    const file = (body: object): string => JSON.stringify({ source: 's', default: 'cn-bphs-antenatal', ...body });
    expect(() =>
      parseAntenatalAssignments(
        'a.json',
        file({ institutions: [{ code: 'X', programme: 'cn-nope', notOffered: [] }] }),
        reference.schedules,
      ),
    ).toThrow(/institutions\[0\].*cn-nope/);
    expect(() =>
      parseAntenatalAssignments(
        'a.json',
        file({ institutions: [{ code: 'X', programme: 'cn-cma-antenatal', notOffered: ['massage'] }] }),
        reference.schedules,
      ),
    ).toThrow(/massage/);
  });
});

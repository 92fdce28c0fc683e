// The generator's pure parts: the same seed makes the same people, resident IDs are valid and unique, visits,
// checks and doses follow the schedules, and the distributions are those the design describes.
import { parseResidentId } from '../../services/identity/src/domain/resident-id';
import { expandSlots, ScheduleRules } from '../../services/scheduling/src/domain/schedule';
import { demoScheduleRules } from '../../services/scheduling/src/domain/demo-schedule';
import { addOffset, family, Family, Institution, planFor, SCHEDULES } from './population';
import { SlotPlanner } from './seed';

const COUNTIES = [
  'chuxiong',
  'lufeng',
  'shuangbai',
  'mouding',
  'nanhua',
  'yaoan',
  'dayao',
  'yongren',
  'yuanmou',
  'wuding',
];
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ALL = ['anc', 'ultrasound', 'child_health', 'vaccination', 'delivery'];
const INSTITUTIONS: Institution[] = [
  { id: uuid(1), level: 'prefecture', countyCode: 'chuxiong', capabilities: ALL },
  ...COUNTIES.map((countyCode, i) => ({ id: uuid(10 + i), level: 'county' as const, countyCode, capabilities: ALL })),
  ...COUNTIES.flatMap((countyCode, i) =>
    [0, 1, 2].map((k) => ({ id: uuid(100 + i * 10 + k), level: 'township' as const, countyCode, capabilities: ALL })),
  ),
];
const TODAY = '2026-11-25';
const plan = planFor(0.1, 'unit', INSTITUTIONS, TODAY);
const families: Family[] = Array.from({ length: 1600 }, (_, i) => family(plan, i < 800 ? i : plan.pregnancies + i));
const pregnant = families.filter((f) => f.pregnancy);
const weeks = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / (7 * 86_400_000);

describe('the population', () => {
  it('is the same for the same seed and another for another seed', () => {
    expect(family(plan, 123)).toEqual(family(plan, 123));
    expect(family(planFor(0.1, 'other', INSTITUTIONS, TODAY), 123).mother.birthDate).not.toBe(
      family(plan, 123).mother.birthDate,
    );
  });

  it('gives everyone a valid resident ID of their sex and birth date, and no two people the same', () => {
    const people = families.flatMap((f) => [f.mother, ...f.children.map((c) => c.patient)]);
    for (const person of people) {
      const id = parseResidentId(person.nationalId, new Date(`${TODAY}T12:00:00Z`));
      expect(id.birthDate).toBe(person.birthDate);
      expect(id.sex).toBe(person.sex);
    }
    expect(new Set(people.map((p) => p.nationalId)).size).toBe(people.length);
  });

  it('plans about 30,000 pregnancies and 200,000 children at scale 1', () => {
    const full = planFor(1, 'unit', INSTITUTIONS, TODAY);
    expect(full.pregnancies).toBe(30_000);
    const sample = Array.from({ length: 1500 }, (_, i) => family(full, Math.floor((i * full.families) / 1500)));
    const childrenPerFamily = sample.reduce((n, f) => n + f.children.length, 0) / sample.length;
    expect(childrenPerFamily * full.families).toBeGreaterThan(190_000);
    expect(childrenPerFamily * full.families).toBeLessThan(210_000);
  });

  it('registers four in five pregnancies before 13 weeks, and every woman is pregnant today', () => {
    const early =
      pregnant.filter((f) => weeks(f.pregnancy!.lmp, f.pregnancy!.registeredOn) < 13).length / pregnant.length;
    expect(early).toBeGreaterThan(0.75);
    expect(early).toBeLessThan(0.85);
    for (const f of pregnant) {
      expect(weeks(f.pregnancy!.lmp, TODAY)).toBeLessThanOrEqual(40);
      expect(f.pregnancy!.registeredOn <= TODAY).toBe(true);
    }
  });

  it('dates each later antenatal visit inside a window of the national schedule, never in the future', () => {
    const windows = SCHEDULES.antenatal.filter((item) => item.id !== 'first-visit');
    for (const f of pregnant) {
      const { lmp, registeredOn, visits } = f.pregnancy!;
      expect(visits[0]?.visitDate).toBe(registeredOn);
      for (const visit of visits.slice(1)) {
        expect(visit.visitDate <= TODAY).toBe(true);
        expect(
          windows.some(
            (w) => visit.visitDate >= addOffset(lmp, w.opens) && visit.visitDate < addOffset(lmp, w.overdue),
          ),
        ).toBe(true);
      }
    }
  });

  it('has a realistic risk mix: a tenth 35 or older, about 6 % hepatitis B carriers, a few severe hypertensives', () => {
    const older =
      pregnant.filter((f) => weeks(f.mother.birthDate, f.pregnancy!.lmp) / 52.18 >= 35).length / pregnant.length;
    expect(older).toBeGreaterThan(0.05);
    expect(older).toBeLessThan(0.2);
    const hbv =
      pregnant.filter((f) => f.pregnancy!.visits[0]?.labs.some((l) => l.code === 'HBsAg' && l.result === 'positive'))
        .length / pregnant.length;
    expect(hbv).toBeGreaterThan(0.03);
    expect(hbv).toBeLessThan(0.09);
    const severe =
      pregnant.filter((f) => f.pregnancy!.visits.some((v) => v.systolicBp >= 160)).length / pregnant.length;
    expect(severe).toBeGreaterThan(0.002);
    expect(severe).toBeLessThan(0.03);
    const graded = pregnant.filter((f) => f.pregnancy!.gradedAt).length / pregnant.length;
    expect(graded).toBeGreaterThan(0.3);
    expect(graded).toBeLessThan(0.9);
  });

  it('dates child checks on or after their due age and doses after the previous dose, once each', () => {
    const children = families.flatMap((f) => f.children);
    expect(children.length).toBeGreaterThan(1000);
    for (const child of children) {
      for (const check of child.checks)
        expect(check.checkedOn >= child.patient.birthDate && check.checkedOn <= TODAY).toBe(true);
      const seen = new Map<string, string>();
      for (const dose of child.doses) {
        const item = SCHEDULES.immunization.find(
          (i) => (i.products?.[0] ?? i.vaccine) === dose.vaccine && i.dose === dose.dose,
        );
        expect(item).toBeDefined();
        expect(dose.givenOn >= addOffset(child.patient.birthDate, item!.opens)).toBe(true);
        expect(seen.has(`${item!.vaccine}:${dose.dose}`)).toBe(false);
        const previous = seen.get(`${item!.vaccine}:${dose.dose - 1}`);
        if (previous && item!.minInterval && !item!.minInterval.after) {
          const { after: _after, ...interval } = item!.minInterval;
          expect(dose.givenOn >= addOffset(previous, interval)).toBe(true);
        }
        seen.set(`${item!.vaccine}:${dose.dose}`, dose.givenOn);
      }
      // Only the 2021 programme is known to records: older children have no doses it could record.
      if (child.patient.birthDate < SCHEDULES.immunizationFrom) expect(child.doses).toEqual([]);
    }
    const covered = children.filter(
      (c) =>
        c.patient.birthDate >= SCHEDULES.immunizationFrom && c.doses.some((d) => d.vaccine === 'HepB' && d.dose === 1),
    ).length;
    expect(covered / children.filter((c) => c.patient.birthDate >= SCHEDULES.immunizationFrom).length).toBeGreaterThan(
      0.9,
    );
  });

  it('ends every referral path before today and refers up to a higher level', () => {
    const referrals = pregnant.flatMap((f) => f.referrals);
    expect(referrals.length).toBeGreaterThan(10);
    const level = new Map(INSTITUTIONS.map((i) => [i.id, ['township', 'county', 'prefecture'].indexOf(i.level)]));
    for (const r of referrals) {
      expect(r.createdAt.getTime() + r.path.length * r.hoursPerStep * 3_600_000).toBeLessThan(
        Date.parse(`${TODAY}T00:00:00+08:00`),
      );
      if (r.direction === 'up') expect(level.get(r.toInstitutionId)!).toBeGreaterThan(level.get(r.fromInstitutionId)!);
    }
  });
});

describe('the slot planner', () => {
  it('never books a slot beyond its capacity and places past appointments on a slot of the schedule', () => {
    const rules: ScheduleRules = demoScheduleRules('township', ALL);
    const planner = new SlotPlanner(new Map([[uuid(100), rules]]));
    const day = addOffset(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10), { days: 9 });
    const placed = Array.from({ length: 500 }, (_, i) =>
      planner.place({
        id: `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
        patientNationalId: '',
        institutionId: uuid(100),
        service: 'vaccination',
        day,
        status: 'booked',
      }),
    ).filter((start): start is Date => start !== undefined);
    const perSlot = new Map<number, number>();
    for (const start of placed) perSlot.set(start.getTime(), (perSlot.get(start.getTime()) ?? 0) + 1);
    const capacity =
      expandSlots(rules, 'vaccination', new Date(Date.now()), new Date(Date.now() + 30 * 86_400_000))[0]?.capacity ?? 0;
    expect(Math.max(...perSlot.values())).toBeLessThanOrEqual(capacity);
    expect(placed.length).toBeGreaterThan(0);
    const past = planner.place({
      id: 'ab000000-0000-4000-8000-000000000000',
      patientNationalId: '',
      institutionId: uuid(100),
      service: 'antenatal-check',
      day: '2026-06-03',
      status: 'fulfilled',
    });
    expect(past && expandSlots(rules, 'antenatal-check', past, new Date(past.getTime() + 1)).length).toBe(1);
  });
});

import { defaultRecordsDataDir, evaluateSchedule, loadRecordsReferenceData, scheduleInForce } from './domain';
import { handbookSections } from './handbook';
import type { ChildRow, DeliveryRow, PregnancyRow } from './repository';
import { periodOf, referralIndicatorValues } from './statistics';

const reference = loadRecordsReferenceData(defaultRecordsDataDir());
const postpartum = scheduleInForce(reference.schedules, 'cn-bphs-postpartum', '2026-03-01');

describe('referralIndicatorValues', () => {
  it('gives counts, acceptance over requested, and the median over the accepted', () => {
    const values = referralIndicatorValues([
      {
        county: 'lufeng',
        month: '2026-03',
        referralsUp: '7',
        referralsDown: '3',
        accepted: '6',
        medianMinutesToAcceptance: 41.6,
      },
    ]);
    expect(values.map((v) => [v.indicator, v.numerator, v.denominator])).toEqual([
      ['referrals_up', '7', '0'],
      ['referrals_down', '3', '0'],
      ['referrals_accepted', '6', '10'],
      ['referral_median_minutes_to_acceptance', '42', '6'],
    ]);
    expect(
      referralIndicatorValues([
        { county: 'lufeng', month: '2026-03', referralsUp: 1, referralsDown: 0, accepted: 0 },
      ]).map((v) => v.indicator),
    ).not.toContain('referral_median_minutes_to_acceptance');
  });
});

describe('handbook sections after birth', () => {
  const pregnancy = { id: 'p1', registered_on: '2025-07-01', edd: '2026-03-05' } as PregnancyRow;
  const delivery = { delivery_date: '2026-03-01', discharge_date: '2026-03-03' } as DeliveryRow;

  it('marks postpartum items done from recorded postpartum visits', () => {
    const postpartumVisits = [
      { service: 'postpartum-home-visit', visit_date: '2026-03-05' },
      { service: 'postpartum-check', visit_date: '2026-04-13' },
    ] as never[];
    const sections = handbookSections(reference, {
      today: '2026-04-20',
      pregnancy: { row: pregnancy, visits: [], delivery, postpartumVisits },
    });
    const items = sections.find((section) => section.kind === 'postpartum')?.items ?? [];
    expect(items.map((item) => [item.itemId, item.status, item.doneOn])).toEqual([
      ['home-visit', 'done', '2026-03-05'],
      ['check-42-day', 'done', '2026-04-13'],
    ]);
    const without = handbookSections(reference, {
      today: '2026-04-20',
      pregnancy: { row: pregnancy, visits: [], delivery },
    });
    expect(without.find((section) => section.kind === 'postpartum')?.items.map((item) => item.status)).toEqual([
      'not-applicable',
      'due',
    ]);
  });

  it('counts a recorded check for its window, a lone growth measurement too, and a check with its measurement once', () => {
    const child = { birth_date: '2026-01-01', discharge_date: '2026-01-03' } as ChildRow;
    const checks = [
      { service: 'newborn-home-visit', checked_on: '2026-01-05', growth_measurement_id: 'g1' },
      { service: 'child-health-check', checked_on: '2026-01-30', growth_measurement_id: null },
    ] as never[];
    const growth = [
      { id: 'g1', measured_on: '2026-01-05' },
      { id: 'g2', measured_on: '2026-03-28' },
    ] as never[];
    const sections = handbookSections(reference, {
      today: '2026-04-02',
      child: { row: child, growth, immunizations: [], checks },
    });
    const items = sections.find((section) => section.kind === 'child')?.items ?? [];
    const status = (id: string): string | undefined =>
      items.find((item) => item.itemId === id)?.doneOn || items.find((item) => item.itemId === id)?.status;
    expect([
      status('newborn-home-visit'),
      status('check-28-30-days'),
      status('check-3-months'),
      status('check-6-months'),
    ]).toEqual(['2026-01-05', '2026-01-30', '2026-03-28', 'upcoming']);
  });
});

describe('periodOf', () => {
  it('files months into calendar quarters, reporting years (October to September, named by the year they end) and calendar years', () => {
    expect(['2025-09', '2025-10', '2026-01', '2026-12'].map((month) => periodOf(month, 'quarter'))).toEqual([
      '2025-Q3',
      '2025-Q4',
      '2026-Q1',
      '2026-Q4',
    ]);
    expect(['2025-09', '2025-10', '2026-09', '2026-10'].map((month) => periodOf(month, 'year'))).toEqual([
      '2025',
      '2026',
      '2026',
      '2027',
    ]);
    expect(periodOf('2025-10', 'calendar-year')).toBe('2025');
    expect(periodOf('2025-10', 'month')).toBe('2025-10');
  });
});

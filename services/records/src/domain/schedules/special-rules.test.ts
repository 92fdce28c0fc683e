// The immunization programme's special rules and routes on hand-worked cases: an HBsAg-exposed newborn (HepB and
// HBIG within 12 hours, serology after the series), a newborn under 2000 g (the extra HepB dose), BCG for preterm
// infants, the inactivated JE and HepA routes, and the birth facts read from the mother's pregnancy.
import path from 'node:path';
import { isDataFileError } from '../data-file';
import { defaultRecordsDataDir, loadSchedules } from '../reference-data';
import { childFactsOf } from './child-facts';
import { ChildFacts, evaluateSchedule, ItemState, ScheduleEvaluation, ScheduleProgress } from './engine';
import { findSchedule, parseSchedule, scheduleForChild } from './schedule';

const catalogue = loadSchedules(path.join(defaultRecordsDataDir(), 'schedules'));
const born = '2025-03-10';

function evaluation(
  facts: ChildFacts,
  today = born,
  progress: ScheduleProgress = {},
  discharge?: string,
): ScheduleEvaluation {
  const anchors = { birth: born, ...(discharge ? { discharge } : {}) };
  return evaluateSchedule(scheduleForChild(catalogue, 'cn-nip', born), { anchors, progress, today, facts });
}

function items(result: ScheduleEvaluation): Map<string, ItemState> {
  return new Map(result.items.map((item) => [item.itemId, item]));
}

function item(map: Map<string, ItemState>, id: string): ItemState {
  const state = map.get(id);
  if (!state) throw new Error(`no item ${id} (items: ${[...map.keys()].join(', ')})`);
  return state;
}

describe('an infant of an HBsAg-positive mother', () => {
  const result = evaluation({ maternalHbsag: 'positive', birthWeightGrams: 3200, gestationalAgeDays: 275 });
  const child = items(result);

  it('has HepB dose 1 and HBIG due on the day of birth and late from the next day (within 12 hours)', () => {
    expect(item(child, 'hepb-1')).toMatchObject({ status: 'due', dueOn: born, overdueOn: '2025-03-11' });
    expect(item(child, 'hepb-1').label.zh).toContain('12小时内');
    expect(item(child, 'hbig-1')).toMatchObject({
      status: 'due',
      vaccine: 'HBIG',
      dose: 1,
      dueOn: born,
      overdueOn: '2025-03-11',
    });
    expect(result.specialRules).toEqual(['hbsag-exposed-12h', 'hbsag-exposed-hbig', 'hbsag-exposed-serology']);
  });

  it('has HBsAg and anti-HBs serology 1-2 months after HepB dose 3 (from 7 months, late from 13)', () => {
    expect(item(child, 'hepb-serology')).toMatchObject({
      type: 'visit',
      service: 'hepb-serology',
      opensOn: '2025-10-10',
      overdueOn: '2026-04-10',
    });
  });

  it('HepB and HBIG given on the day of birth are done on time', () => {
    const done = items(
      evaluation({ maternalHbsag: 'positive' }, '2025-03-11', {
        doses: [
          { vaccine: 'HepB', dose: 1, date: born },
          { vaccine: 'HBIG', dose: 1, date: born },
        ],
      }),
    );
    expect(item(done, 'hepb-1')).toMatchObject({ status: 'done', onTime: true });
    expect(item(done, 'hbig-1')).toMatchObject({ status: 'done', onTime: true });
  });

  it('the next day both are overdue when not given', () => {
    const late = items(evaluation({ maternalHbsag: 'positive' }, '2025-03-11'));
    expect(item(late, 'hepb-1').status).toBe('overdue');
    expect(item(late, 'hbig-1').status).toBe('overdue');
  });
});

describe('other mothers', () => {
  it('HBsAg unknown (her pregnancy has no result): HepB within 12 hours, no HBIG, no serology', () => {
    const result = evaluation({ maternalHbsag: 'unknown' });
    expect(item(items(result), 'hepb-1')).toMatchObject({ overdueOn: '2025-03-11' });
    expect(items(result).has('hbig-1')).toBe(false);
    expect(items(result).has('hepb-serology')).toBe(false);
    expect(result.specialRules).toEqual(['hbsag-exposed-12h']);
  });

  it('HBsAg negative, or her pregnancy not in the record: the ordinary 24-hour dose', () => {
    for (const facts of [{ maternalHbsag: 'negative' as const }, {}]) {
      const result = evaluation(facts);
      expect(item(items(result), 'hepb-1')).toMatchObject({ dueOn: born, overdueOn: '2025-03-12' });
      expect(items(result).has('hbig-1')).toBe(false);
      expect(result.specialRules).toEqual([]);
    }
  });
});

describe('a newborn under 2000 g of an HBsAg-positive mother', () => {
  const child = items(evaluation({ maternalHbsag: 'positive', birthWeightGrams: 1800 }));

  it('gets the birth dose and three more at 1, 2 and 7 months (an extra dose), serology after the fourth', () => {
    expect(item(child, 'hepb-1')).toMatchObject({ dueOn: born, overdueOn: '2025-03-11' });
    expect(item(child, 'hepb-2')).toMatchObject({ dueOn: '2025-04-10' });
    expect(item(child, 'hepb-3')).toMatchObject({ dueOn: '2025-05-10', overdueOn: '2025-06-10' });
    expect(item(child, 'hepb-4')).toMatchObject({
      vaccine: 'HepB',
      dose: 4,
      dueOn: '2025-10-10',
      overdueOn: '2026-03-10',
    });
    expect(item(child, 'hepb-serology')).toMatchObject({ opensOn: '2025-11-10', overdueOn: '2026-05-10' });
    expect(item(child, 'hbig-1').status).toBe('due');
  });

  it('2000 g exactly, or an HBsAg-negative mother: three doses at 0, 1 and 6 months', () => {
    for (const facts of [
      { maternalHbsag: 'positive' as const, birthWeightGrams: 2000 },
      { maternalHbsag: 'negative' as const, birthWeightGrams: 1800 },
    ]) {
      const child = items(evaluation(facts));
      expect(child.has('hepb-4')).toBe(false);
      expect(item(child, 'hepb-3')).toMatchObject({ dueOn: '2025-09-10' });
    }
  });
});

describe('BCG for a preterm infant', () => {
  it('31 weeks or less: due on the discharge date once assessed stable', () => {
    const child = items(evaluation({ gestationalAgeDays: 30 * 7 + 2 }, born, {}, '2025-04-20'));
    expect(item(child, 'bcg-1')).toMatchObject({ opensOn: '2025-04-20', dueOn: '2025-04-20', overdueOn: '2025-05-20' });
    expect(item(child, 'bcg-1').label.zh).toContain('≤31孕周');
    // Without a discharge date the item says what it is missing rather than a date.
    expect(item(items(evaluation({ gestationalAgeDays: 210 })), 'bcg-1')).toMatchObject({
      status: 'not-applicable',
      reason: 'anchor-missing',
    });
  });

  it('32 to 36 weeks: at birth, once assessed stable; 37 weeks: the ordinary dose', () => {
    const preterm = items(evaluation({ gestationalAgeDays: 34 * 7 }));
    expect(item(preterm, 'bcg-1')).toMatchObject({ dueOn: born });
    expect(item(preterm, 'bcg-1').label.zh).toContain('>31孕周');
    expect(item(items(evaluation({ gestationalAgeDays: 37 * 7 })), 'bcg-1').label.zh).toBe('卡介苗（出生时）');
  });
});

describe('the inactivated JE and HepA routes', () => {
  it('follow the live vaccines until a dose of the inactivated one is recorded', () => {
    const result = evaluation({}, '2025-11-10');
    expect(result.routes).toEqual({ je: 'JE', hepa: 'HepA' });
    expect(items(result).has('je-1')).toBe(true);
    expect(items(result).has('je-i-1')).toBe(false);
  });

  it('inactivated JE: two doses at 8 months 7-10 days apart, then 2 and 6 years', () => {
    const result = evaluation({}, '2025-11-10', { doses: [{ vaccine: 'JE-I', dose: 1, date: '2025-11-10' }] });
    const child = items(result);
    expect(result.routes.je).toBe('JE-I');
    expect(child.has('je-1')).toBe(false);
    expect(item(child, 'je-i-1')).toMatchObject({ status: 'done', onTime: true });
    // Dose 2 opens 7 days after dose 1; the engine moves due and overdue by the same 7 days (12 months + 7 days).
    expect(item(child, 'je-i-2')).toMatchObject({
      status: 'upcoming',
      opensOn: '2025-11-17',
      dueOn: '2025-11-17',
      intervalAfter: 'je-i-1',
      overdueOn: '2026-03-17',
    });
    expect(item(child, 'je-i-3')).toMatchObject({ dueOn: '2027-03-10', overdueOn: '2028-03-10' });
    expect(item(child, 'je-i-4')).toMatchObject({ dueOn: '2031-03-10', overdueOn: '2032-03-10' });
  });

  it('inactivated HepA: 18 and 24 months, at least 6 months apart', () => {
    const child = items(evaluation({}, '2026-09-10', { doses: [{ vaccine: 'HepA-I', dose: 1, date: '2026-10-01' }] }));
    expect(child.has('hepa-1')).toBe(false);
    expect(item(child, 'hepa-i-2')).toMatchObject({ opensOn: '2027-04-01', overdueOn: '2028-04-01' });
  });

  it('every route and special rule carries its source and says whether it was confirmed', () => {
    const nip = findSchedule(catalogue, 'cn-nip-2025');
    for (const rule of [...nip.special, ...nip.routes]) {
      expect(rule.source).toMatch(/国家|规范/);
      expect(['confirmed', 'unconfirmed']).toContain(rule.confirmation);
      expect(rule.evidence.length).toBeGreaterThan(20);
    }
    // The 2025 edition inherits the 2021 rules.
    expect(nip.special.map((rule) => rule.id)).toEqual(
      findSchedule(catalogue, 'cn-nip-2021').special.map((rule) => rule.id),
    );
  });
});

describe('childFactsOf: the facts from the mother’s pregnancy', () => {
  it('reads her latest HBsAg (a positive kept on the same day), the birth weight and the gestational age', () => {
    const labs = [
      { code: 'HBsAg' as const, result: 'negative' as const, resultedOn: '2024-08-01' },
      { code: 'HBsAg' as const, result: 'positive' as const, resultedOn: '2024-11-01' },
      { code: 'HIV' as const, result: 'negative' as const, resultedOn: '2024-11-01' },
    ];
    expect(childFactsOf({ birthWeightGrams: 1800, pregnancy: { labs, gestationalAgeDays: 250 } })).toEqual({
      maternalHbsag: 'positive',
      birthWeightGrams: 1800,
      gestationalAgeDays: 250,
    });
    expect(
      childFactsOf({ birthWeightGrams: null, pregnancy: { labs: labs.slice(0, 1), gestationalAgeDays: null } }),
    ).toEqual({ maternalHbsag: 'negative' });
  });

  it('no HBsAg result, or an indeterminate one, is unknown; no pregnancy in the record gives no maternal fact', () => {
    expect(
      childFactsOf({ birthWeightGrams: 3000, pregnancy: { labs: [], gestationalAgeDays: 280 } }).maternalHbsag,
    ).toBe('unknown');
    expect(
      childFactsOf({
        birthWeightGrams: 3000,
        pregnancy: { labs: [{ code: 'HBsAg', result: 'indeterminate' }], gestationalAgeDays: 280 },
      }).maternalHbsag,
    ).toBe('unknown');
    expect(childFactsOf({ birthWeightGrams: 3000 })).toEqual({ birthWeightGrams: 3000 });
  });
});

describe('the special rule format refuses faults at load, naming the place', () => {
  const file = (special: unknown): string =>
    JSON.stringify({
      id: 'test-nip',
      programme: 'test-nip',
      kind: 'immunization',
      title: { zh: '测试', en: 'test' },
      effectiveFrom: '2021-01-01',
      source: 'test',
      items: [
        {
          id: 'hepb-1',
          label: { zh: '乙肝1', en: 'HepB 1' },
          anchor: 'birth',
          vaccine: 'HepB',
          dose: 1,
          opens: { days: 0 },
          due: { days: 0 },
          overdue: { days: 2 },
        },
      ],
      special,
    });
  const rule = {
    id: 'r',
    label: { zh: '规则', en: 'rule' },
    source: 's',
    confirmation: 'unconfirmed',
    evidence: 'none found',
  };
  const fault = (special: unknown): string => {
    try {
      parseSchedule('test.json', file(special));
    } catch (error) {
      if (isDataFileError(error)) return error.message;
      throw error;
    }
    return 'no fault';
  };

  it.each([
    [
      [{ ...rule, when: { maternalHbsag: ['maybe'] }, adjust: [{ item: 'hepb-1', overdue: { days: 1 } }] }],
      'special[0].when.maternalHbsag[0]',
    ],
    [
      [{ ...rule, when: { eyeColour: 'blue' }, adjust: [{ item: 'hepb-1', overdue: { days: 1 } }] }],
      'unknown key "eyeColour"',
    ],
    [
      [{ ...rule, when: { birthWeightBelowGrams: 2000 }, adjust: [{ item: 'hepb-9', overdue: { days: 1 } }] }],
      'special[0].adjust[0].item',
    ],
    [
      [{ ...rule, when: { birthWeightBelowGrams: 2000 }, adjust: [{ item: 'hepb-1', due: { days: 5 } }] }],
      'opens ≤ due < overdue',
    ],
    [[{ ...rule, when: { birthWeightBelowGrams: 2000 } }], 'must adjust or add'],
    [
      [
        {
          ...rule,
          confirmation: 'probably',
          when: { birthWeightBelowGrams: 2000 },
          adjust: [{ item: 'hepb-1', overdue: { days: 1 } }],
        },
      ],
      'special[0].confirmation',
    ],
  ])('%j → %s', (special, message) => {
    expect(fault(special)).toContain(message);
  });
});

// The WHO 2011 near-miss criteria as data and the check of a recorded near miss.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fieldsOf } from '../../../common/test/violations';
import { checkNearMiss, parseNearMissCriteria } from './near-miss';
import { defaultRecordsDataDir, loadNearMissCriteria } from './reference-data';

const list = loadNearMissCriteria(defaultRecordsDataDir());
const pregnancy = { lmp: '2026-01-01', endDate: '2026-09-20' };

/** The fields a refusal names, sorted. */
const fieldsOfError = (run: () => unknown): string[] => fieldsOf(run).sort();

describe('the WHO near-miss criteria', () => {
  it('are the 25 of the 2011 list: 11 clinical, 8 laboratory, 6 management-based, over seven organ systems', () => {
    const all = [...list.criteria.values()];
    expect(all).toHaveLength(25);
    const count = (type: string) => all.filter((criterion) => criterion.type === type).length;
    expect([count('clinical'), count('laboratory'), count('management')]).toEqual([11, 8, 6]);
    expect(new Set(all.map((criterion) => criterion.system))).toEqual(
      new Set(['cardiovascular', 'respiratory', 'renal', 'coagulation', 'hepatic', 'neurological', 'uterine']),
    );
    expect(list.windowDaysAfterPregnancyEnd).toBe(42);
  });

  it('refuses a file with an unknown type or a duplicate code', () => {
    const raw = JSON.parse(readFileSync(path.join(defaultRecordsDataDir(), 'near-miss-criteria.json'), 'utf8')) as {
      criteria: Array<Record<string, string>>;
    };
    const typo = structuredClone(raw);
    (typo.criteria[0] as Record<string, string>).type = 'rumour';
    expect(() => parseNearMissCriteria(JSON.stringify(typo))).toThrow('criteria[0].type');
    const twice = structuredClone(raw);
    twice.criteria.push({ ...(raw.criteria[0] as Record<string, string>) });
    expect(() => parseNearMissCriteria(JSON.stringify(twice))).toThrow('defined twice');
  });
});

describe('checkNearMiss', () => {
  it('accepts criteria in the list’s order, within 42 days of the end of pregnancy', () => {
    expect(
      checkNearMiss(
        { eventDate: '2026-11-01', criteria: ['hysterectomy_infection_haemorrhage', 'shock', 'massive_transfusion'] },
        pregnancy,
        list,
        '2026-12-01',
      ),
    ).toEqual({
      eventDate: '2026-11-01',
      criteria: ['shock', 'massive_transfusion', 'hysterectomy_infection_haemorrhage'],
    });
  });

  it('names the field: no criterion, an unknown one, one twice, a date outside the pregnancy and its 42 days', () => {
    const check = (eventDate: string, criteria: string[]) => () =>
      checkNearMiss({ eventDate, criteria }, pregnancy, list, '2026-12-01');
    expect(fieldsOfError(check('2026-05-01', []))).toEqual(['criteria']);
    expect(fieldsOfError(check('2026-05-01', ['shock', 'bad_luck', 'shock']))).toEqual(['criteria[1]', 'criteria[2]']);
    // 20 September + 42 days = 1 November; the 2nd is past it.
    expect(fieldsOfError(check('2026-11-02', ['shock']))).toEqual(['eventDate']);
    expect(fieldsOfError(check('2025-12-31', ['shock']))).toEqual(['eventDate']);
    expect(fieldsOfError(check('2026-12-02', ['shock']))).toEqual(['eventDate']);
    expect(fieldsOfError(check('', ['shock']))).toEqual(['eventDate']);
    // An ongoing pregnancy has no end to count from.
    expect(
      checkNearMiss(
        { eventDate: '2026-11-30', criteria: ['stroke'] },
        { ...pregnancy, endDate: undefined },
        list,
        '2026-12-01',
      ).criteria,
    ).toEqual(['stroke']);
  });
});

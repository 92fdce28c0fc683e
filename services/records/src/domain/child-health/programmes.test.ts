// Newborn screening follow-ups (the hearing 1-3-6 path, blood spot sample and recall), the warning-sign bands and
// answers, and nutrition classification. WHO values are worked by hand from the quoted table rows.
import { InvalidArgumentError } from '../../../../common/src/errors';
import { defaultRecordsDataDir, loadChildHealthProgrammes, loadGrowthStandards } from '../reference-data';
import { assessGrowth } from '../growth/indicators';
import {
  checkNewbornScreening,
  checkWarningSigns,
  classifyNutrition,
  conditionsFor,
  displayReferenceFor,
  NewbornScreeningEntry,
  newbornFollowUps,
  warningSignBandFor,
  weakChildReasons,
} from './programmes';
import { parseWst423Table, WST423_HEADER, wst423Band } from './wst423';
import { DataFileError } from '../data-file';

const programmes = loadChildHealthProgrammes(`${defaultRecordsDataDir()}/child-health`);
const standards = loadGrowthStandards(`${defaultRecordsDataDir()}/who-growth`);
const { newbornScreening, warningSigns, nutrition } = programmes;

function fieldOf(attempt: () => unknown): string | undefined {
  try {
    attempt();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations.map((v) => v.field).join(',');
    throw error;
  }
  return undefined;
}

const entry = (
  id: string,
  stage: NewbornScreeningEntry['stage'],
  performedOn: string,
  results: Record<string, string>,
): NewbornScreeningEntry => ({ id, stage, performedOn, results, institutionId: 'inst-a' });

describe('the hearing 1-3-6 path (born 2026-01-01)', () => {
  const birth = '2026-01-01';
  const passed = [entry('s', 'sample', '2026-01-04', { PKU: 'normal', CH: 'normal' })];

  it('a passed initial screen leaves nothing open', () => {
    const items = newbornFollowUps(
      newbornScreening,
      birth,
      [...passed, entry('i', 'initial', '2026-01-03', { left: 'pass', right: 'pass' })],
      '2026-03-01',
      'birth-inst',
    );
    expect(items).toEqual([]);
  });

  it('a refer on one ear asks for the rescreen by day 42 (late from 2026-02-13)', () => {
    const items = newbornFollowUps(
      newbornScreening,
      birth,
      [...passed, entry('i', 'initial', '2026-01-03', { left: 'refer', right: 'pass' })],
      '2026-01-20',
      'birth-inst',
    );
    expect(items).toEqual([
      expect.objectContaining({ kind: 'hearing-rescreen', status: 'due', overdueOn: '2026-02-13', causeEntryId: 'i' }),
    ]);
  });

  it('a failed rescreen asks for the diagnosis by 3 months: due from the rescreen, late from 2026-04-02', () => {
    const entries = [
      ...passed,
      entry('i', 'initial', '2026-01-03', { left: 'refer', right: 'refer' }),
      entry('r', 'rescreen', '2026-02-10', { left: 'refer', right: 'pass' }),
    ];
    expect(newbornFollowUps(newbornScreening, birth, entries, '2026-02-11', null)).toEqual([
      {
        kind: 'hearing-diagnosis',
        status: 'due',
        dueOn: '2026-02-10',
        overdueOn: '2026-04-02',
        causeEntryId: 'r',
        condition: '',
        institutionId: 'inst-a',
      },
    ]);
    expect(newbornFollowUps(newbornScreening, birth, entries, '2026-04-02', null)[0]?.status).toBe('overdue');
  });

  it('a diagnosed hearing loss asks for intervention by 6 months (late from 2026-07-02)', () => {
    const entries = [
      ...passed,
      entry('i', 'initial', '2026-01-03', { left: 'refer', right: 'refer' }),
      entry('r', 'rescreen', '2026-02-10', { left: 'refer', right: 'refer' }),
      entry('d', 'diagnosis', '2026-03-20', { outcome: 'hearing-loss' }),
    ];
    expect(newbornFollowUps(newbornScreening, birth, entries, '2026-03-21', null)).toEqual([
      expect.objectContaining({ kind: 'hearing-intervention', overdueOn: '2026-07-02', causeEntryId: 'd' }),
    ]);
  });

  it('no initial screen by day 7 is a missed screen: the rescreen by 42 days, on the birth institution', () => {
    expect(newbornFollowUps(newbornScreening, birth, passed, '2026-01-05', 'birth-inst')).toEqual([
      expect.objectContaining({ kind: 'hearing-initial', status: 'due', overdueOn: '2026-01-08' }),
    ]);
    expect(newbornFollowUps(newbornScreening, birth, passed, '2026-01-09', 'birth-inst')).toEqual([
      expect.objectContaining({
        kind: 'hearing-rescreen',
        status: 'due',
        institutionId: 'birth-inst',
        causeEntryId: '',
      }),
    ]);
  });
});

describe('blood spot screening', () => {
  const birth = '2026-01-01';
  const hearingDone = [entry('i', 'initial', '2026-01-03', { left: 'pass', right: 'pass' })];

  it('no sample is due from day 3 and late from day 8', () => {
    expect(newbornFollowUps(newbornScreening, birth, hearingDone, '2026-01-08', 'b')).toEqual([
      expect.objectContaining({ kind: 'disease-sample', status: 'due', dueOn: '2026-01-04', overdueOn: '2026-01-09' }),
    ]);
  });

  it('a positive PKU asks for its recall until a recall of PKU is recorded', () => {
    const positive = [...hearingDone, entry('s', 'sample', '2026-01-04', { PKU: 'positive', CH: 'normal' })];
    expect(newbornFollowUps(newbornScreening, birth, positive, '2026-01-10', 'b')).toEqual([
      expect.objectContaining({ kind: 'disease-recall', condition: 'PKU', causeEntryId: 's' }),
    ]);
    const recalled = [...positive, entry('c', 'recall', '2026-01-12', { PKU: 'excluded' })];
    expect(newbornFollowUps(newbornScreening, birth, recalled, '2026-01-13', 'b')).toEqual([]);
  });

  it('Yunnan (province 53) adds its conditions as data; other provinces screen the national two', () => {
    expect(conditionsFor(newbornScreening, '532301').map((c) => c.code)).toEqual(['PKU', 'CH', 'G6PD', 'CAH']);
    expect(conditionsFor(newbornScreening, '110101').map((c) => c.code)).toEqual(['PKU', 'CH']);
  });

  it('names the bad field of an entry', () => {
    expect(fieldOf(() => checkNewbornScreening(newbornScreening, '532301', { stage: 'x', results: [] }))).toBe('stage');
    expect(
      fieldOf(() =>
        checkNewbornScreening(newbornScreening, '532301', {
          stage: 'rescreen',
          results: [{ key: 'left', value: 'refer' }],
        }),
      ),
    ).toBe('results');
    expect(
      fieldOf(() =>
        checkNewbornScreening(newbornScreening, '110101', {
          stage: 'sample',
          results: [{ key: 'G6PD', value: 'normal' }],
        }),
      ),
    ).toBe('results[0].key');
    expect(
      fieldOf(() =>
        checkNewbornScreening(newbornScreening, '532301', {
          stage: 'initial',
          results: [
            { key: 'left', value: 'pass' },
            { key: 'right', value: 'fail' },
          ],
        }),
      ),
    ).toBe('results[1].value');
  });
});

describe('psychological and behavioural warning signs', () => {
  it('has the eleven bands of the national table, four signs each', () => {
    expect(warningSigns.bands.map((band) => band.ageMonths)).toEqual([3, 6, 8, 12, 18, 24, 30, 36, 48, 60, 72]);
    expect(warningSigns.bands.every((band) => band.items.length === 4)).toBe(true);
  });

  it('a check from 14 days before 12 months reads the 12-month band; a day earlier the 8-month band', () => {
    expect(warningSignBandFor(warningSigns, '2025-01-15', '2026-01-15')?.ageMonths).toBe(12);
    expect(warningSignBandFor(warningSigns, '2025-01-15', '2026-01-01')?.ageMonths).toBe(12);
    expect(warningSignBandFor(warningSigns, '2025-01-15', '2025-12-31')?.ageMonths).toBe(8);
    expect(warningSignBandFor(warningSigns, '2025-01-15', '2025-03-15')).toBeUndefined();
  });

  it('every sign answered: a present sign is positive', () => {
    const band = warningSignBandFor(warningSigns, '2025-01-15', '2026-01-15');
    if (!band) throw new Error('no band');
    const answers = band.items.map((item) => ({ code: item.code, present: item.code === 'm12-1' }));
    expect(checkWarningSigns(band, answers).positive).toEqual(['m12-1']);
    expect(fieldOf(() => checkWarningSigns(band, answers.slice(1)))).toBe('items');
    expect(fieldOf(() => checkWarningSigns(band, [...answers, { code: 'm8-1', present: false }]))).toBe(
      'items[4].code',
    );
  });
});

describe('nutrition classification (WHO)', () => {
  // Boy, 365 days, 80.0 cm recumbent: weight-for-length row L -0.3521, M 10.4475, S 0.08308.
  // −2SD = M (1 + L S (−2))^(1/L) = 8.8896 kg; 8.8 kg: z = ((8.8/M)^L − 1)/(L S) = −2.1293; 9.0 kg: −1.8431.
  it('8.8 kg at 80 cm is wasting (WFL z −2.13); 9.0 kg is not (−1.84)', () => {
    const thin = assessGrowth(standards, { sex: 'male', ageDays: 365, weightKg: 8.8, lengthHeightCm: 80 });
    const wfl = Object.values(thin).find((z) => z.indicator === 'weight-for-length');
    expect(wfl?.zScore).toBeCloseTo(-2.129294, 5);
    const zs = (assessment: typeof thin): { indicator: string; zScore: number }[] =>
      Object.values(assessment).map((z) => ({ indicator: z.indicator, zScore: z.zScoreReported }));
    const wasted = classifyNutrition(nutrition, 365, zs(thin));
    expect(wasted.classifications).toEqual(['wasting']);
    expect(weakChildReasons(nutrition, wasted)).toEqual(['wasting']);
    const normal = assessGrowth(standards, { sex: 'male', ageDays: 365, weightKg: 9.0, lengthHeightCm: 80 });
    expect(classifyNutrition(nutrition, 365, zs(normal)).classifications).toEqual([]);
  });

  it('under five by weight-for-height, from five by BMI-for-age with the 5-19 cut-offs', () => {
    expect(
      classifyNutrition(nutrition, 1000, [{ indicator: 'weight-for-height', zScore: 2.5 }]).classifications,
    ).toEqual(['overweight']);
    expect(
      classifyNutrition(nutrition, 1000, [{ indicator: 'weight-for-height', zScore: 3.2 }]).classifications,
    ).toEqual(['obesity']);
    expect(classifyNutrition(nutrition, 2000, [{ indicator: 'bmi-for-age', zScore: 1.5 }]).classifications).toEqual([
      'overweight',
    ]);
    expect(classifyNutrition(nutrition, 2000, [{ indicator: 'bmi-for-age', zScore: -2.5 }]).classifications).toEqual([
      'wasting',
    ]);
  });

  it('an implausible z-score is flagged and classifies nothing', () => {
    const result = classifyNutrition(nutrition, 365, [
      { indicator: 'weight-for-length', zScore: -5.5 },
      { indicator: 'length-height-for-age', zScore: -2.5 },
    ]);
    expect(result).toEqual({ classifications: ['stunting'], implausible: ['weight-for-length'] });
  });

  it('anaemia by haemoglobin for age (WHO 2011): 6-59 months below 110 g/L, 5-11 years below 115', () => {
    expect(classifyNutrition(nutrition, 365, [], 109).classifications).toEqual(['anaemia-mild']);
    expect(classifyNutrition(nutrition, 365, [], 99).classifications).toEqual(['anaemia-moderate']);
    expect(classifyNutrition(nutrition, 365, [], 69).classifications).toEqual(['anaemia-severe']);
    expect(classifyNutrition(nutrition, 365, [], 110).classifications).toEqual([]);
    expect(classifyNutrition(nutrition, 2000, [], 112).classifications).toEqual(['anaemia-mild']);
    // Under 6 months WHO gives no cut-off: nothing is classified.
    expect(classifyNutrition(nutrition, 100, [], 95).classifications).toEqual([]);
  });

  it('the displayed reference is WHO for every institution until WS/T 423 tables are shipped', () => {
    expect(displayReferenceFor(nutrition, 'any-institution')).toBe('who');
  });
});

describe('the WS/T 423-2022 table loader (tables not shipped)', () => {
  // A made-up row in the standard's SD layout: it tests the format, it is not a value of the standard.
  const fixture = `${WST423_HEADER}\nmale,12,1,2,3,4,5,6,7,表A.1,12\n`;

  it('reads rows with their table and page', () => {
    const [row] = parseWst423Table('fixture.csv', fixture);
    expect(row).toEqual({ sex: 'male', key: 12, sd: [1, 2, 3, 4, 5, 6, 7], table: '表A.1', page: 12 });
    expect(row && wst423Band(row, 1.5)).toBe('-3SD to -2SD');
  });

  it('refuses a row without its source, or SD values that do not rise', () => {
    expect(() => parseWst423Table('f.csv', `${WST423_HEADER}\nmale,12,1,2,3,4,5,6,7,,12\n`)).toThrow(DataFileError);
    expect(() => parseWst423Table('f.csv', `${WST423_HEADER}\nmale,12,1,2,3,3,5,6,7,表A.1,12\n`)).toThrow(/must rise/);
  });
});

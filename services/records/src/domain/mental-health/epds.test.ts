import { readFileSync } from 'node:fs';
import { fieldsOf } from '../../../../common/test/violations';
import { defaultRecordsDataDir } from '../reference-data';
import { parseEpdsDefinition, scoreEpds } from './epds';

const file = `${defaultRecordsDataDir()}/mental-health/epds.json`;
const epds = parseEpdsDefinition('mental-health/epds.json', readFileSync(file, 'utf8'));

/** Responses (positions on the form) that score `scores` item by item, worked out by hand from the scale's key. */
const responsesFor = (scores: number[]): number[] =>
  scores.map((score, index) => ([3, 5, 6, 7, 8, 9, 10].includes(index + 1) ? 3 - score : score));

describe('EPDS scoring (#25 §5)', () => {
  it('items 1, 2 and 4 score from the first response down, items 3 and 5–10 are reverse-scored', () => {
    // Every item answered with its first printed response: items 1, 2, 4 score 0, the seven others 3 each.
    const first = scoreEpds(epds, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(first.itemScores).toEqual([0, 0, 3, 0, 3, 3, 3, 3, 3, 3]);
    expect(first.total).toBe(21);
    const last = scoreEpds(epds, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(last.itemScores).toEqual([3, 3, 0, 3, 0, 0, 0, 0, 0, 0]);
    expect(last.total).toBe(9);
  });

  it('an EPDS of 14 with item 10 scored: an urgent same-day task first, then the referral to mental health', () => {
    // 2+2+1+2+1+2+1+1+1+1 = 14, item 10 scored 1 ("hardly ever").
    const result = scoreEpds(epds, responsesFor([2, 2, 1, 2, 1, 2, 1, 1, 1, 1]));
    expect(result.total).toBe(14);
    expect(result.selfHarmScore).toBe(1);
    expect(result.threshold).toBe('probable-depression');
    expect(result.tasks.map((task) => [task.kind, task.urgent, task.dueInDays])).toEqual([
      ['self-harm-urgent-review', true, 0],
      ['mental-health-referral', false, 7],
    ]);
  });

  it('item 10 above 0 raises the urgent task even with a total below every threshold', () => {
    const result = scoreEpds(epds, responsesFor([0, 0, 0, 0, 0, 0, 0, 0, 0, 2]));
    expect(result.total).toBe(2);
    expect(result.positive).toBe(false);
    expect(result.tasks.map((task) => task.kind)).toEqual(['self-harm-urgent-review']);
  });

  it('threshold boundaries: 9 negative, 10 positive (rescreen), 12 positive, 13 referral; no task below 10', () => {
    const at = (total: number): ReturnType<typeof scoreEpds> => {
      const scores = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      for (let left = total, i = 0; left > 0; i += 1) {
        scores[i] = Math.min(3, left);
        left -= scores[i] as number;
      }
      // Item 10 stays 0 (totals up to 27 fit in items 1–9).
      return scoreEpds(epds, responsesFor(scores));
    };
    expect(at(9)).toMatchObject({ total: 9, positive: false, threshold: undefined, tasks: [] });
    expect(at(10)).toMatchObject({ total: 10, positive: true, threshold: 'positive' });
    expect(at(10).tasks.map((task) => task.kind)).toEqual(['epds-rescreen']);
    expect(at(12).threshold).toBe('positive');
    expect(at(13).threshold).toBe('probable-depression');
    expect(at(13).tasks.map((task) => task.kind)).toEqual(['mental-health-referral']);
  });

  it('bad responses are refused naming the field', () => {
    const refused = (responses: number[]): string[] => fieldsOf(() => scoreEpds(epds, responses));
    expect(refused([0, 0, 0])).toEqual(['responses']);
    expect(refused([0, 0, 0, 4, 0, 0, 0, 0, 0, -1])).toEqual(['responses[3]', 'responses[9]']);
    expect(refused([0, 0, 0, 0, 0, 0, 0, 0, 0, 1.5])).toEqual(['responses[9]']);
  });

  it('every threshold and the self-harm rule say whether they were confirmed; none is yet', () => {
    expect(epds.thresholds.map((threshold) => threshold.confirmation)).toEqual(['unconfirmed', 'unconfirmed']);
    expect(epds.selfHarm.confirmation).toBe('unconfirmed');
  });
});

// Expected values are computed by hand from the quoted table rows with the WHO formulas, not by this code.
import { InvalidArgumentError } from '../../../../common/src/errors';
import { defaultRecordsDataDir, loadGrowthStandards } from '../reference-data';
import {
  ageInDays,
  assessGrowth,
  bmiForAge,
  correctedLengthHeight,
  headCircumferenceForAge,
  lengthHeightForAge,
  weightForAge,
  weightForLengthHeight,
} from './indicators';

const standards = loadGrowthStandards(`${defaultRecordsDataDir()}/who-growth`);

function fieldOf(attempt: () => unknown): string | undefined {
  try {
    attempt();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations.map((v) => v.field).join(',');
    throw error;
  }
  return undefined;
}

describe('weight-for-age (2006 standards, exact day row)', () => {
  it('boy, day 0, 4.0 kg — row L 0.3487, M 3.3464, S 0.14602', () => {
    const result = weightForAge(standards, { sex: 'male', ageDays: 0, weightKg: 4.0 });
    expect(result.zScore).toBeCloseTo(1.2606194210465642, 10);
    expect(result).toMatchObject({
      zScoreReported: 1.26,
      restricted: false,
      reference: 'WHO 2006 Child Growth Standards',
      lms: { l: 0.3487, m: 3.3464, s: 0.14602 },
    });
  });

  it('girl, day 365, at the median 8.9462 kg is exactly 0', () => {
    expect(weightForAge(standards, { sex: 'female', ageDays: 365, weightKg: 8.9462 }).zScore).toBe(0);
  });

  it('boy, day 0, 6.0 kg is beyond +3: 3 + (6.0 − SD3)/(SD3 − SD2) with SD3 5.03064, SD2 4.41935', () => {
    const result = weightForAge(standards, { sex: 'male', ageDays: 0, weightKg: 6.0 });
    expect(result.restricted).toBe(true);
    expect(result.zScore).toBeCloseTo(4.585774285207116, 10); // unadjusted would be 4.4347
  });

  it('girl, day 365, 6.0 kg is beyond −3 — row L −0.2022, M 8.9462, S 0.12267; SD3neg 6.27308, SD2neg 7.04121', () => {
    const result = weightForAge(standards, { sex: 'female', ageDays: 365, weightKg: 6.0 });
    expect(result.restricted).toBe(true);
    expect(result.zScore).toBeCloseTo(-3.3555128447312663, 10); // unadjusted −3.3916
  });

  it('girl, day 500, 5.5 kg far below −3 — row L −0.2515, M 9.9023, S 0.12304', () => {
    expect(weightForAge(standards, { sex: 'female', ageDays: 500, weightKg: 5.5 }).zScore).toBeCloseTo(
      -4.731219288749374,
      10,
    ); // unadjusted −5.1506
  });

  it('uses the 2006 standards to day 1826 and the 2007 reference from day 1827, interpolated by month', () => {
    const lastDay = weightForAge(standards, { sex: 'male', ageDays: 1826, weightKg: 18.3352 });
    expect(lastDay).toMatchObject({ zScore: 0, reference: 'WHO 2006 Child Growth Standards' });
    // 1827 / 30.4375 = 60.0246 months: 2.46 % of the way from month 60 (L −0.1922, M 18.3328, S 0.12947) to 61 (−0.2026, 18.5057, 0.12988).
    const nextDay = weightForAge(standards, { sex: 'male', ageDays: 1827, weightKg: 18.3352 });
    expect(nextDay.reference).toBe('WHO 2007 Growth Reference');
    expect(nextDay.zScore).toBeCloseTo(-0.0007835969882421555, 10);
  });

  it('boy at 2200 days (72.279 months) between rows 72 and 73, 22 kg', () => {
    // L −0.31800 + 0.27926·(−0.3285 + 0.3180), M 20.5137 + 0.27926·(20.7052 − 20.5137), S 0.13372 + 0.27926·(0.13402 − 0.13372)
    const result = weightForAge(standards, { sex: 'male', ageDays: 2200, weightKg: 22 });
    expect(result.lms.m).toBeCloseTo(20.567178439425053, 10);
    expect(result.zScore).toBeCloseTo(0.4979183244221718, 10);
  });
});

describe('length/height-for-age (no tail adjustment)', () => {
  it('boy, day 400, recumbent 75 cm — row L 1, M 77.0812, S 0.03157', () => {
    expect(
      lengthHeightForAge(standards, { sex: 'male', ageDays: 400, lengthHeightCm: 75, position: 'recumbent' }).zScore,
    ).toBeCloseTo(-0.8552454417904127, 10);
  });

  it('a standing height under 2 years gets +0.7 cm: 74.3 cm standing at day 400 is 75 cm lying', () => {
    const standing = lengthHeightForAge(standards, {
      sex: 'male',
      ageDays: 400,
      lengthHeightCm: 74.3,
      position: 'standing',
    });
    expect(standing.measuredValue).toBeCloseTo(75, 10);
    expect(standing.zScore).toBeCloseTo(-0.8552454417904127, 10);
  });

  it('girl, day 900, standing 92 cm — row L 1, M 90.3453, S 0.03884; a lying 92.7 cm is corrected to the same', () => {
    expect(
      lengthHeightForAge(standards, { sex: 'female', ageDays: 900, lengthHeightCm: 92, position: 'standing' }).zScore,
    ).toBeCloseTo(0.47155730969669224, 10);
    expect(
      lengthHeightForAge(standards, { sex: 'female', ageDays: 900, lengthHeightCm: 92.7, position: 'recumbent' })
        .zScore,
    ).toBeCloseTo(0.47155730969669224, 10);
  });

  it('switches from length to height at day 731, exactly where the table switches', () => {
    // Day 730 row (L) M 87.8018; day 731 row (H) M 87.1303: a child measured lying both days is at the median both days.
    expect(
      lengthHeightForAge(standards, { sex: 'male', ageDays: 730, lengthHeightCm: 87.8018, position: 'recumbent' })
        .zScore,
    ).toBe(0);
    expect(
      lengthHeightForAge(standards, { sex: 'male', ageDays: 731, lengthHeightCm: 87.8303, position: 'recumbent' })
        .zScore,
    ).toBeCloseTo(0, 10);
  });

  it('does not adjust beyond ±3', () => {
    const result = lengthHeightForAge(standards, { sex: 'male', ageDays: 400, lengthHeightCm: 65 });
    expect(result.restricted).toBe(false);
    expect(result.zScore).toBeCloseTo((65 / 77.0812 - 1) / 0.03157, 10);
  });

  it('girl at 2200 days, standing 118 cm, between months 72 (M 115.1244, S 0.04447) and 73 (M 115.6039, S 0.04454)', () => {
    expect(
      lengthHeightForAge(standards, { sex: 'female', ageDays: 2200, lengthHeightCm: 118, position: 'standing' }).zScore,
    ).toBeCloseTo(0.5346737063315282, 10);
  });
});

describe('weight-for-length (under 2 years) and weight-for-height (2 to 5 years)', () => {
  it('boy, 80.0 cm at day 500, 10 kg — exact row L −0.3521, M 10.4475, S 0.08308', () => {
    const result = weightForLengthHeight(standards, { sex: 'male', ageDays: 500, weightKg: 10, lengthHeightCm: 80 });
    expect(result.indicator).toBe('weight-for-length');
    expect(result.zScore).toBeCloseTo(-0.5310153941141015, 10);
  });

  it('girl, 65.35 cm at day 200, 7.5 kg — halfway between the 65.3 (M 7.1497) and 65.4 (M 7.1724) rows', () => {
    const result = weightForLengthHeight(standards, {
      sex: 'female',
      ageDays: 200,
      weightKg: 7.5,
      lengthHeightCm: 65.35,
    });
    expect(result.lms.m).toBeCloseTo(7.16105, 10);
    expect(result.zScore).toBeCloseTo(0.5028403461258878, 10);
  });

  it('girl, 65.3 cm, 5.0 kg is beyond −3 and adjusted (−4.0628; unadjusted −4.2047)', () => {
    const result = weightForLengthHeight(standards, { sex: 'female', ageDays: 200, weightKg: 5, lengthHeightCm: 65.3 });
    expect(result.restricted).toBe(true);
    expect(result.zScore).toBeCloseTo(-4.062779153758537, 10);
  });

  it('boy, 100.0 cm at day 1000, 22 kg is beyond +3 — row L −0.3521, M 15.3576, S 0.08229 (4.2539; unadjusted 4.1028)', () => {
    const result = weightForLengthHeight(standards, { sex: 'male', ageDays: 1000, weightKg: 22, lengthHeightCm: 100 });
    expect(result.indicator).toBe('weight-for-height');
    expect(result.zScore).toBeCloseTo(4.253946271001882, 10);
  });

  it('girl, 95.25 cm at day 1200, 13 kg — between the 95.2 and 95.3 height rows', () => {
    expect(
      weightForLengthHeight(standards, { sex: 'female', ageDays: 1200, weightKg: 13, lengthHeightCm: 95.25 }).zScore,
    ).toBeCloseTo(-0.8001448159859877, 10);
  });

  it('reads a 0.1 cm value exactly, despite binary fractions (65.3 is a row, not an interpolation)', () => {
    expect(
      weightForLengthHeight(standards, { sex: 'female', ageDays: 200, weightKg: 7.1497, lengthHeightCm: 65.3 }).zScore,
    ).toBeCloseTo(0, 12);
  });

  it('chooses the table by age: a lying 99.3 cm at day 1000 is looked up as a 98.6 cm height', () => {
    const lying = weightForLengthHeight(standards, {
      sex: 'male',
      ageDays: 1000,
      weightKg: 15,
      lengthHeightCm: 99.3,
      position: 'recumbent',
    });
    const standing = weightForLengthHeight(standards, {
      sex: 'male',
      ageDays: 1000,
      weightKg: 15,
      lengthHeightCm: 98.6,
      position: 'standing',
    });
    expect(lying.indicator).toBe('weight-for-height');
    expect(lying.zScore).toBeCloseTo(standing.zScore, 10);
  });
});

describe('BMI-for-age and head circumference-for-age', () => {
  it('boy, day 1000, 14 kg, standing 92 cm: BMI 16.5406 — row L −0.3601, M 15.6982, S 0.0788', () => {
    const result = bmiForAge(standards, {
      sex: 'male',
      ageDays: 1000,
      weightKg: 14,
      lengthHeightCm: 92,
      position: 'standing',
    });
    expect(result.measuredValue).toBeCloseTo(16.5406427221172, 10);
    expect(result.zScore).toBeCloseTo(0.6571770995562215, 10);
  });

  it('boy at 2200 days, 20 kg, 115 cm: BMI 15.1229 between months 72 and 73', () => {
    expect(bmiForAge(standards, { sex: 'male', ageDays: 2200, weightKg: 20, lengthHeightCm: 115 }).zScore).toBeCloseTo(
      -0.141769808205564,
      10,
    );
  });

  it('girl, day 200, 43 cm — row L 1, M 42.5711, S 0.0308', () => {
    expect(
      headCircumferenceForAge(standards, { sex: 'female', ageDays: 200, headCircumferenceCm: 43 }).zScore,
    ).toBeCloseTo(0.3271074666927692, 10);
  });
});

describe('all indicators at once', () => {
  it('gives every indicator a 3-year-old’s measurements allow', () => {
    const assessment = assessGrowth(standards, {
      sex: 'female',
      ageDays: 1100,
      weightKg: 13.5,
      lengthHeightCm: 94,
      position: 'standing',
      headCircumferenceCm: 48.5,
    });
    expect(Object.keys(assessment).sort()).toEqual([
      'bmiForAge',
      'headCircumferenceForAge',
      'lengthHeightForAge',
      'weightForAge',
      'weightForLengthHeight',
    ]);
  });

  it('leaves out what the WHO references stop short of for a 6-year-old (weight-for-height, head circumference)', () => {
    const assessment = assessGrowth(standards, {
      sex: 'male',
      ageDays: 2200,
      weightKg: 22,
      lengthHeightCm: 116,
      headCircumferenceCm: 51,
    });
    expect(Object.keys(assessment).sort()).toEqual(['bmiForAge', 'lengthHeightForAge', 'weightForAge']);
  });
});

describe('out-of-range input names the field', () => {
  it.each([
    ['a negative weight', () => weightForAge(standards, { sex: 'male', ageDays: 100, weightKg: -3 }), 'weightKg'],
    [
      'a zero length',
      () => lengthHeightForAge(standards, { sex: 'male', ageDays: 100, lengthHeightCm: 0 }),
      'lengthHeightCm',
    ],
    ['a negative age', () => weightForAge(standards, { sex: 'female', ageDays: -1, weightKg: 3 }), 'ageDays'],
    ['a fractional age', () => weightForAge(standards, { sex: 'female', ageDays: 10.5, weightKg: 3 }), 'ageDays'],
    ['an unknown sex', () => weightForAge(standards, { sex: 'x' as 'male', ageDays: 10, weightKg: 3 }), 'sex'],
    [
      'weight-for-age after 10 years',
      () => weightForAge(standards, { sex: 'male', ageDays: 3700, weightKg: 30 }),
      'ageDays',
    ],
    [
      'height-for-age after 19 years',
      () => lengthHeightForAge(standards, { sex: 'male', ageDays: 7000, lengthHeightCm: 175 }),
      'ageDays',
    ],
    [
      'head circumference after 5 years',
      () => headCircumferenceForAge(standards, { sex: 'male', ageDays: 1900, headCircumferenceCm: 50 }),
      'ageDays',
    ],
    [
      'weight-for-height after 5 years',
      () => weightForLengthHeight(standards, { sex: 'male', ageDays: 1900, weightKg: 18, lengthHeightCm: 110 }),
      'ageDays',
    ],
    [
      'a length below the table',
      () => weightForLengthHeight(standards, { sex: 'male', ageDays: 10, weightKg: 2, lengthHeightCm: 44.9 }),
      'lengthHeightCm',
    ],
    [
      'a length above the table',
      () => weightForLengthHeight(standards, { sex: 'male', ageDays: 700, weightKg: 20, lengthHeightCm: 110.1 }),
      'lengthHeightCm',
    ],
    [
      'a height below the table',
      () => weightForLengthHeight(standards, { sex: 'female', ageDays: 800, weightKg: 7, lengthHeightCm: 64.9 }),
      'lengthHeightCm',
    ],
    [
      'a height above the table',
      () => weightForLengthHeight(standards, { sex: 'female', ageDays: 1500, weightKg: 30, lengthHeightCm: 120.2 }),
      'lengthHeightCm',
    ],
    [
      'a standing height at 6 months',
      () => lengthHeightForAge(standards, { sex: 'female', ageDays: 180, lengthHeightCm: 66, position: 'standing' }),
      'position',
    ],
    [
      'an unknown position',
      () =>
        lengthHeightForAge(standards, {
          sex: 'female',
          ageDays: 180,
          lengthHeightCm: 66,
          position: 'sitting' as 'standing',
        }),
      'position',
    ],
  ])('%s', (_what, attempt, field) => {
    expect(fieldOf(attempt)).toBe(field);
  });

  it('accepts the ends of each length/height table', () => {
    expect(() =>
      weightForLengthHeight(standards, { sex: 'male', ageDays: 0, weightKg: 2.4, lengthHeightCm: 45 }),
    ).not.toThrow();
    expect(() =>
      weightForLengthHeight(standards, { sex: 'male', ageDays: 1800, weightKg: 23, lengthHeightCm: 120 }),
    ).not.toThrow();
  });
});

describe('age and position helpers', () => {
  it('counts age in days from the birth date', () => {
    expect(ageInDays('2024-02-28', '2025-02-28')).toBe(366);
    expect(fieldOf(() => ageInDays('2025-03-01', '2025-02-28'))).toBe('measuredOn');
  });

  it('corrects only a position that does not match the age', () => {
    expect(correctedLengthHeight({ sex: 'male', ageDays: 400, lengthHeightCm: 75, position: 'recumbent' })).toBe(75);
    expect(correctedLengthHeight({ sex: 'male', ageDays: 400, lengthHeightCm: 75 })).toBe(75);
    expect(correctedLengthHeight({ sex: 'male', ageDays: 730, lengthHeightCm: 85, position: 'standing' })).toBeCloseTo(
      85.7,
      10,
    );
    expect(correctedLengthHeight({ sex: 'male', ageDays: 731, lengthHeightCm: 85, position: 'recumbent' })).toBeCloseTo(
      84.3,
      10,
    );
    expect(correctedLengthHeight({ sex: 'male', ageDays: 731, lengthHeightCm: 85, position: 'standing' })).toBe(85);
  });
});

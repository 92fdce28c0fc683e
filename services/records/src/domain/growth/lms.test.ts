import fc from 'fast-check';
import { interpolateLms, lmsValueAt, lmsZScore, restrictedZScore } from './lms';

// Boys' weight-for-age at birth (weianthro.txt, sex 1, age 0).
const boysAtBirth = { l: 0.3487, m: 3.3464, s: 0.14602 };

describe('LMS z-scores', () => {
  it('is zero at the median and follows ((X/M)^L − 1)/(L·S)', () => {
    expect(lmsZScore(3.3464, boysAtBirth)).toBe(0);
    // ((4.0/3.3464)^0.3487 − 1) / (0.3487 × 0.14602)
    expect(lmsZScore(4.0, boysAtBirth)).toBeCloseTo(1.2606194210465642, 12);
  });

  it('uses ln(X/M)/S when L is 0', () => {
    expect(lmsZScore(11, { l: 0, m: 10, s: 0.1 })).toBeCloseTo(Math.log(1.1) / 0.1, 12);
    expect(lmsValueAt(2, { l: 0, m: 10, s: 0.1 })).toBeCloseTo(10 * Math.exp(0.2), 12);
  });

  it('inverts: the value at z has z-score z, for L as small as the tables hold (0.0001) (property)', () => {
    // The tables' |L| runs from 0.0001 to about 1 and S to about 0.15, so 1 + L·S·z stays well above 0.
    const tableL = fc.oneof(
      fc.double({ min: 0.0001, max: 1.5, noNaN: true }),
      fc.double({ min: -1.5, max: -0.0001, noNaN: true }),
      fc.constant(0),
    );
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 3, noNaN: true }),
        tableL,
        fc.double({ min: 1, max: 150, noNaN: true }),
        fc.double({ min: 0.02, max: 0.15, noNaN: true }),
        (z, l, m, s) => Math.abs(lmsZScore(lmsValueAt(z, { l, m, s }), { l, m, s }) - z) < 1e-8,
      ),
      { numRuns: 5000 },
    );
  });
});

describe('the WHO restricted z-score', () => {
  it('leaves z alone within ±3', () => {
    expect(restrictedZScore(4.0, boysAtBirth)).toEqual({ zScore: lmsZScore(4.0, boysAtBirth), restricted: false });
  });

  it('beyond +3 counts the distance past SD3 in units of SD3 − SD2', () => {
    // SD3 = 3.3464·(1 + 0.3487·0.14602·3)^(1/0.3487) = 5.030639…, SD2 = 4.419353…; raw z 4.4347
    const { zScore, restricted } = restrictedZScore(6.0, boysAtBirth);
    expect(restricted).toBe(true);
    expect(zScore).toBeCloseTo(3 + (6.0 - 5.0306392513813405) / (5.0306392513813405 - 4.419353800695619), 10);
    expect(zScore).toBeCloseTo(4.585774285207116, 10);
  });

  it('is continuous at ±3 and increasing (property)', () => {
    const lms = { l: -0.3521, m: 10.4475, s: 0.08308 };
    for (const edge of [3, -3]) {
      const atEdge = lmsValueAt(edge, lms);
      expect(restrictedZScore(atEdge * (1 + 1e-9), lms).zScore).toBeCloseTo(edge, 6);
      expect(restrictedZScore(atEdge * (1 - 1e-9), lms).zScore).toBeCloseTo(edge, 6);
    }
    fc.assert(
      fc.property(
        fc.double({ min: 3, max: 25, noNaN: true }),
        fc.double({ min: 0.001, max: 2, noNaN: true }),
        (weight, step) => {
          return restrictedZScore(weight + step, lms).zScore > restrictedZScore(weight, lms).zScore;
        },
      ),
    );
  });
});

describe('interpolating a row', () => {
  it('is linear in each of L, M and S', () => {
    expect(interpolateLms({ l: 1, m: 10, s: 0.1 }, { l: 2, m: 12, s: 0.2 }, 0.25)).toEqual({
      l: 1.25,
      m: 10.5,
      s: 0.125,
    });
  });
});

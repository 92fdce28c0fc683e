// The LMS arithmetic of the WHO growth standards (WHO 2006 technical report, chapter 7): a measurement's z-score
// from the L (Box-Cox power), M (median) and S (coefficient of variation) of its row, and the restricted z-score
// WHO uses for weight-based indicators beyond ±3 SD.

export interface Lms {
  readonly l: number;
  readonly m: number;
  readonly s: number;
}

/** z = ((X/M)^L − 1) / (L·S), or ln(X/M)/S when L = 0. */
export function lmsZScore(value: number, { l, m, s }: Lms): number {
  if (l === 0) return Math.log(value / m) / s;
  return (Math.pow(value / m, l) - 1) / (l * s);
}

/** The measurement at z-score `z` of the row: SD(z) = M·(1 + L·S·z)^(1/L), or M·e^(S·z) when L = 0. */
export function lmsValueAt(z: number, { l, m, s }: Lms): number {
  if (l === 0) return m * Math.exp(s * z);
  return m * Math.pow(1 + l * s * z, 1 / l);
}

/**
 * WHO's restricted z-score for weight-for-age, weight-for-length/height and BMI-for-age. The LMS curves' skew
 * stretches the far tails, so beyond ±3 SD WHO measures the distance past the 3 SD curve in units of the 2-to-3 SD
 * distance on the same side:
 *   z > 3:  z* = 3 + (X − SD3pos) / (SD3pos − SD2pos)
 *   z < −3: z* = −3 + (X − SD3neg) / (SD2neg − SD3neg)
 */
export function restrictedZScore(value: number, lms: Lms): { zScore: number; restricted: boolean } {
  const z = lmsZScore(value, lms);
  if (z > 3) {
    const sd3pos = lmsValueAt(3, lms);
    const sd23pos = sd3pos - lmsValueAt(2, lms);
    return { zScore: 3 + (value - sd3pos) / sd23pos, restricted: true };
  }
  if (z < -3) {
    const sd3neg = lmsValueAt(-3, lms);
    const sd23neg = lmsValueAt(-2, lms) - sd3neg;
    return { zScore: -3 + (value - sd3neg) / sd23neg, restricted: true };
  }
  return { zScore: z, restricted: false };
}

/** Linear interpolation of each of L, M and S between two neighbouring rows (`fraction` 0 = `lower`, 1 = `upper`). */
export function interpolateLms(lower: Lms, upper: Lms, fraction: number): Lms {
  return {
    l: lower.l + fraction * (upper.l - lower.l),
    m: lower.m + fraction * (upper.m - lower.m),
    s: lower.s + fraction * (upper.s - lower.s),
  };
}

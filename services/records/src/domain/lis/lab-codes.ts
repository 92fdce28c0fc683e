// Which LIS result codes (OBX-3) the risk grading reads, and how their values become the grading's lab results and
// metrics. Codes the table does not know are stored as lab results and read by no rule.

import type { LabCode, Metric } from '../risk/clinical-picture';

export interface LisCodeSource {
  /** Where the code's meaning was taken from. */
  readonly source: string;
  /** False: written from the code system's published meaning as the author knew it, not confirmed against it here. */
  readonly confirmed: boolean;
}

export type LisAnalyte =
  | ({ readonly kind: 'qualitative'; readonly lab: LabCode } & LisCodeSource)
  | ({
      readonly kind: 'metric';
      readonly metric: Extract<Metric, 'haemoglobin' | 'plateletCount' | 'proteinuria'>;
    } & LisCodeSource);

const LOINC = 'LOINC (loinc.org), code meaning from memory; not confirmed against the LOINC table in this repository';

/**
 * Keyed by `<coding system>|<code>` (OBX-3.3 | OBX-3.1): LOINC codes ("LN") and the local codes the alliance's
 * LIS send ("L" or empty: the short names printed on Chinese lab reports).
 */
export const LIS_ANALYTES: ReadonlyMap<string, LisAnalyte> = new Map<string, LisAnalyte>([
  ['LN|5196-1', { kind: 'qualitative', lab: 'HBsAg', source: LOINC, confirmed: false }],
  ['LN|7917-8', { kind: 'qualitative', lab: 'HIV', source: LOINC, confirmed: false }],
  ['LN|56888-1', { kind: 'qualitative', lab: 'HIV', source: LOINC, confirmed: false }],
  ['LN|20507-0', { kind: 'qualitative', lab: 'RPR', source: LOINC, confirmed: false }],
  ['LN|718-7', { kind: 'metric', metric: 'haemoglobin', source: LOINC, confirmed: false }],
  ['LN|777-3', { kind: 'metric', metric: 'plateletCount', source: LOINC, confirmed: false }],
  ['LN|20454-5', { kind: 'metric', metric: 'proteinuria', source: LOINC, confirmed: false }],
  ...(
    [
      ['HBsAg', { kind: 'qualitative', lab: 'HBsAg' }],
      ['HIV', { kind: 'qualitative', lab: 'HIV' }],
      ['Anti-HIV', { kind: 'qualitative', lab: 'HIV' }],
      ['TPPA', { kind: 'qualitative', lab: 'TPPA' }],
      ['RPR', { kind: 'qualitative', lab: 'RPR' }],
      ['TRUST', { kind: 'qualitative', lab: 'RPR' }],
      ['HCV', { kind: 'qualitative', lab: 'HCV' }],
      ['HGB', { kind: 'metric', metric: 'haemoglobin' }],
      ['Hb', { kind: 'metric', metric: 'haemoglobin' }],
      ['PLT', { kind: 'metric', metric: 'plateletCount' }],
      ['PRO', { kind: 'metric', metric: 'proteinuria' }],
      ['U-PRO', { kind: 'metric', metric: 'proteinuria' }],
    ] as const
  ).flatMap(([code, analyte]) =>
    ['L', ''].map((system): [string, LisAnalyte] => [
      `${system}|${code}`,
      {
        ...analyte,
        source:
          'the short names on Chinese lab reports (血常规 HGB/PLT, 尿常规 PRO, 感染筛查 HBsAg/TPPA/RPR/TRUST/HIV)',
        confirmed: false,
      },
    ]),
  ),
]);

export function lisAnalyte(codingSystem: string, code: string): LisAnalyte | undefined {
  return LIS_ANALYTES.get(`${codingSystem}|${code}`) ?? LIS_ANALYTES.get(`${codingSystem.toUpperCase()}|${code}`);
}

/** Qualitative results as LIS write them (Chinese and English). */
const QUALITATIVE: ReadonlyMap<string, 'positive' | 'negative' | 'indeterminate'> = new Map([
  ['阳性', 'positive'],
  ['阳性(+)', 'positive'],
  ['+', 'positive'],
  ['POS', 'positive'],
  ['POSITIVE', 'positive'],
  ['REACTIVE', 'positive'],
  ['有反应', 'positive'],
  ['阴性', 'negative'],
  ['阴性(-)', 'negative'],
  ['-', 'negative'],
  ['NEG', 'negative'],
  ['NEGATIVE', 'negative'],
  ['NONREACTIVE', 'negative'],
  ['NON-REACTIVE', 'negative'],
  ['无反应', 'negative'],
  ['可疑', 'indeterminate'],
  ['±', 'indeterminate'],
  ['INDETERMINATE', 'indeterminate'],
  ['EQUIVOCAL', 'indeterminate'],
]);

export function qualitativeResult(value: string): 'positive' | 'negative' | 'indeterminate' | undefined {
  return QUALITATIVE.get(value.trim().toUpperCase()) ?? QUALITATIVE.get(value.trim());
}

/** Dipstick protein as its plus count (the grading's `proteinuria` metric): "-" 0, "±"/trace 0, "1+" 1 … "4+" 4. */
export function dipstickPlusCount(value: string): number | undefined {
  const text = value.trim().toUpperCase();
  if (['-', 'NEG', 'NEGATIVE', '阴性', '±', 'TRACE', '+-'].includes(text)) return 0;
  const plus = /^([1-4])\+$/.exec(text) ?? /^\+{1,4}$/.exec(text);
  if (plus === null) return undefined;
  return plus[1] !== undefined ? Number(plus[1]) : text.length;
}

/** Unit conversions to the grading's units: g/L for haemoglobin, ×10⁹/L for platelets. */
export function toGradingUnit(
  metric: 'haemoglobin' | 'plateletCount',
  value: number,
  unit: string,
): number | undefined {
  const u = unit.trim().replace(/\s/g, '').toLowerCase();
  if (metric === 'haemoglobin') {
    if (u === 'g/l') return value;
    if (u === 'g/dl') return Math.round(value * 100) / 10;
    return undefined;
  }
  if (['10*9/l', '10^9/l', '×10⁹/l', 'x10^9/l', '10e9/l', '10⁹/l', '×10^9/l'].includes(u)) return value;
  return undefined;
}

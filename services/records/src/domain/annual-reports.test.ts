import {
  ANNUAL_FORMS,
  buildAnnualReport,
  lastCompletedYear,
  reportColumns,
  ReportFigure,
  reportPeriod,
} from './annual-reports';
import { INDICATOR_CATALOGUE } from './statistics-catalogue';

const LUFENG_MCH = '00000000-0000-4000-8000-000000000001';
const LUFENG_TOWNSHIP = '00000000-0000-4000-8000-000000000002';
const DAYAO_MCH = '00000000-0000-4000-8000-000000000003';
const institutions = new Map([
  [LUFENG_MCH, { code: 'CX-LFS-MCH', name: '禄丰市妇幼保健院' }],
  [LUFENG_TOWNSHIP, { code: 'CX-LFS-T01', name: '禄丰市某乡镇卫生院' }],
  [DAYAO_MCH, { code: 'CX-DY-MCH', name: '大姚县妇幼保健院' }],
]);

/** live births and the hospital-delivery rate of three institutions in two counties. */
const figures: ReportFigure[] = [
  { indicator: 'live_births', county: 'lufeng', institutionId: LUFENG_MCH, numerator: 20, denominator: 0 },
  { indicator: 'live_births', county: 'lufeng', institutionId: LUFENG_TOWNSHIP, numerator: 3, denominator: 0 },
  { indicator: 'live_births', county: 'dayao', institutionId: DAYAO_MCH, numerator: 12, denominator: 0 },
  { indicator: 'hospital_delivery_rate', county: 'lufeng', institutionId: LUFENG_MCH, numerator: 19, denominator: 20 },
  {
    indicator: 'hospital_delivery_rate',
    county: 'lufeng',
    institutionId: LUFENG_TOWNSHIP,
    numerator: 3,
    denominator: 3,
  },
  { indicator: 'hospital_delivery_rate', county: 'dayao', institutionId: DAYAO_MCH, numerator: 12, denominator: 12 },
];

/** The rows of the counties with figures (every other county has its zero row). */
const shown = <R extends { level: string; county: string }>(rows: readonly R[]): R[] =>
  rows.filter((row) => row.level === 'prefecture' || row.county === 'lufeng' || row.county === 'dayao');

const cell = (row: { cells: readonly { column: string; value: string; suppressed: boolean }[] }, column: string) =>
  row.cells.find((each) => each.column === column);

describe('the annual forms', () => {
  it('list exactly the catalogue indicators of their table, with Chinese headers', () => {
    const t41 = INDICATOR_CATALOGUE.filter((d) => d.source.includes('卫统41 孕产妇保健和健康情况年报表')).map(
      (d) => d.id,
    );
    expect(ANNUAL_FORMS.wt41.indicators.map((d) => d.id)).toEqual(t41);
    expect(t41).toEqual(expect.arrayContaining(['live_births', 'hospital_delivery_rate', 'maternal_mortality_ratio']));
    expect(ANNUAL_FORMS.wt42.indicators.map((d) => d.id)).toEqual(
      expect.arrayContaining(['live_births', 'infant_mortality_rate', 'under7_health_management_rate']),
    );
    expect(ANNUAL_FORMS.wt41.layoutConfirmation).toBe('unconfirmed');
    const headers = reportColumns(ANNUAL_FORMS.wt41).map((column) => column.headerZh);
    expect(headers).toContain('活产数');
    expect(headers).toContain('住院分娩率·分子');
    expect(headers).toContain('孕产妇死亡率 (1/10万)');
  });

  it('take the reporting year 1 October – 30 September, or the calendar year', () => {
    expect(reportPeriod(2026, false)).toMatchObject({ from: '2025-10', to: '2026-09', period: 'year' });
    expect(reportPeriod(2026, true)).toMatchObject({ from: '2026-01', to: '2026-12', period: 'calendar-year' });
    expect(lastCompletedYear('2026-09-30', false)).toBe(2025);
    expect(lastCompletedYear('2026-10-01', false)).toBe(2026);
    expect(lastCompletedYear('2026-03-01', true)).toBe(2025);
  });
});

describe('buildAnnualReport', () => {
  it('gives institutions under their county (GB/T 2260), the county sums and the prefecture', () => {
    const table = buildAnnualReport({
      form: ANNUAL_FORMS.wt41,
      figures,
      institutions: (id) => institutions.get(id),
      release: 'statutory',
    });
    expect(shown(table.rows).map((row) => [row.level, row.adminCode, row.institutionCode])).toEqual([
      ['prefecture', '532300', ''],
      ['county', '532302', ''],
      ['institution', '532302', 'CX-LFS-MCH'],
      ['institution', '532302', 'CX-LFS-T01'],
      ['county', '532326', ''],
      ['institution', '532326', 'CX-DY-MCH'],
    ]);
    const rows = shown(table.rows);
    const lufeng = rows[1]!;
    expect(cell(lufeng, 'live_births')?.value).toBe('23');
    expect(cell(lufeng, 'hospital_delivery_rate.numerator')?.value).toBe('22');
    expect(cell(lufeng, 'hospital_delivery_rate.rate')?.value).toBe('95.65');
    const prefecture = rows[0]!;
    expect(cell(prefecture, 'live_births')?.value).toBe('35');
    expect(cell(prefecture, 'hospital_delivery_rate.rate')?.value).toBe('97.14');
    // An indicator without figures is a zero count and an empty rate, not a missing column.
    expect(cell(prefecture, 'maternal_mortality_ratio.numerator')?.value).toBe('0');
    expect(cell(prefecture, 'maternal_mortality_ratio.rate')?.value).toBe('0.00');
    // A county without figures keeps its row: zero live births, no rate.
    const yongren = table.rows.find((row) => row.level === 'county' && row.county === 'yongren');
    expect(yongren).toMatchObject({ adminCode: '532327', areaNameZh: '永仁县' });
    expect(cell(yongren!, 'live_births')?.value).toBe('0');
    expect(cell(yongren!, 'hospital_delivery_rate.rate')?.value).toBe('');
  });

  it('withholds small cells in the public release, the same live births in every column, and their rates', () => {
    const table = buildAnnualReport({
      form: ANNUAL_FORMS.wt41,
      figures,
      institutions: (id) => institutions.get(id),
      release: 'public',
    });
    const rows = shown(table.rows);
    const township = rows[3]!;
    expect(cell(township, 'live_births')).toMatchObject({ value: '', suppressed: true });
    expect(cell(township, 'hospital_delivery_rate.denominator')).toMatchObject({ value: '', suppressed: true });
    expect(cell(township, 'hospital_delivery_rate.rate')).toMatchObject({ value: '', suppressed: true });
    // Its complement: the county hospital's 20 (else 23 − 20 gives the 3 back).
    expect(cell(rows[2]!, 'live_births')).toMatchObject({ suppressed: true });
    expect(cell(rows[1]!, 'live_births')).toMatchObject({ value: '23', suppressed: false });
  });

  it('limits to one county with the cells the whole prefecture withholds, and no prefecture row', () => {
    const full = buildAnnualReport({
      form: ANNUAL_FORMS.wt41,
      figures,
      institutions: (id) => institutions.get(id),
      release: 'public',
    });
    const lufeng = buildAnnualReport({
      form: ANNUAL_FORMS.wt41,
      figures,
      institutions: (id) => institutions.get(id),
      release: 'public',
      county: 'lufeng',
    });
    expect(lufeng.rows.map((row) => row.level)).toEqual(['county', 'institution', 'institution']);
    expect(lufeng.rows).toEqual(full.rows.filter((row) => row.county === 'lufeng'));
  });
});

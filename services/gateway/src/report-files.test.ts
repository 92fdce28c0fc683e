import ExcelJS from 'exceljs';
import { AnnualReportJson, annualReportCsv, annualReportXlsx, reportFileFormat } from './report-files';

const report: AnnualReportJson = {
  form: 'wt41',
  tableNumber: '卫统41表',
  titleZh: '孕产妇保健和健康情况年报表',
  year: '2026',
  periodLabel: '2026年度',
  release: 'public',
  releaseNote: '公开发布版',
  layoutConfirmation: 'unconfirmed',
  layoutNote: '表式未经核实',
  columns: [
    { key: 'live_births', headerZh: '活产数', part: 'count' },
    { key: 'hospital_delivery_rate.rate', headerZh: '住院分娩率 (%)', part: 'rate', unit: '%' },
  ],
  rows: [
    {
      level: 'county',
      adminCode: '532302',
      areaNameZh: '禄丰市',
      cells: [
        { column: 'live_births', value: '23' },
        { column: 'hospital_delivery_rate.rate', value: '95.65' },
      ],
    },
    {
      level: 'institution',
      adminCode: '532302',
      areaNameZh: '禄丰市',
      institutionCode: 'CX-LFS-T01',
      institutionName: '=HYPERLINK("x")',
      cells: [
        { column: 'live_births', value: '', suppressed: true },
        { column: 'hospital_delivery_rate.rate', value: '', suppressed: true },
      ],
    },
  ],
};

describe('annual report files', () => {
  it('picks the format from ?format, then Accept', () => {
    expect(reportFileFormat('csv', 'application/json')).toBe('csv');
    expect(reportFileFormat(undefined, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe(
      'xlsx',
    );
    expect(reportFileFormat(undefined, 'text/csv')).toBe('csv');
    expect(reportFileFormat(undefined, undefined)).toBe('json');
  });

  it('writes CSV with a BOM, the release and layout status, Chinese headers and the withheld mark', () => {
    const csv = annualReportCsv(report);
    expect(csv.startsWith('\uFEFF孕产妇保健和健康情况年报表 (卫统41表)')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines).toContain('发布类型,公开发布版 (public),公开发布版');
    expect(lines.some((line) => line.startsWith('表式,未经核实 (unconfirmed)'))).toBe(true);
    expect(lines).toContain('级别,行政区划代码 (GB/T 2260),地区,机构代码,机构名称,活产数,住院分娩率 (%)');
    expect(lines).toContain('县(市),532302,禄丰市,,,23,95.65');
    // A formula in a name is neutralised.
    expect(lines).toContain(`机构,532302,禄丰市,CX-LFS-T01,"'=HYPERLINK(""x"")",*,*`);
  });

  it('writes an XLSX that exceljs reads back with numbers, codes as text and the definitions sheet', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await annualReportXlsx(report)) as unknown as ExcelJS.Buffer);
    const sheet = workbook.getWorksheet('卫统41表');
    expect(sheet).toBeDefined();
    const values = Array.from(sheet?.getSheetValues() ?? [], (row) =>
      Array.isArray(row) ? Array.from(row.slice(1)) : [],
    );
    const headerAt = values.findIndex((row) => row[0] === '级别');
    expect(values[headerAt + 1]).toEqual(['县(市)', '532302', '禄丰市', '', '', 23, 95.65]);
    expect(values[headerAt + 2]?.slice(5)).toEqual(['*', '*']);
    expect(values.some((row) => row[0] === '发布类型' && typeof row[1] === 'string' && row[1].includes('public'))).toBe(
      true,
    );
    expect(workbook.getWorksheet('指标说明')).toBeDefined();
  });
});

// The national annual tables as files (#31 §1): GetAnnualReport's answer rendered as XLSX (exceljs) or as CSV with
// a UTF-8 BOM (so Excel reads the Chinese headers), when the client asks with Accept or `format`. The route stays the
// annotated one (GET /v1/reports/annual/{form}); only the answer's encoding is the gateway's.
import ExcelJS from 'exceljs';

export const ANNUAL_REPORT_RPC = '/mch.records.v1.RecordsService/GetAnnualReport';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** GetAnnualReportResponse in its JSON form (the fields the files show). */
export interface AnnualReportJson {
  form?: string;
  tableNumber?: string;
  titleZh?: string;
  edition?: string;
  layoutConfirmation?: string;
  layoutNote?: string;
  year?: string;
  periodLabel?: string;
  release?: string;
  releaseNote?: string;
  columns?: { key?: string; headerZh?: string; part?: string; unit?: string }[];
  rows?: {
    level?: string;
    adminCode?: string;
    areaNameZh?: string;
    institutionCode?: string;
    institutionName?: string;
    cells?: { column?: string; value?: string; suppressed?: boolean }[];
  }[];
  catalogue?: {
    indicator?: string;
    titleZh?: string;
    numerator?: string;
    denominator?: string;
    unit?: string;
    source?: string;
    confirmation?: string;
  }[];
  unavailable?: string[];
}

/** The file asked for: `format` wins over Accept; JSON otherwise. */
export function reportFileFormat(format: string | undefined, accept: string | undefined): 'xlsx' | 'csv' | 'json' {
  const asked = (format ?? '').trim().toLowerCase();
  if (asked === 'xlsx' || asked === 'csv' || asked === 'json') return asked;
  if (accept && accept.toLowerCase().includes(XLSX_TYPE)) return 'xlsx';
  if (accept && /(^|,)\s*text\/csv/i.test(accept)) return 'csv';
  return 'json';
}

const LEVEL_ZH: Record<string, string> = { prefecture: '州 (合计)', county: '县(市)', institution: '机构' };
const RELEASE_ZH: Record<string, string> = { statutory: '法定报送版', public: '公开发布版' };
/** What a withheld cell shows. */
export const SUPPRESSED_MARK = '*';

const FIXED_HEADERS = ['级别', '行政区划代码 (GB/T 2260)', '地区', '机构代码', '机构名称'];

/** The lines above the table: which table, period, release and layout status. */
function preamble(report: AnnualReportJson): string[][] {
  return [
    [`${report.titleZh ?? ''} (${report.tableNumber ?? ''})`],
    ['报告期', report.periodLabel ?? ''],
    [
      '发布类型',
      `${RELEASE_ZH[report.release ?? ''] ?? report.release ?? ''} (${report.release ?? ''})`,
      report.releaseNote ?? '',
    ],
    ['表式', report.layoutConfirmation === 'confirmed' ? '已核实' : '未经核实 (unconfirmed)', report.layoutNote ?? ''],
    ['制度版本', report.edition ?? ''],
    ...(report.release === 'public' ? [['说明', `${SUPPRESSED_MARK} 表示该单元格已隐去`]] : []),
    ...(report.unavailable ?? []).map((line) => ['缺项', line]),
  ];
}

function header(report: AnnualReportJson): string[] {
  return [...FIXED_HEADERS, ...(report.columns ?? []).map((column) => column.headerZh ?? column.key ?? '')];
}

/** Each row's cells in column order: numbers as numbers, '' for no value, the mark for a withheld cell. */
function bodyRows(report: AnnualReportJson): (string | number)[][] {
  const columns = report.columns ?? [];
  return (report.rows ?? []).map((row) => {
    const byColumn = new Map((row.cells ?? []).map((cell) => [cell.column ?? '', cell]));
    return [
      LEVEL_ZH[row.level ?? ''] ?? row.level ?? '',
      row.adminCode ?? '',
      row.areaNameZh ?? '',
      row.institutionCode ?? '',
      row.institutionName ?? '',
      ...columns.map((column) => {
        const cell = byColumn.get(column.key ?? '');
        if (!cell) return '';
        if (cell.suppressed) return SUPPRESSED_MARK;
        const value = cell.value ?? '';
        return value === '' ? '' : Number(value);
      }),
    ];
  });
}

/** The table as an XLSX workbook: the table's sheet (preamble, header, rows) and the definitions' sheet. */
export async function annualReportXlsx(report: AnnualReportJson): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'MCH Alliance';
  const sheet = workbook.addWorksheet(report.tableNumber || 'report');
  const lines = preamble(report);
  for (const line of lines) sheet.addRow(line);
  sheet.getRow(1).font = { bold: true, size: 14 };
  sheet.addRow([]);
  const headerRow = sheet.addRow(header(report));
  headerRow.font = { bold: true };
  headerRow.alignment = { wrapText: true, vertical: 'middle' };
  for (const row of bodyRows(report)) {
    const added = sheet.addRow(row);
    (report.columns ?? []).forEach((column, index) => {
      if (column.part === 'rate') added.getCell(FIXED_HEADERS.length + index + 1).numFmt = '0.00';
    });
  }
  // Codes are text: a leading zero or a long code must not become a number.
  sheet.getColumn(2).numFmt = '@';
  sheet.views = [{ state: 'frozen', xSplit: FIXED_HEADERS.length, ySplit: lines.length + 2 }];
  sheet.columns.forEach((column, index) => {
    column.width = index < FIXED_HEADERS.length ? (index === 4 ? 28 : 14) : 14;
  });
  const definitions = workbook.addWorksheet('指标说明');
  definitions.addRow(['指标', '名称', '分子', '分母', '单位', '出处', '定义核实']).font = { bold: true };
  for (const entry of report.catalogue ?? [])
    definitions.addRow([
      entry.indicator ?? '',
      entry.titleZh ?? '',
      entry.numerator ?? '',
      entry.denominator ?? '',
      entry.unit ?? '',
      entry.source ?? '',
      entry.confirmation ?? '',
    ]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function csvCell(value: string | number): string {
  const text = String(value);
  // Quote when needed; neutralise leading formula characters so a spreadsheet does not execute a cell.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The table as CSV: UTF-8 with a BOM, the preamble lines, a blank line, the Chinese header and the rows. */
export function annualReportCsv(report: AnnualReportJson): string {
  const lines = [...preamble(report), [], header(report), ...bodyRows(report)];
  return '\uFEFF' + lines.map((line) => line.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** `wt41-2026-public.xlsx`. */
export function annualReportFileName(report: AnnualReportJson, extension: 'xlsx' | 'csv'): string {
  const safe = (text: string | undefined): string => (text ?? '').replace(/[^A-Za-z0-9-]/g, '');
  return `${safe(report.form)}-${safe(report.year)}-${safe(report.release)}.${extension}`;
}

// The national annual tables as the platform files them (#31 §1): 卫统41 孕产妇保健和健康情况年报表 and 卫统42 7岁以下
// 儿童保健和健康情况年报表 of the 2015 survey system the catalogue follows. Their rows are the catalogue's indicators
// of each table and nothing else (no invented rows); their printed layout (栏目 and their order) could not be read in
// a source, so each file is laid out as its indicator list and says so. A table has one row per institution within
// each county of residence, the county (GB/T 2260 code) and the prefecture; the public release withholds small
// cells (suppression.ts). Pure: the figures come in, the table goes out.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultRecordsDataDir } from './reference-data';
import { INDICATOR_CATALOGUE, IndicatorDefinition } from './statistics-catalogue';
import { cellKey, DEFAULT_SUPPRESSION_THRESHOLD, HierarchyRow, suppressSmallCells } from './suppression';

export type AnnualFormId = 'wt41' | 'wt42';
export type ReportRelease = 'statutory' | 'public';
export type ReportLevel = 'institution' | 'county' | 'prefecture';

export interface AnnualForm {
  readonly id: AnnualFormId;
  readonly tableNumber: string;
  readonly titleZh: string;
  readonly edition: string;
  readonly layoutConfirmation: 'confirmed' | 'unconfirmed';
  readonly layoutNote: string;
  readonly indicators: readonly IndicatorDefinition[];
}

const EDITION = '全国妇幼卫生调查制度 (2015, 国卫规划函〔2015〕392号 附件5)';
/** Where the table list of the survey system was read: it names the tables, not their columns. */
const TABLE_LIST_PAGE = 'https://777doc.com/doc-1070128.html';
const UNCONFIRMED_LAYOUT = `表式未经核实: 国家表式的栏目及顺序未能在可查阅的资料中确认 (表目录见 ${TABLE_LIST_PAGE}), 本表按平台指标目录中属于该表的指标逐项列出, 不增设指标。Layout unconfirmed: laid out as the catalogue's indicator list of this table.`;

const tableOf = (title: string): IndicatorDefinition[] =>
  INDICATOR_CATALOGUE.filter((definition) => definition.source.includes(title));

export const ANNUAL_FORMS: Readonly<Record<AnnualFormId, AnnualForm>> = {
  wt41: {
    id: 'wt41',
    tableNumber: '卫统41表',
    titleZh: '孕产妇保健和健康情况年报表',
    edition: EDITION,
    layoutConfirmation: 'unconfirmed',
    layoutNote: UNCONFIRMED_LAYOUT,
    indicators: tableOf('卫统41 孕产妇保健和健康情况年报表'),
  },
  wt42: {
    id: 'wt42',
    tableNumber: '卫统42表',
    titleZh: '7岁以下儿童保健和健康情况年报表',
    edition: EDITION,
    layoutConfirmation: 'unconfirmed',
    layoutNote: UNCONFIRMED_LAYOUT,
    // The child table's mortality rates are over live births, which the maternal table counts: shown beside them.
    indicators: [
      ...tableOf('卫统41 孕产妇保健和健康情况年报表').filter((definition) => definition.id === 'live_births'),
      ...tableOf('卫统42 7岁以下儿童保健和健康情况年报表'),
    ],
  },
};

export function annualForm(id: string): AnnualForm | undefined {
  return Object.prototype.hasOwnProperty.call(ANNUAL_FORMS, id) ? ANNUAL_FORMS[id as AnnualFormId] : undefined;
}

export interface AdminDivision {
  readonly county: string;
  readonly code: string;
  readonly nameZh: string;
  readonly confirmation: string;
  readonly source: string;
}

export interface AdminDivisions {
  readonly standard: string;
  readonly prefecture: { readonly code: string; readonly nameZh: string; readonly confirmation: string };
  readonly counties: readonly AdminDivision[];
}

let divisions: AdminDivisions | undefined;

/** GB/T 2260 codes of the prefecture and its counties (data/admin-divisions.json). */
export function adminDivisions(): AdminDivisions {
  divisions ??= JSON.parse(
    readFileSync(path.join(defaultRecordsDataDir(), 'admin-divisions.json'), 'utf8'),
  ) as AdminDivisions;
  return divisions;
}

/** The reporting period: reporting year YYYY (1 Oct YYYY−1 – 30 Sep YYYY) or the calendar year. */
export function reportPeriod(
  year: number,
  calendarYear: boolean,
): { from: string; to: string; label: string; period: 'year' | 'calendar-year' } {
  return calendarYear
    ? { from: `${year}-01`, to: `${year}-12`, label: `${year}年 (日历年 1月1日–12月31日)`, period: 'calendar-year' }
    : {
        from: `${year - 1}-10`,
        to: `${year}-09`,
        label: `${year}年度 (报告年度 ${year - 1}年10月1日–${year}年9月30日)`,
        period: 'year',
      };
}

/** The last completed reporting year on a day (Asia/Shanghai), or the last completed calendar year. */
export function lastCompletedYear(today: string, calendarYear: boolean): number {
  const year = Number(today.slice(0, 4));
  if (calendarYear) return year - 1;
  return Number(today.slice(5, 7)) >= 10 ? year : year - 1;
}

export interface ReportColumn {
  readonly key: string;
  readonly headerZh: string;
  readonly indicator: string;
  readonly part: 'numerator' | 'denominator' | 'rate' | 'count';
  readonly unit: string;
  /** The counted quantity a numerator or denominator shows (the same live births feed several columns). */
  readonly quantity: string;
}

const UNIT_ZH: Record<string, string> = {
  '%': '%',
  '‰': '‰',
  '‱': '‱',
  'per 100,000 live births': '1/10万',
};
const UNIT_SCALE: Record<string, number> = { '%': 100, '‰': 1000, '‱': 10000, 'per 100,000 live births': 100000 };

/** The live births quantity: the denominator of every rate defined over 活产数. */
const LIVE_BIRTHS = 'live_births:n';

function denominatorQuantity(definition: IndicatorDefinition): string {
  return definition.denominator.includes('(活产数)') ? LIVE_BIRTHS : `${definition.id}:d`;
}

/** Columns of a form: a count has one; a rate its numerator, denominator and rate. */
export function reportColumns(form: AnnualForm): ReportColumn[] {
  return form.indicators.flatMap((definition): ReportColumn[] => {
    if (definition.unit === '')
      return [
        {
          key: definition.id,
          headerZh: definition.titleZh,
          indicator: definition.id,
          part: 'count',
          unit: '',
          quantity: `${definition.id}:n`,
        },
      ];
    return [
      {
        key: `${definition.id}.numerator`,
        headerZh: `${definition.titleZh}·分子`,
        indicator: definition.id,
        part: 'numerator',
        unit: '',
        quantity: `${definition.id}:n`,
      },
      {
        key: `${definition.id}.denominator`,
        headerZh: `${definition.titleZh}·分母`,
        indicator: definition.id,
        part: 'denominator',
        unit: '',
        quantity: denominatorQuantity(definition),
      },
      {
        key: `${definition.id}.rate`,
        headerZh: `${definition.titleZh} (${UNIT_ZH[definition.unit] ?? definition.unit})`,
        indicator: definition.id,
        part: 'rate',
        unit: definition.unit,
        quantity: '',
      },
    ];
  });
}

/** One figure of the statistics for the year: an indicator of a county of residence and an institution ('' none). */
export interface ReportFigure {
  readonly indicator: string;
  readonly county: string;
  readonly institutionId: string;
  readonly numerator: number;
  readonly denominator: number;
}

export interface InstitutionEntry {
  readonly code: string;
  readonly name: string;
}

export interface ReportCell {
  readonly column: string;
  /** Counts as integers, rates with two decimals; '' when there is no denominator or the cell is withheld. */
  readonly value: string;
  readonly suppressed: boolean;
}

export interface ReportRow {
  readonly level: ReportLevel;
  /** GB/T 2260 code of the county (institution and county rows) or the prefecture. */
  readonly adminCode: string;
  readonly areaNameZh: string;
  readonly county: string;
  readonly institutionId: string;
  readonly institutionCode: string;
  readonly institutionName: string;
  readonly cells: readonly ReportCell[];
}

export interface AnnualReportTable {
  readonly columns: readonly ReportColumn[];
  readonly rows: readonly ReportRow[];
  /** Counties of the figures that the division data does not know (shown with their platform code). */
  readonly unknownCounties: readonly string[];
}

export function formatRate(numerator: number, denominator: number, unit: string): string {
  if (denominator === 0) return '';
  return ((numerator / denominator) * (UNIT_SCALE[unit] ?? 1)).toFixed(2);
}

/**
 * The table of a form from the prefecture's figures for the year. `county` limits the rows to one county (a
 * county-scoped analyst; no prefecture row then). Withholding is decided on the whole prefecture before `county` and
 * `levels` pick rows, so a narrower download withholds the same cells as the full one and the two cannot be
 * combined to recover one.
 */
export function buildAnnualReport(options: {
  readonly form: AnnualForm;
  readonly figures: readonly ReportFigure[];
  readonly institutions: (id: string) => InstitutionEntry | undefined;
  readonly release: ReportRelease;
  readonly threshold?: number;
  readonly levels?: ReadonlySet<ReportLevel>;
  readonly county?: string;
}): AnnualReportTable {
  const { form, release } = options;
  const columns = reportColumns(form);
  const wanted = new Set(form.indicators.map((definition) => definition.id));
  const division = adminDivisions();
  const countyCode = new Map(division.counties.map((county) => [county.county, county]));
  // Quantities by row: leaves (county, institution) hold the figures, parents sum them.
  const leaves = new Map<string, Map<string, number>>();
  const leafRows = new Map<string, { county: string; institutionId: string }>();
  const add = (row: string, quantity: string, count: number): void => {
    const quantities = leaves.get(row) ?? new Map<string, number>();
    quantities.set(quantity, count);
    leaves.set(row, quantities);
  };
  for (const figure of options.figures) {
    if (!wanted.has(figure.indicator)) continue;
    const definition = form.indicators.find((each) => each.id === figure.indicator);
    if (!definition) continue;
    const row = `I\u0000${figure.county}\u0000${figure.institutionId}`;
    leafRows.set(row, { county: figure.county, institutionId: figure.institutionId });
    add(row, `${figure.indicator}:n`, figure.numerator);
    if (definition.unit !== '') {
      const quantity = denominatorQuantity(definition);
      // Live births are one count whichever rate carries them; the largest seen is the row's (they agree).
      const seen = leaves.get(row)?.get(quantity) ?? 0;
      add(row, quantity, Math.max(seen, figure.denominator));
    }
  }
  // Every county of the prefecture has its row, a county without figures too (zeros, not a missing county).
  const counties = [
    ...new Set([...division.counties.map((each) => each.county), ...[...leafRows.values()].map((leaf) => leaf.county)]),
  ].sort((a, b) => (countyCode.get(a)?.code ?? `9${a}`).localeCompare(countyCode.get(b)?.code ?? `9${b}`));
  const hierarchy: HierarchyRow[] = [{ id: 'P' }];
  for (const county of counties) {
    hierarchy.push({ id: `C\u0000${county}`, parent: 'P' });
    const institutions = [...leafRows.entries()]
      .filter(([, leaf]) => leaf.county === county)
      .map(([row, leaf]) => ({ row, leaf, code: options.institutions(leaf.institutionId)?.code ?? '' }))
      .sort((a, b) => (a.code || '~').localeCompare(b.code || '~') || a.row.localeCompare(b.row));
    for (const { row } of institutions) hierarchy.push({ id: row, parent: `C\u0000${county}` });
  }
  const value = (row: string, quantity: string): number => {
    const leaf = leaves.get(row);
    if (leaf) return leaf.get(quantity) ?? 0;
    return hierarchy.filter((each) => each.parent === row).reduce((sum, child) => sum + value(child.id, quantity), 0);
  };
  const memo = new Map<string, number>();
  const cached = (row: string, quantity: string): number => {
    const key = `${row}\u0001${quantity}`;
    let found = memo.get(key);
    if (found === undefined) memo.set(key, (found = value(row, quantity)));
    return found;
  };
  const quantities = [...new Set(columns.map((column) => column.quantity).filter((quantity) => quantity !== ''))];
  const suppressed =
    release === 'public'
      ? suppressSmallCells({
          rows: hierarchy,
          columns: quantities,
          value: cached,
          threshold: options.threshold ?? DEFAULT_SUPPRESSION_THRESHOLD,
        }).suppressed
      : new Set<string>();
  const isWithheld = (row: string, quantity: string): boolean => suppressed.has(cellKey(row, quantity));
  const cellsOf = (row: string): ReportCell[] =>
    columns.map((column): ReportCell => {
      if (column.part === 'rate') {
        const numerator = `${column.indicator}:n`;
        const definition = form.indicators.find((each) => each.id === column.indicator);
        const denominator = definition ? denominatorQuantity(definition) : '';
        // A rate beside a withheld count would give the count back.
        const withheld = isWithheld(row, numerator) || isWithheld(row, denominator);
        return {
          column: column.key,
          value: withheld ? '' : formatRate(cached(row, numerator), cached(row, denominator), column.unit),
          suppressed: withheld,
        };
      }
      const withheld = isWithheld(row, column.quantity);
      return { column: column.key, value: withheld ? '' : String(cached(row, column.quantity)), suppressed: withheld };
    });
  const levels = options.levels ?? new Set<ReportLevel>(['institution', 'county', 'prefecture']);
  const rows: ReportRow[] = [];
  for (const entry of hierarchy) {
    if (entry.id === 'P') continue;
    const [kind, county = '', institutionId = ''] = entry.id.split('\u0000');
    if (options.county !== undefined && county !== options.county) continue;
    const division = countyCode.get(county);
    if (kind === 'C') {
      if (!levels.has('county')) continue;
      rows.push({
        level: 'county',
        adminCode: division?.code ?? '',
        areaNameZh: division?.nameZh ?? county,
        county,
        institutionId: '',
        institutionCode: '',
        institutionName: '',
        cells: cellsOf(entry.id),
      });
    } else if (levels.has('institution')) {
      const institution = options.institutions(institutionId);
      rows.push({
        level: 'institution',
        adminCode: division?.code ?? '',
        areaNameZh: division?.nameZh ?? county,
        county,
        institutionId,
        institutionCode: institution?.code ?? '',
        institutionName: institution?.name ?? (institutionId === '' ? '(未注明机构)' : institutionId),
        cells: cellsOf(entry.id),
      });
    }
  }
  if (options.county === undefined && levels.has('prefecture'))
    rows.unshift({
      level: 'prefecture',
      adminCode: division.prefecture.code,
      areaNameZh: division.prefecture.nameZh,
      county: '',
      institutionId: '',
      institutionCode: '',
      institutionName: '',
      cells: cellsOf('P'),
    });
  return { columns, rows, unknownCounties: counties.filter((county) => !countyCode.has(county)) };
}

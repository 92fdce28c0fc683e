// The national annual tables and their drill-down through the gateway (#31 §1–§3): a small hand-built cohort in
// Yongren (a county no other test file registers women in, so its figures move only by what this file writes),
// both tables downloaded as XLSX and opened with exceljs, their figures checked against GET /v1/statistics and the
// hand-worked counts, the CSV's BOM, the public release's withheld cells, and the records behind a figure listed for
// the prefecture's clinician, audited, and refused to others.
import ExcelJS from 'exceljs';
import { waitFor } from '../../common/test/processes';
import { reportingYearOf } from '../../records/src/domain/statistics-catalogue';
import {
  call,
  certificate,
  daysBefore,
  loginAll,
  newMother,
  ok,
  platform,
  recordsAuditOf,
  tokens,
} from '../../records/test/support';

const COUNTY = 'yongren';
const COUNTY_CODE = '532327';
const DELIVERED_ON = daysBefore(3);
const YEAR = reportingYearOf(DELIVERED_ON.slice(0, 7));
const FROM = `${Number(YEAR) - 1}-10`;
const TO = `${YEAR}-09`;

async function deliveredWoman(place: string, babies: number): Promise<{ motherId: string; pregnancyId: string }> {
  const motherId = await newMother('1991-07-19', COUNTY);
  const registered = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, {
      lmp: daysBefore(275),
      registeredOn: daysBefore(200),
    }),
  );
  const pregnancyId: string = registered.pregnancy.id;
  await ok(
    call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/delivery`, {
      deliveryDate: DELIVERED_ON,
      mode: 'DELIVERY_MODE_VAGINAL',
      outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
      placeOfDelivery: place,
      newborns: Array.from({ length: babies }, () => ({
        sex: 'CHILD_SEX_FEMALE',
        birthCertificateNumber: certificate(),
        birthWeightGrams: 3000,
        outcome: 'NEWBORN_OUTCOME_LIVE_BIRTH',
      })),
    }),
  );
  return { motherId, pregnancyId };
}

async function download(user: string, path: string): Promise<{ status: number; type: string; bytes: Buffer }> {
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    headers: { authorization: `Bearer ${tokens[user]}` },
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

/** The sheet's rows as arrays of cell values (1-based columns shifted to 0). */
async function sheetRows(bytes: Buffer, sheetName: string): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  const sheet = workbook.getWorksheet(sheetName);
  if (!sheet) throw new Error(`no sheet ${sheetName}`);
  return Array.from(sheet.getSheetValues(), (row) => (Array.isArray(row) ? Array.from(row.slice(1)) : []));
}

/** The value under a header in the county's row of a downloaded table. */
function countyFigure(rows: unknown[][], header: string): unknown {
  const headerRow = rows.find((row) => row[0] === '级别') ?? [];
  const column = headerRow.indexOf(header);
  const county = rows.find((row) => row[0] === '县(市)' && row[1] === COUNTY_CODE);
  if (column < 0 || !county) throw new Error(`no ${header} for ${COUNTY_CODE}`);
  return county[column];
}

type Value = { indicator: string; numerator?: string; denominator?: string };

async function statistics(): Promise<Record<string, [number, number]>> {
  const values: Value[] =
    (await ok(call('pref.analyst', 'GET', `/v1/statistics?county=${COUNTY}&from=${FROM}&to=${TO}&period=year`)))
      .values ?? [];
  const out: Record<string, [number, number]> = {};
  for (const value of values) {
    const sum = (out[value.indicator] ??= [0, 0]);
    sum[0] += Number(value.numerator ?? 0);
    sum[1] += Number(value.denominator ?? 0);
  }
  return out;
}

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'pref.clinician', 'lufeng.clinician', 'pref.analyst', 'lufeng.analyst']);
});

describe('the national annual tables', () => {
  let twins: { motherId: string; pregnancyId: string };
  let home: { motherId: string; pregnancyId: string };
  let before: Record<string, [number, number]>;

  beforeAll(async () => {
    before = await statistics();
    twins = await deliveredWoman('PLACE_OF_DELIVERY_COUNTY_HOSPITAL', 2);
    home = await deliveredWoman('PLACE_OF_DELIVERY_HOME', 1);
    await waitFor(
      async () => ((await statistics())['live_births']?.[0] ?? 0) - (before['live_births']?.[0] ?? 0) >= 3,
      30_000,
      'the two deliveries in the statistics',
    );
  });

  it('downloads both tables as XLSX whose county figures are the statistics and the hand-worked counts', async () => {
    const now = await statistics();
    // Hand-worked: twins (2 live births) at a county hospital and one home birth: 3 live births, 2 in hospital.
    expect((now['live_births']?.[0] ?? 0) - (before['live_births']?.[0] ?? 0)).toBe(3);
    expect((now['hospital_delivery_rate']?.[0] ?? 0) - (before['hospital_delivery_rate']?.[0] ?? 0)).toBe(2);
    for (const form of ['wt41', 'wt42'] as const) {
      const file = await download('pref.analyst', `/v1/reports/annual/${form}?year=${YEAR}&format=xlsx`);
      expect(file.status).toBe(200);
      expect(file.type).toContain('spreadsheetml');
      const rows = await sheetRows(file.bytes, form === 'wt41' ? '卫统41表' : '卫统42表');
      expect(rows.find((row) => row[0] === '发布类型')?.[1]).toContain('statutory');
      expect(rows.find((row) => row[0] === '表式')?.[1]).toContain('unconfirmed');
      expect(countyFigure(rows, '活产数')).toBe(now['live_births']?.[0]);
      if (form === 'wt41') {
        expect(countyFigure(rows, '住院分娩率·分子')).toBe(now['hospital_delivery_rate']?.[0]);
        expect(countyFigure(rows, '住院分娩率·分母')).toBe(now['hospital_delivery_rate']?.[1]);
      } else {
        expect(countyFigure(rows, '婴儿死亡率·分母')).toBe(now['infant_mortality_rate']?.[1]);
      }
    }
  });

  it('gives CSV with a BOM and the public release with small cells withheld', async () => {
    const csv = await download('pref.analyst', `/v1/reports/annual/wt41?year=${YEAR}&format=csv&release=public`);
    expect(csv.status).toBe(200);
    expect([...csv.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = csv.bytes.toString('utf8');
    expect(text).toContain('公开发布版 (public)');
    expect(text).toContain('活产数');
    const report = await ok(call('pref.analyst', 'GET', `/v1/reports/annual/wt41?year=${YEAR}&release=public`));
    expect(report.release).toBe('public');
    type Row = { level: string; cells: { column: string; value?: string; suppressed?: boolean }[] };
    for (const row of report.rows as Row[])
      for (const cell of row.cells)
        if (!cell.suppressed && cell.value && !cell.column.endsWith('.rate')) {
          const count = Number(cell.value);
          expect(count === 0 || count >= 5).toBe(true);
        }
    // A county analyst gets her own county only.
    const own = await ok(call('lufeng.analyst', 'GET', `/v1/reports/annual/wt41?year=${YEAR}&county=lufeng`));
    const ownRows = own.rows as { county: string; level: string; adminCode: string }[];
    expect(new Set(ownRows.map((row) => row.county))).toEqual(new Set(['lufeng']));
    expect(ownRows.find((row) => row.level === 'county')).toMatchObject({ adminCode: '532302' });
    expect((await call('lufeng.analyst', 'GET', `/v1/reports/annual/wt41?year=${YEAR}`)).status).toBe(403);
    const bad = await call('pref.analyst', 'GET', `/v1/reports/annual/wt43?year=${YEAR}`);
    expect(bad.status).toBe(400);
  });

  it('lists the records behind a figure for the prefecture clinician, audited, and refuses others', async () => {
    const path = `/v1/statistics/records?indicator=live_births&county=${COUNTY}&from=${FROM}&to=${TO}&pageSize=200`;
    const listed = await ok(call('pref.clinician', 'GET', path));
    const records = listed.records as { subjectId: string; patientId: string; count: string }[];
    expect(records.find((r) => r.subjectId === twins.pregnancyId)).toMatchObject({ count: '2' });
    expect(records.find((r) => r.subjectId === home.pregnancyId)).toMatchObject({ count: '1' });
    // The listing's total is the figure the statistics and the table show.
    expect(Number(listed.total)).toBe((await statistics())['live_births']?.[0]);
    const audit = await recordsAuditOf(twins.motherId);
    expect(audit.some((event) => event.action === 'statistics.figure-records.read')).toBe(true);
    // Lufeng's county hospital does not answer for Yongren; an analyst sees aggregates only.
    expect((await call('lufeng.clinician', 'GET', path)).status).toBe(403);
    expect((await call('pref.analyst', 'GET', path)).status).toBe(403);
  });
});

// Statistics rows of the benchmark (#23 §3): one county's and the prefecture's table of every indicator, and a
// record read while the prefecture's statistics are being read, each beside the plain record read of the same run.
// `node dist/loadtest/bench/statistics.js` runs these rows alone against a seeded platform (MCH_GATEWAY_URL).
import { share, type Row } from './figures';
import { measureHttp } from './http-measure';
import { seededPatients } from './patient';

export interface StatisticsBench {
  readonly gatewayUrl: string;
  /** A plain record read of this run (the same URL as `recordUrl`) to compare with. */
  readonly plainRecord: Row;
  readonly recordUrl: string;
  readonly recordHeaders: Record<string, string>;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly progress: (row: Row) => Row;
}

const STATISTICS_CONNECTIONS = 10;

/** The first month of the reporting year (1 October – 30 September) this month is in, and this month. */
function reportingYearSoFar(now = new Date()): { from: string; to: string } {
  const china = new Date(now.getTime() + 8 * 3600_000);
  const year = china.getUTCFullYear();
  const month = china.getUTCMonth() + 1;
  return { from: `${month >= 10 ? year : year - 1}-10`, to: `${year}-${String(month).padStart(2, '0')}` };
}

export async function analystToken(gatewayUrl: string): Promise<string> {
  const answer = await fetch(`${gatewayUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'pref.analyst', password: 'mch-demo-2026!' }),
  });
  const body = (await answer.json()) as { tokens?: { accessToken: string } };
  if (!body.tokens) throw new Error(`pref.analyst could not log in: ${answer.status}`);
  return body.tokens.accessToken;
}

const ratioOf = (row: Row, base: Row, what: 'p95' | 'p99'): string =>
  `${what} ${(what === 'p95' ? row.p95Ms / base.p95Ms : row.p99Ms / base.p99Ms).toFixed(2)}× the plain record read's`;

/** The county, prefecture and record-under-statistics rows; none when statistics do not answer 200. */
export async function statisticsRows(bench: StatisticsBench): Promise<Row[]> {
  const headers = { authorization: `Bearer ${await analystToken(bench.gatewayUrl)}` };
  const { from, to } = reportingYearSoFar();
  const county = `${bench.gatewayUrl}/v1/statistics?county=lufeng&from=${from}&to=${to}`;
  const prefecture = `${bench.gatewayUrl}/v1/statistics?from=${from}&to=${to}`;
  const prefectureYear = `${bench.gatewayUrl}/v1/statistics?from=${from}&to=${to}&period=year&groupBy=institution`;
  if ((await fetch(prefecture, { headers })).status !== 200) {
    process.stderr.write('statistics rows skipped: GET /v1/statistics does not answer 200\n');
    return [];
  }
  const run = { durationSeconds: bench.durationSeconds, connections: STATISTICS_CONNECTIONS };
  const rows: Row[] = [];
  const add = (row: Row, ratio: string): void => {
    row.ratio = ratio;
    rows.push(bench.progress(row));
  };
  const countyRow = await measureHttp(
    'GET /v1/statistics one county, every indicator by month, reporting year to date (analyst)',
    county,
    { headers },
    run,
  );
  add(countyRow, ratioOf(countyRow, bench.plainRecord, 'p95'));
  const prefectureRow = await measureHttp(
    'GET /v1/statistics prefecture, every indicator by county and month, reporting year to date',
    prefecture,
    { headers },
    run,
  );
  add(prefectureRow, ratioOf(prefectureRow, bench.plainRecord, 'p95'));
  const institutionRow = await measureHttp(
    'GET /v1/statistics prefecture, every indicator by institution, the reporting year',
    prefectureYear,
    { headers },
    run,
  );
  add(institutionRow, ratioOf(institutionRow, bench.plainRecord, 'p95'));
  // Both at once: the record read's p99 while 10 analysts read the prefecture's table back to back.
  const [underLoad, beside] = await Promise.all([
    measureHttp(
      'GET /v1/patients/{id}/record while the prefecture statistics are read (10 connections)',
      bench.recordUrl,
      { headers: bench.recordHeaders },
      { durationSeconds: bench.durationSeconds, connections: bench.connections },
    ),
    measureHttp('GET /v1/statistics prefecture beside the record reads', prefecture, { headers }, run),
  ]);
  add(underLoad, ratioOf(underLoad, bench.plainRecord, 'p99'));
  add(beside, `${beside.requestsPerSecond} statistics answers/s meanwhile; ${share(beside, prefectureRow, 'alone')}`);
  return rows;
}

async function main(): Promise<void> {
  const gatewayUrl = process.env.MCH_GATEWAY_URL ?? 'http://127.0.0.1:8080';
  const durationSeconds = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
  const login = await fetch(`${gatewayUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lufeng.clinician', password: 'mch-demo-2026!' }),
  });
  const clinician = {
    authorization: `Bearer ${((await login.json()) as { tokens: { accessToken: string } }).tokens.accessToken}`,
    'x-mch-purpose': 'treatment',
  };
  const population = await seededPatients(gatewayUrl, clinician);
  const recordUrl = `${gatewayUrl}/v1/patients/${population.child ?? population.mother}/record`;
  const progress = (row: Row): Row => {
    process.stderr.write(
      `  ${row.name}: ${row.requestsPerSecond}/s, p50 ${row.p50Ms} / p95 ${row.p95Ms} / p99 ${row.p99Ms} ms ${row.ratio ?? ''}\n`,
    );
    return row;
  };
  const plainRecord = progress(
    await measureHttp(
      'GET /v1/patients/{id}/record of a seeded child, plain',
      recordUrl,
      { headers: clinician },
      { durationSeconds, connections },
    ),
  );
  const rows = [
    plainRecord,
    ...(await statisticsRows({
      gatewayUrl,
      plainRecord,
      recordUrl,
      recordHeaders: clinician,
      durationSeconds,
      connections,
      progress,
    })),
  ];
  process.stdout.write(
    [
      `${population.rows.toLocaleString('en')} seeded rows; ${durationSeconds} s per row`,
      '',
      '| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | non-2xx | vs plain record read |',
      '|---|---:|---:|---:|---:|---:|---:|---|',
      ...rows.map(
        (r) =>
          `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p95Ms} | ${r.p99Ms} | ${r.errors} | ${r.non2xx} | ${r.ratio ?? '-'} |`,
      ),
      '',
    ].join('\n'),
  );
}

if (require.main === module) void main();

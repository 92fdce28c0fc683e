// The administrators' dashboard (#31 §4) in a real browser (Debian's Chromium driven by playwright-core) against the
// real gateway and services: a prefecture analyst signs in inside the page; the headline cards, the county table and
// the five-colour counts show exactly what /v1/statistics answers; the CSV download opens and is the API's CSV; a red
// grade confirmed through the API appears in the live panel (实时监控) without a reload; screenshots at 1280 and 375 px
// are kept in .test-artifacts/.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '../../common/src/paths';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, nextFemaleId, ok } from '../../identity/test/support';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const ARTIFACTS = path.join(repoRoot(), '.test-artifacts');
const DAY = 86_400_000;
const todayChina = (): string => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const daysBefore = (days: number): string =>
  new Date(Date.parse(`${todayChina()}T00:00:00Z`) - days * DAY).toISOString().slice(0, 10);

interface IndicatorValue {
  indicator: string;
  county: string;
  numerator?: string;
  denominator?: string;
}

let browser: Browser;
let page: Page;
const problems: string[] = [];
const origins = new Set<string>();

/** Sums of numerator and denominator per key, as strings (the page's data attributes). */
function sums(values: readonly IndicatorValue[], key: (value: IndicatorValue) => string): Map<string, string> {
  const totals = new Map<string, [number, number]>();
  for (const value of values) {
    const total = totals.get(key(value)) ?? [0, 0];
    totals.set(key(value), [total[0] + Number(value.numerator ?? 0), total[1] + Number(value.denominator ?? 0)]);
  }
  return new Map([...totals].map(([name, [numerator, denominator]]) => [name, `${numerator}/${denominator}`]));
}

/** What the page shows: each headline card, each county row of the comparison, each colour count. */
async function shown(): Promise<{
  cards: Map<string, string>;
  counties: Map<string, string>;
  colours: Map<string, string>;
}> {
  // Evaluated in the page (the test itself has no DOM types).
  const read = await page.evaluate<{
    cards: string[][];
    counties: string[][];
    colours: string[][];
    compared: string;
  }>(`({
    cards: [...document.querySelectorAll('#headline .card')].map((card) => [
      card.dataset.indicator, card.dataset.numerator + '/' + card.dataset.denominator,
    ]),
    counties: [...document.querySelectorAll('#table-counties tbody tr')].map((row) => {
      const cells = [...row.querySelectorAll('td')].map((cell) => cell.textContent);
      return [row.dataset.county, cells[1] + '/' + cells[2]];
    }),
    colours: [...document.querySelectorAll('#colour-counts dd')].map((cell) => [cell.dataset.colour, cell.textContent]),
    compared: document.getElementById('compare-indicator').value,
  })`);
  return {
    cards: new Map(read.cards as Array<[string, string]>),
    counties: new Map(read.counties.map(([county, text]) => [`${read.compared}:${county}`, text] as [string, string])),
    colours: new Map(read.colours as Array<[string, string]>),
  };
}

/** The same three views computed from the API's answer. */
function expected(values: readonly IndicatorValue[], shownCards: Iterable<string>, compared: string) {
  const byIndicator = sums(values, (value) => value.indicator);
  const cards = new Map([...shownCards].map((id) => [id, byIndicator.get(id) ?? '0/0']));
  const counties = new Map(
    [
      ...sums(
        values.filter((value) => value.indicator === compared),
        (value) => value.county,
      ),
    ].map(([county, fraction]) => [`${compared}:${county}`, fraction]),
  );
  const colours = new Map(
    [
      ...sums(
        values.filter((value) => value.indicator.startsWith('risk_colour_')),
        (value) => value.indicator.slice('risk_colour_'.length),
      ),
    ].map(([colour, fraction]) => [colour, fraction.split('/')[0] as string]),
  );
  return { cards, counties, colours };
}

/** Polls an expression in the page until it is true (bounded); the page's CSP forbids waitForFunction's eval. */
async function until(expression: string, what: string): Promise<void> {
  for (let attempt = 0; attempt < 160; attempt++) {
    if (await page.evaluate<boolean>(expression)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`never happened: ${what}`);
}

/** A Lufeng woman graded red by the county clinician through the API (severe pre-eclampsia, hypertensive heart disease). */
async function confirmRedGrade(): Promise<string> {
  const treatment = { 'x-mch-purpose': 'treatment' };
  const midwife = (await api.login('lufeng.midwife')).accessToken;
  const clinician = (await api.login('lufeng.clinician')).accessToken;
  const patient = await ok(
    api.call('POST', '/v1/patients', {
      token: midwife,
      headers: treatment,
      body: { nationalId: nextFemaleId('1991-11-19'), name: '罗春梅', countyCode: 'lufeng' },
    }),
  );
  const pregnancy = await ok(
    api.call('POST', `/v1/patients/${patient.patient.id}/pregnancies`, {
      token: midwife,
      headers: treatment,
      body: { lmp: daysBefore(220), registeredOn: daysBefore(150), prePregnancyWeightKg: 55, heightCm: 158 },
    }),
  );
  const pregnancyId = pregnancy.pregnancy.id as string;
  await ok(
    api.call('POST', `/v1/pregnancies/${pregnancyId}/visits`, {
      token: midwife,
      headers: treatment,
      body: {
        visitDate: daysBefore(1),
        systolicBp: 172,
        diastolicBp: 114,
        proteinuria: 'PROTEINURIA_PLUS_2',
        findings: ['hypertensive_heart_disease'],
      },
    }),
  );
  const graded = await ok(
    api.call('POST', `/v1/pregnancies/${pregnancyId}/risk-assessments`, {
      token: clinician,
      headers: treatment,
      body: {},
    }),
  );
  expect(graded.assessment.colour).toBe('red');
  return pregnancyId;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('request', (request) => origins.add(new URL(request.url()).origin));
  // A failed load is recorded with its address (the console only says that something failed).
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (error) => problems.push(error.message));
  // Something to count on a fresh platform: a red grade, and the statistics' rollups showing it.
  await confirmRedGrade();
  const analyst = (await api.login('pref.analyst')).accessToken;
  for (let attempt = 0; attempt < 160; attempt++) {
    const answer = await ok(api.call('GET', '/v1/statistics', { token: analyst }));
    if (((answer.values ?? []) as IndicatorValue[]).some((value) => value.indicator === 'risk_colour_red')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 90_000);

afterAll(async () => {
  await browser?.close();
});

it('serves the shell without a token, with a CSP that allows only the gateway itself', async () => {
  const response = await fetch(`${platform.gatewayUrl}/dashboard`);
  expect(response.status).toBe(200);
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  const html = await response.text();
  expect(html).toContain('管理驾驶舱');
  expect(html).not.toMatch(/<script>(?!<)/);
});

it('signs an analyst in inside the page and shows the numbers /v1/statistics answers', async () => {
  await page.goto(`${platform.gatewayUrl}/dashboard`);
  await page.fill('#username', 'pref.analyst');
  await page.fill('#password', 'mch-demo-2026!');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#dashboard[data-loaded="true"]', { timeout: 30_000 });
  expect(page.url()).toBe(`${platform.gatewayUrl}/dashboard`);
  const token = await page.evaluate(`sessionStorage.getItem('mch.dashboard.accessToken')`);
  expect(token).toBeTruthy();

  // The rollups move while other files write: compare one reading of the page with the API read right after it,
  // reloading the page's data until the two are of the same moment (bounded).
  let mismatch = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const onPage = await shown();
    const answer = await ok(api.call('GET', '/v1/statistics', { token: token as string }));
    const compared = [...onPage.counties.keys()][0]?.split(':')[0] ?? '';
    const wanted = expected((answer.values ?? []) as IndicatorValue[], onPage.cards.keys(), compared);
    expect(onPage.cards.size).toBeGreaterThan(3);
    expect(onPage.counties.size).toBeGreaterThan(0);
    mismatch = JSON.stringify({
      cards: [...wanted.cards].filter(([id, fraction]) => onPage.cards.get(id) !== fraction),
      counties: [...wanted.counties].filter(([id, fraction]) => onPage.counties.get(id) !== fraction),
      countiesShown: [...onPage.counties.keys()].filter((id) => !wanted.counties.has(id)),
      colours: [...wanted.colours].filter(([id, count]) => onPage.colours.get(id) !== count),
      coloursShown: [...onPage.colours.keys()].filter((id) => !wanted.colours.has(id)),
    });
    if (mismatch === '{"cards":[],"counties":[],"countiesShown":[],"colours":[],"coloursShown":[]}') break;
    await page.reload();
    await page.waitForSelector('#dashboard[data-loaded="true"]', { timeout: 30_000 });
  }
  expect(mismatch).toBe('{"cards":[],"counties":[],"countiesShown":[],"colours":[],"coloursShown":[]}');
  // Targets are data with their source; unconfirmed ones say so on the card.
  const targets = JSON.parse(
    readFileSync(path.join(repoRoot(), 'services/gateway/static/dashboard-targets.json'), 'utf8'),
  ) as { targets: Array<{ indicator: string; confirmation: string; value: number | null }> };
  for (const target of targets.targets.filter((each) => each.value !== null)) {
    const line = page.locator(`#headline .card[data-indicator="${target.indicator}"] .target[data-confirmation]`);
    if ((await line.count()) === 0) continue;
    expect(await line.getAttribute('data-confirmation')).toBe(target.confirmation);
    expect((await line.textContent())?.includes('未核实')).toBe(target.confirmation !== 'confirmed');
  }
}, 120_000);

it('downloads the CSV the API serves, with the token in a header, not the URL', async () => {
  const token = await page.evaluate<string>(`sessionStorage.getItem('mch.dashboard.accessToken')`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
  const saved = readFileSync(await download.path(), 'utf8');
  const direct = await fetch(`${platform.gatewayUrl}/v1/statistics`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/csv' },
  });
  const header = saved.split('\r\n')[0];
  expect(header).toBe((await direct.text()).split('\r\n')[0]);
  expect(header).toContain('indicator');
  expect(saved.split('\r\n').length).toBeGreaterThan(2);
  expect(download.url()).toMatch(/^blob:/);
  // The XLSX tables have a named place on the page until their routes exist.
  expect(await page.locator('#download-xlsx').getAttribute('data-status')).toBe('pending');
});

it('shows a newly confirmed red grade in the live panel without a reload, then at 1280 and 375 px', async () => {
  await page.waitForSelector('#live-state[data-status="live"]', { timeout: 30_000 });
  const eventsShown = `Number(document.getElementById('risk-events').dataset.count || 0)`;
  const before = await page.evaluate<number>(eventsShown);
  const marker = await page.evaluate(`window.dashboardMarker = ${Date.now()}`);
  await confirmRedGrade();
  await until(`${eventsShown} > ${before}`, 'the live panel shows the new grade');
  const red = page.locator('#risk-events li[data-colour="red"][data-county="lufeng"]');
  expect(await red.count()).toBeGreaterThan(0);
  expect(await red.first().textContent()).toContain('红色');
  // The panel moved in place: the same document (no reload), and an analyst's event names no woman.
  expect(await page.evaluate('window.dashboardMarker')).toBe(marker);
  const open = Number(await page.locator('#open-cases').getAttribute('data-total'));
  expect(open).toBeGreaterThanOrEqual(1);
  expect(await page.locator('#risk-events').textContent()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);

  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-1280.png'), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await until('document.documentElement.scrollWidth <= 375', 'no horizontal scrolling at 375 px');
  expect(await page.isVisible('#live-high-risk')).toBe(true);
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-375.png'), fullPage: true });

  expect([...origins]).toEqual([platform.gatewayUrl]);
  expect(problems).toEqual([]);
}, 120_000);

// The administrators' dashboard (管理驾驶舱): signs in with the platform's login, keeps the access token in
// sessionStorage (never in a URL), reads /v1/statistics and the targets, draws the charts with ECharts, and follows
// /v1/high-risk-cases/events (server-sent events over fetch, so the token travels in a header; Last-Event-ID on
// reconnect) for the live panels.
'use strict';

const TOKEN_KEY = 'mch.dashboard.accessToken';
const COUNTIES = {
  chuxiong: '楚雄市',
  lufeng: '禄丰市',
  shuangbai: '双柏县',
  mouding: '牟定县',
  nanhua: '南华县',
  yaoan: '姚安县',
  dayao: '大姚县',
  yongren: '永仁县',
  yuanmou: '元谋县',
  wuding: '武定县',
};
const COLOURS = [
  ['green', '绿色', '#2da44e'],
  ['yellow', '黄色', '#d4a72c'],
  ['orange', '橙色', '#e16f24'],
  ['red', '红色', '#cf222e'],
  ['purple', '紫色', '#8250df'],
  ['ungraded', '未分级', '#8c959f'],
];
const COLOUR_NAME = Object.fromEntries(COLOURS.map(([id, name]) => [id, name]));
// The headline cards, shown even before their indicator has data (title and unit as the statistics catalogue has them;
// the catalogue in the answer wins when it is there).
const HEADLINE = [
  ['maternal_mortality_ratio', '孕产妇死亡率', 'per 100,000 live births'],
  ['neonatal_mortality_rate', '新生儿死亡率', '‰'],
  ['infant_mortality_rate', '婴儿死亡率', '‰'],
  ['under5_mortality_rate', '5岁以下儿童死亡率', '‰'],
  ['maternal_system_management_rate', '孕产妇系统管理率', '%'],
  ['hospital_delivery_rate', '住院分娩率', '%'],
  ['early_antenatal_check_rate', '孕早期检查率', '%'],
  ['under7_health_management_rate', '7岁以下儿童健康管理率', '%'],
  ['high_risk_rate', '高危产妇比例', '%'],
];
const SCALE = { '%': 100, '‰': 1000, '‱': 10000, 'per 100,000 live births': 100000, '': 1 };
const UNIT_ZH = { '%': '%', '‰': '‰', '‱': '‱', 'per 100,000 live births': '/10万', '': '' };

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  statistics: null,
  targets: [],
  charts: {},
  stream: null,
  lastEventId: '',
};

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

async function api(path, accept) {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${state.token}`, accept: accept || 'application/json' },
  });
  if (response.status === 401) {
    signOut('登录已失效，请重新登录');
    throw new Error('unauthenticated');
  }
  return response;
}

/** Value of a ratio in its unit, or the count itself. */
function valueOf(numerator, denominator, unit) {
  if (!unit) return numerator;
  if (!denominator) return null;
  return (numerator / denominator) * SCALE[unit];
}

function formatValue(value, unit) {
  if (value === null || value === undefined) return '—';
  return unit ? `${value.toFixed(unit === '%' ? 1 : 2)}${UNIT_ZH[unit]}` : String(value);
}

function totals(values, key) {
  const sums = new Map();
  for (const row of values) {
    const group = key(row);
    const sum = sums.get(group) || { numerator: 0, denominator: 0 };
    sum.numerator += Number(row.numerator || 0);
    sum.denominator += Number(row.denominator || 0);
    sums.set(group, sum);
  }
  return sums;
}

function catalogueOf(id) {
  return (state.statistics.catalogue || []).find((item) => item.indicator === id);
}

function titleOf(id) {
  const item = catalogueOf(id);
  return item ? item.titleZh : id;
}

function renderHeadline() {
  const values = state.statistics.values || [];
  const byIndicator = totals(values, (row) => row.indicator);
  const cards = HEADLINE.map(([id, titleZh, unit]) => {
    const item = catalogueOf(id) || { titleZh, unit };
    const sum = byIndicator.get(id) || { numerator: 0, denominator: 0 };
    const value = valueOf(sum.numerator, sum.denominator, item.unit);
    const target = state.targets.find((each) => each.indicator === id && each.value !== null);
    const card = element('div', {
      class: 'card',
      'data-indicator': id,
      'data-numerator': sum.numerator,
      'data-denominator': sum.denominator,
    });
    card.append(element('div', {}, item.titleZh), element('div', { class: 'value' }, formatValue(value, item.unit)));
    card.append(element('div', { class: 'fraction' }, item.unit ? `${sum.numerator} / ${sum.denominator}` : '计数'));
    if (target) {
      const met =
        value === null ? null : target.comparison === 'at-most' ? value <= target.value : value >= target.value;
      if (met !== null) card.classList.add(met ? 'met' : 'missed');
      const sign = target.comparison === 'at-most' ? '≤' : '≥';
      const line = element(
        'div',
        { class: 'target', title: target.source, 'data-confirmation': target.confirmation },
        `目标 ${sign}${target.value}${UNIT_ZH[target.unit] ?? target.unit}（${target.by}年）${target.confirmation === 'confirmed' ? '' : ' · 未核实'}`,
      );
      card.append(line);
    } else {
      card.append(element('div', { class: 'target' }, '无国家目标'));
    }
    if (item.confirmation === 'unconfirmed') card.append(element('div', { class: 'target' }, '口径未核实'));
    return card;
  });
  document.getElementById('headline').replaceChildren(...cards);
}

function indicatorOptions(select, preferred) {
  const ids = [...new Set((state.statistics.values || []).map((row) => row.indicator))]
    .filter((id) => !id.startsWith('risk_colour_'))
    .sort();
  const previous = select.value;
  select.replaceChildren(...ids.map((id) => element('option', { value: id }, titleOf(id))));
  select.value = ids.includes(previous) ? previous : ids.includes(preferred) ? preferred : ids[0] || '';
}

function chart(id) {
  if (!state.charts[id]) state.charts[id] = echarts.init(document.getElementById(id), null, { renderer: 'canvas' });
  return state.charts[id];
}

function renderCounties() {
  const id = document.getElementById('compare-indicator').value;
  const item = catalogueOf(id) || { unit: '' };
  const rows = (state.statistics.values || []).filter((row) => row.indicator === id);
  const byCounty = totals(rows, (row) => row.county);
  const counties = Object.keys(COUNTIES).filter((county) => byCounty.has(county));
  const points = counties.map((county) => {
    const sum = byCounty.get(county);
    return { county, ...sum, value: valueOf(sum.numerator, sum.denominator, item.unit) };
  });
  chart('chart-counties').setOption(
    {
      grid: { left: 48, right: 12, top: 16, bottom: 64 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: points.map((point) => COUNTIES[point.county]), axisLabel: { rotate: 45 } },
      yAxis: { type: 'value', name: UNIT_ZH[item.unit] },
      series: [{ type: 'bar', data: points.map((point) => point.value), itemStyle: { color: '#0b5394' } }],
    },
    true,
  );
  document
    .querySelector('#table-counties tbody')
    .replaceChildren(
      ...points.map((point) =>
        tableRow({ 'data-county': point.county }, [
          COUNTIES[point.county],
          point.numerator,
          item.unit ? point.denominator : '—',
          formatValue(point.value, item.unit),
        ]),
      ),
    );
}

function tableRow(attributes, cells) {
  const row = element('tr', attributes);
  for (const cell of cells) row.append(element('td', {}, String(cell)));
  return row;
}

function renderTrend() {
  const id = document.getElementById('trend-indicator').value;
  const item = catalogueOf(id) || { unit: '' };
  const rows = (state.statistics.values || []).filter((row) => row.indicator === id);
  const byMonth = totals(rows, (row) => row.period || row.month);
  const months = [...byMonth.keys()].sort();
  chart('chart-trend').setOption(
    {
      grid: { left: 48, right: 12, top: 16, bottom: 32 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: months },
      yAxis: { type: 'value', name: UNIT_ZH[item.unit] },
      series: [
        {
          type: 'line',
          data: months.map((month) => {
            const sum = byMonth.get(month);
            return valueOf(sum.numerator, sum.denominator, item.unit);
          }),
          itemStyle: { color: '#0b5394' },
        },
      ],
    },
    true,
  );
}

function renderColours() {
  const rows = (state.statistics.values || []).filter((row) => row.indicator.startsWith('risk_colour_'));
  const byColour = totals(rows, (row) => row.indicator.slice('risk_colour_'.length));
  const present = COLOURS.filter(([id]) => byColour.has(id));
  chart('chart-colours').setOption(
    {
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'pie',
          radius: ['35%', '65%'],
          data: present.map(([id, name, colour]) => ({
            name,
            value: byColour.get(id).numerator,
            itemStyle: { color: colour },
          })),
        },
      ],
    },
    true,
  );
  document
    .getElementById('colour-counts')
    .replaceChildren(
      ...present.flatMap(([id, name]) => [
        element('dt', {}, name),
        element('dd', { 'data-colour': id }, String(byColour.get(id).numerator)),
      ]),
    );
}

async function loadStatistics() {
  const county = document.getElementById('county').value;
  const query = county ? `?county=${encodeURIComponent(county)}` : '';
  const response = await api(`/v1/statistics${query}`);
  const body = await response.json();
  if (!response.ok) {
    document.getElementById('source').textContent = `统计数据不可用：${body.message || response.status}`;
    return;
  }
  state.statistics = body;
  const months = [...new Set((body.values || []).map((row) => row.month))].sort();
  document.getElementById('period').textContent = months.length
    ? `统计期：${months[0]} 至 ${months[months.length - 1]}`
    : '统计期内无数据';
  document.getElementById('source').textContent =
    body.unavailable && body.unavailable.length ? `部分指标暂缺：${body.unavailable.join('；')}` : '';
  document.getElementById('download-csv').setAttribute('href', `/v1/statistics${query}`);
  renderHeadline();
  indicatorOptions(document.getElementById('compare-indicator'), 'early_antenatal_check_rate');
  indicatorOptions(document.getElementById('trend-indicator'), 'pregnancies_registered');
  renderCounties();
  renderTrend();
  renderColours();
  document.getElementById('dashboard').dataset.loaded = 'true';
}

function renderOpenCases(openCases) {
  const byColour = new Map();
  for (const row of openCases || []) byColour.set(row.colour, (byColour.get(row.colour) || 0) + Number(row.cases || 0));
  const list = document.getElementById('open-cases');
  const total = [...byColour.values()].reduce((sum, cases) => sum + cases, 0);
  list.dataset.total = String(total);
  list.replaceChildren(
    element('dt', {}, '合计'),
    element('dd', { 'data-colour': 'total' }, String(total)),
    ...COLOURS.filter(([id]) => byColour.has(id)).flatMap(([id, name]) => [
      element('dt', { class: `colour-${id}` }, name),
      element('dd', { 'data-colour': id }, String(byColour.get(id))),
    ]),
  );
}

function renderRiskEvent(event) {
  const list = document.getElementById('risk-events');
  for (const old of list.querySelectorAll('.fresh')) old.classList.remove('fresh');
  const when = new Date(event.occurredAt).toLocaleString('zh-CN', { hour12: false });
  const from = event.previousColour ? COLOUR_NAME[event.previousColour] || event.previousColour : '未分级';
  const item = element(
    'li',
    { class: `fresh colour-${event.colour}`, 'data-colour': event.colour, 'data-county': event.countyCode },
    `${when} ${COUNTIES[event.countyCode] || event.countyCode}：${from} → ${COLOUR_NAME[event.colour] || event.colour}${event.inCaseManagement ? '（纳入专案管理）' : ''}`,
  );
  list.prepend(item);
  while (list.children.length > 50) list.lastElementChild.remove();
  list.dataset.count = String(Number(list.dataset.count || 0) + 1);
}

async function follow() {
  const live = document.getElementById('live-state');
  const stream = {};
  state.stream = stream;
  while (state.stream === stream && state.token) {
    try {
      const county = document.getElementById('county').value;
      const headers = { authorization: `Bearer ${state.token}`, accept: 'text/event-stream' };
      if (state.lastEventId) headers['last-event-id'] = state.lastEventId;
      stream.abort = new AbortController();
      const response = await fetch(
        `/v1/high-risk-cases/events${county ? `?county=${encodeURIComponent(county)}` : ''}`,
        {
          headers,
          signal: stream.abort.signal,
        },
      );
      if (response.status === 401 || response.status === 403) {
        const body = await response.json().catch(() => ({}));
        live.textContent = `无权查看实时数据：${body.message || response.status}`;
        live.dataset.status = 'denied';
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const field = (name) => {
            const line = frame.find((each) => each.startsWith(`${name}: `));
            return line === undefined ? undefined : line.slice(name.length + 2);
          };
          const id = field('id');
          if (id !== undefined) state.lastEventId = id;
          const data = field('data');
          if (data === undefined) continue;
          const payload = JSON.parse(data);
          const kind = field('event');
          if (kind === 'ready') {
            renderOpenCases(payload.openCases);
            live.textContent = `实时（${new Date().toLocaleTimeString('zh-CN', { hour12: false })} 连接）`;
            live.dataset.status = 'live';
          } else if (kind === 'change') {
            renderOpenCases(payload.openCases);
            renderRiskEvent(payload.event);
          }
        }
      }
      live.textContent = '连接中断，正在重连…';
    } catch (error) {
      if (state.stream !== stream) return;
      live.textContent = `正在重连（${error.message}）`;
    }
    live.dataset.status = 'reconnecting';
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function stopFollowing() {
  if (state.stream && state.stream.abort) state.stream.abort.abort();
  state.stream = null;
}

async function downloadCsv(event) {
  event.preventDefault();
  const link = event.currentTarget;
  const response = await api(link.getAttribute('href'), link.dataset.accept);
  if (!response.ok) return;
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const save = element('a', { href: url, download: 'statistics.csv' });
  document.body.append(save);
  save.click();
  save.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function showDashboard() {
  const me = await api('/v1/me');
  if (!me.ok) return signOut('无法读取当前用户');
  const body = await me.json();
  const user = body.account || body.user || body;
  document.getElementById('connection').textContent = `已登录：${user.displayName || user.username || ''}`;
  document.getElementById('login').hidden = true;
  document.getElementById('dashboard').hidden = false;
  document.getElementById('sign-out').hidden = false;
  const targets = await fetch('/dashboard/targets.json').then((response) => response.json());
  state.targets = targets.targets;
  await loadStatistics();
  void follow();
}

function signOut(message) {
  stopFollowing();
  state.token = null;
  state.lastEventId = '';
  sessionStorage.removeItem(TOKEN_KEY);
  document.getElementById('login').hidden = false;
  document.getElementById('dashboard').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('connection').textContent = '未登录';
  document.getElementById('login-error').textContent = message || '';
}

function init() {
  const select = document.getElementById('county');
  for (const [code, name] of Object.entries(COUNTIES)) select.append(element('option', { value: code }, name));
  select.addEventListener('change', () => {
    stopFollowing();
    state.lastEventId = '';
    document.getElementById('risk-events').replaceChildren();
    void loadStatistics().then(() => follow());
  });
  document.getElementById('compare-indicator').addEventListener('change', renderCounties);
  document.getElementById('trend-indicator').addEventListener('change', renderTrend);
  document.getElementById('download-csv').addEventListener('click', downloadCsv);
  document.getElementById('sign-out').addEventListener('click', () => signOut(''));
  window.addEventListener('resize', () => Object.values(state.charts).forEach((each) => each.resize()));
  document.getElementById('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const response = await fetch('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: document.getElementById('username').value,
        password: document.getElementById('password').value,
      }),
    });
    const body = await response.json();
    if (!response.ok) {
      document.getElementById('login-error').textContent = body.message || '登录失败';
      return;
    }
    state.token = body.tokens.accessToken;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    document.getElementById('login-error').textContent = '';
    document.getElementById('password').value = '';
    await showDashboard();
  });
  if (state.token) void showDashboard();
}

init();

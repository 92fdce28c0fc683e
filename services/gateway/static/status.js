// The operator page: signs in, then reads /v1/replication/events (server-sent events over fetch, so the
// bearer token travels in a header) and redraws both zones, the exposure banner, the lag chart and events.
'use strict';

const state = { token: null, lag: { 'az-a': [], 'az-b': [] } };
const WINDOW_MS = 5 * 60 * 1000;
const ROLE = {
  MEMBER_ROLE_PRIMARY: ['primary', 'primary'],
  MEMBER_ROLE_SYNC_STANDBY: ['synchronous standby', 'sync'],
  MEMBER_ROLE_ASYNC_STANDBY: ['standby, NOT in sync', 'async'],
  MEMBER_ROLE_DOWN: ['down', 'down'],
};

function text(value) {
  return value === undefined || value === null || value === '' ? '—' : String(value);
}

function setList(list, rows) {
  list.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = text(value);
      return [dt, dd];
    }),
  );
}

function change(event) {
  return event
    ? `${event.fromZone} → ${event.toZone} at ${new Date(event.at).toLocaleString()} (timeline ${event.timeline})`
    : 'none seen';
}

function render(status) {
  const banner = document.getElementById('exposure');
  if (status.exposed) {
    banner.className = 'banner exposed';
    banner.textContent = `RPO EXPOSURE since ${new Date(status.exposedSince).toLocaleString()}: writes are on ${status.primaryZone} only`;
  } else if (status.inSync) {
    banner.className = 'banner ok';
    banner.textContent = `In sync: every acknowledged write is in both zones (primary ${status.primaryZone})`;
  } else {
    banner.className = 'banner exposed';
    banner.textContent = 'No primary: writes are unavailable until the HA engine elects one';
  }
  banner.dataset.exposed = String(Boolean(status.exposed));
  for (const member of status.members || []) {
    const [label, css] = ROLE[member.role] || ['unknown', 'down'];
    const card = document.getElementById(`zone-${member.zone}`);
    if (!card) continue;
    card.className = `zone ${css}`;
    card.dataset.role = css;
    setList(card.querySelector('dl'), [
      ['role', label],
      ['state', member.state],
      ['timeline', member.timeline],
      ['lag', `${member.lagBytes || 0} bytes, ${Number(member.lagSeconds || 0).toFixed(2)} s`],
    ]);
    const points = state.lag[member.zone];
    points.push([Date.now(), Number(member.lagBytes || 0)]);
    while (points.length && points[0][0] < Date.now() - WINDOW_MS) points.shift();
  }
  const objectStore = status.objectStore;
  for (const zone of (objectStore && objectStore.zones) || []) {
    const list = document.querySelector(`#zone-${zone.zone} dl`);
    if (!list) continue;
    for (const [term, value] of [
      ['object store', zone.reachable ? 'agent up' : 'AGENT DOWN'],
      ['copies to repair', zone.missingCopies || 0],
    ]) {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = text(value);
      list.append(dt, dd);
    }
  }
  drawLag();
  const backupLine = (backups) => {
    if (!backups || !backups.configured) return 'not reported here';
    if (!backups.lastBackupAt) return `none yet (repository: ${backups.repositoryStatus})`;
    return `${new Date(backups.lastBackupAt).toLocaleString()} (${backups.lastBackupType}, ${backups.backups} kept; WAL archived to ${backups.newestArchivedWal || '?'}; repository: ${backups.repositoryStatus})`;
  };
  setList(document.getElementById('events'), [
    [
      'objects',
      objectStore
        ? `${objectStore.objects || 0} stored, ${objectStore.exposedObjects || 0} in one zone only${objectStore.exposed ? ' — OBJECT EXPOSURE' : ''}`
        : 'no object store',
    ],
    [
      'last object scan',
      objectStore && objectStore.lastScanAt
        ? `${new Date(objectStore.lastScanAt).toLocaleString()}: ${objectStore.lastScanChecked || 0} checked, ${objectStore.lastScanRepaired || 0} repaired`
        : 'none yet',
    ],
    ['last backup', backupLine(status.backups)],
    ['durability', status.durability],
    ['last failover', change(status.lastFailover)],
    ['last switchover', change(status.lastSwitchover)],
    ['observed', new Date(status.observedAt).toLocaleTimeString()],
    ['warnings', (status.warnings || []).join('; ')],
  ]);
  document.getElementById('events').dataset.lastSwitchover = status.lastSwitchover ? status.lastSwitchover.toZone : '';
}

function drawLag() {
  const svg = document.getElementById('lag-chart');
  const now = Date.now();
  const all = [...state.lag['az-a'], ...state.lag['az-b']].map((point) => point[1]);
  const top = Math.max(1024, ...all);
  const colours = { 'az-a': '#1a7f37', 'az-b': '#0969da' };
  svg.replaceChildren(
    ...Object.entries(state.lag).map(([zone, points]) => {
      const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
      line.setAttribute('fill', 'none');
      line.setAttribute('stroke', colours[zone]);
      line.setAttribute('stroke-width', '2');
      line.setAttribute(
        'points',
        points
          .map(([at, lag]) => `${(600 * (at - (now - WINDOW_MS))) / WINDOW_MS},${118 - (116 * lag) / top}`)
          .join(' '),
      );
      return line;
    }),
  );
  document.getElementById('lag-legend').textContent = `green az-a, blue az-b; scale 0–${top} bytes`;
}

async function follow() {
  const connection = document.getElementById('connection');
  for (;;) {
    try {
      const response = await fetch('/v1/replication/events', { headers: { authorization: `Bearer ${state.token}` } });
      if (response.status === 401 || response.status === 403) {
        connection.textContent = 'not allowed: sign in as a platform admin';
        document.getElementById('login').hidden = false;
        document.getElementById('dashboard').hidden = true;
        return;
      }
      if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
      connection.textContent = 'live';
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          if (frame.startsWith('event: status') && data) render(JSON.parse(data.slice(6)).status);
        }
      }
    } catch (error) {
      connection.textContent = `reconnecting (${error.message})`;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

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
    document.getElementById('login-error').textContent = body.message || 'sign-in failed';
    return;
  }
  state.token = body.tokens.accessToken;
  document.getElementById('login').hidden = true;
  document.getElementById('dashboard').hidden = false;
  void follow();
});

// The Tollgate console: apps and their settings, live streams and their
// sessions, token decisions, a token with the URLs of every door. Only the
// server's REST API, same origin; server text goes in with textContent.

const STREAMS_EVERY_MS = 3000;
const DECISIONS_EVERY_MS = 10000;
const BOOL_SETTINGS = [
  'publishTokenControlEnabled', 'playTokenControlEnabled',
  'publishJwtControlEnabled', 'playJwtControlEnabled',
  'acceptOnlyStreamsInDataStore', 'hlsMuxingEnabled', 'dashMuxingEnabled',
  'mp4MuxingEnabled', 'webRTCEnabled',
];
const TEXT_SETTINGS = ['jwtStreamSecretKey', 'hlsTime', 'hlsListSize'];
const RUNG_FIELDS = ['height', 'videoBitrate', 'audioBitrate'];
const VIEWER_COUNTS = [
  ['HLS', 'hlsViewerCount'], ['DASH', 'dashViewerCount'],
  ['WebRTC', 'webRTCViewerCount'], ['RTMP', 'rtmpViewerCount'],
  ['SRT', 'srtViewerCount'], ['RTSP', 'rtspViewerCount'],
];

const $ = (id) => document.getElementById(id);
const state = { app: null, server: null, streams: new Map(), chart: null };

// fetch, JSON in and out: {status, body} (body null when it is not JSON).
async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  return { status: response.status, body: json };
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function say(id, text, ok) {
  const node = $(id);
  node.textContent = text;
  node.className = ok ? 'ok' : 'error';
  node.dataset.state = ok ? 'ok' : 'error';
}

function resultText(r, fallback) {
  if (r.body && typeof r.body.message === 'string') return r.body.message;
  return `${fallback} (HTTP ${r.status})`;
}

const enc = encodeURIComponent;
const restOf = (app) => `/${enc(app)}/rest/v2/broadcasts`;
const settingsPath = (app) => `/rest/v2/applications/settings/${enc(app)}`;

// -- settings ---------------------------------------------------------

function addRung(rung = {}) {
  const row = el('tr', { class: 'abr-row' });
  for (const f of RUNG_FIELDS) {
    const input = el('input', { type: 'text', size: '9', class: `abr-${f}` });
    input.value = rung[f] === undefined || rung[f] === null ? '' : String(rung[f]);
    row.append(el('td', {}, input));
  }
  row.append(el('td', {}, el('button', {
    type: 'button', class: 'abr-remove', text: 'Remove',
    onclick: () => row.remove(),
  })));
  $('abr-rows').append(row);
}

async function loadSettings() {
  const app = state.app;
  const r = await api('GET', settingsPath(app));
  if (r.status !== 200 || !r.body) {
    say('settings-message', resultText(r, 'Cannot read the settings'), false);
    return;
  }
  if (app !== state.app) return;
  for (const f of BOOL_SETTINGS) $(`setting-${f}`).checked = r.body[f] === true;
  for (const f of TEXT_SETTINGS) {
    const v = r.body[f];
    $(`setting-${f}`).value = v === null || v === undefined ? '' : String(v);
  }
  $('abr-rows').replaceChildren();
  for (const rung of r.body.encoderSettings || []) addRung(rung);
}

// A whole number as a number; anything else as typed, for the server to
// name what is wrong with it.
function numberOrText(text) {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

async function saveSettings(event) {
  event.preventDefault();
  const app = state.app;
  $('settings-message').textContent = '';
  // POST takes the whole object: the current one, with the form's fields.
  const current = await api('GET', settingsPath(app));
  if (current.status !== 200 || !current.body) {
    say('settings-message', resultText(current, 'Cannot read the settings'), false);
    return;
  }
  const settings = current.body;
  for (const f of BOOL_SETTINGS) settings[f] = $(`setting-${f}`).checked;
  for (const f of TEXT_SETTINGS) settings[f] = $(`setting-${f}`).value;
  settings.encoderSettings = [...document.querySelectorAll('#abr-rows tr')].map(
    (row) => Object.fromEntries(RUNG_FIELDS.map(
      (f) => [f, numberOrText(row.querySelector(`.abr-${f}`).value)])));
  const r = await api('POST', settingsPath(app), settings);
  if (r.status === 200 && r.body && r.body.success === true) {
    say('settings-message', 'Saved', true);
    await loadSettings();
  } else {
    say('settings-message', resultText(r, 'Not saved'), false);
  }
}

// -- live streams -----------------------------------------------------

function formatBitrate(bps) {
  if (!bps) return '0';
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`;
}

function formatBytes(n) {
  if (typeof n !== 'number') return '';
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function field(dl, id, label) {
  const dd = el('dd', { id });
  dl.append(el('dt', { text: label }), dd);
  return dd;
}

// The block of one live stream, made once and updated in place.
function streamBlock(id) {
  let block = state.streams.get(id);
  if (block) return block;
  const img = el('img', { id: `thumb-${id}`, alt: `thumbnail of ${id}`, class: 'missing' });
  img.addEventListener('load', () => img.classList.remove('missing'));
  img.addEventListener('error', () => img.classList.add('missing'));
  const thumb = el('div', { class: 'thumb' }, img,
    el('span', { class: 'placeholder', id: `thumb-none-${id}`, text: 'no thumbnail' }));
  const dl = el('dl');
  const info = el('div', {}, el('h3', { text: id }), dl);
  const fields = {
    publishType: field(dl, `stream-${id}-door`, 'Published over'),
    resolution: field(dl, `stream-${id}-resolution`, 'Resolution'),
    bitrate: field(dl, `stream-${id}-bitrate`, 'Bitrate'),
    codecs: field(dl, `stream-${id}-codecs`, 'Codecs'),
  };
  for (const [door, key] of VIEWER_COUNTS) {
    fields[key] = field(dl, `stream-${id}-viewers-${door.toLowerCase()}`, `${door} viewers`);
  }
  const sessions = el('tbody', { id: `sessions-${id}` });
  const sessionsBox = el('div', { class: 'sessions' },
    el('h4', { text: 'Sessions' }),
    el('table', {}, el('thead', {}, el('tr', {},
      ...['Door', 'Type', 'Client', 'Since', 'In', 'Out', 'Credential', ''].map(
        (t) => el('th', { text: t })))), sessions),
    el('button', {
      type: 'button', id: `end-viewers-${id}`, text: 'End all viewers',
      onclick: () => endSessions(id, 'play'),
    }),
    el('span', { id: `sessions-message-${id}`, role: 'status' }));
  const node = el('div', { class: 'stream', id: `stream-${id}` }, thumb, info, sessionsBox);
  $('streams').append(node);
  block = { node, img, fields, sessions };
  state.streams.set(id, block);
  return block;
}

function showStream(b) {
  const block = streamBlock(b.streamId);
  const f = block.fields;
  f.publishType.textContent = b.publishType || '';
  f.resolution.textContent = b.width && b.height ? `${b.width}x${b.height}` : 'unknown';
  f.bitrate.textContent = formatBitrate(b.bitrate);
  f.codecs.textContent = [b.videoCodec, b.audioCodec].filter((c) => c).join(', ') || 'unknown';
  for (const [, key] of VIEWER_COUNTS) {
    f[key].textContent = String(typeof b[key] === 'number' ? b[key] : 0);
  }
  block.img.src = `${restOf(state.app)}/${enc(b.streamId)}/thumbnail?t=${Date.now()}`;
}

async function endSession(id, sessionId) {
  const r = await api('DELETE', `${restOf(state.app)}/${enc(id)}/sessions/${enc(sessionId)}`);
  say(`sessions-message-${id}`, resultText(r, 'Not ended'), r.status === 200 && r.body && r.body.success);
  await refreshSessions(id);
}

async function endSessions(id, type) {
  const r = await api('DELETE', `${restOf(state.app)}/${enc(id)}/sessions?type=${enc(type)}`);
  say(`sessions-message-${id}`, resultText(r, 'Not ended'), r.status === 200 && r.body && r.body.success);
  await refreshSessions(id);
}

async function refreshSessions(id) {
  const block = state.streams.get(id);
  if (!block) return;
  const r = await api('GET', `${restOf(state.app)}/${enc(id)}/sessions`);
  if (r.status !== 200 || !Array.isArray(r.body)) {
    block.sessions.replaceChildren(el('tr', {}, el('td', {
      colspan: '8', text: `No sessions to show (HTTP ${r.status})`,
    })));
    return;
  }
  block.sessions.replaceChildren(...r.body.map((s) => el('tr',
    { id: `session-${s.sessionId}`, 'data-door': String(s.door), 'data-type': String(s.type) },
    el('td', { text: String(s.door) }),
    el('td', { text: String(s.type) }),
    el('td', { text: String(s.remoteIp) }),
    el('td', { text: new Date(s.startTime).toLocaleTimeString() }),
    el('td', { text: formatBytes(s.bytesIn) }),
    el('td', { text: formatBytes(s.bytesOut) }),
    el('td', { text: s.credential === null ? '' : String(s.credential) }),
    el('td', {}, el('button', {
      type: 'button', class: 'end-session', id: `end-${s.sessionId}`, text: 'End',
      onclick: () => endSession(id, s.sessionId),
    })))));
}

async function refreshStreams() {
  const app = state.app;
  const list = await api('GET', `${restOf(app)}/list/0/50`);
  if (app !== state.app) return;
  if (list.status !== 200 || !Array.isArray(list.body)) {
    say('console-error', resultText(list, 'Cannot list the broadcasts'), false);
    return;
  }
  $('console-error').textContent = '';
  const live = list.body.filter((b) => b.status === 'broadcasting');
  const details = await Promise.all(live.map(
    (b) => api('GET', `${restOf(app)}/${enc(b.streamId)}`)));
  if (app !== state.app) return;
  const seen = new Set();
  for (const d of details) {
    if (d.status !== 200 || !d.body || d.body.status !== 'broadcasting') continue;
    seen.add(d.body.streamId);
    showStream(d.body);
  }
  for (const [id, block] of state.streams) {
    if (!seen.has(id)) {
      block.node.remove();
      state.streams.delete(id);
    }
  }
  $('streams-empty').hidden = seen.size > 0;
  await Promise.all([...seen].map(refreshSessions));
}

// -- token decisions --------------------------------------------------

async function refreshDecisions() {
  const r = await api('GET', '/rest/v2/token-decisions');
  if (r.status !== 200 || !r.body || !Array.isArray(r.body.points)) return;
  const points = r.body.points;
  const times = points.map((p) => p.time / 1000);
  const admitted = points.map((p) => p.admitted);
  const refused = points.map((p) => p.refused);
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  $('decisions-admitted').textContent = String(sum(admitted));
  $('decisions-refused').textContent = String(sum(refused));
  const box = $('decisions-chart');
  box.dataset.admitted = String(sum(admitted));
  box.dataset.refused = String(sum(refused));
  const data = [times, admitted, refused];
  if (state.chart) {
    state.chart.setData(data);
    return;
  }
  state.chart = new window.uPlot({
    width: Math.max(320, Math.min(900, box.clientWidth || 800)),
    height: 240,
    scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    series: [
      {},
      { label: 'admitted', stroke: '#2a8a2a', fill: 'rgba(42,138,42,0.15)', width: 3, points: { show: true } },
      { label: 'refused', stroke: '#c03030', dash: [6, 4], width: 2, points: { show: true } },
    ],
    axes: [{}, { label: 'per minute' }],
  }, data, box);
}

// -- token and URLs ---------------------------------------------------

function hostName() {
  const h = location.hostname;
  return h.includes(':') ? `[${h}]` : h;
}

// [door, url, note] of every door for the token, from README's forms.
function doorUrls(app, id, type, token) {
  const p = state.server.ports;
  const host = hostName();
  const https = location.protocol === 'https:';
  const web = https ? `https://${host}:${p.https}` : `http://${host}:${p.http}`;
  const t = enc(token);
  const a = enc(app);
  const s = enc(id);
  const rtmp = `rtmp://${host}:${p.rtmp}/${a}/${s}?token=${t}`;
  const rtsp = `rtsp://${host}:${p.rtsp}/${a}/${s}?token=${t}`;
  const port = { rtmp: p.rtmp, srt: p.srt, rtsp: p.rtsp, web: https ? p.https : p.http };
  const rows = type === 'publish' ? [
    ['rtmp', 'RTMP', rtmp, 'rtmp'],
    ['srt', 'SRT', `srt://${host}:${p.srt}?streamid=${a}/${s},token=${t}`, 'srt'],
    ['webrtc-publish', 'WebRTC (publish page)', `${web}/${a}/?id=${s}&token=${t}`, 'web'],
    ['whip', 'WHIP', `${web}/${a}/whip/${s}`, 'web'],
    ['whip-bearer', 'WHIP Bearer token', token, 'web'],
    ['rtsp', 'RTSP (record)', rtsp, 'rtsp'],
  ] : [
    ['hls', 'HLS', `${web}/${a}/streams/${s}.m3u8?token=${t}`, 'web'],
    ['hls-adaptive', 'Adaptive HLS', `${web}/${a}/streams/${s}_adaptive.m3u8?token=${t}`, 'web'],
    ['ll-hls', 'LL-HLS', `${web}/${a}/streams/ll-hls/${s}/${s}__master.m3u8?token=${t}`, 'web'],
    ['dash', 'DASH', `${web}/${a}/streams/${s}/${s}.mpd?token=${t}`, 'web'],
    ['vod', 'VoD (MP4)', `${web}/${a}/streams/${s}.mp4?token=${t}`, 'web'],
    ['webrtc-play', 'WebRTC (play page)', `${web}/${a}/play.html?id=${s}&token=${t}`, 'web'],
    ['whep', 'WHEP', `${web}/${a}/whep/${s}`, 'web'],
    ['whep-bearer', 'WHEP Bearer token', token, 'web'],
    ['rtsp', 'RTSP', rtsp, 'rtsp'],
    ['rtmp', 'RTMP', rtmp, 'rtmp'],
    ['srt', 'SRT', `srt://${host}:${p.srt}?streamid=#!::r=${a}/${s},m=request,t=${t}`, 'srt'],
  ];
  return rows.map(([key, door, url, via]) => ({ key, door, url: port[via] ? url : null }));
}

async function copyText(code, button) {
  const text = code.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch (e) {
    // No clipboard (a page over plain HTTP from another host): select it.
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = 'Selected: press Ctrl+C';
  }
}

function showUrls(app, id, type, token) {
  $('mint-token').textContent = token;
  $('mint-url-rows').replaceChildren(...doorUrls(app, id, type, token).map((u) => {
    const code = el('code', { id: `url-${u.key}`, text: u.url === null ? '' : u.url });
    const button = el('button', {
      type: 'button', id: `copy-${u.key}`, text: 'Copy',
      onclick: () => copyText(code, button),
    });
    if (u.url === null) button.disabled = true;
    return el('tr', {},
      el('td', { text: u.door }),
      el('td', {}, u.url === null ? el('span', { text: 'this door is off' }) : code),
      el('td', {}, button));
  }));
}

async function mint(event) {
  event.preventDefault();
  const app = $('mint-app').value;
  const id = $('mint-stream').value.trim();
  const type = $('mint-type').value;
  const minutes = Number($('mint-expiry').value);
  const route = $('mint-scheme').value === 'jwt' ? 'jwt-token' : 'token';
  const expire = Math.floor(Date.now() / 1000) + Math.round(minutes * 60);
  const r = await api('GET',
    `${restOf(app)}/${enc(id)}/${route}?expireDate=${expire}&type=${enc(type)}`);
  if (r.status !== 200 || !r.body || typeof r.body.tokenId !== 'string') {
    say('mint-message', resultText(r, 'No token'), false);
    return;
  }
  say('mint-message', `Minted a ${type} token for ${app}/${id}`, true);
  showUrls(app, id, type, r.body.tokenId);
}

// -- start ------------------------------------------------------------

async function selectApp(app) {
  state.app = app;
  $('settings-app').textContent = app;
  $('streams-app').textContent = app;
  $('settings-message').textContent = '';
  for (const block of state.streams.values()) block.node.remove();
  state.streams.clear();
  await Promise.all([loadSettings(), refreshStreams()]);
}

function every(ms, func) {
  let running = false;
  setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await func();
    } catch (e) {
      say('console-error', String(e), false);
    } finally {
      running = false;
    }
  }, ms);
}

async function start() {
  const [server, apps] = await Promise.all([
    api('GET', '/rest/v2/server'), api('GET', '/rest/v2/applications')]);
  if (server.status !== 200 || apps.status !== 200) {
    say('console-error', resultText(server.status !== 200 ? server : apps,
      'The server did not answer'), false);
    return;
  }
  state.server = server.body;
  $('server-version').textContent = `version ${server.body.version}`;
  for (const select of [$('app-select'), $('mint-app')]) {
    select.replaceChildren(...apps.body.applications.map(
      (a) => el('option', { value: a, text: a })));
  }
  $('app-select').addEventListener('change', () => selectApp($('app-select').value));
  $('settings-form').addEventListener('submit', saveSettings);
  $('abr-add').addEventListener('click', () => addRung());
  $('mint-form').addEventListener('submit', mint);
  await Promise.all([selectApp(apps.body.applications[0]), refreshDecisions()]);
  every(STREAMS_EVERY_MS, refreshStreams);
  every(DECISIONS_EVERY_MS, refreshDecisions);
  document.body.dataset.ready = 'true';
}

start().catch((e) => say('console-error', String(e), false));

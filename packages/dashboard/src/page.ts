// The dashboard's page: one HTML document with its style and script inline (no build step). Everything shown
// comes from the JSON API and is put in the page as text (textContent), never as markup.

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1d2430;background:#f5f6f8}
header{background:#2b3a4a;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center}
header h1{font-size:18px;margin:0}header .live{font-size:12px;opacity:.8}
main{padding:16px 20px;display:grid;gap:16px}section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px}
h2{font-size:15px;margin:0 0 8px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-weight:600;color:#55606e;font-size:12px;text-transform:uppercase}tr.task{cursor:pointer}tr.task:hover{background:#f0f4fa}
.state{font-weight:600;font-size:12px;padding:1px 6px;border-radius:3px;background:#e6e9ee}
.SUCCESS{background:#d8f0dc;color:#17612a}.FAILURE{background:#f8d9d9;color:#8a1c1c}.STARTED{background:#dde8fb;color:#1d4c9a}
.RETRY{background:#fbeed5;color:#8a5a00}.REVOKED{background:#ececec;color:#555}.RECEIVED{background:#eef;color:#335}
form.filters{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px}input,select,button{font:inherit;padding:4px 8px;border:1px solid #c5ccd5;border-radius:4px;background:#fff}
button{cursor:pointer;background:#2b6cb0;color:#fff;border-color:#2b6cb0}button.danger{background:#b83232;border-color:#b83232}
.mono{font-family:ui-monospace,monospace;font-size:12px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
pre{background:#f5f6f8;padding:8px;overflow:auto;max-height:300px;white-space:pre-wrap}dl{display:grid;grid-template-columns:140px 1fr;gap:4px 12px;margin:0}dt{color:#55606e}
#workers td{white-space:nowrap}.muted{color:#7a8594}[hidden]{display:none!important}.actions{display:flex;gap:8px;margin:8px 0}a{color:#2b6cb0;cursor:pointer}
`;

const SCRIPT = `
const cfg = JSON.parse(document.getElementById('config').textContent);
const $ = (s) => document.querySelector(s);
const tasks = new Map();
const hdrs = { 'x-celeriac-dashboard': '1' };
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v); }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? '' : String(k)));
  return e;
}
const time = (ms) => ms ? new Date(ms).toLocaleTimeString() : '';
const ago = (ms) => ms ? ((Date.now() - ms) / 1000).toFixed(1) + ' s ago' : '';
function filters() {
  const f = new FormData($('#filters')); const q = new URLSearchParams();
  for (const k of ['state', 'name', 'worker', 'search']) if (f.get(k)) q.set(k, f.get(k));
  const mins = Number(f.get('minutes')); if (mins > 0) q.set('since', String(Date.now() - mins * 60000));
  return q;
}
function matches(t, q) {
  if (q.get('state') && t.state !== q.get('state')) return false;
  if (q.get('name') && t.name !== q.get('name')) return false;
  if (q.get('worker') && t.worker !== q.get('worker')) return false;
  if (q.get('since') && t.lastSeen < Number(q.get('since'))) return false;
  const s = q.get('search');
  if (s && t.id !== s && !((t.args || '') + ' ' + (t.kwargs || '')).toLowerCase().includes(s.toLowerCase())) return false;
  return true;
}
function row(t) {
  return el('tr', { class: 'task', 'data-id': t.id, onclick: () => show(t.id) },
    el('td', { class: 'mono' }, t.id), el('td', {}, t.name || '?'), el('td', {}, el('span', { class: 'state ' + t.state }, t.state)),
    el('td', { class: 'mono' }, t.args || ''), el('td', { class: 'mono' }, t.kwargs || ''), el('td', {}, t.worker || ''),
    el('td', {}, time(t.firstSeen)), el('td', {}, t.runtime != null ? t.runtime.toFixed(3) + ' s' : ''));
}
function renderTasks() {
  const body = $('#tasks tbody'); body.replaceChildren();
  const list = [...tasks.values()].sort((a, b) => b.firstSeen - a.firstSeen).slice(0, 200);
  for (const t of list) body.append(row(t));
  $('#count').textContent = list.length + ' task(s)';
}
async function api(path, opts) {
  const r = await fetch(path, opts);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
async function loadTasks() {
  const q = filters(); q.set('limit', '200');
  const { tasks: list } = await api('api/tasks?' + q);
  tasks.clear(); for (const t of list) tasks.set(t.id, t);
  renderTasks();
}
function renderOverview(o) {
  const w = $('#workers tbody'); w.replaceChildren();
  const n = (v) => v == null ? '?' : v;
  for (const x of o.workers) w.append(el('tr', {}, el('td', {}, x.hostname), el('td', {}, x.software || ''), el('td', {}, x.queues.join(', ')), el('td', {}, n(x.active) + ' / ' + n(x.concurrency)), el('td', {}, n(x.processed)), el('td', {}, x.loadavg ? x.loadavg.join(' ') : ''), el('td', {}, ago(x.lastSeen))));
  if (!o.workers.length) w.append(el('tr', {}, el('td', { colspan: '7', class: 'muted' }, 'No live workers.')));
  const q = $('#queues tbody'); q.replaceChildren();
  for (const x of o.queues) q.append(el('tr', {}, el('td', {}, x.name), el('td', {}, x.length)));
  q.append(el('tr', {}, el('td', { class: 'muted' }, 'delayed (countdown / eta)'), el('td', {}, o.delayed)));
  q.append(el('tr', {}, el('td', { class: 'muted' }, 'dead letters'), el('td', {}, o.deadLetters)));
  if (o.deadLetters !== deadSeen) { deadSeen = o.deadLetters; loadDead(); }
}
let deadSeen = null;
async function loadDead() {
  let d; try { d = await api('api/dead-letters?limit=100'); } catch (e) { $('#dead-count').textContent = e.message; return; }
  const body = $('#dead tbody'); body.replaceChildren();
  const per = Object.entries(d.byQueue).map(([q, n]) => q + ': ' + n).join(', ');
  $('#dead-count').textContent = d.total + ' letter(s)' + (per ? ' — ' + per : '') + (d.total > d.deadLetters.length ? ' (oldest ' + d.deadLetters.length + ' shown)' : '');
  for (const x of d.deadLetters) {
    const cell = el('td', {});
    if (!cfg.readOnly && x.id) cell.append(el('button', { class: 'redrive', onclick: () => redrive(x.id) }, 'Redrive'));
    body.append(el('tr', { 'data-id': x.id || '' }, el('td', {}, '#' + x.n), el('td', {}, x.queue), el('td', {}, x.task || '?'), el('td', { class: 'mono' }, x.id || '?'),
      el('td', { class: 'mono' }, x.args ? JSON.stringify(x.args) + (x.kwargs && Object.keys(x.kwargs).length ? ' ' + JSON.stringify(x.kwargs) : '') : ''),
      el('td', {}, x.reason), el('td', {}, new Date(x.at).toLocaleTimeString()), el('td', {}, x.worker), cell));
  }
  if (!d.deadLetters.length) body.append(el('tr', {}, el('td', { colspan: '9', class: 'muted' }, 'No dead letters.')));
  $('#redrive-all').hidden = cfg.readOnly || !d.total;
}
async function redrive(id) {
  const path = id ? 'api/dead-letters/' + encodeURIComponent(id) + '/redrive' : 'api/dead-letters/redrive';
  try { const r = await api(path, { method: 'POST', headers: hdrs }); $('#message').textContent = id ? 'redrive: ' + id : 'redrive: ' + r.redriven + ' letter(s)'; }
  catch (e) { $('#message').textContent = 'redrive failed: ' + e.message; }
  loadDead();
}
async function action(id, what) {
  try { const r = await api('api/tasks/' + encodeURIComponent(id) + '/' + what, { method: 'POST', headers: hdrs }); $('#message').textContent = what + ': ' + (r.task_id || id); }
  catch (e) { $('#message').textContent = what + ' failed: ' + e.message; }
  show(id);
}
async function show(id) {
  let d; try { d = await api('api/tasks/' + encodeURIComponent(id)); } catch (e) { $('#message').textContent = e.message; return; }
  const t = d.task; const box = $('#detail'); box.hidden = false; location.hash = '#task/' + id;
  const link = (x) => x ? el('a', { onclick: () => show(x) }, x) : el('span', { class: 'muted' }, 'none');
  const acts = el('div', { class: 'actions' });
  if (!cfg.readOnly) {
    acts.append(el('button', { id: 'revoke', onclick: () => action(id, 'revoke') }, 'Revoke'), el('button', { id: 'terminate', class: 'danger', onclick: () => action(id, 'terminate') }, 'Terminate'));
    if (t.state === 'FAILURE') acts.append(el('button', { id: 'retry', onclick: () => action(id, 'retry') }, 'Retry'));
  }
  const tl = el('table', {}, el('tr', {}, el('th', {}, 'event'), el('th', {}, 'time'), el('th', {}, 'host')));
  for (const e of t.timeline) tl.append(el('tr', {}, el('td', {}, e.type), el('td', {}, new Date(e.at).toISOString()), el('td', {}, e.hostname)));
  const kids = el('ul', {}); for (const c of d.children) kids.append(el('li', {}, link(c.id), ' ' + (c.name || '') + ' ' + c.state));
  box.replaceChildren(el('h2', {}, 'Task ', el('span', { class: 'mono' }, t.id), ' ', el('span', { class: 'state ' + t.state, id: 'detail-state' }, t.state)), acts,
    el('dl', {}, el('dt', {}, 'name'), el('dd', {}, t.name || '?'), el('dt', {}, 'args'), el('dd', { class: 'mono' }, t.args || ''), el('dt', {}, 'kwargs'), el('dd', { class: 'mono' }, t.kwargs || ''),
      el('dt', {}, 'result'), el('dd', { class: 'mono' }, t.result == null ? '' : t.result), el('dt', {}, 'stored state'), el('dd', {}, d.storedState),
      el('dt', {}, 'worker'), el('dd', {}, t.worker || ''), el('dt', {}, 'queue'), el('dd', {}, t.queue || ''), el('dt', {}, 'retries'), el('dd', {}, t.retries),
      el('dt', {}, 'runtime'), el('dd', {}, t.runtime != null ? t.runtime.toFixed(3) + ' s' : ''), el('dt', {}, 'parent'), el('dd', {}, link(t.parentId)), el('dt', {}, 'root'), el('dd', {}, link(t.rootId)),
      el('dt', {}, 'exception'), el('dd', { class: 'mono' }, t.exception || '')),
    t.traceback ? el('pre', {}, t.traceback) : '', el('h2', {}, 'Timeline'), tl, el('h2', {}, 'Children'), d.children.length ? kids : el('p', { class: 'muted' }, 'none'));
}
$('#redrive-all').addEventListener('click', () => redrive(null));
$('#filters').addEventListener('submit', (e) => { e.preventDefault(); loadTasks(); });
api('api/overview').then(renderOverview);
loadTasks().then(() => { const m = /^#task\\/(.+)$/.exec(location.hash); if (m) show(decodeURIComponent(m[1])); });
const es = new EventSource('api/stream');
es.addEventListener('open', () => { $('#live').textContent = 'live'; });
es.addEventListener('error', () => { $('#live').textContent = 'reconnecting…'; });
es.addEventListener('overview', (m) => renderOverview(JSON.parse(m.data)));
es.addEventListener('tasks', (m) => {
  const q = filters(); const open = /^#task\\/(.+)$/.exec(location.hash); let reopen = false;
  for (const t of JSON.parse(m.data)) {
    const old = tasks.get(t.id);
    const merged = old ? { ...old, ...Object.fromEntries(Object.entries(t).filter(([, v]) => v != null)), timeline: t.timeline, firstSeen: Math.min(old.firstSeen, t.firstSeen) } : t;
    if (matches(merged, q)) tasks.set(t.id, merged); else tasks.delete(t.id);
    if (open && decodeURIComponent(open[1]) === t.id && !$('#detail').hidden) reopen = true;
  }
  renderTasks();
  if (reopen) show(decodeURIComponent(open[1]));
});
`;

/** The page, with `<base>` at the dashboard's path so its relative URLs work under any prefix. */
export function page(basePath: string, readOnly: boolean): string {
  const config = JSON.stringify({ readOnly }).replace(/</g, '\\u003c');
  const base = basePath.replace(/[^A-Za-z0-9/_.~-]/g, encodeURIComponent);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>celeriac dashboard</title><base href="${base}/">
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><header><h1>celeriac</h1><span class="live" id="live">connecting…</span>${readOnly ? '<span class="live">read-only</span>' : ''}<span class="live" id="message"></span></header>
<main>
<div class="grid">
<section><h2>Workers</h2><table id="workers"><thead><tr><th>worker</th><th>runs</th><th>queues</th><th>active</th><th>processed</th><th>load</th><th>heartbeat</th></tr></thead><tbody></tbody></table></section>
<section><h2>Queues</h2><table id="queues"><thead><tr><th>queue</th><th>waiting</th></tr></thead><tbody></tbody></table></section>
</div>
<section><h2>Tasks <span class="muted" id="count"></span></h2>
<form class="filters" id="filters">
<input name="search" id="search" placeholder="task id or argument value" size="30">
<select name="state" id="state"><option value="">any state</option>${['RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'PENDING'].map((s) => `<option>${s}</option>`).join('')}</select>
<input name="name" placeholder="task name"><input name="worker" placeholder="worker"><input name="minutes" type="number" min="0" placeholder="last N minutes">
<button type="submit" id="apply">Filter</button></form>
<table id="tasks"><thead><tr><th>id</th><th>name</th><th>state</th><th>args</th><th>kwargs</th><th>worker</th><th>received</th><th>runtime</th></tr></thead><tbody></tbody></table>
</section>
<section id="detail" hidden></section>
<section><h2>Dead letters <span class="muted" id="dead-count"></span></h2>
<div class="actions"><button type="button" id="redrive-all" hidden>Redrive all</button></div>
<table id="dead"><thead><tr><th>#</th><th>queue</th><th>task</th><th>id</th><th>arguments</th><th>reason</th><th>when</th><th>worker</th><th></th></tr></thead><tbody></tbody></table>
</section>
</main>
<script type="application/json" id="config">${config}</script>
<script>${SCRIPT}</script>
</body></html>`;
}

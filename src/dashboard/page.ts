/**
 * The dashboard page: counters (drop reasons in red), the connection table
 * (the page's own connection marked), and one uPlot chart per connection of
 * cwnd, bytes in flight and smoothed RTT, fed by the /_tunstack/events
 * Server-Sent Events stream. No build step and no CDN: plain JS, uPlot from
 * /_tunstack/uplot.js. `window.tunstackDashboard` exposes the charts' data
 * for tests and for the curious (open the console).
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tunstack dashboard</title>
<link rel="stylesheet" href="/_tunstack/uplot.css">
<style>
body{font:14px system-ui,sans-serif;margin:1em 2em;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:1.4em}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}
.drop{color:#b00020;font-weight:600}.me{background:#eef6ff}.groups{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
.chart{display:inline-block;margin:0 1em 1em 0}.chart h3{font-size:13px;margin:.2em 0}#status{color:#777}
</style></head>
<body>
<h1>tunstack <span id="status">connecting…</span></h1>
<h2>Connections</h2>
<table id="conns"><thead><tr><th>State</th><th>Local</th><th>Peer</th><th>cc</th><th>cwnd</th><th>in flight</th><th>srtt ms</th><th>rto ms</th><th>retrans</th><th>bytes acked</th><th>bytes received</th><th>delivery rate</th></tr></thead><tbody></tbody></table>
<h2>Charts: cwnd and bytes in flight (KB, left), smoothed RTT (ms, right)</h2>
<div id="charts"></div>
<h2>Counters (drop reasons in red)</h2>
<div id="counters" class="groups"></div>
<script src="/_tunstack/uplot.js"></script>
<script>
'use strict';
const MAX_POINTS = 600;
const series = new Map(); // id -> [t[], cwndKB[], inflightKB[], srtt[]]
const charts = new Map(); // id -> uPlot
window.tunstackDashboard = { series, charts, updates: 0, last: null };

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function rate(bps) {
  return bps >= 1e6 ? (bps / 1e6).toFixed(1) + ' Mbit/s' : bps >= 1e3 ? (bps / 1e3).toFixed(1) + ' kbit/s' : bps + ' bit/s';
}

function renderConnections(s) {
  const body = document.querySelector('#conns tbody');
  body.replaceChildren();
  for (const c of s.connections) {
    const tr = el('tr', { 'data-id': c.id, 'data-peer': c.peer, 'data-state': c.state });
    if (c.peer === s.you) tr.className = 'me';
    const cells = [c.state + (c.peer === s.you ? ' (this page)' : ''), c.local, c.peer, c.cc, c.cwnd, c.inFlightBytes, c.srttMs, c.rtoMs,
      c.totalRetrans, c.bytesAcked, c.bytesReceived, rate(c.deliveryRateBps)];
    for (const v of cells) tr.appendChild(el('td', {}, String(v)));
    body.appendChild(tr);
  }
}

function renderCounters(s) {
  const box = document.getElementById('counters');
  box.replaceChildren();
  const drops = new Set(s.drops);
  for (const [group, counters] of Object.entries(s.counters)) {
    const t = el('table', { 'data-group': group });
    t.appendChild(el('caption', {}, group));
    for (const [name, v] of Object.entries(counters)) {
      const tr = el('tr', drops.has(group + '.' + name) ? { class: 'drop', 'data-drop': '1' } : {});
      tr.appendChild(el('td', {}, name));
      tr.appendChild(el('td', {}, String(v)));
      t.appendChild(tr);
    }
    box.appendChild(t);
  }
}

function chartFor(id) {
  let u = charts.get(id);
  if (u) return u;
  const data = [[], [], [], []];
  series.set(id, data);
  const box = el('div', { class: 'chart', 'data-id': id });
  box.appendChild(el('h3', {}, id));
  document.getElementById('charts').appendChild(box);
  u = new uPlot({
    width: 520, height: 220,
    scales: { x: { time: false }, rtt: {} },
    axes: [{ label: 's' }, { label: 'KB' }, { scale: 'rtt', side: 1, label: 'ms', grid: { show: false } }],
    series: [{ label: 't' }, { label: 'cwnd KB', stroke: '#1f77b4' }, { label: 'in flight KB', stroke: '#ff7f0e' }, { label: 'srtt ms', stroke: '#2ca02c', scale: 'rtt' }],
  }, data, box);
  charts.set(id, u);
  return u;
}

function update(s) {
  window.tunstackDashboard.updates++;
  window.tunstackDashboard.last = s;
  document.getElementById('status').textContent = 'live, t=' + s.t.toFixed(1) + ' s';
  renderConnections(s);
  renderCounters(s);
  for (const c of s.connections) {
    if (c.state === 'TIME_WAIT' || c.state === 'SYN_RECEIVED') continue;
    const u = chartFor(c.id);
    const d = series.get(c.id);
    d[0].push(s.t); d[1].push(c.cwndBytes / 1024); d[2].push(c.inFlightBytes / 1024); d[3].push(c.srttMs);
    if (d[0].length > MAX_POINTS) for (const a of d) a.shift();
    u.setData(d);
  }
}

const es = new EventSource('/_tunstack/events');
es.onmessage = (e) => update(JSON.parse(e.data));
es.onerror = () => { document.getElementById('status').textContent = 'disconnected (retrying)'; };
</script>
</body></html>
`;

// The revos dashboard: one page of pages.js at a time, drawn from the JSON
// API (/api/v1/reports, /api/v1/warnings) with the signed-in user's session.
//
// The address holds the state: #PAGE?from=...&to=...&DIM=VALUE, so a view
// can be bookmarked and the back button works.  Every number shown carries
// where it came from: data-metric, data-query (the API path), data-key (the
// row's dimension values as JSON, or "total") and data-value (the API's
// number as it was sent), so a reader or a test can check it against the API.
import './style.css';
import { get, clearCache, signOut, reportPath, ApiError } from './api.js';
import { format } from './format.js';
import { drawChart, destroyCharts } from './charts.js';
import { pages, filterDims } from './pages.js';

const $ = (sel, root = document) => root.querySelector(sel);
const TIME_DIMS = new Set(['month', 'quarter', 'year']);
const TABLE_MAX = 200; // rows of a drill-down shown at once

let catalog = null; // name -> report description
let renderSeq = 0; // a newer render makes older answers stale

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}

// --- state in the address ---------------------------------------------------

function readHash() {
  const h = location.hash.replace(/^#/, '');
  const [id, qs] = h.split('?');
  const page = pages.find((p) => p.id === id) || pages[0];
  const params = Object.fromEntries(new URLSearchParams(qs || ''));
  return { page, params };
}

function writeHash(page, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  location.hash = `#${page.id}${s ? '?' + s : ''}`;
}

// The filters a metric accepts: from/to always, a dimension only when the
// metric can be cut by it.
function filtersFor(metric, params) {
  const d = catalog[metric];
  const out = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === 'from' || k === 'to') out[k] = v;
    else if (d && d.dimensions && d.dimensions.includes(k)) out[k] = v;
  }
  return out;
}

// --- numbers ------------------------------------------------------------------

function numberEl(metric, query, key, value, unit, currency, short) {
  return el(
    'span',
    {
      class: 'num',
      'data-metric': metric,
      'data-query': query,
      'data-key': key,
      'data-value': value === null || value === undefined ? '' : String(value),
    },
    format(value, unit, currency, short),
  );
}

function totalOf(res, metric) {
  if (res.total !== undefined) return res.total;
  return res.data && res.data[0] ? res.data[0][metric] : null;
}

// --- the filter bar -------------------------------------------------------------

async function drawFilters(page, params) {
  const bar = $('#filters');
  bar.replaceChildren();
  const form = el('form', { class: 'filters', id: 'filter-form' });
  form.append(
    el('label', {}, 'From ', el('input', { type: 'date', name: 'from', value: params.from || '' })),
    el('label', {}, 'To ', el('input', { type: 'date', name: 'to', value: params.to || '' })),
  );
  const known = filterDims.filter((d) => Object.values(catalog).some((r) => (r.dimensions || []).includes(d)));
  const selects = await Promise.all(
    known.map(async (dim) => {
      const source = catalog.pipeline_value && catalog.pipeline_value.dimensions.includes(dim)
        ? 'pipeline_value'
        : Object.keys(catalog).find((m) => (catalog[m].dimensions || []).includes(dim));
      let values = [];
      try {
        const res = await get(reportPath(source, { by: dim }));
        values = [...new Set(res.data.map((r) => r[dim]).filter((v) => v !== null && v !== undefined && v !== ''))];
        values.sort((a, b) => String(a).localeCompare(String(b)));
      } catch (e) {
        values = [];
      }
      if (params[dim] && !values.includes(params[dim])) values.unshift(params[dim]);
      const sel = el('select', { name: dim, 'data-filter': dim }, el('option', { value: '' }, `All`));
      for (const v of values) sel.append(el('option', { value: v }, v));
      sel.value = params[dim] || '';
      return el('label', {}, dim.replace('_', ' ') + ' ', sel);
    }),
  );
  form.append(...selects);
  form.append(el('button', { type: 'button', class: 'clear', onclick: () => writeHash(page, {}) }, 'Clear'));
  form.addEventListener('change', () => {
    const next = {};
    for (const [k, v] of new FormData(form)) if (v) next[k] = v;
    writeHash(page, next);
  });
  bar.append(el('h1', {}, page.title), form);
}

// --- KPIs and panels ------------------------------------------------------------

async function drawKpi(metric, params) {
  const d = catalog[metric];
  const card = el('div', { class: 'kpi', 'data-kpi': metric });
  if (!d) {
    card.append(el('div', { class: 'kpi-label' }, metric), el('div', { class: 'kpi-missing', 'data-missing': metric }, 'not available'));
    return card;
  }
  const query = reportPath(metric, filtersFor(metric, params));
  card.title = d.description || '';
  card.append(el('div', { class: 'kpi-label' }, d.label || metric));
  try {
    const res = await get(query);
    card.append(el('div', { class: 'kpi-value' }, numberEl(metric, query, 'total', totalOf(res, metric), res.unit || d.unit, res.currency, true)));
    const note = leftOutNote(res, d, query);
    if (note) card.append(note);
  } catch (e) {
    card.append(el('div', { class: 'kpi-missing', 'data-error': metric }, e.message));
  }
  return card;
}

function sortRows(rows, metric, panel) {
  if (panel.chart !== 'hbar') return rows;
  return [...rows].sort((a, b) => (b[metric] ?? -Infinity) - (a[metric] ?? -Infinity));
}

async function drawPanel(panel, params, seq) {
  const { metric, by } = panel;
  const d = catalog[metric];
  const box = el('section', { class: 'panel', 'data-panel': `${metric}:${by}` }, el('h3', {}, panel.title));
  if (!d || !(d.dimensions || []).includes(by)) {
    box.append(el('p', { class: 'missing', 'data-missing': `${metric}:${by}` }, `${metric} by ${by} is not available from this server`));
    return box;
  }
  const query = reportPath(metric, { by, ...filtersFor(metric, params) });
  let res;
  try {
    res = await get(query);
  } catch (e) {
    box.append(el('p', { class: 'missing', 'data-error': `${metric}:${by}` }, e.message));
    return box;
  }
  const unit = res.unit || d.unit;
  const rows = sortRows(res.data || [], metric, panel);
  const canvas = el('canvas', { 'data-chart': metric, 'data-query': query, role: 'img', 'aria-label': panel.title });
  const wrap = el('div', { class: `chart chart-${panel.chart}` }, canvas);
  const table = el('table', { class: 'values' });
  table.append(el('thead', {}, el('tr', {}, el('th', {}, by.replace('_', ' ')), el('th', { class: 'n' }, d.label || metric))));
  const tbody = el('tbody');
  for (const row of rows) {
    const key = JSON.stringify({ [by]: row[by] });
    tbody.append(
      el(
        'tr',
        { 'data-drill': key, tabindex: '0', title: 'Show the records behind this number', onclick: () => drill(metric, { [by]: row[by] }, params, d) },
        el('td', {}, row[by] === null || row[by] === undefined ? '(none)' : String(row[by])),
        el('td', { class: 'n' }, numberEl(metric, query, key, row[metric], unit, res.currency, false)),
      ),
    );
  }
  table.append(tbody);
  box.append(wrap, el('div', { class: 'table-wrap' }, table));
  if (seq === renderSeq) {
    // drawn after the box is in the page (Chart.js measures its parent)
    box.drawChart = () =>
      drawChart(canvas, panel.chart, rows, by, metric, unit, res.currency, (i) => drill(metric, { [by]: rows[i][by] }, params, d));
  }
  if (total(res) !== undefined)
    box.append(el('p', { class: 'total' }, 'Total ', numberEl(metric, query, 'total', total(res), unit, res.currency, false)));
  const note = leftOutNote(res, d, query);
  if (note) box.append(note);
  return box;
}

function total(res) {
  return res.total === null ? undefined : res.total;
}

// Money in a currency with no exchange rate is left out of a report; the
// API says how much (left_out), and so does the page, next to the number.
function leftOutNote(res, d, query) {
  const lo = res.left_out;
  if (!lo || !lo.records) return null;
  const what = lo.records === 1 ? String(d.entity || 'record').replace(/s$/, '') : d.entity || 'records';
  const cur = (lo.currencies || []).map((c) => `${c.currency} (${c.records})`).join(', ');
  return el(
    'p',
    { class: 'left-out', 'data-left-out': String(lo.records), 'data-query': query, title: 'Add exchange rates (fx_rates) to include them' },
    `${lo.records} ${what} left out: no exchange rate into ${res.currency} for ${cur}`,
  );
}

// --- drill-down -------------------------------------------------------------------

const COLUMNS = {
  deals: ['id', 'name', 'amount', 'stage_id', 'owner_id', 'close_date', 'forecast_category'],
  leads: ['id', 'first_name', 'last_name', 'company', 'status', 'source', 'owner_id', 'created_on'],
  subscriptions: ['id', 'account_id', 'product_id', 'mrr', 'start_date', 'end_date'],
  activities: ['id', 'type', 'subject', 'owner_id', 'due_at', 'done_at'],
  accounts: ['id', 'name', 'industry', 'region', 'owner_id'],
};
const SKIP = new Set(['custom', 'created_at', 'updated_at', 'external_id', 'description']);

function columnsOf(entity, recs) {
  const have = recs.length ? Object.keys(recs[0]) : [];
  const pref = (COLUMNS[entity] || []).filter((c) => have.includes(c));
  return pref.length >= 3 ? pref : have.filter((c) => !SKIP.has(c)).slice(0, 8);
}

// Reference columns shown by name: small tables, read once per page view.
const NAMED = { stage_id: 'stages', owner_id: 'users', campaign_id: 'campaigns', product_id: 'products', pipeline_id: 'pipelines' };

async function names(cols) {
  const out = {};
  await Promise.all(
    cols.filter((c) => NAMED[c]).map(async (c) => {
      try {
        const res = await get(`/api/v1/${NAMED[c]}?limit=1000`);
        out[c] = new Map(res.data.map((r) => [r.id, r.name || r.email || String(r.id)]));
      } catch (e) {
        out[c] = new Map(); // not the user's to read: ids it is
      }
    }),
  );
  return out;
}

function cell(entity, c, v, named) {
  if (v === null || v === undefined) return '';
  if (c === 'id' && entity) return el('a', { href: `/api/v1/${entity}/${v}`, target: '_blank' }, String(v));
  if (named[c] && named[c].has(v)) return named[c].get(v);
  return String(v);
}

async function recordsTable(entity, recs) {
  const cols = columnsOf(entity, recs);
  const named = await names(cols);
  const t = el('table', { class: 'records', 'data-entity': entity });
  t.append(el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', {}, c.replace(/_id$/, '').replace('_', ' '))))));
  const tb = el('tbody');
  for (const r of recs.slice(0, TABLE_MAX)) {
    tb.append(
      el(
        'tr',
        { 'data-record': r.id },
        ...cols.map((c) => el('td', { class: typeof r[c] === 'number' && c !== 'id' ? 'n' : null }, cell(entity, c, r[c], named))),
      ),
    );
  }
  t.append(tb);
  return t;
}

function openDrill(title) {
  $('#drill-title').textContent = title;
  const body = $('#drill-body');
  body.replaceChildren(el('p', { class: 'loading' }, 'Loading…'));
  $('#drill').hidden = false;
  return body;
}

async function drill(metric, key, params, d) {
  const filters = { ...filtersFor(metric, params), ...key };
  const label = Object.values(key).join(', ');
  const body = openDrill(`${d.label || metric}: ${label}`);
  const query = reportPath(metric, filters, '/records');
  try {
    const res = await get(query);
    const recs = res.data || [];
    body.replaceChildren(
      el('p', { class: 'drill-count' }, el('span', { 'data-records': query, 'data-count': String(recs.length) }, String(recs.length)), ` ${res.entity || 'records'}`, recs.length > TABLE_MAX ? ` (first ${TABLE_MAX} shown)` : ''),
      await recordsTable(res.entity, recs),
    );
  } catch (e) {
    body.replaceChildren(el('p', { class: 'missing', 'data-error': query }, e.message));
  }
}

// --- warnings ---------------------------------------------------------------------

async function drawWarnings(section, params, seq) {
  const query = '/api/v1/warnings';
  let res;
  try {
    res = await get(query);
  } catch (e) {
    section.append(el('p', { class: 'missing', 'data-error': 'warnings' }, e.message));
    return [];
  }
  const all = res.data || [];
  const list = all.filter((w) => (!params.severity || w.severity === params.severity) && (!params.kind || w.kind === params.kind) && (!params.owner || w.owner === params.owner));
  const bySeverity = {};
  const byKind = {};
  for (const w of all) {
    bySeverity[w.severity] = (bySeverity[w.severity] || 0) + 1;
    byKind[w.kind] = (byKind[w.kind] || 0) + 1;
  }
  const kpis = el('div', { class: 'kpis' });
  kpis.append(el('div', { class: 'kpi' }, el('div', { class: 'kpi-label' }, 'All warnings'), el('div', { class: 'kpi-value' }, numberEl('warnings', query, 'count', all.length, 'count', null, false))));
  for (const s of ['high', 'medium', 'low']) {
    if (bySeverity[s] === undefined) continue;
    kpis.append(
      el(
        'div',
        { class: `kpi sev-${s}` },
        el('div', { class: 'kpi-label' }, `${s} severity`),
        el('div', { class: 'kpi-value' }, numberEl('warnings', query, JSON.stringify({ severity: s }), bySeverity[s], 'count', null, false)),
      ),
    );
  }
  const kinds = Object.entries(byKind).sort((a, b) => b[1] - a[1]).map(([kind, n]) => ({ kind, warnings: n }));
  const canvas = el('canvas', { 'data-chart': 'warnings', 'data-query': query, role: 'img', 'aria-label': 'Warnings by kind' });
  const chartBox = el('section', { class: 'panel' }, el('h3', {}, 'Warnings by kind'), el('div', { class: 'chart chart-hbar' }, canvas));
  const kindTable = el('table', { class: 'values' }, el('thead', {}, el('tr', {}, el('th', {}, 'kind'), el('th', { class: 'n' }, 'warnings'))));
  const ktb = el('tbody');
  for (const k of kinds) {
    ktb.append(el('tr', { onclick: () => writeHash(pages.find((p) => p.id === 'warnings'), { ...params, kind: k.kind }) }, el('td', {}, k.kind), el('td', { class: 'n' }, numberEl('warnings', query, JSON.stringify({ kind: k.kind }), k.warnings, 'count', null, false))));
  }
  kindTable.append(ktb);
  chartBox.append(el('div', { class: 'table-wrap' }, kindTable));
  const listBox = el('section', { class: 'panel wide' }, el('h3', {}, `Warnings${params.kind ? ': ' + params.kind : ''}${params.severity ? ' (' + params.severity + ')' : ''}`));
  const t = el('table', { class: 'records warnings' }, el('thead', {}, el('tr', {}, ...['severity', 'kind', 'owner', 'record', 'message'].map((h) => el('th', {}, h)))));
  const tb = el('tbody');
  for (const w of list.slice(0, TABLE_MAX)) {
    tb.append(
      el(
        'tr',
        { class: `sev-${w.severity}`, 'data-warning': `${w.entity}/${w.record_id}`, tabindex: '0', onclick: () => drillRecord(w) },
        el('td', {}, w.severity),
        el('td', {}, w.kind),
        el('td', {}, w.owner || ''),
        el('td', {}, `${w.entity} ${w.record_id}`),
        el('td', {}, w.message),
      ),
    );
  }
  t.append(tb);
  listBox.append(el('p', { class: 'drill-count' }, `${list.length} shown${list.length > TABLE_MAX ? ` (first ${TABLE_MAX})` : ''}`), el('div', { class: 'table-wrap tall' }, t));
  section.append(kpis, el('div', { class: 'grid' }, chartBox, listBox));
  if (seq === renderSeq) drawChart(canvas, 'hbar', kinds, 'kind', 'warnings', 'count', null, (i) => writeHash(pages.find((p) => p.id === 'warnings'), { ...params, kind: kinds[i].kind }));
  return [];
}

async function drillRecord(w) {
  const body = openDrill(`${w.kind}: ${w.entity} ${w.record_id}`);
  const query = `/api/v1/${encodeURIComponent(w.entity)}/${encodeURIComponent(w.record_id)}`;
  try {
    const r = await get(query);
    const dl = el('dl', { class: 'record', 'data-record': r.id });
    for (const [k, v] of Object.entries(r)) if (v !== null && typeof v !== 'object') dl.append(el('dt', {}, k), el('dd', {}, String(v)));
    body.replaceChildren(el('p', {}, w.message), dl);
  } catch (e) {
    body.replaceChildren(el('p', { class: 'missing' }, e.message));
  }
}

// --- one page -------------------------------------------------------------------

async function render() {
  const seq = ++renderSeq;
  const t0 = performance.now();
  document.body.removeAttribute('data-ready');
  clearCache();
  destroyCharts();
  $('#drill').hidden = true;
  const { page, params } = readHash();
  for (const a of document.querySelectorAll('#pages a')) a.classList.toggle('active', a.dataset.page === page.id);
  document.title = `${page.title} – revos`;
  const section = $('#page');
  section.replaceChildren(el('p', { class: 'loading' }, 'Loading…'));
  try {
    if (!catalog) {
      const res = await get('/api/v1/reports');
      catalog = Object.fromEntries((res.data || []).map((r) => [r.name, r]));
    }
    const [, content] = await Promise.all([drawFilters(page, params), renderPage(page, params, seq)]);
    if (seq !== renderSeq) return;
    section.replaceChildren(...content);
    for (const box of section.querySelectorAll('.panel')) if (box.drawChart) box.drawChart();
  } catch (e) {
    if (seq !== renderSeq) return;
    section.replaceChildren(el('p', { class: 'missing', 'data-error': 'page' }, e instanceof ApiError ? e.message : String(e)));
  }
  document.body.dataset.loadMs = String(Math.round(performance.now() - t0));
  document.body.dataset.ready = page.id;
}

async function renderPage(page, params, seq) {
  if (page.warnings) {
    const holder = el('div');
    await drawWarnings(holder, params, seq);
    return [...holder.childNodes];
  }
  const [kpis, panels] = await Promise.all([
    Promise.all(page.kpis.map((m) => drawKpi(m, params))),
    Promise.all(page.panels.map((p) => drawPanel(p, params, seq))),
  ]);
  return [el('div', { class: 'kpis' }, ...kpis), el('div', { class: 'grid' }, ...panels)];
}

// --- start ------------------------------------------------------------------------

function start() {
  const nav = $('#pages');
  for (const p of pages) nav.append(el('li', {}, el('a', { href: `#${p.id}`, 'data-page': p.id }, p.title)));
  $('#logout').addEventListener('submit', (e) => {
    e.preventDefault();
    signOut();
  });
  $('#drill-close').addEventListener('click', () => ($('#drill').hidden = true));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') $('#drill').hidden = true;
    if (e.key === 'Enter' && e.target.matches('tr[tabindex]')) e.target.click();
  });
  window.addEventListener('hashchange', render);
  render();
}

start();

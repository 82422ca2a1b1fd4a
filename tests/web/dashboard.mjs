// tests/web/dashboard.mjs - the dashboard in a real browser.
//
// Makes a demo database (revos init, gen --accounts 200 --deals 2000
// --leads 2000 --seed 42, an admin and a read token), serves it with the
// built dashboard (revos serve --web web/dist), and drives Debian's Chromium
// through playwright-core: signs in through the sign-in page, opens every
// page, and checks that
//   - nothing on the page reports an error or a missing report,
//   - every chart has drawn points (and pixels),
//   - every number on the page (data-metric, data-query, data-key,
//     data-value) equals the API's answer to the same query, fetched here
//     with a Bearer token as any script would,
//   - filters change the queries and the numbers still match,
//   - drill-down shows the records the API gives for the number,
// and saves a screenshot of each page (paths printed).
//
// When the server does not answer /api/v1/reports (an older revos), the
// browser's requests for it are answered from tests/web/fixture.mjs and the
// comparison is made against the same fixture; this is printed loudly.
//
// Output: cmocka's lines ("[ RUN      ]", "[       OK ]", "[  FAILED  ]",
// "[  PASSED  ] N test(s).") so that tests/run.sh counts the cases.
//
// Environment: REVOS_BIN (the revos binary), REVOS_TEST_TMP (work folder),
// CHROMIUM (default /usr/bin/chromium), REVOS_WEB_DIR (default web/dist).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import * as fixture from './fixture.mjs';
import { pages } from '../../web/src/pages.js';

const bin = process.env.REVOS_BIN || resolve('build/asan/revos');
const webDir = process.env.REVOS_WEB_DIR || resolve('web/dist');
const chromePath = process.env.CHROMIUM || '/usr/bin/chromium';
const root = process.env.REVOS_TEST_TMP || mkdtempSync(join(tmpdir(), 'revos-web-'));
const work = mkdtempSync(join(root, 'web-'));
const shots = join(work, 'screenshots');
mkdirSync(shots, { recursive: true });
const EMAIL = 'web-check@revos.local';
const PASSWORD = 'dashboard check 42';

let passed = 0;
const failed = [];
const notes = [];

async function test(name, fn) {
  console.log(`[ RUN      ] ${name}`);
  try {
    await fn();
    passed++;
    console.log(`[       OK ] ${name}`);
  } catch (e) {
    failed.push(name);
    console.log(`[  ERROR   ] --- ${String(e && e.stack ? e.stack : e).split('\n').slice(0, 6).join('\n    ')}`);
    console.log(`[  FAILED  ] ${name}`);
  }
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

function revos(db, args, input) {
  return execFileSync(bin, ['--db', db, ...args], { input, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8' });
}

// --- the server -----------------------------------------------------------------

function startServer(db) {
  return new Promise((res, rej) => {
    const p = spawn(bin, ['--db', db, 'serve', '--port', '0', '--threads', '4', '--web', webDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => rej(new Error(`revos serve said nothing in 30 s: ${err}`)), 30000);
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/at http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        res({ proc: p, port: Number(m[1]), log: () => err });
      }
    });
    p.on('exit', (code) => rej(new Error(`revos serve exited ${code}: ${err}`)));
  });
}

// --- the API as a script sees it -------------------------------------------------

let base, token, useFixture = false;
const apiCache = new Map();

async function api(path) {
  if (apiCache.has(path)) return apiCache.get(path);
  let body;
  if (useFixture && fixtureAnswers(path)) body = fixtureAnswers(path)[1];
  else {
    const r = await fetch(base + path, { headers: { Authorization: `Bearer ${token}` } });
    body = await r.json();
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(body)}`);
  }
  apiCache.set(path, body);
  return body;
}

// [status, body] from the fixture for a reports or warnings path, else null.
function fixtureAnswers(path) {
  const u = new URL(path, 'http://x');
  if (u.pathname === '/api/v1/reports') return [200, fixture.catalog()];
  if (u.pathname === '/api/v1/warnings') return [200, fixture.warnings()];
  const m = u.pathname.match(/^\/api\/v1\/reports\/([^/]+)$/);
  if (m) return fixture.report(decodeURIComponent(m[1]), u.searchParams);
  return null;
}

async function fixtureRecords(path) {
  const u = new URL(path, 'http://x');
  const m = u.pathname.match(/^\/api\/v1\/reports\/([^/]+)\/records$/);
  const entity = fixture.catalog().data.find((r) => r.name === decodeURIComponent(m[1]))?.entity || 'deals';
  const limit = 5 + Math.floor(u.search.length % 20);
  const r = await fetch(`${base}/api/v1/${entity}?limit=${limit}`, { headers: { Authorization: `Bearer ${token}` } });
  return { entity, data: (await r.json()).data };
}

function apiValue(res, metric, key) {
  if (metric === 'warnings') {
    const all = res.data;
    if (key === 'count') return all.length;
    const k = JSON.parse(key);
    return all.filter((w) => Object.entries(k).every(([f, v]) => w[f] === v)).length;
  }
  if (key === 'total') return res.total !== undefined ? res.total : res.data[0]?.[metric];
  const k = JSON.parse(key);
  const row = res.data.find((r) => Object.entries(k).every(([f, v]) => r[f] === v));
  if (!row) throw new Error(`no row ${key} in the API's answer`);
  return row[metric];
}

// Every number on the page against the API; returns how many were compared.
async function checkNumbers(page) {
  const nums = await page.$$eval('[data-metric]', (els) =>
    els.map((e) => ({ metric: e.dataset.metric, query: e.dataset.query, key: e.dataset.key, value: e.dataset.value, text: e.textContent })),
  );
  const wrong = [];
  for (const n of nums) {
    const res = await api(n.query);
    const want = apiValue(res, n.metric, n.key);
    const wantText = want === null || want === undefined ? '' : String(want);
    if (n.value !== wantText) wrong.push(`${n.query} ${n.key}: page ${n.value} (${n.text}), API ${wantText}`);
    if (!n.text.trim()) wrong.push(`${n.query} ${n.key}: shown as nothing`);
  }
  check(wrong.length === 0, `${wrong.length} of ${nums.length} numbers differ from the API:\n${wrong.slice(0, 8).join('\n')}`);
  return nums.length;
}

async function checkCharts(page) {
  const charts = await page.$$eval('canvas[data-chart]', (cs) =>
    cs.map((c) => {
      const ctx = c.getContext('2d');
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
      return { metric: c.dataset.chart, points: Number(c.dataset.points || 0), ink, w: c.width, h: c.height };
    }),
  );
  check(charts.length > 0, 'no chart on the page');
  const bad = charts.filter((c) => c.points === 0 || c.ink < 200 || c.w < 100 || c.h < 100);
  check(bad.length === 0, `charts not drawn: ${JSON.stringify(bad)}`);
  return charts.length;
}

async function checkNoErrors(page) {
  const errs = await page.$$eval('[data-error], [data-missing]', (els) => els.map((e) => `${e.dataset.error || e.dataset.missing}: ${e.textContent}`));
  check(errs.length === 0, `the page reports:\n${errs.join('\n')}`);
}

async function openPage(page, hash) {
  const t0 = Date.now();
  await page.goto(`${base}/${hash}`);
  const id = hash.replace(/^#/, '').split('?')[0];
  await page.waitForSelector(`body[data-ready="${id}"]`, { timeout: 30000 });
  return { wall: Date.now() - t0, app: Number(await page.getAttribute('body', 'data-load-ms')) };
}

// --- the run ---------------------------------------------------------------------

async function main() {
  const db = join(work, 'demo.db');
  let server, browser;
  const timings = [];
  await test('demo database and server', async () => {
    check(existsSync(join(webDir, 'index.html')), `no built dashboard at ${webDir} (scripts/build-web)`);
    revos(db, ['init']);
    // history up to today: this quarter's coverage and attainment have data
    const day = (d) => d.toISOString().slice(0, 10);
    const end = new Date(Date.now() + 86400000);
    const start = new Date(end.getTime() - 3 * 365 * 86400000);
    revos(db, ['gen', '--accounts', '200', '--deals', '2000', '--leads', '2000', '--seed', '42',
               '--start', day(start), '--end', day(end)]);
    // an open deal in yen, with no JPY exchange rate: left out of the pipeline, and said so
    // (owned like deal 1, so that it adds no region or owner of its own)
    const like = JSON.parse(revos(db, ['deals', 'get', '1', '--json']));
    revos(db, ['deals', 'create', '--name', 'Tokyo expansion', '--stage_id', '1', '--currency', 'JPY', '--amount', '5000000',
               '--owner_id', String(like.owner_id), '--account_id', String(like.account_id)]);
    revos(db, ['users', 'create', '--email', EMAIL, '--name', 'Web Check', '--role', 'admin', '--password-stdin'], PASSWORD + '\n');
    token = revos(db, ['tokens', 'create', '--user', EMAIL, '--name', 'web-check', '--scope', 'read']).trim();
    server = await startServer(db);
    base = `http://127.0.0.1:${server.port}`;
    const r = await fetch(`${base}/api/v1/reports`, { headers: { Authorization: `Bearer ${token}` } });
    if (r.status === 404) {
      useFixture = true;
      const msg = '!!! the server does not answer /api/v1/reports: pages are checked against tests/web/fixture.mjs !!!';
      console.log(msg);
      notes.push(msg);
    } else check(r.ok, `GET /api/v1/reports: ${r.status}`);
  });
  if (!server) return;

  await test('chromium starts', async () => {
    browser = await chromium.launch({
      executablePath: chromePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  if (!browser) {
    server.proc.kill('SIGTERM');
    return;
  }
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/401|Failed to load resource/.test(m.text()) && consoleErrors.push(m.text()));
  const assetHeaders = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/assets/')) assetHeaders.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'], cache: r.headers()['cache-control'] });
  });
  if (useFixture) {
    await context.route(/\/api\/v1\/(reports|warnings)/, async (route) => {
      const path = new URL(route.request().url()).pathname + new URL(route.request().url()).search;
      const ans = fixtureAnswers(path);
      const [status, body] = ans || [200, await fixtureRecords(path)];
      if (!ans) apiCache.set(path, body);
      await route.fulfill({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });
    });
  }

  await test('/ shows the sign-in page when not signed in', async () => {
    await page.goto(`${base}/`);
    check(new URL(page.url()).pathname === '/login', `at ${page.url()}`);
    check(await page.isVisible('input[name=email]'), 'no email field');
  });

  await test('sign in opens the dashboard', async () => {
    await page.fill('input[name=email]', EMAIL);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
    await page.waitForSelector('body[data-ready]', { timeout: 30000 });
    check(await page.isVisible('#nav'), 'no menu');
    const names = await page.$$eval('#pages a', (as) => as.map((a) => a.dataset.page));
    check(names.join() === pages.map((p) => p.id).join(), `menu: ${names}`);
  });

  await test('assets: types and cache headers', async () => {
    check(assetHeaders.length >= 2, `assets loaded: ${assetHeaders.length}`);
    for (const a of assetHeaders) {
      check(a.status === 200, `${a.url}: ${a.status}`);
      check(a.cache === 'public, max-age=31536000, immutable', `${a.url}: cache ${a.cache}`);
      check(/^text\/(javascript|css); charset=utf-8$/.test(a.type), `${a.url}: type ${a.type}`);
    }
    const r = await fetch(`${base}/assets/../../etc/passwd`);
    check(r.status === 404, `traversal answered ${r.status}`);
  });

  for (const p of pages) {
    await test(`page ${p.id}: charts drawn, numbers equal the API's`, async () => {
      const t = await openPage(page, `#${p.id}`);
      timings.push({ page: p.id, ...t });
      await checkNoErrors(page);
      const charts = await checkCharts(page);
      const n = await checkNumbers(page);
      check(n >= 3, `only ${n} numbers on the page`);
      const file = join(shots, `${p.id}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`    ${p.id}: ${charts} charts, ${n} numbers checked, ready in ${t.app} ms (${t.wall} ms with navigation); screenshot ${file}`);
    });
  }

  await test('money with no exchange rate: a note under the number, as the API counts it', async () => {
    await openPage(page, '#pipeline');
    const notes = await page.$$eval('[data-left-out]', (ns) => ns.map((n) => ({ n: n.dataset.leftOut, q: n.dataset.query, text: n.textContent })));
    if (useFixture) return; // the stand-in API leaves nothing out
    check(notes.length > 0, 'no left-out note on the pipeline page');
    for (const note of notes) {
      const res = await api(note.q);
      check(String(res.left_out.records) === note.n, `${note.q}: page says ${note.n} left out, API ${res.left_out.records}`);
      check(/left out: no exchange rate into USD for JPY \(1\)/.test(note.text), `note text: ${note.text}`);
    }
  });

  await test('filters: a region narrows every query, numbers still equal the API', async () => {
    await openPage(page, '#pipeline');
    const sel = 'select[data-filter=region]';
    const opts = await page.$$eval(`${sel} option`, (os) => os.map((o) => o.value).filter(Boolean));
    check(opts.length > 0, 'no region to choose');
    await page.selectOption(sel, opts[0]);
    await page.waitForFunction((v) => location.hash.includes('region=') && document.body.dataset.ready === 'pipeline', opts[0]);
    await page.waitForSelector('body[data-ready="pipeline"]');
    const queries = await page.$$eval('[data-metric]', (els) => els.map((e) => e.dataset.query));
    const enc = new URLSearchParams({ region: opts[0] }).toString();
    check(queries.every((q) => q.includes(enc)), `a query without ${enc}: ${queries.find((q) => !q.includes(enc))}`);
    await checkCharts(page);
    const n = await checkNumbers(page);
    await page.screenshot({ path: join(shots, 'pipeline-filtered.png'), fullPage: true });
    console.log(`    region=${opts[0]}: ${n} numbers checked`);
  });

  await test('drill-down: a row shows the records behind its number', async () => {
    await openPage(page, '#pipeline');
    const row = page.locator('section[data-panel="pipeline_value:stage"] tr[data-drill]').first();
    await row.click();
    await page.waitForSelector('#drill:not([hidden]) [data-count]', { timeout: 20000 });
    const q = await page.getAttribute('#drill [data-count]', 'data-records');
    const count = Number(await page.getAttribute('#drill [data-count]', 'data-count'));
    check(q.includes('/records?') && q.includes('stage='), `drill query ${q}`);
    const res = await api(q);
    check(res.data.length === count, `page shows ${count} records, API ${res.data.length}`);
    const rows = await page.locator('#drill table.records tbody tr').count();
    check(rows === Math.min(count, 200), `${rows} rows for ${count} records`);
    if (count > 0) {
      const ids = await page.$$eval('#drill tbody tr', (trs) => trs.map((t) => Number(t.dataset.record)));
      check(ids[0] === res.data[0].id, `first record ${ids[0]}, API ${res.data[0].id}`);
    }
    await page.screenshot({ path: join(shots, 'drill-down.png') });
    await page.keyboard.press('Escape');
    check(await page.isHidden('#drill'), 'drill panel still open');
  });

  await test('drill-down: a chart bar opens the same records', async () => {
    await openPage(page, '#reps');
    const box = await page.locator('section[data-panel="quota_attainment:owner"] canvas').boundingBox();
    // the first bar of a horizontal chart starts at the value axis, near the top
    let opened = false;
    for (let x = 0.15; x < 0.6 && !opened; x += 0.1) {
      await page.mouse.click(box.x + box.width * x, box.y + 30);
      opened = await page.isVisible('#drill:not([hidden])');
    }
    check(opened, 'no drill-down from the chart');
    await page.waitForSelector('#drill [data-count]', { timeout: 20000 });
    check((await page.getAttribute('#drill [data-count]', 'data-records')).includes('owner='), 'not by owner');
    await page.keyboard.press('Escape');
  });

  await test('warnings: a row opens its record', async () => {
    await openPage(page, '#warnings');
    const first = page.locator('tr[data-warning]').first();
    const ref = await first.getAttribute('data-warning');
    await first.click();
    await page.waitForSelector('#drill dl.record', { timeout: 20000 });
    const id = await page.getAttribute('#drill dl.record', 'data-record');
    check(ref.endsWith('/' + id), `warning ${ref} opened record ${id}`);
    await page.keyboard.press('Escape');
  });

  await test('no script errors in the browser', async () => {
    check(consoleErrors.length === 0, consoleErrors.join('\n'));
  });

  await test('sign out ends the session', async () => {
    await openPage(page, '#pipeline');
    await Promise.all([page.waitForURL(`${base}/login`), page.click('#logout button')]);
    await page.goto(`${base}/`);
    check(new URL(page.url()).pathname === '/login', `after sign-out / is ${page.url()}`);
  });

  await browser.close();
  server.proc.kill('SIGTERM');
  if (timings.length) {
    const app = timings.map((t) => t.app).sort((a, b) => a - b);
    console.log(`    page ready (API answers and charts drawn): median ${app[Math.floor(app.length / 2)]} ms, max ${app[app.length - 1]} ms over ${app.length} pages`);
  }
  console.log(`    screenshots in ${shots}`);
}

main()
  .catch((e) => {
    failed.push('run');
    console.log(`[  ERROR   ] --- ${e && e.stack}`);
  })
  .finally(() => {
    for (const n of notes) console.log(n);
    console.log(`[==========] ${passed + failed.length} test(s) run.`);
    console.log(`[  PASSED  ] ${passed} test(s).`);
    if (failed.length) {
      console.log(`[  FAILED  ] ${failed.length} test(s), listed below:`);
      for (const f of failed) console.log(`[  FAILED  ] ${f}`);
    }
    process.exit(failed.length ? 1 : 0);
  });

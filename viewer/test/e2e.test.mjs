// End-to-end test of the web viewer in a real headless Chromium (Debian's chromium driven by
// playwright-core; no browser download). It imports the sample into a fresh store, starts
// `landclear serve` on a free port, opens the page and checks what a person would see against
// independent sources:
// - the project list and totals against `landclear status --format json` (today and --as-of);
// - the parcel colours against counts computed by GDAL's SQLite dialect on the sample itself;
// - a parcel's popup against the sample's own attributes, area and buildings (ogr2ogr SQL);
// - a corridor's chainage strip against `landclear corridor --format json`.
// It saves screenshots into LANDCLEAR_E2E_OUT and measures the first view.
// Run by CTest through run-e2e.sh (env: LANDCLEAR_BIN, LANDCLEAR_VIEWER_DIR, LANDCLEAR_E2E_OUT,
// LANDCLEAR_SOURCE_DIR, optional LANDCLEAR_SAMPLE_BIN).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = process.env.LANDCLEAR_SOURCE_DIR || path.resolve(here, '../..');
const BIN = process.env.LANDCLEAR_BIN || path.join(SOURCE, 'build/release/engine/landclear');
const VIEWER = process.env.LANDCLEAR_VIEWER_DIR || '';
const OUT = process.env.LANDCLEAR_E2E_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'viewer-e2e-'));
const CHROMIUM = process.env.LANDCLEAR_CHROMIUM || '/usr/bin/chromium';
const FIRST_VIEW_LIMIT_MS = Number(process.env.LANDCLEAR_E2E_FIRST_VIEW_MS || 2000);
const EARLIER = '2026-06-30'; // a date inside the sample's history (it runs up to 2026-11-20)

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'landclear-e2e-'));
let sample;
let store;
let server;
let baseUrl;
let context;
let page;
const timings = {};
const outside = [];
const pageErrors = [];

function run(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

// `--format json` prints one document with a member per table (docs/CLI.md): the table asked
// for, by name (status's one table is "status"; corridor's are chosen with --table).
function cliJson(args, table) {
  const doc = JSON.parse(run(BIN, args));
  const chosen = args.includes('--table') ? args[args.indexOf('--table') + 1] : (table ?? args[0]);
  assert.ok(doc[chosen], `landclear ${args[0]} --format json has no table ${chosen}`);
  return doc[chosen];
}

// Rows of an SQL query on the sample, through GDAL's SQLite dialect (SpatiaLite functions), as
// CSV read back by splitting: the queries below return codes, dates and numbers only.
function ogrRows(sql) {
  const text = run('ogr2ogr', ['-f', 'CSV', '/vsistdout/', sample, '-dialect', 'SQLite', '-sql', sql]);
  const lines = text.trim().split(/\r?\n/);
  const head = lines.shift().split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v.replace(/^"|"$/g, '')])));
}

const mu2 = (v) => Number(v).toFixed(2);
const pct1 = (v) => Number(v).toFixed(1);

async function figuresIn(locator) {
  return locator.evaluate((node) => {
    const out = {};
    for (const b of node.querySelectorAll('b[data-key]')) out[b.dataset.key] = b.textContent;
    return out;
  });
}

function expectedFigures(row) {
  return {
    parcels: String(row.parcels),
    area_mu: mu2(row.area_mu),
    acquired_mu: mu2(row.acquired_mu),
    acquired_pct: pct1(row.acquired_pct),
    cleared_mu: mu2(row.cleared_mu),
    cleared_pct: pct1(row.cleared_pct),
    delivered_mu: mu2(row.delivered_mu),
    households: String(row.households),
    signed_households: String(row.signed_households),
    demolished_households: String(row.demolished_households),
  };
}

async function checkProjectList(status) {
  const items = page.locator('#project-list li.project');
  assert.equal(await items.count(), status.rows.length, 'one list entry per status row');
  for (const row of status.rows) {
    const shown = await figuresIn(page.locator(`#project-list li[data-code="${row.group}"]`));
    const want = expectedFigures(row);
    for (const [k, v] of Object.entries(want)) assert.equal(shown[k], v, `${row.group} ${k}`);
  }
  const totals = await figuresIn(page.locator('#totals'));
  for (const [k, v] of Object.entries(expectedFigures(status.totals)))
    assert.equal(totals[k], v, `totals ${k}`);
}

// Parcel counts per colour on the map against the sample's dates (the furthest stage reached).
async function checkParcelColours(asOf) {
  const d = asOf;
  const [want] = ogrRows(
    `SELECT count(*) AS total,
       sum(CASE WHEN delivered_on <= '${d}' THEN 1 ELSE 0 END) AS delivered,
       sum(CASE WHEN (delivered_on IS NULL OR delivered_on > '${d}') AND cleared_on <= '${d}' THEN 1 ELSE 0 END) AS cleared,
       sum(CASE WHEN (delivered_on IS NULL OR delivered_on > '${d}') AND (cleared_on IS NULL OR cleared_on > '${d}')
                 AND acquired_on <= '${d}' THEN 1 ELSE 0 END) AS acquired
     FROM parcels`,
  );
  const shown = await page.evaluate(() => {
    const counts = {};
    window.landclear.layers.parcels.eachLayer((l) => {
      counts[l.options.fillColor] = (counts[l.options.fillColor] || 0) + 1;
    });
    return counts;
  });
  const total = Number(want.total);
  const none = total - Number(want.delivered) - Number(want.cleared) - Number(want.acquired);
  // The colours are the server's palette (GET /api/stages, the printed maps' palette).
  const fill = await stageFills();
  assert.equal(shown[fill.delivered] || 0, Number(want.delivered), `已交 (green) parcels as of ${d}`);
  assert.equal(shown[fill.cleared] || 0, Number(want.cleared), `已腾 (orange) parcels as of ${d}`);
  assert.equal(shown[fill.acquired] || 0, Number(want.acquired), `已征 (yellow) parcels as of ${d}`);
  assert.equal(shown[fill.none] || 0, none, `未征 (grey) parcels as of ${d}`);
}

// The parcel palette the server serves: key -> "#rrggbb".
async function stageFills() {
  const stages = await (await fetch(new URL('api/stages', baseUrl))).json();
  assert.deepEqual(stages.parcel.map((s) => s.key), ['none', 'acquired', 'cleared', 'delivered']);
  assert.deepEqual(stages.parcel.map((s) => s.zh), ['未征', '已征', '已腾', '已交']);
  return Object.fromEntries(stages.parcel.map((s) => [s.key, s.fill]));
}

before(async () => {
  assert.ok(fs.existsSync(BIN), `landclear executable ${BIN}`);
  assert.ok(fs.existsSync(path.join(VIEWER, 'index.html')), `built viewer in ${VIEWER}`);
  fs.mkdirSync(OUT, { recursive: true });

  sample = path.join(SOURCE, 'data', 'sample.gpkg');
  if (!fs.existsSync(sample)) {
    // The committed sample is not there yet: the generator makes the same kind of data.
    const gen = process.env.LANDCLEAR_SAMPLE_BIN;
    assert.ok(gen && fs.existsSync(gen), 'data/sample.gpkg or LANDCLEAR_SAMPLE_BIN is needed');
    sample = path.join(work, 'sample.gpkg');
    run(gen, ['--out', sample, '--districts', path.join(SOURCE, 'data', 'xiangtan_districts.geojson')]);
  }
  store = path.join(work, 'sample.sqlite');
  run(BIN, ['import', store, '--parcels', `${sample}:parcels`, '--buildings', `${sample}:buildings`,
    '--corridors', `${sample}:corridors`, '--projects', `${sample}:projects`]);

  server = spawn(BIN, ['serve', store, '--port', '0', '--viewer', VIEWER, '--quiet'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`landclear serve did not start: ${log}`)), 30000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`landclear serve exited (${code}): ${log}`)));
  });

  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(work, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--lang=zh-CN'],
    viewport: { width: 1400, height: 900 },
    locale: 'zh-CN',
    acceptDownloads: true,
  });
  page = context.pages()[0] || (await context.newPage());
  // Nothing may come from outside the server (a CDN request would fail offline), and the page
  // must run without script errors: both are collected and checked by the last test.
  page.on('request', (r) => {
    if (!r.url().startsWith(baseUrl) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
      outside.push(r.url());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(async () => {
  fs.writeFileSync(path.join(OUT, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  if (context) await context.close();
  if (server) server.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
});

test('first view: the whole sample within the time limit, figures equal `landclear status`', async () => {
  const started = Date.now();
  await page.goto(baseUrl);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  timings.first_view_ms = Date.now() - started;
  timings.first_view_in_page_ms = await page.evaluate(() => window.landclear.readyMs);
  timings.first_view_marks = await page.evaluate(() =>
    Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)])));
  console.log(`first view: ${timings.first_view_ms} ms (page's own clock: ${Math.round(timings.first_view_in_page_ms)} ms)`);

  const info = await page.evaluate(() => window.landclear.state.info);
  const drawn = await page.evaluate(() => window.landclear.layers.parcels.getLayers().length);
  assert.equal(drawn, info.counts.parcels, 'every parcel of the sample is on the map');
  const [{ n }] = ogrRows('SELECT count(*) AS n FROM parcels');
  assert.equal(drawn, Number(n), 'as many parcels as the sample has');
  assert.ok(drawn >= 1000, `thousands of parcels (${drawn})`);

  await checkProjectList(cliJson(['status', store, '--format', 'json']));
  await checkParcelColours(info.today);
  // The legend's swatches show the served palette, one per stage with its label.
  const fill = await stageFills();
  const swatches = await page.locator('#legend .swatch[data-stage]').evaluateAll((nodes) =>
    nodes.map((n) => ({ key: n.dataset.stage, label: n.parentNode.textContent.trim(), bg: getComputedStyle(n).backgroundColor })));
  const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
  assert.deepEqual(swatches, [
    { key: 'none', label: '未征', bg: rgb(fill.none) },
    { key: 'acquired', label: '已征', bg: rgb(fill.acquired) },
    { key: 'cleared', label: '已腾', bg: rgb(fill.cleared) },
    { key: 'delivered', label: '已交', bg: rgb(fill.delivered) },
  ]);
  await page.screenshot({ path: path.join(OUT, 'viewer.png') });

  // Responsive with every parcel drawn: zooming in one level and panning, each until the map
  // has redrawn (two animation frames after moveend).
  const redraw = (action) =>
    page.evaluate((what) => new Promise((resolve) => {
      const map = window.landclear.map;
      const t0 = performance.now();
      map.once('moveend', () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0))));
      if (what === 'zoom') map.setZoom(map.getZoom() + 1, { animate: false });
      else map.panBy([300, 200], { animate: false });
    }), action);
  timings.zoom_redraw_ms = Math.round(await redraw('zoom'));
  timings.pan_redraw_ms = Math.round(await redraw('pan'));
  console.log(`zoom in: ${timings.zoom_redraw_ms} ms, pan: ${timings.pan_redraw_ms} ms`);
  assert.ok(timings.zoom_redraw_ms < FIRST_VIEW_LIMIT_MS / 2, `zoom redraw ${timings.zoom_redraw_ms} ms`);
  assert.ok(timings.pan_redraw_ms < FIRST_VIEW_LIMIT_MS / 2, `pan redraw ${timings.pan_redraw_ms} ms`);
  assert.ok(
    timings.first_view_ms < FIRST_VIEW_LIMIT_MS,
    `first view took ${timings.first_view_ms} ms (limit ${FIRST_VIEW_LIMIT_MS} ms)`,
  );
});

test('clicking a parcel shows its ledger facts and buildings', async () => {
  // The largest parcel with buildings, its facts straight from the sample.
  const [p] = ogrRows(
    `SELECT p.parcel_code AS code, p.owner_type AS owner_type, p.land_class AS land_class,
            p.acquired_on AS acquired_on, p.cleared_on AS cleared_on, p.delivered_on AS delivered_on,
            ST_Area(p.geom) AS area_m2,
            (SELECT count(*) FROM buildings b WHERE b.parcel_code = p.parcel_code) AS buildings,
            (SELECT total(households) FROM buildings b WHERE b.parcel_code = p.parcel_code) AS households,
            ST_X(ST_Transform(ST_PointOnSurface(p.geom), 4326)) AS lon,
            ST_Y(ST_Transform(ST_PointOnSurface(p.geom), 4326)) AS lat,
            ST_MinX(ST_Transform(p.geom, 4326)) AS w, ST_MinY(ST_Transform(p.geom, 4326)) AS s,
            ST_MaxX(ST_Transform(p.geom, 4326)) AS e, ST_MaxY(ST_Transform(p.geom, 4326)) AS n
     FROM parcels p
     WHERE (SELECT count(*) FROM buildings b WHERE b.parcel_code = p.parcel_code) > 0
     ORDER BY ST_Area(p.geom) DESC LIMIT 1`,
  );
  assert.ok(p && p.code, 'the sample has a parcel with buildings');
  await page.evaluate((b) => {
    window.landclear.map.fitBounds([[b.s, b.w], [b.n, b.e]], { animate: false, maxZoom: 18 });
  }, { w: Number(p.w), s: Number(p.s), e: Number(p.e), n: Number(p.n) });
  const point = await page.evaluate(([lat, lon]) => {
    const map = window.landclear.map;
    const pt = map.latLngToContainerPoint([lat, lon]);
    const box = map.getContainer().getBoundingClientRect();
    return { x: box.left + pt.x, y: box.top + pt.y };
  }, [Number(p.lat), Number(p.lon)]);
  await page.mouse.click(point.x, point.y);
  const popup = page.locator(`.leaflet-popup .popup[data-code="${p.code}"]`);
  await popup.waitFor({ timeout: 10000 });
  const cell = async (key) => (await popup.locator(`td[data-key="${key}"]`).textContent()).trim();
  assert.equal(await cell('parcel_code'), p.code);
  assert.equal(await cell('owner_type'), p.owner_type);
  assert.ok((await cell('land_class')).startsWith(p.land_class), 'land class code shown');
  const areaMu = (Number(p.area_m2) * 3) / 2000;
  assert.ok((await cell('area')).startsWith(`${areaMu.toFixed(2)} 亩`), `area ${areaMu.toFixed(2)} 亩`);
  const day = (v) => (v ? v.replace(/\//g, '-').slice(0, 10) : '—');
  assert.equal(await cell('acquired_on'), day(p.acquired_on));
  assert.equal(await cell('cleared_on'), day(p.cleared_on));
  assert.equal(await cell('delivered_on'), day(p.delivered_on));
  assert.ok(
    (await cell('buildings')).startsWith(`${Number(p.buildings)} 栋，${Number(p.households)} 户`),
    `buildings and households: ${await cell('buildings')}`,
  );
  await page.screenshot({ path: path.join(OUT, 'viewer-popup.png') });
  await page.evaluate(() => {
    window.landclear.map.closePopup();
  });
});

test('changing the date redraws figures and map as `status --as-of` says', async () => {
  const before = await figuresIn(page.locator('#totals'));
  const started = Date.now();
  await page.fill('#as-of', EARLIER);
  await page.locator('#as-of').dispatchEvent('change');
  await page.waitForSelector(`body[data-as-of-loaded="${EARLIER}"]`, { timeout: 30000 });
  timings.date_change_ms = Date.now() - started;
  console.log(`date change redraw: ${timings.date_change_ms} ms`);
  const status = cliJson(['status', store, '--as-of', EARLIER, '--format', 'json']);
  await checkProjectList(status);
  const afterChange = await figuresIn(page.locator('#totals'));
  assert.notEqual(afterChange.acquired_mu, before.acquired_mu, 'the figures changed with the date');
  await checkParcelColours(EARLIER);
});

test('a corridor shows its chainage strip with the blocking stretches `corridor` reports', async () => {
  await page.waitForSelector(`body[data-corridors-as-of="${EARLIER}"]`, { timeout: 60000 });
  const corridors = cliJson(['corridor', store, '--as-of', EARLIER, '--format', 'json', '--table', 'corridors']);
  assert.ok(corridors.rows.length > 0, 'the sample has corridors');
  const want = corridors.rows.reduce((a, b) => (b.blocking_stretches > a.blocking_stretches ? b : a));
  await page.click('#tabs button[data-tab="corridors"]');
  const item = page.locator(`#corridor-list li[data-code="${want.corridor}"]`);
  const shown = await figuresIn(item);
  assert.equal(shown.area_mu, mu2(want.area_mu), 'corridor parcel area inside the red line');
  assert.equal(shown.acquired_pct, pct1(want.acquired_pct));
  assert.equal(shown.cleared_pct, pct1(want.cleared_pct));
  assert.equal(shown.blocking_stretches, String(want.blocking_stretches));
  await item.click();
  await page.waitForSelector('#strip:not([hidden]) #strip-bar .seg', { timeout: 30000 });

  const segments = cliJson(['corridor', store, '--corridor', want.corridor, '--as-of', EARLIER,
    '--format', 'json', '--table', 'segments']);
  assert.equal(await page.locator('#strip-bar .seg').count(), segments.rows.length, 'one strip cell per segment');
  const blockedCells = await page.locator('#strip-bar .seg.blocking').count();
  assert.equal(blockedCells, segments.rows.filter((r) => r.blocked === 1).length, 'blocked segments outlined');
  const cleared = await page.locator('#strip-bar .seg').evaluateAll((cells) => cells.map((c) => c.dataset.cleared));
  assert.deepEqual(cleared, segments.rows.map((r) => pct1(r.cleared_pct)), 'cleared % per segment');
  const stretches = await page.locator('#strip-blocking li[data-from]').count();
  assert.equal(stretches, want.blocking_stretches, 'blocking stretches listed');
  // Red outlines on the map: the parcels that `corridor` lists in the blocking stretches.
  const blockingRows = run(BIN, ['corridor', store, '--as-of', EARLIER, '--format', 'json', '--table', 'blocking']);
  const listed = new Set(JSON.parse(blockingRows).blocking.rows.flatMap((r) => r.parcels.split(/[,、，\s]+/).filter(Boolean)));
  const outlined = await page.evaluate(() => {
    const out = [];
    window.landclear.layers.parcels.eachLayer((l) => {
      if (l.options.color === '#d7191c') out.push(l.feature.properties.parcel_code);
    });
    return out;
  });
  assert.ok(outlined.length > 0, 'some parcels are outlined as blocking');
  for (const code of outlined) assert.ok(listed.has(code), `${code} outlined red is in a blocking stretch`);
  assert.equal(outlined.length, listed.size, 'every parcel of a blocking stretch is outlined');
  await page.screenshot({ path: path.join(OUT, 'viewer-corridor.png') });
});

test('the GeoJSON download holds the selected project as of the date', async () => {
  const status = cliJson(['status', store, '--as-of', EARLIER, '--format', 'json']);
  const project = status.rows.find((r) => r.parcels > 0);
  await page.click('#tabs button[data-tab="projects"]');
  await page.click(`#project-list li[data-code="${project.group}"]`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-geojson')]);
  const file = path.join(work, 'download.geojson');
  await download.saveAs(file);
  const fc = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(fc.type, 'FeatureCollection');
  assert.equal(fc.features.length, project.parcels, 'one feature per parcel of the project');
  const acquiredMu = fc.features
    .filter((f) => f.properties.acquired_on && f.properties.acquired_on <= EARLIER)
    .reduce((s, f) => s + f.properties.area_mu, 0);
  assert.ok(Math.abs(acquiredMu - project.acquired_mu) < 1e-6, 'acquired 亩 add up to the status figure');
  const [lon, lat] = fc.features[0].geometry.coordinates[0][0][0].length
    ? fc.features[0].geometry.coordinates[0][0][0]
    : fc.features[0].geometry.coordinates[0][0];
  assert.ok(lon > 111 && lon < 115 && lat > 26 && lat < 29, `WGS84 lon/lat near Xiangtan (${lon}, ${lat})`);
});

// `landclear serve STORE` on a free port; resolves with the process and its base URL.
async function serve(storePath) {
  const proc = spawn(BIN, ['serve', storePath, '--port', '0', '--viewer', VIEWER, '--quiet'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`landclear serve did not start: ${log}`)), 30000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`landclear serve exited (${code}): ${log}`)));
  });
  return { proc, url };
}

const layerStatus = (p) =>
  p.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll('#layer-status li')].map((li) => [li.dataset.layer, {
      state: li.dataset.state,
      text: li.textContent,
    }])));

test('a store with parcels only: the parcels are drawn and the empty layers say so', async () => {
  const partial = path.join(work, 'parcels-only.sqlite');
  run(BIN, ['import', partial, '--parcels', `${sample}:parcels`, '--quiet']);
  const { proc, url } = await serve(partial);
  const p2 = await context.newPage();
  const errors = [];
  p2.on('pageerror', (e) => errors.push(String(e)));
  p2.on('request', (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
      outside.push(r.url());
  });
  try {
    await p2.goto(url);
    await p2.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    const [{ n }] = ogrRows('SELECT count(*) AS n FROM parcels');
    const drawn = await p2.evaluate(() => window.landclear.layers.parcels.getLayers().length);
    assert.equal(drawn, Number(n), 'every parcel of the store is on the map');
    const status = await layerStatus(p2);
    for (const layer of ['buildings', 'corridors', 'projects']) {
      assert.equal(status[layer] && status[layer].state, 'empty', `${layer} said to be empty`);
      assert.match(status[layer].text, /图层为空/);
    }
    assert.equal(status.parcels, undefined, 'parcels are neither empty nor failed');
    assert.equal(await p2.locator('#message').textContent(), '', 'no error message');
    // Projects named only by the parcels' project_code are listed, as `status` lists them.
    const figures = cliJson(['status', partial, '--format', 'json']);
    const rows = (figures.rows || (figures.status && figures.status.rows) || []);
    assert.ok(rows.length > 0, 'status lists projects');
    assert.equal(await p2.locator('#project-list li.project').count(), rows.length, 'one entry per project');
    await p2.screenshot({ path: path.join(OUT, 'viewer-parcels-only.png') });
    assert.deepEqual(errors, []);
  } finally {
    await p2.close();
    proc.kill('SIGTERM');
  }
});

test('a layer whose request fails shows its own error while the others are drawn', async () => {
  const failing = /\/api\/features\/corridors(\?|$)/;
  await page.route(failing, (route) =>
    route.fulfill({
      status: 500,
      contentType: 'application/json',
      body: JSON.stringify({ error: 'planted failure for the test' }),
    }));
  try {
    await page.goto(baseUrl);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    const [{ n }] = ogrRows('SELECT count(*) AS n FROM parcels');
    const drawn = await page.evaluate(() => window.landclear.layers.parcels.getLayers().length);
    assert.equal(drawn, Number(n), 'the parcels are drawn although the corridors failed');
    const projects = await page.evaluate(() => window.landclear.layers.projects.getLayers().length);
    const [{ m }] = ogrRows('SELECT count(*) AS m FROM projects WHERE geom IS NOT NULL');
    assert.equal(projects, Number(m), 'the project red lines are drawn too');
    assert.equal(await page.evaluate(() => window.landclear.layers.corridors.getLayers().length), 0);
    const status = await layerStatus(page);
    assert.equal(status.corridors && status.corridors.state, 'error', 'the corridors say they failed');
    assert.match(status.corridors.text, /planted failure for the test/);
    assert.equal(Object.values(status).filter((s) => s.state === 'error').length, 1, 'only that layer');
    assert.match(await page.locator('#message').textContent(), /线路/);
    await page.screenshot({ path: path.join(OUT, 'viewer-failed-layer.png') });
  } finally {
    await page.unroute(failing);
  }
});

test('the page fetched nothing from outside the server and raised no script error', () => {
  assert.deepEqual(outside, []);
  assert.deepEqual(pageErrors, []);
});

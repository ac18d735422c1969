// End-to-end test of the web viewer in a real headless Chromium (Debian's chromium driven by
// playwright-core; no browser download; WebGL through SwiftShader). It imports a sample into a
// fresh store, starts `landclear serve` on a free port, opens the page and checks what a person
// would see against independent sources:
// - the project list, totals and project labels against `landclear status --format json`
//   (today and --as-of);
// - the colours of the drawn map: pixels of each stage colour against the parcel area per stage
//   inside the view, by SpatiaLite SQL on the sample itself (GDAL's SQLite dialect);
// - a date change recolours the map without a single new tile request;
// - a parcel's popup against the sample's own attributes, area and buildings;
// - a corridor's chainage strip against `landclear corridor --format json`;
// - the meeting map download against `landclear map`.
// With LANDCLEAR_E2E_PARCELS=N it runs on a generated city of N parcels (CTest viewer_e2e_100k)
// and checks the first view, figures, colours and the date change there.
// Screenshots and first-view timings go to LANDCLEAR_E2E_OUT (timings.json). No timing is asserted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BIN, VIEWER, importSample, ogrRows as ogrOn, run, sampleFile, serve } from './helpers.mjs';

const OUT = process.env.LANDCLEAR_E2E_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'viewer-e2e-'));
const CHROMIUM = process.env.LANDCLEAR_CHROMIUM || '/usr/bin/chromium';
const PARCELS = Number(process.env.LANDCLEAR_E2E_PARCELS || 0); // 0: the committed sample
const BIG = PARCELS > 0;
const EARLIER = '2026-06-30'; // a date inside the sample's history (it runs up to 2026-11-20)
const COLOUR_ZOOM = 14; // parcels are drawn from zoom 13; at 14 they are a few pixels wide

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'landclear-e2e-'));
let sample;
let store;
let server;
let baseUrl;
let context;
let page;
let colourView; // { center, zoom } where the colours are counted
const timings = { parcels: PARCELS || 'sample' };
const outside = [];
const pageErrors = [];
const tileRequests = [];
const issueRequests = []; // /api/issues asked by the page
let issueParcels; // the two parcels issues are raised on (before())

const ogrRows = (sql) => ogrOn(sample, sql);

// `--format json` prints one document with a member per table (docs/CLI.md): the table asked
// for, by name (status's one table is "status"; corridor's are chosen with --table).
function cliJson(args, table) {
  const doc = JSON.parse(run(BIN, args));
  const chosen = args.includes('--table') ? args[args.indexOf('--table') + 1] : (table ?? args[0]);
  assert.ok(doc[chosen], `landclear ${args[0]} --format json has no table ${chosen}`);
  return doc[chosen];
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
  // The city-wide labels carry each project's cleared share.
  for (const row of status.rows) {
    const label = page.locator(`.project-label[data-code="${row.group}"]`);
    if (await label.count()) assert.equal((await figuresIn(label)).cleared_pct, pct1(row.cleared_pct), `${row.group} label`);
  }
}

// The parcel palette the server serves: key -> "#rrggbb".
async function stageFills() {
  const stages = await (await fetch(new URL('api/stages', baseUrl))).json();
  assert.deepEqual(stages.parcel.map((s) => s.key), ['none', 'acquired', 'cleared', 'delivered']);
  assert.deepEqual(stages.parcel.map((s) => s.zh), ['未征', '已征', '已腾', '已交']);
  return Object.fromEntries(stages.parcel.map((s) => [s.key, s.fill]));
}

const waitIdle = (p = page) => p.evaluate(() => window.landclear.mapIdle());

async function jumpTo(view) {
  await page.evaluate((v) => window.landclear.map.jumpTo(v), view);
  await waitIdle();
}

// Pixels of each stage colour in the map (only the parcel fills drawn, for the count) against
// the parcel area per stage inside the view by SQL: the same shares within the drawing's
// tolerance, and the same total area.
async function checkParcelColours(asOf, label) {
  const fill = await stageFills();
  const others = await page.evaluate(() => {
    const map = window.landclear.map;
    const hidden = map.getStyle().layers.map((l) => l.id).filter((id) => id !== 'background' && id !== 'parcels-fill');
    for (const id of hidden) map.setLayoutProperty(id, 'visibility', 'none');
    document.body.classList.add('counting');
    return hidden;
  });
  await waitIdle();
  const shot = await page.locator('#map').screenshot({ path: path.join(OUT, `colours-${label}.png`) });
  const view = await page.evaluate(() => ({ box: window.landclear.viewBox(), zoom: window.landclear.map.getZoom() }));
  const counted = await page.evaluate(async ({ b64, fills }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const want = Object.entries(fills).map(([k, hex]) => [k, [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))]);
    const out = Object.fromEntries(want.map(([k]) => [k, 0]));
    for (let i = 0; i < d.length; i += 4)
      for (const [k, [r, gg, b]] of want)
        if (Math.abs(d[i] - r) <= 2 && Math.abs(d[i + 1] - gg) <= 2 && Math.abs(d[i + 2] - b) <= 2) {
          out[k]++;
          break;
        }
    return { counts: out, width: img.width, height: img.height };
  }, { b64: shot.toString('base64'), fills: fill });
  await page.evaluate((hidden) => {
    const map = window.landclear.map;
    for (const id of hidden) map.setLayoutProperty(id, 'visibility', 'visible');
    document.body.classList.remove('counting');
  }, others);
  await waitIdle();

  const [w, s, e, n] = view.box;
  const d = asOf;
  const [want] = ogrRows(`SELECT total(a) AS total,
       total(CASE WHEN delivered_on <= '${d}' THEN a ELSE 0 END) AS delivered,
       total(CASE WHEN (delivered_on IS NULL OR delivered_on > '${d}') AND cleared_on <= '${d}' THEN a ELSE 0 END) AS cleared,
       total(CASE WHEN (delivered_on IS NULL OR delivered_on > '${d}') AND (cleared_on IS NULL OR cleared_on > '${d}')
                 AND acquired_on <= '${d}' THEN a ELSE 0 END) AS acquired
     FROM (SELECT acquired_on, cleared_on, delivered_on,
             ST_Area(ST_Intersection(geom, ST_Transform(BuildMbr(${w}, ${s}, ${e}, ${n}, 4326), ST_SRID(geom)))) AS a
           FROM parcels WHERE MbrIntersects(geom, ST_Transform(BuildMbr(${w}, ${s}, ${e}, ${n}, 4326), ST_SRID(geom))))`);
  const area = { total: Number(want.total), delivered: Number(want.delivered), cleared: Number(want.cleared), acquired: Number(want.acquired) };
  area.none = area.total - area.delivered - area.cleared - area.acquired;
  assert.ok(area.total > 0, 'parcels in the view');
  const pixels = Object.values(counted.counts).reduce((a, b) => a + b, 0);
  // Ground metres per pixel across the view, at its latitude (the map is Web Mercator: the
  // same scale both ways at one latitude).
  const lat = ((s + n) / 2) * (Math.PI / 180);
  const mpp = ((e - w) / counted.width) * (Math.PI / 180) * 6378137 * Math.cos(lat);
  const drawnM2 = pixels * mpp * mpp;
  const shares = {};
  for (const k of ['none', 'acquired', 'cleared', 'delivered']) {
    shares[k] = { pixels: counted.counts[k] / pixels, area: area[k] / area.total };
    assert.ok(Math.abs(shares[k].pixels - shares[k].area) < 0.01,
      `${label}: ${k} is ${(100 * shares[k].pixels).toFixed(2)} % of the parcel pixels, ${(100 * shares[k].area).toFixed(2)} % of the parcel area in view (SQL)`);
  }
  assert.ok(Math.abs(drawnM2 / area.total - 1) < 0.05,
    `${label}: parcels drawn cover ${drawnM2.toFixed(0)} m², the parcels in view ${area.total.toFixed(0)} m²`);
  timings[`colours_${label}`] = { zoom: view.zoom, parcel_pixels: pixels, shares };
}

before(async () => {
  assert.ok(fs.existsSync(BIN), `landclear executable ${BIN}`);
  assert.ok(fs.existsSync(path.join(VIEWER, 'index.html')), `built viewer in ${VIEWER}`);
  fs.mkdirSync(OUT, { recursive: true });
  let t0 = Date.now();
  sample = sampleFile(work, PARCELS);
  timings.generate_ms = Date.now() - t0;
  store = path.join(work, 'sample.sqlite');
  t0 = Date.now();
  importSample(sample, store);
  timings.import_ms = Date.now() - t0;
  // Two issues (问题清单) on parcels of the smallest project, away from where the colours are
  // counted: one overdue on any day after 2020-01-31, one due in 2099.
  const small = ogrRows(`SELECT parcel_code AS code FROM parcels WHERE project_code =
      (SELECT project_code FROM parcels GROUP BY project_code ORDER BY count(*), project_code LIMIT 1)
    ORDER BY parcel_code LIMIT 2`);
  issueParcels = small.map((r) => r.code);
  run(BIN, ['issue', 'add', store, '--parcel', issueParcels[0], '--unit', '雨湖区征拆办',
    '--deadline', '2020-01-31', '--text', '户主未签约', '--on', '2020-01-01']);
  run(BIN, ['issue', 'add', store, '--parcel', issueParcels[1], '--unit', '岳塘区征拆办',
    '--deadline', '2099-12-31', '--text', '坟墓待迁', '--on', '2020-01-01']);
  t0 = Date.now();
  ({ proc: server, url: baseUrl } = await serve(store));
  timings.serve_start_ms = Date.now() - t0;

  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(work, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--enable-unsafe-swiftshader', '--lang=zh-CN'],
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
    if (r.url().startsWith(`${baseUrl}tiles/`)) tileRequests.push(r.url());
    if (r.url().startsWith(`${baseUrl}api/issues`)) issueRequests.push(r.url());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  // Where the colours are counted: the middle of the project with the most parcels.
  const [c] = ogrRows(`SELECT ST_X(ST_Transform(ST_Centroid(ST_Collect(geom)), 4326)) AS lon,
      ST_Y(ST_Transform(ST_Centroid(ST_Collect(geom)), 4326)) AS lat, count(*) AS n
    FROM parcels GROUP BY project_code ORDER BY n DESC LIMIT 1`);
  colourView = { center: [Number(c.lon), Number(c.lat)], zoom: COLOUR_ZOOM };
});

after(async () => {
  const name = BIG ? `timings-${PARCELS}.json` : 'timings.json';
  fs.writeFileSync(path.join(OUT, name), `${JSON.stringify(timings, null, 2)}\n`);
  if (context) await context.close();
  // The work folder goes once the server has exited: a tile it was still writing to the disk
  // cache beside the store made the removal fail (ENOTEMPTY).
  if (server && server.exitCode === null && server.signalCode === null) {
    const gone = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await gone;
  }
  fs.rmSync(work, { recursive: true, force: true });
});

test('first view: the whole store drawn with its figures, equal to `landclear status`', async () => {
  const started = Date.now();
  await page.goto(baseUrl);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  timings.first_view_ms = Date.now() - started;
  timings.first_view_in_page_ms = Math.round(await page.evaluate(() => window.landclear.readyMs));
  timings.first_view_tiles = tileRequests.length;
  timings.first_view_marks = await page.evaluate(() =>
    Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)])));
  console.log(`first view: ${timings.first_view_ms} ms (page's own clock: ${timings.first_view_in_page_ms} ms), ${tileRequests.length} tiles`);
  await page.screenshot({ path: path.join(OUT, 'viewer.png') });

  // At the city-wide zoom every project is outlined (from the tiles) and labelled.
  const status = cliJson(['status', store, '--format', 'json']);
  const outlined = await page.evaluate(() =>
    [...new Set(window.landclear.map.queryRenderedFeatures({ layers: ['projects-fill'] }).map((f) => f.properties.code))].sort());
  const withParcels = status.rows.filter((r) => r.parcels > 0).map((r) => r.group).sort();
  for (const code of withParcels) assert.ok(outlined.includes(code), `project ${code} outlined at city zoom`);
  assert.equal(await page.locator('.project-label').count(), withParcels.length, 'one label per project with parcels');
  // Labels that would overlap are hidden (they stay in the page): none of those shown covers
  // another, and at least one shows.
  const shownLabels = await page.evaluate(() => [...document.querySelectorAll('.project-label:not(.label-hidden)')]
    .map((e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }));
  assert.ok(shownLabels.length > 0, 'some project labels shown at city zoom');
  for (let i = 0; i < shownLabels.length; i++)
    for (let j = i + 1; j < shownLabels.length; j++) {
      const [a, b] = [shownLabels[i], shownLabels[j]];
      assert.ok(!(a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]), `labels ${i} and ${j} overlap`);
    }
  await checkProjectList(status);

  // The issue list is drawn with the first view (its layers are in the map's style), as
  // /api/issues answers for the page's day: both marks in the map's drawn features, both ids
  // labelled, the overdue one marked so, and asked for once.
  const today = await page.evaluate(() => window.landclear.state.asOf);
  const served = await (await fetch(`${baseUrl}api/issues?as_of=${today}`)).json();
  assert.equal(served.features.length, 2, 'two open issues served');
  const drawn = await page.evaluate(() => ({
    marks: [...new Set(window.landclear.map.queryRenderedFeatures({ layers: ['issues-mark'] }).map((f) => f.properties.id))].sort(),
    labels: [...document.querySelectorAll('.issue-id')].map((e) => [e.dataset.id, e.dataset.overdue]).sort(),
    shown: [document.body.dataset.issues, document.body.dataset.issuesAsOf],
  }));
  const ids = served.features.map((f) => f.properties.id).sort();
  assert.deepEqual(drawn.marks, ids, 'both issues drawn at the first view');
  assert.deepEqual(drawn.labels, served.features.map((f) => [f.properties.id, String(f.properties.overdue)]).sort());
  assert.deepEqual(drawn.shown, ['2', today]);
  assert.deepEqual(served.features.map((f) => f.properties.overdue).sort(), [false, true]);
  assert.equal(issueRequests.length, 1, 'the issues asked for once');

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
  // A scale bar and the coordinate readout.
  assert.equal(await page.locator('.maplibregl-ctrl-scale').count(), 1, 'a scale bar');
  const box = await page.locator('#map').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const centre = await page.evaluate(() => window.landclear.map.getCenter());
  const readout = await page.locator('#coords').textContent();
  const m = /CGCS2000\s+E ([\d.]+)°\s+N ([\d.]+)°/.exec(readout);
  assert.ok(m, `coordinate readout: ${readout}`);
  assert.ok(Math.abs(Number(m[1]) - centre.lng) < 0.01 && Math.abs(Number(m[2]) - centre.lat) < 0.01, 'readout at the pointer');
});

test('parcels at zoom 14 are coloured by stage as the SQL areas say', async () => {
  const started = Date.now();
  const before = tileRequests.length;
  await jumpTo(colourView);
  timings.zoom_in_ms = Date.now() - started;
  timings.zoom_in_tiles = tileRequests.length - before;
  await page.screenshot({ path: path.join(OUT, 'viewer-zoom14.png') });
  const info = await page.evaluate(() => window.landclear.state.info);
  await checkParcelColours(info.today, 'today');
});

test('clicking a parcel shows its ledger facts and buildings', { skip: BIG }, async () => {
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
    window.landclear.map.fitBounds([[b.w, b.s], [b.e, b.n]], { animate: false, maxZoom: 18 });
  }, { w: Number(p.w), s: Number(p.s), e: Number(p.e), n: Number(p.n) });
  await waitIdle();
  const point = await page.evaluate(([lon, lat]) => {
    const map = window.landclear.map;
    const pt = map.project([lon, lat]);
    const box = map.getContainer().getBoundingClientRect();
    return { x: box.left + pt.x, y: box.top + pt.y };
  }, [Number(p.lon), Number(p.lat)]);
  await page.mouse.click(point.x, point.y);
  const popup = page.locator(`.maplibregl-popup .popup[data-code="${p.code}"]`);
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
  // The buildings are drawn at this zoom, from their own tiles.
  const buildings = await page.evaluate(() => window.landclear.map.queryRenderedFeatures({ layers: ['buildings-fill'] }).length);
  assert.ok(buildings > 0, 'buildings drawn');
  await page.screenshot({ path: path.join(OUT, 'viewer-popup.png') });
  await page.evaluate(() => window.landclear.state.popup.remove());
});

test('changing the date recolours the map without new tiles; figures as `status --as-of`', async () => {
  await jumpTo(colourView);
  const info = await page.evaluate(() => window.landclear.state.info);
  const before = await figuresIn(page.locator('#totals'));
  const tilesBefore = tileRequests.length;
  const started = Date.now();
  await page.fill('#as-of', EARLIER);
  await page.locator('#as-of').dispatchEvent('change');
  await page.waitForSelector(`body[data-as-of-loaded="${EARLIER}"]`, { timeout: 60000 });
  timings.date_change_ms = Date.now() - started;
  assert.equal(tileRequests.length, tilesBefore, 'no tile was requested again for the new date');
  console.log(`date change redraw: ${timings.date_change_ms} ms`);
  const status = cliJson(['status', store, '--as-of', EARLIER, '--format', 'json']);
  await checkProjectList(status);

  // The issue list of the new day: asked for again (overdue is of the day) and shown.
  await page.waitForSelector(`body[data-issues-as-of="${EARLIER}"]`, { timeout: 30000 });
  assert.equal(issueRequests.length, 2, 'the issues asked for again for the new day');
  assert.ok(issueRequests[1].includes(`as_of=${EARLIER}`), issueRequests[1]);
  const afterChange = await figuresIn(page.locator('#totals'));
  assert.notEqual(afterChange.acquired_mu, before.acquired_mu, 'the figures changed with the date');
  await checkParcelColours(EARLIER, 'earlier');
  // And back and forth, still from the same tiles. (Counting the colours above hides and shows
  // layers, which may fetch tiles again: counted from here.)
  await waitIdle();
  const tilesNow = tileRequests.length;
  await page.fill('#as-of', info.today);
  await page.locator('#as-of').dispatchEvent('change');
  await page.waitForSelector(`body[data-as-of-loaded="${info.today}"]`, { timeout: 60000 });
  await page.fill('#as-of', EARLIER);
  await page.locator('#as-of').dispatchEvent('change');
  await page.waitForSelector(`body[data-as-of-loaded="${EARLIER}"]`, { timeout: 60000 });
  assert.equal(tileRequests.length, tilesNow, 'no tile was requested again going back and forth');
});

test('a corridor shows its chainage strip with the blocking stretches `corridor` reports', { skip: BIG }, async () => {
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
  const outlinedCodes = await page.evaluate(() => window.landclear.map.getFilter('parcels-blocking')[2]);
  assert.deepEqual([...outlinedCodes].sort(), [...listed].sort(), 'the outline layer holds exactly the blocking parcels');
  // Zoomed to the first of them: drawn in red, and every red one is a blocking parcel.
  const first = [...listed][0];
  const p = await (await fetch(new URL(`api/parcel?code=${encodeURIComponent(first)}&as_of=${EARLIER}`, baseUrl))).json();
  await page.evaluate((b) => window.landclear.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { animate: false, maxZoom: 16 }), p.bbox);
  await waitIdle();
  const red = await page.evaluate(() =>
    window.landclear.map.queryRenderedFeatures({ layers: ['parcels-blocking'] }).map((f) => f.properties.code));
  assert.ok(red.includes(first), `${first} is outlined red`);
  for (const code of red) assert.ok(listed.has(code), `${code} outlined red is in a blocking stretch`);
  await page.screenshot({ path: path.join(OUT, 'viewer-corridor.png') });
});

test('the GeoJSON download holds the selected project as of the date', { skip: BIG }, async () => {
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

// PNG width and height from its IHDR.
const pngSize = (buf) => ({ width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) });

test('the meeting map of the selected project downloads as `landclear map` draws it', { skip: BIG }, async () => {
  const status = cliJson(['status', store, '--as-of', EARLIER, '--format', 'json']);
  const project = status.rows.find((r) => r.parcels > 0);
  await page.click('#tabs button[data-tab="projects"]');
  await page.click(`#project-list li[data-code="${project.group}"]`);
  await page.selectOption('#map-format', 'pdf');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#download-map')]);
  assert.equal(download.suggestedFilename(), `会议图_项目_${project.group}_截至${EARLIER}.pdf`, 'named with the as-of date');
  const pdf = path.join(work, 'meeting.pdf');
  await download.saveAs(pdf);
  assert.equal(fs.readFileSync(pdf).subarray(0, 5).toString(), '%PDF-', 'a PDF');
  assert.match(run('pdffonts', [pdf]), /CJK/, 'its Chinese font embedded');
  assert.match(run('pdftotext', [pdf, '-']), new RegExp(EARLIER.replace(/-/g, '.?')), 'the as-of date printed');

  // The PNG from the server and from `landclear map` are the same drawing.
  const r = await fetch(new URL(`api/map?project=${encodeURIComponent(project.group)}&as_of=${EARLIER}&format=png`, baseUrl));
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-disposition'), new RegExp(`attachment; filename="meeting-map_project_${project.group}_${EARLIER}.png"`));
  const served = Buffer.from(await r.arrayBuffer());
  const cli = path.join(work, 'cli-map.png');
  run(BIN, ['map', store, '--project', project.group, '--as-of', EARLIER, '--out', cli]);
  const printed = fs.readFileSync(cli);
  assert.deepEqual(pngSize(served), pngSize(printed), 'same page size');
  assert.ok(served.equals(printed), 'the same PNG as `landclear map`');
  const bad = await fetch(new URL(`api/map?project=NOPE&as_of=${EARLIER}`, baseUrl));
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /NOPE/);
});

const layerStatus = (p) =>
  p.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll('#layer-status li')].map((li) => [li.dataset.layer, {
      state: li.dataset.state,
      text: li.textContent,
    }])));

test('a store with parcels only: the parcels are drawn and the empty layers say so', { skip: BIG }, async () => {
  const partial = path.join(work, 'parcels-only.sqlite');
  importSample(sample, partial, ['parcels']);
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
    await p2.evaluate((v) => window.landclear.map.jumpTo(v), colourView);
    await waitIdle(p2);
    const drawn = await p2.evaluate(() => window.landclear.map.queryRenderedFeatures({ layers: ['parcels-fill'] }).length);
    assert.ok(drawn > 0, `parcels drawn (${drawn})`);
    const status = await layerStatus(p2);
    for (const layer of ['buildings', 'corridors', 'redlines']) {
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

test('a layer whose tiles fail shows its own error while the others are drawn', { skip: BIG }, async () => {
  const failing = /\/tiles\/corridors\//;
  await page.route(failing, (route) =>
    route.fulfill({
      status: 500,
      contentType: 'application/json',
      body: JSON.stringify({ error: 'planted failure for the test' }),
    }));
  try {
    await page.goto(baseUrl);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    const projects = await page.evaluate(() => window.landclear.map.queryRenderedFeatures({ layers: ['projects-fill'] }).length);
    assert.ok(projects > 0, 'the project outlines are drawn although the corridors failed');
    await jumpTo(colourView);
    const drawn = await page.evaluate(() => window.landclear.map.queryRenderedFeatures({ layers: ['parcels-fill'] }).length);
    assert.ok(drawn > 0, 'the parcels are drawn');
    assert.equal(await page.evaluate(() => window.landclear.map.queryRenderedFeatures({ layers: ['corridors-line'] }).length), 0);
    await page.waitForSelector('#layer-status li[data-layer="corridors"]', { timeout: 10000 });
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

// A 1×1 PNG, for a basemap folder.
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

test('a basemap only when asked for: a local tile folder, or a URL template', { skip: BIG }, async () => {
  assert.equal(tileRequests.filter((u) => u.includes('/basemap/')).length, 0);
  const defaults = await (await fetch(new URL('config.json', baseUrl))).json();
  assert.equal(defaults.basemap ?? null, null, 'no basemap by default');

  const folder = path.join(work, 'basemap');
  fs.mkdirSync(path.join(folder, '9', '416'), { recursive: true });
  fs.writeFileSync(path.join(folder, '9', '416', '215.png'), PNG_1PX);
  const { proc, url } = await serve(store, ['--basemap', folder]);
  const p3 = await context.newPage();
  const asked = [];
  p3.on('request', (r) => { if (r.url().includes('/basemap/')) asked.push(r.url()); });
  try {
    await p3.goto(url);
    await p3.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    const layers = await p3.evaluate(() => window.landclear.map.getStyle().layers.map((l) => `${l.id}:${l.type}`));
    assert.ok(layers.includes('basemap:raster'), 'a raster basemap under the data');
    assert.ok(asked.length > 0 && asked.every((u) => u.startsWith(`${url}basemap/`)), 'its tiles come from landclear');
    const tile = await fetch(new URL('basemap/9/416/215', url));
    assert.equal(tile.status, 200);
    assert.equal(tile.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await tile.arrayBuffer()), PNG_1PX);
    assert.equal((await fetch(new URL('basemap/9/416/216', url))).status, 204, 'a tile the folder lacks: no content');
  } finally {
    await p3.close();
    proc.kill('SIGTERM');
  }

  const template = 'https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY';
  const remote = await serve(store, ['--basemap', template]);
  try {
    const r = await fetch(new URL('config.json', remote.url));
    assert.equal((await r.json()).basemap.url, template);
    assert.match(r.headers.get('content-security-policy'), /connect-src 'self' http: https:/);
  } finally {
    remote.proc.kill('SIGTERM');
  }
});

test('the page fetched nothing from outside the server and raised no script error', () => {
  assert.deepEqual(outside, []);
  assert.deepEqual(pageErrors, []);
});

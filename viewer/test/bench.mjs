// Benchmark of the web map on a store (not a test: nothing is asserted). Starts `landclear serve
// STORE`, opens the page in headless Chromium and measures the first view (page open to map drawn
// with the figures), a zoom to the busiest project at map zoom 14 (once the corridor analysis and
// its blocking parcels are in), and then the latency of
// cold parcel tiles (every tile over every project at tile zooms 12–14, each asked once, as a
// map does; then the same tiles again, from the cache). Prints JSON.
//   node test/bench.mjs STORE [--tiles N] [--warm] [--browser-late] [--serve-arg ARG ...]
//   (env as for the e2e test: LANDCLEAR_BIN, LANDCLEAR_VIEWER_DIR)
// --warm opens the page only once the server's warm-up is done (the tile index built, the
// project figures and today's corridor analysis made): the "warm" first view. Without it the page opens as soon as the
// server listens, as a user who starts the server and opens the page at once. The store's disk
// cache (STORE.tiles) is used as it is: remove it for a first start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './helpers.mjs';

const store = process.argv[2];
const maxTiles = process.argv.includes('--tiles') ? Number(process.argv[process.argv.indexOf('--tiles') + 1]) : 400;
const warm = process.argv.includes('--warm');
const serveArgs = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--serve-arg' ? [a] : []));
if (!store) {
  console.error('usage: node test/bench.mjs STORE [--tiles N] [--warm] [--browser-late] [--serve-arg ARG ...]');
  process.exit(2);
}

const out = { store: path.basename(store), loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) };
// The browser is started before the server, as a planner's browser is already running when the
// server starts: started after it (--browser-late, the protocol before session 11), its own
// start (about a second of both cores) ran beside the server's warm-up and was charged to the
// server's first view.
const browserLate = process.argv.includes('--browser-late');
out.browser = browserLate ? 'started after the server' : 'running before the server starts';
async function launchBrowser() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'landclear-bench-'));
  const context = await chromium.launchPersistentContext(work, {
    executablePath: process.env.LANDCLEAR_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'],
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] || (await context.newPage());
  return { work, context, page };
}
let browser = null;
if (!browserLate) {
  browser = await launchBrowser();
  await new Promise((r) => setTimeout(r, 1000)); // its start's own work done, as when running
}
let t0 = Date.now();
const { proc, url } = await serve(store, serveArgs);
out.serve_listening_ms = Date.now() - t0;
out.disk_cache_before = fs.existsSync(store + '.tiles');
if (warm) {
  // The warm-up builds the index (features > 0 once both parts are in) and makes the figures.
  for (;;) {
    const info = await (await fetch(new URL('api/info', url))).json();
    if (info.tile_cache.features >= info.counts.parcels) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await (await fetch(new URL('api/projects', url))).json();
  // And today's corridor analysis, the warm-up's last part: asked for, it answers once the
  // warm-up's computation is done (one computation at a time, the others wait for its result).
  await (await fetch(new URL('api/blocking', url))).json();
  out.warm_ready_ms = Date.now() - t0;
}

if (!browser) browser = await launchBrowser();
const { work, context, page } = browser;
let tileCount = 0;
page.on('request', (r) => { if (r.url().includes('/tiles/')) tileCount++; });
t0 = Date.now();
await page.goto(url);
// Told by the page itself the moment it sets data-ready: waitForSelector polls with a back-off
// (up to 0.5 s between looks) and reported the first view up to 0.5 s late.
await page.evaluate(() => new Promise((resolve) => {
  const ready = () => document.body.dataset.ready === '1';
  if (ready()) return resolve();
  new MutationObserver((_, o) => { if (ready()) { o.disconnect(); resolve(); } })
    .observe(document.body, { attributes: true, attributeFilter: ['data-ready'] });
}));
out.first_view_ms = Date.now() - t0;
// The page's own clock (from its navigation start: the browser's start of the page before it is
// left out) and its marks: where the first view's time went.
out.first_view_in_page_ms = Math.round(await page.evaluate(() => window.landclear.readyMs));
out.first_view_marks = await page.evaluate(() =>
  Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace('landclear:', ''), Math.round(m.startTime)])));
out.first_view_tiles = tileCount;

// The corridor analysis (the list of corridors, the blocking parcels outlined on the map) comes
// after the first view; the zoom below is timed with it in place, as a planner who looks around
// first would see it.
await page.waitForSelector('body:not([data-corridors-as-of=""])[data-corridors-as-of]', { timeout: 600000 });
out.corridors_loaded_ms = Date.now() - t0;
out.blocking_parcels = await page.evaluate(() => window.landclear.state.blocking.size);

const projects = await (await fetch(new URL('api/projects', url))).json();
const busiest = projects.projects.filter((p) => p.bbox).sort((a, b) => b.parcels - a.parcels)[0];
tileCount = 0;
t0 = Date.now();
await page.evaluate((b) => {
  window.landclear.map.jumpTo({ center: [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], zoom: 14 });
  return window.landclear.mapIdle();
}, busiest.bbox);
out.zoom14_view_ms = Date.now() - t0;
out.zoom14_tiles = tileCount;
await page.screenshot({ path: path.join(work, 'zoom14.png') });
await context.close();

// Cold tiles: every parcel tile over every project, tile zooms 12-14, not asked by the page.
const half = Math.PI * 6378137;
const merc = (lon, lat) => [(lon * Math.PI * 6378137) / 180, 6378137 * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))];
const tileOf = ([mx, my], z) => {
  const size = (2 * half) / 2 ** z;
  return [Math.floor((mx + half) / size), Math.floor((half - my) / size)];
};
const wanted = new Set();
for (const z of [12, 13, 14])
  for (const p of projects.projects) {
    if (!p.bbox) continue;
    const [x0, y1] = tileOf(merc(p.bbox[0], p.bbox[1]), z);
    const [x1, y0] = tileOf(merc(p.bbox[2], p.bbox[3]), z);
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) wanted.add(`${z}/${x}/${y}`);
  }
const list = [...wanted].slice(0, maxTiles);
const timeAll = async () => {
  const ms = [];
  let bytes = 0;
  for (const t of list) {
    const s = performance.now();
    const r = await fetch(new URL(`tiles/parcels/${t}.mvt`, url), { headers: { 'Accept-Encoding': 'gzip' } });
    bytes += (await r.arrayBuffer()).byteLength;
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  const q = (f) => Number(ms[Math.min(ms.length - 1, Math.floor(f * ms.length))].toFixed(1));
  return { tiles: ms.length, p50_ms: q(0.5), p95_ms: q(0.95), p99_ms: q(0.99), max_ms: q(1), mean_bytes: Math.round(bytes / ms.length) };
};
out.parcel_tiles_cold = await timeAll();
out.parcel_tiles_cached = await timeAll();
out.tile_cache = (await (await fetch(new URL('api/info', url))).json()).tile_cache;
proc.kill('SIGTERM');
fs.rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 2));

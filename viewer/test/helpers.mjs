// What the viewer's node tests share: running landclear, starting `landclear serve`, and SQL on
// the source data through GDAL's SQLite dialect (SpatiaLite functions), the independent side of
// every comparison.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE = process.env.LANDCLEAR_SOURCE_DIR || path.resolve(here, '../..');
export const BIN = process.env.LANDCLEAR_BIN || path.join(SOURCE, 'build/release/engine/landclear');
export const VIEWER = process.env.LANDCLEAR_VIEWER_DIR || '';

export function run(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

// Rows of an SQL query on a GDAL dataset as CSV read back by splitting: the queries return codes,
// dates and numbers only.
export function ogrRows(dataset, sql) {
  const text = run('ogr2ogr', ['-f', 'CSV', '/vsistdout/', dataset, '-dialect', 'SQLite', '-sql', sql]);
  const lines = text.trim().split(/\r?\n/);
  const head = lines.shift().split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v.replace(/^"|"$/g, '')])));
}

// The sample to test on: data/sample.gpkg, or one made by the generator (with --parcels N a
// city-sized one) in `work`.
export function sampleFile(work, parcels) {
  const committed = path.join(SOURCE, 'data', 'sample.gpkg');
  if (!parcels && fs.existsSync(committed)) return committed;
  const gen = process.env.LANDCLEAR_SAMPLE_BIN;
  assert.ok(gen && fs.existsSync(gen), 'data/sample.gpkg or LANDCLEAR_SAMPLE_BIN is needed');
  const out = path.join(work, parcels ? `sample-${parcels}.gpkg` : 'sample.gpkg');
  const args = ['--out', out, '--districts', path.join(SOURCE, 'data', 'xiangtan_districts.geojson')];
  if (parcels) args.push('--parcels', String(parcels));
  run(gen, args);
  return out;
}

export function importSample(sample, store, layers = ['parcels', 'buildings', 'corridors', 'projects']) {
  const args = ['import', store, '--quiet'];
  for (const l of layers) args.push(`--${l}`, `${sample}:${l}`);
  run(BIN, args);
}

// `landclear serve STORE` on a free port; resolves with the process and its base URL.
export async function serve(storePath, extra = []) {
  const proc = spawn(BIN, ['serve', storePath, '--port', '0', '--viewer', VIEWER, '--quiet', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`landclear serve did not start: ${log}`)), 60000);
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

// Web Mercator (EPSG:3857) metres -> tile coordinates (0..4096) of tile z/x/y.
export function tileCoords(mx, my, z, x, y, extent = 4096) {
  const half = Math.PI * 6378137;
  const size = (2 * half) / 2 ** z;
  return [((mx + half - x * size) / size) * extent, ((half - my - y * size) / size) * extent];
}

export function tileOf(mx, my, z) {
  const half = Math.PI * 6378137;
  const size = (2 * half) / 2 ** z;
  return [Math.floor((mx + half) / size), Math.floor((half - my) / size)];
}

// The tile's box in EPSG:3857 metres, grown by `buffer` tile units on each side.
export function tileBox(z, x, y, buffer = 0, extent = 4096) {
  const half = Math.PI * 6378137;
  const size = (2 * half) / 2 ** z;
  const b = (buffer / extent) * size;
  return { minx: -half + x * size - b, maxx: -half + (x + 1) * size + b, miny: half - (y + 1) * size - b, maxy: half - y * size + b };
}

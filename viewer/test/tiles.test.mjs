// The vector tiles of `landclear serve` decoded by an independent MVT decoder (@mapbox/vector-tile
// + pbf, from npm) and compared with the sample itself through SpatiaLite (GDAL's SQLite dialect
// reprojecting to EPSG:3857 with PROJ): which parcels and buildings a tile holds, their codes,
// projects and dates, and their geometry within the tile's precision (a grid of 1/4096 of the
// tile from zoom 14, of a quarter pixel below). Run by CTest (viewer_tiles) through run-e2e.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader as Pbf } from 'pbf';
import { BIN, importSample, ogrRows, run, sampleFile, serve, tileBox, tileCoords, tileOf } from './helpers.mjs';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'landclear-tiles-'));
let sample;
let server;
let base;

// Features of an SQL query as GeoJSON in the query's own CRS (here EPSG:3857 metres).
function sqlFeatures(sql) {
  const text = run('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', sample, '-dialect', 'SQLite', '-sql', sql,
    '-lco', 'RFC7946=NO', '-lco', 'COORDINATE_PRECISION=4']);
  return JSON.parse(text).features;
}

async function getTile(layer, z, x, y) {
  const r = await fetch(new URL(`tiles/${layer}/${z}/${x}/${y}.mvt`, base));
  assert.equal(r.status, 200, `tile ${layer}/${z}/${x}/${y}`);
  assert.equal(r.headers.get('content-type'), 'application/vnd.mapbox-vector-tile');
  const bytes = new Uint8Array(await r.arrayBuffer());
  return { bytes, tile: new VectorTile(new Pbf(bytes)) };
}

function decoded(tile, layer) {
  const l = tile.layers[layer];
  if (!l) return [];
  assert.equal(l.extent, 4096, 'extent 4096');
  assert.equal(l.version, 2, 'MVT version 2');
  const out = [];
  for (let i = 0; i < l.length; i++) out.push(l.feature(i));
  return out;
}

const day = (v) => (v ? Number(v.replace(/[/-]/g, '').slice(0, 8)) : undefined);

// Signed area by the surveyor's formula in tile coordinates (MVT: exterior rings positive).
function ringArea(ring) {
  let a = 0;
  for (let i = 0; i < ring.length; i++) {
    const p = ring[i];
    const q = ring[(i + 1) % ring.length];
    a += p.x * q.y - q.x * p.y;
  }
  return a / 2;
}

// The polygons of a GeoJSON geometry as rings of tile coordinates, and their net area.
function expectedRings(geometry, z, x, y) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const rings = [];
  let area = 0;
  for (const poly of polys)
    poly.forEach((ring, i) => {
      const pts = ring.map(([mx, my]) => {
        const [tx, ty] = tileCoords(mx, my, z, x, y);
        return { x: tx, y: ty };
      });
      rings.push(pts);
      area += (i === 0 ? 1 : -1) * Math.abs(ringArea(pts));
    });
  return { rings, area };
}

const nearest = (p, pts) => Math.min(...pts.map((q) => Math.hypot(p.x - q.x, p.y - q.y)));

before(async () => {
  assert.ok(fs.existsSync(BIN), `landclear executable ${BIN}`);
  sample = sampleFile(work);
  const store = path.join(work, 'sample.sqlite');
  importSample(sample, store);
  ({ proc: server, url: base } = await serve(store));
});

after(() => {
  if (server) server.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
});

// The tile at zoom z holding the centre of the project with the most parcels.
function busyTile(z) {
  const [c] = ogrRows(sample, `SELECT ST_X(ST_Transform(ST_Centroid(ST_Collect(geom)), 3857)) AS x,
      ST_Y(ST_Transform(ST_Centroid(ST_Collect(geom)), 3857)) AS y, count(*) AS n
    FROM parcels GROUP BY project_code ORDER BY n DESC LIMIT 1`);
  const [x, y] = tileOf(Number(c.x), Number(c.y), z);
  return { z, x, y };
}

for (const z of [14, 12]) {
  test(`parcels of a zoom ${z} tile: codes, dates and geometry as in the sample`, async () => {
    const { x, y } = busyTile(z);
    const { tile, bytes } = await getTile('parcels', z, x, y);
    const features = decoded(tile, 'parcels');
    assert.ok(features.length > 20, `the tile holds parcels (${features.length})`);
    const byCode = new Map(features.map((f) => [f.properties.code, f]));
    assert.equal(byCode.size, features.length, 'one feature per parcel');

    const box = tileBox(z, x, y, 64);
    const tileMetres = (2 * Math.PI * 6378137) / 2 ** z;
    const unit = tileMetres / 4096;
    const pixel = unit * 8; // the map draws a tile 512 pixels wide
    const rows = sqlFeatures(`SELECT parcel_code, project_code, acquired_on, cleared_on, delivered_on,
        ST_Area(ST_Intersection(ST_Transform(geom, 3857), BuildMbr(${box.minx}, ${box.miny}, ${box.maxx}, ${box.maxy}, 3857))) AS inside_m2,
        MbrMaxX(ST_Transform(geom, 3857)) - MbrMinX(ST_Transform(geom, 3857)) AS w,
        MbrMaxY(ST_Transform(geom, 3857)) - MbrMinY(ST_Transform(geom, 3857)) AS h,
        ST_Transform(geom, 3857) AS geom
      FROM parcels
      WHERE MbrIntersects(ST_Transform(geom, 3857), BuildMbr(${box.minx}, ${box.miny}, ${box.maxx}, ${box.maxy}, 3857))`);
    const candidates = new Set(rows.map((r) => r.properties.parcel_code));
    for (const code of byCode.keys()) assert.ok(candidates.has(code), `${code} in the tile lies in its buffered box`);
    // Every parcel with area in the buffered box is there, but for those smaller than a pixel
    // below zoom 14 (left out on purpose).
    for (const r of rows) {
      const p = r.properties;
      const speck = z < 14 && Number(p.w) < pixel && Number(p.h) < pixel;
      if (Number(p.inside_m2) > 4 * unit * unit && !speck)
        assert.ok(byCode.has(p.parcel_code), `parcel ${p.parcel_code} (${Number(p.inside_m2).toFixed(1)} m² in the box) is in the tile`);
    }

    // Parcels wholly inside the tile: the same geometry within the grid the vertices snap to.
    const snap = z < 14 ? 2 : 1;
    let compared = 0;
    for (const r of rows) {
      const p = r.properties;
      const f = byCode.get(p.parcel_code);
      if (!f) continue;
      assert.equal(f.type, 3, 'a polygon');
      assert.equal(f.properties.project, p.project_code, `${p.parcel_code} project`);
      assert.equal(f.properties.acquired, day(p.acquired_on), `${p.parcel_code} acquired`);
      assert.equal(f.properties.cleared, day(p.cleared_on), `${p.parcel_code} cleared`);
      assert.equal(f.properties.delivered, day(p.delivered_on), `${p.parcel_code} delivered`);
      const want = expectedRings(r.geometry, z, x, y);
      const inside = want.rings.flat().every((q) => q.x >= 0 && q.x <= 4096 && q.y >= 0 && q.y <= 4096);
      if (!inside) continue;
      const got = f.loadGeometry();
      const gotPts = got.flat();
      const wantPts = want.rings.flat();
      for (const q of wantPts)
        assert.ok(nearest(q, gotPts) <= snap, `${p.parcel_code}: vertex (${q.x.toFixed(1)}, ${q.y.toFixed(1)}) kept within ${snap} units`);
      for (const q of gotPts)
        assert.ok(nearest(q, wantPts) <= snap, `${p.parcel_code}: decoded vertex (${q.x}, ${q.y}) is a stored one`);
      const area = got.reduce((s, ring) => s + ringArea(ring), 0);
      assert.ok(area > 0, `${p.parcel_code}: exterior rings positive (clockwise in tile coordinates)`);
      const perimeter = want.rings.reduce((s, ring) => s + ring.reduce((t, q, i) => t + Math.hypot(q.x - ring[(i + 1) % ring.length].x, q.y - ring[(i + 1) % ring.length].y), 0), 0);
      assert.ok(Math.abs(area - want.area) <= perimeter * snap,
        `${p.parcel_code}: area ${area} against ${want.area.toFixed(1)} tile units²`);
      compared++;
    }
    assert.ok(compared > 10, `geometries compared (${compared})`);

    // The cache answers the same bytes.
    const again = await getTile('parcels', z, x, y);
    assert.deepEqual(again.bytes, bytes);
  });
}

test('buildings of a zoom 14 tile: codes, parcels and dates as in the sample', async () => {
  const { x, y } = busyTile(14);
  const box = tileBox(14, x, y, 64);
  const { tile } = await getTile('buildings', 14, x, y);
  const got = new Map(decoded(tile, 'buildings').map((f) => [f.properties.code, f]));
  const rows = ogrRows(sample, `SELECT building_code, parcel_code, signed_on, demolished_on,
      ST_Area(ST_Intersection(ST_Transform(geom, 3857), BuildMbr(${box.minx}, ${box.miny}, ${box.maxx}, ${box.maxy}, 3857))) AS inside_m2
    FROM buildings WHERE MbrIntersects(ST_Transform(geom, 3857), BuildMbr(${box.minx}, ${box.miny}, ${box.maxx}, ${box.maxy}, 3857))`);
  const candidates = new Set(rows.map((r) => r.building_code));
  for (const code of got.keys()) assert.ok(candidates.has(code), `${code} lies in the box`);
  let inside = 0;
  for (const r of rows) {
    if (Number(r.inside_m2) <= 0.05) continue;
    inside++;
    const f = got.get(r.building_code);
    assert.ok(f, `building ${r.building_code} is in the tile`);
    assert.equal(f.properties.parcel, r.parcel_code);
    assert.equal(f.properties.signed, day(r.signed_on));
    assert.equal(f.properties.demolished, day(r.demolished_on));
  }
  assert.ok(inside > 0, 'the tile has buildings');
});

test('below the parcels zoom: empty parcel tiles, and every project outlined with its code', async () => {
  const info = await (await fetch(new URL('api/info', base))).json();
  const parcels = info.tiles.find((t) => t.name === 'parcels');
  assert.ok(parcels.min_zoom >= 11 && parcels.tile_size === 512, 'parcels from a zoom where they can be seen');
  const { x, y } = busyTile(parcels.min_zoom - 1);
  const r = await fetch(new URL(`tiles/parcels/${parcels.min_zoom - 1}/${x}/${y}.mvt`, base));
  assert.equal(r.status, 200);
  assert.equal((await r.arrayBuffer()).byteLength, 0, 'an empty tile');

  // Every zoom 8 tile over the sample's extent: the project outlines.
  const [e] = ogrRows(sample, `SELECT MbrMinX(ST_Transform(BuildMbr(min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)), ST_SRID(geom)), 3857)) AS x0,
      MbrMinY(ST_Transform(BuildMbr(min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)), ST_SRID(geom)), 3857)) AS y0,
      MbrMaxX(ST_Transform(BuildMbr(min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)), ST_SRID(geom)), 3857)) AS x1,
      MbrMaxY(ST_Transform(BuildMbr(min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)), ST_SRID(geom)), 3857)) AS y1
    FROM parcels`);
  const [tx0, ty1] = tileOf(Number(e.x0), Number(e.y0), 8);
  const [tx1, ty0] = tileOf(Number(e.x1), Number(e.y1), 8);
  const codes = new Set();
  for (let tx = tx0; tx <= tx1; tx++)
    for (let ty = ty0; ty <= ty1; ty++) {
      const { tile } = await getTile('projects', 8, tx, ty);
      for (const f of decoded(tile, 'projects')) {
        assert.equal(f.type, 3, 'outlines are polygons');
        codes.add(f.properties.code);
      }
    }
  const want = new Set([
    ...ogrRows(sample, 'SELECT DISTINCT project_code FROM parcels').map((r) => r.project_code),
    ...ogrRows(sample, 'SELECT project_code FROM projects WHERE geom IS NOT NULL').map((r) => r.project_code),
  ]);
  assert.deepEqual([...codes].sort(), [...want].sort(), 'one outline per project with a red line or parcels');
});

test('bad tile requests get a JSON error naming the problem', async () => {
  for (const [target, status, text] of [
    ['tiles/nope/3/1/1.mvt', 404, /no tile layer 'nope'/],
    ['tiles/parcels/3/8/0.mvt', 400, /does not exist/],
    ['tiles/parcels/23/0/0.mvt', 400, /zoom 23/],
    ['tiles/parcels/3/1/1.mvt?x=1', 400, /x/],
  ]) {
    const r = await fetch(new URL(target, base));
    assert.equal(r.status, status, target);
    const body = await r.json();
    assert.match(body.error, text, target);
  }
});

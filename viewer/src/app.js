// 征地拆迁一张图: the page served by `landclear serve`. A plain browser module over MapLibre GL JS
// (vendor/maplibre, copied from npm by the build): no bundler, no CDN, no network beyond the
// server it came from (and a basemap, when one is configured). Every figure comes from the server's API (docs/VIEWER.md), which
// computes it with the same library calls as `landclear status` and `landclear corridor`.
// Text from the data (names, codes) is only ever set with textContent, never as HTML.
import * as maplibregl from './vendor/maplibre/maplibre-gl.mjs';
import { createIssues, fetchIssues, issueStyle } from './issues.js';

// The map's worker (its own 330 KB module to fetch and compile) is started now, while the page
// asks the server for its figures, rather than when the map is made.
maplibregl.prewarm();

(function () {
  // Stage labels and colours come from the server (GET /api/stages: the engine's core/stage.hpp,
  // the palette the printed maps use), filled in by applyStages() before anything is drawn.
  const STAGES = {}; // parcel stage key -> { label, color }: none, acquired, cleared, delivered
  const BUILDING_STAGES = {}; // not_signed, signed, demolished
  const palette = { attention: null }; // red: overdue or blocking, nothing else
  const OWNER_TYPES = { 国有: '国有', 集体: '集体', state: '国有', collective: '集体' };
  // GB/T 21010-2017 codes seen in this office's data; others show as their code.
  const LAND_CLASSES = {
    '0101': '水田', '0102': '水浇地', '0103': '旱地', '0201': '果园', '0202': '茶园',
    '0301': '乔木林地', '0305': '灌木林地', '0307': '其他林地', '0401': '天然牧草地',
    '0404': '其他草地', '0601': '工业用地', '0602': '采矿用地', '0701': '城镇住宅用地',
    '0702': '农村宅基地', '0801': '机关团体用地', '1001': '铁路用地', '1003': '公路用地',
    '1004': '城镇村道路用地', '1006': '农村道路', '1101': '河流水面', '1104': '坑塘水面',
    '1107': '沟渠', '1202': '设施农用地', '1203': '田坎',
  };

  const state = {
    info: null,
    config: {},
    asOf: null,
    firstIssues: null, // the issue list the map's style opens with (issues.js)
    projects: null,
    corridors: null,
    blocking: new Set(), // parcel codes in a blocking stretch of some corridor, as of the date
    selectedProject: null,
    selectedCorridor: null,
    layerErrors: {}, // tile layer name -> the error of its tiles
    tab: 'projects',
  };

  const $ = (id) => document.getElementById(id);

  // el('div', { class: 'x', dataset: { key: 'v' } }, 'text', child, ...)
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null) continue;
      if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k === 'style') Object.assign(node.style, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c == null) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const mu = (v) => (v == null ? '—' : Number(v).toFixed(2));
  const pct = (v) => (v == null ? '—' : Number(v).toFixed(1));
  const m2 = (v) => (v == null ? '—' : Number(v).toFixed(2));
  const int = (v) => String(v == null ? 0 : v);
  const fig = (key, text) => el('b', { dataset: { key } }, text);
  const chainage = (m) => {
    const metres = Math.round(m);
    const km = Math.floor(metres / 1000);
    return `K${km}+${String(metres - km * 1000).padStart(3, '0')}`;
  };

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  async function getJson(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' } });
    let body = null;
    try {
      body = await r.json();
    } catch (_) {
      body = null;
    }
    if (!r.ok) {
      const e = new Error((body && body.error) || `HTTP ${r.status}`);
      e.status = r.status;
      e.hint = body && body.hint;
      throw e;
    }
    return body;
  }

  function message(text, kind) {
    const m = $('message');
    m.textContent = text || '';
    m.className = kind || '';
  }

  function errorText(e) {
    return e.hint ? `${e.message}（${e.hint}）` : e.message;
  }

  // ---- map ----------------------------------------------------------------------------------
  // Vector tiles from the server (GET tiles/{layer}/{z}/{x}/{y}.mvt), one source per layer so
  // that a layer whose tiles fail shows its own error while the others draw. Each parcel carries
  // its acquired/cleared/delivered dates (YYYYMMDD integers): the fill is computed on the GPU
  // from the global state `asOf`, so changing the date restyles the tiles the map already has,
  // without asking the server again. Selection and blocking outlines work the same way.
  const NEVER = 99999999; // a date that is never reached: the feature has no such date
  const dateNumber = (iso) => Number(iso.replaceAll('-', ''));
  const tileBase = location.origin + location.pathname.replace(/[^/]*$/, '');
  const LAYER_NAMES = {
    parcels: '宗地', buildings: '房屋', redlines: '项目红线', corridors: '线路', segments: '线路分段',
    projects: '项目范围', findings: '检查问题',
  };
  // Store layers behind each tile layer (for "the store holds none").
  const STORE_LAYER = { parcels: 'parcels', buildings: 'buildings', redlines: 'projects', corridors: 'corridors', projects: 'parcels' };
  let map = null;

  const reached = (prop) => ['<=', ['coalesce', ['get', prop], NEVER], ['global-state', 'asOf']];

  function parcelFill() {
    return ['case',
      reached('delivered'), STAGES.delivered.color,
      reached('cleared'), STAGES.cleared.color,
      reached('acquired'), STAGES.acquired.color,
      STAGES.none.color];
  }

  function buildingFill() {
    return ['case',
      reached('demolished'), BUILDING_STAGES.demolished.color,
      reached('signed'), BUILDING_STAGES.signed.color,
      BUILDING_STAGES.not_signed.color];
  }

  // Others dimmed while a project is selected.
  const selectedOr = (on, off) =>
    ['case', ['any', ['==', ['global-state', 'project'], ''], ['==', ['get', 'project'], ['global-state', 'project']]], on, off];

  function clearedExpression() {
    // The chainage strip's scale: grey (nothing cleared) to orange (almost all), green (all).
    return ['case',
      ['>=', ['coalesce', ['feature-state', 'cleared_pct'], 0], 100 - 1e-9], STAGES.delivered.color,
      ['interpolate', ['linear'], ['coalesce', ['feature-state', 'cleared_pct'], 0],
        0, STAGES.none.color, 100, STAGES.cleared.color]];
  }

  function tileSource(name) {
    const t = (state.info.tiles || []).find((x) => x.name === name) || { min_zoom: 0, max_zoom: 16 };
    // Drawn 512 pixels wide (MapLibre's only size for vector tiles): a tile of zoom z shows at
    // map zoom z + 1, as the server's zoom rules assume.
    const src = { type: 'vector', tiles: [tileBase + t.url], minzoom: t.min_zoom, maxzoom: t.max_zoom };
    if (name === 'projects') src.promoteId = 'code';
    return src;
  }

  function basemapSources(bm) {
    if (!bm || !bm.url) return {};
    const expand = (given, subdomains) => {
      // A local folder (serve --basemap DIR) is served by landclear itself, at basemap/.
      const url = /^https?:\/\//.test(given) ? given : tileBase + given;
      if (!url.includes('{s}')) return [url];
      return [...(subdomains || 'abc')].map((s) => url.replace('{s}', s));
    };
    const out = {
      basemap: {
        type: 'raster', tiles: expand(bm.url, bm.subdomains), tileSize: 256,
        maxzoom: bm.max_zoom || 18, attribution: bm.attribution || '',
      },
    };
    (bm.overlays || []).forEach((o, i) => {
      out[`basemap-overlay-${i}`] = { type: 'raster', tiles: expand(o.url, o.subdomains || bm.subdomains), tileSize: 256, maxzoom: bm.max_zoom || 18 };
    });
    return out;
  }

  function mapStyle() {
    const bm = state.config.basemap;
    const base = basemapSources(bm);
    const sources = { ...base };
    for (const name of Object.keys(LAYER_NAMES)) sources[name] = tileSource(name);
    const parcelsMin = sources.parcels.minzoom + 1; // map zooms
    const buildingsMin = sources.buildings.minzoom + 1;
    // Opaque parcels on a plain background; a little see-through over a basemap.
    const fillOpacity = bm && bm.url ? 0.75 : 1;
    const attention = palette.attention;
    const issueLayers = issueStyle(state.firstIssues, attention);
    Object.assign(sources, issueLayers.sources);
    return {
      version: 8,
      state: { asOf: { default: dateNumber(state.asOf) }, project: { default: '' } },
      sources,
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#f2efe9' } },
        ...Object.keys(base).map((id) => ({ id, type: 'raster', source: id })),
        // Below the parcels' zoom: each project's outline, filled by its cleared share.
        { id: 'projects-fill', type: 'fill', source: 'projects', 'source-layer': 'projects', maxzoom: parcelsMin,
          // No antialiased edge: projects-line draws the outline (one line program less to run
          // in software WebGL).
          paint: { 'fill-color': clearedExpression(), 'fill-opacity': 0.55, 'fill-antialias': false } },
        { id: 'projects-line', type: 'line', source: 'projects', 'source-layer': 'projects', maxzoom: parcelsMin,
          paint: { 'line-color': '#5d4037', 'line-width': 1 } },
        { id: 'parcels-fill', type: 'fill', source: 'parcels', 'source-layer': 'parcels', minzoom: parcelsMin,
          paint: { 'fill-color': parcelFill(), 'fill-opacity': selectedOr(fillOpacity, 0.25), 'fill-antialias': false } },
        { id: 'parcels-line', type: 'line', source: 'parcels', 'source-layer': 'parcels', minzoom: 15,
          paint: { 'line-color': '#555', 'line-width': 0.5, 'line-opacity': selectedOr(1, 0.4) } },
        { id: 'parcels-blocking', type: 'line', source: 'parcels', 'source-layer': 'parcels', minzoom: parcelsMin,
          filter: blockingFilter([...(blockingOnMap = state.blocking)]),
          paint: { 'line-color': attention, 'line-width': 1.5 } },
        { id: 'buildings-fill', type: 'fill', source: 'buildings', 'source-layer': 'buildings', minzoom: buildingsMin,
          paint: { 'fill-color': buildingFill(), 'fill-opacity': ['case', reached('demolished'), 0.3, 0.7] } },
        { id: 'buildings-line', type: 'line', source: 'buildings', 'source-layer': 'buildings', minzoom: buildingsMin,
          paint: { 'line-color': '#4e342e', 'line-width': 0.8 } },
        { id: 'segments-line', type: 'line', source: 'segments', 'source-layer': 'segments',
          paint: { 'line-color': attention, 'line-width': 0.5, 'line-opacity': 0.5 } },
        // From the parcels' zoom: below it the project outlines (a project's red line, or the box
        // of its parcels) already draw them, and a dashed line is among the dearest things to
        // draw in software WebGL (the first view at a million parcels, docs/VIEWER.md).
        { id: 'redlines-line', type: 'line', source: 'redlines', 'source-layer': 'redlines', minzoom: parcelsMin,
          paint: { 'line-color': '#8e0000', 'line-width': 1.5, 'line-dasharray': [3, 2] } },
        { id: 'corridors-line', type: 'line', source: 'corridors', 'source-layer': 'corridors',
          paint: { 'line-color': attention, 'line-width': 3, 'line-opacity': 0.9 } },
        { id: 'findings-point', type: 'circle', source: 'findings', 'source-layer': 'findings',
          filter: ['==', ['geometry-type'], 'Point'],
          paint: { 'circle-color': '#7b1fa2', 'circle-radius': 4, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
        { id: 'findings-line', type: 'line', source: 'findings', 'source-layer': 'findings',
          filter: ['!=', ['geometry-type'], 'Point'],
          paint: { 'line-color': '#7b1fa2', 'line-width': 1.5 } },
        ...issueLayers.layers, // on top, as the meeting maps draw them
      ],
    };
  }

  function fitBox(box, maxZoom, bottom) {
    if (!box || !map) return;
    map.fitBounds([[box[0], box[1]], [box[2], box[3]]], {
      padding: { top: 20, left: 20, right: 20, bottom: bottom || 20 },
      maxZoom: maxZoom || 18, animate: false,
    });
  }

  function viewBox() {
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }

  // One line per layer that failed to load or that the store holds nothing of, so a layer that
  // cannot be drawn says so on its own while the others are drawn.
  function showLayerStatus() {
    const list = $('layer-status');
    if (!list) return;
    const items = [];
    for (const [name, e] of Object.entries(state.layerErrors))
      items.push(el('li', { class: 'error', dataset: { layer: name, state: 'error' } },
        `${LAYER_NAMES[name] || name}图层加载失败：${errorText(e)}`));
    const counts = (state.info && state.info.counts) || {};
    for (const [name, storeLayer] of Object.entries(STORE_LAYER))
      if (!state.layerErrors[name] && counts[storeLayer] === 0 && name !== 'projects')
        items.push(el('li', { class: 'muted', dataset: { layer: name, state: 'empty' } },
          `${LAYER_NAMES[name]}图层为空（库中没有${LAYER_NAMES[name]}）`));
    list.replaceChildren(...items);
  }

  // A tile that failed: its layer says why (the server's JSON error when there is one).
  async function tileError(e) {
    const name = e.sourceId;
    if (!name || !LAYER_NAMES[name] || state.layerErrors[name]) return;
    const err = new Error((e.error && e.error.message) || '?');
    state.layerErrors[name] = err;
    try {
      const body = e.error && e.error.body;
      const text = body && (typeof body === 'string' ? body : await body.text());
      const j = text && JSON.parse(text);
      if (j && j.error) {
        err.message = j.error;
        err.hint = j.hint;
      }
    } catch (_) {
      // not JSON: keep the transport's message
    }
    showLayerStatus();
    message(`部分地图图层加载失败：${Object.keys(state.layerErrors).map((n) => LAYER_NAMES[n] || n).join('、')}`);
  }

  // One labelled marker per project at the centre of its extent, for the city-wide view below
  // the parcels' zoom, coloured like the chainage strip; its figures follow the date.
  let overview = [];
  function renderOverview() {
    for (const o of overview) o.marker.remove();
    overview = [];
    if (!map) return;
    for (const p of state.projects.projects) {
      if (map.getSource('projects'))
        map.setFeatureState({ source: 'projects', sourceLayer: 'projects', id: p.group },
          { cleared_pct: Number(p.cleared_pct) || 0 });
      if (!p.bbox || !p.parcels) continue;
      const label = el('div', { class: 'project-label', dataset: { code: p.group }, onclick: () => selectProject(p.group, true) },
        el('i', { style: { background: clearedColour(Number(p.cleared_pct) || 0) } }),
        `${p.name || p.group}  已腾 `, fig('cleared_pct', pct(p.cleared_pct)), '%');
      const centre = [(p.bbox[0] + p.bbox[2]) / 2, (p.bbox[1] + p.bbox[3]) / 2];
      const marker = new maplibregl.Marker({ element: label, anchor: 'left' }).setLngLat(centre).addTo(map);
      overview.push({ marker, label, centre, rank: Number(p.area_mu) || 0 });
    }
    // The largest projects are placed first when labels would overlap.
    overview.sort((a, b) => b.rank - a.rank);
    updateOverview();
  }

  // The labels show below the parcels' zoom only.
  function toggleOverview() {
    const parcelsMin = map.getSource('parcels') ? map.getSource('parcels').minzoom + 1 : 13;
    document.body.classList.toggle('overview-hidden', map.getZoom() >= parcelsMin);
  }

  function updateOverview() {
    toggleOverview();
    declutterOverview();
  }

  // A label that would cover one already placed (larger projects first) is hidden until the view
  // changes: at city zoom hundreds of labels overlap into an unreadable block, and each one drawn
  // is paint and compositing work for the browser (0.4 s of the first view at a million parcels,
  // docs/VIEWER.md). Every project keeps its outline, coloured by its cleared share, and its label
  // in the page (hidden ones are only not painted).
  function declutterOverview() {
    if (!map || !overview.length || document.body.classList.contains('overview-hidden')) return;
    const canvas = map.getCanvas();
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    // Sizes first, positions after: one layout for all the labels, not one per label.
    for (const o of overview) {
      o.label.classList.remove('label-hidden');
      if (!o.size) o.size = [o.label.offsetWidth, o.label.offsetHeight];
    }
    const placed = [];
    const hidden = [];
    for (const o of overview) {
      const pt = map.project(o.centre);
      const [w, h] = o.size;
      const box = [pt.x, pt.y - h / 2, pt.x + w, pt.y + h / 2];
      if (box[2] < 0 || box[0] > width || box[3] < 0 || box[1] > height) continue; // out of view
      if (placed.some((q) => box[0] < q[2] + 2 && q[0] < box[2] + 2 && box[1] < q[3] + 2 && q[1] < box[3] + 2))
        hidden.push(o.label);
      else placed.push(box);
    }
    for (const label of hidden) label.classList.add('label-hidden');
  }

  // The parcels in a blocking stretch, by code. A `match` (MapLibre looks its labels up in a
  // table) rather than `in` over a literal array, which scans the array for every feature: at a
  // million parcels about 96,000 codes are blocking, and `in` made the parcel tiles of one
  // zoom-14 view take 12 s to prepare.
  function blockingFilter(codes) {
    return codes.length ? ['match', ['get', 'code'], codes, true, false] : false;
  }

  // The blocking parcels the map's filter holds: a filter set again, even the same, has MapLibre
  // lay out every parcel tile again (0.2-0.5 s of software WebGL at a million parcels).
  let blockingOnMap = new Set();
  function setBlocking() {
    const same = blockingOnMap.size === state.blocking.size && [...state.blocking].every((c) => blockingOnMap.has(c));
    if (same || !map || !map.getLayer('parcels-blocking')) return;
    map.setFilter('parcels-blocking', blockingFilter([...state.blocking]));
    blockingOnMap = state.blocking;
  }

  // Resolves once the map has drawn everything it asked for (tiles loaded and painted).
  function mapIdle() {
    return new Promise((resolve) => {
      if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) {
        map.once('render', () => resolve());
        map.triggerRepaint();
      } else map.once('idle', () => resolve());
    });
  }

  function createMap(ext) {
    map = new maplibregl.Map({
      container: 'map',
      style: mapStyle(),
      ...(ext
        ? { bounds: [[ext[0], ext[1]], [ext[2], ext[3]]], fitBoundsOptions: { padding: 20, maxZoom: 18 } }
        : { center: [112.94, 27.83], zoom: 11 }),
      attributionControl: { compact: true },
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
      fadeDuration: 0,
      localIdeographFontFamily: "'Noto Sans CJK SC', sans-serif",
    });
    window.landclear.map = map;
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-right');
    map.on('error', (e) => {
      if (e.sourceId) tileError(e);
      else message(`地图错误：${(e.error && e.error.message) || e.error || '?'}`);
    });
    map.on('zoom', toggleOverview);
    map.on('moveend', updateOverview);
    map.on('mousemove', (e) => {
      $('coords').textContent = `CGCS2000  E ${e.lngLat.lng.toFixed(6)}°  N ${e.lngLat.lat.toFixed(6)}°`;
    });
    map.on('click', 'parcels-fill', (e) => {
      const f = e.features && e.features[0];
      if (f && f.properties.code) openParcel(f.properties.code, e.lngLat);
    });
    map.on('click', 'corridors-line', (e) => {
      const f = e.features && e.features[0];
      if (f && f.properties.code) selectCorridor(f.properties.code, true);
    });
    for (const id of ['parcels-fill', 'corridors-line']) {
      map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
    }
    // The style parsed (its sources exist: feature state can be set, and is drawn with the
    // first tiles), a frame after the map is made; and MapLibre's load (mapLoaded).
    styleLoaded = map.getSource('parcels') ? Promise.resolve() : new Promise((resolve) => map.once('style.load', resolve));
    return new Promise((resolve) => map.once('load', resolve));
  }

  // ---- side panel ---------------------------------------------------------------------------
  function progressBar(kind, label, muKey, pctKey, row) {
    const p = Math.max(0, Math.min(100, Number(row[pctKey]) || 0));
    return el(
      'div',
      { class: 'bar', title: label },
      el('div', { class: `fill ${kind}`, style: { width: `${p}%` } }),
      el('span', { class: 'label' }, `${label} `, fig(muKey, mu(row[muKey])), ' 亩 ',
        fig(pctKey, pct(row[pctKey])), '%'),
    );
  }

  function renderTotals(t) {
    const box = $('totals');
    box.replaceChildren();
    if (!t) return;
    box.append(
      el('div', { class: 'row' }, el('span', {}, `合计（截至 ${state.asOf}）`),
        el('span', {}, '宗地 ', fig('parcels', int(t.parcels)))),
      el('div', { class: 'row' }, el('span', {}, '总面积 ', fig('area_mu', mu(t.area_mu)), ' 亩'),
        el('span', {}, '已交 ', fig('delivered_mu', mu(t.delivered_mu)), ' 亩 ',
          fig('delivered_pct', pct(t.delivered_pct)), '%')),
      progressBar('acquired', '已征', 'acquired_mu', 'acquired_pct', t),
      progressBar('cleared', '已腾', 'cleared_mu', 'cleared_pct', t),
      el('div', { class: 'row' },
        el('span', {}, '签约 ', fig('signed_households', int(t.signed_households)), ' / ',
          fig('households', int(t.households)), ' 户'),
        el('span', {}, '拆除 ', fig('demolished_households', int(t.demolished_households)), ' 户')),
    );
  }

  function renderProjects() {
    const list = $('project-list');
    list.replaceChildren();
    for (const p of state.projects.projects) {
      const li = el(
        'li',
        {
          class: `project${p.group === state.selectedProject ? ' selected' : ''}`,
          dataset: { code: p.group },
          onclick: () => selectProject(p.group, true),
        },
        el('div', { class: 'title' }, p.name || p.group, el('span', { class: 'code' }, p.group)),
        el('div', { class: 'figures' },
          el('span', {}, '总面积 ', fig('area_mu', mu(p.area_mu)), ' 亩'),
          el('span', {}, '宗地 ', fig('parcels', int(p.parcels))),
          el('span', {}, '已交 ', fig('delivered_mu', mu(p.delivered_mu)), ' 亩')),
        progressBar('acquired', '已征', 'acquired_mu', 'acquired_pct', p),
        progressBar('cleared', '已腾', 'cleared_mu', 'cleared_pct', p),
        el('div', { class: 'figures' },
          el('span', {}, '签约 ', fig('signed_households', int(p.signed_households)), ' / ',
            fig('households', int(p.households)), ' 户'),
          el('span', {}, '拆除 ', fig('demolished_households', int(p.demolished_households)), ' 户'),
          p.deadline ? el('span', {}, `限期 ${p.deadline}`) : null),
      );
      list.append(li);
    }
  }

  function renderCorridors() {
    const list = $('corridor-list');
    list.replaceChildren();
    const data = state.corridors;
    if (!data || !data.corridors.length) {
      list.append(el('li', { class: 'muted' }, '没有线路'));
      return;
    }
    if (data.analysis_error) list.append(el('li', { class: 'muted' }, `线路分析不可用：${data.analysis_error}`));
    for (const c of data.corridors) {
      const analysed = c.area_mu != null;
      list.append(
        el(
          'li',
          {
            class: `corridor${c.corridor === state.selectedCorridor ? ' selected' : ''}`,
            dataset: { code: c.corridor },
            onclick: () => selectCorridor(c.corridor, true),
          },
          el('div', { class: 'title' }, c.name || c.corridor, el('span', { class: 'code' }, c.corridor)),
          el('div', { class: 'figures' },
            el('span', {}, c.from ? `${c.from}–${c.to}` : chainage(c.start_chainage_m)),
            el('span', {}, '长 ', fig('length_km', (c.length_m / 1000).toFixed(2)), ' km'),
            analysed ? el('span', {}, '红线内 ', fig('area_mu', mu(c.area_mu)), ' 亩') : null),
          analysed ? progressBar('acquired', '已征', 'acquired_mu', 'acquired_pct', c) : null,
          analysed ? progressBar('cleared', '已腾', 'cleared_mu', 'cleared_pct', c) : null,
          analysed
            ? el('div', { class: 'figures' },
              el('span', {}, '阻塞路段 ', fig('blocking_stretches', int(c.blocking_stretches)), ' 处'),
              el('span', {}, '未拆 ', fig('outstanding_households', int(c.outstanding_households)), ' 户'))
            : null,
        ),
      );
    }
  }

  function selectProject(code, zoom) {
    state.selectedProject = code;
    $('selection').hidden = !code;
    if (code) {
      const p = state.projects.projects.find((x) => x.group === code);
      $('selection-label').textContent = `已选项目：${(p && p.name) || code}`;
      if (zoom && p && p.bbox) fitBox(p.bbox, 17);
    }
    for (const li of document.querySelectorAll('#project-list li'))
      li.classList.toggle('selected', li.dataset.code === code);
    if (map) map.setGlobalStateProperty('project', code || '');
    updateMeetingButton();
  }

  async function selectCorridor(code, zoom) {
    state.selectedCorridor = code;
    for (const li of document.querySelectorAll('#corridor-list li'))
      li.classList.toggle('selected', li.dataset.code === code);
    const c = state.corridors && state.corridors.corridors.find((x) => x.corridor === code);
    if (zoom && c && c.bbox) fitBox(c.bbox, 16, 200); // room for the chainage strip
    if (state.tab !== 'corridors') showTab('corridors');
    updateMeetingButton();
    await renderStrip();
  }

  // ---- corridor chainage strip ----------------------------------------------------------------
  function rgbOf(hex) {
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }

  function clearedColour(p) {
    if (p >= 100 - 1e-9) return STAGES.delivered.color;
    // grey (nothing cleared) to orange (almost all cleared)
    const a = rgbOf(STAGES.none.color);
    const b = rgbOf(STAGES.cleared.color);
    const t = Math.max(0, Math.min(1, p / 100));
    return `rgb(${a.map((x, i) => Math.round(x + (b[i] - x) * t)).join(',')})`;
  }

  async function renderStrip() {
    const strip = $('strip');
    const code = state.selectedCorridor;
    if (!code) {
      strip.hidden = true;
      return;
    }
    strip.hidden = false;
    const bar = $('strip-bar');
    const axis = $('strip-axis');
    const list = $('strip-blocking');
    try {
      const c = await getJson(`api/corridor${query({ code, as_of: state.asOf })}`);
      if (state.selectedCorridor !== code) return;
      const sum = c.summary || {};
      $('strip-title').textContent =
        `${c.name || c.code}  ${sum.from || chainage(c.start_chainage_m)}–${sum.to || chainage(c.start_chainage_m + c.length_m)}` +
        `  红线内宗地 ${mu(sum.area_mu)} 亩，已腾 ${pct(sum.cleared_pct)}%（截至 ${c.as_of}）`;
      bar.replaceChildren(
        ...c.segments.map((s) =>
          el('div', {
            class: `seg${s.blocked ? ' blocking' : ''}`,
            dataset: { index: s.segment, cleared: pct(s.cleared_pct) },
            title: `${s.chainage}\n红线内宗地 ${mu(s.area_mu)} 亩\n已征 ${pct(s.acquired_pct)}%  已腾 ${pct(s.cleared_pct)}%` +
              `${s.households ? `\n户数 ${s.households}，已拆 ${s.demolished_households}` : ''}`,
            style: { background: s.area_mu > 0 || s.households > 0 ? clearedColour(s.cleared_pct) : '#f4f4f4' },
          }),
        ),
      );
      const ticks = 5;
      axis.replaceChildren(
        ...Array.from({ length: ticks + 1 }, (_, i) =>
          el('span', {}, chainage(c.start_chainage_m + (c.length_m * i) / ticks))),
      );
      list.replaceChildren(
        ...(c.blocking.length
          ? c.blocking.map((b) =>
            el('li', { dataset: { from: b.from_m, to: b.to_m } },
              `${b.chainage}：未腾 `, fig('outstanding_mu', mu(b.outstanding_mu)), ' 亩（未征 ',
              mu(b.not_acquired_mu), '，已征未腾 ', mu(b.not_cleared_mu), '），未拆 ',
              int(b.outstanding_households), ' 户',
              ...(b.parcel_list || []).slice(0, 8).flatMap((p, i) => [
                i ? '、' : '；宗地 ',
                el('a', { href: '#', onclick: (e) => { e.preventDefault(); openParcel(p, null, true); } }, p),
              ]),
              (b.parcel_list || []).length > 8 ? ` 等 ${b.parcel_list.length} 宗` : ''))
          : [el('li', {}, '没有阻塞路段')]),
      );
    } catch (e) {
      $('strip-title').textContent = code;
      bar.replaceChildren();
      axis.replaceChildren();
      list.replaceChildren(el('li', {}, `线路分析不可用：${errorText(e)}`));
    }
  }

  // ---- parcel popup ---------------------------------------------------------------------------
  async function openParcel(code, latlng, zoom) {
    let p;
    try {
      p = await getJson(`api/parcel${query({ code, as_of: state.asOf })}`);
    } catch (e) {
      message(`宗地 ${code}：${errorText(e)}`);
      return;
    }
    if (!latlng && p.bbox) {
      latlng = [(p.bbox[0] + p.bbox[2]) / 2, (p.bbox[1] + p.bbox[3]) / 2];
      if (zoom) fitBox(p.bbox, 18);
    }
    const row = (label, value, key) =>
      el('tr', {}, el('th', {}, label), el('td', key ? { dataset: { key } } : {}, value == null || value === '' ? '—' : value));
    const land = p.land_class ? `${p.land_class} ${LAND_CLASSES[p.land_class] || ''}`.trim() : null;
    const content = el(
      'div',
      { class: 'popup', dataset: { code: p.parcel_code } },
      el('table', {},
        row('宗地编号', p.parcel_code, 'parcel_code'),
        row('项目', p.project_name ? `${p.project_name}（${p.project_code}）` : p.project_code, 'project'),
        row('状态', el('span', { class: 'stage', dataset: { stage: p.stage } }, p.status), 'status'),
        row('权属性质', OWNER_TYPES[p.owner_type] || p.owner_type, 'owner_type'),
        row('地类', land, 'land_class'),
        row('面积', `${mu(p.area_mu)} 亩（${m2(p.area_m2)} ㎡）`, 'area'),
        row('区县 / 村', [p.district, p.village].filter(Boolean).join(' / '), 'place'),
        row('征地日期', p.acquired_on, 'acquired_on'),
        row('腾地日期', p.cleared_on, 'cleared_on'),
        row('交地日期', p.delivered_on, 'delivered_on'),
        row('房屋', `${p.building_count} 栋，${p.households} 户（签约 ${p.signed_households}，拆除 ${p.demolished_households}）`, 'buildings'),
      ),
      p.buildings.length
        ? el('table', { class: 'buildings' },
          el('tr', {}, el('th', {}, '房屋编号'), el('th', {}, '户数'), el('th', {}, '建筑面积㎡'),
            el('th', {}, '签约'), el('th', {}, '拆除')),
          ...p.buildings.map((b) =>
            el('tr', {}, el('td', {}, b.building_code), el('td', {}, int(b.households)),
              el('td', {}, m2(b.floor_area_m2)), el('td', {}, b.signed_on || '—'),
              el('td', {}, b.demolished_on || '—'))))
        : null,
      el('div', { class: 'muted' }, `截至 ${p.as_of}`),
    );
    if (state.popup) state.popup.remove();
    state.popup = new maplibregl.Popup({ maxWidth: '440px' }).setLngLat(latlng).setDOMContent(content).addTo(map);
  }

  // ---- downloads ----------------------------------------------------------------------------
  function downloadSelection() {
    const params = { as_of: state.asOf };
    let name;
    if (state.selectedProject) {
      params.project = state.selectedProject;
      name = `宗地_${state.selectedProject}_${state.asOf}.geojson`;
    } else {
      params.bbox = viewBox().map((x) => x.toFixed(6)).join(',');
      name = `宗地_当前范围_${state.asOf}.geojson`;
    }
    const a = el('a', { href: `api/features/parcels${query(params)}`, download: name });
    document.body.append(a);
    a.click();
    a.remove();
  }

  // The meeting map (GET api/map: `landclear map`'s renderer) of what is chosen: the selected
  // corridor on the 线路 tab, else the selected project, else the district in the list.
  function meetingScope() {
    const district = $('district').value;
    if (state.tab === 'corridors' && state.selectedCorridor) return { corridor: state.selectedCorridor };
    if (state.selectedProject) return { project: state.selectedProject };
    if (district) return { district };
    return null;
  }

  function updateMeetingButton() {
    const scope = meetingScope();
    const b = $('download-map');
    b.disabled = !scope;
    b.textContent = scope ? `下载会议图：${Object.values(scope)[0]}` : '下载会议图（先选择项目、线路或区县）';
  }

  async function downloadMeetingMap() {
    const scope = meetingScope();
    if (!scope) return;
    const format = $('map-format').value;
    const status = $('map-download-status');
    const [[kind, code]] = Object.entries(scope);
    const url = `api/map${query({ ...scope, as_of: state.asOf, format })}`;
    status.textContent = '正在生成会议图…';
    try {
      const r = await fetch(url);
      if (!r.ok) {
        let body = null;
        try { body = await r.json(); } catch (_) { body = null; }
        const e = new Error((body && body.error) || `HTTP ${r.status}`);
        e.hint = body && body.hint;
        throw e;
      }
      const blob = await r.blob();
      const kindZh = { project: '项目', corridor: '线路', district: '区县' }[kind];
      const name = `会议图_${kindZh}_${code}_截至${state.asOf}.${format}`;
      const a = el('a', { href: URL.createObjectURL(blob), download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60000);
      status.textContent = `已下载 ${name}`;
      document.body.dataset.meetingMap = name;
    } catch (e) {
      status.textContent = `会议图生成失败：${errorText(e)}`;
    }
  }

  // ---- loading ------------------------------------------------------------------------------
  let mapLoaded = null; // resolves at the map's first complete render (createMap)
  let styleLoaded = null; // resolves once the map's style is parsed (createMap)

  // `early`: the answer asked for when the page opened (see start()), used when it is of the
  // page's date.
  async function loadFigures(early) {
    const asOf = state.asOf;
    let projects = early ? await early.catch(() => null) : null;
    if (!projects || projects.as_of !== asOf) projects = await getJson(`api/projects${query({ as_of: asOf })}`);
    if (asOf !== state.asOf) return false;
    state.projects = projects;
    renderTotals(projects.totals);
    renderProjects();
    renderDistricts();
    performance.mark('landclear:figures-listed');
    // The labels and the outlines' fill need the map's style (its projects source). Set as soon
    // as it is parsed, the fill is in the first tiles' render: set at the map's load, it cost the
    // first view one more render of every tile (0.2 s in software WebGL at a million parcels).
    await styleLoaded;
    if (state.projects === projects) renderOverview();
    return true;
  }

  // The corridor analysis (figures inside the red lines, blocking stretches) can take longer than
  // the rest on a large store: the map and the projects do not wait for it.
  async function loadCorridors() {
    const asOf = state.asOf;
    document.body.dataset.corridorsAsOf = '';
    const [corridors, blocking] = await Promise.all([
      getJson(`api/corridors${query({ as_of: asOf })}`).catch((e) => ({ error: e, corridors: [] })),
      getJson(`api/blocking${query({ as_of: asOf })}`).catch(() => ({ parcels: [] })),
    ]);
    if (asOf !== state.asOf) return;
    state.corridors = corridors;
    state.blocking = new Set(blocking.parcels);
    renderCorridors();
    setBlocking();
    if (corridors.error) message(`线路数据加载失败：${errorText(corridors.error)}`);
    if (state.selectedCorridor) await renderStrip();
    document.body.dataset.corridorsAsOf = asOf;
  }

  // The issue list (issues.js): its own small layer, fetched per date (overdue is of the day).
  let issues = null;
  const loadIssues = () =>
    issues && issues.load(state.asOf).catch((e) => message(`问题清单加载失败：${errorText(e)}`));

  // The figures come again from the server; the map restyles the tiles it has (global state).
  async function refreshForDate() {
    document.body.dataset.asOfLoaded = '';
    loadCorridors();
    loadIssues();
    if (map) map.setGlobalStateProperty('asOf', dateNumber(state.asOf));
    try {
      const [ok] = await Promise.all([loadFigures(), map ? mapIdle() : null]);
      if (ok) document.body.dataset.asOfLoaded = state.asOf;
    } catch (e) {
      message(`加载失败：${errorText(e)}`);
    }
  }

  function showTab(tab) {
    state.tab = tab;
    for (const b of document.querySelectorAll('#tabs button'))
      b.classList.toggle('active', b.dataset.tab === tab);
    $('project-list').hidden = tab !== 'projects';
    $('corridor-list').hidden = tab !== 'corridors';
    updateMeetingButton();
  }

  function renderDistricts() {
    const select = $('district');
    const chosen = select.value;
    const names = [...new Set(state.projects.projects.map((p) => p.district).filter(Boolean))].sort();
    select.replaceChildren(el('option', { value: '' }, '（区县）'),
      ...names.map((n) => el('option', { value: n, selected: n === chosen ? '' : null }, n)));
  }

  // The served palette into the stage tables, the CSS variables (badges, swatches) and the
  // legend's stage rows.
  function applyStages(stages) {
    for (const s of stages.parcel) STAGES[s.key] = { label: s.zh, color: s.fill };
    for (const s of stages.building) BUILDING_STAGES[s.key] = { label: s.zh, color: s.fill };
    palette.attention = stages.attention;
    const root = document.documentElement.style;
    for (const s of stages.parcel) root.setProperty(`--${s.key}`, s.fill);
    root.setProperty('--blocking', stages.attention);
    const legend = $('legend');
    const first = legend.firstChild;
    for (const s of stages.parcel)
      legend.insertBefore(el('div', {}, el('i', { class: 'swatch', dataset: { stage: s.key } }), s.zh), first);
  }

  async function start() {
    try {
      // The project figures are asked for now, beside /api/info, not once the map is up: by
      // then the map's ~30 tile requests hold the browser's six connections to the server and
      // the figures queued behind them (0.6-1 s at a million parcels). Without ?as_of= the
      // server's today is the page's date (info.today), and the answer says its date.
      const urlAsOf = new URLSearchParams(location.search).get('as_of');
      const early = getJson(`api/projects${query({ as_of: urlAsOf })}`);
      early.catch(() => {}); // a failure is reported by loadFigures()
      // The issue list too, for the map's style (issues.js); a failure is reported below.
      const [info, config, stages, firstIssues] = await Promise.all([
        getJson('api/info'),
        getJson('config.json').catch(() => ({})),
        getJson('api/stages'),
        fetchIssues(urlAsOf).catch(() => null),
      ]);
      applyStages(stages);
      performance.mark('landclear:info-received');
      state.info = info;
      state.config = config || {};
      state.asOf = urlAsOf || info.today;
      // Of another day only if the server's today changed between the two answers (midnight).
      state.firstIssues = firstIssues && firstIssues.asOf === state.asOf ? firstIssues.doc : null;
      $('as-of').value = state.asOf;
      $('store-name').textContent = `${info.store} · ${info.counts.parcels} 宗地 · ${info.working_crs}`;
      const ext = info.extent;
      // The map opens on the store's extent, so that the first tiles asked are the ones drawn
      // (opening on a centre and then fitting asked for a second set).
      mapLoaded = createMap(ext);
      window.landclear.map = map;
      let loaded = false; // set as MapLibre's load resolves mapLoaded, before any later answer
      let figuresAfterLoad = false; // then their project colours (feature state) need a frame
      mapLoaded.then(() => { loaded = true; });
      // The issue list is in the map's style, so its first complete render draws it (issues.js).
      issues = createIssues(map, maplibregl);
      let issuesShown = null;
      if (state.firstIssues) issues.show(state.firstIssues, state.asOf);
      else issuesShown = loadIssues();
      const figures = loadFigures(early)
        .then(() => { figuresAfterLoad = loaded; })
        .catch((e) => message(`项目统计加载失败：${errorText(e)}`));
      // MapLibre's load: the first complete render of the style's layers, with every tile and
      // source of the view loaded. Nothing after it changes what the map draws (the project
      // labels are the page's), so that frame is the first view, unless the issues came later.
      await mapLoaded;
      performance.mark('landclear:map-loaded');
      updateOverview();
      showLayerStatus();
      updateMeetingButton();
      // The figures failing must not keep the map from drawing, nor the other way round.
      await Promise.all([figures, issuesShown]);
      if (figuresAfterLoad || !(map.loaded() && map.areTilesLoaded())) await mapIdle();
      performance.mark('landclear:map-idle');
      performance.mark('landclear:map-drawn');
      // The corridor analysis (the 线路 list, the blocking outlines) after the first view: on a
      // city-sized store it takes longer than everything else and would compete with it.
      loadCorridors();
      document.body.dataset.asOfLoaded = state.asOf;
      window.landclear.readyMs = performance.now();
      document.body.dataset.ready = '1';
    } catch (e) {
      message(`无法连接服务：${errorText(e)}`);
    }
  }

  $('as-of').addEventListener('change', () => {
    const v = $('as-of').value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || v === state.asOf) return;
    state.asOf = v;
    refreshForDate();
  });
  $('today').addEventListener('click', () => {
    if (!state.info) return;
    $('as-of').value = state.info.today;
    $('as-of').dispatchEvent(new Event('change'));
  });
  $('clear-selection').addEventListener('click', () => selectProject(null, false));
  $('download-geojson').addEventListener('click', downloadSelection);
  $('download-map').addEventListener('click', downloadMeetingMap);
  $('district').addEventListener('change', updateMeetingButton);
  $('strip-close').addEventListener('click', () => {
    state.selectedCorridor = null;
    renderStrip();
    for (const li of document.querySelectorAll('#corridor-list li')) li.classList.remove('selected');
  });
  for (const b of document.querySelectorAll('#tabs button'))
    b.addEventListener('click', () => showTab(b.dataset.tab));

  // For the end-to-end tests and the curious: the map and the state, read-only by convention.
  window.landclear = { map: null, state, openParcel, selectProject, selectCorridor, mapIdle, viewBox };
  start();
})();

// 征地拆迁一张图: the page served by `landclear serve`. Plain browser JavaScript over Leaflet (a
// global L from vendor/leaflet, copied from npm by the build): no bundler, no CDN, no network
// beyond the server it came from. Every figure comes from the server's API (docs/VIEWER.md), which
// computes it with the same library calls as `landclear status` and `landclear corridor`.
// Text from the data (names, codes) is only ever set with textContent, never as HTML.
'use strict';

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
  const BUILDINGS_MIN_ZOOM = 15;
  const OVERVIEW_MAX_ZOOM = 13; // below this, parcels are specks: label the projects instead

  const state = {
    info: null,
    config: {},
    asOf: null,
    projects: null,
    corridors: null,
    blocking: new Set(), // parcel codes in a blocking stretch of some corridor, as of the date
    selectedProject: null,
    selectedCorridor: null,
    loaded: null, // { asOf, box } of the features on the map
    loading: null, // { asOf, box } of the load in flight
    loadToken: 0,
    layerErrors: {}, // layer name -> the error of its last load
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
  const map = L.map('map', { preferCanvas: true, zoomSnap: 0.25 });
  const renderer = L.canvas({ padding: 0.3, tolerance: 2 });

  function parcelStyle(feature) {
    const p = feature.properties;
    const stage = STAGES[p.stage] || STAGES.none;
    const dim = state.selectedProject && p.project_code !== state.selectedProject;
    const blocking = state.blocking.has(p.parcel_code);
    return {
      renderer,
      fillColor: stage.color,
      fillOpacity: dim ? 0.25 : 0.8,
      color: blocking ? palette.attention : '#555',
      weight: blocking ? 1.5 : 0.5,
      opacity: dim ? 0.4 : 1,
    };
  }

  const layers = {
    projects: L.geoJSON(null, {
      renderer,
      interactive: false,
      style: { color: '#8e0000', weight: 1.5, dashArray: '6 4', fill: false },
    }),
    parcels: L.geoJSON(null, {
      renderer,
      style: parcelStyle,
      onEachFeature: (f, layer) =>
        layer.on('click', (e) => openParcel(f.properties.parcel_code, e.latlng)),
    }),
    buildings: L.geoJSON(null, {
      renderer,
      interactive: false,
      style: (f) => {
        const stage = BUILDING_STAGES[f.properties.stage] || BUILDING_STAGES.not_signed;
        const demolished = f.properties.stage === 'demolished';
        return {
          color: '#4e342e',
          weight: 0.8,
          fillColor: stage.color,
          fillOpacity: demolished ? 0.3 : 0.7,
          dashArray: demolished ? '2 2' : null,
        };
      },
    }),
    corridors: L.geoJSON(null, {
      renderer,
      style: () => ({ color: palette.attention, weight: 3, opacity: 0.9 }),
      onEachFeature: (f, layer) =>
        layer.on('click', () => selectCorridor(f.properties.corridor_code, true)),
    }),
  };
  // One labelled marker per project at the centre of its extent, for the city-wide view.
  layers.overview = L.layerGroup();
  layers.projects.addTo(map);
  layers.parcels.addTo(map);
  layers.corridors.addTo(map);

  function updateBuildingsVisibility() {
    const show = map.getZoom() >= BUILDINGS_MIN_ZOOM;
    if (show && !map.hasLayer(layers.buildings)) layers.buildings.addTo(map);
    if (!show && map.hasLayer(layers.buildings)) map.removeLayer(layers.buildings);
    const overview = map.getZoom() < OVERVIEW_MAX_ZOOM;
    if (overview && !map.hasLayer(layers.overview)) layers.overview.addTo(map);
    if (!overview && map.hasLayer(layers.overview)) map.removeLayer(layers.overview);
  }

  function renderOverview() {
    layers.overview.clearLayers();
    for (const p of state.projects.projects) {
      if (!p.bbox || !p.parcels) continue;
      const centre = [(p.bbox[1] + p.bbox[3]) / 2, (p.bbox[0] + p.bbox[2]) / 2];
      const marker = L.circleMarker(centre, {
        renderer,
        radius: 7,
        color: '#333',
        weight: 1,
        fillColor: clearedColour(Number(p.cleared_pct) || 0),
        fillOpacity: 0.95,
      });
      marker.bindTooltip(`${p.name || p.group}  已腾 ${pct(p.cleared_pct)}%`, {
        permanent: true,
        direction: 'right',
        offset: [8, 0],
        className: 'project-label',
      });
      marker.on('click', () => selectProject(p.group, true));
      layers.overview.addLayer(marker);
    }
  }

  function fitBox(box, maxZoom, bottom) {
    if (!box) return;
    map.fitBounds(
      [
        [box[1], box[0]],
        [box[3], box[2]],
      ],
      { paddingTopLeft: [20, 20], paddingBottomRight: [20, bottom || 20], maxZoom: maxZoom || 18 },
    );
  }

  const boxContains = (a, b) => a[0] <= b[0] && a[1] <= b[1] && a[2] >= b[2] && a[3] >= b[3];

  function viewBox() {
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }

  // The whole data extent when the server allows it (one request, then panning is free);
  // otherwise the view, padded and cut to the server's largest box.
  function wantedBox() {
    const limit = state.info.limits.max_bbox_degrees;
    const ext = state.info.extent;
    const pad = 0.002;
    if (ext && ext[2] - ext[0] + 2 * pad <= limit && ext[3] - ext[1] + 2 * pad <= limit)
      return [ext[0] - pad, ext[1] - pad, ext[2] + pad, ext[3] + pad];
    const v = viewBox();
    const cx = (v[0] + v[2]) / 2;
    const cy = (v[1] + v[3]) / 2;
    const hw = Math.min(((v[2] - v[0]) * 1.3) / 2, limit / 2 - 1e-9);
    const hh = Math.min(((v[3] - v[1]) * 1.3) / 2, limit / 2 - 1e-9);
    return [cx - hw, cy - hh, cx + hw, cy + hh].map((x, i) =>
      i % 2 ? Math.max(-90, Math.min(90, x)) : Math.max(-180, Math.min(180, x)),
    );
  }

  async function fetchLayer(name, box, asOf) {
    const bbox = box.map((x) => x.toFixed(6)).join(',');
    return getJson(`api/features/${name}${query({ bbox, as_of: asOf, view: 'map' })}`);
  }

  // Resolves when the features for the current view and date are on the map: at once when they
  // are there already, with the load in flight when one covers them (fitting the map to the data
  // fires moveend while the first load is running), else with a new load.
  function loadFeatures(force) {
    if (!state.info || !state.info.extent) return Promise.resolve();
    const asOf = state.asOf;
    const view = viewBox();
    // Buildings are drawn from zoom 15 only, and fetched only then: the first view is lighter.
    const needBuildings = map.getZoom() >= BUILDINGS_MIN_ZOOM;
    const covers = (have) =>
      have && have.asOf === asOf && (have.all || boxContains(have.box, view)) &&
      (have.buildings || !needBuildings);
    if (!force && covers(state.loading)) return state.loading.promise;
    if (!force && !state.loading && covers(state.loaded)) return Promise.resolve();
    const box = wantedBox();
    const all = isWholeExtent(box);
    const promise = fetchFeatures(asOf, box, all, needBuildings);
    state.loading = { asOf, box, all, buildings: needBuildings, promise };
    return promise;
  }

  function isWholeExtent(box) {
    const ext = state.info.extent;
    return !!ext && boxContains(box, ext);
  }

  const LAYER_NAMES = { parcels: '宗地', corridors: '线路', projects: '项目红线', buildings: '房屋' };

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
    for (const name of Object.keys(LAYER_NAMES))
      if (!state.layerErrors[name] && counts[name] === 0)
        items.push(el('li', { class: 'muted', dataset: { layer: name, state: 'empty' } },
          `${LAYER_NAMES[name]}图层为空（库中没有${LAYER_NAMES[name]}）`));
    list.replaceChildren(...items);
  }

  // Each layer is requested and drawn on its own: one failing request (a layer the server
  // cannot read) must not blank the others.
  async function fetchFeatures(asOf, box, all, withBuildings) {
    const token = ++state.loadToken;
    const names = ['parcels', 'corridors', 'projects'].concat(withBuildings ? ['buildings'] : []);
    const results = await Promise.allSettled(names.map((n) => fetchLayer(n, box, asOf)));
    if (token !== state.loadToken) return;
    performance.mark('landclear:features-received');
    if (!withBuildings) layers.buildings.clearLayers();
    state.layerErrors = {};
    let tooMany = null;
    names.forEach((name, i) => {
      const r = results[i];
      layers[name].clearLayers();
      if (r.status === 'fulfilled') layers[name].addData(r.value);
      else if (r.reason && r.reason.status === 413) tooMany = r.reason;
      else state.layerErrors[name] = r.reason || new Error('?');
    });
    const failed = results.some((r) => r.status !== 'fulfilled');
    const parcels = results[0].status === 'fulfilled' ? results[0].value.features.length : 0;
    // A failed layer is asked for again on the next move; the drawn ones stay.
    state.loaded = failed ? null : { asOf, box, all, buildings: withBuildings, counts: { parcels } };
    state.loading = null;
    performance.mark('landclear:features-drawn');
    showLayerStatus();
    if (tooMany) message(`当前范围内要素过多，请放大地图或在左侧选择一个项目。${tooMany.message}`);
    else if (Object.keys(state.layerErrors).length)
      message(`部分地图图层加载失败：${Object.keys(state.layerErrors).map((n) => LAYER_NAMES[n] || n).join('、')}`);
    else message('');
  }

  map.on('moveend', () => loadFeatures(false));
  map.on('zoomend', updateBuildingsVisibility);

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
    layers.parcels.setStyle(parcelStyle);
  }

  async function selectCorridor(code, zoom) {
    state.selectedCorridor = code;
    for (const li of document.querySelectorAll('#corridor-list li'))
      li.classList.toggle('selected', li.dataset.code === code);
    const c = state.corridors && state.corridors.corridors.find((x) => x.corridor === code);
    if (zoom && c && c.bbox) fitBox(c.bbox, 16, 200); // room for the chainage strip
    if (state.tab !== 'corridors') showTab('corridors');
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
      latlng = L.latLng((p.bbox[1] + p.bbox[3]) / 2, (p.bbox[0] + p.bbox[2]) / 2);
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
    L.popup({ maxWidth: 420 }).setLatLng(latlng).setContent(content).openOn(map);
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

  // HOOK(meeting-map): when the meeting map (issue 5) is served, e.g. as
  // api/map?project=CODE&as_of=DATE&format=pdf, add a button in #downloads that calls this.
  // Deliberately not wired to any button until that endpoint exists.
  // eslint-disable-next-line no-unused-vars
  function downloadMeetingMap() {
    throw new Error('meeting map not available yet');
  }

  // ---- loading ------------------------------------------------------------------------------
  async function loadFigures() {
    const asOf = state.asOf;
    const projects = await getJson(`api/projects${query({ as_of: asOf })}`);
    if (asOf !== state.asOf) return false;
    state.projects = projects;
    renderTotals(projects.totals);
    renderProjects();
    renderOverview();
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
    layers.parcels.setStyle(parcelStyle);
    if (corridors.error) message(`线路数据加载失败：${errorText(corridors.error)}`);
    if (state.selectedCorridor) await renderStrip();
    document.body.dataset.corridorsAsOf = asOf;
  }

  // The issue list (issues.js): its own layer, loaded beside the features.
  const issues = window.landclearIssues
    ? window.landclearIssues.create(map, { attention: () => palette.attention })
    : null;
  const loadIssues = () =>
    issues && issues.load(state.asOf).catch((e) => message(`问题清单加载失败：${errorText(e)}`));

  async function refreshForDate() {
    document.body.dataset.asOfLoaded = '';
    loadCorridors();
    loadIssues();
    try {
      const [ok] = await Promise.all([loadFigures(), loadFeatures(true)]);
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
      const [info, config, stages] = await Promise.all([
        getJson('api/info'),
        getJson('config.json').catch(() => ({})),
        getJson('api/stages'),
      ]);
      applyStages(stages);
      performance.mark('landclear:info-received');
      state.info = info;
      state.config = config || {};
      state.asOf = new URLSearchParams(location.search).get('as_of') || info.today;
      $('as-of').value = state.asOf;
      $('store-name').textContent = `${info.store} · ${info.counts.parcels} 宗地 · ${info.working_crs}`;
      const bm = state.config.basemap;
      if (bm && bm.url) {
        L.tileLayer(bm.url, {
          subdomains: bm.subdomains || 'abc',
          attribution: bm.attribution || '',
          maxZoom: bm.max_zoom || 18,
        }).addTo(map);
        for (const extra of bm.overlays || [])
          L.tileLayer(extra.url, { subdomains: extra.subdomains || bm.subdomains || 'abc', maxZoom: bm.max_zoom || 18 }).addTo(map);
      }
      if (info.extent) fitBox(info.extent);
      else map.setView([27.83, 112.94], 11);
      updateBuildingsVisibility();
      loadCorridors();
      loadIssues();
      showLayerStatus();
      // The figures failing must not keep the map from drawing, nor the other way round.
      await Promise.all([
        loadFigures().catch((e) => message(`项目统计加载失败：${errorText(e)}`)),
        loadFeatures(false),
      ]);
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
  $('strip-close').addEventListener('click', () => {
    state.selectedCorridor = null;
    renderStrip();
    for (const li of document.querySelectorAll('#corridor-list li')) li.classList.remove('selected');
  });
  for (const b of document.querySelectorAll('#tabs button'))
    b.addEventListener('click', () => showTab(b.dataset.tab));

  // For the end-to-end tests and the curious: the map and the state, read-only by convention.
  window.landclear = { map, state, layers, openParcel, selectProject, selectCorridor };
  start();
})();

// The issue list (问题清单) on the web map: GET /api/issues?as_of=DAY (docs/ISSUE_LIST.md), each
// open issue outlined (dashed) on what it is tied to and marked with its id; overdue red (the
// served attention colour), the others dark orange, as on the printed meeting maps. Its own
// GeoJSON source beside the vector tiles: a store holds tens of issues, not thousands, and an
// issue's overdue state is the server's answer for the day, so it is fetched per date.
const OPEN = '#d95f0e'; // render/detail/map_style.hpp issue_open

function label(text) {
  const span = document.createElement('span');
  span.textContent = text; // data text never as HTML
  return span;
}

const EMPTY = () => ({ type: 'FeatureCollection', features: [] });

// A mark per issue at the centre of its bounds (the server's geometry in WGS84).
function centre(g) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      x0 = Math.min(x0, c[0]); y0 = Math.min(y0, c[1]); x1 = Math.max(x1, c[0]); y1 = Math.max(y1, c[1]);
    } else for (const d of c) walk(d);
  };
  if (g && g.coordinates) walk(g.coordinates);
  return Number.isFinite(x0) ? [(x0 + x1) / 2, (y0 + y1) / 2] : null;
}

function marksOf(doc) {
  const marks = [];
  for (const f of (doc && doc.features) || []) {
    const at = centre(f.geometry);
    if (at) marks.push({ type: 'Feature', properties: f.properties, geometry: { type: 'Point', coordinates: at } });
  }
  return { type: 'FeatureCollection', features: marks };
}

// The issues of a day (asOf null: the server's today) and the day the server answered for.
export async function fetchIssues(asOf) {
  const res = await fetch(`api/issues${asOf ? `?as_of=${encodeURIComponent(asOf)}` : ''}`);
  if (!res.ok) throw new Error(`api/issues: ${res.status}`);
  return { doc: await res.json(), asOf: res.headers.get('X-Landclear-As-Of') };
}

// The issue list's sources and layers for the map's style, with the issues of the first view
// (doc, fetched beside /api/info; null: none yet). In the style from the start, the map's first
// complete render draws them with the parcels: added once the map had loaded, they cost the
// first view at a million parcels three more renders (~0.45 s in software WebGL), and an empty
// source filled while the tiles loaded, two rounds of its tiles (docs/VIEWER.md).
export function issueStyle(doc, attention) {
  const colour = ['case', ['get', 'overdue'], attention || '#d7191c', OPEN];
  return {
    sources: {
      issues: { type: 'geojson', data: doc || EMPTY() },
      'issue-marks': { type: 'geojson', data: marksOf(doc) },
    },
    layers: [
      { id: 'issues-line', type: 'line', source: 'issues',
        paint: { 'line-color': colour, 'line-width': 2, 'line-dasharray': [3, 1.5] } },
      { id: 'issues-mark', type: 'circle', source: 'issue-marks',
        paint: { 'circle-color': colour, 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
    ],
  };
}

// On a map whose style holds issueStyle(), from its creation on: the popups, the id labels,
// show(doc, asOf) for the issues the style was made with and load(asOf) for another day's.
export function createIssues(map, maplibregl) {
  const popup = (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    const p = f.properties;
    const overdue = p.overdue === true || p.overdue === 'true';
    const days = overdue ? `，逾期 ${p.days_overdue} 天` : '';
    new maplibregl.Popup({ maxWidth: '360px' }).setLngLat(e.lngLat)
      .setDOMContent(label(`${p.id} ${p.label}：${p.text}（${p.unit}，限期 ${p.deadline}${days}）`)).addTo(map);
  };
  map.on('click', 'issues-line', popup);
  map.on('click', 'issues-mark', popup);

  let token = 0;
  let labels = [];
  // The ids as HTML labels (the page's style has no glyphs for map text).
  function show(doc, asOf) {
    const marks = marksOf(doc).features;
    for (const m of labels) m.remove();
    labels = marks.map((f) => {
      const tag = label(f.properties.id);
      tag.className = 'issue-id';
      tag.dataset.id = f.properties.id;
      tag.dataset.overdue = String(f.properties.overdue === true);
      return new maplibregl.Marker({ element: tag, anchor: 'left', offset: [9, 0] })
        .setLngLat(f.geometry.coordinates).addTo(map);
    });
    document.body.dataset.issuesAsOf = asOf;
    document.body.dataset.issues = String(doc.features.length);
  }
  async function load(asOf) {
    const mine = ++token;
    const { doc } = await fetchIssues(asOf);
    if (mine !== token) return; // a later date was asked for meanwhile
    // The style's sources exist once it is parsed (a frame after the map is made).
    if (!map.getSource('issues')) await new Promise((resolve) => map.once('style.load', resolve));
    if (mine !== token) return;
    map.getSource('issues').setData(doc);
    map.getSource('issue-marks').setData(marksOf(doc));
    show(doc, asOf);
  }

  return { load, show };
}

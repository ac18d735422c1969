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

export function createIssues(map, maplibregl, options) {
  const attention = () => (options && options.attention && options.attention()) || '#d7191c';
  const colour = () => ['case', ['get', 'overdue'], attention(), OPEN];
  map.addSource('issues', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addSource('issue-marks', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'issues-line', type: 'line', source: 'issues',
    paint: { 'line-color': colour(), 'line-width': 2, 'line-dasharray': [3, 1.5] },
  });
  map.addLayer({
    id: 'issues-mark', type: 'circle', source: 'issue-marks',
    paint: { 'circle-color': colour(), 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
  });
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

  let token = 0;
  let labels = [];
  async function load(asOf) {
    const mine = ++token;
    const res = await fetch(`api/issues?as_of=${encodeURIComponent(asOf)}`);
    if (!res.ok) throw new Error(`api/issues: ${res.status}`);
    const doc = await res.json();
    if (mine !== token) return; // a later date was asked for meanwhile
    const marks = [];
    for (const f of doc.features) {
      const at = centre(f.geometry);
      if (at) marks.push({ type: 'Feature', properties: f.properties, geometry: { type: 'Point', coordinates: at } });
    }
    map.getSource('issues').setData(doc);
    map.getSource('issue-marks').setData({ type: 'FeatureCollection', features: marks });
    // The ids as HTML labels (the page's style has no glyphs for map text).
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

  return { load };
}

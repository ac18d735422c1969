// The issue list (问题清单) on the web map: GET /api/issues?as_of=DAY (docs/ISSUE_LIST.md), each
// open issue outlined (dashed) on what it is tied to and marked with its id; overdue red (the
// served attention colour), the others dark orange, as on the printed meeting maps. A module of
// its own over Leaflet's L, so a map library other than Leaflet can take its place: app.js only
// calls create(map, options) and load(asOf).
'use strict';

window.landclearIssues = (function () {
  const OPEN = '#d95f0e'; // render/detail/map_style.hpp issue_open

  function label(text) {
    const span = document.createElement('span');
    span.textContent = text; // data text never as HTML
    return span;
  }

  function create(map, options) {
    const attention = () => (options && options.attention && options.attention()) || '#d7191c';
    const colour = (p) => (p.overdue ? attention() : OPEN);
    const layer = L.geoJSON(null, {
      style: (f) => ({ color: colour(f.properties), weight: 2, dashArray: '6 3', fill: false }),
      onEachFeature: (f, l) => {
        const p = f.properties;
        const days = p.overdue ? `，逾期 ${p.days_overdue} 天` : '';
        l.bindPopup(label(`${p.id} ${p.label}：${p.text}（${p.unit}，限期 ${p.deadline}${days}）`));
      },
    }).addTo(map);
    const marks = L.layerGroup().addTo(map);
    let token = 0;

    async function load(asOf) {
      const mine = ++token;
      const res = await fetch(`api/issues?as_of=${encodeURIComponent(asOf)}`);
      if (!res.ok) throw new Error(`api/issues: ${res.status}`);
      const doc = await res.json();
      if (mine !== token) return; // a later date was asked for meanwhile
      layer.clearLayers();
      marks.clearLayers();
      layer.addData(doc);
      layer.eachLayer((l) => {
        const p = l.feature.properties;
        if (!l.getBounds) return;
        const at = l.getBounds().getCenter();
        L.circleMarker(at, {
          radius: 6, color: '#fff', weight: 1.5, fillColor: colour(p), fillOpacity: 1,
        })
          .bindTooltip(label(p.id), { permanent: true, direction: 'right', className: 'issue-id' })
          .addTo(marks);
      });
      document.body.dataset.issuesAsOf = asOf;
      document.body.dataset.issues = String(doc.features.length);
    }

    return { layer, marks, load };
  }

  return { create };
})();

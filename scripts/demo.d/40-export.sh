# Exports of the sample for other programs (docs/EXPORT.md): GeoJSON for the web team, a GBK
# shapefile set for ArcGIS 10, a GeoPackage for QGIS and XLSX reports for the weekly bulletin.
# Sourced by scripts/demo with $LANDCLEAR_BIN, $store, $out and $as_of set.
exports="$out/exports"
mkdir -p "$exports"
log "exports as of $as_of into $exports"
"$LANDCLEAR_BIN" export "$store" --layer parcels --as-of "$as_of" --quiet --overwrite \
    --out "$exports/parcels.geojson"
"$LANDCLEAR_BIN" export "$store" --layer parcels --as-of "$as_of" --quiet --overwrite \
    --encoding GBK --out "$exports/parcels_gbk.shp"
"$LANDCLEAR_BIN" export "$store" --layer parcels,buildings,projects,corridors,findings \
    --as-of "$as_of" --quiet --overwrite --out "$exports/landclear.gpkg"
"$LANDCLEAR_BIN" status "$store" --as-of "$as_of" --since 2026-11-13 --format xlsx \
    --out "$exports/status.xlsx"
"$LANDCLEAR_BIN" export "$store" --layer projects,parcels,buildings --as-of "$as_of" --quiet \
    --overwrite --out "$exports/layers.xlsx"
log "GeoJSON:   $exports/parcels.geojson"
log "Shapefile: $exports/parcels_gbk.shp (+ .shx .dbf .prj .cpg, fields in parcels_gbk_fields.csv)"
log "QGIS:      $exports/landclear.gpkg"
log "Excel:     $exports/status.xlsx and $exports/layers.xlsx"

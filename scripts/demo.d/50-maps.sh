# Meeting maps of the sample (docs/MAPS.md): a corridor map with chainage and blocking stretches,
# a project map with buildings, each as PNG and PDF, and an atlas with one page per project.
# Sourced by scripts/demo with $LANDCLEAR_BIN, $store, $out and $as_of set.
maps="$out/maps"
mkdir -p "$maps"
log "meeting maps as of $as_of (本期 since 2026-11-13) into $maps"
# 杨梅洲大桥南引线: a 2.8 km corridor; 压缩机厂棚户区改造: 400 small parcels with houses.
map_corridor=XT-2026-001-L1
map_project=XT-2026-003
for ext in png pdf; do
    "$LANDCLEAR_BIN" map "$store" --corridor "$map_corridor" --as-of "$as_of" \
        --since 2026-11-13 --out "$maps/corridor-$map_corridor.$ext"
    "$LANDCLEAR_BIN" map "$store" --project "$map_project" --as-of "$as_of" \
        --since 2026-11-13 --out "$maps/project-$map_project.$ext"
done
"$LANDCLEAR_BIN" map "$store" --all-projects --as-of "$as_of" --since 2026-11-13 --size A3 \
    --title "半月调度图集" --out "$maps/atlas-A3.pdf"
log "corridor map: $maps/corridor-$map_corridor.png and .pdf"
log "project map:  $maps/project-$map_project.png and .pdf"
log "atlas:        $maps/atlas-A3.pdf (one A3 page per project)"

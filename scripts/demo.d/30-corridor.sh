# The road corridors of the sample (docs/CORRIDOR.md): per corridor the parcel area inside the red
# line acquired / cleared / delivered, and the stretches still blocked. Also stores the corridor
# geometry, so the web map and the meeting maps read it instead of recomputing it.
# Sourced by scripts/demo with $LANDCLEAR_BIN, $store, $out and $as_of set.
log "corridors as of $as_of (100 m segments)"
"$LANDCLEAR_BIN" corridor "$store" --as-of "$as_of" --since 2026-11-13 --table corridors
"$LANDCLEAR_BIN" corridor "$store" --as-of "$as_of" --since 2026-11-13 --format xlsx \
    --out "$out/corridors.xlsx"
log "corridor tables (corridors, 100 m segments, blocking stretches): $out/corridors.xlsx"

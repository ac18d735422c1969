# The weekly cycle (一周一通报): the sample describes the office on 2026-11-20; the next week's
# ledgers (data/sample-week2.gpkg, made by scripts/make-sample-week2: a few percent of the
# parcels and buildings, some dates corrected) are imported as an update reported on
# 2026-11-27, then the history of that import and the bulletin of that week are printed and
# written (XLSX and PDF). Sourced by scripts/demo with $LANDCLEAR_BIN, $store and $out set.
week2="$LANDCLEAR_ROOT/data/sample-week2.gpkg"
log "importing the week to 2026-11-27 ($week2, --update)"
"$LANDCLEAR_BIN" import "$store" --parcels "$week2:parcels" --buildings "$week2:buildings" \
    --update --reported 2026-11-27 --quiet
log "what that import changed (landclear history, corrections marked)"
"$LANDCLEAR_BIN" history "$store" --since 2026-11-27 --table batches
"$LANDCLEAR_BIN" history "$store" --since 2026-11-27 --format csv --out "$out/history.csv"
log "bulletin of the week 2026-11-21 to 2026-11-27 (as issued: known on 2026-11-27)"
"$LANDCLEAR_BIN" bulletin "$store" --week 2026-11-27 --out "$out/bulletin"
log "bulletin files: $out/bulletin/ (XLSX, PDF); history: $out/history.csv"

#!/usr/bin/env bash
# The same commands on a SpatiaLite file and on a PostGIS schema give the same output. Imports
# data/sample.gpkg (as scripts/demo does) into both, then the week-2 update
# (data/sample-week2.gpkg, as scripts/demo.d/60-week.sh), and compares byte for byte the standard
# output of status (table, --by district, json, csv), corridor (table, json; --threads 1 so
# that the stored pieces are written in one order), check (table, csv), export (GeoJSON and CSV
# of the parcels, GeoJSON of the corridor pieces, CSV of the buildings), bulletin (both weeks,
# as issued and as known later) and history. Normalised: the store's own name (STORE) and, in
# history, the imported_at times (when each import ran). No float prints differently: the
# numbers are compared as text, exactly.
#   same_outputs.sh BIN SAMPLE_DIR WORK_DIR      (LANDCLEAR_TEST_POSTGIS: the database)
set -u
bin=$1 data=$2 work=$3
. "$(dirname "$0")/lib.sh"
postgis_test_setup same_outputs "$data"
rm -rf "$work" && mkdir -p "$work/spatialite" "$work/postgis"
file="$work/sample.sqlite"
failed=0

# run NAME ARGS... : the command on both stores (STORE in ARGS is replaced), stdout kept.
run() {
    local name=$1
    shift
    local which store rc
    for which in spatialite postgis; do
        [ $which = spatialite ] && store=$file || store=$pg
        local args=()
        for a in "$@"; do
            args+=("${a//STORE/$store}")
        done
        NAME=$name "$bin" "${args[@]}" >"$work/$which/$name.raw" 2>"$work/$which/$name.err"
        echo $? >"$work/$which/$name.rc"
        # The store's own name (import says "Created STORE") is the one thing that differs.
        # History lists when each import ran (imported_at): the other one.
        STORE_NAME=$store HISTORY=${name#history} perl -pe 's/\Q$ENV{STORE_NAME}\E/STORE/g;
            s/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/IMPORTED_AT/g if $ENV{HISTORY} ne $ENV{NAME}' \
            "$work/$which/$name.raw" >"$work/$which/$name"
    done
    local same=1
    for part in "" .rc; do
        if ! cmp -s "$work/spatialite/$name$part" "$work/postgis/$name$part"; then
            echo "DIFFERENT: $name$part ($*)"
            diff "$work/spatialite/$name$part" "$work/postgis/$name$part" | head -10
            failed=1
            same=0
        fi
    done
    if [ "$(cat "$work/spatialite/$name.rc")" -gt 3 ] || [ "$(cat "$work/spatialite/$name.rc")" = 1 ] ||
        [ "$(cat "$work/spatialite/$name.rc")" = 2 ]; then
        echo "FAILED on SpatiaLite: $name (exit $(cat "$work/spatialite/$name.rc")):"
        cat "$work/spatialite/$name.err"
        failed=1
    fi
    [ $same = 1 ] && echo "same: $name ($(wc -c <"$work/spatialite/$name") bytes)"
    return 0
}

run import import STORE --projects "$sample:projects" --corridors "$sample:corridors" \
    --parcels "$sample:parcels" --buildings "$sample:buildings" --reported 2026-11-20 --quiet
run status status STORE --as-of 2026-11-20 --since 2026-11-13
run status-district status STORE --as-of 2026-11-20 --by district
run status-json status STORE --as-of 2026-11-20 --since 2026-11-13 --format json
run status-csv status STORE --as-of 2026-11-20 --format csv
run corridor corridor STORE --as-of 2026-11-20 --since 2026-11-13 --threads 1
run corridor-json corridor STORE --as-of 2026-11-20 --format json
run check check STORE
run check-csv check STORE --format csv
for kind in spatialite postgis; do
    [ $kind = spatialite ] && s=$file || s=$pg
    "$bin" export "$s" --layer parcels --as-of 2026-11-20 --overwrite \
        --out "$work/$kind/parcels.geojson" >/dev/null 2>&1 || failed=1
    "$bin" export "$s" --layer parcels --as-of 2026-11-20 --format csv --quiet --overwrite \
        --out "$work/$kind/parcels.csv" >/dev/null 2>&1 || failed=1
    "$bin" export "$s" --layer buildings --as-of 2026-11-20 --format csv --quiet --overwrite \
        --out "$work/$kind/buildings.csv" >/dev/null 2>&1 || failed=1
    "$bin" export "$s" --layer corridor-parcels --as-of 2026-11-20 --quiet --overwrite \
        --out "$work/$kind/corridor-parcels.geojson" >/dev/null 2>&1 || failed=1
done
for f in parcels.geojson parcels.csv buildings.csv corridor-parcels.geojson; do
    if cmp -s "$work/spatialite/$f" "$work/postgis/$f"; then
        echo "same: export $f ($(wc -c <"$work/spatialite/$f") bytes)"
    else
        echo "DIFFERENT: export $f"
        failed=1
    fi
done
run bulletin bulletin STORE --week 2026-11-20
# The second week: an update with corrections (history, supersede, known-on reads).
run import-week2 import STORE --parcels "$week2:parcels" --buildings "$week2:buildings" \
    --update --reported 2026-11-27 --quiet
run bulletin-week2 bulletin STORE --week 2026-11-27
run bulletin-as-issued bulletin STORE --week 2026-11-20 --known-on 2026-11-20
run status-week2 status STORE --as-of 2026-11-27 --since 2026-11-20
run corridor-week2 corridor STORE --as-of 2026-11-27 --threads 1
run history-csv history STORE --format csv
run history-parcel history STORE --parcel 430302200204JC00004
exit $failed

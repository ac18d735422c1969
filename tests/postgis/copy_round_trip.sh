#!/usr/bin/env bash
# `landclear copy` there and back: the sample (with the week-2 update, corridor results and
# check findings) copied from a SpatiaLite file into a PostGIS schema and from there into a new
# file; status, corridor, check, export (GeoJSON, CSV), bulletin (as issued and as known now)
# and history give the same output on all three, byte for byte (normalised: the store's name,
# and history's imported_at, which each store sets when a batch is written).
#   copy_round_trip.sh BIN DATA_DIR WORK_DIR      (LANDCLEAR_TEST_POSTGIS: the database)
set -u
bin=$1 data=$2 work=$3
. "$(dirname "$0")/lib.sh"
postgis_test_setup copy_round_trip "$data"
fail() { echo "FAILED: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
orig=$work/original.sqlite back=$work/back.sqlite

"$bin" import "$orig" --projects "$sample:projects" --corridors "$sample:corridors" \
    --parcels "$sample:parcels" --buildings "$sample:buildings" --reported 2026-11-20 \
    --quiet >/dev/null || fail "import"
"$bin" import "$orig" --parcels "$week2:parcels" --buildings "$week2:buildings" --update \
    --reported 2026-11-27 --quiet >/dev/null || fail "import week 2"
"$bin" corridor "$orig" --as-of 2026-11-27 --threads 1 >/dev/null 2>&1 || fail "corridor"
"$bin" check "$orig" >/dev/null 2>&1
[ $? = 3 ] || fail "check found nothing to keep"

"$bin" copy "$orig" "$pg" --quiet >to-pg.out || fail "copy to PostGIS: $(cat to-pg.out)"
"$bin" copy "$pg" "$back" --quiet >to-file.out || fail "copy back: $(cat to-file.out)"
"$bin" copy "$orig" "$back" --quiet >again.out 2>again.err && fail "copy onto an existing store"
grep -q "exists already" again.err || fail "copy onto an existing store: $(cat again.err)"
echo "$(cat to-pg.out)"
echo "$(cat to-file.out)"

failed=0
compare() {
    local name=$1
    shift
    local which store
    for which in original postgis back; do
        case $which in original) store=$orig ;; postgis) store=$pg ;; back) store=$back ;; esac
        local args=()
        for a in "$@"; do args+=("${a//STORE/$store}"); done
        "$bin" "${args[@]}" >$which.$name.raw 2>$which.$name.err
        echo $? >$which.$name.rc
        # An export: its file instead of what it printed.
        [ -e out.$name ] && mv out.$name $which.$name.raw
        cat $which.$name.rc >>$which.$name.raw
        STORE_NAME=$store perl -pe 's/\Q$ENV{STORE_NAME}\E/STORE/g;
            s/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/IMPORTED_AT/g' $which.$name.raw >$which.$name
    done
    for which in postgis back; do
        if ! cmp -s original.$name $which.$name; then
            echo "DIFFERENT: $name on $which ($*)"
            diff original.$name $which.$name | head -6
            failed=1
            return
        fi
    done
    case $(cat original.$name.rc) in
    0 | 3) ;;
    *)
        echo "FAILED on the original: $name: $(cat original.$name.err)"
        failed=1
        return
        ;;
    esac
    echo "same: $name ($(wc -c <original.$name) bytes)"
}
compare status status STORE --as-of 2026-11-27 --since 2026-11-20
compare status-json status STORE --as-of 2026-11-27 --format json
compare corridor corridor STORE --as-of 2026-11-27 --threads 1
compare check-csv check STORE --dry-run --format csv
compare findings.csv export STORE --layer findings --out out.findings.csv --quiet
compare parcels.csv export STORE --layer parcels --as-of 2026-11-27 --out out.parcels.csv --quiet
compare parcels.geojson export STORE --layer parcels --as-of 2026-11-27 --out out.parcels.geojson \
    --quiet
compare corridor-parcels.geojson export STORE --layer corridor-parcels --as-of 2026-11-27 \
    --out out.corridor-parcels.geojson --quiet
compare bulletin bulletin STORE --week 2026-11-27
compare bulletin-as-issued bulletin STORE --week 2026-11-20 --known-on 2026-11-20
compare status-known status STORE --as-of 2026-11-20 --known-on 2026-11-20
compare history history STORE
compare history-csv history STORE --format csv
exit $failed

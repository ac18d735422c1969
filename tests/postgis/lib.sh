# Sourced by the PostGIS tests (copy_round_trip.sh, same_outputs.sh): the set-up they share.
#   postgis_test_setup NAME DATA_DIR
# sets base (the database, from LANDCLEAR_TEST_POSTGIS), schema (NAME_<pid>, the test's own),
# pg (the store URI of that schema), sample and week2 (the bundled sample and its week-2
# update), and drops the schema when the script exits. Without LANDCLEAR_TEST_POSTGIS it exits
# 77, which CTest reports as skipped, or 1 when LANDCLEAR_POSTGIS_REQUIRED=1 (CI, where a
# missing database is a failure, not a skip).
postgis_test_setup() {
    base=${LANDCLEAR_TEST_POSTGIS:-}
    if [ -z "$base" ]; then
        if [ "${LANDCLEAR_POSTGIS_REQUIRED:-}" = 1 ]; then
            echo "LANDCLEAR_TEST_POSTGIS is not set but LANDCLEAR_POSTGIS_REQUIRED=1" >&2
            exit 1
        fi
        echo "skipped: LANDCLEAR_TEST_POSTGIS is not set (scripts/test.d/50-postgis.sh sets it)"
        exit 77
    fi
    schema="${1}_$$"
    case "$base" in *\?*) pg="$base&schema=$schema" ;; *) pg="$base?schema=$schema" ;; esac
    sample="$2/sample.gpkg" week2="$2/sample-week2.gpkg"
    trap postgis_drop_schema EXIT
}

postgis_drop_schema() {
    psql -X -q "$base" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1
}

# Sourced by scripts/test after the build (and usable on its own: `source
# scripts/test.d/50-postgis.sh` in a root shell, then ctest). Starts a throwaway PostgreSQL 15 +
# PostGIS 3 cluster for the PostGIS cases of the suite (store_contract_postgis, postgis_*):
# initdb and the server run as the postgres user on a temporary data directory, listening on
# 127.0.0.1 and a Unix socket in that directory only, fsync off; one database with PostGIS.
# Exports LANDCLEAR_TEST_POSTGIS (the location the tests add their own schema=... to) and
# LANDCLEAR_POSTGIS_REQUIRED=1, so that here a missing server fails those tests instead of
# skipping them. The cluster is stopped and removed when the shell exits (trap on EXIT).
# LANDCLEAR_TEST_POSTGIS=0 skips all of it (the PostGIS cases then report themselves skipped).
if [ "${LANDCLEAR_TEST_POSTGIS:-}" = 0 ]; then
    unset LANDCLEAR_TEST_POSTGIS
else
    if declare -F ensure_debian_packages >/dev/null; then
        ensure_debian_packages postgresql-15 postgresql-15-postgis-3
    fi
    landclear_pg_bin=/usr/lib/postgresql/15/bin
    # In /tmp itself, not under $TMPDIR: the postgres user must reach the folder, and a
    # TMPDIR may be private to the user running the tests.
    landclear_pg_dir=$(mktemp -d /tmp/landclear-pg.XXXXXX)
    chown postgres: "$landclear_pg_dir"
    landclear_pg_stop() {
        if [ -n "${landclear_pg_dir:-}" ] && [ -d "$landclear_pg_dir" ]; then
            runuser -u postgres -- "$landclear_pg_bin/pg_ctl" -D "$landclear_pg_dir/data" -m fast \
                -w stop >/dev/null 2>&1 || true
            rm -rf "$landclear_pg_dir"
        fi
    }
    trap landclear_pg_stop EXIT
    runuser -u postgres -- "$landclear_pg_bin/initdb" -D "$landclear_pg_dir/data" --auth=trust \
        -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    landclear_pg_port=""
    for landclear_pg_try in 1 2 3 4 5; do
        p=$((40000 + RANDOM % 20000))
        if runuser -u postgres -- "$landclear_pg_bin/pg_ctl" -D "$landclear_pg_dir/data" \
            -l "$landclear_pg_dir/log" -w -o "-p $p -k $landclear_pg_dir \
            -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off -c jit=off -c max_connections=60" start >/dev/null; then
            landclear_pg_port=$p
            break
        fi
    done
    if [ -z "$landclear_pg_port" ]; then
        echo "cannot start the test PostgreSQL cluster (see $landclear_pg_dir/log)" >&2
        exit 1
    fi
    psql -X -q -v ON_ERROR_STOP=1 -h "$landclear_pg_dir" -p "$landclear_pg_port" -U postgres \
        -c "CREATE DATABASE landclear_test" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -h "$landclear_pg_dir" -p "$landclear_pg_port" -U postgres \
        -d landclear_test -c "CREATE EXTENSION postgis" >/dev/null
    export LANDCLEAR_TEST_POSTGIS="postgresql://postgres@127.0.0.1:$landclear_pg_port/landclear_test"
    export LANDCLEAR_POSTGIS_REQUIRED=1
    declare -F log >/dev/null && log "PostGIS test cluster on 127.0.0.1:$landclear_pg_port ($landclear_pg_dir)"
fi

#!/usr/bin/env bash
# Concurrency on a PostGIS store (issue 14, item 3), with the landclear binary and psql:
#  1. Two imports into one store serialise: the first holds the store's write lock (it is
#     stopped with SIGSTOP while it holds it), a third with lock_wait=1 gives up with a clear
#     error, the second waits ("waiting for another import into ...") and runs after it; the
#     imports table shows no interleaving (batch ids in order of the import ids).
#  2. A reader polling `status` all the while only ever sees a whole state: its output is one
#     of the four states' outputs computed independently on SpatiaLite files (base, base+A,
#     base+B, base+A+B; same_outputs.sh checks the two backends print alike).
#  3. An import killed (SIGKILL) during its COPY leaves the previous state (same status, same
#     data_version, no lock held); a killed first import leaves no schema behind.
#   concurrency.sh BIN SAMPLE_BIN WORK_DIR    (LANDCLEAR_TEST_POSTGIS: the database)
set -u
bin=$1 sample_bin=$2 work=$3
base=${LANDCLEAR_TEST_POSTGIS:-}
if [ -z "$base" ]; then
    if [ "${LANDCLEAR_POSTGIS_REQUIRED:-}" = 1 ]; then
        echo "LANDCLEAR_TEST_POSTGIS is not set but LANDCLEAR_POSTGIS_REQUIRED=1" >&2
        exit 1
    fi
    echo "skipped: LANDCLEAR_TEST_POSTGIS is not set (scripts/test.d/50-postgis.sh sets it)"
    exit 77
fi
schema="concurrency_$$"
fresh="concurrency_new_$$"
loc() { case "$base" in *\?*) echo "$base&schema=$1" ;; *) echo "$base?schema=$1" ;; esac; }
pg=$(loc "$schema")
sql() { psql -X -q -At "$base" -c "$1"; }
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
    sql "DROP SCHEMA IF EXISTS $schema CASCADE; DROP SCHEMA IF EXISTS $fresh CASCADE" \
        >/dev/null 2>&1
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
cd "$work" || exit 1

# Two generated datasets of 20 000 parcels (an import takes long enough to be caught).
"$sample_bin" --out a.gpkg --parcels 20000 --seed 1 >/dev/null 2>&1 || fail "sample a"
"$sample_bin" --out b.gpkg --parcels 20000 --seed 2 >/dev/null 2>&1 || fail "sample b"
# EXEC=1 (for a background job): the job's process becomes landclear itself, so that $! is the
# process that SIGSTOP and SIGKILL must reach, not a subshell waiting for it.
lc() { if [ "${EXEC:-}" = 1 ]; then exec "$bin" "$@"; else "$bin" "$@"; fi; }
import_base() { lc import "$1" --projects a.gpkg:projects --corridors a.gpkg:corridors \
    --parcels a.gpkg:parcels --buildings a.gpkg:buildings --reported 2026-11-20 --quiet; }
import_a() { lc import "$1" --parcels b.gpkg:parcels --buildings b.gpkg:buildings \
    --reported 2026-11-27 --quiet; }
import_b() { lc import "$1" --projects b.gpkg:projects --corridors b.gpkg:corridors \
    --reported 2026-11-27 --quiet; }
status() { "$bin" status "$1" --as-of 2026-11-27 --format csv; }

# The four whole states, on SpatiaLite.
import_base base.sqlite >/dev/null || fail "base import (SpatiaLite)"
cp base.sqlite a.sqlite && import_a a.sqlite >/dev/null || fail "import A (SpatiaLite)"
cp base.sqlite b.sqlite && import_b b.sqlite >/dev/null || fail "import B (SpatiaLite)"
cp a.sqlite ab.sqlite && import_b ab.sqlite >/dev/null || fail "import A+B (SpatiaLite)"
for s in base a b ab; do status $s.sqlite >state-$s.csv || fail "status $s"; done
cmp -s state-base.csv state-a.csv && fail "import A changes nothing the status shows"
cmp -s state-base.csv state-b.csv && fail "import B changes nothing the status shows"

import_base "$pg" >/dev/null || fail "base import (PostGIS)"
cmp -s <(status "$pg") state-base.csv || fail "PostGIS base status differs from SpatiaLite's"

# The reader: status again and again until told to stop; each output kept.
mkdir reads
(
    n=0
    while [ ! -e stop-reading ]; do
        n=$((n + 1))
        status "$pg" >reads/$n.csv 2>reads/$n.err || echo "$n" >>reads/failed
        sleep 0.1 # leave the imports the CPU (2 cores in CI)
    done
) &
reader=$!
pids+=("$reader")

# The store's write lock (docs/POSTGIS.md): advisory, key ('lclr', FNV-1a of the schema name);
# other tests may hold their own stores' locks at the same time.
fnv1a() {
    local h=2166136261 i c
    for ((i = 0; i < ${#1}; i++)); do
        printf -v c '%d' "'${1:i:1}"
        h=$((((h ^ c) * 16777619) & 0xFFFFFFFF))
    done
    echo $h
}
lock_objid=$(fnv1a "$schema")
advisory_held() {
    sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND \
        classid = $((0x6c636c72)) AND objid = $lock_objid"
}

# A takes the lock; stopped while holding it.
EXEC=1 import_a "$pg" >a.out 2>a.err &
a=$!
pids+=("$a")
for _ in $(seq 1 600); do
    [ "$(advisory_held)" = 1 ] && break
    kill -0 $a 2>/dev/null || break
    sleep 0.02
done
kill -STOP $a 2>/dev/null || fail "import A ended before it could be caught holding the lock"
[ "$(advisory_held)" = 1 ] || fail "import A does not hold the store's lock"
sleep 0.1
[ "$(ps -o stat= -p $a | cut -c1)" = T ] || fail "import A (process $a) is not stopped"

# C gives up after 1 s, with a clear message.
"$bin" import "$pg&lock_wait=1" --projects b.gpkg:projects --reported 2026-11-27 --quiet \
    >c.out 2>c.err
c_rc=$?
[ $c_rc = 1 ] || fail "import C (lock_wait=1) exited $c_rc, not 1"
grep -q "waiting for another import into" c.err || fail "import C did not say it waits: $(cat c.err)"
grep -q "gave up after waiting 1 s" c.err || fail "import C's error: $(cat c.err)"
echo "import C gave up: $(grep 'error' c.err)"

# B waits for A.
EXEC=1 import_b "$pg" >b.out 2>b.err &
b=$!
pids+=("$b")
for _ in $(seq 1 300); do
    grep -q "waiting for another import into" b.err 2>/dev/null && break
    sleep 0.02
done
grep -q "waiting for another import into" b.err || fail "import B did not say it waits"
echo "import B: $(grep waiting b.err)"
sleep 0.5
kill -CONT $a
wait $a || fail "import A failed: $(cat a.err)"
wait $b || fail "import B failed: $(cat b.err)"

# The killed import: D replaces the parcels again, killed while its COPY runs.
"$bin" import "$pg" --parcels a.gpkg:parcels --reported 2026-11-28 --quiet >d.out 2>d.err &
d=$!
pids+=("$d")
caught=0
for _ in $(seq 1 1000); do
    if [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'landclear' \
        AND state = 'active' AND query LIKE 'COPY \"$schema\".%'")" -ge 1 ]; then
        kill -KILL $d && caught=1
        break
    fi
    kill -0 $d 2>/dev/null || break
    sleep 0.01
done
wait $d 2>/dev/null
[ $caught = 1 ] || fail "import D ended before it could be killed mid-COPY"
echo "import D killed during its COPY"
sleep 0.3
touch stop-reading
wait $reader

# The outcome: A then B, whole, and nothing of D.
[ -e reads/failed ] && fail "status failed while the imports ran (reads $(cat reads/failed))"
cmp -s <(status "$pg") state-ab.csv || fail "after A, B and the killed D the status is not A+B"
[ "$(sql "SELECT value FROM $schema.landclear_meta WHERE key = 'data_version'")" = 3 ] ||
    fail "data_version is not 3"
[ "$(sql "SELECT string_agg(reported_on, ',' ORDER BY id) FROM $schema.batches")" = \
    "2026-11-20,2026-11-27,2026-11-27" ] || fail "batches: not base, A, B"
[ "$(sql "SELECT string_agg(DISTINCT layer, ',' ORDER BY layer) FROM $schema.imports WHERE \
    batch_id = 2")" = "buildings,parcels" ] || fail "batch 2 is not import A"
[ "$(sql "SELECT count(*) FROM (SELECT batch_id, lag(batch_id) OVER (ORDER BY id) AS prev FROM \
    $schema.imports) x WHERE batch_id < prev")" = 0 ] || fail "the imports interleaved"
for _ in $(seq 1 50); do
    [ "$(advisory_held)" = 0 ] && break
    sleep 0.1
done
[ "$(advisory_held)" = 0 ] || fail "the killed import's lock is still held"

# Every read was one whole state.
declare -A seen=()
total=0
for f in reads/*.csv; do
    total=$((total + 1))
    state=""
    for s in base a b ab; do
        if cmp -s "$f" state-$s.csv; then state=$s; break; fi
    done
    [ -n "$state" ] || fail "read $f is none of the whole states (a half import?)"
    seen[$state]=$((${seen[$state]:-0} + 1))
done
echo "reader: $total reads, each a whole state: base ${seen[base]:-0}, A ${seen[a]:-0}," \
    "B ${seen[b]:-0}, A+B ${seen[ab]:-0}"
[ "${seen[base]:-0}" -ge 1 ] || fail "no read while import A held the lock"
[ "${seen[ab]:-0}" -ge 1 ] || fail "no read after the imports"

# A killed first import leaves no store. Killed at any point after its transaction has written
# something into the new schema (backend_xid set), not only during a COPY: a first import of
# 20,000 parcels is fast enough now that its COPYs fell between two polls.
new=$(loc "$fresh")
EXEC=1 import_base "$new" >e.out 2>e.err &
e=$!
pids+=("$e")
caught=0
for _ in $(seq 1 1000); do
    if [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'landclear' \
        AND backend_xid IS NOT NULL AND query LIKE '%\"$fresh\"%'")" -ge 1 ]; then
        kill -KILL $e && caught=1
        break
    fi
    kill -0 $e 2>/dev/null || break
    sleep 0.01
done
wait $e 2>/dev/null
[ $caught = 1 ] || fail "the first import into $fresh ended before it could be killed"
sleep 0.3
[ "$(sql "SELECT count(*) FROM pg_namespace WHERE nspname = '$fresh'")" = 0 ] ||
    fail "a killed first import left its schema behind"
"$bin" status "$new" >/dev/null 2>f.err && fail "status on the killed new store succeeded"
grep -q "does not exist" f.err || fail "status on the killed new store: $(cat f.err)"
echo "a killed first import left no schema"
echo "ok"

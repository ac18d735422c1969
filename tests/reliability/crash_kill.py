#!/usr/bin/env python3
"""Crash safety (issue 15): an import killed with SIGKILL at 20 points spread over its run, then
every read command works and the store equals the state before the import or the state after
it, never a mix. The digests are SQLite's own (lcrel.store_digest), compared with a store
before the import and with one the same import finished on; the status totals are checked
against SQL on the store. Also an import creating a new store, killed at 6 points: afterwards
the path holds nothing or the finished store, and the next import leaves no temporary file.

  crash_kill.py BIN SAMPLE_BIN SAMPLE_GPKG WORK_DIR
Environment: LANDCLEAR_CRASH_SEED (default 15) chooses the kill points; LANDCLEAR_CRASH_POINTS
(default 20) how many."""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lcrel import Serve, copy_store, fail, fake_viewer, must, run, store_digest  # noqa: E402

binary, sample_bin, sample, work = sys.argv[1:5]
seed = int(os.environ.get("LANDCLEAR_CRASH_SEED", "15"))
points = int(os.environ.get("LANDCLEAR_CRASH_POINTS", "20"))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
viewer = fake_viewer(os.path.join(work, "viewer"))
started = time.monotonic()

# The import that gets killed replaces all four layers of a store holding the bundled sample
# with a bigger generated one (another seed), so before and after differ in every layer.
second = os.path.join(work, "second.gpkg")
must([sample_bin, "--parcels", "10000", "--seed", "7", "--out", second, "--overwrite"])


def import_cmd(store, src):
    return [binary, "import", store, "--parcels", f"{src}:parcels", "--buildings",
            f"{src}:buildings", "--corridors", f"{src}:corridors", "--projects",
            f"{src}:projects", "--quiet"]


base = os.path.join(work, "base.sqlite")
must(import_cmd(base, sample))
before = store_digest(base)

after_store = os.path.join(work, "after.sqlite")
# The run's length, the median of three (one run alone can be a slow outlier on a busy machine,
# and then most kill points would come after the end).
spans = []
for _ in range(3):
    copy_store(base, after_store)
    t0 = time.monotonic()
    must(import_cmd(after_store, second))
    spans.append(time.monotonic() - t0)
span = sorted(spans)[1]
after = store_digest(after_store)
for layer in ["parcels", "buildings", "corridors", "projects"]:
    if before[layer] == after[layer]:
        fail(f"the second import does not change layer {layer}: the test would prove nothing")
print(f"an uninterrupted import takes {span:.2f} s; seed {seed}")


def check_totals(store, label):
    """status --format json's totals against SQL on the same store."""
    r = must([binary, "status", store, "--format", "json", "--as-of", "2026-11-20"],
             what=f"{label}: status")
    totals = json.loads(r.stdout)["status"]["totals"]
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    n, m2 = db.execute("SELECT count(*), total(area_m2) FROM parcels "
                       "WHERE project_code IN (SELECT project_code FROM projects)").fetchone()
    db.close()
    if totals["parcels"] != n or abs(totals["area_mu"] - m2 * 3 / 2000) > 1e-6 * max(1, m2):
        fail(f"{label}: status totals {totals['parcels']} parcels, {totals['area_mu']} 亩; "
             f"SQL {n} parcels, {m2 * 3 / 2000} 亩")


def read_commands(store, label):
    """Every read command on the store as the kill left it. The read-only ones run first, while
    a hot journal (if any) is still there; corridor (which saves its red lines) last."""
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    folder = os.path.dirname(store)
    files_before = set(os.listdir(folder))
    check_totals(store, label)
    # check exits 3 when it finds problems: that is a working run too.
    r = run([binary, "check", store, "--dry-run", "--format", "json"])
    if r.returncode not in (0, 3) or not json.loads(r.stdout):
        fail(f"{label}: check exited {r.returncode}:\n{r.stderr.strip()}")
    must([binary, "export", store, "--layer", "parcels", "--out",
          os.path.join(out, "parcels.geojson"), "--as-of", "2026-11-20", "--quiet"],
         what=f"{label}: export")
    s = Serve(binary, store, viewer)
    if s.error:
        fail(f"{label}: serve did not start:\n{s.error}")
    try:
        with urllib.request.urlopen(s.url + "api/info", timeout=30) as resp:
            info = json.loads(resp.read())
            if resp.status != 200:
                fail(f"{label}: /api/info answered {resp.status}")
    finally:
        s.stop()
    if not info:
        fail(f"{label}: /api/info is empty")
    must([binary, "corridor", store, "--format", "json", "--as-of", "2026-11-20"],
         what=f"{label}: corridor")
    # Nothing written but --out: no new file next to the store (a recovered journal may go),
    # except serve's tile cache, STORE.tiles (docs/VIEWER.md), a folder of its own that it may
    # create beside the store; it is removed so that the next round starts without it.
    tiles = os.path.basename(store) + ".tiles"
    new = set(os.listdir(folder)) - files_before - {tiles}
    if os.path.isdir(os.path.join(folder, tiles)):
        shutil.rmtree(os.path.join(folder, tiles))
    if new or os.listdir(out) != ["parcels.geojson"]:
        fail(f"{label}: read commands left {sorted(new)} next to the store, {os.listdir(out)} "
             f"in --out's folder")


read_commands(base, "before any kill")
problems = []


def read_commands_noted(store, label):
    """read_commands, a failure noted rather than stopping, so one run shows every kill point
    that leaves the store unreadable."""
    try:
        read_commands(store, label)
    except SystemExit:
        problems.append(label)


seen = {"before": 0, "after": 0, "finished": 0}
rng = random.Random(seed)
victim = os.path.join(work, "victim.sqlite")
for i in range(points):
    # One point in each of `points` equal slices of the run (a little beyond its end too), so
    # opening, reading, writing, index building and commit all get hit.
    delay = (i + rng.random()) * span * 1.05 / points
    copy_store(base, victim)
    proc = subprocess.Popen(import_cmd(victim, second), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(delay)
    finished = proc.poll() is not None
    if not finished:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    journal = os.path.exists(victim + "-journal")
    label = f"kill {i + 1} at {delay:.3f} s" + (" (journal left)" if journal else "")
    read_commands_noted(victim, label)
    got = store_digest(victim)
    if got == before:
        state = "before"
    elif got == after:
        state = "after"
    else:
        mixed = [k for k in got if got[k] != before[k] and got[k] != after[k]]
        same_as_before = [k for k in got if got[k] == before[k] and got[k] != after[k]]
        fail(f"{label}: the store is neither the state before nor after the import: "
             f"{mixed or 'every table'} match neither; {same_as_before} match before")
    if finished:
        seen["finished"] += 1
        if state != "after":
            fail(f"{label}: the import had exited but the store is the state before it")
    else:
        seen[state] += 1
    print(f"{label}: {'not killed, finished' if finished else 'killed'}; store is the state "
          f"{state} the import")
if seen["before"] == 0 or seen["before"] + seen["after"] == 0:
    fail(f"no kill hit the import while it ran ({seen}): the test proved nothing")

# A kill while the import creates a new store: the path then holds nothing or the whole store,
# and the next import there succeeds and leaves no temporary file.
fresh_ref = os.path.join(work, "fresh-ref.sqlite")
t0 = time.monotonic()
must(import_cmd(fresh_ref, second))
fresh_span = time.monotonic() - t0
fresh = store_digest(fresh_ref)
for i in range(6):
    delay = (i + rng.random()) * fresh_span / 6
    folder = os.path.join(work, f"new{i}")
    os.makedirs(folder)
    store = os.path.join(folder, "new.sqlite")
    proc = subprocess.Popen(import_cmd(store, second), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    label = f"new-store kill {i + 1} at {delay:.3f} s"
    existed = os.path.exists(store)
    if existed:
        if store_digest(store) != fresh:
            fail(f"{label}: the new store exists but is not the finished import")
        read_commands_noted(store, label)
        print(f"{label}: the store was complete")
    else:
        # Read commands say the store does not exist (exit 1), never anything worse.
        r = run([binary, "status", store])
        if r.returncode != 1 or "does not exist" not in r.stderr:
            fail(f"{label}: status on the missing store exited {r.returncode}: {r.stderr}")
        print(f"{label}: no store (as before)")
    must(import_cmd(store, sample), what=f"{label}: the next import")
    if not existed and store_digest(store) != before:
        fail(f"{label}: the next import did not give the store it gives on a clean path")
    left = sorted(set(os.listdir(folder)) - {"new.sqlite"})
    if left:
        print(f"FAIL: {label}: files left next to the store after the next import: {left}",
              file=sys.stderr)
        problems.append(f"{label} (stale {left})")
if problems:
    fail(f"{len(problems)} kill points left a store the next command could not use or files "
         f"behind: {problems}")
print(f"crash safety: {points} kills ({seen['before']} left the state before, {seen['after']} "
      f"after, {seen['finished']} came after the import had finished), 6 new-store kills; "
      f"{time.monotonic() - started:.1f} s")

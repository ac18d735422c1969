"""Shared by the reliability tests (tests/reliability/*.py): running landclear, a store's
content digest computed by SQLite itself (never by landclear), and `landclear serve` start-up.
Python standard library only."""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time

# The layers an import writes, and its bookkeeping: a store equals another when all of them do.
LAYERS = ["parcels", "buildings", "corridors", "projects", "findings"]


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd, timeout=300, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def must(cmd, timeout=300, what=None):
    r = run(cmd, timeout)
    if r.returncode != 0:
        fail(f"{what or ' '.join(cmd)} exited {r.returncode}:\n{r.stderr.strip()}")
    return r


def _table_digest(db, table):
    cols = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
    if not cols:
        return None
    # Wall-clock stamps differ between two runs of the same import.
    cols = [c for c in cols if c not in ("imported_at", "created_at")]
    # Every column by value, blobs (the SpatiaLite geometries) byte for byte as hex.
    sel = ", ".join(f'quote("{c}")' for c in cols)
    h = hashlib.sha256()
    n = 0
    for row in db.execute(f'SELECT {sel} FROM "{table}" ORDER BY rowid'):
        h.update("\x1f".join(row).encode())
        h.update(b"\x1e")
        n += 1
    return f"{n}:{h.hexdigest()[:16]}"


def store_digest(path):
    """{table: "rows:sha256"} for every layer, the imports log and the data version, read with
    SQLite (a read-write connection: a hot journal left by a killed writer is rolled back the
    way SQLite always does it). Also checks integrity and that each layer's spatial index holds
    exactly the layer's rows, so a half-built index counts as a mix."""
    db = sqlite3.connect(path)
    try:
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            fail(f"{path}: integrity_check says {ok}")
        d = {t: _table_digest(db, t) for t in LAYERS + ["imports"]}
        d["data_version"] = db.execute(
            "SELECT value FROM landclear_meta WHERE key='data_version'").fetchone()[0]
        for t in ["parcels", "buildings", "corridors", "projects"]:
            n = db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            # The R*Tree's own node table: one row per indexed geometry.
            idx = db.execute(f'SELECT count(*) FROM "idx_{t}_geom_rowid"').fetchone()[0]
            nulls = db.execute(f'SELECT count(*) FROM "{t}" WHERE geom IS NULL').fetchone()[0]
            if idx != n - nulls:
                fail(f"{path}: layer {t} has {n - nulls} geometries but its spatial index {idx}")
        return d
    finally:
        db.close()


def copy_store(src, dst):
    for suffix in ["", "-journal", "-wal", "-shm"]:
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)


def fake_viewer(folder):
    """The files `serve` checks for; the tests here are about the API, not the page."""
    os.makedirs(os.path.join(folder, "vendor", "maplibre"), exist_ok=True)
    for name, text in [("index.html", "<!doctype html><title>t</title>"), ("app.js", ""),
                       ("vendor/maplibre/maplibre-gl.mjs", "")]:
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    return folder


class Serve:
    """`landclear serve` on a free port; the URL it prints; stopped with SIGTERM."""

    def __init__(self, binary, store, viewer, extra=(), timeout=60):
        self.proc = subprocess.Popen(
            [binary, "serve", store, "--port", "0", "--viewer", viewer, "--quiet", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        deadline = time.monotonic() + timeout
        self.url = None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line.rstrip())
            m = re.search(r"landclear serve: (http://[^ ]+/) ", line)
            if m:
                self.url = m.group(1)
                break
        if not self.url:
            self.proc.kill()
            rest = self.proc.stderr.read()
            self.proc.wait()
            self.error = "\n".join(self.lines) + rest
        else:
            self.error = None
            self.port = int(re.search(r":(\d+)/$", self.url).group(1))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

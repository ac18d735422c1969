#!/usr/bin/env python3
"""`landclear serve` under load (issue 15): 200 concurrent clients, each on its own kept-alive
connection, mixing map features (GeoJSON per bounding box, as the page asks for them), figures
(/api/projects, /api/corridors, /api/corridor) and parcel look-ups on the 100k benchmark store,
for a bounded time; meanwhile 20 idle half-open connections (slowloris) sit on the server, a
request naming a foreign Host is refused and a second `serve` on the same port is refused.
Passes with 0 errors; prints requests, errors and p50/p99 latency (overall and per kind); the
store file is byte for byte unchanged and its content digest (SQLite's) the same. Parcel areas
served are checked against SQL on the store.

  serve_load.py BIN SAMPLE_BIN WORK_DIR
Environment: LANDCLEAR_LOAD_SAMPLE=FILE.gpkg uses that sample instead of generating 100k
parcels; LANDCLEAR_LOAD_SECONDS (default 20), LANDCLEAR_LOAD_CLIENTS (default 200)."""

import hashlib
import http.client
import json
import os
import random
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lcrel import Serve, fail, fake_viewer, must, run, store_digest  # noqa: E402

binary, sample_bin, work = sys.argv[1:4]
seconds = float(os.environ.get("LANDCLEAR_LOAD_SECONDS", "20"))
clients = int(os.environ.get("LANDCLEAR_LOAD_CLIENTS", "200"))
as_of = "2026-11-20"
os.makedirs(work, exist_ok=True)
viewer = fake_viewer(os.path.join(work, "viewer"))

# The 100k benchmark store: generated (kept between runs while the generator is unchanged) and
# imported as scripts/bench/run does.
sample = os.environ.get("LANDCLEAR_LOAD_SAMPLE")
if not sample:
    sample = os.path.join(work, "sample-100000.gpkg")
    if not os.path.exists(sample) or os.path.getmtime(sample_bin) > os.path.getmtime(sample):
        t0 = time.monotonic()
        must([sample_bin, "--parcels", "100000", "--as-of", as_of, "--out", sample + ".tmp.gpkg",
              "--overwrite"], timeout=600)
        os.replace(sample + ".tmp.gpkg", sample)
        print(f"generated the 100k sample in {time.monotonic() - t0:.1f} s")
store = os.path.join(work, "store.sqlite")
if os.path.exists(store):
    os.remove(store)
t0 = time.monotonic()
must([binary, "import", store, "--parcels", f"{sample}:parcels", "--buildings",
      f"{sample}:buildings", "--corridors", f"{sample}:corridors", "--projects",
      f"{sample}:projects", "--quiet"], timeout=600)
print(f"imported in {time.monotonic() - t0:.1f} s")


def file_hash(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


digest_before = store_digest(store)
bytes_before = file_hash(store)
db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
n_parcels = db.execute("SELECT count(*) FROM parcels").fetchone()[0]
if n_parcels < 100000:
    fail(f"the benchmark store has {n_parcels} parcels, not 100k")
# 3,000 parcels chosen by a seeded draw, so two runs ask for the same ones.
codes = random.Random(15).sample(
    [r[0] for r in db.execute("SELECT parcel_code FROM parcels ORDER BY parcel_code")], 3000)
area_of = dict(db.execute("SELECT parcel_code, area_m2 FROM parcels WHERE parcel_code IN (%s)" %
                          ",".join("?" * len(codes)), codes).fetchall())
corridor_codes = [r[0] for r in db.execute("SELECT corridor_code FROM corridors")]
db.close()

server = Serve(binary, store, viewer, ["--max-connections", str(clients + 64)])
if server.error:
    fail(f"serve did not start:\n{server.error}")
host, port = "127.0.0.1", server.port


def get(conn, path):
    conn.request("GET", path, headers={"Host": f"{host}:{port}"})
    resp = conn.getresponse()
    return resp.status, resp.read()


# The map windows: each project's bounding box (WGS84) as the page asks for it, and quarters of
# it (a zoomed-in view).
warm = http.client.HTTPConnection(host, port, timeout=120)
status, body = get(warm, f"/api/projects?as_of={as_of}")
if status != 200:
    fail(f"/api/projects answered {status}: {body[:300]!r}")
projects = json.loads(body)
rows = projects["projects"]
windows = []
for row in rows:
    w, s, e, n = row["bbox"]
    windows.append((w, s, e, n))
    mx, my = (w + e) / 2, (s + n) / 2
    windows += [(w, s, mx, my), (mx, s, e, my), (w, my, mx, n), (mx, my, e, n)]
if not corridor_codes or not windows:
    fail("the benchmark store has no corridors or no projects")
# The corridor analysis is computed once and cached: a first request takes it out of the run.
get(warm, f"/api/corridors?as_of={as_of}")
warm.close()


def pick(r):
    x = r.random()
    if x < 0.35:
        w, s, e, n = r.choice(windows)
        return "features", (f"/api/features/parcels?bbox={w:.6f},{s:.6f},{e:.6f},{n:.6f}"
                            f"&as_of={as_of}&view=map")
    if x < 0.45:
        w, s, e, n = r.choice(windows)
        return "features", f"/api/features/buildings?bbox={w:.6f},{s:.6f},{e:.6f},{n:.6f}&as_of={as_of}"
    if x < 0.55:
        return "figures", f"/api/projects?as_of={as_of}"
    if x < 0.62:
        return "figures", f"/api/corridors?as_of={as_of}"
    if x < 0.70:
        return "figures", f"/api/corridor?code={r.choice(corridor_codes)}&as_of={as_of}"
    return "parcel", f"/api/parcel?code={r.choice(codes)}&as_of={as_of}"


lock = threading.Lock()
results = []  # (kind, seconds, ok)
errors = []
stop_at = None
start_gate = threading.Barrier(clients + 1)


def client(i):
    r = random.Random(1000 + i)
    conn = http.client.HTTPConnection(host, port, timeout=60)
    mine = []
    start_gate.wait()
    while time.monotonic() < stop_at:
        kind, path = pick(r)
        t = time.monotonic()
        try:
            status, body = get(conn, path)
            ok = status == 200
            why = f"{status} {body[:200]!r}"
            if ok and kind == "parcel":
                code = path.split("code=")[1].split("&")[0]
                got = json.loads(body)
                if abs(got["area_m2"] - area_of[code]) > 1e-6 * max(1.0, area_of[code]):
                    ok, why = False, f"area {got['area_m2']} for {code}, SQL {area_of[code]}"
            elif ok and kind == "features" and b'"FeatureCollection"' not in body[:100]:
                ok, why = False, f"not GeoJSON: {body[:100]!r}"
        except Exception as e:  # a reset, a timeout: an error like any other
            ok, why = False, f"{type(e).__name__}: {e}"
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
        mine.append((kind, time.monotonic() - t, ok))
        if not ok:
            with lock:
                errors.append(f"{path}: {why}")
    conn.close()
    with lock:
        results.extend(mine)


# Slowloris during the run: connections that send part of a request head and then nothing. The
# guard closes each after its head timeout; while they sit there, nobody else may suffer.
idle = []
for _ in range(20):
    s = socket.create_connection((host, port))
    s.sendall(b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    idle.append(s)

threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
for t in threads:
    t.start()
stop_at = time.monotonic() + seconds
start_gate.wait()
began = time.monotonic()

# DNS rebinding: a page served under a foreign name must not read the store.
foreign = http.client.HTTPConnection(host, port, timeout=30)
foreign.request("GET", "/api/info", headers={"Host": "attacker.example:%d" % port})
foreign_status = foreign.getresponse().status
foreign.close()
# A second server on the port the first one holds refuses to start, instead of sharing it.
second = run([binary, "serve", store, "--port", str(port), "--viewer", viewer, "--quiet"],
             timeout=60)

for t in threads:
    t.join(timeout=seconds + 120)
elapsed = time.monotonic() - began
for s in idle:
    s.close()
code = server.stop()

if foreign_status != 403:
    errors.append(f"a request for Host attacker.example answered {foreign_status}, not 403")
if second.returncode != 1 or f"cannot listen on 127.0.0.1:{port}" not in second.stderr:
    errors.append(f"a second serve on port {port} exited {second.returncode}: "
                  f"{second.stderr.strip()[:300]}")
if code not in (0, -15):
    errors.append(f"serve exited {code} when stopped")


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


summary = {"clients": clients, "seconds": round(elapsed, 1), "parcels": n_parcels,
           "requests": len(results), "errors": sum(1 for r in results if not r[2]),
           "p50_ms": round(pct([r[1] for r in results], 50) * 1000, 1),
           "p99_ms": round(pct([r[1] for r in results], 99) * 1000, 1),
           "max_ms": round(max(r[1] for r in results) * 1000, 1) if results else None,
           "by_kind": {}}
for kind in ["features", "figures", "parcel"]:
    lat = [r[1] for r in results if r[0] == kind]
    summary["by_kind"][kind] = {"requests": len(lat), "p50_ms": round(pct(lat, 50) * 1000, 1),
                                "p99_ms": round(pct(lat, 99) * 1000, 1)}
with open(os.path.join(work, "load-summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
print(f"load: {summary['requests']} requests from {clients} clients in {summary['seconds']} s "
      f"({summary['requests'] / elapsed:.0f}/s), {summary['errors']} errors, "
      f"p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, max {summary['max_ms']} ms")
for kind, k in summary["by_kind"].items():
    print(f"  {kind}: {k['requests']} requests, p50 {k['p50_ms']} ms, p99 {k['p99_ms']} ms")
print(f"  foreign Host: {foreign_status}; second serve on the port: exit {second.returncode}")

if file_hash(store) != bytes_before:
    errors.append("the store file changed under the read-only server")
if store_digest(store) != digest_before:
    errors.append("the store's content digest changed under the read-only server")
if len(results) < clients:
    errors.append(f"only {len(results)} requests completed")
if errors:
    fail(f"{len(errors)} errors, e.g.:\n  " + "\n  ".join(errors[:10]))

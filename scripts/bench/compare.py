#!/usr/bin/env python3
"""Compares landclear's figures with PostGIS's and SpatiaLite's (scripts/bench/run).

usage: compare.py WORKDIR SEGMENT_M

Reads WORKDIR/landclear/{status,corridor}.json and WORKDIR/{postgis,spatialite}/
{status,corridors,segments}.txt ('|'-separated, written by the SQL in jobs.sh). Every figure is
compared with a relative tolerance of 1e-6: |a - b| <= 1e-6 * max(|a|, |b|, 1) (areas in m²,
so the floor is 1e-6 m²; counts must be equal). Required to agree:
  - per project: parcels, area, acquired, cleared, delivered m², households, households and floor
    area signed and demolished;
  - per corridor: red-line area, parcel area inside, acquired, cleared, delivered m² (nested
    stages), buildings, households, signed and demolished households (the count of parcels
    inside is compared and reported, not required: see below);
  - the segments: the same chainages; and where the definitions match (the SQL segment, a
    flat-ended buffer of the sub-line, has the area of landclear's piece to 1e-6), parcel area
    and the three stages (parcel counts reported).
Exit status 1 when anything required disagrees. Also prints the exported files' feature counts
and area sums (informational).
"""
import json
import subprocess
import sys

MU = 2000.0 / 3.0  # m² per 亩
TOL = 1e-6

work, seg_len = sys.argv[1], float(sys.argv[2])


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1.0)


def tables(path):
    # One JSON document with a member per table (docs/CLI.md).
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def rows(path, width):
    out = []
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("|")
        if len(f) == width:
            out.append(f)
    return out


lc_status = tables(f"{work}/landclear/status.json")["status"]
lc_corr = tables(f"{work}/landclear/corridor.json")

STATUS = ["parcels", "area m²", "acquired m²", "cleared m²", "delivered m²", "households",
          "signed households", "signed floor m²", "demolished households", "demolished floor m²"]
ours_status = {}
for r in lc_status["rows"]:
    ours_status[r["group"]] = [r["parcels"], r["area_mu"] * MU, r["acquired_mu"] * MU,
                               r["cleared_mu"] * MU, r["delivered_mu"] * MU, r["households"],
                               r["signed_households"], r["signed_floor_m2"],
                               r["demolished_households"], r["demolished_floor_m2"]]

CORR = ["red line m²", "parcels", "parcel area m²", "acquired m²", "cleared m²", "delivered m²",
        "buildings", "households", "signed households", "demolished households"]
ours_corr = {}
for r in lc_corr["corridors"]["rows"]:
    ours_corr[r["corridor"]] = [r["red_line_mu"] * MU, r["parcels"], r["area_mu"] * MU,
                                r["acquired_mu"] * MU, r["cleared_mu"] * MU,
                                r["delivered_mu"] * MU, r["buildings"], r["households"],
                                r["signed_households"], r["demolished_households"]]

SEG = ["parcels", "parcel area m²", "acquired m²", "cleared m²", "delivered m²"]
ours_seg = {}
for r in lc_corr["segments"]["rows"]:
    ours_seg[(r["corridor"], r["segment"] - 1)] = (
        r["from_m"], r["to_m"], r["red_line_mu"] * MU,
        [r["parcels"], r["area_mu"] * MU, r["acquired_mu"] * MU, r["cleared_mu"] * MU,
         r["delivered_mu"] * MU])

ok = True


def check(what, engine, ours, theirs, names, required=True):
    """Compares two {key: [values]} maps; prints a line and up to 10 disagreements."""
    global ok
    lines = []
    if set(ours) != set(theirs):
        only_ours = sorted(set(ours) - set(theirs))[:10]
        only_theirs = sorted(set(theirs) - set(ours))[:10]
        lines.append(f"    keys differ: only landclear {only_ours}, only {engine} {only_theirs}")
    worst = [0.0] * len(names)
    bad = 0
    for key in sorted(set(ours) & set(theirs)):
        for j, (a, b) in enumerate(zip(ours[key], theirs[key])):
            d = rel(a, b)
            worst[j] = max(worst[j], d)
            if d > TOL:
                bad += 1
                if len(lines) < 10:
                    lines.append(f"    {key}: {names[j]} landclear {a!r} vs {engine} {b!r} "
                                 f"(relative {d:.2e})")
    good = bad == 0 and set(ours) == set(theirs)
    print(f"  {what:9s} landclear vs {engine:10s}: {len(ours)} rows, {len(names)} figures each, "
          f"largest relative difference {max(worst):.1e}: "
          f"{'agree' if good else (f'DISAGREE ({bad} figures)' if required else f'differ ({bad} figures; reported, not required)')}")
    if not good:
        worst_names = [f"{n} {w:.1e}" for n, w in zip(names, worst) if w > TOL]
        print("    figures over 1e-6: " + ", ".join(worst_names))
    for l in lines:
        print(l)
    ok = ok and (good or not required)


def split(table, j):
    """{key: values} without column j, and {key: [column j]}."""
    return ({k: v[:j] + v[j + 1:] for k, v in table.items()}, {k: [v[j]] for k, v in table.items()})


for engine in ("postgis", "spatialite"):
    theirs = {f[0]: [float(x or 0) for x in f[1:]] for f in rows(f"{work}/{engine}/status.txt", 11)}
    # landclear lists no row for a project with neither a parcels nor a projects entry; SQL the
    # same (codes from both layers).
    check("status", engine, ours_status, theirs, STATUS)

for engine in ("postgis", "spatialite"):
    theirs = {f[0]: [float(x or 0) for x in f[1:]] for f in rows(f"{work}/{engine}/corridors.txt", 11)}
    # The parcel count is reported, not required: landclear counts a parcel whose clipped piece
    # is a floating-point sliver (1e-10 m² seen where a parcel edge runs along the red line), the
    # SQL keeps pieces of positive area only; the areas agree either way.
    o, o_n = split(ours_corr, 1)
    t, t_n = split(theirs, 1)
    check("corridors", engine, o, t, CORR[:1] + CORR[2:])
    check("  parcels", engine, o_n, t_n, ["parcels inside"], required=False)

for engine in ("postgis", "spatialite"):
    theirs = {}
    for f in rows(f"{work}/{engine}/segments.txt", 10):
        theirs[(f[0], int(f[1]))] = (float(f[2]), float(f[3]), float(f[4]),
                                     [float(x or 0) for x in f[5:]])
    same_chainage = set(theirs) == set(ours_seg) and all(
        rel(ours_seg[k][0], theirs[k][0]) <= TOL and rel(ours_seg[k][1], theirs[k][1]) <= TOL
        for k in ours_seg)
    matched = {k for k in ours_seg if k in theirs and rel(ours_seg[k][2], theirs[k][2]) <= TOL}
    sub_ours = {k: ours_seg[k][3] for k in matched}
    sub_theirs = {k: theirs[k][3] for k in matched}
    red_ours = sum(v[2] for v in ours_seg.values())
    red_theirs = sum(v[2] for v in theirs.values())
    print(f"  segments  landclear vs {engine:10s}: {len(ours_seg)} vs {len(theirs)} segments, "
          f"chainages {'agree' if same_chainage else 'DISAGREE'}; red-line pieces agree on "
          f"{len(matched)} (the definitions match there); pieces sum to {red_ours:.1f} m² "
          f"(landclear: tiles the red line) vs {red_theirs:.1f} m² (sub-line buffers)")
    if not same_chainage:
        ok = False
    o, o_n = split(sub_ours, 0)
    t, t_n = split(sub_theirs, 0)
    check("  matched", engine, o, t, SEG[1:])
    check("  parcels", engine, o_n, t_n, ["parcels in segment"], required=False)

# Invariants that need no second engine (informational): the generated parcels of a project
# partition its band, which covers the red line, so the parcel area inside equals the red-line
# area; a flat-ended buffer's area is near length x width (round joins add a little at bends).
cover = max(rel(r["area_mu"], r["red_line_mu"]) for r in lc_corr["corridors"]["rows"])
lw = []
for r in lc_corr["corridors"]["rows"]:
    if r["red_line"].endswith(" m"):
        lw.append(rel(r["red_line_mu"] * MU, r["length_m"] * float(r["red_line"][:-2])))
print(f"  invariant landclear: parcel area inside / red-line area deviates by at most {cover:.1e}; "
      f"red line / (length x width) by at most {max(lw) if lw else float('nan'):.1e}")

# The exports, read back with ogrinfo (informational: the SQL pieces are the sub-line buffers').
def export_summary(path, layer, area_field):
    try:
        out = subprocess.run(
            ["ogrinfo", "-ro", "-q", "-dialect", "SQLite", "-sql",
             f'SELECT count(*) AS n, sum("{area_field}") AS a FROM "{layer}"', path],
            capture_output=True, text=True, check=True).stdout
    except subprocess.CalledProcessError as e:
        return f"unreadable ({e.stderr.strip()[:80]})"
    vals = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            vals[k.strip().split()[0]] = v.strip()
    return f"{vals.get('n', '?')} features, {float(vals.get('a', 'nan')):.1f} m²"


for engine in ("landclear", "postgis", "spatialite"):
    gj = export_summary(f"{work}/{engine}/corridor_parcels.geojson", "corridor_parcels", "area_m2")
    shp_area = "AREA_M2" if engine == "landclear" else "area_m2"
    shp = export_summary(f"{work}/{engine}/corridor_parcels.shp", "corridor_parcels", shp_area)
    print(f"  export    {engine:10s}: GeoJSON {gj}; Shapefile {shp}")

print("  the three engines " + ("agree" if ok else "DISAGREE"))
sys.exit(0 if ok else 1)

#!/usr/bin/env python3
"""Growth table from scripts/bench/run's summary.tsv: seconds per phase at each size and the
ratio from one size to the next (issue 11: at most 12x per 10x more parcels).
usage: growth.py SUMMARY.TSV"""
import sys

rows = {}
for line in open(sys.argv[1], encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if len(f) < 8:
        continue
    n, phase = int(f[0]), f[1]
    rows.setdefault(phase, {})[n] = [float(x) if x else None for x in (f[2], f[4], f[6])]
names = {"load": "import / load", "job": "status + corridor", "export": "export",
         "total": "end to end"}
sizes = sorted({n for p in rows.values() for n in p})


def label(n):
    return f"{n // 1000000}M" if n % 1000000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


print("\n| phase | engine | " + " | ".join(label(n) for n in sizes) + " | " +
      " | ".join(f"{label(a)}→{label(b)}" for a, b in zip(sizes, sizes[1:])) + " |")
print("|---|---|" + "---|" * (2 * len(sizes) - 1))
for phase in ("load", "job", "export", "total"):
    for j, engine in enumerate(("landclear", "PostGIS", "SpatiaLite")):
        t = [rows.get(phase, {}).get(n, [None] * 3)[j] for n in sizes]
        if all(x is None for x in t):
            continue
        cells = [f"{x:.2f} s" if x is not None else "–" for x in t]
        ratios = [f"{b / a:.1f}× (for {n2 / n1:g}×)" if a and b else "–"
                  for a, b, n1, n2 in zip(t, t[1:], sizes, sizes[1:])]
        print(f"| {names[phase]} | {engine} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")

#!/usr/bin/env python3
"""Checks one output of landclear against the output contract (docs/CLI.md), with Python's own
json, csv and zipfile modules (not landclear's code):

  json FILE [a,b]  exactly one JSON document: an object with a member per table, keyed by the
                   table's name, each {table, title, columns, rows[, totals][, notes]}, every row
                   holding only the columns' keys; with a,b: exactly these tables, in this order
  csv FILE - [N]   exactly one table: one UTF-8 BOM at the start and none after, one header row
                   (never repeated), the same number of cells in every row; with N: N columns
                   (which table of a report it is)
  xlsx FILE [a,b]  a workbook whose sheets are exactly a,b (in order)
  geojson FILE     one GeoJSON FeatureCollection (RFC 7946: lon/lat) of at least one feature
"""
import csv
import io
import json
import re
import sys
import zipfile


def fail(msg):
    print(msg)
    sys.exit(1)


def check_json(path, tables):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)  # "Extra data" when several documents follow each other
    except json.JSONDecodeError as e:
        fail(f"not one JSON document: {e}")
    if not isinstance(doc, dict) or not doc:
        fail("the document is not an object of tables")
    for name, t in doc.items():
        if not isinstance(t, dict):
            fail(f"member {name} is not a table object")
        if t.get("table") != name:
            fail(f"member {name} holds table {t.get('table')!r}")
        for key in ("title", "columns", "rows"):
            if key not in t:
                fail(f"table {name} has no {key}")
        keys = [c["key"] for c in t["columns"]]
        if len(set(keys)) != len(keys):
            fail(f"table {name} has a column key twice")
        for row in t["rows"] + ([t["totals"]] if "totals" in t else []):
            extra = set(row) - set(keys)
            if extra:
                fail(f"table {name}: a row has keys that are not columns: {sorted(extra)}")
    if tables and list(doc) != tables:
        fail(f"tables {list(doc)}, expected {tables}")
    print(f"json: one document, tables {', '.join(doc)}")


def check_csv(path, tables, columns=None):
    with open(path, "rb") as f:
        data = f.read()
    bom = b"\xef\xbb\xbf"
    if not data.startswith(bom):
        fail("CSV does not start with a UTF-8 BOM")
    if data.count(bom) != 1:
        fail(f"CSV holds {data.count(bom)} BOMs: several tables in one stream")
    rows = list(csv.reader(io.StringIO(data[len(bom):].decode("utf-8"), newline="")))
    if not rows:
        fail("CSV has no header row")
    header = rows[0]
    if columns is not None and len(header) != columns:
        fail(f"CSV has {len(header)} columns, expected {columns}")
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            fail(f"CSV row {n} has {len(row)} cells, the header {len(header)}")
        if row == header:
            fail(f"CSV row {n} repeats the header: several tables in one stream")
    print(f"csv: one table, {len(header)} columns, {len(rows) - 1} rows")


def check_xlsx(path, tables):
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    sheets = re.findall(r'<sheet [^>]*name="([^"]*)"', workbook)
    if not sheets:
        fail("workbook has no sheet")
    if tables and sheets != tables:
        fail(f"sheets {sheets}, expected {tables}")
    print(f"xlsx: sheets {', '.join(sheets)}")


def check_geojson(path, tables):
    with open(path, encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError as e:
            fail(f"not one JSON document: {e}")
    if doc.get("type") != "FeatureCollection" or not doc.get("features"):
        fail("not a FeatureCollection with features")
    for feat in doc["features"]:
        ring = feat["geometry"]["coordinates"]
        while isinstance(ring[0], list):
            ring = ring[0]
        lon, lat = ring
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            fail(f"coordinates {lon}, {lat} are not longitude/latitude")
    print(f"geojson: {len(doc['features'])} features")


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    kind, path = sys.argv[1], sys.argv[2]
    tables = [t for t in (sys.argv[3] if len(sys.argv) > 3 else "").split(",") if t]
    checks = {"json": check_json, "csv": check_csv, "xlsx": check_xlsx, "geojson": check_geojson}
    if kind not in checks:
        fail(f"unknown check {kind}")
    columns = sys.argv[4] if len(sys.argv) > 4 else ""
    if kind == "csv":
        check_csv(path, tables, int(columns) if columns else None)
    else:
        checks[kind](path, tables)


if __name__ == "__main__":
    main()

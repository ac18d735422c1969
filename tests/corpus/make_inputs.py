#!/usr/bin/env python3
"""Writes the damaged, hostile and contradictory inputs of the bad-input corpus (tests/corpus/README.md)
into OUT: small GeoJSON, shapefiles and GeoPackages made from the hand-made layers of
tests/cli/data (EPSG:4547), and damaged copies of the clean store. Nothing here is kept in the
repository as a binary; every file is made again on each run.

usage: make_inputs.py CLI_DATA_DIR CLEAN_STORE OUT_DIR
"""
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys

data, clean, out = sys.argv[1:4]
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)


def path(name):
    return os.path.join(out, name)


def write(name, text, mode="w"):
    with open(path(name), mode) as f:
        f.write(text)


def square(x0=380000, y0=3080000, w=100, h=100):
    return {"type": "Polygon",
            "coordinates": [[[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]]}


def collection(name, features):
    return {"type": "FeatureCollection", "name": name, "features": features}


def parcel(code="C-1", geometry=None, **props):
    p = {"parcel_code": code, "project_code": "T", "district": "雨湖区", "village": "长城村",
         "owner_type": "集体", "land_class": "0101", "acquired_on": "2025-01-10"}
    p.update(props)
    return {"type": "Feature", "properties": p,
            "geometry": square() if geometry is None else geometry}


def corridor(code="C-1", geometry=None, **props):
    p = {"corridor_code": code, "project_code": "T", "name": "测试路", "width_m": 20,
         "start_chainage_m": 0}
    p.update(props)
    line = {"type": "LineString", "coordinates": [[380000, 3080050], [380150, 3080050]]}
    return {"type": "Feature", "properties": p, "geometry": line if geometry is None else geometry}


def building(code="B-9", **props):
    p = {"building_code": code, "parcel_code": "T-2", "households": 2, "floor_area_m2": 240,
         "signed_on": "2025-03-01"}
    p.update(props)
    return {"type": "Feature", "properties": p, "geometry": square(380110, 3080040, 20, 20)}


def project(code="P-1", **props):
    p = {"project_code": code, "name": "项目", "district": "雨湖区", "unit": "雨湖区征拆办",
         "deadline": "2025-12-31"}
    p.update(props)
    return {"type": "Feature", "properties": p, "geometry": square()}


def geojson(name, layer, features, replace=None):
    """replace: (text, by) pairs applied to the JSON text, for what JSON cannot say (NaN)."""
    text = json.dumps(collection(layer, features), ensure_ascii=False)
    for a, b in replace or []:
        assert a in text, (name, a)
        text = text.replace(a, b, 1)
    write(name, text)


def ogr(args):
    subprocess.run(["ogr2ogr"] + args, check=True, capture_output=True)


# The clean sources themselves, so a case names every input by @DATA@.
for f in os.listdir(data):
    shutil.copy(os.path.join(data, f), path(f))

# Geometry: non-finite, absurd and misplaced coordinates; wrong or missing shapes.
geojson("nan_vertex.geojson", "parcels", [parcel()], [("380100, 3080000", "NaN, 3080000")])
geojson("inf_vertex.geojson", "parcels", [parcel()], [("380100, 3080000", "Infinity, 3080000")])
geojson("huge_vertex.geojson", "parcels", [parcel()], [("380100, 3080000", "1e308, 3080000")])
geojson("far_parcel.geojson", "parcels", [parcel(geometry=square(380000 + 1e12))])
geojson("negative_far.geojson", "parcels", [parcel(geometry=square(380000, -5e9))])
geojson("lonlat_as_metres.geojson", "parcels",
        [parcel(geometry=square(112.9, 27.8, 0.001, 0.001))])
geojson("point_parcel.geojson", "parcels",
        [parcel(geometry={"type": "Point", "coordinates": [380000, 3080000]})])
geojson("line_parcel.geojson", "parcels",
        [parcel(geometry={"type": "LineString", "coordinates": [[380000, 3080000], [380100, 3080000]]})])
geojson("no_geometry.geojson", "parcels", [parcel()], [('"geometry": {"type": "Polygon", "coordinates": [[[380000, 3080000], [380100, 3080000], [380100, 3080100], [380000, 3080100], [380000, 3080000]]]}', '"geometry": null')])
geojson("bowtie.geojson", "parcels", [parcel(geometry={"type": "Polygon", "coordinates": [[[380000, 3080000], [380100, 3080100], [380100, 3080000], [380000, 3080100], [380000, 3080000]]]})])
# A ring through 300 random points: thousands of self-crossings, which MakeValid would take
# minutes to repair (found by the geometry fuzz harness).
scramble = random.Random(15)
ring = [[380000 + scramble.uniform(0, 100), 3080000 + scramble.uniform(0, 100)] for _ in range(300)]
geojson("scrambled.geojson", "parcels",
        [parcel(geometry={"type": "Polygon", "coordinates": [ring + [ring[0]]]})])
geojson("polygon_corridor.geojson", "corridors", [corridor(geometry=square())])
geojson("split_centreline.geojson", "corridors", [corridor(geometry={"type": "MultiLineString", "coordinates": [[[380000, 3080050], [380050, 3080050]], [[380100, 3080050], [380150, 3080050]]]})])
geojson("zero_length.geojson", "corridors", [corridor(geometry={"type": "LineString", "coordinates": [[380000, 3080050], [380000, 3080050]]})])
geojson("nan_centreline.geojson", "corridors", [corridor()], [("380150, 3080050", "NaN, 3080050")])

# Values that break the input contract.
geojson("date_year0.geojson", "parcels", [parcel(acquired_on="0000-01-01")])
geojson("date_feb30.geojson", "parcels", [parcel(acquired_on="2025-02-30")])
geojson("date_words.geojson", "parcels", [parcel(acquired_on="soon")])
geojson("date_1800.geojson", "parcels", [parcel(acquired_on="1800-05-01")])
geojson("date_month13.geojson", "parcels", [parcel(cleared_on="2025-13-01")])
geojson("date_year0_building.geojson", "buildings", [building(signed_on="0000-01-01")])
geojson("width_nan.geojson", "corridors", [corridor()], [('"width_m": 20', '"width_m": NaN')])
geojson("width_infinite.geojson", "corridors", [corridor()], [('"width_m": 20', '"width_m": Infinity')])
geojson("width_negative.geojson", "corridors", [corridor(width_m=-20)])
geojson("width_zero.geojson", "corridors", [corridor(width_m=0)])
geojson("width_empty.geojson", "corridors", [corridor(width_m=None)])
geojson("width_words.geojson", "corridors", [corridor(width_m="wide")])
geojson("side_width_negative.geojson", "corridors", [corridor(left_width_m=-5)])
geojson("chainage_nan.geojson", "corridors", [corridor()], [('"start_chainage_m": 0', '"start_chainage_m": NaN')])
geojson("chainage_words.geojson", "corridors", [corridor(start_chainage_m="K1+abc")])
geojson("households_negative.geojson", "buildings", [building(households=-2)])
geojson("households_fraction.geojson", "buildings", [building(households=2.5)])
geojson("floor_area_nan.geojson", "buildings", [building()], [('"floor_area_m2": 240', '"floor_area_m2": NaN')])
geojson("project_name_empty.geojson", "projects", [project(name="")])
geojson("project_name_blank.geojson", "projects", [project(name="   ")])
geojson("code_empty.geojson", "parcels", [parcel(code="")])
geojson("code_ideographic_blank.geojson", "parcels", [parcel(code="\u3000 ")])
geojson("code_nul.geojson", "parcels", [parcel(code="AB\u0000CD")])
geojson("village_nul.geojson", "parcels", [parcel(village="长城\u0000村")])
geojson("code_twice.geojson", "parcels", [parcel("D-1"), parcel("D-1", geometry=square(380200))])
geojson("owner_type_unknown.geojson", "parcels", [parcel(owner_type="私有")])
geojson("parcel_no_project.geojson", "parcels", [parcel(project_code="")])
geojson("missing_fields.geojson", "parcels",
        [{"type": "Feature", "properties": {"name": "x"}, "geometry": square()}])
geojson("empty.geojson", "parcels", [])
write("truncated.geojson", json.dumps(collection("parcels", [parcel("T-%d" % i, square(380000 + 200 * i)) for i in range(20)]))[:1500])
write("not_vector.geojson", "this is not GeoJSON at all\n")
write("zero_bytes.gpkg", "")

# Shapefiles: a missing .dbf, a .prj that is not a CRS.
ogr(["-f", "ESRI Shapefile", path("shp"), path("parcels.geojson"), "-a_srs", "EPSG:4547",
     "-lco", "ENCODING=UTF-8"])
os.makedirs(path("no_dbf"))
for ext in ("shp", "shx", "prj", "cpg"):
    shutil.copy(path("shp/parcels." + ext), path("no_dbf/parcels." + ext))
os.makedirs(path("bad_prj"))
for ext in ("shp", "shx", "dbf", "cpg"):
    shutil.copy(path("shp/parcels." + ext), path("bad_prj/parcels." + ext))
write("bad_prj/parcels.prj", "PROJCS[this is not a CRS\n")

# GeoPackages: two layers (so a layer must be named), an empty layer.
ogr(["-f", "GPKG", path("two.gpkg"), path("parcels.geojson"), "-nln", "parcels", "-a_srs", "EPSG:4547"])
ogr(["-f", "GPKG", "-update", path("two.gpkg"), path("buildings.geojson"), "-nln", "buildings",
     "-a_srs", "EPSG:4547"])
ogr(["-f", "GPKG", path("empty_layer.gpkg"), path("parcels.geojson"), "-nln", "parcels",
     "-a_srs", "EPSG:4547", "-where", "parcel_code = 'none'"])

# Ledgers for reconcile.
write("ledger_empty.csv", "")
write("ledger_header_only.csv", "宗地编号,面积(亩)\n")
write("ledger_nul.csv", "宗地编号,面积(亩)\nT-1,15\x00\n", "w")
write("ledger_fake.xlsx", "not a spreadsheet\n")
write("ledger_words.csv", "宗地编号,面积(亩)\nT-1,fifteen\n")

# Stores: the clean one, and damaged copies of it.
shutil.copy(clean, path("clean.sqlite"))
write("text_store.sqlite", "this is a text file, not a store\n")
sqlite3.connect(path("plain.sqlite")).execute("CREATE TABLE t(a)").connection.commit()


def store_copy(name, sql):
    shutil.copy(clean, path(name))
    db = sqlite3.connect(path(name))
    db.execute(sql)
    db.commit()
    db.close()


store_copy("schema_words.sqlite", "UPDATE landclear_meta SET value = 'abc' WHERE key = 'schema_version'")
store_copy("schema_newer.sqlite", "UPDATE landclear_meta SET value = '99' WHERE key = 'schema_version'")
store_copy("srid_words.sqlite", "UPDATE landclear_meta SET value = 'x' WHERE key = 'working_srid'")
store_copy("no_meta.sqlite", "DELETE FROM landclear_meta WHERE key = 'schema_version'")

# A damaged store: its first page intact, the rest overwritten (sqlite_master is on page 1).
shutil.copy(clean, path("corrupt.sqlite"))
with open(path("corrupt.sqlite"), "r+b") as f:
    size = os.path.getsize(path("corrupt.sqlite"))
    page = int.from_bytes(open(clean, "rb").read(18)[16:18], "big") or 65536
    f.seek(page)
    f.write(b"\xa5" * (size - page))

# A hot journal: a writer killed in the middle of a transaction (its pages spilled to the file).
shutil.copy(clean, path("hot.sqlite"))
pid = os.fork()
if pid == 0:
    db = sqlite3.connect(path("hot.sqlite"), isolation_level=None)
    db.execute("PRAGMA cache_size=1")
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE landclear_meta SET value = value || '0' WHERE key = 'data_version'")
    db.execute("CREATE TABLE junk(a)")
    for _ in range(300):
        db.execute("INSERT INTO junk VALUES (zeroblob(4000))")
    os.kill(os.getpid(), 9)
os.waitpid(pid, 0)
assert os.path.getsize(path("hot.sqlite") + "-journal") > 0, "no hot journal was left"

# Outputs that are not regular files.
os.mkfifo(path("fifo.geojson"))
os.mkfifo(path("fifo.csv"))
os.makedirs(path("folder.geojson"))
# A device node under an export's name: a symbolic link to /dev/null (mknod may be refused in a
# container; the link's target is what a writer would replace).
os.symlink("/dev/null", path("null.geojson"))
os.symlink("/dev/null", path("null.csv"))

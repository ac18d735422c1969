# The canonical job in SQL, for PostGIS and for SpatiaLite: sourced by scripts/bench/run.
# Each function prints SQL (or a psql / sqlite3 script) on standard output.
#
# The definitions follow docs/INPUT.md and docs/CORRIDOR.md:
# - areas are planar, in the data's CRS (EPSG:4547 for the generated sample);
# - the red line is the centreline buffered by width_m / 2 each side, flat ends, round joins,
#   8 segments per quarter circle; with left_width_m / right_width_m (either one set), the union
#   of a left and a right single-sided buffer, a missing side being width_m / 2, a zero side
#   left out;
# - segment boundaries on every multiple of the segment length strictly inside the line (more
#   than 1 mm from either end), chainage from start_chainage_m; a segment's red line in SQL is
#   its sub-line's flat-ended buffer clipped to the red line (landclear cuts the red line itself
#   so that the pieces tile it: the two agree on straight stretches only, see docs/CORRIDOR.md);
# - a building is inside when its point-on-surface is;
# - parcel area inside = the parcel clipped to the red line, summed. As landclear does (and as a
#   PostGIS user would), a parcel wholly inside is taken as it is (ST_Contains, which PostGIS
#   and SpatiaLite answer with a prepared geometry for the repeated red line) and only the
#   others are intersected.

# ---------------------------------------------------------------------------------------------
# THE STAGE RULES: the one place that says when a parcel counts as acquired, cleared, delivered
# (and a building as signed, demolished) as of the day $1 ('YYYY-MM-DD'). The same SQL works in
# PostgreSQL (date columns) and SQLite (ISO text). landclear has one rule (core/stage.hpp,
# docs/INPUT.md "Stages on a date"): each date counts on its own, in status and corridor alike
# (s_* and c_* are the same columns, kept apart so the two jobs stay readable), and a parcel's
# stage label is the furthest stage whose own date is reached.
stage_columns() {
    local d="'$1'"
    local acq="CASE WHEN acquired_on <= $d THEN 1 ELSE 0 END"
    local clr="CASE WHEN cleared_on <= $d THEN 1 ELSE 0 END"
    local dlv="CASE WHEN delivered_on <= $d THEN 1 ELSE 0 END"
    cat <<SQL
  $acq AS s_acq, $clr AS s_clr, $dlv AS s_dlv,
  $acq AS c_acq, $clr AS c_clr, $dlv AS c_dlv,
  CASE WHEN delivered_on <= $d THEN '已交' WHEN cleared_on <= $d THEN '已腾'
       WHEN acquired_on <= $d THEN '已征' ELSE '未征' END AS stage_label
SQL
}
building_columns() {
    local d="'$1'"
    cat <<SQL
  CASE WHEN signed_on <= $d THEN 1 ELSE 0 END AS b_signed,
  CASE WHEN demolished_on <= $d THEN 1 ELSE 0 END AS b_demolished
SQL
}
# ---------------------------------------------------------------------------------------------

# The red-line expression over a row with geom, width_m (and lw, rw: the side widths, when the
# corridors layer has left_width_m / right_width_m). $1: postgis|spatialite, $2: 1 when the side
# widths exist.
redline_expr() {
    local engine=$1 sides=$2
    if [ "$engine" = postgis ]; then
        local both="ST_Buffer(geom, lw, 'endcap=flat join=round quad_segs=8')"
        local left="ST_Buffer(geom, lw, 'side=left endcap=flat join=round quad_segs=8')"
        local right="ST_Buffer(geom, rw, 'side=right endcap=flat join=round quad_segs=8')"
    else
        # SpatiaLite 5.0.1: buffer options set beforehand (see spatialite_prelude).
        local both="ST_Buffer(geom, lw)"
        local left="ST_SingleSidedBuffer(geom, lw, 1)"
        local right="ST_SingleSidedBuffer(geom, rw, 0)"
    fi
    if [ "$sides" != 1 ]; then
        echo "$both"
    else
        echo "CASE WHEN lw = rw THEN $both WHEN rw = 0 THEN $left WHEN lw = 0 THEN $right
                   ELSE ST_Union($left, $right) END"
    fi
}
side_widths() { # the lw, rw select list
    if [ "$2" = 1 ]; then
        echo "coalesce(left_width_m, width_m / 2.0) AS lw, coalesce(right_width_m, width_m / 2.0) AS rw"
    else
        echo "width_m / 2.0 AS lw, width_m / 2.0 AS rw"
    fi
}

spatialite_prelude() {
    cat <<'SQL'
.load mod_spatialite
.bail on
.timer on
SELECT BufferOptions_SetEndCapStyle('FLAT'), BufferOptions_SetJoinStyle('ROUND'),
       BufferOptions_SetQuadrantSegments(8);
SQL
}

# status per project: $1 engine, $2 as-of, $3 output file
status_job() {
    local engine=$1 d=$2 out=$3
    if [ "$engine" = postgis ]; then
        printf '%s\n' '\set ON_ERROR_STOP on' '\timing on'
    else
        spatialite_prelude
    fi
    cat <<SQL
CREATE TEMP VIEW parcel_stage AS SELECT ogc_fid,
$(stage_columns "$d")
  FROM parcels;
CREATE TEMP VIEW building_stage AS SELECT ogc_fid,
$(building_columns "$d")
  FROM buildings;
CREATE TEMP TABLE bench_status AS
WITH pa AS (
  SELECT p.project_code, count(*) AS n, sum(ST_Area(p.geom)) AS a,
         sum(ST_Area(p.geom) * s.s_acq) AS acq, sum(ST_Area(p.geom) * s.s_clr) AS clr,
         sum(ST_Area(p.geom) * s.s_dlv) AS dlv
  FROM parcels p JOIN parcel_stage s ON s.ogc_fid = p.ogc_fid GROUP BY p.project_code),
bu AS (
  SELECT p.project_code, count(*) AS nb, sum(b.households) AS hh,
         sum(b.households * s.b_signed) AS shh, sum(b.floor_area_m2 * s.b_signed) AS sfl,
         sum(b.households * s.b_demolished) AS dhh, sum(b.floor_area_m2 * s.b_demolished) AS dfl
  FROM buildings b JOIN building_stage s ON s.ogc_fid = b.ogc_fid
  JOIN parcels p ON p.parcel_code = b.parcel_code GROUP BY p.project_code),
codes AS (SELECT project_code FROM projects UNION SELECT project_code FROM parcels)
SELECT codes.project_code AS project_code, coalesce(n, 0) AS n, coalesce(a, 0) AS a,
       coalesce(acq, 0) AS acq, coalesce(clr, 0) AS clr, coalesce(dlv, 0) AS dlv,
       coalesce(hh, 0) AS hh, coalesce(shh, 0) AS shh, coalesce(sfl, 0) AS sfl,
       coalesce(dhh, 0) AS dhh, coalesce(dfl, 0) AS dfl
FROM codes LEFT JOIN pa ON pa.project_code = codes.project_code
           LEFT JOIN bu ON bu.project_code = codes.project_code;
SQL
    if [ "$engine" = postgis ]; then
        printf '%s\n' '\pset format unaligned' '\pset fieldsep |' '\pset tuples_only on' "\\o $out"
    else
        printf '%s\n' '.mode list' '.separator |' ".output $out"
    fi
    cat <<SQL
SELECT project_code, n, a, acq, clr, dlv, hh, shh, sfl, dhh, dfl FROM bench_status ORDER BY 1;
SQL
}

# Every corridor with $seg m segments. $1 engine, $2 as-of, $3 seg, $4 sides (1/0),
# $5 corridors output, $6 segments output. Leaves the table bench_pieces (each parcel clipped to
# each segment, with the attributes the export writes) for the export.
corridor_job() {
    local engine=$1 d=$2 seg=$3 sides=$4 out_c=$5 out_s=$6
    local rg sub area_of extract_poly least
    rg=$(redline_expr "$engine" "$sides")
    # A segment: its sub-line buffered like the red line, clipped to the red line.
    local seg_buffer
    seg_buffer=$(redline_expr "$engine" "$sides" | sed 's/geom/sub/g')
    if [ "$engine" = postgis ]; then
        printf '%s\n' '\set ON_ERROR_STOP on' '\timing on'
        sub="ST_LineSubstring"
        extract_poly="ST_CollectionExtract"
        least="least"
        local bounds="SELECT corridor_code, s0 AS c FROM rl
  UNION ALL SELECT corridor_code, s0 + len FROM rl
  UNION ALL SELECT corridor_code, k * $seg.0 FROM rl,
    generate_series(floor(s0 / $seg)::int + 1, ceil((s0 + len) / $seg)::int) AS k
    WHERE k * $seg.0 > s0 + 0.001 AND k * $seg.0 < s0 + len - 0.001"
        local candidates_c="JOIN parcels p ON ST_Intersects(p.geom, rl.rg)"
        local candidates_b="JOIN buildings b ON ST_Intersects(b.geom, rl.rg)"
        local candidates_s="JOIN parcels p ON ST_Intersects(p.geom, s.sg)"
    else
        spatialite_prelude
        sub="ST_Line_Substring"
        extract_poly="CollectionExtract"
        least="min"
        local bounds="WITH RECURSIVE m(corridor_code, c, e) AS (
    SELECT corridor_code, (CAST(s0 / $seg AS INTEGER) + 1) * $seg.0, s0 + len FROM rl
    UNION ALL SELECT corridor_code, c + $seg, e FROM m WHERE c + $seg < e)
  SELECT corridor_code, s0 AS c FROM rl
  UNION ALL SELECT corridor_code, s0 + len FROM rl
  UNION ALL SELECT m.corridor_code, m.c FROM m JOIN rl ON rl.corridor_code = m.corridor_code
    WHERE m.c > rl.s0 + 0.001 AND m.c < rl.s0 + rl.len - 0.001"
        # Candidates through the R*Tree that ogr2ogr built (idx_<table>_geom, pkid = ogc_fid).
        local rt="SELECT pkid FROM idx_parcels_geom WHERE xmin <= MbrMaxX(G) AND xmax >= MbrMinX(G)
         AND ymin <= MbrMaxY(G) AND ymax >= MbrMinY(G)"
        local candidates_c="JOIN parcels p ON p.ogc_fid IN (${rt//G/rl.rg}) AND ST_Intersects(p.geom, rl.rg)"
        local rtb=${rt//parcels/buildings}
        local candidates_b="JOIN buildings b ON b.ogc_fid IN (${rtb//G/rl.rg})"
        local candidates_s="JOIN parcels p ON p.ogc_fid IN (${rt//G/s.sg}) AND ST_Intersects(p.geom, s.sg)"
    fi
    cat <<SQL
CREATE TEMP VIEW parcel_stage AS SELECT ogc_fid,
$(stage_columns "$d")
  FROM parcels;
CREATE TEMP VIEW building_stage AS SELECT ogc_fid,
$(building_columns "$d")
  FROM buildings;
CREATE TEMP TABLE rl AS
  SELECT corridor_code, geom AS line, ST_Length(geom) AS len,
         coalesce(start_chainage_m, 0) AS s0, lw, rw, $rg AS rg
  FROM (SELECT corridor_code, geom, start_chainage_m, $(side_widths "$engine" "$sides")
        FROM corridors) c;
CREATE TEMP TABLE bounds AS
  $bounds;
CREATE TEMP TABLE seg AS
  SELECT corridor_code, k, c0, c1, $extract_poly(ST_Intersection($seg_buffer, rg), 3) AS sg
  FROM (SELECT x.corridor_code, x.k, x.c0, x.c1, r.lw, r.rw, r.rg,
               $sub(r.line, (x.c0 - r.s0) / r.len, $least((x.c1 - r.s0) / r.len, 1.0)) AS sub
        FROM (SELECT corridor_code, row_number() OVER w - 1 AS k, c AS c0, lead(c) OVER w AS c1
              FROM bounds WINDOW w AS (PARTITION BY corridor_code ORDER BY c)) x
        JOIN rl r ON r.corridor_code = x.corridor_code WHERE x.c1 IS NOT NULL) y;
SQL
    [ "$engine" = postgis ] && echo "ANALYZE rl;"
    [ "$engine" = postgis ] && echo "CREATE INDEX ON seg USING gist (sg); ANALYZE seg;"
    cat <<SQL
CREATE TEMP TABLE cp AS
  WITH t AS MATERIALIZED (
    SELECT rl.corridor_code, p.ogc_fid,
           ST_Area(CASE WHEN ST_Contains(rl.rg, p.geom) THEN p.geom
                   ELSE $extract_poly(ST_Intersection(p.geom, rl.rg), 3) END) AS a
    FROM rl $candidates_c)
  SELECT corridor_code, ogc_fid, a FROM t WHERE a > 0;
CREATE TEMP TABLE cb AS
  SELECT rl.corridor_code, b.ogc_fid
  FROM rl $candidates_b
  WHERE ST_Intersects(ST_PointOnSurface(b.geom), rl.rg);
DROP TABLE IF EXISTS bench_pieces;
CREATE TABLE bench_pieces AS
  WITH t AS MATERIALIZED (
    SELECT s.corridor_code, s.k, s.c0, s.c1, p.ogc_fid AS pfid,
           CASE WHEN ST_Contains(s.sg, p.geom) THEN p.geom
                ELSE $extract_poly(ST_Intersection(p.geom, s.sg), 3) END AS g
    FROM seg s $candidates_s),
  u AS MATERIALIZED (SELECT corridor_code, k, c0, c1, pfid, ST_Area(g) AS a, g FROM t)
  SELECT * FROM u WHERE a > 0;
SQL
    if [ "$engine" = postgis ]; then
        printf '%s\n' '\pset format unaligned' '\pset fieldsep |' '\pset tuples_only on' "\\o $out_c"
    else
        printf '%s\n' '.mode list' '.separator |' ".output $out_c"
    fi
    cat <<SQL
WITH pa AS (
  SELECT cp.corridor_code, count(*) AS n, sum(cp.a) AS a, sum(cp.a * s.c_acq) AS acq,
         sum(cp.a * s.c_clr) AS clr, sum(cp.a * s.c_dlv) AS dlv
  FROM cp JOIN parcel_stage s ON s.ogc_fid = cp.ogc_fid GROUP BY cp.corridor_code),
ba AS (
  SELECT cb.corridor_code, count(*) AS nb, sum(b.households) AS hh,
         sum(b.households * s.b_signed) AS shh, sum(b.households * s.b_demolished) AS dhh
  FROM cb JOIN buildings b ON b.ogc_fid = cb.ogc_fid
  JOIN building_stage s ON s.ogc_fid = cb.ogc_fid GROUP BY cb.corridor_code)
SELECT rl.corridor_code, ST_Area(rl.rg), coalesce(n, 0), coalesce(a, 0), coalesce(acq, 0),
       coalesce(clr, 0), coalesce(dlv, 0), coalesce(nb, 0), coalesce(hh, 0), coalesce(shh, 0),
       coalesce(dhh, 0)
FROM rl LEFT JOIN pa ON pa.corridor_code = rl.corridor_code
        LEFT JOIN ba ON ba.corridor_code = rl.corridor_code
ORDER BY 1;
SQL
    if [ "$engine" = postgis ]; then
        echo "\\o $out_s"
    else
        echo ".output $out_s"
    fi
    cat <<SQL
WITH pa AS (
  SELECT bp.corridor_code, bp.k, count(*) AS n, sum(bp.a) AS a, sum(bp.a * s.c_acq) AS acq,
         sum(bp.a * s.c_clr) AS clr, sum(bp.a * s.c_dlv) AS dlv
  FROM bench_pieces bp JOIN parcel_stage s ON s.ogc_fid = bp.pfid
  GROUP BY bp.corridor_code, bp.k)
SELECT seg.corridor_code, seg.k, seg.c0, seg.c1, ST_Area(seg.sg), coalesce(n, 0),
       coalesce(a, 0), coalesce(acq, 0), coalesce(clr, 0), coalesce(dlv, 0)
FROM seg LEFT JOIN pa ON pa.corridor_code = seg.corridor_code AND pa.k = seg.k
ORDER BY 1, 2;
SQL
}

# The export query: each parcel clipped to each segment with its attributes and status.
# $1 engine, $2 as-of.
export_query() {
    local engine=$1 d=$2
    local geom="bp.g"
    [ "$engine" = spatialite ] && geom="bp.g AS geometry"
    echo "SELECT bp.corridor_code, bp.k AS segment_index, bp.c0 AS chainage_from_m,
       bp.c1 AS chainage_to_m, p.parcel_code, p.project_code, p.district,
       s.stage_label AS status, p.acquired_on, p.cleared_on, p.delivered_on,
       bp.a AS area_m2, bp.a * 3 / 2000 AS area_mu, $geom
FROM bench_pieces bp JOIN parcels p ON p.ogc_fid = bp.pfid
JOIN (SELECT ogc_fid, $(stage_columns "$d" | tr '\n' ' ') FROM parcels) s
  ON s.ogc_fid = bp.pfid"
}

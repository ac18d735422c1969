// The conversion of one source feature into a store record (detail/import_convert.hpp): its
// fields typed, translated and checked against the input contract, its geometry checked,
// transformed, repaired or refused, and measured.
#include "landclear/analysis/detail/import_convert.hpp"

#include "landclear/analysis/detail/import_contract.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/simple_ring.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace landclear::import_detail {

namespace {

constexpr const char* date_hint =
    "write dates as YYYY-MM-DD (also read: 2025/3/1, 2025.03.01, 20250301, 2025年3月1日); "
    "leave the cell empty when not yet";

bool contains(const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

// "K12+350.5" or "12350.5" -> metres.
std::optional<double> parse_number(const std::string& s, bool chainage) {
    if (chainage)
        return parse_chainage(s);
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

} // namespace

std::optional<std::string> FeatureConverter::convert(OGRFeature& feature, Record& record) {
    record.values.assign(m_def.fields.size(), std::monostate{});
    record.source_fid = feature.GetFID();
    for (size_t i = 0; i < m_def.fields.size(); ++i) {
        try {
            record.values[i] = value(feature, m_def.fields[i], m_bound[i]);
        } catch (Error& e) {
            const auto& b = m_bound[i];
            e.add_context(b.source_name.empty() || b.source_name == m_def.fields[i].name
                              ? fmt::format("field {}", m_def.fields[i].name)
                              : fmt::format("field {} (from column {})", m_def.fields[i].name,
                                            b.source_name));
            throw;
        }
    }
    return geometry(feature, record);
}

std::optional<std::string> FeatureConverter::raw_text(OGRFeature& f, int index) {
    if (index < 0 || !f.IsFieldSetAndNotNull(index))
        return std::nullopt;
    auto text = m_source.text(f.GetFieldAsString(index));
    if (!text)
        throw_input("the text is not UTF-8",
                    m_source.encoding_guess().charset.empty()
                        ? "the file is probably in GBK (common for shapefiles from ArcGIS): "
                          "pass --encoding GBK"
                        : m_source.encoding_hint());
    return landclear::text::trim(*text);
}

Value FeatureConverter::value(OGRFeature& f, const FieldDef& def, const BoundField& b) {
    const FieldRule& rule = *b.rule;
    std::optional<std::string> text;
    if (rule.constant)
        text = *rule.constant;
    Value v = rule.constant ? Value(*rule.constant) : typed(f, def, b);
    // Values are translated by type, so a mapping can say "30": "集体" for a number 30.0.
    if (const auto* to = find_value(rule, v))
        v = def.type == FieldType::text ? Value(*to) : typed_from_text(def, *to);
    if (b.status_index >= 0)
        v = apply_status(f, def, b, v);
    if (def.name == m_def.key && std::holds_alternative<std::monostate>(v))
        throw_input("the code is empty", "every feature needs its own code");
    if (def.name == "owner_type" && std::holds_alternative<std::string>(v)) {
        const auto& s = std::get<std::string>(v);
        if (s != "国有" && s != "集体")
            throw_input(fmt::format("'{}' is neither 国有 nor 集体", s),
                        "translate the source's values with \"values\" in a mapping file");
    }
    if (def.name == "width_m") {
        if (std::holds_alternative<std::monostate>(v))
            throw_input("the red-line width is empty", "give every corridor its width in m");
        if (std::get<double>(v) <= 0)
            throw_input(fmt::format("the red-line width {} m is not positive", std::get<double>(v)),
                        "give every corridor its full red-line width in metres");
    }
    if ((def.name == "left_width_m" || def.name == "right_width_m") &&
        std::holds_alternative<double>(v) && std::get<double>(v) < 0)
        throw_input("a side width cannot be negative");
    if (def.name == "chainage_breaks" && std::holds_alternative<std::string>(v))
        v = format_chainage_breaks(parse_chainage_breaks(std::get<std::string>(v)));
    if (def.name == "alignment" && std::holds_alternative<std::string>(v)) {
        const auto& given = std::get<std::string>(v);
        std::string s = given;
        bool letters = !s.empty() && s.size() <= 6;
        for (auto& ch : s) {
            letters = letters && std::isalpha(static_cast<unsigned char>(ch));
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        }
        if (!letters)
            throw_input(fmt::format("alignment '{}' is not a chainage prefix", given),
                        "give the alignment's prefix in Latin letters: ZK (左线), YK (右线), "
                        "AK for a ramp, or leave it empty for K");
        v = s;
    }
    if (def.name == "households" && std::holds_alternative<std::int64_t>(v) &&
        std::get<std::int64_t>(v) < 0)
        throw_input("a negative number of households");
    import_contract::check_value(def, v);
    return v;
}

Value FeatureConverter::typed_from_text(const FieldDef& def, const std::string& s) {
    if (s.empty())
        return std::monostate{};
    switch (def.type) {
    case FieldType::text:
        return s;
    case FieldType::integer: {
        auto n = parse_number(s, false);
        if (!n || std::floor(*n) != *n)
            throw_input(fmt::format("cannot read '{}' as a whole number", s));
        return static_cast<std::int64_t>(*n);
    }
    case FieldType::real: {
        bool chainage = def.name == "start_chainage_m";
        auto n = parse_number(s, chainage);
        if (!n && chainage)
            if (auto why = chainage_problem(s))
                throw_input(*why, "write the station as K{km}+{metres}, the metres below 1000");
        if (!n)
            throw_input(fmt::format("cannot read '{}' as a number", s),
                        chainage ? "write chainage in metres (12350) or as K12+350" : "");
        return *n;
    }
    case FieldType::date: {
        auto d = parse_date(s);
        if (!d)
            throw_input(fmt::format("cannot read '{}' as a date", s), date_hint);
        return *d;
    }
    }
    return std::monostate{};
}

Value FeatureConverter::typed(OGRFeature& f, const FieldDef& def, const BoundField& b) {
    int idx = b.source_index;
    if (idx < 0 || !f.IsFieldSetAndNotNull(idx))
        return std::monostate{};
    OGRFieldType t = f.GetFieldDefnRef(idx)->GetType();
    switch (def.type) {
    case FieldType::integer:
        if (t == OFTInteger || t == OFTInteger64)
            return static_cast<std::int64_t>(f.GetFieldAsInteger64(idx));
        if (t == OFTReal) {
            double d = f.GetFieldAsDouble(idx);
            if (std::floor(d) != d)
                throw_input(fmt::format("{} is not a whole number", d));
            return static_cast<std::int64_t>(d);
        }
        break;
    case FieldType::real:
        if (t == OFTInteger || t == OFTInteger64 || t == OFTReal)
            return f.GetFieldAsDouble(idx);
        break;
    case FieldType::date:
        if (t == OFTDate || t == OFTDateTime) {
            int y = 0, m = 0, d = 0, hh = 0, mm = 0, tz = 0;
            float ss = 0;
            f.GetFieldAsDateTime(idx, &y, &m, &d, &hh, &mm, &ss, &tz);
            // A set field of year 0 (0000-01-01) is refused, not read as empty.
            return import_contract::date_from_parts(y, m, d);
        }
        if (t == OFTInteger || t == OFTInteger64) {
            auto s = std::to_string(f.GetFieldAsInteger64(idx));
            return typed_from_text(def, s);
        }
        break;
    case FieldType::text:
        // A code kept as a number prints as the shortest text that reads back the same.
        if (t == OFTInteger || t == OFTInteger64)
            return std::to_string(f.GetFieldAsInteger64(idx));
        if (t == OFTReal)
            return value_text(Value(f.GetFieldAsDouble(idx)));
        break;
    }
    auto text = raw_text(f, idx);
    return text ? typed_from_text(def, *text) : Value(std::monostate{});
}

Value FeatureConverter::apply_status(OGRFeature& f, const FieldDef& def, const BoundField& b,
                                     const Value& v) {
    const FieldRule& rule = *b.rule;
    auto status = raw_text(f, b.status_index).value_or("");
    if (status.empty())
        return v;
    if (contains(rule.done, status)) {
        if (std::holds_alternative<std::monostate>(v))
            throw_input(
                fmt::format("column {} says '{}' but {} is empty", b.status_name, status,
                            b.source_name.empty() ? std::string("no date column") : b.source_name),
                "a done status needs its date: fill the date column");
        return v;
    }
    if (contains(rule.not_done, status))
        return std::monostate{};
    std::vector<std::string> known = rule.done;
    known.insert(known.end(), rule.not_done.begin(), rule.not_done.end());
    throw_input(fmt::format("column {} holds '{}', which is none of: {}", b.status_name, status,
                            fmt::join(known, ", ")),
                "add the value to \"done\" or \"not_done\" in a mapping file");
}

std::optional<std::string> FeatureConverter::geometry(OGRFeature& feature, Record& record) {
    record.wkb.clear();
    record.native.clear(); // made after convert() (Store::encode_geometry), or not at all
    record.measure = 0;
    m_arms.clear();
    OGRGeometry* src = feature.GetGeometryRef();
    if (!src || src->IsEmpty()) {
        if (m_def.geometry_required)
            throw_input("the feature has no geometry",
                        fmt::format("every feature of {} needs a {}", m_def.name,
                                    m_def.geom == GeomKind::polygon ? "polygon" : "line"));
        return std::nullopt;
    }
    auto type = wkbFlatten(src->getGeometryType());
    bool ok =
        m_def.geom == GeomKind::polygon
            ? (type == wkbPolygon || type == wkbMultiPolygon || type == wkbCurvePolygon ||
               type == wkbMultiSurface)
            : (type == wkbLineString || type == wkbMultiLineString || type == wkbCompoundCurve ||
               type == wkbCircularString || type == wkbMultiCurve);
    if (!ok)
        throw_input(
            fmt::format("the geometry is a {}, but {} must be {}", OGRGeometryTypeToName(type),
                        m_def.name,
                        m_def.geom == GeomKind::polygon ? "Polygon or MultiPolygon" : "LineString"),
            fmt::format("check that the right file was given to --{}", m_def.name));
    // A plain 2-D geometry in the working CRS is written out as it is, without a copy.
    bool as_is = !m_transform && !src->hasCurveGeometry() && !src->Is3D() && !src->IsMeasured();
    OGRGeometryUniquePtr g;
    if (!as_is) {
        g.reset(src->hasCurveGeometry() ? src->getLinearGeometry() : src->clone());
        g->flattenTo2D();
    }
    // PROJ's reason arrives through GDAL's error route, into the import's capture: said
    // once for all the features it hits, not once per feature or point.
    // NaN, infinite and absurd coordinates are refused before PROJ or GEOS see them (GEOS
    // would "repair" a 1e308 vertex into another shape, or fail naming no feature).
    if (m_transform)
        if (auto bad = check_vertices(*g, finite_only()))
            throw_input(fmt::format("geometry: {}", *bad), coordinates_hint);
    if (m_transform && g->transform(m_transform) != OGRERR_NONE)
        throw_input("the coordinates cannot be transformed into the working CRS",
                    "check the source CRS (--s-crs) and that coordinates are in range");
    const OGRGeometry& flat = as_is ? *src : *g;
    if (auto bad = check_vertices(flat, m_bounds))
        throw_input(fmt::format("geometry: {}", *bad), coordinates_hint);
    std::vector<unsigned char> wkb(static_cast<size_t>(flat.WkbSize()));
    flat.exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    auto geom = m_geos.from_wkb(wkb);
    std::optional<std::string> note;
    if (m_def.geom == GeomKind::polygon) {
        if (!certainly_simple(flat) && !m_geos.is_valid(geom.get())) {
            std::string reason = m_geos.invalid_reason(geom.get());
            if (m_policy == InvalidPolicy::reject)
                throw_input(fmt::format("invalid polygon: {}", reason),
                            "repair it in QGIS (Fix geometries), or import without "
                            "--invalid=reject to repair with GEOS MakeValid");
            if (int nodes = m_geos.boundary_self_nodes(geom.get());
                nodes > make_valid_max_self_nodes)
                throw_input(
                    fmt::format("invalid polygon ({}) whose boundary crosses or touches itself "
                                "at {} points; repair is tried up to {}",
                                reason, nodes, make_valid_max_self_nodes),
                    "its vertices are probably out of order: redraw the feature, or fix it "
                    "in QGIS (Fix geometries) and import again");
            auto fixed = m_geos.polygonal_multi(m_geos.make_valid(geom.get()).get());
            if (m_geos.is_empty(fixed.get()))
                throw_input(
                    fmt::format("invalid polygon ({}) with no area left after repair", reason),
                    "redraw the feature");
            geom = std::move(fixed);
            note = reason;
        } else if (is_plain_multipolygon(geom.get())) {
            // Already what polygonal_multi() would make: keep its WKB as it came.
            record.measure = m_geos.area(geom.get());
            record.wkb = std::move(wkb);
            return note;
        } else {
            geom = m_geos.polygonal_multi(geom.get());
        }
        record.measure = m_geos.area(geom.get());
    } else {
        if (m_geos.type(geom.get()) == Geos::Type::multi_line) {
            // Parts whose ends meet within centreline_join_tolerance_m are one line.
            auto merged = merge_centreline(m_geos, geom.get());
            if (!merged.line && m_fork_as_alignments)
                for (auto& arm : centreline_arms(m_geos, merged))
                    m_arms.emplace_back(m_geos.to_wkb(arm.get()), m_geos.length(arm.get()));
            if (!merged.line && !m_arms.empty()) {
                record.wkb = m_arms.front().first;
                record.measure = m_arms.front().second;
                return note;
            }
            if (!merged.line)
                throw_centreline_parts(merged, record);
            if (merged.max_gap_m > 0)
                note = fmt::format("centreline parts joined: ends up to {:.3f} m apart "
                                   "(within {} m) were snapped together",
                                   merged.max_gap_m, centreline_join_tolerance_m);
            geom = std::move(merged.line);
        }
        record.measure = m_geos.length(geom.get());
        if (record.measure <= 0)
            throw_input("the centreline has zero length");
    }
    record.wkb = m_geos.to_wkb(geom.get());
    return note;
}

// Why a multi-part centreline is not one line, and where: a branch (its coordinates and
// chainage along the longest piece) or a gap.
void FeatureConverter::throw_centreline_parts(const CentrelineMerge& m, const Record& record) {
    double start = 0;
    for (size_t i = 0; i < m_def.fields.size(); ++i)
        if (m_def.fields[i].name == "start_chainage_m")
            if (auto v = std::get_if<double>(&record.values[i]))
                start = *v;
    auto where = fmt::format("({:.3f}, {:.3f}), {} along its longest piece", m.x, m.y,
                             format_chainage(start + m.along_m));
    if (m.branches)
        throw_input(fmt::format("the centreline branches at {}: its {} parts do not form "
                                "one line",
                                where, m.parts),
                    "import it with --fork-as-alignments to make each arm an alignment of "
                    "the corridor (AK, BK, ...), or import the branch (a ramp, a junction "
                    "arm) as a corridor of its own");
    throw_input(fmt::format("the centreline is in several separate pieces ({} parts; the "
                            "nearest ends are {:.3f} m apart at {}, more than the {} m "
                            "within which ends are joined)",
                            m.parts, m.gap_m, where, centreline_join_tolerance_m),
                "a corridor is one continuous centreline: close the gap, or split it "
                "into several corridors");
}

// A (Multi)Polygon of one ring without holes that ring_certainly_simple() proves valid, so
// that GEOS's IsValid (a tenth of the import's CPU) need not be asked; false when unsure.
bool FeatureConverter::certainly_simple(const OGRGeometry& g) {
    const OGRPolygon* polygon = nullptr;
    auto type = wkbFlatten(g.getGeometryType());
    if (type == wkbPolygon)
        polygon = g.toPolygon();
    else if (type == wkbMultiPolygon && g.toMultiPolygon()->getNumGeometries() == 1)
        polygon = g.toMultiPolygon()->getGeometryRef(0);
    if (!polygon || polygon->getNumInteriorRings() != 0)
        return false;
    const OGRLinearRing* ring = polygon->getExteriorRing();
    if (!ring)
        return false;
    int n = ring->getNumPoints();
    if (n < 4 || static_cast<size_t>(n) > simple_ring_max_points)
        return false;
    m_ring.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        m_ring[static_cast<size_t>(i)] = {ring->getX(i), ring->getY(i)};
    return ring_certainly_simple(m_ring);
}

// A MultiPolygon with no empty part: polygonal_multi() would return the same geometry.
bool FeatureConverter::is_plain_multipolygon(const GEOSGeometry* g) const {
    if (m_geos.type(g) != Geos::Type::multi_polygon)
        return false;
    int n = m_geos.num_parts(g);
    for (int i = 0; i < n; ++i)
        if (m_geos.is_empty(m_geos.part(g, i)))
            return false;
    return n > 0;
}

const CoordinateBounds& FeatureConverter::finite_only() {
    static const CoordinateBounds any{-HUGE_VAL, -HUGE_VAL, HUGE_VAL, HUGE_VAL, "any bound"};
    return any;
}

} // namespace landclear::import_detail

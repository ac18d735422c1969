#include "landclear/analysis/import.hpp"

#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/detail/import_contract.hpp"
#include "landclear/analysis/detail/import_history.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/geom/centreline.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/simple_ring.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/io/digest.hpp"
#include "landclear/io/gdal_error.hpp"
#include "landclear/io/mapping.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fmt/format.h>
#include <future>
#include <map>
#include <mutex>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace landclear {

namespace {

constexpr size_t max_listed_problems = 20;

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

// The codes of a layer seen so far and the feature that first gave each: one open-addressing
// table of (hash, place in one text buffer, fid) instead of a node per code, since at a million
// features the node map's cache misses were a twentieth of the import.
class CodeIndex {
public:
    explicit CodeIndex(std::int64_t expected) {
        size_t n = 16;
        while (n < static_cast<size_t>(std::max<std::int64_t>(expected, 0)) * 2)
            n *= 2;
        m_slots.resize(n);
    }
    // Adds code with fid unless present; returns the fid that first gave it and whether it
    // was new.
    std::pair<std::int64_t, bool> emplace(std::string_view code, std::int64_t fid) {
        if ((m_used + 1) * 2 > m_slots.size())
            grow();
        std::uint64_t h = hash(code);
        for (size_t i = h & (m_slots.size() - 1);; i = (i + 1) & (m_slots.size() - 1)) {
            auto& slot = m_slots[i];
            if (!slot.used) {
                slot = {h, m_text.size(), code.size(), fid, true};
                m_text.append(code);
                ++m_used;
                return {fid, true};
            }
            if (slot.hash == h && text(slot) == code)
                return {slot.fid, false};
        }
    }

    // Asks the CPU for code's first slot, to be looked up soon.
    void prefetch(std::string_view code) const {
        __builtin_prefetch(&m_slots[hash(code) & (m_slots.size() - 1)]);
    }

private:
    struct Slot {
        std::uint64_t hash = 0;
        size_t offset = 0, size = 0;
        std::int64_t fid = 0;
        bool used = false;
    };
    static std::uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
    std::string_view text(const Slot& s) const {
        return std::string_view(m_text).substr(s.offset, s.size);
    }
    void grow() {
        std::vector<Slot> old(m_slots.size() * 2);
        old.swap(m_slots);
        for (const auto& s : old)
            if (s.used)
                for (size_t i = s.hash & (m_slots.size() - 1);; i = (i + 1) & (m_slots.size() - 1))
                    if (!m_slots[i].used) {
                        m_slots[i] = s;
                        break;
                    }
    }
    std::vector<Slot> m_slots;
    std::string m_text;
    size_t m_used = 0;
};

// Turns one OGR feature into a store record, or throws an Error describing the feature's
// problem (the caller adds which feature).
class FeatureConverter {
public:
    FeatureConverter(const Source& source, const LayerDef& def, std::vector<BoundField> bound,
                     OGRCoordinateTransformation* transform, InvalidPolicy policy, const Geos& geos,
                     CoordinateBounds bounds, bool fork_as_alignments = false)
        : m_source(source), m_def(def), m_bound(std::move(bound)), m_transform(transform),
          m_policy(policy), m_geos(geos), m_bounds(std::move(bounds)),
          m_fork_as_alignments(fork_as_alignments) {}

    // After convert(): a forked centreline's arms (--fork-as-alignments), longest first, as
    // WKB and length; the record holds the first. Empty for every other feature.
    std::vector<std::pair<Wkb, double>> take_arms() { return std::move(m_arms); }

    // Fills record; returns a repair note if the geometry was repaired.
    // The key is the first field of every layer, so it is known when a later field fails.
    std::optional<std::string> convert(OGRFeature& feature, Record& record) {
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

private:
    std::optional<std::string> raw_text(OGRFeature& f, int index) {
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

    Value value(OGRFeature& f, const FieldDef& def, const BoundField& b) {
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
                throw_input(
                    fmt::format("the red-line width {} m is not positive", std::get<double>(v)),
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

    Value typed_from_text(const FieldDef& def, const std::string& s) {
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

    Value typed(OGRFeature& f, const FieldDef& def, const BoundField& b) {
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

    Value apply_status(OGRFeature& f, const FieldDef& def, const BoundField& b, const Value& v) {
        const FieldRule& rule = *b.rule;
        auto status = raw_text(f, b.status_index).value_or("");
        if (status.empty())
            return v;
        if (contains(rule.done, status)) {
            if (std::holds_alternative<std::monostate>(v))
                throw_input(fmt::format("column {} says '{}' but {} is empty", b.status_name,
                                        status,
                                        b.source_name.empty() ? std::string("no date column")
                                                              : b.source_name),
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

    std::optional<std::string> geometry(OGRFeature& feature, Record& record) {
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
                : (type == wkbLineString || type == wkbMultiLineString ||
                   type == wkbCompoundCurve || type == wkbCircularString || type == wkbMultiCurve);
        if (!ok)
            throw_input(fmt::format("the geometry is a {}, but {} must be {}",
                                    OGRGeometryTypeToName(type), m_def.name,
                                    m_def.geom == GeomKind::polygon ? "Polygon or MultiPolygon"
                                                                    : "LineString"),
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
    [[noreturn]] void throw_centreline_parts(const CentrelineMerge& m, const Record& record) {
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
    bool certainly_simple(const OGRGeometry& g) {
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
    bool is_plain_multipolygon(const GEOSGeometry* g) const {
        if (m_geos.type(g) != Geos::Type::multi_polygon)
            return false;
        int n = m_geos.num_parts(g);
        for (int i = 0; i < n; ++i)
            if (m_geos.is_empty(m_geos.part(g, i)))
                return false;
        return n > 0;
    }

    const Source& m_source;
    const LayerDef& m_def;
    std::vector<BoundField> m_bound;
    OGRCoordinateTransformation* m_transform;
    InvalidPolicy m_policy;
    const Geos& m_geos;
    CoordinateBounds m_bounds;
    bool m_fork_as_alignments = false;
    std::vector<std::pair<Wkb, double>> m_arms;
    std::vector<XY> m_ring; // certainly_simple()'s points, kept for the next feature

    static constexpr const char* coordinates_hint =
        "fix or redraw the feature's vertices in QGIS; if the coordinates are right, check the "
        "source CRS (--s-crs)";
    static const CoordinateBounds& finite_only() {
        static const CoordinateBounds any{-HUGE_VAL, -HUGE_VAL, HUGE_VAL, HUGE_VAL, "any bound"};
        return any;
    }
};

// Writes a layer's records (and findings) on a second thread while this one reads and converts
// the next features, so OGR/GEOS and SQLite each have a core. Until finish() the writer is the
// only user of the store. finish() waits for it and rethrows what it threw; destroying the
// inserter unfinished (an exception on the way up) drops what is queued and waits, after which
// the caller's store rolls back as usual. With threaded = false everything is written at once.
class LayerInserter {
public:
    using WriteFn = std::function<void(const Record&)>;
    LayerInserter(Store& store, LayerKind kind, bool threaded, WriteFn write)
        : m_store(store), m_kind(kind), m_write(std::move(write)) {
        if (threaded)
            m_thread = std::thread([this] { run(); });
    }
    ~LayerInserter() {
        {
            std::lock_guard lock(m_mutex);
            m_abort = true;
        }
        m_changed.notify_all();
        if (m_thread.joinable())
            m_thread.join();
    }
    LayerInserter(const LayerInserter&) = delete;
    LayerInserter& operator=(const LayerInserter&) = delete;

    void insert(Record&& record) {
        if (!m_thread.joinable())
            return m_write(record);
        if (m_batch.records.capacity() == 0)
            take_spare(m_batch.records);
        m_batch.records.push_back(std::move(record));
        if (m_batch.records.size() >= batch_size)
            flush();
    }
    void add_finding(const Finding& finding) {
        if (!m_thread.joinable())
            return m_store.add_finding(finding);
        m_batch.findings.push_back(finding);
    }
    void finish() {
        if (!m_thread.joinable())
            return;
        flush();
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_changed.notify_all();
        m_thread.join();
        if (m_error)
            std::rethrow_exception(m_error);
    }

private:
    static constexpr size_t batch_size = 512;
    static constexpr size_t max_queued = 16; // bounds the memory held by the queue

    struct Batch {
        std::vector<Record> records;
        std::vector<Finding> findings;
    };

    // A batch's vector comes back from the writer for the next batch: allocating 512 records'
    // worth anew each time made glibc consolidate its free lists on every batch.
    void take_spare(std::vector<Record>& records) {
        {
            std::lock_guard lock(m_mutex);
            if (!m_spare.empty()) {
                records = std::move(m_spare.back());
                m_spare.pop_back();
                return;
            }
        }
        records.reserve(batch_size);
    }

    void flush() {
        if (m_batch.records.empty() && m_batch.findings.empty())
            return;
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_queue.size() < max_queued || m_error; });
        if (m_error) {
            auto e = m_error;
            lock.unlock();
            std::rethrow_exception(e); // stop reading: the write has failed
        }
        m_queue.push_back(std::move(m_batch));
        m_batch = {};
        lock.unlock();
        m_changed.notify_all();
    }

    void run() {
        while (true) {
            Batch b;
            {
                std::unique_lock lock(m_mutex);
                m_changed.wait(lock, [&] { return m_abort || m_done || !m_queue.empty(); });
                if (m_abort || m_queue.empty())
                    return;
                b = std::move(m_queue.front());
                m_queue.pop_front();
            }
            m_changed.notify_all();
            try {
                for (const auto& f : b.findings)
                    m_store.add_finding(f);
                for (const auto& r : b.records)
                    m_write(r);
                b.records.clear();
                std::lock_guard lock(m_mutex);
                if (m_spare.size() < max_queued)
                    m_spare.push_back(std::move(b.records));
            } catch (...) {
                std::lock_guard lock(m_mutex);
                m_error = std::current_exception();
                m_queue.clear();
                m_changed.notify_all();
                return;
            }
        }
    }

    Store& m_store;
    LayerKind m_kind;
    WriteFn m_write;
    Batch m_batch; // being filled by the reading thread
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Batch> m_queue;
    std::vector<std::vector<Record>> m_spare; // emptied batches, capacity kept
    bool m_done = false, m_abort = false;
    std::exception_ptr m_error;
    std::thread m_thread;
};

// Converts features on worker threads while the calling thread reads the next ones from OGR
// and hands the converted ones, in the layer's order, to the checks and the writer: the
// conversion (fields, coordinate checks, GEOS validity, area) was half of the reading thread's
// time. Each worker has its own GEOS context, converter and GDAL error scope; features are
// taken in batches, at most max_queued batches ahead of the reader, so memory stays bounded.
// Destroying the pool unfinished (an exception on the way up) stops and joins the workers.
class ConversionPool {
public:
    struct Converted {
        std::int64_t fid = -1;
        Record record;
        std::optional<std::string> repaired;
        std::exception_ptr error; // what convert() threw (the record holds what it had filled)
    };
    using MakeConverter = std::function<std::unique_ptr<FeatureConverter>(const Geos&)>;
    using Encode = std::function<void(Record&)>; // the store's encoding (Store::encode_geometry)

    ConversionPool(MakeConverter make, Encode encode) : m_encode(std::move(encode)) {
        unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
        m_errors.resize(n);
        for (unsigned w = 0; w < n; ++w)
            m_workers.emplace_back([this, w, make] { run(w, make); });
    }
    ~ConversionPool() { stop(); }
    ConversionPool(const ConversionPool&) = delete;
    ConversionPool& operator=(const ConversionPool&) = delete;

    void add(OGRFeatureUniquePtr feature) {
        m_filling.push_back(std::move(feature));
        if (m_filling.size() >= batch_size)
            submit();
    }

    // Hands every converted feature of the finished batches at the front to take(), in order;
    // waits while too many batches are queued, or (all) until every batch is converted.
    template <class Take> void drain(bool all, Take&& take) {
        if (all)
            submit();
        while (true) {
            std::unique_ptr<Job> job;
            {
                std::unique_lock lock(m_mutex);
                if (m_jobs.empty())
                    return;
                bool must_wait = all || m_jobs.size() > max_queued;
                if (!m_jobs.front()->done) {
                    if (!must_wait)
                        return;
                    m_changed.wait(lock, [&] { return m_jobs.front()->done; });
                }
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            take(job->out);
            recycle(std::move(job));
        }
    }

    // After drain(true): stops the workers; returns the GDAL failures they captured.
    std::string finish() {
        {
            std::lock_guard lock(m_mutex);
            m_publish = true;
        }
        stop();
        std::string out;
        for (const auto& e : m_errors)
            if (!e.empty())
                out += (out.empty() ? "" : "; ") + e;
        return out;
    }

private:
    static constexpr size_t batch_size = 256;
    static constexpr size_t max_queued = 16;

    struct Job {
        std::vector<OGRFeatureUniquePtr> features;
        std::vector<Converted> out;
        bool taken = false, done = false;
    };

    // Jobs are reused with their vectors' capacity (see LayerInserter::take_spare).
    void submit() {
        if (m_filling.empty())
            return;
        std::unique_ptr<Job> job;
        if (!m_spare.empty()) {
            job = std::move(m_spare.back());
            m_spare.pop_back();
        } else {
            job = std::make_unique<Job>();
        }
        job->taken = job->done = false;
        std::swap(job->features, m_filling);
        m_filling.clear();
        if (m_filling.capacity() == 0)
            m_filling.reserve(batch_size);
        {
            std::lock_guard lock(m_mutex);
            m_jobs.push_back(std::move(job));
        }
        m_changed.notify_all();
    }
    void recycle(std::unique_ptr<Job> job) {
        job->out.clear();
        job->features.clear();
        if (m_spare.size() < max_queued)
            m_spare.push_back(std::move(job));
    }

    void stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_changed.notify_all();
        for (auto& t : m_workers)
            if (t.joinable())
                t.join();
    }

    void run(unsigned w, const MakeConverter& make) {
        GdalErrorCapture gdal; // this thread's own scope: GDAL keeps one stack per thread
        Geos geos;
        auto converter = make(geos);
        while (true) {
            Job* job = nullptr;
            {
                std::unique_lock lock(m_mutex);
                m_changed.wait(lock, [&] { return m_stop || next_free() != nullptr; });
                job = next_free();
                if (!job) {
                    if (m_publish)
                        m_errors[w] = gdal.errors();
                    return;
                }
                job->taken = true;
            }
            job->out.resize(job->features.size());
            for (size_t i = 0; i < job->features.size(); ++i) {
                auto& c = job->out[i];
                auto& feature = *job->features[i];
                c.fid = feature.GetFID();
                gdal.set_context(fmt::format("feature {}", c.fid));
                try {
                    c.repaired = converter->convert(feature, c.record);
                    m_encode(c.record);
                } catch (...) {
                    c.error = std::current_exception();
                }
                job->features[i].reset(); // freed here, not on the reading thread
            }
            {
                std::lock_guard lock(m_mutex);
                job->done = true;
            }
            m_changed.notify_all();
        }
    }

    Job* next_free() {
        if (m_stop && !m_publish)
            return nullptr; // aborted: leave the rest
        for (auto& j : m_jobs)
            if (!j->taken)
                return j.get();
        return nullptr;
    }

    std::vector<OGRFeatureUniquePtr> m_filling; // the batch being read
    std::vector<std::unique_ptr<Job>> m_spare;  // handed back by drain(), reading thread only
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::unique_ptr<Job>> m_jobs; // in reading order
    bool m_stop = false, m_publish = false;
    std::vector<std::string> m_errors;
    Encode m_encode;
    std::vector<std::thread> m_workers;
};

struct OpenedSource {
    LayerKind kind;
    std::unique_ptr<Source> source;
    std::vector<BoundField> bound;
    std::unique_ptr<OGRSpatialReference> srs;
    std::int64_t feature_count = -1;
};

// Parcels and buildings of thousands of features, in the working CRS already, are converted
// on worker threads (ConversionPool). Corridors stay on one thread (their alignments and arms
// are numbered as they come, and they are few); a source that needs transforming too, so that
// GDAL's and PROJ's messages name their first feature exactly as before.
bool parallel_conversion(const OpenedSource& s, const OGRCoordinateTransformation* transform) {
    return (s.kind == LayerKind::parcels || s.kind == LayerKind::buildings) && !transform &&
           s.feature_count >= 4096 && std::thread::hardware_concurrency() > 1;
}

std::string describe_feature(const Source& src, std::int64_t fid, const std::string& code) {
    return code.empty() ? fmt::format("feature {}", fid)
                        : fmt::format("feature {} ({})", fid, code);
}

// Longitude of the centre of all sources' extents, for choosing the Gauss-Krüger zone.
double centre_longitude(const std::vector<OpenedSource>& sources) {
    auto wgs = srs_from_epsg(4490);
    double min_lon = 1e9, max_lon = -1e9;
    for (const auto& s : sources) {
        OGREnvelope env;
        if (!s.srs)
            continue;
        if (s.source->layer().GetExtent(&env, TRUE) != OGRERR_NONE)
            continue;
        auto ct = make_transform(*s.srs, *wgs);
        double xs[] = {env.MinX, env.MaxX, env.MinX, env.MaxX};
        double ys[] = {env.MinY, env.MinY, env.MaxY, env.MaxY};
        GdalErrorCapture proj;
        if (ct && !ct->Transform(4, xs, ys)) {
            auto why = proj.errors();
            throw_input(fmt::format("{}: its extent cannot be converted to longitude/latitude{}",
                                    s.source->display(), why.empty() ? "" : " (" + why + ")"),
                        "check its CRS, or pass --s-crs / --crs");
        }
        for (double x : xs) {
            min_lon = std::min(min_lon, x);
            max_lon = std::max(max_lon, x);
        }
    }
    if (min_lon > max_lon)
        throw_input("cannot find where the data lies (no extent)", "pass --crs EPSG:n");
    return (min_lon + max_lon) / 2;
}

} // namespace

// Opens one source and checks it against the input contract (fields, CRS, features) before
// the store is touched.
OpenedSource open_source(LayerKind kind, const SourceSpec& spec, const Mapping& mapping,
                         const ImportOptions& options) {
    const auto& def = layer_def(kind);
    OpenedSource s;
    s.kind = kind;
    try {
        SourceOptions so;
        so.encoding = options.encoding;
        so.default_layer = std::string(def.name);
        s.source = std::make_unique<Source>(spec, so);
        auto& layer = s.source->layer();
        // An empty layer has no fields either: say it is empty, not that fields are missing.
        s.feature_count = layer.GetFeatureCount(TRUE);
        if (s.feature_count == 0)
            throw_input(fmt::format("{} has no features", s.source->display()),
                        "check the file and the layer name");
        s.bound = bind_fields(mapping, def, *layer.GetLayerDefn(), s.source->display());
        if (options.source_epsg) {
            s.srs = srs_from_epsg(*options.source_epsg);
        } else if (auto srs = declared_srs(layer.GetSpatialRef())) {
            s.srs = std::move(srs);
        } else if (layer.GetGeomType() == wkbNone && !def.geometry_required) {
            // An attribute-only table (projects without red lines) needs no CRS.
        } else if (!s.source->crs_problem().empty()) {
            throw_input(fmt::format("{}: {}", s.source->display(), s.source->crs_problem()),
                        "replace the .prj with the one the data was made with, or pass the "
                        "source CRS with --s-crs EPSG:n (e.g. EPSG:4547)");
        } else {
            const OGRSpatialReference* declared = layer.GetSpatialRef();
            throw_input(
                fmt::format("{} declares no coordinate reference system{} (no CRS)",
                            s.source->display(),
                            declared && declared->GetName()
                                ? fmt::format(": its '{}' is a placeholder that says nothing "
                                              "about where the coordinates lie",
                                              declared->GetName())
                                : ""),
                "pass the source CRS with --s-crs EPSG:n (e.g. EPSG:4547 for "
                "CGCS2000 GK zone 38, EPSG:4490 for CGCS2000 lon/lat)");
        }
    } catch (Error& e) {
        e.add_context(fmt::format("--{}", def.name));
        throw;
    }
    return s;
}

namespace {

// Corridors: a corridor given by several features (one per alignment), or a forked centreline
// imported as alignments, is stored one row per alignment keyed corridor_row_code
// ("G320-1~ZK"). Rekeys the record and returns the further arms of a fork (BK, CK, ...; the
// record is the longest arm, AK).
std::vector<Record> alignment_rows(Record& record, std::vector<std::pair<Wkb, double>> arms,
                                   const std::unordered_map<std::string, int>& features_of_code,
                                   const std::unordered_set<std::string>& stored_alignments,
                                   int key, int alignment_field) {
    auto code = value_text(record.values[static_cast<size_t>(key)]);
    if (code.find(alignment_separator) != std::string::npos)
        throw_input(fmt::format("corridor code '{}' holds '{}', which the store uses to join a "
                                "corridor code and an alignment",
                                code, alignment_separator),
                    "give the corridor a code without '~' (the alignment goes in the alignment "
                    "field)");
    if (arms.size() > 26)
        throw_input(fmt::format("the centreline forks into {} arms, more than the 26 alignments "
                                "AK to ZK",
                                arms.size()),
                    "split the junction into several corridors");
    auto& alignment = record.values[static_cast<size_t>(alignment_field)];
    std::vector<Record> out;
    for (size_t a = 1; a < arms.size(); ++a) {
        Record arm = record;
        std::string name = fmt::format("{}K", static_cast<char>('A' + a));
        arm.values[static_cast<size_t>(alignment_field)] = name;
        arm.values[static_cast<size_t>(key)] = corridor_row_code(code, name);
        arm.wkb = std::move(arms[a].first);
        arm.measure = arms[a].second;
        out.push_back(std::move(arm));
    }
    if (!arms.empty())
        alignment = std::string("AK");
    auto row_code = corridor_row_code(code, value_text(alignment));
    auto n = features_of_code.find(code);
    if (!arms.empty() || (n != features_of_code.end() && n->second > 1) ||
        stored_alignments.count(row_code))
        record.values[static_cast<size_t>(key)] = row_code;
    return out;
}

[[noreturn]] void refuse_alignment_twice(const Record& record, const std::string& code, int key,
                                         std::int64_t first_fid) {
    auto row = value_text(record.values[static_cast<size_t>(key)]);
    throw_input(fmt::format("corridor {} has alignment {} twice: in feature {} and feature {}",
                            code, row.substr(code.size() + 1), first_fid, record.source_fid),
                "a corridor of several alignments has one feature per alignment, each with its "
                "own prefix in the alignment field (ZK, YK, AK ...)");
}

} // namespace

// Reads one opened source into the store's layer, within the import's transaction: every
// feature converted and checked, written only while no feature failed; any problem throws and
// the caller's transaction is rolled back. Longer than our usual limit on purpose: the feature
// loop shares the converter, the set of codes seen, the collapsed problem list, the GDAL error
// capture and the writer thread's inserter, which would otherwise all be passed around.
LayerImportSummary import_layer(Store& store, OpenedSource& s, const OGRSpatialReference& working,
                                const ImportOptions& options, const Geos& geos,
                                ImportSummary& summary) {
    const auto& def = layer_def(s.kind);
    auto& src = *s.source;
    LayerImportSummary ls;
    ls.layer = std::string(def.name);
    ls.source = src.display();
    ls.detected_encoding = src.detected_encoding();
    ls.source_crs = s.srs ? describe_srs(*s.srs) : "no geometry";
    for (size_t i = 0; i < def.fields.size(); ++i)
        if (s.bound[i].source_index < 0 && s.bound[i].status_index < 0 &&
            !s.bound[i].rule->constant)
            ls.absent_fields.emplace_back(def.fields[i].name);

    auto transform = s.srs ? make_transform(*s.srs, working) : nullptr;
    FeatureConverter converter(src, def, s.bound, transform.get(), options.invalid, geos,
                               coordinate_bounds(working), options.fork_as_alignments);
    // Corridors: codes given by several features (one per alignment) are stored one row per
    // alignment, keyed corridor_row_code ("G320-1~ZK"); found by a first pass over the layer,
    // which is small. Features that fail here fail again, with their message, below.
    // With --update or --append, an alignment of a corridor the store keeps as several stays
    // one of them.
    std::unordered_map<std::string, int> features_of_code;
    std::unordered_set<std::string> stored_alignments;
    int alignment_field = field_index(def, "alignment");
    if (s.kind == LayerKind::corridors) {
        GdalErrorCapture quiet;
        Record r;
        int key_field = field_index(def, def.key);
        for (auto& feature : src.layer()) {
            try {
                converter.convert(*feature, r);
                ++features_of_code[value_text(r.values[static_cast<size_t>(key_field)])];
            } catch (const Error&) {
            }
        }
        src.layer().ResetReading();
        if (options.update || options.append)
            for (const auto& c : store.corridors())
                if (is_alignment_row(c))
                    stored_alignments.insert(c.code);
    }
    // Compared with what the layer holds as it is written (import_history.cpp): a replace
    // removes what the source lacks, an update or append keeps it.
    const char* mode = options.append ? "append" : options.update ? "update" : "replace";
    LayerHistory history(store, s.kind,
                         options.append || options.update ? HistoryMode::update
                                                          : HistoryMode::replace);
    if (!options.append && !options.update) {
        if (history.initial())
            store.clear_layer(s.kind);
        store.clear_findings("import", def.name);
    }
    auto import_id = store.record_import({ls.layer, ls.source, mode, ls.source_crs, 0, 0, 0});

    CodeIndex seen(s.feature_count);
    // Problems with the same message (a PROJ failure hits every feature alike) collapse
    // into one line naming the first feature and counting the rest.
    struct Problem {
        std::string message, first_feature;
        std::int64_t count = 1;
    };
    std::vector<Problem> problems;
    std::int64_t problem_count = 0;
    std::string first_hint;
    GdalErrorCapture reading;
    Record record;
    int key = field_index(def, def.key);
    auto& layer = src.layer();
    layer.ResetReading();
    // In --append mode the codes are looked up in the store as features are read: one thread.
    LayerInserter inserter(store, s.kind, !options.append,
                           [&history](const Record& r) { history.write(r); });
    std::int64_t step = std::max<std::int64_t>(50000, s.feature_count / 10);
    auto count_read = [&](std::int64_t fid) {
        ++ls.read;
        if (options.progress && ls.read % step == 0)
            options.progress(
                fmt::format("{}: {} of {} features read", ls.source, ls.read, s.feature_count));
        reading.set_context(describe_feature(src, fid, ""));
    };
    // One feature, in the layer's order: convert(record) fills the record (here, or hands over
    // what a conversion worker made) and says whether it was repaired; the checks that need the
    // features before it (codes seen, the problem list) and the write happen here.
    auto process = [&](std::int64_t fid, auto&& convert) {
        std::string code;
        try {
            auto repaired = convert(record);
            code = value_text(record.values[key]);
            std::vector<Record> arms; // a forked centreline's further arms
            if (s.kind == LayerKind::corridors)
                arms = alignment_rows(record, converter.take_arms(), features_of_code,
                                      stored_alignments, key, alignment_field);
            auto row_code = value_text(record.values[key]);
            auto [first_fid, fresh] = seen.emplace(row_code, record.source_fid);
            if (!fresh && row_code != code)
                refuse_alignment_twice(record, code, key, first_fid);
            if (!fresh)
                throw_input(fmt::format("{} {} is used twice: by feature {} and feature {}",
                                        def.key, code, first_fid, record.source_fid),
                            fmt::format("every {} must be unique", def.key));
            if (options.append)
                if (auto other = store.describe_code(s.kind, code))
                    throw_input(fmt::format("{} {} is already used by {}", def.key, code, *other),
                                "without --append the layer is replaced instead");
            bool line = def.geom == GeomKind::line; // a centreline's parts snapped together
            if (repaired) {
                ++ls.repaired;
                Finding f{"import",
                          line ? "centreline_parts_joined" : "invalid_geometry_repaired",
                          ls.layer,
                          code,
                          ls.source,
                          record.source_fid,
                          line ? fmt::format("{}; length {:.3f} m", *repaired, record.measure)
                               : fmt::format("invalid polygon ({}) repaired with GEOS MakeValid; "
                                             "area after repair {:.2f} m²",
                                             *repaired, record.measure),
                          record.measure,
                          record.wkb};
                inserter.add_finding(f);
                summary.findings.push_back(std::move(f));
            }
            ls.measure_total += record.measure;
            if (problem_count == 0)
                inserter.insert(std::move(record));
            ++ls.written;
            for (auto& arm : arms) {
                auto [arm_first, first] = seen.emplace(value_text(arm.values[key]), arm.source_fid);
                if (!first)
                    refuse_alignment_twice(arm, code, key, arm_first);
                if (options.append)
                    if (auto other = store.describe_code(s.kind, value_text(arm.values[key])))
                        throw_input(fmt::format("{} {} is already used by {}", def.key,
                                                value_text(arm.values[key]), *other),
                                    "without --append the layer is replaced instead");
                ls.measure_total += arm.measure;
                if (problem_count == 0)
                    inserter.insert(std::move(arm));
                ++ls.written;
            }
        } catch (Error& e) {
            if (e.kind() != ErrorKind::input)
                throw;
            if (code.empty() && !record.values.empty())
                code = value_text(record.values[key]);
            if (first_hint.empty())
                first_hint = e.hint();
            ++problem_count;
            auto message = e.full_message();
            auto same = std::find_if(problems.begin(), problems.end(),
                                     [&](const Problem& p) { return p.message == message; });
            if (same != problems.end())
                ++same->count;
            else if (problems.size() < max_listed_problems)
                problems.push_back({message, describe_feature(src, fid, code), 1});
        }
    };
    std::string worker_errors;
    if (parallel_conversion(s, transform.get())) {
        // Worked out here, once: an OGRSpatialReference is not safe to use from two threads
        // (GetAreaOfUse keeps its answer inside the object; ASan caught two workers racing on it).
        const auto bounds = coordinate_bounds(working);
        ConversionPool pool(
            [&](const Geos& own) {
                return std::make_unique<FeatureConverter>(src, def, s.bound, nullptr,
                                                          options.invalid, own, bounds,
                                                          options.fork_as_alignments);
            },
            [&store](Record& r) { store.encode_geometry(r); });
        auto take = [&](std::vector<ConversionPool::Converted>& batch) {
            // The codes' places in the table are fetched ahead: at a million codes nearly every
            // lookup is a cache miss.
            for (const auto& c : batch)
                if (!c.error && key < static_cast<int>(c.record.values.size()))
                    if (const auto* code = std::get_if<std::string>(&c.record.values[key]))
                        seen.prefetch(*code);
            for (auto& c : batch)
                process(c.fid, [&](Record& r) {
                    r = std::move(c.record);
                    if (c.error)
                        std::rethrow_exception(c.error);
                    return std::move(c.repaired);
                });
        };
        while (OGRFeatureUniquePtr feature{layer.GetNextFeature()}) {
            count_read(feature->GetFID());
            pool.add(std::move(feature));
            pool.drain(false, take);
        }
        pool.drain(true, take);
        worker_errors = pool.finish();
    } else {
        for (auto& feature : layer) {
            count_read(feature->GetFID());
            process(feature->GetFID(), [&](Record& r) { return converter.convert(*feature, r); });
        }
    }
    inserter.finish();
    if (problem_count > 0) {
        std::string listed;
        std::int64_t shown = 0;
        for (const auto& p : problems) {
            listed += p.count == 1 ? fmt::format("\n  {}: {}", p.first_feature, p.message)
                                   : fmt::format("\n  {} and {} more: {}", p.first_feature,
                                                 p.count - 1, p.message);
            shown += p.count;
        }
        if (problem_count > shown)
            listed += fmt::format("\n  ... and {} more", problem_count - shown);
        auto said = reading.errors();
        if (!worker_errors.empty())
            said += (said.empty() ? "" : "; ") + worker_errors;
        if (!said.empty())
            listed += "\n  GDAL said: " + said;
        throw Error(ErrorKind::input,
                    fmt::format("{} ({}): {} feature{} cannot be imported; nothing was "
                                "written{}",
                                ls.source, def.name, problem_count, problem_count > 1 ? "s" : "",
                                listed),
                    first_hint);
    }
    // A read error ends GDAL's feature loop early without any one feature failing, so a
    // truncated or damaged file would replace the layer with its first part. Any failure
    // GDAL raised while reading, or fewer features than the source declares, fails it whole.
    auto said = reading.errors();
    if (!worker_errors.empty())
        said += (said.empty() ? "" : "; ") + worker_errors;
    if (!said.empty() || (s.feature_count >= 0 && ls.read != s.feature_count))
        throw Error(ErrorKind::input,
                    fmt::format("{} ({}): the source cannot be read to its end ({} of {} "
                                "features read); nothing was written{}",
                                ls.source, def.name, ls.read, s.feature_count,
                                said.empty() ? std::string() : "\n  GDAL said: " + said),
                    "the file is damaged or truncated: copy or export it again from where "
                    "it was made");
    history.finish();
    ls.added = history.added();
    ls.removed = history.removed();
    ls.changed = history.changed();
    store.update_import(
        import_id, {ls.layer, ls.source, mode, ls.source_crs, ls.read, ls.written, ls.repaired});
    store.finish_layer(s.kind);
    if (options.progress)
        options.progress(fmt::format("{}: {} features written", ls.source, ls.written));
    return ls;
}

ImportSummary import_layers(const ImportOptions& options) {
    if (options.sources.empty())
        throw_usage("nothing to import",
                    "give at least one of --parcels, --buildings, --corridors, --projects");
    // The sources' checksums for the batch record, taken on a thread of their own while the
    // sources and the store are opened: once per file (the four layers of one GeoPackage are
    // one file, read once, not four times). A failure is rethrown where the digests are used.
    auto digests = std::async(std::launch::async, [&options] {
        std::map<std::string, std::string> by_path;
        for (const auto& [kind, spec] : options.sources)
            if (!by_path.count(spec.path))
                by_path.emplace(spec.path, sha256_file(spec.path));
        return by_path;
    });
    auto mapping = load_mapping(options.mapping);

    // Open and check every source before the store is touched.
    std::vector<OpenedSource> sources;
    for (const auto& [kind, spec] : options.sources)
        sources.push_back(open_source(kind, spec, mapping, options));
    std::stable_sort(sources.begin(), sources.end(),
                     [](const auto& a, const auto& b) { return a.kind < b.kind; });
    for (size_t i = 1; i < sources.size(); ++i)
        if (sources[i].kind == sources[i - 1].kind)
            throw_usage(fmt::format("--{} given twice", layer_def(sources[i].kind).name));

    auto store = open_store(options.store, StoreMode::write);
    ImportSummary summary;
    summary.store = options.store;
    summary.created = store->is_new();

    int epsg = 0;
    if (auto existing = store->working_epsg()) {
        if (options.working_epsg && *options.working_epsg != *existing)
            throw_usage(fmt::format("the store's working CRS is EPSG:{}; it cannot change to "
                                    "EPSG:{}",
                                    *existing, *options.working_epsg),
                        "import into a new store to work in another CRS");
        epsg = *existing;
    } else {
        epsg = options.working_epsg ? *options.working_epsg
                                    : cgcs2000_gk3_epsg(centre_longitude(sources));
    }
    require_metric_projected(epsg);
    auto working = srs_from_epsg(epsg);
    summary.working_epsg = epsg;
    summary.working_crs = describe_srs(*working);

    if (options.append && options.update)
        throw_usage(
            "--append and --update cannot be combined",
            "--update replaces the features it holds; --append refuses codes the store has");
    BatchInfo batch;
    batch.reported_on = options.reported.value_or(Date::today());
    batch.mode = options.append ? "append" : options.update ? "update" : "replace";

    store->begin_write();
    if (store->is_new())
        store->set_working_epsg(epsg);
    auto digest_of = digests.get();
    for (const auto& [kind, spec] : options.sources)
        batch.files.push_back(
            {std::string(layer_def(kind).name), spec.display(), digest_of.at(spec.path)});
    summary.batch_id = store->begin_batch(batch);
    summary.reported_on = batch.reported_on;

    Geos geos;
    for (auto& s : sources) {
        summary.layers.push_back(import_layer(*store, s, *working, options, geos, summary));
        batch.added += summary.layers.back().added;
        batch.removed += summary.layers.back().removed;
        batch.changed += summary.layers.back().changed;
    }
    store->finish_batch(batch);
    store->commit(); // the store moves data_version() on, as the layers changed
    return summary;
}

} // namespace landclear

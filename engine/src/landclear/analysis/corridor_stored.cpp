// The corridor's stored results: writing the derived layers of one corridor with their stamp,
// reading them back when the stamp still matches, dropping those of removed corridors.
#include "landclear/analysis/detail/corridor_stored.hpp"

#include "landclear/core/error.hpp"

#include <fmt/format.h>
#include <set>

namespace landclear::corridor_detail {

namespace {

// Bump when the geometry of the stored results changes, so old stores recompute.
constexpr int algorithm_version = 2;

const char* source_name(RedLineSource s) {
    return s == RedLineSource::project ? "project" : "buffer";
}

} // namespace

std::string text_value(const Value& v) {
    auto s = std::get_if<std::string>(&v);
    return s ? *s : value_text(v);
}

std::string stamp_name(const std::string& code) {
    return "corridor:" + code;
}

// What the stored clip depends on besides the data version (Store::set_derived_stamp adds that).
nlohmann::json stamp(const CorridorOptions& o) {
    return {{"algorithm", algorithm_version},
            {"segment_m", o.segment_m},
            {"red_line", source_name(o.red_line)}};
}

// Whether the stored clip of a corridor was computed from the same data and options; the
// red-line source it used goes to `used`.
bool stamp_matches(Store& store, const std::string& code, const nlohmann::json& wanted,
                   RedLineSource& used) {
    auto have_stamp = store.derived_stamp(stamp_name(code));
    if (!have_stamp || have_stamp->data_version != store.data_version())
        return false;
    auto have = nlohmann::json::parse(have_stamp->params, nullptr, false);
    if (have.is_discarded() || !have.is_object())
        return false;
    for (const auto& [k, v] : wanted.items())
        if (!have.contains(k) || have[k] != v)
            return false;
    used = have.value("used", std::string("buffer")) == "project" ? RedLineSource::project
                                                                  : RedLineSource::buffer;
    return true;
}

// The stored clips of these corridors, attributes only (the figures need no geometry). One
// pass over each layer when several corridors are asked for, rather than one scan each.
// With geometry: the segment and parcel pieces keep their WKB (for ellipsoidal areas).
std::map<std::string, CorridorClip> read_stored(Store& store, const std::vector<std::string>& codes,
                                                bool with_geometry) {
    std::map<std::string, CorridorClip> out;
    if (codes.empty() || !store.has_derived(corridor_segments_layer().name))
        return out;
    for (const auto& c : codes)
        out[c];
    auto plain = [with_geometry](DerivedLayerDef def) {
        if (!with_geometry)
            def.geometry_type.clear();
        return def;
    };
    auto integer = [](const Value& v) {
        auto i = std::get_if<std::int64_t>(&v);
        return i ? static_cast<int>(*i) : 0;
    };
    auto real = [](const Value& v) {
        auto d = std::get_if<double>(&v);
        return d ? *d : 0.0;
    };
    std::string scope_field = codes.size() == 1 ? "corridor_code" : "";
    std::string scope_value = codes.size() == 1 ? codes.front() : "";
    auto clip_of = [&](const FeatureRow& r) -> CorridorClip* {
        auto it = out.find(text_value(r.values[0]));
        return it == out.end() ? nullptr : &it->second;
    };
    store.for_each_derived(
        plain(corridor_segments_layer()), scope_field, scope_value, [&](const FeatureRow& r) {
            if (auto* c = clip_of(r))
                c->segments.push_back({integer(r.values[1]), real(r.values[2]), real(r.values[3]),
                                       text_value(r.values[4]), r.measure, r.wkb});
        });
    store.for_each_derived(
        plain(corridor_parcels_layer()), scope_field, scope_value, [&](const FeatureRow& r) {
            if (auto* c = clip_of(r))
                c->parcels.push_back({integer(r.values[1]), text_value(r.values[4]), r.measure,
                                      integer(r.values[5]) != 0, r.wkb});
        });
    auto no_geometry = corridor_buildings_layer();
    no_geometry.geometry_type.clear();
    store.for_each_derived(no_geometry, scope_field, scope_value, [&](const FeatureRow& r) {
        if (auto* c = clip_of(r))
            c->buildings.push_back({integer(r.values[1]),
                                    text_value(r.values[2]),
                                    text_value(r.values[3]),
                                    r.measure,
                                    {}});
    });
    for (auto it = out.begin(); it != out.end();) {
        auto& segs = it->second.segments;
        std::sort(segs.begin(), segs.end(),
                  [](const auto& a, const auto& b) { return a.index < b.index; });
        bool whole = !segs.empty();
        for (size_t k = 0; k < segs.size(); ++k)
            whole = whole && segs[k].index == static_cast<int>(k);
        auto bad = [&](int k) { return k < 0 || static_cast<size_t>(k) >= segs.size(); };
        for (const auto& p : it->second.parcels)
            whole = whole && !bad(p.segment);
        for (const auto& b : it->second.buildings)
            whole = whole && !bad(b.segment);
        it = whole ? std::next(it) : out.erase(it); // damaged by hand: recomputed
    }
    return out;
}

ClipRows clip_rows(const std::string& code, const CorridorClip& clip, const Store* encoder) {
    ClipRows out;
    out.segments.reserve(clip.segments.size());
    for (const auto& s : clip.segments)
        out.segments.push_back(
            {{code, std::int64_t{s.index}, s.from_m, s.to_m, s.label}, s.area, s.wkb});
    out.parcels.reserve(clip.parcels.size());
    for (const auto& p : clip.parcels) {
        const auto& s = clip.segments[static_cast<size_t>(p.segment)];
        out.parcels.push_back({{code, std::int64_t{p.segment}, s.from_m, s.to_m, p.code,
                                std::int64_t{p.whole ? 1 : 0}},
                               p.area,
                               p.wkb});
    }
    out.buildings.reserve(clip.buildings.size());
    for (const auto& b : clip.buildings)
        out.buildings.push_back(
            {{code, std::int64_t{b.segment}, b.code, b.parcel_code}, b.footprint, b.wkb});
    if (encoder)
        for (auto* layer : {&out.segments, &out.parcels, &out.buildings})
            for (auto& row : *layer)
                encoder->encode_derived(row);
    return out;
}

void save_clip(Store& store, const std::string& code, const ClipRows& rows, RedLineSource used,
               nlohmann::json stamp_value) {
    store.replace_derived(corridor_segments_layer(), "corridor_code", code, rows.segments);
    store.replace_derived(corridor_parcels_layer(), "corridor_code", code, rows.parcels);
    store.replace_derived(corridor_buildings_layer(), "corridor_code", code, rows.buildings);
    stamp_value["used"] = source_name(used);
    store.set_derived_stamp(stamp_name(code), stamp_value.dump());
}

// Rows of corridors that are no longer in the store.
void drop_removed(Store& store, const std::vector<CorridorRow>& corridors) {
    std::set<std::string> present;
    for (const auto& c : corridors) {
        present.insert(c.code);
        present.insert(corridor_of_row(c)); // the union of a corridor of several alignments
    }
    std::set<std::string> stored;
    auto def = corridor_segments_layer();
    def.geometry_type.clear();
    store.for_each_derived(def, "", "",
                           [&](const FeatureRow& r) { stored.insert(text_value(r.values[0])); });
    for (const auto& code : stored)
        if (!present.count(code)) {
            for (const auto* d : {&corridor_segments_layer(), &corridor_parcels_layer(),
                                  &corridor_buildings_layer()})
                store.replace_derived(*d, "corridor_code", code, {});
            store.clear_derived_stamp(stamp_name(code));
        }
}

// --area ellipsoidal: the pieces' 32号 areas in place of their planar ones (the stored measures
// stay planar, so the store serves both bases). The figures need no geometry after: freed.
void measure_on_ellipsoid(CorridorClip& clip, const EllipsoidalArea& calc,
                          const std::string& code) {
    with_context([&] { return "corridor " + code; },
                 [&] {
                     for (auto& s : clip.segments) {
                         s.area = calc.area_32(s.wkb);
                         s.wkb = {};
                     }
                     for (auto& p : clip.parcels) {
                         p.area = with_context([&] { return "parcel " + p.code; },
                                               [&] { return calc.area_32(p.wkb); });
                         p.wkb = {};
                     }
                 });
}

} // namespace landclear::corridor_detail

#pragma once
// The corridor's stored results (analysis/corridor_stored.cpp): the derived layers one
// `landclear corridor` run writes and the next reads back when the data and options are the
// same, and their stamps.
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/detail/corridor_clip.hpp"
#include "landclear/geom/ellipsoidal.hpp"
#include "landclear/store/store.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace landclear::corridor_detail {

// A value as text (a code field may come back as a number from some sources).
std::string text_value(const Value& v);

std::string stamp_name(const std::string& code);

// What the stored clip depends on besides the data version (Store::set_derived_stamp adds that).
nlohmann::json stamp(const CorridorOptions& o);

// Whether the stored clip of a corridor was computed from the same data and options; the
// red-line source it used goes to `used`.
bool stamp_matches(Store& store, const std::string& code, const nlohmann::json& wanted,
                   RedLineSource& used);

// The stored clips of these corridors, attributes only (the figures need no geometry). One
// pass over each layer when several corridors are asked for, rather than one scan each.
// With geometry: the segment and parcel pieces keep their WKB (for ellipsoidal areas).
std::map<std::string, CorridorClip> read_stored(Store& store, const std::vector<std::string>& codes,
                                                bool with_geometry);

// A clip as the rows of the three derived layers save_clip writes. With `encoder`, each row's
// geometry is also encoded for that store (Store::encode_derived): made on a clipping worker,
// that work leaves the thread that writes.
struct ClipRows {
    std::vector<FeatureRow> segments, parcels, buildings;
};
ClipRows clip_rows(const std::string& code, const CorridorClip& clip, const Store* encoder);

void save_clip(Store& store, const std::string& code, const ClipRows& rows, RedLineSource used,
               nlohmann::json stamp_value);

// Rows of corridors that are no longer in the store.
void drop_removed(Store& store, const std::vector<CorridorRow>& corridors);

// --area ellipsoidal: the pieces' 32号 areas in place of their planar ones (the stored measures
// stay planar, so the store serves both bases). The figures need no geometry after: freed.
void measure_on_ellipsoid(CorridorClip& clip, const EllipsoidalArea& calc, const std::string& code);

} // namespace landclear::corridor_detail

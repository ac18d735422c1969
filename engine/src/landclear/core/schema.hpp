#pragma once
// The input contract: four layers and their fields. Import, the store and the reports all read
// the field lists from here, so a field is added in one place.
#include "landclear/core/date.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace landclear {

enum class LayerKind { projects, corridors, parcels, buildings };
enum class FieldType { text, integer, real, date };
enum class GeomKind { polygon, line };

struct FieldDef {
    std::string_view name;
    FieldType type;
    bool required; // the source must have the column (values may still be empty unless key)
    std::string_view zh;
};

struct LayerDef {
    LayerKind kind;
    std::string_view name;
    std::string_view key; // unique code field
    GeomKind geom;
    bool geometry_required;
    std::span<const FieldDef> fields;
    std::string_view zh;
};

const LayerDef& layer_def(LayerKind kind);
// In import order: projects and corridors before the parcels and buildings that refer to them.
std::span<const LayerDef> all_layers();
std::optional<LayerKind> layer_from_name(std::string_view name);
int field_index(const LayerDef& def, std::string_view name); // -1 when absent

using Value = std::variant<std::monostate, std::string, std::int64_t, double, Date>;

// One imported feature: values in the layer's field order, geometry as WKB in the working CRS.
struct Record {
    std::vector<Value> values;
    std::vector<unsigned char> wkb; // empty for a project without red line
    // The store's own encoding of wkb when it was made ahead (Store::encode_geometry, on a
    // conversion worker); empty: the store encodes wkb as it writes the row.
    std::vector<unsigned char> native;
    double measure = 0; // planar area in m² (polygons) or length in m (lines)
    std::int64_t source_fid = -1;
};

std::string value_text(const Value& v);

} // namespace landclear

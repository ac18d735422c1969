#pragma once
// A small Mapbox Vector Tile (MVT 2.1) encoder on protozero: layers of features with their
// geometry already in tile coordinates (integers, y down, extent 4096 by default) and their
// properties. It writes the geometry commands (MoveTo, LineTo, ClosePath) with zigzag-encoded
// deltas, orders polygon rings as the spec asks (exterior rings positive area by the surveyor's
// formula in tile coordinates, holes negative) and drops rings and lines that collapsed to less
// than a valid shape. https://github.com/mapbox/vector-tile-spec/tree/master/2.1
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <type_traits>
#include <variant>
#include <vector>

namespace landclear::mvt {

struct Point {
    std::int32_t x = 0, y = 0;
    bool operator==(const Point&) const = default;
};

enum class GeomType : std::uint32_t { point = 1, line = 2, polygon = 3 };

using PropertyValue = std::variant<std::string, std::int64_t, double, bool>;

struct Feature {
    std::optional<std::uint64_t> id;
    GeomType type = GeomType::polygon;
    // point: one part holding the points; line: one part per line string; polygon: rings, each
    // polygon's exterior ring first (exterior[i] says which), then its holes.
    std::vector<std::vector<Point>> parts;
    std::vector<bool> exterior;
    std::vector<std::pair<std::string, PropertyValue>> properties;
};

class LayerBuilder {
public:
    explicit LayerBuilder(std::string name, std::uint32_t extent = 4096);
    // Adds the feature unless its geometry encodes to nothing (every ring or line collapsed);
    // returns whether it was added.
    bool add(const Feature& feature);
    std::size_t size() const { return m_count; }
    const std::string& name() const { return m_name; }
    // The encoded Layer message (without the Tile's field tag).
    std::string finish() const;

private:
    std::uint32_t key_index(const std::string& key);
    std::uint32_t value_index(const PropertyValue& value);

    std::string m_name;
    std::uint32_t m_extent;
    std::size_t m_count = 0;
    std::string m_features; // concatenated encoded Feature messages, each with its field tag
    struct ValueHash {
        std::size_t operator()(const PropertyValue& v) const {
            return std::visit(
                       [](const auto& x) { return std::hash<std::decay_t<decltype(x)>>{}(x); }, v) ^
                   (v.index() << 1);
        }
    };
    std::vector<std::string> m_keys; // a layer has a handful: looked up in order
    std::vector<PropertyValue> m_values;
    std::unordered_map<PropertyValue, std::uint32_t, ValueHash> m_value_index;
};

// A Tile message of these layers (layers without features are left out).
std::string encode_tile(const std::vector<LayerBuilder>& layers);

// Twice the signed area of a ring by the surveyor's formula (positive: an exterior ring in MVT).
std::int64_t ring_area2(const std::vector<Point>& ring);

} // namespace landclear::mvt

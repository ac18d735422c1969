#pragma once
// A small Mapbox Vector Tile (MVT 2.1) encoder on protozero: layers of features with their
// geometry already in tile coordinates (integers, y down, extent 4096 by default) and their
// properties. It writes the geometry commands (MoveTo, LineTo, ClosePath) with zigzag-encoded
// deltas, orders polygon rings as the spec asks (exterior rings positive area by the surveyor's
// formula in tile coordinates, holes negative) and drops rings and lines that collapsed to less
// than a valid shape. https://github.com/mapbox/vector-tile-spec/tree/master/2.1
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
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

// A feature's geometry as MVT commands, built ring by ring (or line by line) from points
// already in tile coordinates: consecutive repeats are dropped, rings that collapsed to no area
// are left out (a hole with its exterior ring), exterior rings wound positive and holes
// negative. The buffers are kept between features (clear()), so encoding allocates little.
class GeometryEncoder {
public:
    void clear();
    // Polygon rings in order, each polygon's exterior ring first. `pts` is cleaned in place.
    void ring(std::vector<Point>& pts, bool outer);
    // One line string of a (multi)line. `pts` is cleaned in place.
    void line(std::vector<Point>& pts);
    // All the points of a (multi)point, at once.
    void points(const std::vector<Point>& pts);
    bool empty() const { return m_out.empty(); }
    const std::vector<std::uint32_t>& commands() const { return m_out; }

private:
    void move(const Point& p);
    void path(const std::vector<Point>& pts, bool close);
    std::vector<std::uint32_t> m_out;
    Point m_cursor;
    bool m_outer_kept = false;
};

class LayerBuilder {
public:
    explicit LayerBuilder(std::string name, std::uint32_t extent = 4096);
    // Movable only: the value index looks at the strings of m_values (a copy would look at
    // the original's).
    LayerBuilder(const LayerBuilder&) = delete;
    LayerBuilder& operator=(const LayerBuilder&) = delete;
    LayerBuilder(LayerBuilder&&) = default;
    LayerBuilder& operator=(LayerBuilder&&) = default;
    // Adds the feature unless its geometry encodes to nothing (every ring or line collapsed);
    // returns whether it was added.
    bool add(const Feature& feature);
    // The same from a geometry already encoded and its tags (pairs of key_index and
    // value_index, taken in the feature's property order once its geometry is known to be
    // non-empty: the tables list keys and values in the order features first use them).
    bool add(std::optional<std::uint64_t> id, GeomType type, const GeometryEncoder& geometry,
             const std::vector<std::uint32_t>& tags);
    std::uint32_t key_index(std::string_view key);
    std::uint32_t value_index(const PropertyValue& value);
    std::uint32_t string_value_index(std::string_view value); // as value_index, no copy to look
    std::uint32_t int_value_index(std::int64_t value);
    // Room for about this many distinct values (a tile's codes are mostly distinct).
    void reserve_values(std::size_t n) { m_string_index.reserve(n); }
    std::size_t size() const { return m_count; }
    const std::string& name() const { return m_name; }
    // The encoded Layer message (without the Tile's field tag).
    std::string finish() const;

private:
    std::uint32_t add_value(PropertyValue value);

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
    // In the order first used; a deque, so the strings the index below looks at stay put.
    std::deque<PropertyValue> m_values;
    std::unordered_map<std::string_view, std::uint32_t> m_string_index;
    std::unordered_map<std::int64_t, std::uint32_t> m_int_index;
    std::unordered_map<PropertyValue, std::uint32_t, ValueHash> m_other_index; // double, bool
    std::vector<std::uint32_t> m_tags; // scratch for add(Feature)
    GeometryEncoder m_geometry;        //
};

// A Tile message of these layers (layers without features are left out).
std::string encode_tile(const std::vector<LayerBuilder>& layers);

// Twice the signed area of a ring by the surveyor's formula (positive: an exterior ring in MVT).
std::int64_t ring_area2(const std::vector<Point>& ring);

} // namespace landclear::mvt

#include "landclear/server/tile_mvt.hpp"

#include <algorithm>
#include <protozero/pbf_writer.hpp>

namespace landclear::mvt {

namespace {

// Field numbers of vector_tile.proto (MVT 2.1).
enum : protozero::pbf_tag_type {
    tile_layers = 3,
    layer_name = 1,
    layer_features = 2,
    layer_keys = 3,
    layer_values = 4,
    layer_extent = 5,
    layer_version = 15,
    feature_id = 1,
    feature_tags = 2,
    feature_type = 3,
    feature_geometry = 4,
    value_string = 1,
    value_double = 3,
    value_sint = 6,
    value_bool = 7,
};

constexpr std::uint32_t move_to = 1, line_to = 2, close_path = 7;

std::uint32_t command(std::uint32_t id, std::uint32_t count) {
    return (id & 0x7) | (count << 3);
}

std::uint32_t zigzag(std::int32_t v) {
    return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
}

// The points without consecutive repeats (and, for rings, without the closing repeat), in place.
void clean(std::vector<Point>& pts, bool ring) {
    size_t n = 0;
    for (size_t i = 0; i < pts.size(); ++i)
        if (n == 0 || !(pts[n - 1] == pts[i]))
            pts[n++] = pts[i];
    pts.resize(n);
    if (ring)
        while (pts.size() > 1 && pts.front() == pts.back())
            pts.pop_back();
}

} // namespace

std::int64_t ring_area2(const std::vector<Point>& ring) {
    std::int64_t a = 0;
    for (size_t i = 0, n = ring.size(); i < n; ++i) {
        const auto& p = ring[i];
        const auto& q = ring[(i + 1) % n];
        a += static_cast<std::int64_t>(p.x) * q.y - static_cast<std::int64_t>(q.x) * p.y;
    }
    return a;
}

void GeometryEncoder::clear() {
    m_out.clear();
    m_cursor = {};
    m_outer_kept = false;
}

void GeometryEncoder::move(const Point& p) {
    m_out.push_back(zigzag(p.x - m_cursor.x));
    m_out.push_back(zigzag(p.y - m_cursor.y));
    m_cursor = p;
}

void GeometryEncoder::path(const std::vector<Point>& pts, bool close) {
    m_out.push_back(command(move_to, 1));
    move(pts[0]);
    m_out.push_back(command(line_to, static_cast<std::uint32_t>(pts.size() - 1)));
    for (size_t i = 1; i < pts.size(); ++i)
        move(pts[i]);
    if (close)
        m_out.push_back(command(close_path, 1));
}

void GeometryEncoder::ring(std::vector<Point>& pts, bool outer) {
    if (!outer && !m_outer_kept)
        return; // a hole of a dropped exterior ring
    clean(pts, true);
    auto a = pts.size() >= 3 ? ring_area2(pts) : 0;
    if (a == 0) {
        if (outer)
            m_outer_kept = false;
        return;
    }
    if ((a > 0) != outer)
        std::reverse(pts.begin() + 1, pts.end()); // same first point, other winding
    path(pts, true);
    if (outer)
        m_outer_kept = true;
}

void GeometryEncoder::line(std::vector<Point>& pts) {
    clean(pts, false);
    if (pts.size() >= 2)
        path(pts, false);
}

void GeometryEncoder::points(const std::vector<Point>& pts) {
    if (pts.empty())
        return;
    m_out.push_back(command(move_to, static_cast<std::uint32_t>(pts.size())));
    for (const auto& p : pts)
        move(p);
}

LayerBuilder::LayerBuilder(std::string name, std::uint32_t extent)
    : m_name(std::move(name)), m_extent(extent) {}

std::uint32_t LayerBuilder::key_index(std::string_view key) {
    for (size_t i = 0; i < m_keys.size(); ++i)
        if (m_keys[i] == key)
            return static_cast<std::uint32_t>(i);
    m_keys.emplace_back(key);
    return static_cast<std::uint32_t>(m_keys.size() - 1);
}

std::uint32_t LayerBuilder::add_value(PropertyValue value) {
    m_values.push_back(std::move(value));
    return static_cast<std::uint32_t>(m_values.size() - 1);
}

std::uint32_t LayerBuilder::string_value_index(std::string_view value) {
    if (auto it = m_string_index.find(value); it != m_string_index.end())
        return it->second;
    auto i = add_value(std::string(value));
    m_string_index.emplace(std::get<std::string>(m_values.back()), i);
    return i;
}

std::uint32_t LayerBuilder::int_value_index(std::int64_t value) {
    auto [it, added] = m_int_index.try_emplace(value, 0);
    if (added)
        it->second = add_value(value);
    return it->second;
}

std::uint32_t LayerBuilder::value_index(const PropertyValue& value) {
    if (auto s = std::get_if<std::string>(&value))
        return string_value_index(*s);
    if (auto i = std::get_if<std::int64_t>(&value))
        return int_value_index(*i);
    auto [it, added] = m_other_index.try_emplace(value, 0);
    if (added)
        it->second = add_value(value);
    return it->second;
}

bool LayerBuilder::add(const Feature& f) {
    m_geometry.clear();
    std::vector<Point> pts;
    if (f.type == GeomType::point) {
        for (const auto& part : f.parts)
            pts.insert(pts.end(), part.begin(), part.end());
        m_geometry.points(pts);
    } else {
        for (size_t i = 0; i < f.parts.size(); ++i) {
            pts = f.parts[i];
            if (f.type == GeomType::line)
                m_geometry.line(pts);
            else
                m_geometry.ring(pts, i < f.exterior.size() ? f.exterior[i] : i == 0);
        }
    }
    if (m_geometry.empty())
        return false;
    m_tags.clear();
    for (const auto& [k, v] : f.properties) {
        m_tags.push_back(key_index(k));
        m_tags.push_back(value_index(v));
    }
    return add(f.id, f.type, m_geometry, m_tags);
}

bool LayerBuilder::add(std::optional<std::uint64_t> id, GeomType type,
                       const GeometryEncoder& geometry, const std::vector<std::uint32_t>& tags) {
    if (geometry.empty())
        return false;
    protozero::pbf_writer layer(m_features);
    protozero::pbf_writer feature(layer, layer_features);
    if (id)
        feature.add_uint64(feature_id, *id);
    if (!tags.empty())
        feature.add_packed_uint32(feature_tags, tags.begin(), tags.end());
    feature.add_enum(feature_type, static_cast<std::int32_t>(type));
    const auto& g = geometry.commands();
    feature.add_packed_uint32(feature_geometry, g.begin(), g.end());
    ++m_count;
    return true;
}

std::string LayerBuilder::finish() const {
    std::string out;
    protozero::pbf_writer layer(out);
    layer.add_uint32(layer_version, 2);
    layer.add_string(layer_name, m_name);
    out += m_features; // the features were written with their field tag (layer_features)
    for (const auto& k : m_keys)
        layer.add_string(layer_keys, k);
    for (const auto& v : m_values) {
        protozero::pbf_writer value(layer, layer_values);
        if (auto s = std::get_if<std::string>(&v))
            value.add_string(value_string, *s);
        else if (auto i = std::get_if<std::int64_t>(&v))
            value.add_sint64(value_sint, *i);
        else if (auto d = std::get_if<double>(&v))
            value.add_double(value_double, *d);
        else
            value.add_bool(value_bool, std::get<bool>(v));
    }
    layer.add_uint32(layer_extent, m_extent);
    return out;
}

std::string encode_tile(const std::vector<LayerBuilder>& layers) {
    std::string out;
    protozero::pbf_writer tile(out);
    for (const auto& l : layers)
        if (l.size() > 0)
            tile.add_message(tile_layers, l.finish());
    return out;
}

} // namespace landclear::mvt

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

// The points without consecutive repeats (and, for rings, without the closing repeat).
std::vector<Point> cleaned(const std::vector<Point>& in, bool ring) {
    std::vector<Point> out;
    out.reserve(in.size());
    for (const auto& p : in)
        if (out.empty() || !(out.back() == p))
            out.push_back(p);
    if (ring)
        while (out.size() > 1 && out.front() == out.back())
            out.pop_back();
    return out;
}

struct GeometryWriter {
    std::vector<std::uint32_t> out;
    Point cursor;

    void move(const Point& p) {
        out.push_back(zigzag(p.x - cursor.x));
        out.push_back(zigzag(p.y - cursor.y));
        cursor = p;
    }
    void path(const std::vector<Point>& pts, bool close) {
        out.push_back(command(move_to, 1));
        move(pts[0]);
        out.push_back(command(line_to, static_cast<std::uint32_t>(pts.size() - 1)));
        for (size_t i = 1; i < pts.size(); ++i)
            move(pts[i]);
        if (close)
            out.push_back(command(close_path, 1));
    }
};

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

LayerBuilder::LayerBuilder(std::string name, std::uint32_t extent)
    : m_name(std::move(name)), m_extent(extent) {}

std::uint32_t LayerBuilder::key_index(const std::string& key) {
    for (size_t i = 0; i < m_keys.size(); ++i)
        if (m_keys[i] == key)
            return static_cast<std::uint32_t>(i);
    m_keys.push_back(key);
    return static_cast<std::uint32_t>(m_keys.size() - 1);
}

std::uint32_t LayerBuilder::value_index(const PropertyValue& value) {
    auto [it, added] =
        m_value_index.try_emplace(value, static_cast<std::uint32_t>(m_values.size()));
    if (added)
        m_values.push_back(value);
    return it->second;
}

bool LayerBuilder::add(const Feature& f) {
    GeometryWriter g;
    if (f.type == GeomType::point) {
        std::vector<Point> pts;
        for (const auto& part : f.parts)
            pts.insert(pts.end(), part.begin(), part.end());
        if (pts.empty())
            return false;
        g.out.push_back(command(move_to, static_cast<std::uint32_t>(pts.size())));
        for (const auto& p : pts)
            g.move(p);
    } else if (f.type == GeomType::line) {
        for (const auto& part : f.parts) {
            auto pts = cleaned(part, false);
            if (pts.size() >= 2)
                g.path(pts, false);
        }
    } else {
        bool outer_kept = false;
        for (size_t i = 0; i < f.parts.size(); ++i) {
            bool outer = i < f.exterior.size() ? f.exterior[i] : i == 0;
            if (!outer && !outer_kept)
                continue; // a hole of a dropped exterior ring
            auto ring = cleaned(f.parts[i], true);
            auto a = ring.size() >= 3 ? ring_area2(ring) : 0;
            if (a == 0) {
                if (outer)
                    outer_kept = false;
                continue;
            }
            if ((a > 0) != outer)
                std::reverse(ring.begin() + 1, ring.end()); // same first point, other winding
            g.path(ring, true);
            if (outer)
                outer_kept = true;
        }
    }
    if (g.out.empty())
        return false;

    std::vector<std::uint32_t> tags;
    tags.reserve(f.properties.size() * 2);
    for (const auto& [k, v] : f.properties) {
        tags.push_back(key_index(k));
        tags.push_back(value_index(v));
    }
    protozero::pbf_writer layer(m_features);
    protozero::pbf_writer feature(layer, layer_features);
    if (f.id)
        feature.add_uint64(feature_id, *f.id);
    if (!tags.empty())
        feature.add_packed_uint32(feature_tags, tags.begin(), tags.end());
    feature.add_enum(feature_type, static_cast<std::int32_t>(f.type));
    feature.add_packed_uint32(feature_geometry, g.out.begin(), g.out.end());
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

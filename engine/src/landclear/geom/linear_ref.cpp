#include "landclear/geom/linear_ref.hpp"

#include <algorithm>
#include <cmath>

namespace landclear {

LinearRef::LinearRef(std::vector<LinePoint> points, double start) : m_points(std::move(points)) {
    m_at.reserve(m_points.size());
    for (std::size_t i = 0; i < m_points.size(); ++i)
        m_at.push_back(i == 0 ? start
                              : m_at.back() + std::hypot(m_points[i].x - m_points[i - 1].x,
                                                         m_points[i].y - m_points[i - 1].y));
}

std::size_t LinearRef::edge_at(double s) const {
    std::size_t n = m_points.size();
    auto i = static_cast<std::size_t>(std::upper_bound(m_at.begin(), m_at.end(), s) - m_at.begin());
    i = std::clamp<std::size_t>(i, 1, n - 1) - 1;
    while (i + 2 < n && m_at[i + 1] <= m_at[i])
        ++i;
    return i;
}

LinePoint LinearRef::point_on_edge(std::size_t i, double s) const {
    double len = m_at[i + 1] - m_at[i];
    double t = len > 0 ? (s - m_at[i]) / len : 0;
    const auto& a = m_points[i];
    const auto& b = m_points[i + 1];
    return {a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
}

LinePoint LinearRef::direction(std::size_t i) const {
    double dx = m_points[i + 1].x - m_points[i].x, dy = m_points[i + 1].y - m_points[i].y;
    double len = std::hypot(dx, dy);
    return len > 0 ? LinePoint{dx / len, dy / len} : LinePoint{0.0, 0.0};
}

std::vector<LinePoint> LinearRef::between(double a, double b) const {
    std::vector<LinePoint> out{point_at(a)};
    for (std::size_t i = 0; i < m_points.size(); ++i)
        if (m_at[i] > a && m_at[i] < b)
            out.push_back(m_points[i]);
    out.push_back(point_at(b));
    return out;
}

std::vector<LinePoint> LinearRef::clipped(double a, double b) const {
    if (m_points.size() < 2 || b < start() || a > end() || !(end() > start()))
        return {};
    auto line = between(std::max(a, start()), std::min(b, end()));
    return line.size() >= 2 ? line : std::vector<LinePoint>{};
}

} // namespace landclear

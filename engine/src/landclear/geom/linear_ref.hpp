#pragma once
// Linear referencing: distance along a polyline and back. The corridor's segment cuts (redline)
// and the map's chainage ticks and blocking stretches (render) measure along the centreline
// through this one module, so a K-label on a map sits where corridor cut the segment.
#include <cstddef>
#include <vector>

namespace landclear {

struct LinePoint {
    double x = 0, y = 0;
};

class LinearRef {
public:
    // `start`: the distance at the first vertex (a later part of a multi-part line continues
    // the distance of the parts before it).
    explicit LinearRef(std::vector<LinePoint> points, double start = 0);

    const std::vector<LinePoint>& points() const { return m_points; }
    // Distance at each vertex.
    const std::vector<double>& at() const { return m_at; }
    std::size_t size() const { return m_points.size(); }
    double start() const { return m_at.empty() ? 0 : m_at.front(); }
    double end() const { return m_at.empty() ? 0 : m_at.back(); }
    double length() const { return end() - start(); }

    // The edge (vertices i, i+1) that holds distance s: at[i] <= s < at[i+1], skipping
    // zero-length edges, clamped to the first and last edge. Needs two vertices.
    std::size_t edge_at(double s) const;
    // The point at distance s on the line through edge i (beyond its ends when s is).
    LinePoint point_on_edge(std::size_t i, double s) const;
    LinePoint point_at(double s) const { return point_on_edge(edge_at(s), s); }
    // Unit direction of edge i; (0, 0) for a repeated vertex.
    LinePoint direction(std::size_t i) const;

    // The line from distance a to distance b (a < b): the points at a and b and the vertices
    // strictly between them.
    std::vector<LinePoint> between(double a, double b) const;
    // The same, limited to this part: empty when [a, b] misses it or leaves under two points.
    std::vector<LinePoint> clipped(double a, double b) const;

private:
    std::vector<LinePoint> m_points;
    std::vector<double> m_at;
};

} // namespace landclear

#include "landclear/render/map_strip.hpp"

#include "landclear/core/error.hpp"
#include "landclear/geom/chainage.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <optional>

namespace landclear {

double parse_map_scale(const std::string& text) {
    std::string t;
    for (char c : text)
        if (c != ',' && c != ' ')
            t += c;
    if (auto colon = t.find(':'); colon != std::string::npos) {
        if (t.substr(0, colon) != "1")
            t.clear();
        else
            t = t.substr(colon + 1);
    }
    double n = 0;
    size_t used = 0;
    try {
        n = std::stod(t, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != t.size() || !(n >= 500 && n <= 100000))
        throw_usage(fmt::format("--scale '{}' is not a map scale from 1:500 to 1:100000", text),
                    "write it as 1:2000 (strip maps are usually 1:2000 to 1:5000)");
    return n;
}

StripFrameSpec strip_frame_spec(const PageLayout& layout, double denominator, double half_width_m) {
    const double metres_per_point = denominator / points_per_mm / 1000;
    StripFrameSpec s;
    s.width_m = layout.map.width() * metres_per_point;
    s.height_m = layout.map.height() * metres_per_point;
    s.overlap_m = 20 * denominator / 1000;
    s.inset_m = std::max(half_width_m, 10 * denominator / 1000);
    s.denominator = denominator;
    return s;
}

double strip_distance_of(const Stationing& stationing, double chainage_m) {
    const auto& runs = stationing.runs();
    if (runs.empty())
        return 0;
    if (chainage_m <= runs.front().from_m)
        return runs.front().along_from_m;
    for (size_t i = 0; i < runs.size(); ++i) {
        const auto& r = runs[i];
        if (chainage_m >= r.from_m && chainage_m <= r.to_m)
            return r.along_from_m + (chainage_m - r.from_m);
        // Skipped by a short chain: between this run's end and the next one's start.
        if (i + 1 < runs.size() && chainage_m > r.to_m && chainage_m < runs[i + 1].from_m)
            return r.along_to_m;
    }
    return runs.back().along_to_m;
}
double strip_chainage_of(const Stationing& stationing, double distance_m) {
    return stationing.chainage_at(distance_m);
}

namespace {

struct Fit {
    bool fits = false;
    double cx = 0, cy = 0, angle = 0;
};

LinePoint point_at(const std::vector<LinearRef>& parts, double d) {
    for (const auto& p : parts)
        if (p.size() >= 2 && d <= p.end() + 1e-9)
            return p.point_at(std::max(d, p.start()));
    return parts.back().point_at(d);
}

// Whether the road from d0 to d1 (the stretch a..b with its overlap) fits in the frame turned
// along the chord from a to b, and where the frame's centre goes.
Fit try_fit(const std::vector<LinearRef>& parts, double a, double b, double d0, double d1,
            const StripFrameSpec& spec) {
    auto pa = point_at(parts, a), pb = point_at(parts, b);
    double angle = std::atan2(pb.y - pa.y, pb.x - pa.x);
    if (std::hypot(pb.x - pa.x, pb.y - pa.y) < 1e-6) { // a closed loop: its first edge
        auto v = parts.front().direction(parts.front().edge_at(a));
        angle = std::atan2(v.y, v.x);
    }
    const double c = std::cos(angle), s = std::sin(angle);
    double umin = 0, umax = 0, vmin = 0, vmax = 0;
    bool first = true;
    // The polyline's vertices bound it: a rectangle (convex) holding them holds the line, and
    // the rectangle shrunk by inset holds the round buffer of the line by inset.
    for (const auto& part : parts)
        for (const auto& p : part.clipped(d0, d1)) {
            double u = p.x * c + p.y * s, v = -p.x * s + p.y * c;
            if (first) {
                umin = umax = u;
                vmin = vmax = v;
                first = false;
            }
            umin = std::min(umin, u);
            umax = std::max(umax, u);
            vmin = std::min(vmin, v);
            vmax = std::max(vmax, v);
        }
    Fit f;
    f.angle = angle;
    if (first)
        return f;
    f.fits = umax - umin + 2 * spec.inset_m <= spec.width_m &&
             vmax - vmin + 2 * spec.inset_m <= spec.height_m;
    double uc = (umin + umax) / 2, vc = (vmin + vmax) / 2;
    f.cx = uc * c - vc * s;
    f.cy = uc * s + vc * c;
    return f;
}

} // namespace

std::vector<StripSheet> plan_strip_sheets(const std::vector<LinearRef>& parts,
                                          const std::vector<StationSpan>& segments,
                                          const StripFrameSpec& spec, std::string_view prefix) {
    std::vector<StripSheet> sheets;
    if (parts.empty() || segments.empty())
        return sheets;
    const double line_start = parts.front().start(), line_end = parts.back().end();
    // Sheet i..j (segment indices, both included): along the line from segment i's start to
    // segment j's end.
    auto fit = [&](size_t i, size_t j) {
        double a = segments[i].along_from_m, b = segments[j].along_to_m;
        return try_fit(parts, a, b, std::max(line_start, a - spec.overlap_m),
                       std::min(line_end, b + spec.overlap_m), spec);
    };
    size_t i = 0;
    while (i < segments.size()) {
        Fit best = fit(i, i);
        if (!best.fits)
            throw_input(
                fmt::format("the stretch {} does not fit on one sheet at 1:{:.0f} with "
                            "{:.0f} m of overlap",
                            format_chainage_range(segments[i].from_m, segments[i].to_m, prefix),
                            spec.denominator, spec.overlap_m),
                "choose a smaller scale (--scale 1:5000) or a larger sheet (--size A3)");
        size_t j = i;
        for (size_t k = i + 1; k < segments.size(); ++k) {
            Fit f = fit(i, k);
            if (!f.fits)
                break;
            best = f;
            j = k;
        }
        StripSheet s;
        s.number = static_cast<int>(sheets.size()) + 1;
        s.from_chainage_m = segments[i].from_m;
        s.to_chainage_m = segments[j].to_m;
        s.along_from_m = segments[i].along_from_m;
        s.along_to_m = segments[j].along_to_m;
        s.centre_x = best.cx;
        s.centre_y = best.cy;
        s.angle_rad = best.angle;
        sheets.push_back(s);
        i = j + 1;
    }
    return sheets;
}

} // namespace landclear

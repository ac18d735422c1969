#include "layout.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numbers>
#include <stdexcept>

namespace landclear::sample {

double ring_area(const Vec2* p, std::size_t n) {
    double a = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const Vec2& q = p[k];
        const Vec2& r = p[(k + 1) % n];
        a += q.x * r.y - r.x * q.y;
    }
    return a / 2;
}

namespace {

constexpr double kPi = std::numbers::pi;

double cell_area(const Grid& g, const std::vector<Vec2>& uv, int i, int j) {
    const Vec2 p[4] = {uv[g.vid(i, j)], uv[g.vid(i + 1, j)], uv[g.vid(i + 1, j + 1)],
                       uv[g.vid(i, j + 1)]};
    return ring_area(p, 4);
}

// Joins two rings sharing one directed edge (p->q in a, q->p in b).
std::vector<std::uint32_t> splice(const std::vector<std::uint32_t>& a,
                                  const std::vector<std::uint32_t>& b) {
    const std::size_t na = a.size();
    const std::size_t nb = b.size();
    for (std::size_t k = 0; k < na; ++k) {
        const std::uint32_t p = a[k];
        const std::uint32_t q = a[(k + 1) % na];
        for (std::size_t m = 0; m < nb; ++m) {
            if (b[m] == q && b[(m + 1) % nb] == p) {
                std::vector<std::uint32_t> out;
                out.reserve(na + nb - 2);
                for (std::size_t t = 0; t < na; ++t) {
                    out.push_back(a[(k + 1 + t) % na]); // q ... p
                }
                for (std::size_t t = 2; t < nb; ++t) {
                    out.push_back(b[(m + t) % nb]); // after p, before q
                }
                return out;
            }
        }
    }
    throw std::logic_error("splice: rings share no edge");
}

std::pair<std::vector<std::uint32_t>, std::vector<std::uint32_t>>
split_ring(const std::vector<std::uint32_t>& ring, std::uint32_t a, std::uint32_t b) {
    auto pa = static_cast<std::size_t>(std::find(ring.begin(), ring.end(), a) - ring.begin());
    auto pb = static_cast<std::size_t>(std::find(ring.begin(), ring.end(), b) - ring.begin());
    if (pa == ring.size() || pb == ring.size()) {
        throw std::logic_error("split_ring: vertex not in ring");
    }
    if (pa > pb) {
        std::swap(pa, pb);
    }
    std::vector<std::uint32_t> r1(ring.begin() + static_cast<std::ptrdiff_t>(pa),
                                  ring.begin() + static_cast<std::ptrdiff_t>(pb) + 1);
    std::vector<std::uint32_t> r2(ring.begin() + static_cast<std::ptrdiff_t>(pb), ring.end());
    r2.insert(r2.end(), ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(pa) + 1);
    return {std::move(r1), std::move(r2)};
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Jittered grid partition
// ---------------------------------------------------------------------------------------------

std::vector<Vec2> jittered_vertices(Rng& rng, const Grid& g, double jitter) {
    std::vector<Vec2> uv(static_cast<std::size_t>((g.nu + 1) * (g.nv + 1)));
    for (int i = 0; i <= g.nu; ++i) {
        for (int j = 0; j <= g.nv; ++j) {
            const double ju = rng.uniform(-jitter, jitter) * g.du;
            const double jv = rng.uniform(-jitter, jitter) * g.dv;
            uv[g.vid(i, j)] = {g.u0 + i * g.du + ju, g.v0 + j * g.dv + jv};
        }
    }
    return uv;
}

// Exactly `target` pieces out of the kept cells, or nothing when the grid is too far off.
std::optional<std::vector<Piece>> partition(Rng& rng, const Grid& g, std::vector<Vec2>& uv,
                                            const std::vector<char>& keep, std::int64_t target,
                                            const PartitionRules& rules) {
    enum : std::uint8_t { kDropped, kPlain, kMergeHead, kMergeTail, kSplit };
    const int ncell = g.nu * g.nv;
    std::vector<std::uint8_t> state(static_cast<std::size_t>(ncell), kDropped);
    std::vector<int> partner(static_cast<std::size_t>(ncell), -1);
    std::vector<std::uint8_t> split_kind(static_cast<std::size_t>(ncell), 0);
    std::vector<double> area(static_cast<std::size_t>(ncell), 0);
    std::vector<int> kept;
    for (int i = 0; i < g.nu; ++i) {
        for (int j = 0; j < g.nv; ++j) {
            const int c = g.cell(i, j);
            if (keep[static_cast<std::size_t>(c)]) {
                state[static_cast<std::size_t>(c)] = kPlain;
                area[static_cast<std::size_t>(c)] = cell_area(g, uv, i, j);
                kept.push_back(c);
            }
        }
    }
    const auto k_cells = static_cast<std::int64_t>(kept.size());
    const std::int64_t diff = k_cells - target; // merges - splits

    auto kept_cell = [&](int i, int j) {
        return i >= 0 && j >= 0 && i < g.nu && j < g.nv &&
               state[static_cast<std::size_t>(g.cell(i, j))] != kDropped;
    };
    auto on_boundary = [&](int i, int j) {
        return !kept_cell(i - 1, j) || !kept_cell(i + 1, j) || !kept_cell(i, j - 1) ||
               !kept_cell(i, j + 1);
    };
    std::vector<char> internal_h(static_cast<std::size_t>(g.nu * (g.nv + 1)), 0);
    std::vector<char> internal_v(static_cast<std::size_t>((g.nu + 1) * g.nv), 0);
    std::vector<int> order = kept;

    // Smallest piece of cell c cut by `kind`, conservatively: mid cuts may be off-centre by 12 %,
    // and extra vertices on the edges may take up to ~10 % off a piece.
    auto smallest_piece = [&](int c, std::uint8_t kind) {
        const int i = c / g.nv;
        const int j = c % g.nv;
        const double a = area[static_cast<std::size_t>(c)];
        if (kind >= 2) {
            return 0.36 * a * 0.9;
        }
        const Vec2 q[4] = {uv[g.vid(i, j)], uv[g.vid(i + 1, j)], uv[g.vid(i + 1, j + 1)],
                           uv[g.vid(i, j + 1)]};
        const Vec2 t1[3] = {q[kind], q[kind + 1], q[(kind + 2) % 4]};
        const double a1 = ring_area(t1, 3);
        return std::min(a1, a - a1) * 0.85;
    };
    // Cells by area (ascending), for the fallbacks: deterministic, no random draws.
    auto by_area = [&]() {
        std::vector<int> sorted = kept;
        std::stable_sort(sorted.begin(), sorted.end(), [&](int x, int y) {
            return area[static_cast<std::size_t>(x)] < area[static_cast<std::size_t>(y)];
        });
        return sorted;
    };

    // Splits `count` plain cells within the size limits (at random), or, when `forced`, the
    // largest cells with their most even cut. Returns how many.
    auto split_cells = [&](std::int64_t count, bool forced) {
        if (forced) {
            order = by_area();
            std::reverse(order.begin(), order.end());
        } else {
            rng.shuffle(order);
        }
        std::int64_t done = 0;
        for (int c : order) {
            if (done == count) {
                break;
            }
            if (state[static_cast<std::size_t>(c)] != kPlain) {
                continue;
            }
            const int i = c / g.nv;
            const int j = c % g.nv;
            std::uint8_t kind = 0;
            if (forced) {
                for (std::uint8_t k = 1; k < (on_boundary(i, j) ? 2 : 4); ++k) {
                    if (smallest_piece(c, k) > smallest_piece(c, kind)) {
                        kind = k;
                    }
                }
            } else {
                const double r = rng.uniform();
                if (r < 0.4) {
                    kind = r < 0.2 ? 0 : 1;
                } else {
                    // cut across the longer side
                    kind = (g.du >= g.dv) != (rng.uniform() < 0.2) ? 2 : 3;
                }
                if (kind >= 2 && on_boundary(i, j)) {
                    kind -= 2; // mid cuts need extra vertices, which only interior edges get
                }
                // curves shrink the inner side of a corridor: keep a margin
                if (smallest_piece(c, kind) < 1.15 * rules.min_area) {
                    continue;
                }
            }
            state[static_cast<std::size_t>(c)] = kSplit;
            split_kind[static_cast<std::size_t>(c)] = kind;
            ++done;
        }
        return done;
    };
    // Merges `count` pairs of plain neighbours within the size limit (at random), or, when
    // `forced`, the smallest pairs. Returns how many.
    auto merge_cells = [&](std::int64_t count, bool forced) {
        if (forced) {
            order = by_area();
        } else {
            rng.shuffle(order);
        }
        std::int64_t done = 0;
        for (int c : order) {
            if (done == count) {
                break;
            }
            if (state[static_cast<std::size_t>(c)] != kPlain) {
                continue;
            }
            const int i = c / g.nv;
            const int j = c % g.nv;
            const bool right_first = forced ? true : rng.chance(0.5);
            int best = -1;
            bool best_right = false;
            for (int t = 0; t < 2; ++t) {
                const bool right = (t == 0) == right_first;
                const int ni = right ? i + 1 : i;
                const int nj = right ? j : j + 1;
                if (ni >= g.nu || nj >= g.nv) {
                    continue;
                }
                const int n = g.cell(ni, nj);
                if (state[static_cast<std::size_t>(n)] != kPlain) {
                    continue;
                }
                const double sum =
                    area[static_cast<std::size_t>(c)] + area[static_cast<std::size_t>(n)];
                // the outer side of a curve is wider: keep a margin
                if (!forced && sum > 0.85 * rules.max_area) {
                    continue;
                }
                if (best < 0 || (forced && area[static_cast<std::size_t>(n)] <
                                               area[static_cast<std::size_t>(best)])) {
                    best = n;
                    best_right = right;
                }
                if (!forced) {
                    break;
                }
            }
            if (best < 0) {
                continue;
            }
            state[static_cast<std::size_t>(c)] = kMergeHead;
            state[static_cast<std::size_t>(best)] = kMergeTail;
            partner[static_cast<std::size_t>(c)] = best;
            if (best_right) {
                internal_v[static_cast<std::size_t>(g.vedge(i + 1, j))] = 1;
            } else {
                internal_h[static_cast<std::size_t>(g.hedge(i, j + 1))] = 1;
            }
            ++done;
        }
        return done;
    };

    // Splits first, within the size limits; then as many merges as needed to hit the target.
    const std::int64_t wanted = std::max<std::int64_t>(
        std::llround(rules.split_rate * static_cast<double>(k_cells)), -diff);
    std::int64_t splits = split_cells(wanted, false);
    if (splits + diff < 0) {
        splits += split_cells(-(splits + diff), true); // the grid is too coarse: must split more
        if (splits + diff < 0) {
            return std::nullopt;
        }
    }
    const std::int64_t merges = splits + diff;
    if (merges > k_cells * 2 / 5) {
        return std::nullopt;
    }
    std::int64_t merged = merge_cells(merges, false);
    if (merged < merges) {
        merged += merge_cells(merges - merged, true);
        if (merged < merges) {
            return std::nullopt;
        }
    }

    // Extra vertices on edges between two kept cells: shared by both neighbours, so no
    // T-junctions; none on the outline, which must keep covering what the keep test saw.
    std::vector<int> mid_h(internal_h.size(), -1);
    std::vector<int> mid_v(internal_v.size(), -1);
    std::vector<char> force_h(internal_h.size(), 0);
    std::vector<char> force_v(internal_v.size(), 0);
    for (int c : kept) {
        if (state[static_cast<std::size_t>(c)] == kSplit) {
            const int i = c / g.nv;
            const int j = c % g.nv;
            if (split_kind[static_cast<std::size_t>(c)] == 2) {
                force_h[static_cast<std::size_t>(g.hedge(i, j))] = 1;
                force_h[static_cast<std::size_t>(g.hedge(i, j + 1))] = 1;
            } else if (split_kind[static_cast<std::size_t>(c)] == 3) {
                force_v[static_cast<std::size_t>(g.vedge(i, j))] = 1;
                force_v[static_cast<std::size_t>(g.vedge(i + 1, j))] = 1;
            }
        }
    }
    auto add_mid = [&](std::uint32_t a, std::uint32_t b) {
        const Vec2 p = uv[a];
        const Vec2 q = uv[b];
        const double along = rng.uniform(-0.12, 0.12);
        const double across = rng.uniform(-0.07, 0.07);
        const double ex = q.x - p.x;
        const double ey = q.y - p.y;
        uv.push_back({(p.x + q.x) / 2 + along * ex - across * ey,
                      (p.y + q.y) / 2 + along * ey + across * ex});
        return static_cast<int>(uv.size() - 1);
    };
    for (int i = 0; i < g.nu; ++i) {
        for (int j = 0; j <= g.nv; ++j) {
            const auto e = static_cast<std::size_t>(g.hedge(i, j));
            if (internal_h[e] || !(kept_cell(i, j) && kept_cell(i, j - 1))) {
                continue;
            }
            if (force_h[e] || rng.chance(rules.mid_rate)) {
                mid_h[e] = add_mid(g.vid(i, j), g.vid(i + 1, j));
            }
        }
    }
    for (int i = 0; i <= g.nu; ++i) {
        for (int j = 0; j < g.nv; ++j) {
            const auto e = static_cast<std::size_t>(g.vedge(i, j));
            if (internal_v[e] || !(kept_cell(i, j) && kept_cell(i - 1, j))) {
                continue;
            }
            if (force_v[e] || rng.chance(rules.mid_rate)) {
                mid_v[e] = add_mid(g.vid(i, j), g.vid(i, j + 1));
            }
        }
    }

    auto cell_ring = [&](int i, int j) {
        std::vector<std::uint32_t> r;
        r.reserve(8);
        auto mid = [&](int m) {
            if (m >= 0) {
                r.push_back(static_cast<std::uint32_t>(m));
            }
        };
        r.push_back(g.vid(i, j));
        mid(mid_h[static_cast<std::size_t>(g.hedge(i, j))]);
        r.push_back(g.vid(i + 1, j));
        mid(mid_v[static_cast<std::size_t>(g.vedge(i + 1, j))]);
        r.push_back(g.vid(i + 1, j + 1));
        mid(mid_h[static_cast<std::size_t>(g.hedge(i, j + 1))]);
        r.push_back(g.vid(i, j + 1));
        mid(mid_v[static_cast<std::size_t>(g.vedge(i, j))]);
        return r;
    };

    std::vector<Piece> pieces;
    pieces.reserve(static_cast<std::size_t>(target));
    for (int c : kept) {
        const int i = c / g.nv;
        const int j = c % g.nv;
        switch (state[static_cast<std::size_t>(c)]) {
        case kPlain:
            pieces.push_back({cell_ring(i, j), i, j});
            break;
        case kMergeHead: {
            const int n = partner[static_cast<std::size_t>(c)];
            pieces.push_back({splice(cell_ring(i, j), cell_ring(n / g.nv, n % g.nv)), i, j});
            break;
        }
        case kSplit: {
            const std::vector<std::uint32_t> r = cell_ring(i, j);
            std::uint32_t a = 0;
            std::uint32_t b = 0;
            switch (split_kind[static_cast<std::size_t>(c)]) {
            case 0:
                a = g.vid(i, j);
                b = g.vid(i + 1, j + 1);
                break;
            case 1:
                a = g.vid(i + 1, j);
                b = g.vid(i, j + 1);
                break;
            case 2:
                a = static_cast<std::uint32_t>(mid_h[static_cast<std::size_t>(g.hedge(i, j))]);
                b = static_cast<std::uint32_t>(mid_h[static_cast<std::size_t>(g.hedge(i, j + 1))]);
                break;
            default:
                a = static_cast<std::uint32_t>(mid_v[static_cast<std::size_t>(g.vedge(i, j))]);
                b = static_cast<std::uint32_t>(mid_v[static_cast<std::size_t>(g.vedge(i + 1, j))]);
                break;
            }
            auto [r1, r2] = split_ring(r, a, b);
            pieces.push_back({std::move(r1), i, j});
            pieces.push_back({std::move(r2), i, j});
            break;
        }
        default:
            break;
        }
    }
    if (static_cast<std::int64_t>(pieces.size()) != target) {
        throw std::logic_error(fmt::format("partition: {} pieces for {}", pieces.size(), target));
    }
    return pieces;
}

// ---------------------------------------------------------------------------------------------
// Corridor centrelines: straights and circular arcs
// ---------------------------------------------------------------------------------------------

void Curve::add(double len, double k) {
    Segment seg{m_length, len, 0, 0, 0, k};
    if (!m_segments.empty()) {
        const Segment& last = m_segments.back();
        const Vec2 end = eval(last, last.len);
        seg.x0 = end.x;
        seg.y0 = end.y;
        seg.h0 = last.h0 + last.k * last.len;
    }
    m_segments.push_back(seg);
    m_length += len;
}

Vec2 Curve::at(double s, double v) const {
    auto it = std::upper_bound(m_segments.begin(), m_segments.end(), s,
                               [](double x, const Segment& seg) { return x < seg.s0; });
    const Segment& seg = it == m_segments.begin() ? m_segments.front() : *(it - 1);
    const double t = s - seg.s0;
    const Vec2 p = eval(seg, t);
    const double h = seg.h0 + seg.k * t;
    return {p.x - v * std::sin(h), p.y + v * std::cos(h)};
}

Vec2 Curve::eval(const Segment& seg, double t) {
    if (seg.k == 0) {
        return {seg.x0 + t * std::cos(seg.h0), seg.y0 + t * std::sin(seg.h0)};
    }
    const double h = seg.h0 + seg.k * t;
    return {seg.x0 + (std::sin(h) - std::sin(seg.h0)) / seg.k,
            seg.y0 - (std::cos(h) - std::cos(seg.h0)) / seg.k};
}

Curve make_curve(Rng& rng, double total, bool river) {
    Curve c;
    c.add(total * rng.uniform(0.05, 0.25), 0);
    double heading = 0;
    while (c.length() < total) {
        const double turn = (river ? rng.uniform(15, 60) : rng.uniform(6, 35)) * kPi / 180;
        double sign = rng.chance(0.5) ? 1 : -1;
        if (std::abs(heading + sign * turn) > 80 * kPi / 180) {
            sign = -sign;
        }
        const double radius = river ? rng.uniform(300, 900) : rng.uniform(600, 2500);
        c.add(radius * turn, sign / radius);
        heading += sign * turn;
        c.add(river ? rng.uniform(150, 800) : rng.uniform(400, 2500), 0);
    }
    return c;
}

// Sampled centreline between two arc lengths: segment ends plus a vertex every `step` on arcs.
std::vector<Vec2> sample_curve(const Curve& c, double from, double to, double step) {
    std::vector<double> s_list{from};
    for (const Curve::Segment& seg : c.segments()) {
        const double a = std::max(from, seg.s0);
        const double b = std::min(to, seg.s0 + seg.len);
        if (b <= a) {
            continue;
        }
        if (seg.k != 0) {
            const int n = std::max(1, static_cast<int>(std::ceil((b - a) / step)));
            for (int k = 1; k < n; ++k) {
                s_list.push_back(a + (b - a) * k / n);
            }
        }
        if (b < to) {
            s_list.push_back(b);
        }
    }
    s_list.push_back(to);
    std::vector<Vec2> pts;
    double last = -1e300;
    for (double s : s_list) {
        if (s > last + 1e-6) {
            pts.push_back(c.at(s, 0));
            last = s;
        }
    }
    return pts;
}

} // namespace landclear::sample

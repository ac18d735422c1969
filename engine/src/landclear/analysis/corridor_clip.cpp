#include "landclear/analysis/detail/corridor_clip.hpp"

#include "landclear/geom/convex_clip.hpp"
#include "landclear/geom/strtree.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <optional>
#include <thread>

namespace landclear::corridor_detail {

namespace {

// Below this many candidate features a second thread costs more than it saves.
constexpr size_t min_parallel = 256;

// The pieces of one red line in one thread's GEOS context: geometry, prepared geometry and an
// STRtree over their envelopes, so a parcel is only tested against the pieces near it.
class PieceIndex {
public:
    PieceIndex(const Geos& geos, const std::vector<SegmentClip>& segments)
        : m_geos(geos), m_tree(geos) {
        for (const auto& s : segments) {
            auto g = geos.from_wkb(s.wkb);
            if (!geos.is_empty(g.get())) {
                // The tree keeps the item, not the geometry: it stays owned by m_geoms.
                m_tree.insert(g.get(), m_geoms.size());
                m_prepared.push_back(geos.prepare(g.get()));
            } else {
                m_prepared.push_back(geos.no_prepared());
            }
            m_convex.emplace_back(geos, g.get());
            m_geoms.push_back(std::move(g));
        }
    }

    // Pieces whose envelope meets g's, in segment order.
    const std::vector<int>& near(const GEOSGeometry* g) {
        m_tree.query(g, m_found);
        m_hits.assign(m_found.begin(), m_found.end());
        return m_hits;
    }

    const GEOSGeometry* geom(int k) const { return m_geoms[static_cast<size_t>(k)].get(); }
    const GEOSPreparedGeometry* prepared(int k) const {
        return m_prepared[static_cast<size_t>(k)].get();
    }
    // The piece as a convex clip polygon (usable() only where it is convex).
    const ConvexClip& convex(int k) const { return m_convex[static_cast<size_t>(k)]; }

private:
    const Geos& m_geos;
    std::vector<GeomPtr> m_geoms;
    std::vector<PreparedPtr> m_prepared;
    std::vector<ConvexClip> m_convex;
    StrTree m_tree;
    std::vector<std::size_t> m_found;
    std::vector<int> m_hits;
};

// Runs work(thread, first, stride) on `threads` threads (the calling thread is one of them),
// each with its own GEOS context; rethrows the first error.
template <class Work> void run_parallel(unsigned threads, size_t items, const Work& work) {
    if (threads <= 1 || items < min_parallel) {
        work(0u, 1u);
        return;
    }
    std::vector<std::exception_ptr> errors(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
        pool.emplace_back([&, t] {
            try {
                work(t, threads);
            } catch (...) {
                errors[t] = std::current_exception();
            }
        });
    try {
        work(0u, threads);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& th : pool)
        th.join();
    for (auto& e : errors)
        if (e)
            std::rethrow_exception(e);
}

GeomPtr clip_to_piece(const Geos& geos, const GEOSGeometry* piece, const GEOSGeometry* parcel) {
    // A robustness failure in the overlay is retried on a 1 µm grid.
    return geos.polygonal_multi(geos.intersection_snapped(piece, parcel, 1e-6).get());
}

} // namespace

std::vector<ParcelPiece> clip_parcels(const std::vector<SegmentClip>& segments,
                                      const std::vector<Candidate>& parcels, unsigned threads) {
    std::vector<std::vector<ParcelPiece>> out(std::max(threads, 1u));
    run_parallel(threads, parcels.size(), [&](unsigned t, unsigned stride) {
        Geos geos;
        PieceIndex pieces(geos, segments);
        auto& mine = out[t];
        for (size_t i = t; i < parcels.size(); i += stride) {
            const auto& c = parcels[i];
            auto g = geos.from_wkb(c.wkb);
            // The parcel as the clip polygon, for pieces that are not convex (bends, curves):
            // made when first needed.
            std::optional<ConvexClip> parcel_clip;
            for (int k : pieces.near(g.get())) {
                // A convex piece (straight stretches): the parcel cut by its sides where that
                // can vouch for the result, the general overlay below where it cannot.
                const auto& convex = pieces.convex(k);
                if (convex.usable()) {
                    auto fast = convex.clip(g.get());
                    if (fast.outcome == ConvexClip::Outcome::outside)
                        continue;
                    if (fast.outcome == ConvexClip::Outcome::inside) {
                        mine.push_back({k, c.code, geos.area(g.get()), true, c.wkb});
                        break;
                    }
                    if (fast.outcome == ConvexClip::Outcome::clipped) {
                        mine.push_back({k, c.code, fast.area, false, geos.to_wkb(fast.geom.get())});
                        continue;
                    }
                }
                // Wholly inside: counted as it is, no overlay. Pieces do not overlap, so no
                // other piece can hold any of it.
                if (geos.contains(pieces.prepared(k), g.get())) {
                    mine.push_back({k, c.code, geos.area(g.get()), true, c.wkb});
                    break;
                }
                // A piece on a curve and a convex parcel: the piece cut by the parcel's sides.
                if (!convex.usable()) {
                    if (!parcel_clip)
                        parcel_clip.emplace(geos, g.get());
                    auto fast = parcel_clip->usable() ? parcel_clip->clip(pieces.geom(k))
                                                      : ConvexClip::Result{};
                    if (fast.outcome == ConvexClip::Outcome::outside)
                        continue;
                    if (fast.outcome == ConvexClip::Outcome::clipped) {
                        mine.push_back({k, c.code, fast.area, false, geos.to_wkb(fast.geom.get())});
                        continue;
                    }
                }
                if (!geos.intersects(pieces.prepared(k), g.get()))
                    continue;
                auto part = clip_to_piece(geos, pieces.geom(k), g.get());
                double area = geos.area(part.get());
                if (area > 0)
                    mine.push_back({k, c.code, area, false, geos.to_wkb(part.get())});
            }
        }
    });
    std::vector<ParcelPiece> all;
    for (auto& v : out)
        std::move(v.begin(), v.end(), std::back_inserter(all));
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.segment != b.segment ? a.segment < b.segment : a.code < b.code;
    });
    return all;
}

std::vector<BuildingHit> locate_buildings(const std::vector<SegmentClip>& segments,
                                          const std::vector<Candidate>& buildings,
                                          unsigned threads) {
    std::vector<std::vector<BuildingHit>> out(std::max(threads, 1u));
    run_parallel(threads, buildings.size(), [&](unsigned t, unsigned stride) {
        Geos geos;
        PieceIndex pieces(geos, segments);
        for (size_t i = t; i < buildings.size(); i += stride) {
            const auto& c = buildings[i];
            auto g = geos.from_wkb(c.wkb);
            if (geos.is_empty(g.get()))
                continue;
            // A point inside the footprint, unlike the centroid of an L-shaped building.
            auto point = geos.point_on_surface(g.get());
            for (int k : pieces.near(point.get()))
                if (geos.intersects(pieces.prepared(k), point.get())) {
                    out[t].push_back(
                        {k, c.code, c.parcel_code, geos.area(g.get()), geos.to_wkb(point.get())});
                    break; // on the line between two pieces: the first
                }
        }
    });
    std::vector<BuildingHit> all;
    for (auto& v : out)
        std::move(v.begin(), v.end(), std::back_inserter(all));
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.segment != b.segment ? a.segment < b.segment : a.code < b.code;
    });
    return all;
}

} // namespace landclear::corridor_detail

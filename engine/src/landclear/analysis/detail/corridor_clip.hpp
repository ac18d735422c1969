#pragma once
// Private to analysis/ (corridor): the date-independent part of a corridor, the red line's
// segment pieces, the parcels clipped to them and the buildings located in them, computed on
// worker threads with one GEOS context each.
#include "landclear/analysis/corridor.hpp"
#include "landclear/geom/geos.hpp"

#include <string>
#include <vector>

namespace landclear::corridor_detail {

struct SegmentClip {
    int index = 0;
    double from_m = 0, to_m = 0;
    std::string label;
    double area = 0;
    Wkb wkb;
};

struct ParcelPiece {
    int segment = 0;
    std::string code;
    double area = 0;
    bool whole = false;
    Wkb wkb;
};

struct BuildingHit {
    int segment = 0;
    std::string code, parcel_code;
    double footprint = 0;
    Wkb wkb;
};

struct CorridorClip {
    RedLineSource source = RedLineSource::buffer;
    std::vector<SegmentClip> segments;
    std::vector<ParcelPiece> parcels;
    std::vector<BuildingHit> buildings;
};

struct Candidate {
    std::string code, parcel_code;
    Wkb wkb;
};

// Every parcel candidate clipped to the pieces it meets (a parcel wholly inside one is kept as
// it is), sorted by segment and code.
std::vector<ParcelPiece> clip_parcels(const std::vector<SegmentClip>& segments,
                                      const std::vector<Candidate>& parcels, unsigned threads);
// Every building located in the piece that holds its point on surface, sorted likewise.
std::vector<BuildingHit> locate_buildings(const std::vector<SegmentClip>& segments,
                                          const std::vector<Candidate>& buildings,
                                          unsigned threads);

} // namespace landclear::corridor_detail

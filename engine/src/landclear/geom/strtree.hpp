#pragma once
// A GEOS STRtree over geometries the caller keeps alive, answering with their indexes. Items are
// indexes, not pointers, so the answer can be sorted and used to address the caller's vector.
#include "landclear/geom/geos.hpp"

#include <cstddef>
#include <vector>

typedef struct GEOSSTRtree_t GEOSSTRtree;

namespace landclear {

class StrTree {
public:
    explicit StrTree(const Geos& geos, std::size_t node_capacity = 10);
    ~StrTree();
    StrTree(const StrTree&) = delete;
    StrTree& operator=(const StrTree&) = delete;

    // The tree keeps g's envelope and pointer: g must outlive the tree.
    void insert(const GEOSGeometry* g, std::size_t index);
    // Indexes of the geometries whose envelopes meet g's, ascending.
    std::vector<std::size_t> query(const GEOSGeometry* g) const;
    // The same into a buffer the caller reuses (cleared first).
    void query(const GEOSGeometry* g, std::vector<std::size_t>& out) const;

private:
    GEOSContextHandle_t m_ctx;
    GEOSSTRtree* m_tree;
};

} // namespace landclear

#include "landclear/geom/strtree.hpp"

#include "landclear/core/error.hpp"

#include <algorithm>
#include <geos_c.h>

namespace landclear {

StrTree::StrTree(const Geos& geos, std::size_t node_capacity)
    : m_ctx(geos.handle()), m_tree(GEOSSTRtree_create_r(m_ctx, node_capacity)) {
    if (!m_tree)
        throw_internal("GEOS cannot create an STRtree");
}

StrTree::~StrTree() {
    GEOSSTRtree_destroy_r(m_ctx, m_tree);
}

void StrTree::insert(const GEOSGeometry* g, std::size_t index) {
    // GEOS stores a void*; index + 1 keeps index 0 from looking like null.
    GEOSSTRtree_insert_r(m_ctx, m_tree, g, reinterpret_cast<void*>(index + 1));
}

std::vector<std::size_t> StrTree::query(const GEOSGeometry* g) const {
    std::vector<std::size_t> out;
    query(g, out);
    return out;
}

void StrTree::query(const GEOSGeometry* g, std::vector<std::size_t>& out) const {
    out.clear();
    GEOSSTRtree_query_r(
        m_ctx, m_tree, g,
        [](void* item, void* user) {
            static_cast<std::vector<std::size_t>*>(user)->push_back(
                reinterpret_cast<std::size_t>(item) - 1);
        },
        &out);
    std::sort(out.begin(), out.end());
}

} // namespace landclear

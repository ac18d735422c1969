#include "landclear/render/map_data.hpp"

#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"
#include "landclear/geom/redline.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/render/detail/map_data.hpp"
#include "landclear/render/detail/words.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <ogr_spatialref.h>
#include <set>

namespace landclear {

namespace map_data_detail {

std::string strip_key(const std::string& code, int number) {
    return fmt::format("{}-{:02d}", code, number);
}

} // namespace map_data_detail

using namespace map_data_detail;
using render_detail::trf;

namespace {

// Lists what exists when a code is unknown: the first few, then how many more.
std::string list_some(const std::vector<std::string>& names) {
    if (names.empty())
        return "none";
    std::string out;
    size_t shown = std::min<size_t>(names.size(), 12);
    for (size_t i = 0; i < shown; ++i)
        out += (i ? ", " : "") + names[i];
    if (names.size() > shown)
        out += fmt::format(" … and {} more", names.size() - shown);
    return out;
}

std::vector<std::string> district_names(Store& store) {
    std::set<std::string> names;
    store.for_each_parcel([&](const ParcelRow& p) {
        if (!p.district.empty())
            names.insert(p.district);
    });
    return {names.begin(), names.end()};
}

// Projects (by code) that have at least one parcel, with the count.
std::map<std::string, std::int64_t> parcel_counts(const StatusReport& r) {
    std::map<std::string, std::int64_t> out;
    for (const auto& g : r.groups)
        out[g.key] = g.figures.parcels;
    return out;
}

std::vector<std::string> validate(Context& ctx) {
    const auto& req = ctx.req;
    auto counts = parcel_counts(ctx.status);
    auto parcels_of = [&](const std::string& key) {
        auto it = counts.find(key);
        return it == counts.end() ? std::int64_t{0} : it->second;
    };
    std::vector<std::string> project_codes;
    for (const auto& [code, p] : ctx.projects)
        project_codes.push_back(code);
    switch (req.scope) {
    case MapScope::project:
        if (!ctx.projects.count(req.code))
            throw_usage(fmt::format("unknown project '{}'; the store has: {}", req.code,
                                    list_some(project_codes)),
                        "pass one of these codes to --project (landclear status STORE lists "
                        "them with their names)");
        if (parcels_of(req.code) == 0)
            throw_input(
                fmt::format("project '{}' has no parcels: there is nothing to map", req.code),
                "import its parcels first, or choose another project");
        return {req.code};
    case MapScope::corridor: {
        std::vector<std::string> codes;
        const CorridorRow* found = nullptr;
        // Corridor codes: an alignment's row (G320-1~ZK) is mapped as its corridor G320-1.
        for (const auto& c : ctx.corridors) {
            if (codes.empty() || codes.back() != corridor_of_row(c))
                codes.push_back(corridor_of_row(c));
            if (!found && corridor_of_row(c) == req.code)
                found = &c;
        }
        if (!found && codes.empty())
            throw_input(fmt::format("the store's corridors layer is empty: there is no "
                                    "corridor '{}' to map",
                                    req.code),
                        "import the centrelines first: landclear import STORE --corridors FILE");
        if (!found)
            throw_usage(
                fmt::format("unknown corridor '{}'; the store has: {}", req.code, list_some(codes)),
                "pass one of these codes to --corridor");
        if (parcels_of(found->project_code) == 0)
            throw_input(fmt::format("corridor '{}' (project '{}') has no parcels: there is "
                                    "nothing to map",
                                    req.code, found->project_code),
                        "import the project's parcels first");
        return {req.code};
    }
    case MapScope::district: {
        auto names = district_names(ctx.store);
        if (!std::binary_search(names.begin(), names.end(), req.code))
            throw_usage(fmt::format("unknown district '{}'; the parcels name: {}", req.code,
                                    list_some(names)),
                        "pass one of these names to --district, as written in the parcels' "
                        "district field");
        return {req.code};
    }
    case MapScope::all_projects: {
        std::vector<std::string> keys;
        for (const auto& code : project_codes)
            if (parcels_of(code) > 0)
                keys.push_back(code);
        if (keys.empty())
            throw_input("no project in the store has parcels: there is nothing to map",
                        "import projects and parcels first (landclear import)");
        return keys;
    }
    }
    return {};
}

void prepare(Context& ctx) {
    for (auto& p : ctx.store.projects())
        ctx.projects.emplace(p.code, p);
    ctx.corridors = ctx.store.corridors();
    StatusOptions so;
    so.as_of = ctx.req.as_of;
    so.since = ctx.req.since;
    so.by = ctx.req.scope == MapScope::district ? GroupBy::district : GroupBy::project;
    ctx.status = compute_status(ctx.store, so);
    // Without a projects layer (or with parcels of projects it lacks), status still groups the
    // parcels by their project_code: those projects are as mappable as the ones with a row.
    if (so.by == GroupBy::project)
        for (const auto& g : ctx.status.groups)
            if (!g.key.empty())
                ctx.projects.emplace(g.key, ProjectRow{g.key, g.name, {}, {}, {}, {}});
    ctx.layout = ctx.req.strip ? strip_page_layout(ctx.req.size)
                               : page_layout(ctx.req.size, ctx.req.orientation);
    if (auto epsg = ctx.store.working_epsg())
        ctx.crs_note =
            trf(ctx.req.lang, "坐标系 {}", "CRS {}", describe_srs(*srs_from_epsg(*epsg)));
    ctx.source_note = trf(ctx.req.lang, "数据：{}（数据版本 {}）", "data: {} (data version {})",
                          ctx.store.display_name(), ctx.store.data_version());
}

// Plans the sheets of a strip map: the corridor's geometry as the analysis makes it, the ticks
// and labels of a strip (denser than on a project-frame map), and the sheets along it.
void prepare_strip(Context& ctx, const std::string& code) {
    StripContext st;
    for (const auto& c : ctx.corridors)
        if (c.code == code)
            st.corridor = &c;
    auto report = ctx.reports.find(code);
    if (!st.corridor || report == ctx.reports.end())
        throw_input(fmt::format("corridor '{}' has no analysis to make a strip map from", code),
                    "run landclear corridor STORE --corridor " + code);
    st.report = &report->second;
    FeatureFilter filter;
    filter.codes = {code};
    Wkb wkb;
    ctx.store.for_each_feature(LayerKind::corridors, filter,
                               [&](const FeatureRow& row) { wkb = row.wkb; });
    if (wkb.empty() || st.report->segments.empty())
        throw_input(fmt::format("corridor '{}' has no centreline to make a strip map along", code),
                    "import its centreline: landclear import STORE --corridors FILE");
    const double scale = ctx.req.strip_scale;
    // A K label every 100 m where 100 m is at least 2 cm on paper, else every 500 m or 1 km.
    const double label_m = scale <= 5000 ? 100 : (scale <= 20000 ? 500 : 1000);
    const double tick_m = label_m == 100 ? 20 : 100;
    st.drawn = corridor_geometry(ctx.geos, *st.corridor, wkb, st.report, tick_m, label_m, label_m);
    st.line = ctx.geos.from_wkb(wkb);
    st.red = buffer_centreline(ctx.geos, st.line.get(), corridor_widths(*st.corridor));
    st.parts = measured(st.drawn.centreline);
    std::vector<StationSpan> segments;
    for (const auto& seg : st.report->segments)
        segments.push_back({seg.along_from_m, seg.along_to_m, seg.from_m, seg.to_m});
    st.spec = strip_frame_spec(ctx.layout, scale, st.report->widths.max());
    st.sheets = plan_strip_sheets(st.parts, segments, st.spec, st.report->alignment);
    ctx.strip.emplace(std::move(st));
}

// The stored row a strip map runs along: the corridor's own, or with several alignments the one
// --alignment names (Error(usage) listing them when it names none of them, or is missing).
std::string strip_row(const Context& ctx, const MapRequest& request) {
    std::vector<std::string> prefixes;
    std::string row;
    for (const auto& c : ctx.corridors)
        if (corridor_of_row(c) == request.code && c.code != request.code) {
            auto prefix = c.alignment.empty() ? std::string("K") : c.alignment;
            prefixes.push_back(prefix);
            if (prefix == request.alignment)
                row = c.code;
        }
    if (prefixes.empty()) {
        if (!request.alignment.empty())
            throw_usage(fmt::format("corridor '{}' has one alignment: --alignment {} does not "
                                    "apply",
                                    request.code, request.alignment),
                        "leave out --alignment");
        return request.code;
    }
    if (row.empty())
        throw_usage(request.alignment.empty()
                        ? fmt::format("corridor '{}' has several alignments ({}): a strip map "
                                      "runs along one",
                                      request.code, fmt::join(prefixes, ", "))
                        : fmt::format("corridor '{}' has no alignment {}; it has {}", request.code,
                                      request.alignment, fmt::join(prefixes, ", ")),
                    fmt::format("choose one with --alignment {}", prefixes.front()));
    return row;
}

} // namespace

struct MapPlan::Impl {
    Context ctx;
    PageBuilder builder;
    std::vector<std::string> keys, skipped;
    std::vector<IssueListRow> issues; // open on the map's day
    Impl(Store& store, const MapRequest& request) : ctx(store, request), builder(ctx) {}
};

MapPlan::MapPlan(Store& store, const MapRequest& request)
    : m_impl(std::make_unique<Impl>(store, request)) {
    auto& ctx = m_impl->ctx;
    prepare(ctx);
    m_impl->keys = validate(ctx);
    IssueListOptions io;
    io.as_of = request.as_of;
    io.open_only = true;
    m_impl->issues = list_issues(store, io).rows;
    if (request.scope == MapScope::all_projects)
        for (const auto& [code, p] : ctx.projects)
            if (!std::binary_search(m_impl->keys.begin(), m_impl->keys.end(), code))
                m_impl->skipped.push_back(fmt::format("{}: no parcels", code));
    if (request.scope == MapScope::district) {
        std::set<std::string> codes;
        store.for_each_parcel([&](const ParcelRow& p) {
            if (p.district == request.code)
                codes.insert(p.project_code);
        });
        m_impl->builder.set_district_projects({codes.begin(), codes.end()});
    }
    // Corridor figures and blocking stretches for every corridor a page will draw, in one call.
    std::set<std::string> corridor_codes;
    for (const auto& key : m_impl->keys) {
        std::vector<std::string> projects;
        const CorridorRow* only = nullptr;
        if (request.scope == MapScope::corridor) {
            for (const auto& c : ctx.corridors)
                if (!only && corridor_of_row(c) == key)
                    only = &c;
        } else if (request.scope == MapScope::district) {
            projects = m_impl->builder.district_projects();
        } else {
            projects = {key};
        }
        for (const auto* c : m_impl->builder.page_corridors(projects, only))
            corridor_codes.insert(corridor_of_row(*c));
    }
    if (!corridor_codes.empty()) {
        CorridorOptions o;
        o.corridors.assign(corridor_codes.begin(), corridor_codes.end());
        o.as_of = request.as_of;
        o.since = request.since;
        // Each alignment of a corridor of several is drawn from its own report, by row code.
        for (auto& r : analyse_corridors(store, o)) {
            for (const auto& a : r.alignments)
                ctx.reports.emplace(a.row_code, a);
            ctx.reports.emplace(r.code, std::move(r));
        }
    }
    if (request.strip) {
        if (request.scope != MapScope::corridor)
            throw_usage("--strip makes a strip map of one corridor",
                        "landclear map STORE --corridor CODE --strip --out FILE.pdf");
        auto code = strip_row(ctx, request);
        prepare_strip(ctx, code);
        m_impl->keys.clear();
        for (const auto& sheet : ctx.strip->sheets)
            m_impl->keys.push_back(strip_key(code, sheet.number));
    }
}

MapPlan::~MapPlan() = default;

const std::vector<std::string>& MapPlan::keys() const {
    return m_impl->keys;
}
const std::vector<std::string>& MapPlan::skipped() const {
    return m_impl->skipped;
}

MapPage MapPlan::page(std::size_t index) {
    auto page = m_impl->ctx.strip ? m_impl->builder.build_strip(index)
                                  : m_impl->builder.build(m_impl->keys.at(index));
    add_issues(m_impl->ctx.geos, m_impl->issues, page);
    return page;
}

std::vector<MapPage> collect_map_pages(Store& store, const MapRequest& request) {
    MapPlan plan(store, request);
    std::vector<MapPage> pages;
    for (std::size_t i = 0; i < plan.keys().size(); ++i)
        pages.push_back(plan.page(i));
    return pages;
}

} // namespace landclear

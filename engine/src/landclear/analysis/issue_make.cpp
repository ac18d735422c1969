#include "landclear/analysis/detail/issue_list.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/redline.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace landclear {

using issue_detail::add_event;
using issue_detail::next_id;
using issue_detail::text_of;

namespace {

// The feature's WKB and values, if the layer holds that code.
std::optional<FeatureRow> feature(Store& store, LayerKind kind, const std::string& code) {
    FeatureFilter filter;
    filter.codes = {code};
    std::optional<FeatureRow> out;
    store.for_each_feature(kind, filter, [&](const FeatureRow& r) { out = r; });
    return out;
}

// A few codes of the layer, for the message about an unknown one.
std::string some_codes(Store& store, LayerKind kind) {
    FeatureFilter filter;
    filter.with_geometry = false;
    std::vector<std::string> codes;
    std::int64_t n = 0;
    const auto& def = layer_def(kind);
    int key = field_index(def, def.key);
    store.for_each_feature(kind, filter, [&](const FeatureRow& r) {
        if (++n <= 5)
            codes.push_back(text_of(r.values[static_cast<size_t>(key)]));
    });
    if (n == 0)
        return fmt::format("the store's {} layer is empty", def.name);
    return fmt::format("the store's {} layer holds {}{} ({} in all)", def.name,
                       fmt::join(codes, ", "), n > 5 ? ", …" : "", n);
}

std::string option_of(IssueTarget t) {
    return fmt::format("--{}", issue_target_name(t));
}

// Along-line position of a chainage: the first run of the stationing that holds it (after a
// long chain 长链 the same chainage is read twice; the first reading is the one meant).
std::optional<double> along_of(const Stationing& st, double chainage, double after = -1) {
    for (const auto& r : st.runs()) {
        double lo = std::min(r.from_m, r.to_m), hi = std::max(r.from_m, r.to_m);
        if (chainage < lo - 1e-6 || chainage > hi + 1e-6)
            continue;
        double along = r.along_from_m + (chainage - r.from_m);
        along = std::clamp(along, r.along_from_m, r.along_to_m);
        if (along > after)
            return along;
    }
    return std::nullopt;
}

struct Located {
    std::string project_code;
    std::vector<unsigned char> wkb;
    double area = 0;
};

Located locate_corridor(Store& store, const IssueDraft& d) {
    std::optional<CorridorRow> corridor;
    for (auto& c : store.corridors())
        if (c.code == d.target_code)
            corridor = c;
    if (!corridor)
        throw_usage(fmt::format("--corridor {}: no such corridor ({})", d.target_code,
                                some_codes(store, LayerKind::corridors)),
                    "give a corridor code the store holds (landclear corridor STORE lists them)");
    auto line_row = feature(store, LayerKind::corridors, d.target_code);
    if (!line_row || line_row->wkb.empty())
        throw_input(fmt::format("corridor {} has no centreline in the store", d.target_code),
                    "import the corridor's centreline again");
    Geos geos;
    auto line = geos.from_wkb(line_row->wkb);
    double length = geos.length(line.get());
    auto red = buffer_centreline(geos, line.get(), corridor_widths(*corridor));
    Located out;
    out.project_code = corridor->project_code;
    std::string prefix = corridor->alignment.empty() ? "K" : corridor->alignment;
    if (!d.from_m && !d.to_m) {
        out.area = geos.area(red.get());
        out.wkb = geos.to_wkb(geos.polygonal_multi(red.get()).get());
        return out;
    }
    if (!d.from_m || !d.to_m)
        throw_usage(fmt::format("--corridor {}: give both --from and --to, or neither (the whole "
                                "red line)",
                                d.target_code));
    Stationing st(corridor->start_chainage_m, length,
                  parse_chainage_breaks(corridor->chainage_breaks));
    double end = st.chainage_at(length);
    auto outside = [&](const char* option, double v) {
        throw_usage(fmt::format("{} {}: outside corridor {}, which runs {}", option,
                                format_chainage(v, prefix), d.target_code,
                                format_chainage_range(st.start(), end, prefix)),
                    "give chainages within the corridor");
    };
    auto a = along_of(st, *d.from_m);
    if (!a)
        outside("--from", *d.from_m);
    auto b = along_of(st, *d.to_m, *a);
    if (!b) {
        if (along_of(st, *d.to_m))
            throw_usage(fmt::format("--to {}: not after --from {} along corridor {}",
                                    format_chainage(*d.to_m, prefix),
                                    format_chainage(*d.from_m, prefix), d.target_code),
                        "give the stretch from its lower chainage to its higher one");
        outside("--to", *d.to_m);
    }
    if (*b - *a < 0.001)
        throw_usage(fmt::format("--from {} --to {}: the stretch is empty",
                                format_chainage(*d.from_m, prefix),
                                format_chainage(*d.to_m, prefix)),
                    "give a stretch at least 1 mm long");
    // The same cut `landclear corridor` makes into segments (geom/redline.hpp), with the
    // stretch as one interval between the pieces before and after it.
    std::vector<double> positions;
    int piece = 0;
    if (*a > 0.0005) {
        positions.push_back(0);
        piece = 1;
    }
    positions.push_back(*a);
    positions.push_back(*b);
    if (*b < length - 0.0005)
        positions.push_back(length);
    auto pieces = split_red_line(geos, red.get(), line.get(), positions);
    const auto* g = pieces[static_cast<size_t>(piece)].get();
    out.area = geos.area(g);
    out.wkb = geos.to_wkb(g);
    return out;
}

Located locate(Store& store, const IssueDraft& d) {
    if ((d.from_m || d.to_m) && d.target != IssueTarget::corridor)
        throw_usage(fmt::format("--from/--to: a chainage stretch needs --corridor, not {} {}",
                                option_of(d.target), d.target_code));
    if (d.target == IssueTarget::corridor)
        return locate_corridor(store, d);
    LayerKind kind = d.target == IssueTarget::parcel     ? LayerKind::parcels
                     : d.target == IssueTarget::building ? LayerKind::buildings
                                                         : LayerKind::projects;
    auto row = feature(store, kind, d.target_code);
    if (!row)
        throw_usage(fmt::format("{} {}: no such {} ({})", option_of(d.target), d.target_code,
                                layer_def(kind).name == std::string_view("projects")
                                    ? "project"
                                    : issue_target_name(d.target),
                                some_codes(store, kind)),
                    "give a code the store holds");
    Located out;
    if (d.target == IssueTarget::project) {
        out.project_code = d.target_code;
    } else if (d.target == IssueTarget::parcel) {
        out.project_code = text_of(row->values[1]);
    } else {
        auto parcel = feature(store, LayerKind::parcels, text_of(row->values[1]));
        if (parcel)
            out.project_code = text_of(parcel->values[1]);
    }
    if (!row->wkb.empty()) {
        Geos geos;
        auto g = geos.polygonal_multi(geos.from_wkb(row->wkb).get());
        out.area = geos.area(g.get());
        out.wkb = geos.to_wkb(g.get());
    }
    return out;
}

} // namespace

Issue make_issue(Store& store, const IssueDraft& d, const std::vector<Issue>& existing) {
    if (d.target_code.empty())
        throw_usage(fmt::format("{}: empty code", option_of(d.target)));
    if (d.unit.empty())
        throw_usage("--unit: empty; every issue has a responsible unit (责任单位)",
                    "give the unit it is assigned to, e.g. --unit 雨湖区征拆办");
    if (d.text.empty())
        throw_usage("--text: empty; say what the problem is", "e.g. --text \"2 户未签约\"");
    if (d.deadline < d.raised_on)
        throw_usage(fmt::format("--deadline {}: before the day the issue is raised (--on {})",
                                d.deadline.iso(), d.raised_on.iso()),
                    "give a deadline on or after the day it is raised");
    if (d.closed_on && *d.closed_on < d.raised_on)
        throw_usage(fmt::format("closed on {}: before the day the issue is raised ({})",
                                d.closed_on->iso(), d.raised_on.iso()));
    if (d.id) {
        if (d.id->empty())
            throw_usage("issue id: empty");
        for (const auto& i : existing)
            if (i.id == *d.id)
                throw_usage(fmt::format("issue id {}: already in the store (raised {}: {})", *d.id,
                                        i.raised_on.iso(), i.text),
                            "leave the id empty for a new number, or close or move the "
                            "existing issue instead");
    }
    auto where = locate(store, d);
    Issue i;
    i.target = d.target;
    i.target_code = d.target_code;
    i.from_m = d.from_m;
    i.to_m = d.to_m;
    i.project_code = where.project_code;
    i.unit = d.unit;
    i.text = d.text;
    i.raised_on = d.raised_on;
    i.deadline = d.deadline;
    i.area_m2 = where.area;
    i.wkb = std::move(where.wkb);
    i.id = d.id ? *d.id : next_id(existing, {});
    add_event(i, IssueEventKind::raised, d.raised_on, "", d.deadline.iso(),
              d.closed_on ? "" : d.note);
    if (d.closed_on)
        add_event(i, IssueEventKind::closed, *d.closed_on, "open", "closed", d.note);
    return i;
}

} // namespace landclear

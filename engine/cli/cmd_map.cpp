#include "command.hpp"
#include "known_on.hpp"
#include "landclear/core/error.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/render/map_render.hpp"
#include "landclear/render/map_strip.hpp"

#include <fmt/format.h>
#include <memory>

namespace landclear::cli {
namespace {

struct MapArgs {
    std::string store, project, corridor, district, out, size = "A4", orientation = "landscape";
    bool all_projects = false;
    double dpi = 150;
    std::string as_of, since, known_on, title, lang = "zh", scale, alignment;
    bool strip = false;
};

MapRequest request_from(const MapArgs& a) {
    MapRequest r;
    int chosen = !a.project.empty() + !a.corridor.empty() + !a.district.empty() + a.all_projects;
    if (chosen != 1)
        throw_usage(chosen == 0 ? "say what to map"
                                : "choose one of --project, --corridor, --district, --all-projects",
                    "landclear map STORE --project CODE (or --corridor CODE, --district NAME, "
                    "--all-projects) --out FILE.png|FILE.pdf|DIR");
    if (!a.project.empty()) {
        r.scope = MapScope::project;
        r.code = a.project;
    } else if (!a.corridor.empty()) {
        r.scope = MapScope::corridor;
        r.code = a.corridor;
    } else if (!a.district.empty()) {
        r.scope = MapScope::district;
        r.code = a.district;
    } else {
        r.scope = MapScope::all_projects;
    }
    if (!a.as_of.empty())
        r.as_of = parse_date_option(a.as_of, "--as-of");
    if (!a.since.empty())
        r.since = parse_date_option(a.since, "--since");
    r.title = a.title;
    r.size = parse_paper_size(a.size);
    r.orientation = parse_orientation(a.orientation);
    r.lang = parse_lang(a.lang, "--lang");
    if (a.strip && r.scope != MapScope::corridor)
        throw_usage("--strip makes a strip map of one corridor",
                    "landclear map STORE --corridor CODE --strip --out FILE.pdf");
    if (!a.scale.empty() && !a.strip)
        throw_usage("--scale applies to strip maps (--strip); other maps choose their scale",
                    "add --strip, or leave out --scale");
    if (a.strip && a.orientation != "landscape")
        throw_usage("strip maps are landscape: the road runs across the sheet",
                    "leave out --orientation");
    if (!a.alignment.empty() && !a.strip)
        throw_usage("--alignment chooses the alignment a strip map runs along (--strip); a "
                    "corridor map draws every alignment",
                    "add --strip, or leave out --alignment");
    r.strip = a.strip;
    r.alignment = a.alignment;
    if (!a.scale.empty())
        r.strip_scale = parse_map_scale(a.scale);
    return r;
}

int run(const MapArgs& a) {
    MapRequest req = request_from(a);
    auto format = map_format_for(a.out, req.scope == MapScope::all_projects || req.strip);
    require_cjk_font();
    auto store = open_store(a.store, StoreMode::read);
    apply_known_on(*store, a.known_on);
    MapPlan plan(*store, req);
    MapWriter writer(a.out, format, a.dpi);
    for (std::size_t i = 0; i < plan.keys().size(); ++i)
        writer.add_page(plan.page(i));
    auto files = writer.finish();
    for (const auto& s : plan.skipped())
        fmt::print(stderr, "landclear: note: no page for project {}\n", s);
    std::size_t pages = plan.keys().size();
    if (format == MapFormat::pdf)
        fmt::print("wrote {} ({} page{})\n", files.front(), pages, pages == 1 ? "" : "s");
    else
        for (const auto& f : files)
            fmt::print("wrote {}\n", f);
    return exit_ok;
}

const bool registered = register_command(50, [](CLI::App& app) {
    auto a = std::make_shared<MapArgs>();
    auto* cmd = app.add_subcommand(
        "map", "print-ready status map (PNG or PDF) of a project, corridor or district");
    cmd->add_option("STORE", a->store, "the store")->required();
    cmd->add_option("--project", a->project, "map this project (code)");
    cmd->add_option("--corridor", a->corridor, "map this corridor (code), with chainage");
    cmd->add_option("--district", a->district, "map the parcels of this district (name)");
    cmd->add_flag("--all-projects", a->all_projects,
                  "one page per project: a multi-page PDF, or one PNG each into a folder");
    cmd->add_option("--out", a->out, "FILE.png, FILE.pdf or a folder")->required();
    cmd->add_option("--size", a->size, "paper: A4 (default) or A3");
    cmd->add_option("--orientation", a->orientation, "landscape (default) or portrait");
    cmd->add_option("--dpi", a->dpi, "PNG resolution (default 150)");
    cmd->add_option("--as-of", a->as_of, "status at the end of this day (default: today)");
    add_known_on_option(*cmd, a->known_on);
    cmd->add_option("--since", a->since, "mark parcels whose status changed after this day");
    cmd->add_option("--title", a->title, "title instead of the generated one");
    cmd->add_flag("--strip", a->strip,
                  "with --corridor: a strip map, one sheet per stretch along the road");
    cmd->add_option("--scale", a->scale, "strip map scale (default 1:2000)");
    cmd->add_option("--alignment", a->alignment,
                    "strip map of a corridor of several alignments: the one to run along (ZK)");
    cmd->add_option("--lang", a->lang, "words on the map: zh (default) or en");
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli

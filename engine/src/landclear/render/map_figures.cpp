#include "landclear/core/units.hpp"
#include "landclear/render/detail/map_data.hpp"
#include "landclear/render/detail/words.hpp"

#include <fmt/format.h>

namespace landclear::map_data_detail {

using render_detail::tr;
using render_detail::trf;

namespace {

std::string fmt_pct(double part, double whole) {
    return fmt::format("{:.1f}%", percent(part, whole));
}

std::string mu_text(double m2, Lang lang) {
    return fmt::format("{:.2f} {}", m2_to_mu(m2), tr(lang, "亩", "mu"));
}

const StatusFigures* find_group(const StatusReport& r, const std::string& key) {
    for (const auto& g : r.groups)
        if (g.key == key)
            return &g.figures;
    return nullptr;
}

std::vector<const CorridorReport*> alignments_of(const CorridorReport& r) {
    std::vector<const CorridorReport*> out;
    for (const auto& a : r.alignments)
        out.push_back(&a);
    if (out.empty())
        out.push_back(&r);
    return out;
}

// Figures inside the red line, from analyse_corridors (the same as `landclear corridor`).
void corridor_rows(std::vector<FigureRow>& rows, const CorridorReport& r, Lang L) {
    const auto& f = r.figures;
    auto mu = [&](double m2) { return mu_text(m2, L); };
    auto share = [&](double m2) {
        return trf(L, "{}（{}）", "{} ({})", mu(m2), fmt_pct(m2, f.area_m2));
    };
    rows.push_back({tr(L, "红线内（按桩号分段统计）", "Inside the red line (by chainage)"), ""});
    // Several alignments (ZK/YK): a chainage and length row for each; figures of the union.
    for (const auto* a : alignments_of(r)) {
        rows.push_back(
            {tr(L, "起止桩号", "Chainage"),
             format_chainage_range(a->start_chainage_m, a->end_chainage_m, a->alignment)});
        std::string widths = a->widths.left_m == a->widths.right_m
                                 ? trf(L, "{:g} 米", "{:g} m", a->widths.left_m + a->widths.right_m)
                                 : trf(L, "左 {:g} 米 / 右 {:g} 米", "left {:g} m / right {:g} m",
                                       a->widths.left_m, a->widths.right_m);
        rows.push_back({tr(L, "线路长度 / 红线宽度", "Length / red-line width"),
                        trf(L, "{:.0f} 米 / {}", "{:.0f} m / {}", a->length_m, widths)});
    }
    rows.push_back({tr(L, "红线面积", "Red-line area"), mu(r.red_line_m2)});
    rows.push_back({tr(L, "红线内宗地面积", "Parcel land inside"), mu(f.area_m2)});
    rows.push_back({tr(L, "红线内已征", "Acquired inside"), share(f.acquired_m2)});
    rows.push_back({tr(L, "红线内已腾", "Cleared inside"), share(f.cleared_m2)});
    rows.push_back({tr(L, "红线内已交", "Delivered inside"), share(f.delivered_m2)});
    rows.push_back({tr(L, "红线内签约 / 拆除 / 总户数", "Signed / demolished / households"),
                    trf(L, "{} / {} / {} 户", "{} / {} / {}", f.signed_households,
                        f.demolished_households, f.households)});
    double len = 0;
    for (const auto& b : r.blocking)
        len += b.to_m - b.from_m;
    rows.push_back({tr(L, "阻塞段", "Blocking stretches"),
                    r.blocking.empty() ? std::string(tr(L, "无", "none"))
                                       : trf(L, "{} 段，共 {:.0f} 米", "{} stretches, {:.0f} m",
                                             r.blocking.size(), len)});
    // The worst stretches (analyse_corridors sorts them worst first).
    for (size_t i = 0; i < r.blocking.size() && i < 5; ++i) {
        const auto& b = r.blocking[i];
        std::string what =
            trf(L, "未腾 {:.2f} 亩", "{:.2f} mu not cleared", m2_to_mu(b.outstanding_m2()));
        if (b.outstanding_households)
            what += trf(L, "，未拆 {} 户", ", {} households left", b.outstanding_households);
        rows.push_back({"　" + b.label, what});
    }
    if (r.blocking.size() > 5)
        rows.push_back({"　…", trf(L, "另 {} 段", "{} more", r.blocking.size() - 5)});
}

} // namespace

void titles(const Context& ctx, MapPage& page, const CorridorRow* corridor) {
    const Lang lang = ctx.req.lang;
    std::string generated;
    switch (page.scope) {
    case MapScope::project: {
        auto it = ctx.projects.find(page.key);
        std::string name = it != ctx.projects.end() ? it->second.name : std::string();
        generated = name.empty() ? trf(lang, "{} 征拆进度图", "{}: land clearance map", page.key)
                                 : trf(lang, "{}（{}）征拆进度图", "{} ({}): land clearance map",
                                       name, page.key);
        break;
    }
    case MapScope::corridor: {
        const std::string& code = corridor->code;
        if (page.strip)
            generated =
                corridor->name.empty()
                    ? trf(lang, "线路 {} 带状图", "Corridor {} strip map", code)
                    : trf(lang, "{}（{}）带状图", "{} ({}) strip map", corridor->name, code);
        else
            generated =
                corridor->name.empty()
                    ? trf(lang, "线路 {} 征拆进度图", "Corridor {}: land clearance map", code)
                    : trf(lang, "{}（{}）线路征拆进度图", "{} ({}): corridor land clearance map",
                          corridor->name, code);
        break;
    }
    case MapScope::district:
        generated = trf(lang, "{} 征拆进度图", "{}: land clearance map", page.key);
        break;
    case MapScope::all_projects:
        break;
    }
    const auto& t = ctx.req.title;
    if (t.empty())
        page.title = generated;
    else if (ctx.req.scope == MapScope::all_projects)
        page.title = fmt::format("{} · {}", t, generated);
    else
        page.title = t;
    if (page.strip) {
        const auto& sp = *page.strip;
        page.title +=
            trf(lang, "　第 {}/{} 张　{}", " · sheet {} of {} · {}", sp.number, sp.count,
                format_chainage_range(sp.from_chainage_m, sp.to_chainage_m, sp.alignment));
    }
    page.subtitle = trf(lang, "截至 {}", "as of {}", ctx.req.as_of.iso());
    if (ctx.req.since)
        page.subtitle += trf(lang, "　本期自 {} 起（不含当日）",
                             ", this period from the day after {}", ctx.req.since->iso());
}

void figures(const Context& ctx, MapPage& page, const CorridorRow* corridor) {
    std::string group = page.scope == MapScope::corridor ? corridor->project_code : page.key;
    if (auto f = find_group(ctx.status, group))
        page.figures = *f;
    const auto& f = page.figures;
    const bool en = ctx.req.lang == Lang::en;
    auto name = [&](ParcelStage st) { return en ? stage_style(st).en : stage_style(st).zh; };
    page.legend = {
        LegendEntry{ParcelStage::not_acquired, name(ParcelStage::not_acquired),
                    m2_to_mu(f.area_m2 - f.acquired_m2),
                    percent(f.area_m2 - f.acquired_m2, f.area_m2)},
        LegendEntry{ParcelStage::acquired, name(ParcelStage::acquired), m2_to_mu(f.acquired_m2),
                    percent(f.acquired_m2, f.area_m2)},
        LegendEntry{ParcelStage::cleared, name(ParcelStage::cleared), m2_to_mu(f.cleared_m2),
                    percent(f.cleared_m2, f.area_m2)},
        LegendEntry{ParcelStage::delivered, name(ParcelStage::delivered), m2_to_mu(f.delivered_m2),
                    percent(f.delivered_m2, f.area_m2)},
    };
    auto& rows = page.figure_rows;
    const Lang L = ctx.req.lang;
    auto mu = [&](double m2) { return mu_text(m2, L); };
    auto share = [&](double m2) {
        return trf(L, "{}（{}）", "{} ({})", mu(m2), fmt_pct(m2, f.area_m2));
    };
    const CorridorReport* report = nullptr;
    if (page.scope == MapScope::corridor) {
        if (auto it = ctx.reports.find(corridor->code); it != ctx.reports.end())
            report = &it->second;
        auto it = ctx.projects.find(corridor->project_code);
        rows.push_back(
            {tr(L, "所属项目", "Project"), it != ctx.projects.end() && !it->second.name.empty()
                                               ? it->second.name
                                               : corridor->project_code});
        rows.push_back({tr(L, "项目进度（与图例同）", "Project progress (as the legend)"), ""});
    }
    rows.push_back({tr(L, "宗地 / 总面积", "Parcels / area"),
                    trf(L, "{} 宗 / {}", "{} / {}", f.parcels, mu(f.area_m2))});
    rows.push_back({tr(L, "已征（征地率）", "Acquired (rate)"), share(f.acquired_m2)});
    rows.push_back({tr(L, "已腾（腾地率）", "Cleared (rate)"), share(f.cleared_m2)});
    rows.push_back({tr(L, "已交（交地率）", "Delivered (rate)"), share(f.delivered_m2)});
    rows.push_back({tr(L, "签约户数 / 总户数", "Households signed / all"),
                    trf(L, "{} / {} 户", "{} / {}", f.signed_households, f.households)});
    rows.push_back({tr(L, "拆除户数 / 总户数", "Households demolished / all"),
                    trf(L, "{} / {} 户", "{} / {}", f.demolished_households, f.households)});
    if (ctx.req.since) {
        rows.push_back(
            {tr(L, "本期新增 征 / 腾 / 交", "This period: acquired / cleared / delivered"),
             trf(L, "{:.2f} / {:.2f} / {:.2f} 亩", "{:.2f} / {:.2f} / {:.2f} mu",
                 m2_to_mu(f.new_acquired_m2), m2_to_mu(f.new_cleared_m2),
                 m2_to_mu(f.new_delivered_m2))});
        rows.push_back({tr(L, "本期新增 签约 / 拆除", "This period: signed / demolished"),
                        trf(L, "{} / {} 户", "{} / {}", f.new_signed_households,
                            f.new_demolished_households)});
    }
    if (page.scope != MapScope::district) {
        std::string pc = page.scope == MapScope::corridor ? corridor->project_code : page.key;
        auto it = ctx.projects.find(pc);
        if (it != ctx.projects.end() && it->second.deadline) {
            size_t n = 0;
            double m2 = 0;
            for (const auto& p : page.parcels)
                if (p.overdue)
                    ++n, m2 += p.area_m2;
            std::string v = it->second.deadline->iso();
            if (n)
                v += trf(L, "，逾期未交 {} 宗 {}", ", overdue {} parcels {}", n, mu(m2));
            rows.push_back({tr(L, "交地限期", "Delivery deadline"), v});
        }
    }
    if (report)
        corridor_rows(rows, *report, L);
    else
        for (const auto& c : page.corridors)
            if (auto it = ctx.reports.find(c.code); it != ctx.reports.end()) {
                const auto& blocking = it->second.blocking;
                double len = 0;
                for (const auto& b : blocking)
                    len += b.to_m - b.from_m;
                rows.push_back({trf(L, "线路 {} 阻塞段", "Corridor {} blocking", c.code),
                                blocking.empty()
                                    ? std::string(tr(L, "无", "none"))
                                    : trf(L, "{} 段，共 {:.0f} 米", "{} stretches, {:.0f} m",
                                          blocking.size(), len)});
            }
}

void strip_rows(MapPage& page, const CorridorRow& c, Lang lang) {
    const auto& sp = *page.strip;
    const auto& f = sp.figures;
    auto& rows = page.figure_rows;
    rows.clear();
    rows.push_back({tr(lang, "线路", "Corridor"),
                    c.name.empty() ? c.code : trf(lang, "{}（{}）", "{} ({})", c.name, c.code)});
    rows.push_back({tr(lang, "本张桩号", "This sheet"),
                    format_chainage_range(sp.from_chainage_m, sp.to_chainage_m, sp.alignment)});
    rows.push_back({tr(lang, "本张长度 / 分段", "Length / segments"),
                    trf(lang, "{:.0f} 米 / {} 段", "{:.0f} m / {}", sp.along_to_m - sp.along_from_m,
                        sp.segments)});
    rows.push_back({tr(lang, "红线面积", "Red-line area"), mu_text(sp.red_line_m2, lang)});
    rows.push_back({tr(lang, "红线内宗地面积", "Parcel land inside"), mu_text(f.area_m2, lang)});
    auto share = [&](double m2) {
        return trf(lang, "{}（{}）", "{} ({})", mu_text(m2, lang), fmt_pct(m2, f.area_m2));
    };
    rows.push_back({tr(lang, "已征（征地率）", "Acquired (rate)"), share(f.acquired_m2)});
    rows.push_back({tr(lang, "已腾（腾地率）", "Cleared (rate)"), share(f.cleared_m2)});
    rows.push_back({tr(lang, "已交（交地率）", "Delivered (rate)"), share(f.delivered_m2)});
    rows.push_back({tr(lang, "签约 / 拆除 / 总户数", "Signed / demolished / households"),
                    trf(lang, "{} / {} / {} 户", "{} / {} / {}", f.signed_households,
                        f.demolished_households, f.households)});
    std::string blocking = sp.blocking.empty() ? std::string(tr(lang, "无", "none"))
                                               : fmt::format("{}", fmt::join(sp.blocking, ", "));
    rows.push_back({tr(lang, "阻塞段", "Blocking stretches"), blocking});
}

} // namespace landclear::map_data_detail

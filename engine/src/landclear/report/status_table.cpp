#include "landclear/report/status_table.hpp"

#include "landclear/core/units.hpp"

#include <fmt/format.h>

namespace landclear {

Table status_table(const StatusReport& r) {
    Table t;
    t.name = "status";
    t.title_zh = fmt::format("征拆进度（截至 {}）", r.as_of.iso());
    t.title_en = fmt::format("Land clearance status as of {}", r.as_of.iso());
    if (r.since) {
        t.title_zh += fmt::format("，新增自 {} 起", r.since->iso());
        t.title_en += fmt::format(", increase since {}", r.since->iso());
    }
    if (r.area == AreaBasis::ellipsoidal)
        t.notes.emplace_back("面积基准 / area basis",
                             "椭球面积（国土调查办发〔2008〕32号，CGCS2000） / ellipsoidal");
    auto g = group_label(r.by);
    using K = ColumnKind;
    t.columns.push_back({"group", g.zh, g.en, K::text});
    if (r.by == GroupBy::project)
        t.columns.push_back({"name", "项目名称", "name", K::text});
    std::vector<Column> cols{
        {"parcels", "宗地数", "parcels", K::count},
        {"area_mu", "总面积(亩)", "area (mu)", K::mu},
        {"acquired_mu", "已征(亩)", "acquired (mu)", K::mu},
        {"acquired_pct", "征地率(%)", "acquired %", K::percent},
        {"cleared_mu", "已腾(亩)", "cleared (mu)", K::mu},
        {"cleared_pct", "腾地率(%)", "cleared %", K::percent},
        {"delivered_mu", "已交(亩)", "delivered (mu)", K::mu},
        {"delivered_pct", "交地率(%)", "delivered %", K::percent},
        {"households", "总户数", "households", K::count},
        {"signed_households", "签约户数", "signed households", K::count},
        {"signed_floor_m2", "签约面积(㎡)", "signed floor (m2)", K::m2},
        {"demolished_households", "拆除户数", "demolished households", K::count},
        {"demolished_floor_m2", "拆除面积(㎡)", "demolished floor (m2)", K::m2},
    };
    t.columns.insert(t.columns.end(), cols.begin(), cols.end());
    if (r.since) {
        std::vector<Column> period{
            {"new_acquired_mu", "新增已征(亩)", "new acquired (mu)", K::mu},
            {"new_cleared_mu", "新增已腾(亩)", "new cleared (mu)", K::mu},
            {"new_delivered_mu", "新增已交(亩)", "new delivered (mu)", K::mu},
            {"new_signed_households", "新增签约户数", "new signed households", K::count},
            {"new_demolished_households", "新增拆除户数", "new demolished households", K::count},
        };
        t.columns.insert(t.columns.end(), period.begin(), period.end());
    }
    auto row = [&](const std::string& key, const std::string& name, const StatusFigures& f) {
        Row out{key};
        if (r.by == GroupBy::project)
            out.push_back(name);
        Row values{f.parcels,
                   m2_to_mu(f.area_m2),
                   m2_to_mu(f.acquired_m2),
                   percent(f.acquired_m2, f.area_m2),
                   m2_to_mu(f.cleared_m2),
                   percent(f.cleared_m2, f.area_m2),
                   m2_to_mu(f.delivered_m2),
                   percent(f.delivered_m2, f.area_m2),
                   f.households,
                   f.signed_households,
                   f.signed_floor_m2,
                   f.demolished_households,
                   f.demolished_floor_m2};
        out.insert(out.end(), values.begin(), values.end());
        if (r.since) {
            Row period{m2_to_mu(f.new_acquired_m2), m2_to_mu(f.new_cleared_m2),
                       m2_to_mu(f.new_delivered_m2), f.new_signed_households,
                       f.new_demolished_households};
            out.insert(out.end(), period.begin(), period.end());
        }
        return out;
    };
    for (const auto& grp : r.groups)
        t.rows.push_back(row(grp.key, grp.name, grp.figures));
    t.totals = row("", "", r.total);
    t.totals->front() = std::monostate{}; // renderers print 合计 / Total
    return t;
}

} // namespace landclear

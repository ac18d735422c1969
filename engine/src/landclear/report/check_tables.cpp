#include "landclear/report/check_tables.hpp"

#include "landclear/core/units.hpp"

#include <fmt/format.h>

namespace landclear {

Table check_summary_table(const CheckReport& r) {
    Table t;
    t.name = "check_summary";
    t.title_zh = fmt::format("数据检查（宗地 {} 宗，房屋 {} 栋，项目 {} 个，线路 {} 条）",
                             r.parcels, r.buildings, r.projects, r.corridors);
    t.title_en = fmt::format("Data check ({} parcels, {} buildings, {} projects, {} corridors)",
                             r.parcels, r.buildings, r.projects, r.corridors);
    using K = ColumnKind;
    t.columns = {{"kind", "类型", "kind", K::text},
                 {"name", "检查项", "check", K::text},
                 {"count", "问题数", "findings", K::count},
                 {"area_m2", "涉及面积(㎡)", "area (m2)", K::m2},
                 {"area_mu", "涉及面积(亩)", "area (mu)", K::mu}};
    std::int64_t total = 0;
    for (const auto& k : check_finding_kinds()) {
        std::int64_t n = 0;
        double area = 0;
        bool has_area = false;
        for (const auto& f : r.findings)
            if (f.kind == k.kind) {
                ++n;
                if (f.value) {
                    area += *f.value;
                    has_area = true;
                }
            }
        total += n;
        Row row{std::string(k.kind), std::string(k.zh), n};
        if (has_area) { // in place: see check_findings_table
            row.emplace_back(area);
            row.emplace_back(m2_to_mu(area));
        } else {
            row.emplace_back(std::monostate{});
            row.emplace_back(std::monostate{});
        }
        t.rows.push_back(std::move(row));
    }
    t.totals = Row{std::monostate{}, std::string(), total, std::monostate{}, std::monostate{}};
    return t;
}

Table check_findings_table(const CheckReport& r) {
    Table t;
    t.name = "check_findings";
    t.title_zh = "数据检查问题清单";
    t.title_en = "Data check findings";
    using K = ColumnKind;
    t.columns = {{"kind", "类型", "kind", K::text},
                 {"name", "检查项", "check", K::text},
                 {"layer", "图层", "layer", K::text},
                 {"code", "编号", "code", K::text},
                 {"value_m2", "面积(㎡)", "area (m2)", K::m2},
                 {"message", "说明", "message", K::text}};
    std::map<std::string, std::string> zh;
    for (const auto& k : check_finding_kinds())
        zh[k.kind] = k.zh;
    for (const auto& f : r.findings) {
        Row row{f.kind, zh[f.kind], f.layer, f.feature_code};
        // Cells are built in place: moving a temporary Cell into the row makes GCC 12 warn
        // (-Wmaybe-uninitialized) about the string alternative it does not hold.
        if (f.value)
            row.emplace_back(*f.value);
        else
            row.emplace_back();
        row.emplace_back(f.message);
        t.rows.push_back(std::move(row));
    }
    return t;
}

} // namespace landclear

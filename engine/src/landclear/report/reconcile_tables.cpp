#include "landclear/report/reconcile_tables.hpp"

#include "landclear/core/units.hpp"

#include <cmath>
#include <fmt/format.h>

namespace landclear {

namespace {

// Hundredths of a 亩, as printed.
long long cents(double mu) {
    return std::llround(mu * 100);
}

} // namespace

std::vector<Table> reconcile_tables(const ReconcileReport& r, Lang lang) {
    using K = ColumnKind;
    std::vector<Table> out;
    const char* basis_zh = area_basis_zh(r.area);
    bool zh = lang == Lang::zh;
    auto say = [&](const Phrase& p) { return zh ? p.zh : p.en; };

    Table s;
    s.name = "reconcile";
    s.title_zh = fmt::format("台账核对：{}（{}，{}，截至 {}）", r.ledger, basis_zh,
                             measure_zh(r.measure), r.as_of.iso());
    s.title_en = fmt::format("Ledger reconciliation: {} ({}, {}, as of {})", r.ledger,
                             area_basis_en(r.area), measure_en(r.measure), r.as_of.iso());
    // Tolerated differences are named as tolerated: never "explained".
    auto tol = r.tolerance.describe();
    std::string conclusion;
    if (!r.reconciled)
        conclusion =
            zh ? fmt::format("不符：{} 项问题{}，{} 行无法读取", r.problems,
                             tol.zh.empty() ? "" : "（超出容差 " + tol.zh + "）",
                             r.unreadable.size())
               : fmt::format("does not reconcile: {} problem item(s){}, {} unreadable "
                             "row(s)",
                             r.problems,
                             tol.en.empty() ? "" : " (beyond the tolerance " + tol.en + ")",
                             r.unreadable.size());
    else if (r.tolerated > 0)
        conclusion =
            zh ? fmt::format("容差内相符：{} 项差额在容差（{}）内，予以容忍、未作解释，共 {:+.2f} "
                             "亩；其余差额已由面积基准或取整/平差解释",
                             r.tolerated, tol.zh, r.total.parts.tolerated)
               : fmt::format("reconciles within tolerance: {} items differ within the tolerance "
                             "({}), tolerated, not explained, {:+.2f} mu in all; every other "
                             "difference is explained by the area basis or rounding (adjustment)",
                             r.tolerated, tol.en, r.total.parts.tolerated);
    else
        conclusion = zh ? "相符（差额均已由面积基准或取整/平差解释）"
                        : "reconciles (every difference is explained by the area basis or "
                          "rounding/adjustment)";
    s.notes.emplace_back(zh ? "结论" : "conclusion", conclusion);
    if (!tol.empty())
        s.notes.emplace_back(zh ? "容差" : "tolerance", zh ? fmt::format("{}（逐行）", tol.zh)
                                                           : fmt::format("{} (per row)", tol.en));
    s.notes.emplace_back(zh ? "台账面积列" : "ledger area column", r.ledger_column);
    s.notes.emplace_back(zh ? "差额" : "difference",
                         zh ? "图上 − 台账；各原因之和等于差额（按 0.01 亩取整后逐行平衡，"
                              "取整余数计入取整/平差）"
                            : "map − ledger; the causes add up to the difference (rounded to "
                              "0.01 mu so that each row balances, the remainder in rounding)");
    // Numbered when there are several: JSON keeps notes as an object, one member per label.
    for (size_t i = 0; i < r.notes.size(); ++i)
        s.notes.emplace_back(r.notes.size() == 1
                                 ? std::string(zh ? "说明" : "note")
                                 : fmt::format("{} {}", zh ? "说明" : "note", i + 1),
                             say(r.notes[i]));
    s.columns = {
        {"project", "项目编号", "project", K::text},
        {"name", "项目名称", "name", K::text},
        {"map_mu", fmt::format("图上{}(亩)", basis_zh), "map (mu)", K::mu},
        {"ledger_mu", "台账(亩)", "ledger (mu)", K::mu},
        {"diff_mu", "差额(亩)", "difference (mu)", K::mu},
        {"basis_mu", "面积基准", "area basis", K::mu},
        {"rounding_mu", "取整/平差", "rounding", K::mu},
        {"overlap_mu", "图斑重叠", "overlaps", K::mu},
        {"area_mu", "面积不符", "area differs", K::mu},
        {"tolerated_mu", "容差内", "within tolerance", K::mu},
        {"status_mu", "状态/日期不符", "status differs", K::mu},
        {"only_ledger_mu", "仅台账有", "only in ledger", K::mu},
        {"only_map_mu", "仅图上有", "only in map", K::mu},
        {"duplicate_mu", "重复", "duplicates", K::mu},
        {"matched", "相符项", "reconciled items", K::count},
        {"tolerated", "容差内项", "items within tolerance", K::count},
        {"problems", "问题项", "problem items", K::count},
    };
    // Each row balances as printed: the parts are rounded to 0.01 亩 and what rounding leaves
    // over goes to the rounding column.
    auto row = [&](const std::string& code, const std::string& name, const ProjectReconcile& p) {
        long long m = cents(p.map_mu), l = cents(p.ledger_mu), d = m - l;
        const auto& b = p.parts;
        long long parts[] = {cents(b.basis),       0,
                             cents(b.overlap),     cents(b.area),
                             cents(b.tolerated),   cents(b.status),
                             cents(b.only_ledger), cents(b.only_map),
                             cents(b.duplicate)};
        long long others = 0;
        for (auto v : parts)
            others += v;
        parts[1] = d - others;
        std::int64_t ok = 0, tolerated = 0, bad = 0;
        for (const auto& [c, n] : p.counts)
            (is_explained(c) ? ok : c == DiffClass::within_tolerance ? tolerated : bad) += n;
        Row out{code, name, m / 100.0, l / 100.0, d / 100.0};
        for (auto v : parts)
            out.emplace_back(v / 100.0);
        out.emplace_back(ok);
        out.emplace_back(tolerated);
        out.emplace_back(bad);
        return out;
    };
    for (const auto& p : r.projects)
        s.rows.push_back(row(p.project, p.name, p));
    s.totals = row("", "", r.total);
    s.totals->front() = std::monostate{};
    out.push_back(std::move(s));

    Table items;
    items.name = "reconcile_items";
    items.title_zh = "逐项核对";
    items.title_en = "Items";
    bool parcel = r.key == ReconcileKey::parcel;
    items.columns = {
        {"rows", "台账行号", "ledger rows", K::text},
        {"key", parcel ? "宗地编号" : "项目", parcel ? "parcel" : "project", K::text},
        {"project", "项目编号", "project", K::text},
        {"class", "分类", "class", K::text},
        {"class_code", "分类代码", "class code", K::text},
        {"ledger_mu", "台账(亩)", "ledger (mu)", K::mu},
        {"map_mu", fmt::format("图上{}(亩)", basis_zh), "map (mu)", K::mu},
        {"map_other_mu",
         fmt::format("图上{}(亩)", r.area == AreaBasis::planar ? "椭球面积" : "平面面积"),
         "map, other basis (mu)", K::mu},
        {"diff_mu", "差额(亩)", "difference (mu)", K::mu},
        {"note", "说明", "note", K::text},
    };
    auto opt = [](const std::optional<double>& v) { return v ? Cell(*v) : Cell(std::monostate{}); };
    for (const auto& it : r.items) {
        std::string rows;
        for (int n : it.rows)
            rows += (rows.empty() ? "" : ",") + std::to_string(n);
        items.rows.push_back(Row{rows, it.key, it.project,
                                 std::string(zh ? diff_class_zh(it.cls) : diff_class_en(it.cls)),
                                 std::string(diff_class_name(it.cls)), opt(it.ledger_mu),
                                 opt(it.map_mu), opt(it.map_other_mu), it.diff_mu(), say(it.note)});
    }
    out.push_back(std::move(items));

    // Always there, even empty, so `--table reconcile_unreadable` and doc["reconcile_unreadable"]
    // work on every ledger.
    Table u;
    u.name = "reconcile_unreadable";
    u.title_zh = "无法读取的台账行";
    u.title_en = "Ledger rows that cannot be read";
    u.columns = {{"row", "台账行号", "row", K::count}, {"problem", "问题", "problem", K::text}};
    for (const auto& p : r.unreadable)
        u.rows.push_back(Row{static_cast<std::int64_t>(p.row),
                             zh || p.message_en.empty() ? p.message : p.message_en});
    out.push_back(std::move(u));
    return out;
}

} // namespace landclear

#include "landclear/report/corridor_tables.hpp"

#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"

#include <fmt/format.h>

namespace landclear {

namespace {

using K = ColumnKind;

// What the three corridor tables share: the date wording, the land columns and how a set of
// figures becomes their cells.
struct CorridorTableContext {
    const CorridorOptions& o;
    std::string when_zh;
    std::string when_en;
    std::string seg_note;
    std::vector<Column> land;
    std::vector<Column> period;

    explicit CorridorTableContext(const CorridorOptions& options);
    Row land_cells(const StatusFigures& f) const;
    void add_land_columns(Table& t) const;
};

CorridorTableContext::CorridorTableContext(const CorridorOptions& options)
    : o(options), when_zh(fmt::format("截至 {}", options.as_of.iso())),
      when_en(fmt::format("as of {}", options.as_of.iso())),
      seg_note(fmt::format("{:g}", options.segment_m)) {
    if (o.since) {
        when_zh += fmt::format("，新增自 {} 起", o.since->iso());
        when_en += fmt::format(", increase since {}", o.since->iso());
    }
    land = {
        {"parcels", "宗地数", "parcels", K::count},
        {"area_mu", "红线内宗地(亩)", "parcel area (mu)", K::mu},
        {"acquired_mu", "已征(亩)", "acquired (mu)", K::mu},
        {"acquired_pct", "征地率(%)", "acquired %", K::percent},
        {"cleared_mu", "已腾(亩)", "cleared (mu)", K::mu},
        {"cleared_pct", "腾地率(%)", "cleared %", K::percent},
        {"delivered_mu", "已交(亩)", "delivered (mu)", K::mu},
        {"delivered_pct", "交地率(%)", "delivered %", K::percent},
        {"not_cleared_mu", "未腾(亩)", "not cleared (mu)", K::mu},
        {"buildings", "房屋(栋)", "buildings", K::count},
        {"households", "总户数", "households", K::count},
        {"signed_households", "签约户数", "signed households", K::count},
        {"signed_floor_m2", "签约面积(㎡)", "signed floor (m2)", K::m2},
        {"demolished_households", "拆除户数", "demolished households", K::count},
        {"demolished_floor_m2", "拆除面积(㎡)", "demolished floor (m2)", K::m2},
        {"outstanding_households", "未拆户数", "households not demolished", K::count},
        {"outstanding_floor_m2", "未拆面积(㎡)", "floor not demolished (m2)", K::m2},
    };
    period = {
        {"new_acquired_mu", "新增已征(亩)", "new acquired (mu)", K::mu},
        {"new_cleared_mu", "新增已腾(亩)", "new cleared (mu)", K::mu},
        {"new_delivered_mu", "新增已交(亩)", "new delivered (mu)", K::mu},
        {"new_signed_households", "新增签约户数", "new signed households", K::count},
        {"new_demolished_households", "新增拆除户数", "new demolished households", K::count},
    };
}

Row CorridorTableContext::land_cells(const StatusFigures& f) const {
    Row r{f.parcels,
          m2_to_mu(f.area_m2),
          m2_to_mu(f.acquired_m2),
          percent(f.acquired_m2, f.area_m2),
          m2_to_mu(f.cleared_m2),
          percent(f.cleared_m2, f.area_m2),
          m2_to_mu(f.delivered_m2),
          percent(f.delivered_m2, f.area_m2),
          m2_to_mu(f.area_m2 - f.cleared_m2),
          f.buildings,
          f.households,
          f.signed_households,
          f.signed_floor_m2,
          f.demolished_households,
          f.demolished_floor_m2,
          f.households - f.demolished_households,
          f.floor_area_m2 - f.demolished_floor_m2};
    if (o.since) {
        Row p{m2_to_mu(f.new_acquired_m2), m2_to_mu(f.new_cleared_m2), m2_to_mu(f.new_delivered_m2),
              f.new_signed_households, f.new_demolished_households};
        r.insert(r.end(), p.begin(), p.end());
    }
    return r;
}

void CorridorTableContext::add_land_columns(Table& t) const {
    t.columns.insert(t.columns.end(), land.begin(), land.end());
    if (o.since)
        t.columns.insert(t.columns.end(), period.begin(), period.end());
}

// --area ellipsoidal: every land column (亩) says it is on the ellipsoid, and a note says which
// formula, as `landclear status` does.
void say_ellipsoidal(Table& t) {
    auto relabel = [](std::string& label, const std::string& unit, const std::string& with) {
        if (auto at = label.rfind(unit); at != std::string::npos)
            label.replace(at, unit.size(), with);
    };
    for (auto& col : t.columns)
        if (col.kind == K::mu) {
            relabel(col.zh, "(亩)", "(椭球面积,亩)");
            relabel(col.en, "(mu)", "(ellipsoidal, mu)");
        }
    t.notes.insert(
        t.notes.begin(),
        {"面积基准 / area basis", "椭球面积（国土调查办发〔2008〕32号，CGCS2000） / ellipsoidal"});
}

std::string red_line_label(const CorridorReport& r) {
    if (r.red_line_source == RedLineSource::project)
        return "project";
    if (r.widths.left_m == r.widths.right_m)
        return fmt::format("{:g} m", r.widths.left_m * 2);
    return fmt::format("{:g}+{:g} m", r.widths.left_m, r.widths.right_m);
}

// The corridor a segment or stretch row names: the corridor's code, or with several alignments
// the alignment's stored code ("G320-1~ZK"), whose segments are numbered on their own.
std::string row_code(const CorridorReport& r, const std::string& alignment) {
    return r.alignments.empty() ? r.code : corridor_row_code(r.code, alignment);
}

Table summary_table(const std::vector<CorridorReport>& reports, const CorridorTableContext& c) {
    Table summary;
    summary.name = "corridors";
    summary.title_zh = fmt::format("线路红线内征拆进度（{}）", c.when_zh);
    summary.title_en = fmt::format("Corridor land clearance inside the red line, {}", c.when_en);
    summary.columns = {{"corridor", "线路编号", "corridor", K::text},
                       {"name", "线路名称", "name", K::text},
                       {"project", "项目编号", "project", K::text},
                       {"from", "起点桩号", "from", K::text},
                       {"to", "终点桩号", "to", K::text},
                       {"length_m", "长度(米)", "length (m)", K::metres},
                       {"red_line", "红线", "red line", K::text},
                       {"red_line_mu", "红线面积(亩)", "red line (mu)", K::mu}};
    c.add_land_columns(summary);
    summary.columns.push_back({"blocking_stretches", "卡点段数", "blocking stretches", K::count});
    summary.columns.push_back(
        {"blocking_length_m", "卡点长度(米)", "blocked length (m)", K::metres});
    StatusFigures total;
    double total_red = 0, total_length = 0, total_blocked = 0;
    std::int64_t total_stretches = 0;
    auto row_of = [&](const CorridorReport& r, const std::string& code) {
        double blocked = 0;
        for (const auto& b : r.blocking)
            blocked += b.length_m();
        double from = r.segments.empty() ? r.start_chainage_m : r.segments.front().from_m;
        // The end as the stationing reads it: after a chainage break (断链) it is not
        // from + length.
        Row row{code,
                r.name,
                r.project_code,
                format_chainage(from, r.alignment),
                format_chainage(r.end_chainage_m, r.alignment),
                r.length_m,
                red_line_label(r),
                m2_to_mu(r.red_line_m2)};
        auto cells = c.land_cells(r.figures);
        row.insert(row.end(), cells.begin(), cells.end());
        row.emplace_back(static_cast<std::int64_t>(r.blocking.size()));
        row.emplace_back(blocked);
        return std::pair{std::move(row), blocked};
    };
    for (const auto& r : reports) {
        auto [row, blocked] = row_of(r, r.code);
        double length = r.length_m;
        if (!r.alignments.empty()) {
            // Several alignments: the corridor's row holds the union of their red lines (land
            // where they overlap counted once), its length theirs added up; each alignment's
            // own row (its stored code, "G320-1~ZK") follows, not added to the totals.
            length = 0;
            std::string widths;
            for (const auto& a : r.alignments) {
                length += a.length_m;
                widths += fmt::format("{}{} {}", widths.empty() ? "" : "; ", a.alignment,
                                      red_line_label(a));
            }
            row[3] = std::string();
            row[4] = std::string();
            row[5] = length;
            row[6] = r.red_line_source == RedLineSource::project ? "project" : widths;
        }
        summary.rows.push_back(std::move(row));
        for (const auto& a : r.alignments)
            summary.rows.push_back(row_of(a, a.row_code).first);
        total.add(r.figures);
        total_red += r.red_line_m2;
        total_length += length;
        total_blocked += blocked;
        total_stretches += static_cast<std::int64_t>(r.blocking.size());
    }
    {
        Row row{std::monostate{}, std::string(), std::string(), std::string(),
                std::string(),    total_length,  std::string(), m2_to_mu(total_red)};
        auto cells = c.land_cells(total);
        row.insert(row.end(), cells.begin(), cells.end());
        row.emplace_back(total_stretches);
        row.emplace_back(total_blocked);
        summary.totals = std::move(row);
    }
    summary.notes.push_back({"segment_m", c.seg_note});
    for (const auto& r : reports)
        if (r.geometry != "stored" && r.geometry != "saved")
            summary.notes.push_back({"geometry " + r.code, r.geometry});
    return summary;
}

Table segments_table(const std::vector<CorridorReport>& reports, const CorridorTableContext& c) {
    Table segments;
    segments.name = "segments";
    segments.title_zh = fmt::format("分段征拆进度（每 {} 米，{}）", c.seg_note, c.when_zh);
    segments.title_en = fmt::format("Status by chainage segment ({} m), {}", c.seg_note, c.when_en);
    segments.columns = {{"corridor", "线路编号", "corridor", K::text},
                        {"segment", "段号", "segment", K::count},
                        {"chainage", "桩号范围", "chainage", K::text},
                        {"from_m", "起(米)", "from (m)", K::metres},
                        {"to_m", "止(米)", "to (m)", K::metres},
                        {"red_line_mu", "红线面积(亩)", "red line (mu)", K::mu}};
    c.add_land_columns(segments);
    segments.columns.push_back({"blocked", "卡点", "blocked", K::count});
    for (const auto& r : reports)
        for (const auto& s : r.segments) {
            Row row{row_code(r, s.alignment), std::int64_t{s.index + 1}, s.label, s.from_m, s.to_m,
                    m2_to_mu(s.red_line_m2)};
            auto cells = c.land_cells(s.figures);
            row.insert(row.end(), cells.begin(), cells.end());
            row.emplace_back(std::int64_t{s.blocked ? 1 : 0});
            segments.rows.push_back(std::move(row));
        }
    return segments;
}

Table blocking_table(const std::vector<CorridorReport>& reports, const CorridorTableContext& c) {
    Table blocking;
    blocking.name = "blocking";
    blocking.title_zh = fmt::format("卡点路段（未腾清，按未腾面积排序；{}）", c.when_zh);
    blocking.title_en = fmt::format("Blocking stretches, worst first, {}", c.when_en);
    blocking.columns = {
        {"corridor", "线路编号", "corridor", K::text},
        {"chainage", "桩号范围", "chainage", K::text},
        {"length_m", "长度(米)", "length (m)", K::metres},
        {"not_acquired_mu", "未征(亩)", "not acquired (mu)", K::mu},
        {"not_cleared_mu", "已征未腾(亩)", "acquired, not cleared (mu)", K::mu},
        {"outstanding_mu", "未腾合计(亩)", "outstanding (mu)", K::mu},
        {"outstanding_households", "未拆户数", "households not demolished", K::count},
        {"unsigned_households", "未签约户数", "households not signed", K::count},
        {"buildings", "未拆房屋(栋)", "buildings not demolished", K::count},
        {"parcel_count", "涉及宗地数", "parcels", K::count},
        {"parcels", "涉及宗地", "parcel codes", K::text},
        {"building_codes", "未拆房屋编号", "building codes", K::text},
    };
    std::vector<std::pair<const CorridorReport*, const BlockingStretch*>> stretches;
    for (const auto& r : reports)
        for (const auto& b : r.blocking)
            stretches.emplace_back(&r, &b);
    std::stable_sort(stretches.begin(), stretches.end(), [](const auto& a, const auto& b) {
        if (a.second->outstanding_m2() != b.second->outstanding_m2())
            return a.second->outstanding_m2() > b.second->outstanding_m2();
        return a.second->outstanding_households > b.second->outstanding_households;
    });
    for (const auto& [r, b] : stretches)
        blocking.rows.push_back(
            {row_code(*r, b->alignment), b->label, b->length_m(), m2_to_mu(b->not_acquired_m2),
             m2_to_mu(b->not_cleared_m2), m2_to_mu(b->outstanding_m2()), b->outstanding_households,
             b->unsigned_households, static_cast<std::int64_t>(b->buildings.size()),
             static_cast<std::int64_t>(b->parcels.size()),
             fmt::format("{}", fmt::join(b->parcels, " ")),
             fmt::format("{}", fmt::join(b->buildings, " "))});
    return blocking;
}

} // namespace

std::vector<Table> corridor_tables(const std::vector<CorridorReport>& reports,
                                   const CorridorOptions& o) {
    CorridorTableContext context(o);
    std::vector<Table> tables{summary_table(reports, context), segments_table(reports, context),
                              blocking_table(reports, context)};
    if (o.area == AreaBasis::ellipsoidal)
        for (auto& t : tables)
            say_ellipsoidal(t);
    return tables;
}

} // namespace landclear

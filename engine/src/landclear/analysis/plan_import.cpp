// `plan import`: a plan file (XLSX, ODS, CSV) read through the ledger's sheet reader, checked
// row by row against the store, and written as new revisions in one write.
#include "landclear/analysis/detail/plan_store.hpp"
#include "landclear/analysis/plan.hpp"
#include "landclear/core/error.hpp"
#include "landclear/io/digest.hpp"
#include "landclear/io/ledger.hpp"
#include "landclear/io/mapping.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace landclear {

namespace {

enum class PlanField {
    plan_id,
    issued_on,
    batch,
    project_code,
    unit,
    indicator,
    target,
    start_on,
    deadline
};

struct PlanFieldInfo {
    PlanField field;
    const char* name;
    const char* zh;
    bool required;
    std::vector<std::string> headers; // normalised (normalise_sheet_header)
};

const std::vector<PlanFieldInfo>& plan_fields() {
    using F = PlanField;
    static const std::vector<PlanFieldInfo> infos{
        {F::plan_id,
         "plan_id",
         "交办文号",
         true,
         {"交办文号", "文号", "计划文号", "计划编号", "任务编号", "交办编号"}},
        {F::issued_on,
         "issued_on",
         "交办日期",
         true,
         {"交办日期", "下达日期", "发文日期", "印发日期", "交办时间"}},
        {F::batch, "batch", "批次", false, {"批次", "交办批次", "任务批次"}},
        {F::project_code, "project_code", "项目编号", true, {"项目编号", "项目代码"}},
        {F::unit, "unit", "责任单位", true, {"责任单位", "承办单位"}},
        {F::indicator, "indicator", "指标", true, {"指标", "任务指标", "考核指标", "任务类型"}},
        {F::target,
         "target",
         "目标任务",
         true,
         {"目标任务", "目标", "任务量", "目标数", "任务数", "计划数", "计划任务"}},
        {F::start_on, "start_on", "开始日期", false, {"开始日期", "起始日期", "计划开始"}},
        {F::deadline,
         "deadline",
         "限期",
         true,
         {"限期", "完成时限", "完成期限", "截止日期", "限期完成", "完成限期"}},
    };
    return infos;
}

const PlanFieldInfo& field_info(PlanField f) {
    return plan_fields()[static_cast<size_t>(f)];
}

// The mapping file's "plan" section: field -> column(s); "milestones": column -> date.
struct PlanMapping {
    std::map<PlanField, std::vector<std::string>> columns;
    std::vector<std::pair<std::string, Date>> milestones;
};

std::vector<std::string> names_of(const nlohmann::json& v) {
    std::vector<std::string> out;
    if (v.is_string())
        out.push_back(v.get<std::string>());
    else if (v.is_array())
        for (const auto& x : v)
            if (x.is_string())
                out.push_back(x.get<std::string>());
    return out;
}

PlanMapping load_plan_mapping(const std::string& path) {
    PlanMapping m;
    if (path.empty())
        return m;
    nlohmann::json j = read_mapping_json(
        path, "give a JSON file with a \"plan\" section, e.g. {\"plan\": {\"plan_id\": "
              "\"Doc No\", \"deadline\": \"Due\"}}");
    if (!j.is_object() || !j.contains("plan") || !j["plan"].is_object())
        throw_input(fmt::format("mapping {} has no \"plan\" section", path),
                    "add {\"plan\": {\"plan_id\": \"Doc No\", \"target\": \"Qty\", ...}}; the "
                    "other sections are for import and reconcile");
    for (const auto& [key, value] : j["plan"].items()) {
        if (key == "comment")
            continue;
        if (key == "milestones") {
            if (!value.is_object())
                throw_input(fmt::format("mapping {}: plan.milestones must be an object of "
                                        "column: date, e.g. {{\"Q1 cumulative\": \"2026-03-31\"}}",
                                        path));
            for (const auto& [column, day] : value.items()) {
                auto d = day.is_string() ? parse_date(day.get<std::string>()) : std::nullopt;
                if (!d)
                    throw_input(fmt::format("mapping {}: plan.milestones.{} must be a date "
                                            "(YYYY-MM-DD)",
                                            path, column));
                m.milestones.emplace_back(column, *d);
            }
            continue;
        }
        const PlanFieldInfo* found = nullptr;
        for (const auto& i : plan_fields())
            if (key == i.name)
                found = &i;
        if (!found)
            throw_input(fmt::format("mapping {}: plan has no field '{}'", path, key),
                        "plan fields: plan_id, issued_on, batch, project_code, unit, indicator, "
                        "target, start_on, deadline, milestones");
        auto names = names_of(value);
        if (names.empty())
            throw_input(
                fmt::format("mapping {}: plan.{} must name a column or a list of them", path, key));
        m.columns[found->field] = names;
    }
    return m;
}

std::optional<PlanField> recognise(const PlanMapping& mapping, const std::string& header) {
    auto h = normalise_sheet_header(header);
    if (h.empty())
        return std::nullopt;
    for (const auto& [field, names] : mapping.columns)
        for (const auto& n : names)
            if (normalise_sheet_header(n) == h)
                return field;
    auto base = h;
    if (auto open = h.find('('); open != std::string::npos && open > 0 && h.back() == ')')
        base = h.substr(0, open); // 目标任务(亩/户)
    for (const auto& i : plan_fields())
        for (const auto& candidate : {h, base})
            if (candidate == i.name ||
                std::find(i.headers.begin(), i.headers.end(), candidate) != i.headers.end())
                return i.field;
    return std::nullopt;
}

bool strip(std::string& s, std::string_view word, bool front) {
    if (s.size() <= word.size())
        return false;
    if (front && s.compare(0, word.size(), word) == 0) {
        s.erase(0, word.size());
        return true;
    }
    if (!front && s.compare(s.size() - word.size(), word.size(), word) == 0) {
        s.resize(s.size() - word.size());
        return true;
    }
    return false;
}

// A milestone column: a date with 累计 / 节点 / cumulative around it ("2026-03-31累计",
// "累计至2026年3月31日", "节点(2026-03-31)", "2026-03-31 cumulative"), or the date alone.
std::optional<Date> milestone_date(const PlanMapping& mapping, const std::string& header) {
    auto h = normalise_sheet_header(header);
    if (h.empty())
        return std::nullopt;
    for (const auto& [column, day] : mapping.milestones)
        if (normalise_sheet_header(column) == h)
            return day;
    static const std::vector<std::string_view> words{
        "累计目标",   "累计完成", "累计任务", "累计", "节点", "截至", "截止", "至",
        "cumulative", "cum.",     "cum",      "by",   "(",    ")",    "_",    ":"};
    for (bool changed = true; changed;) {
        changed = false;
        for (auto w : words)
            changed = strip(h, w, true) || strip(h, w, false) || changed;
    }
    return parse_date(h);
}

struct BoundColumn {
    int index = -1;
    std::string header;
};

struct Layout {
    size_t header_index = 0;
    std::map<PlanField, BoundColumn> fields;
    std::vector<std::pair<BoundColumn, Date>> milestones; // by date
};

Layout find_layout(const PlanMapping& mapping, const Sheet& sheet) {
    Layout l;
    size_t limit = std::min<size_t>(sheet.rows.size(), 30);
    size_t found = SIZE_MAX;
    for (size_t r = 0; r < limit && found == SIZE_MAX; ++r) {
        int known = 0;
        for (const auto& c : sheet.rows[r].cells)
            known += recognise(mapping, c.text) ? 1 : 0;
        if (known >= 2)
            found = r;
    }
    if (found == SIZE_MAX)
        found = 0;
    l.header_index = found;
    std::vector<std::string> shown;
    if (!sheet.rows.empty()) {
        const auto& cells = sheet.rows[found].cells;
        for (size_t i = 0; i < cells.size(); ++i) {
            const auto& h = cells[i].text;
            if (h.empty())
                continue;
            shown.push_back(h);
            BoundColumn col{static_cast<int>(i), h};
            if (auto f = recognise(mapping, h)) {
                l.fields.try_emplace(*f, col); // the first column of a field wins
                continue;
            }
            if (auto d = milestone_date(mapping, h))
                l.milestones.emplace_back(col, *d);
        }
    }
    std::sort(l.milestones.begin(), l.milestones.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    std::vector<std::string> missing;
    for (const auto& i : plan_fields())
        if (i.required && !l.fields.count(i.field))
            missing.push_back(fmt::format("{} ({})", i.zh, i.name));
    if (!missing.empty())
        throw_input(fmt::format("{}: no {} column among: {}", sheet.display,
                                fmt::join(missing, ", "), fmt::join(shown, ", ")),
                    "name the columns as docs/PLANS.md lists them (交办文号, 交办日期, 项目编号, "
                    "责任单位, 指标, 目标任务, 限期), or map them: --map FILE with {\"plan\": "
                    "{\"plan_id\": \"...\", ...}}");
    for (size_t i = 1; i < l.milestones.size(); ++i)
        if (l.milestones[i].second == l.milestones[i - 1].second)
            throw_input(fmt::format("{}: columns '{}' and '{}' are both the milestone of {}",
                                    sheet.display, l.milestones[i - 1].first.header,
                                    l.milestones[i].first.header, l.milestones[i].second.iso()),
                        "keep one column per milestone date");
    return l;
}

std::string utc_now() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

bool whole(double v) {
    return std::floor(v) == v;
}

// One row's reading: problems are "row 5, field deadline (column 限期): …".
class RowCheck {
public:
    RowCheck(int row, std::vector<std::string>& problems) : m_row(row), m_problems(problems) {}

    void problem(const std::string& field, const std::string& header, const std::string& what) {
        m_problems.push_back(
            fmt::format("row {}, field {} (column '{}'): {}", m_row, field, header, what));
        m_bad = true;
    }
    void problem(PlanField f, const BoundColumn& c, const std::string& what) {
        problem(field_info(f).name, c.header, what);
    }
    bool bad() const { return m_bad; }

private:
    int m_row;
    std::vector<std::string>& m_problems;
    bool m_bad = false;
};

const SheetCell& cell_at(const SheetRow& row, int index) {
    static const SheetCell none;
    return static_cast<size_t>(index) < row.cells.size() ? row.cells[static_cast<size_t>(index)]
                                                         : none;
}

std::string shown(const SheetCell& c) {
    return c.text;
}

std::string list_some(const std::set<std::string>& items) {
    std::vector<std::string> v(items.begin(), items.end());
    if (v.size() > 12) {
        auto more = v.size() - 12;
        v.resize(12);
        v.push_back(fmt::format("… ({} more)", more));
    }
    return fmt::format("{}", fmt::join(v, ", "));
}

} // namespace

PlanImportResult import_plans(Store& store, const PlanImportOptions& o) {
    PlanImportResult result;
    auto mapping = load_plan_mapping(o.mapping);
    LedgerOptions lo;
    lo.path = o.path;
    lo.sheet = o.sheet;
    Sheet sheet = read_sheet(lo);
    result.display = sheet.display;
    auto layout = find_layout(mapping, sheet);

    std::set<std::string> projects, units;
    for (const auto& p : store.projects()) {
        projects.insert(p.code);
        if (!p.unit.empty())
            units.insert(p.unit);
    }

    std::vector<std::string> problems;
    std::map<std::string, PlanRevision> plans; // by id, in the file
    std::map<std::string, int> first_row;      // of each plan id
    std::map<std::tuple<std::string, std::string, std::string, PlanIndicator>, int> seen;

    auto col = [&](PlanField f) -> const BoundColumn* {
        auto it = layout.fields.find(f);
        return it == layout.fields.end() ? nullptr : &it->second;
    };
    for (size_t g = layout.header_index + 1; g < sheet.rows.size(); ++g) {
        const auto& line = sheet.rows[g];
        if (std::all_of(line.cells.begin(), line.cells.end(),
                        [](const SheetCell& c) { return c.empty(); }))
            continue;
        if (std::any_of(line.cells.begin(), line.cells.end(),
                        [](const SheetCell& c) { return !c.number && sheet_totals_label(c.text); }))
            continue; // a 合计 row
        RowCheck rc(line.row, problems);
        auto text = [&](PlanField f) -> std::string {
            auto c = col(f);
            if (!c)
                return {};
            const auto& cell = cell_at(line, c->index);
            if (cell.not_utf8) {
                rc.problem(f, *c, "the text is not UTF-8 (save the file as UTF-8)");
                return {};
            }
            return cell.text;
        };
        auto required_text = [&](PlanField f) {
            const auto& c = *col(f);
            const auto& cell = cell_at(line, c.index);
            if (!cell.not_utf8 && cell.text.empty())
                rc.problem(f, c, "empty");
            return text(f); // says when the text is not UTF-8
        };
        auto date = [&](PlanField f, bool required) -> std::optional<Date> {
            auto c = col(f);
            if (!c)
                return std::nullopt;
            const auto& cell = cell_at(line, c->index);
            if (cell.empty()) {
                if (required)
                    rc.problem(f, *c, "empty: give a date (YYYY-MM-DD)");
                return std::nullopt;
            }
            auto d = sheet_date(cell);
            if (!d)
                rc.problem(f, *c,
                           fmt::format("cannot read '{}' as a date (YYYY-MM-DD)", shown(cell)));
            return d;
        };

        PlanTarget t;
        t.row = line.row;
        auto id = required_text(PlanField::plan_id);
        auto issued = date(PlanField::issued_on, true);
        t.batch = text(PlanField::batch);
        t.project_code = required_text(PlanField::project_code);
        if (!t.project_code.empty() && !projects.count(t.project_code))
            rc.problem(
                PlanField::project_code, *col(PlanField::project_code),
                fmt::format("project '{}' is not in the store's projects layer{}", t.project_code,
                            projects.empty() ? " (it is empty: import the projects first)"
                                             : fmt::format(" (it has: {})", list_some(projects))));
        t.unit = required_text(PlanField::unit);
        if (!t.unit.empty() && !units.count(t.unit))
            rc.problem(PlanField::unit, *col(PlanField::unit),
                       fmt::format("unit '{}' is no project's responsible unit (责任单位) in the "
                                   "store{}",
                                   t.unit,
                                   units.empty()
                                       ? " (its projects name none: import them with a unit)"
                                       : fmt::format(" (units: {})", list_some(units))));
        auto ind_text = required_text(PlanField::indicator);
        if (!ind_text.empty()) {
            if (auto ind = parse_plan_indicator(ind_text))
                t.indicator = *ind;
            else
                rc.problem(PlanField::indicator, *col(PlanField::indicator),
                           fmt::format("'{}' is not an indicator: give 征地亩, 腾地亩, 交地亩, "
                                       "签约户 or 拆除户",
                                       ind_text));
        }
        const auto& ind = plan_indicator_info(t.indicator);
        {
            const auto& c = *col(PlanField::target);
            const auto& cell = cell_at(line, c.index);
            auto v = sheet_number(cell);
            if (cell.empty())
                rc.problem(PlanField::target, c, "empty: give the target quantity");
            else if (!v)
                rc.problem(PlanField::target, c,
                           fmt::format("cannot read '{}' as a number", shown(cell)));
            else if (*v < 0)
                rc.problem(PlanField::target, c,
                           fmt::format("{} is negative: a target is a quantity to reach", *v));
            else if (*v == 0)
                rc.problem(PlanField::target, c,
                           "0: a target must be more than 0 (leave the row out instead)");
            else if (ind.households && !whole(*v))
                rc.problem(PlanField::target, c,
                           fmt::format("{} households is not a whole number", *v));
            else
                t.target = *v;
        }
        auto start = date(PlanField::start_on, false);
        auto deadline = date(PlanField::deadline, true);
        if (issued)
            t.start_on = start.value_or(*issued);
        if (deadline)
            t.deadline = *deadline;
        if (deadline && (start || issued) && *deadline < t.start_on)
            rc.problem(PlanField::deadline, *col(PlanField::deadline),
                       fmt::format("{} is before the start {}{}", deadline->iso(), t.start_on.iso(),
                                   start ? "" : " (the issued date)"));
        std::optional<double> last;
        for (const auto& [c, day] : layout.milestones) {
            const auto& cell = cell_at(line, c.index);
            if (cell.empty())
                continue;
            std::string field = fmt::format("milestone {}", day.iso());
            auto v = sheet_number(cell);
            if (!v) {
                rc.problem(field, c.header,
                           fmt::format("cannot read '{}' as a number", shown(cell)));
                continue;
            }
            if (*v < 0)
                rc.problem(field, c.header, fmt::format("{} is negative", *v));
            else if (t.target > 0 && *v > t.target)
                rc.problem(field, c.header,
                           fmt::format("{} is more than the target {}", *v, t.target));
            else if (ind.households && !whole(*v))
                rc.problem(field, c.header, fmt::format("{} households is not a whole number", *v));
            else if (last && *v < *last)
                rc.problem(field, c.header,
                           fmt::format("{} is less than the earlier milestone's {}: milestones "
                                       "are cumulative",
                                       *v, *last));
            else if (deadline && (day < t.start_on || day > t.deadline))
                rc.problem(field, c.header,
                           fmt::format("{} is outside the plan period {} – {}", day.iso(),
                                       t.start_on.iso(), t.deadline.iso()));
            else if (deadline && day == t.deadline && t.target > 0 && *v != t.target)
                rc.problem(
                    field, c.header,
                    fmt::format("{} on the deadline differs from the target {}", *v, t.target));
            else
                t.milestones.push_back({day, *v});
            last = *v;
        }
        if (rc.bad())
            continue;
        auto key = std::make_tuple(id, t.project_code, t.unit, t.indicator);
        if (auto [it, fresh] = seen.try_emplace(key, line.row); !fresh) {
            rc.problem(PlanField::indicator, *col(PlanField::indicator),
                       fmt::format("plan {} already has a {} target for {} / {} in row {}", id,
                                   ind.zh, t.project_code, t.unit, it->second));
            continue;
        }
        auto [it, fresh] = plans.try_emplace(id);
        auto& plan = it->second;
        if (fresh) {
            plan.plan_id = id;
            plan.issued_on = *issued;
            first_row[id] = line.row;
        } else if (plan.issued_on != *issued) {
            rc.problem(PlanField::issued_on, *col(PlanField::issued_on),
                       fmt::format("{} differs from {} in row {}: one plan (交办文号) has one "
                                   "issued date",
                                   issued->iso(), plan.issued_on.iso(), first_row[id]));
            continue;
        }
        plan.targets.push_back(std::move(t));
    }
    if (plans.empty() && problems.empty())
        throw_input(fmt::format("{} has no plan rows below its header (row {})", sheet.display,
                                sheet.rows.empty() ? 1 : sheet.rows[layout.header_index].row),
                    "fill in one row per target, or choose the sheet that holds them with --sheet");

    // Revisions: numbered after what the store holds (every revision, whatever --known-on).
    auto stored = detail::all_stored_plans(store);
    std::map<std::string, const PlanRevision*> latest;
    std::int64_t last_import = 0;
    for (const auto& r : stored) {
        auto& slot = latest[r.plan_id];
        if (!slot || r.revision > slot->revision)
            slot = &r;
        last_import = std::max(last_import, r.import);
    }
    auto now = utc_now();
    auto digest = sha256_file(o.path);
    for (auto& [id, plan] : plans) {
        if (plan.issued_on > o.reported)
            problems.push_back(fmt::format(
                "row {}, field issued_on: plan {} is issued on {}, after the day this import "
                "reports ({}): pass --reported on or after the issued date",
                first_row[id], id, plan.issued_on.iso(), o.reported.iso()));
        auto prev = latest.find(id);
        if (prev != latest.end() && prev->second->reported_on > o.reported)
            problems.push_back(fmt::format(
                "row {}, field plan_id: plan {} revision {} was reported on {}; a revision "
                "cannot be reported earlier ({}): pass --reported {} or later",
                first_row[id], id, prev->second->revision, prev->second->reported_on.iso(),
                o.reported.iso(), prev->second->reported_on.iso()));
        plan.revision = prev == latest.end() ? 1 : prev->second->revision + 1;
        plan.import = last_import + 1;
        plan.reported_on = o.reported;
        plan.imported_at = now;
        plan.source = std::filesystem::path(o.path).filename().string();
        plan.sha256 = digest;
    }
    if (!problems.empty()) {
        auto n = problems.size();
        if (problems.size() > 30) {
            problems.resize(30);
            problems.push_back(fmt::format("… and {} more", n - 30));
        }
        throw_input(fmt::format("{}: {} problem{}; nothing was imported:\n  {}", sheet.display, n,
                                n == 1 ? "" : "s", fmt::join(problems, "\n  ")),
                    "correct the rows named and import the file again (the store is unchanged)");
    }

    // The same parcels counting for two targets: overlapping periods of one project and
    // indicator, among the new revisions and the other plans' latest ones.
    std::vector<std::pair<std::string, const PlanTarget*>> all;
    for (const auto& [id, plan] : plans)
        for (const auto& t : plan.targets)
            all.emplace_back(id, &t);
    for (const auto& [id, rev] : latest)
        if (!plans.count(id))
            for (const auto& t : rev->targets)
                all.emplace_back(id, &t);
    std::set<std::string> said;
    for (size_t i = 0; i < all.size(); ++i)
        for (size_t j = i + 1; j < all.size(); ++j) {
            const auto& a = *all[i].second;
            const auto& b = *all[j].second;
            if (a.project_code != b.project_code || a.indicator != b.indicator ||
                a.deadline < b.start_on || b.deadline < a.start_on)
                continue;
            auto note_key =
                fmt::format("{}|{}", a.project_code, plan_indicator_info(a.indicator).key);
            if (!said.insert(note_key).second)
                continue;
            const auto& ind = plan_indicator_info(a.indicator);
            result.notes.push_back(
                {fmt::format(
                     "项目 {} 的{}目标在 {}（{}）与 {}（{}）中时段重叠：同一宗地同时计入两个目标",
                     a.project_code, ind.zh, all[i].first, a.unit, all[j].first, b.unit),
                 fmt::format("project {} has {} targets with overlapping periods in {} ({}) and "
                             "{} ({}): the same parcels count for both",
                             a.project_code, ind.en, all[i].first, a.unit, all[j].first, b.unit)});
        }

    for (auto& [id, plan] : plans)
        result.revisions.push_back(plan);
    if (o.dry_run)
        return result;
    store.begin_write();
    detail::store_plan_revisions(store, result.revisions);
    store.commit();
    return result;
}

} // namespace landclear

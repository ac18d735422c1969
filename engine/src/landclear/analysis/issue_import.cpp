#include "landclear/analysis/detail/issue_list.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/io/ledger.hpp"

#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>

namespace landclear {

using issue_detail::next_id;
using issue_detail::save;

namespace {

// The columns an issue list may have, by the headers offices write (compared after NFKC, without
// spaces, lower-cased) and the English field names.
enum class Col {
    id,
    parcel,
    building,
    corridor,
    from,
    to,
    project,
    unit,
    text,
    raised,
    deadline,
    closed,
    note
};

const std::vector<std::pair<Col, std::vector<std::string>>>& column_names() {
    static const std::vector<std::pair<Col, std::vector<std::string>>> names{
        {Col::id, {"编号", "问题编号", "序号编号", "id", "issue_id"}},
        {Col::parcel, {"宗地编号", "宗地代码", "地块编号", "parcel", "parcel_code"}},
        {Col::building, {"房屋编号", "建筑编号", "building", "building_code"}},
        {Col::corridor, {"线路编号", "道路编号", "corridor", "corridor_code"}},
        {Col::from, {"起点桩号", "起始桩号", "起桩号", "from", "chainage_from"}},
        {Col::to, {"终点桩号", "止点桩号", "讫点桩号", "止桩号", "to", "chainage_to"}},
        {Col::project, {"项目编号", "project", "project_code"}},
        {Col::unit, {"责任单位", "unit"}},
        {Col::text, {"问题描述", "问题", "问题内容", "存在问题", "text", "description"}},
        {Col::raised, {"提出日期", "交办日期", "发现日期", "raised_on", "raised"}},
        {Col::deadline, {"限期", "完成时限", "办结时限", "销号时限", "deadline"}},
        {Col::closed, {"销号日期", "办结日期", "closed_on", "closed"}},
        {Col::note, {"备注", "销号说明", "note"}},
    };
    return names;
}

std::optional<Col> column_of(const std::string& header) {
    auto h = normalise_sheet_header(header);
    for (const auto& [col, names] : column_names())
        for (const auto& n : names)
            if (h == normalise_sheet_header(n))
                return col;
    return std::nullopt;
}

// The header the file gives the column, else the first name it is known by.
std::string canonical_name(Col col) {
    for (const auto& [c, names] : column_names())
        if (c == col)
            return names.front();
    return {};
}

// Replaces the option name (a whole word: "--to" but not "--to-x") by the column's name.
void replace_option(std::string& m, const std::string& option, const std::string& column) {
    for (size_t p = 0; (p = m.find(option, p)) != std::string::npos;) {
        size_t end = p + option.size();
        if (end < m.size() &&
            (std::isalnum(static_cast<unsigned char>(m[end])) || m[end] == '-' || m[end] == '/')) {
            p = end;
            continue;
        }
        m.replace(p, option.size(), column);
        p += column.size();
    }
}

struct RowError {
    int row = 0;
    std::string message;
};

} // namespace

std::vector<std::string> import_issues(Store& store, const IssueImportOptions& options) {
    LedgerOptions lo;
    lo.path = options.path;
    lo.sheet = options.sheet;
    auto sheet = read_sheet(lo);
    // The header: the first of the top rows with a 责任单位 and a 问题描述 column (title rows
    // above it are skipped, as in ledgers).
    size_t header = sheet.rows.size();
    std::map<Col, size_t> cols;
    std::vector<std::string> headers;
    for (size_t r = 0; r < sheet.rows.size() && r < 10 && header == sheet.rows.size(); ++r) {
        std::map<Col, size_t> found;
        for (size_t c = 0; c < sheet.rows[r].cells.size(); ++c)
            if (auto col = column_of(sheet.rows[r].cells[c].text))
                found.try_emplace(*col, c);
        if (found.count(Col::unit) && found.count(Col::text)) {
            header = r;
            cols = found;
            for (const auto& cell : sheet.rows[r].cells)
                headers.push_back(cell.text);
        }
    }
    if (header == sheet.rows.size())
        throw_input(fmt::format("{}: no header row with 责任单位 and 问题描述 in its first rows",
                                sheet.display),
                    "name the columns 问题描述, 责任单位, 限期 and one of 宗地编号, 房屋编号, "
                    "线路编号 (with 起点桩号, 终点桩号) or 项目编号 (docs/ISSUE_LIST.md)");
    if (!cols.count(Col::deadline))
        throw_input(fmt::format("{}: no 限期 (deadline) column in the header (row {})",
                                sheet.display, sheet.rows[header].row),
                    "add a 限期 column: every issue has a deadline");

    auto existing = read_issues(store);
    std::vector<Issue> made;
    std::vector<RowError> errors;
    std::set<std::string> ids;
    for (size_t r = header + 1; r < sheet.rows.size(); ++r) {
        const auto& row = sheet.rows[r];
        auto cell = [&](Col c) -> const SheetCell* {
            auto it = cols.find(c);
            if (it == cols.end() || it->second >= row.cells.size())
                return nullptr;
            return &row.cells[it->second];
        };
        auto header_of = [&](Col c) {
            auto it = cols.find(c);
            return it != cols.end() && !headers[it->second].empty() ? headers[it->second]
                                                                    : canonical_name(c);
        };
        auto column_label = header_of;
        auto cell_text = [&](Col c) -> std::string {
            auto* x = cell(c);
            return x ? x->text : std::string();
        };
        bool any = false, not_utf8 = false;
        for (const auto& c : row.cells) {
            any = any || !c.text.empty() || c.number || c.date;
            not_utf8 = not_utf8 || c.not_utf8;
        }
        if (!any)
            continue;
        try {
            if (not_utf8)
                throw_input("the text is not UTF-8", "save the file as UTF-8");
            auto date = [&](Col c, bool required) -> std::optional<Date> {
                auto* x = cell(c);
                if (!x || (x->text.empty() && !x->date && !x->number)) {
                    if (required)
                        throw_usage(fmt::format("{}: empty", header_of(c)));
                    return std::nullopt;
                }
                if (x->date)
                    return x->date;
                // Excel keeps an unformatted date as its day number from 1899-12-30.
                if (x->number && *x->number >= 20000 && *x->number < 80000 &&
                    std::floor(*x->number) == *x->number)
                    return Date::from_days(static_cast<long>(*x->number) - 25569);
                auto d = parse_date(text::nfkc(x->text));
                if (!d)
                    throw_usage(
                        fmt::format("{}: cannot read '{}' as a date", header_of(c), x->text));
                return d;
            };
            auto chainage = [&](Col c) -> std::optional<double> {
                auto t = cell_text(c);
                if (t.empty())
                    return std::nullopt;
                auto v = parse_chainage(text::nfkc(t));
                if (!v)
                    throw_usage(fmt::format("{}: cannot read '{}' as a chainage (K1+200 or "
                                            "metres)",
                                            header_of(c), t));
                return v;
            };
            IssueDraft d;
            std::vector<std::pair<IssueTarget, std::string>> targets;
            for (auto [col, t] : {std::pair{Col::parcel, IssueTarget::parcel},
                                  std::pair{Col::building, IssueTarget::building},
                                  std::pair{Col::corridor, IssueTarget::corridor}})
                if (!cell_text(col).empty())
                    targets.emplace_back(t, cell_text(col));
            if (targets.size() > 1) {
                auto col = [](IssueTarget t) {
                    return t == IssueTarget::parcel     ? Col::parcel
                           : t == IssueTarget::building ? Col::building
                                                        : Col::corridor;
                };
                throw_usage(fmt::format("{} {} and {} {} both given: an issue is tied to one thing",
                                        header_of(col(targets[0].first)), targets[0].second,
                                        header_of(col(targets[1].first)), targets[1].second));
            }
            std::string project = cell_text(Col::project);
            if (targets.empty()) {
                if (project.empty())
                    throw_usage("no 宗地编号, 房屋编号, 线路编号 or 项目编号: say what the issue "
                                "is about");
                targets.emplace_back(IssueTarget::project, project);
            }
            d.target = targets[0].first;
            d.target_code = targets[0].second;
            d.from_m = chainage(Col::from);
            d.to_m = chainage(Col::to);
            if (!cell_text(Col::id).empty())
                d.id = cell_text(Col::id);
            d.unit = cell_text(Col::unit);
            d.text = cell_text(Col::text);
            d.note = cell_text(Col::note);
            if (d.unit.empty())
                throw_usage(fmt::format("{}: empty", header_of(Col::unit)));
            if (d.text.empty())
                throw_usage(fmt::format("{}: empty", header_of(Col::text)));
            d.raised_on = date(Col::raised, false).value_or(options.today);
            d.deadline = *date(Col::deadline, true);
            d.closed_on = date(Col::closed, false);
            if (d.id && (ids.count(*d.id)))
                throw_usage(
                    fmt::format("{} {}: given twice in the file", header_of(Col::id), *d.id));
            if (!d.id)
                d.id = next_id(existing, ids);
            std::vector<Issue> all = existing;
            auto i = make_issue(store, d, all);
            if (!project.empty() && d.target != IssueTarget::project && i.project_code != project)
                throw_usage(fmt::format("{} {}: {} {} is in project {}", header_of(Col::project),
                                        project, issue_target_zh(d.target), d.target_code,
                                        i.project_code));
            ids.insert(i.id);
            made.push_back(std::move(i));
        } catch (const Error& e) {
            // The CLI's option names mean nothing in a spreadsheet: name its columns.
            std::string m = e.message();
            for (auto [opt, col] :
                 {std::pair{"--parcel", Col::parcel}, std::pair{"--building", Col::building},
                  std::pair{"--corridor", Col::corridor}, std::pair{"--project", Col::project},
                  std::pair{"--from", Col::from}, std::pair{"--to", Col::to},
                  std::pair{"--deadline", Col::deadline}, std::pair{"--unit", Col::unit},
                  std::pair{"--text", Col::text}, std::pair{"--on", Col::raised}})
                replace_option(m, opt, column_label(col));
            errors.push_back({row.row, m});
        }
    }
    if (!errors.empty()) {
        std::string list;
        for (const auto& e : errors)
            list += fmt::format("\n  row {}: {}", e.row, e.message);
        throw_input(fmt::format("{}: {} row{} cannot be imported, nothing was imported:{}",
                                sheet.display, errors.size(), errors.size() == 1 ? "" : "s", list),
                    "correct these rows and import the file again");
    }
    if (made.empty())
        throw_input(fmt::format("{} is empty: below its header (row {}) there is no issue",
                                sheet.display, sheet.rows[header].row),
                    "fill in the list's rows, or choose the sheet that holds them with --sheet");
    std::vector<const Issue*> all;
    std::vector<std::string> out;
    for (const auto& i : made) {
        all.push_back(&i);
        out.push_back(i.id);
    }
    save(store, all);
    return out;
}

} // namespace landclear

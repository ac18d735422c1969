#include "landclear/io/ledger.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/core/units.hpp"
#include "landclear/io/mapping.hpp"
#include "landclear/io/source.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cpl_string.h>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace landclear {

namespace {

struct FieldInfo {
    LedgerField field;
    const char* name;
    bool area;
    std::vector<std::string> headers; // normalised base names, without the unit
};

const std::vector<FieldInfo>& field_infos() {
    using F = LedgerField;
    static const std::vector<FieldInfo> infos{
        {F::parcel_code,
         "parcel_code",
         false,
         {"宗地编号", "宗地代码", "地块编号", "宗地号", "地块号", "地块代码", "zddm"}},
        {F::project_code, "project_code", false, {"项目编号", "项目代码"}},
        {F::project_name, "project_name", false, {"项目名称", "项目"}},
        {F::unit, "unit", false, {"责任单位", "承办单位"}},
        {F::area,
         "area",
         true,
         {"面积", "宗地面积", "地块面积", "用地面积", "总面积", "合计面积", "area"}},
        {F::acquired_area,
         "acquired_area",
         true,
         {"征地面积", "征收面积", "已征面积", "已征", "acquired"}},
        {F::cleared_area, "cleared_area", true, {"腾地面积", "已腾面积", "已腾", "cleared"}},
        {F::delivered_area, "delivered_area", true, {"交地面积", "已交面积", "已交", "delivered"}},
        {F::acquired_on, "acquired_on", false, {"征地日期", "征收日期", "征地时间"}},
        {F::cleared_on, "cleared_on", false, {"腾地日期", "腾地时间"}},
        {F::delivered_on, "delivered_on", false, {"交地日期", "交地时间"}},
    };
    return infos;
}

const FieldInfo& info(LedgerField f) {
    for (const auto& i : field_infos())
        if (i.field == f)
            return i;
    return field_infos().front();
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
}

// "面积（亩）", "面积 (亩)", "面积\n(亩)" and "面积【亩】" all become "面积(亩)"; "m²" and "㎡"
// become "m2" (NFKC, which also turns full-width letters and digits into ASCII); ASCII
// lower-cased.
std::string normalise_header(const std::string& header) {
    std::string s = text::nfkc(header);
    for (auto [from, to] : {std::pair{"[", "("}, std::pair{"]", ")"},
                            std::pair{"\xE3\x80\x90", "("}, std::pair{"\xE3\x80\x91", ")"}})
        replace_all(s, from, to);
    std::string out;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::optional<AreaUnit> parse_unit(std::string unit) {
    if (unit.rfind("单位:", 0) == 0)
        unit = unit.substr(std::string("单位:").size());
    if (unit == "亩" || unit == "mu")
        return AreaUnit::mu;
    if (unit == "平方米" || unit == "平米" || unit == "m2" || unit == "sqm")
        return AreaUnit::m2;
    if (unit == "公顷" || unit == "ha" || unit == "hm2")
        return AreaUnit::hectare;
    return std::nullopt;
}

// A normalised header split into its base and unit: "面积(平方米)", "面积/平方米", "面积m2" ->
// {面积, m2}; the contract spellings area_mu / area_m2 / area_ha as well. unit_given is false for
// a bare "面积" (亩 unless a title row says 单位：…); unit is empty for a unit that is not an
// area (面积(万元)).
struct SplitHeader {
    std::string base;
    std::optional<AreaUnit> unit;
    bool unit_given = false;
};

SplitHeader split_unit(const std::string& h) {
    auto open = h.find('(');
    if (open != std::string::npos && open > 0 && h.back() == ')')
        return {h.substr(0, open), parse_unit(h.substr(open + 1, h.size() - open - 2)), true};
    if (auto slash = h.rfind('/'); slash != std::string::npos && slash > 0)
        if (auto u = parse_unit(h.substr(slash + 1)))
            return {h.substr(0, slash), u, true};
    for (auto [suffix, unit] :
         {std::pair{"_mu", AreaUnit::mu}, std::pair{"_m2", AreaUnit::m2},
          std::pair{"_ha", AreaUnit::hectare}, std::pair{"平方米", AreaUnit::m2},
          std::pair{"m2", AreaUnit::m2}, std::pair{"公顷", AreaUnit::hectare},
          std::pair{"亩", AreaUnit::mu}}) {
        std::string_view sv = suffix;
        if (h.size() > sv.size() && h.compare(h.size() - sv.size(), sv.size(), sv) == 0)
            return {h.substr(0, h.size() - sv.size()), unit, true};
    }
    return {h, AreaUnit::mu, false};
}

struct Recognised {
    LedgerField field;
    AreaUnit unit = AreaUnit::mu;
    bool unit_given = false;
};

// The field and unit a header names, if any.
std::optional<Recognised> recognise(const std::string& header) {
    auto h = normalise_header(header);
    if (h.empty())
        return std::nullopt;
    for (const auto& i : field_infos())
        if (std::find(i.headers.begin(), i.headers.end(), h) != i.headers.end() || h == i.name)
            return Recognised{i.field, AreaUnit::mu, false};
    auto split = split_unit(h);
    for (const auto& i : field_infos()) {
        bool named = split.base == i.name ||
                     std::find(i.headers.begin(), i.headers.end(), split.base) != i.headers.end();
        if (!named || !i.area)
            continue; // a plain name such as 项目 must match the whole header
        if (!split.unit)
            return std::nullopt; // 面积(万元) is not an area
        return Recognised{i.field, *split.unit, split.unit_given};
    }
    return std::nullopt;
}

// The mapping file's "ledger" section: field -> candidate headers. Keys are the field names,
// area fields with their unit: area_mu, area_m2, area_ha, acquired_mu, ...
struct LedgerMapping {
    std::vector<std::tuple<LedgerField, AreaUnit, std::vector<std::string>>> rules;
};

LedgerMapping load_ledger_mapping(const std::string& path) {
    LedgerMapping m;
    if (path.empty())
        return m;
    nlohmann::json j =
        read_mapping_json(path, "give a JSON file with a \"ledger\" section, e.g. {\"ledger\": "
                                "{\"parcel_code\": \"地块号\", \"area_mu\": \"合计\"}}");
    if (!j.is_object() || !j.contains("ledger"))
        throw_input(fmt::format("mapping {} has no \"ledger\" section", path),
                    "add {\"ledger\": {\"parcel_code\": \"地块号\", \"area_mu\": \"合计\", ...}}; "
                    "the other sections are for import");
    const auto& l = j["ledger"];
    if (!l.is_object())
        throw_input(fmt::format("mapping {}: \"ledger\" must be an object of field: column", path));
    for (const auto& [key, value] : l.items()) {
        if (key == "comment")
            continue;
        auto split = split_unit(normalise_header(key));
        const auto& base = split.base;
        auto unit = split.unit;
        const FieldInfo* found = nullptr;
        for (const auto& i : field_infos())
            if (base == i.name || (i.area && base + "_area" == i.name))
                found = &i;
        if (!found || !unit || (!found->area && base != key))
            throw_input(fmt::format("mapping {}: ledger has no field '{}'", path, key),
                        "ledger fields: parcel_code, project_code, project_name, unit, area_mu "
                        "(or _m2, _ha), acquired_mu, cleared_mu, delivered_mu, acquired_on, "
                        "cleared_on, delivered_on");
        std::vector<std::string> names;
        if (value.is_string())
            names.push_back(value.get<std::string>());
        else if (value.is_array())
            for (const auto& v : value)
                if (v.is_string())
                    names.push_back(v.get<std::string>());
        if (names.empty())
            throw_input(fmt::format("mapping {}: ledger.{} must name a column or a list of them",
                                    path, key));
        m.rules.emplace_back(found->field, *unit, names);
    }
    return m;
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// NFKC only where it can change something: most cells of a ledger are ASCII codes and figures.
std::string folded(const std::string& s) {
    return is_ascii(s) ? s : text::nfkc(s);
}

bool is_totals_label(const std::string& s) {
    if (is_ascii(s))
        return false; // 合计, 总计, ... are Chinese
    std::string t;
    for (char c : text::nfkc(s))
        if (c != ' ')
            t += c;
    for (const char* label : {"合计", "总计", "小计", "累计", "总和"})
        if (t.rfind(label, 0) == 0)
            return true;
    return false;
}

using GridCell = SheetCell;
using GridRow = SheetRow;

// The shortest text that reads back as the same double (no float noise: 64.6, not
// 64.599999999999994).
std::string shortest(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : fmt::format("{}", v);
}

// The sheet as rows of cells, title rows and header included: the field names of an XLSX/ODS
// (headers forced) or any other source are its first row; a CSV is read without a header.
std::vector<GridRow> read_grid(const Source& source) {
    auto& layer = source.layer();
    auto* defn = layer.GetLayerDefn();
    const int n = defn->GetFieldCount();
    std::vector<GridRow> grid;
    bool csv = source.driver() == "CSV";
    bool row_is_fid = csv || source.driver() == "XLSX" || source.driver() == "ODS";
    if (!csv) {
        GridRow names{1, {}};
        for (int i = 0; i < n; ++i) {
            GridCell c;
            std::string name = defn->GetFieldDefn(i)->GetNameRef();
            // GDAL names an empty header cell FieldN after its column.
            if (name != fmt::format("Field{}", i + 1)) {
                auto t = source.text(name.c_str());
                c.not_utf8 = !t;
                c.text = t ? text::trim(*t) : std::string();
            }
            names.cells.push_back(std::move(c));
        }
        grid.push_back(std::move(names));
    }
    layer.ResetReading();
    for (auto& f : layer) {
        GridRow r;
        r.row = static_cast<int>(row_is_fid ? f->GetFID() : f->GetFID() + 2);
        r.cells.resize(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) {
            if (!f->IsFieldSetAndNotNull(i))
                continue;
            auto& c = r.cells[static_cast<size_t>(i)];
            auto type = defn->GetFieldDefn(i)->GetType();
            if (type == OFTInteger || type == OFTInteger64 || type == OFTReal) {
                c.number = f->GetFieldAsDouble(i);
                c.text = shortest(*c.number);
            } else if (type == OFTDate || type == OFTDateTime) {
                int y = 0, m = 0, d = 0, hh = 0, mm = 0, tz = 0;
                float ss = 0;
                f->GetFieldAsDateTime(i, &y, &m, &d, &hh, &mm, &ss, &tz);
                c.text = fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
                try {
                    c.date = Date(y, m, d);
                } catch (const Error&) {
                }
            } else {
                auto t = source.text(f->GetFieldAsString(i));
                c.not_utf8 = !t;
                c.text = t ? text::trim(*t) : std::string();
            }
        }
        grid.push_back(std::move(r));
    }
    return grid;
}

// A cell's date: a date cell, an Excel day number (days from 1899-12-30, when the cell is not
// formatted as a date) as a number or as text, or any spelling parse_date reads.
std::optional<Date> cell_date(const GridCell& cell) {
    if (cell.date)
        return cell.date;
    auto day_number = [](double v) -> std::optional<Date> {
        if (v >= 20000 && v < 80000 && std::floor(v) == v)
            return Date::from_days(static_cast<long>(v) - 25569);
        return std::nullopt;
    };
    if (cell.number)
        if (auto d = day_number(*cell.number))
            return d;
    if (cell.not_utf8 || cell.text.empty())
        return std::nullopt;
    auto s = folded(cell.text);
    double v = 0;
    if (auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        ec == std::errc() && ptr == s.data() + s.size())
        if (auto d = day_number(v))
            return d;
    return parse_date(s);
}

class RowReader {
public:
    std::optional<std::string> text(const LedgerColumn& c, const GridCell& cell) {
        if (cell.not_utf8) {
            problem(c, "文字不是 UTF-8（请用 --encoding 指定编码）",
                    "the text is not UTF-8 (pass its encoding with --encoding)");
            return std::nullopt;
        }
        if (cell.text.empty())
            return std::nullopt;
        return cell.text;
    }

    // Full-width digits (１２３．４５), thousands separators (1,234.5 or 1，234.5) and a unit
    // written in the cell (2000平方米, which then overrides the column's unit).
    std::optional<double> number(const LedgerColumn& c, const GridCell& cell) {
        if (cell.number)
            return to_mu(*cell.number, c.unit);
        auto t = text(c, cell);
        if (!t)
            return std::nullopt;
        std::string s;
        for (char ch : folded(*t))
            if (ch != ',' && ch != ' ')
                s += ch;
        AreaUnit unit = c.unit;
        for (auto [word, u] :
             {std::pair{"亩", AreaUnit::mu}, std::pair{"平方米", AreaUnit::m2},
              std::pair{"m2", AreaUnit::m2}, std::pair{"公顷", AreaUnit::hectare}}) {
            std::string_view w = word;
            if (s.size() > w.size() && s.compare(s.size() - w.size(), w.size(), w) == 0) {
                s.resize(s.size() - w.size());
                unit = u;
                break;
            }
        }
        double v = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
            problem(c, fmt::format("无法将“{}”读作数字", *t),
                    fmt::format("cannot read '{}' as a number", *t));
            return std::nullopt;
        }
        return to_mu(v, unit);
    }

    std::optional<Date> date(const LedgerColumn& c, const GridCell& cell) {
        if (cell.date)
            return cell.date;
        if (cell.number)
            if (auto d = cell_date(cell))
                return d;
        auto t = text(c, cell);
        if (!t)
            return std::nullopt;
        auto d = cell_date(cell);
        if (!d)
            problem(c, fmt::format("无法将“{}”读作日期", *t),
                    fmt::format("cannot read '{}' as a date", *t));
        return d;
    }

    const std::vector<Phrase>& problems() const { return m_problems; }

private:
    void problem(const LedgerColumn& c, const std::string& zh, const std::string& en) {
        m_problems.push_back(
            {fmt::format("{} 列：{}", c.header, zh), fmt::format("column {}: {}", c.header, en)});
    }

    std::vector<Phrase> m_problems;
};

// The sheet as a Source (XLSX/ODS headers forced, CSV without header, an encoding detected
// when a CSV does not declare one and is not UTF-8).
std::unique_ptr<Source> open_ledger(const LedgerOptions& options, Ledger& ledger,
                                    const char* option = "--ledger") {
    SourceSpec spec{options.path, options.sheet};
    SourceOptions so;
    so.encoding = options.encoding;
    so.spreadsheet = true;
    std::unique_ptr<Source> source;
    try {
        source = std::make_unique<Source>(spec, so);
    } catch (Error& e) {
        if (e.message().find("several layers") != std::string::npos ||
            e.message().find("has no layer") != std::string::npos)
            e.set_hint("name the sheet with --sheet NAME");
        if (*option)
            e.add_context(option);
        throw;
    }
    ledger.display = spec.display();
    ledger.encoding = !options.encoding.empty()              ? options.encoding
                      : !source->detected_encoding().empty() ? source->detected_encoding()
                                                             : "UTF-8";
    return source;
}

bool matches_mapping(const LedgerMapping& mapping, const std::string& header) {
    for (const auto& [field, unit, names] : mapping.rules)
        for (const auto& name : names)
            if (normalise_header(header) == normalise_header(name))
                return true;
    return false;
}

bool known_header(const LedgerMapping& mapping, const std::string& header) {
    return !header.empty() && (matches_mapping(mapping, header) || recognise(header));
}

bool looks_numeric(const GridCell& c) {
    if (c.number)
        return true;
    auto s = folded(c.text);
    s.erase(std::remove(s.begin(), s.end(), ','), s.end());
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

// The header row: the first of the top rows with two cells that are known headers (title
// rows, 制表单位 and 日期 rows above it are skipped; a 单位：平方米 among them sets the unit
// of area columns whose header has none). A header merged over two rows (面积 over 亩 and
// 平方米, 宗地编号 merged down) is joined column by column.
struct HeaderFound {
    size_t index = 0; // of the header's last row in the grid
    std::vector<std::string> headers;
    std::optional<AreaUnit> default_unit;
    int title_rows = 0;
    bool two_rows = false;
};

HeaderFound find_header(const LedgerMapping& mapping, const std::vector<GridRow>& grid) {
    HeaderFound h;
    size_t limit = std::min<size_t>(grid.size(), 30);
    size_t found = SIZE_MAX;
    for (size_t r = 0; r < limit && found == SIZE_MAX; ++r) {
        int known = 0;
        for (const auto& c : grid[r].cells)
            known += known_header(mapping, c.text) ? 1 : 0;
        if (known >= 2)
            found = r;
    }
    if (found == SIZE_MAX)
        found = 0; // bind_columns names what it saw
    for (size_t r = 0; r < found; ++r)
        for (const auto& c : grid[r].cells) {
            auto n = normalise_header(c.text);
            auto at = n.find("单位:");
            if (at != std::string::npos)
                if (auto u = parse_unit(n.substr(at)))
                    h.default_unit = u;
        }
    for (size_t r = 0; r < found; ++r)
        h.title_rows += std::any_of(grid[r].cells.begin(), grid[r].cells.end(),
                                    [](const GridCell& c) { return !c.empty(); });
    const auto& top = grid.empty() ? GridRow{} : grid[found];
    h.headers.resize(top.cells.size());
    for (size_t i = 0; i < top.cells.size(); ++i)
        h.headers[i] = top.cells[i].text;
    h.index = found;

    // The row below is a second header row when it holds only text, none of it a number, and
    // nothing under the key column (merged down from the row above).
    if (found + 1 >= grid.size())
        return h;
    const auto& sub = grid[found + 1].cells;
    bool any = false, text_only = true, key_empty = true;
    for (size_t i = 0; i < sub.size(); ++i) {
        if (sub[i].empty())
            continue;
        any = true;
        text_only = text_only && !looks_numeric(sub[i]) && !sub[i].date;
        auto r = recognise(h.headers[i]);
        if (r && (r->field == LedgerField::parcel_code || r->field == LedgerField::project_code ||
                  r->field == LedgerField::project_name))
            key_empty = false;
    }
    if (!any || !text_only || !key_empty)
        return h;
    std::vector<std::string> joined(h.headers.size());
    std::string parent;
    for (size_t i = 0; i < h.headers.size(); ++i) {
        if (!h.headers[i].empty())
            parent = h.headers[i];
        const std::string& s = i < sub.size() ? sub[i].text : std::string();
        if (s.empty()) {
            joined[i] = h.headers[i];
            continue;
        }
        std::string up = h.headers[i].empty() ? parent : h.headers[i];
        joined[i] = up.empty() ? s : up + "(" + s + ")";
        for (const auto& candidate : {up + "(" + s + ")", up + s, s})
            if (known_header(mapping, candidate)) {
                joined[i] = candidate;
                break;
            }
    }
    h.headers = std::move(joined);
    h.index = found + 1;
    h.two_rows = true;
    return h;
}

// Each field goes to the first column the mapping file names for it, else to the first column
// whose header it recognises; a column serves one field at most.
void bind_columns(const LedgerMapping& mapping, const std::vector<std::string>& headers,
                  std::optional<AreaUnit> default_unit, Ledger& ledger) {
    std::vector<bool> used(headers.size(), false);
    auto bind = [&](LedgerField field, int index, AreaUnit unit) {
        if (ledger.has(field) || used[static_cast<size_t>(index)])
            return;
        used[static_cast<size_t>(index)] = true;
        ledger.columns.push_back({field, index, headers[static_cast<size_t>(index)], unit});
    };
    for (const auto& [field, unit, names] : mapping.rules)
        for (const auto& name : names)
            for (size_t i = 0; i < headers.size(); ++i)
                if (!headers[i].empty() && normalise_header(headers[i]) == normalise_header(name))
                    bind(field, static_cast<int>(i), unit);
    for (size_t i = 0; i < headers.size(); ++i)
        if (auto r = recognise(headers[i]))
            bind(r->field, static_cast<int>(i),
                 r->unit_given || !default_unit ? r->unit : *default_unit);

    bool any_area = ledger.has(LedgerField::area) || ledger.has(LedgerField::acquired_area) ||
                    ledger.has(LedgerField::cleared_area) ||
                    ledger.has(LedgerField::delivered_area);
    bool any_key = ledger.has(LedgerField::parcel_code) || ledger.has(LedgerField::project_code) ||
                   ledger.has(LedgerField::project_name);
    if (!any_area || !any_key) {
        std::vector<std::string> shown;
        for (const auto& h : headers)
            if (!h.empty())
                shown.push_back(h);
        throw_input(fmt::format("{}: no {} column among: {}", ledger.display,
                                !any_key ? "宗地编号 / 项目编号 / 项目名称"
                                         : "area (面积(亩), 征地面积, ...)",
                                fmt::join(shown, ", ")),
                    "rename the column, or name it in a mapping file: --map FILE with "
                    "{\"ledger\": {\"parcel_code\": \"...\", \"area_mu\": \"...\"}}");
    }
}

// Reads the bound columns of one line into row; false when every cell is empty.
bool read_row(const std::vector<LedgerColumn>& columns, const GridRow& g, RowReader& rd,
              LedgerRow& row) {
    static const GridCell none;
    bool any = false;
    for (const auto& c : columns) {
        const auto& cell = static_cast<size_t>(c.index) < g.cells.size()
                               ? g.cells[static_cast<size_t>(c.index)]
                               : none;
        any = any || !cell.empty();
        switch (c.field) {
        case LedgerField::parcel_code:
        case LedgerField::project_code:
        case LedgerField::project_name:
        case LedgerField::unit: {
            auto t = rd.text(c, cell);
            if (!t)
                break;
            auto& target = c.field == LedgerField::parcel_code    ? row.parcel_code
                           : c.field == LedgerField::project_code ? row.project_code
                           : c.field == LedgerField::project_name ? row.project_name
                                                                  : row.unit;
            target = *t;
            break;
        }
        case LedgerField::area:
        case LedgerField::acquired_area:
        case LedgerField::cleared_area:
        case LedgerField::delivered_area: {
            auto v = rd.number(c, cell);
            auto& target = c.field == LedgerField::area            ? row.area_mu
                           : c.field == LedgerField::acquired_area ? row.acquired_mu
                           : c.field == LedgerField::cleared_area  ? row.cleared_mu
                                                                   : row.delivered_mu;
            target = v;
            break;
        }
        case LedgerField::acquired_on:
        case LedgerField::cleared_on:
        case LedgerField::delivered_on: {
            auto d = rd.date(c, cell);
            auto& target = c.field == LedgerField::acquired_on  ? row.acquired_on
                           : c.field == LedgerField::cleared_on ? row.cleared_on
                                                                : row.delivered_on;
            target = d;
            break;
        }
        }
    }
    return any;
}

bool is_area_field(LedgerField f) {
    return f == LedgerField::area || f == LedgerField::acquired_area ||
           f == LedgerField::cleared_area || f == LedgerField::delivered_area;
}

// The ledger's last 合计 row against the sum of the rows above it, column by column.
void check_totals(const std::optional<LedgerRow>& totals, Ledger& ledger) {
    if (!totals)
        return;
    for (const auto& c : ledger.columns) {
        if (!is_area_field(c.field))
            continue;
        auto stated = ledger_area(*totals, c.field);
        if (!stated)
            continue;
        LedgerTotalsCheck check{totals->row, c.header, *stated, 0, 0};
        for (const auto& r : ledger.rows)
            if (auto v = ledger_area(r, c.field)) {
                check.sum_mu += *v;
                ++check.rows;
            }
        ledger.totals_checks.push_back(check);
    }
}

} // namespace

std::optional<double> ledger_area(const LedgerRow& row, LedgerField f) {
    switch (f) {
    case LedgerField::area:
        return row.area_mu;
    case LedgerField::acquired_area:
        return row.acquired_mu;
    case LedgerField::cleared_area:
        return row.cleared_mu;
    case LedgerField::delivered_area:
        return row.delivered_mu;
    default:
        return std::nullopt;
    }
}

double to_mu(double v, AreaUnit unit) {
    switch (unit) {
    case AreaUnit::mu:
        return v;
    case AreaUnit::m2:
        return m2_to_mu(v);
    case AreaUnit::hectare:
        return v * 15.0;
    }
    return v;
}

double from_mu(double mu, AreaUnit unit) {
    switch (unit) {
    case AreaUnit::mu:
        return mu;
    case AreaUnit::m2:
        return mu * 2000.0 / 3.0;
    case AreaUnit::hectare:
        return mu / 15.0;
    }
    return mu;
}

const char* area_unit_zh(AreaUnit unit) {
    switch (unit) {
    case AreaUnit::mu:
        return "亩";
    case AreaUnit::m2:
        return "平方米";
    case AreaUnit::hectare:
        return "公顷";
    }
    return "";
}

const char* ledger_field_name(LedgerField field) {
    return info(field).name;
}

std::vector<std::string> ledger_header_names(LedgerField field) {
    return info(field).headers;
}

const LedgerColumn* Ledger::column(LedgerField field) const {
    for (const auto& c : columns)
        if (c.field == field)
            return &c;
    return nullptr;
}

Ledger read_ledger(const LedgerOptions& options) {
    auto mapping = load_ledger_mapping(options.mapping);
    Ledger ledger;
    std::unique_ptr<Source> source = open_ledger(options, ledger);
    auto grid = read_grid(*source);
    // Text in an encoding that could not be told with confidence: say what the guess would
    // show rather than read every row as garbage or as unreadable.
    if (!source->encoding_guess().charset.empty() && !source->encoding_guess().confident())
        throw_input(fmt::format("{}: the text is not UTF-8", ledger.display),
                    source->encoding_hint());

    auto header = find_header(mapping, grid);
    ledger.headers = header.headers;
    ledger.header_row = grid.empty() ? 1 : grid[header.index].row;
    bind_columns(mapping, header.headers, header.default_unit, ledger);
    if (header.title_rows > 0 || header.two_rows) {
        int last = grid[header.index].row, first = header.two_rows ? last - 1 : last;
        std::string rows_zh = header.two_rows ? fmt::format("第 {}–{} 行", first, last)
                                              : fmt::format("第 {} 行", last);
        std::string rows_en =
            header.two_rows ? fmt::format("rows {}–{}", first, last) : fmt::format("row {}", last);
        std::vector<std::string> shown;
        for (const auto& h : ledger.headers)
            if (!h.empty())
                shown.push_back(h);
        ledger.notes.push_back(
            {fmt::format(
                 "表头在{}{}{}", rows_zh,
                 header.title_rows > 0 ? fmt::format("，其上 {} 行标题已跳过", header.title_rows)
                                       : "",
                 header.two_rows
                     ? fmt::format("；两行表头（合并单元格）读作：{}", fmt::join(shown, "、"))
                     : ""),
             fmt::format("header in {}{}{}", rows_en,
                         header.title_rows > 0
                             ? fmt::format(", {} title row(s) above it skipped", header.title_rows)
                             : "",
                         header.two_rows ? fmt::format("; the two-row (merged) header reads: {}",
                                                       fmt::join(shown, ", "))
                                         : "")});
    }
    if (!source->detected_encoding().empty())
        ledger.notes.push_back(
            {fmt::format("台账文字编码：{}（自动识别，可信度 {:.2f}）",
                         source->encoding_guess().label, source->encoding_guess().confidence),
             fmt::format("ledger text encoding: {} (detected, confidence {:.2f})",
                         source->encoding_guess().label, source->encoding_guess().confidence)});

    std::optional<LedgerRow> last_totals;
    for (size_t g = header.index + 1; g < grid.size(); ++g) {
        const auto& line = grid[g];
        RowReader rd;
        LedgerRow row;
        row.row = line.row;
        bool totals = false;
        for (const auto& c : line.cells)
            totals = totals || (!c.text.empty() && is_totals_label(c.text) && !looks_numeric(c));
        bool any = read_row(ledger.columns, line, rd, row);
        if (!any)
            continue; // an empty line
        if (totals) {
            auto v = row.area_mu       ? row.area_mu
                     : row.acquired_mu ? row.acquired_mu
                     : row.cleared_mu  ? row.cleared_mu
                                       : row.delivered_mu;
            ledger.total_rows.emplace_back(row.row, v);
            last_totals = row;
            continue;
        }
        if (!rd.problems().empty()) {
            Phrase all;
            for (const auto& p : rd.problems())
                all.append(p);
            ledger.problems.push_back({row.row, all.zh, all.en});
            continue;
        }
        std::vector<std::string> cells;
        for (const auto& c : line.cells)
            cells.push_back(c.text);
        cells.resize(ledger.headers.size());
        ledger.cells.push_back(std::move(cells));
        ledger.rows.push_back(std::move(row));
    }
    if (ledger.rows.empty() && ledger.problems.empty())
        throw_input(fmt::format("{} is empty: below its header (row {}) there is no row to "
                                "reconcile{}",
                                ledger.display, ledger.header_row,
                                ledger.total_rows.empty() ? "" : ", only a 合计 row"),
                    "fill in the ledger's rows, or choose the sheet that holds them with --sheet");
    check_totals(last_totals, ledger);
    return ledger;
}

Sheet read_sheet(const LedgerOptions& options) {
    Ledger ledger;
    std::unique_ptr<Source> source = open_ledger(options, ledger, "");
    Sheet sheet;
    sheet.rows = read_grid(*source);
    if (!source->encoding_guess().charset.empty() && !source->encoding_guess().confident())
        throw_input(fmt::format("{}: the text is not UTF-8", ledger.display),
                    source->encoding_hint());
    sheet.display = ledger.display;
    sheet.encoding = ledger.encoding;
    return sheet;
}

std::string normalise_sheet_header(const std::string& header) {
    return normalise_header(header);
}

std::optional<double> sheet_number(const SheetCell& cell) {
    if (cell.number)
        return cell.number;
    if (cell.not_utf8 || cell.text.empty() || !looks_numeric(cell))
        return std::nullopt;
    auto s = folded(cell.text);
    s.erase(std::remove(s.begin(), s.end(), ','), s.end());
    double v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

std::optional<Date> sheet_date(const SheetCell& cell) {
    return cell_date(cell);
}

bool sheet_totals_label(const std::string& text) {
    return is_totals_label(text);
}

} // namespace landclear

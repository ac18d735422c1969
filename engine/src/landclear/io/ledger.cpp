#include "landclear/io/ledger.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/core/units.hpp"
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

// "面积（亩）", "面积 (亩)" and "面积\n(亩)" all become "面积(亩)"; ASCII lower-cased.
std::string normalise_header(std::string s) {
    for (auto [from, to] :
         {std::pair{"\xEF\xBC\x88", "("}, std::pair{"\xEF\xBC\x89", ")"}, std::pair{"[", "("},
          std::pair{"]", ")"}, std::pair{"\xE3\x80\x90", "("}, std::pair{"\xE3\x80\x91", ")"},
          std::pair{"\xE3\x80\x80", ""}, std::pair{"\xEF\xBC\x9A", ":"}})
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
    if (unit.empty() || unit == "亩" || unit == "mu")
        return AreaUnit::mu;
    if (unit == "平方米" || unit == "平米" || unit == "m2" || unit == "m\xC2\xB2" ||
        unit == "\xE3\x8E\xA1")
        return AreaUnit::m2;
    if (unit == "公顷" || unit == "ha" || unit == "hm2")
        return AreaUnit::hectare;
    return std::nullopt;
}

// Splits a normalised header into its base and unit: "面积(平方米)" -> {面积, m2}; the contract
// spellings area_mu / area_m2 / area_ha as well.
std::pair<std::string, std::optional<AreaUnit>> split_unit(const std::string& h) {
    auto open = h.find('(');
    if (open != std::string::npos && open > 0 && h.back() == ')')
        return {h.substr(0, open), parse_unit(h.substr(open + 1, h.size() - open - 2))};
    for (auto [suffix, unit] : {std::pair{"_mu", AreaUnit::mu}, std::pair{"_m2", AreaUnit::m2},
                                std::pair{"_ha", AreaUnit::hectare}}) {
        std::string_view sv = suffix;
        if (h.size() > sv.size() && h.compare(h.size() - sv.size(), sv.size(), sv) == 0)
            return {h.substr(0, h.size() - sv.size()), unit};
    }
    return {h, AreaUnit::mu};
}

// The field and unit a header names, if any.
std::optional<std::pair<LedgerField, AreaUnit>> recognise(const std::string& header) {
    auto h = normalise_header(header);
    auto [base, unit] = split_unit(h);
    for (const auto& i : field_infos()) {
        bool named = base == i.name ||
                     std::find(i.headers.begin(), i.headers.end(), base) != i.headers.end();
        // A plain name such as 项目 must match the whole header (项目(亩) is not a name).
        if (!named && std::find(i.headers.begin(), i.headers.end(), h) != i.headers.end())
            return std::pair{i.field, AreaUnit::mu};
        if (!named)
            continue;
        if (i.area) {
            if (!unit)
                return std::nullopt; // 面积(万元) is not an area
            return std::pair{i.field, *unit};
        }
        if (base == h)
            return std::pair{i.field, AreaUnit::mu};
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
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw_input(fmt::format("mapping file {} cannot be read", path),
                    "give a JSON file with a \"ledger\" section, e.g. {\"ledger\": "
                    "{\"parcel_code\": \"地块号\", \"area_mu\": \"合计\"}}");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw_input(fmt::format("mapping {} is not valid JSON: {}", path, e.what()));
    }
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
        auto [base, unit] = split_unit(normalise_header(key));
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

bool is_totals_label(const std::string& s) {
    for (const char* label : {"合计", "总计", "小计", "累计", "总和"})
        if (s.rfind(label, 0) == 0)
            return true;
    return false;
}

class RowReader {
public:
    RowReader(const Source& source, OGRFeature& f) : m_source(source), m_f(f) {}

    std::optional<std::string> text(const LedgerColumn& c) {
        if (!m_f.IsFieldSetAndNotNull(c.index))
            return std::nullopt;
        auto t = m_source.text(m_f.GetFieldAsString(c.index));
        if (!t) {
            problem(c, "the text is not UTF-8 (for a GBK file pass --encoding GBK)");
            return std::nullopt;
        }
        auto s = text::trim(*t);
        if (s.empty())
            return std::nullopt;
        return s;
    }

    std::optional<double> number(const LedgerColumn& c) {
        if (!m_f.IsFieldSetAndNotNull(c.index))
            return std::nullopt;
        auto type = m_f.GetFieldDefnRef(c.index)->GetType();
        if (type == OFTInteger || type == OFTInteger64 || type == OFTReal)
            return to_mu(m_f.GetFieldAsDouble(c.index), c.unit);
        auto t = text(c);
        if (!t)
            return std::nullopt;
        std::string s;
        for (char ch : *t)
            if (ch != ',' && ch != ' ')
                s += ch;
        for (const char* unit : {"亩", "平方米", "\xE3\x8E\xA1", "公顷"})
            if (s.size() > std::strlen(unit) &&
                s.compare(s.size() - std::strlen(unit), std::string::npos, unit) == 0)
                s.resize(s.size() - std::strlen(unit));
        double v = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
            problem(c, fmt::format("cannot read '{}' as a number", *t));
            return std::nullopt;
        }
        return to_mu(v, c.unit);
    }

    std::optional<Date> date(const LedgerColumn& c) {
        if (!m_f.IsFieldSetAndNotNull(c.index))
            return std::nullopt;
        auto type = m_f.GetFieldDefnRef(c.index)->GetType();
        if (type == OFTDate || type == OFTDateTime) {
            int y = 0, m = 0, d = 0, hh = 0, mm = 0, tz = 0;
            float ss = 0;
            m_f.GetFieldAsDateTime(c.index, &y, &m, &d, &hh, &mm, &ss, &tz);
            try {
                return Date(y, m, d);
            } catch (const Error&) {
                problem(c, fmt::format("{:04d}-{:02d}-{:02d} is not a calendar date", y, m, d));
                return std::nullopt;
            }
        }
        if (type == OFTInteger || type == OFTInteger64 || type == OFTReal) {
            double v = m_f.GetFieldAsDouble(c.index);
            // Excel keeps dates as day numbers from 1899-12-30 when the cell is not formatted.
            if (v >= 20000 && v < 80000 && std::floor(v) == v)
                return Date::from_days(static_cast<long>(v) - 25569);
        }
        auto t = text(c);
        if (!t)
            return std::nullopt;
        auto d = parse_date(*t);
        if (!d)
            problem(c, fmt::format("cannot read '{}' as a date", *t));
        return d;
    }

    const std::vector<std::string>& problems() const { return m_problems; }

private:
    void problem(const LedgerColumn& c, const std::string& what) {
        m_problems.push_back(fmt::format("column {}: {}", c.header, what));
    }

    const Source& m_source;
    OGRFeature& m_f;
    std::vector<std::string> m_problems;
};

std::string recode_name(const Source& s, const char* raw) {
    if (s.recode_from().empty())
        return raw;
    char* r = CPLRecode(raw, s.recode_from().c_str(), CPL_ENC_UTF8);
    std::string out = r ? r : "";
    CPLFree(r);
    return out;
}

// The sheet as a Source; a CSV saved by Excel on a Chinese Windows is GBK: when the headers are
// not UTF-8 and no encoding was given, it is read again as GBK.
std::unique_ptr<Source> open_ledger(const LedgerOptions& options, Ledger& ledger) {
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
        e.add_context("--ledger");
        throw;
    }
    ledger.display = spec.display();
    ledger.encoding = options.encoding.empty() ? "UTF-8" : options.encoding;

    auto headers_utf8 = [](OGRLayer& layer) {
        auto* defn = layer.GetLayerDefn();
        for (int i = 0; i < defn->GetFieldCount(); ++i)
            if (!CPLIsUTF8(defn->GetFieldDefn(i)->GetNameRef(), -1))
                return false;
        return true;
    };
    if (options.encoding.empty() && !headers_utf8(source->layer())) {
        so.encoding = "GBK";
        source = std::make_unique<Source>(spec, so);
        ledger.encoding = "GBK (detected)";
    }
    return source;
}

// Each field goes to the first column the mapping file names for it, else to the first column
// whose header it recognises; a column serves one field at most.
void bind_columns(const LedgerMapping& mapping, const std::vector<std::string>& headers,
                  Ledger& ledger) {
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
                if (normalise_header(headers[i]) == normalise_header(name))
                    bind(field, static_cast<int>(i), unit);
    for (size_t i = 0; i < headers.size(); ++i)
        if (auto r = recognise(headers[i]))
            bind(r->first, static_cast<int>(i), r->second);

    bool any_area = ledger.has(LedgerField::area) || ledger.has(LedgerField::acquired_area) ||
                    ledger.has(LedgerField::cleared_area) ||
                    ledger.has(LedgerField::delivered_area);
    bool any_key = ledger.has(LedgerField::parcel_code) || ledger.has(LedgerField::project_code) ||
                   ledger.has(LedgerField::project_name);
    if (!any_area || !any_key)
        throw_input(fmt::format("{}: no {} column among: {}", ledger.display,
                                !any_key ? "宗地编号 / 项目编号 / 项目名称"
                                         : "area (面积(亩), 征地面积, ...)",
                                fmt::join(headers, ", ")),
                    "rename the column, or name it in a mapping file: --map FILE with "
                    "{\"ledger\": {\"parcel_code\": \"...\", \"area_mu\": \"...\"}}");
}

// Reads the bound columns of one line into row; false when every cell is empty.
bool read_row(const std::vector<LedgerColumn>& columns, OGRFeature& f, RowReader& rd,
              LedgerRow& row) {
    bool any = false;
    for (const auto& c : columns) {
        switch (c.field) {
        case LedgerField::parcel_code:
        case LedgerField::project_code:
        case LedgerField::project_name:
        case LedgerField::unit: {
            auto t = rd.text(c);
            if (!t)
                break;
            any = true;
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
            auto v = rd.number(c);
            any = any || v || f.IsFieldSetAndNotNull(c.index);
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
            auto d = rd.date(c);
            any = any || d || f.IsFieldSetAndNotNull(c.index);
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

// A line read goes to the totals, the problems or the rows.
void file_row(LedgerRow row, const RowReader& rd, Ledger& ledger) {
    if (is_totals_label(row.parcel_code) || is_totals_label(row.project_code) ||
        is_totals_label(row.project_name)) {
        auto v = row.area_mu       ? row.area_mu
                 : row.acquired_mu ? row.acquired_mu
                 : row.cleared_mu  ? row.cleared_mu
                                   : row.delivered_mu;
        ledger.total_rows.emplace_back(row.row, v);
        return;
    }
    if (!rd.problems().empty()) {
        ledger.problems.push_back({row.row, fmt::format("{}", fmt::join(rd.problems(), "; "))});
        return;
    }
    ledger.rows.push_back(std::move(row));
}

} // namespace

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

    auto& layer = source->layer();
    auto* defn = layer.GetLayerDefn();
    std::vector<std::string> headers;
    for (int i = 0; i < defn->GetFieldCount(); ++i)
        headers.push_back(recode_name(*source, defn->GetFieldDefn(i)->GetNameRef()));
    bind_columns(mapping, headers, ledger);

    bool row_is_fid = source->driver() == "XLSX" || source->driver() == "ODS";
    for (auto& f : layer) {
        RowReader rd(*source, *f);
        LedgerRow row;
        row.row = static_cast<int>(row_is_fid ? f->GetFID() : f->GetFID() + 1);
        bool any = read_row(ledger.columns, *f, rd, row);
        if (!any && rd.problems().empty())
            continue; // an empty line
        file_row(std::move(row), rd, ledger);
    }
    return ledger;
}

} // namespace landclear

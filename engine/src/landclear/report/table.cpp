#include "landclear/report/table.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/io/atomic_file.hpp"
#include "landclear/io/gdal_write.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <nlohmann/json.hpp>
#include <ogrsf_frmts.h>
#include <optional>
#include <unistd.h>

namespace landclear {

namespace {

std::string pad(const std::string& s, size_t width, bool right) {
    size_t w = text::display_width(s);
    std::string fill(width > w ? width - w : 0, ' ');
    return right ? fill + s : s + fill;
}

bool numeric(ColumnKind k) {
    return k != ColumnKind::text;
}

} // namespace

int decimals(ColumnKind kind) {
    switch (kind) {
    case ColumnKind::mu:
    case ColumnKind::m2:
    case ColumnKind::metres:
        return 2;
    case ColumnKind::percent:
        return 1;
    default:
        return 0;
    }
}

std::string format_cell(const Cell& cell, ColumnKind kind) {
    if (std::holds_alternative<std::monostate>(cell))
        return {};
    if (auto s = std::get_if<std::string>(&cell))
        return *s;
    if (auto i = std::get_if<std::int64_t>(&cell))
        return std::to_string(*i);
    double d = std::get<double>(cell);
    auto text = fmt::format("{:.{}f}", d, decimals(kind));
    if (text.size() > 1 && text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos)
        text.erase(0, 1); // "-0.00" after rounding a tiny negative
    return text;
}

std::string render_text(const Table& t, Lang lang) {
    std::vector<size_t> widths(t.columns.size());
    std::vector<std::vector<std::string>> cells;
    auto add = [&](const Row& row) {
        std::vector<std::string> out;
        for (size_t c = 0; c < t.columns.size(); ++c) {
            out.push_back(c < row.size() ? format_cell(row[c], t.columns[c].kind) : "");
            widths[c] = std::max(widths[c], text::display_width(out.back()));
        }
        cells.push_back(std::move(out));
    };
    for (size_t c = 0; c < t.columns.size(); ++c)
        widths[c] = text::display_width(t.columns[c].label(lang));
    for (const auto& r : t.rows)
        add(r);
    if (t.totals)
        add(labelled_totals(t, lang));

    std::string out;
    const auto& title = lang == Lang::zh ? t.title_zh : t.title_en;
    if (!title.empty())
        out += title + "\n";
    for (const auto& [k, v] : t.notes)
        out += k + ": " + v + "\n";
    auto line = [&](const std::vector<std::string>& values, bool header) {
        std::string l;
        for (size_t c = 0; c < values.size(); ++c) {
            if (c)
                l += "  ";
            l += pad(values[c], widths[c], !header && numeric(t.columns[c].kind));
        }
        while (!l.empty() && l.back() == ' ')
            l.pop_back();
        out += l + "\n";
    };
    std::vector<std::string> header;
    for (const auto& c : t.columns)
        header.push_back(c.label(lang));
    line(header, true);
    size_t total_width = 0;
    for (auto w : widths)
        total_width += w + 2;
    std::string rule(total_width > 2 ? total_width - 2 : 0, '-');
    out += rule + "\n";
    for (size_t r = 0; r < cells.size(); ++r) {
        if (t.totals && r + 1 == cells.size())
            out += rule + "\n";
        line(cells[r], false);
    }
    return out;
}

namespace {

nlohmann::ordered_json table_json(const Table& t, Lang lang) {
    using nlohmann::ordered_json;
    auto row_json = [&](const Row& row) {
        ordered_json o = ordered_json::object();
        for (size_t c = 0; c < t.columns.size() && c < row.size(); ++c) {
            const auto& cell = row[c];
            const auto& key = t.columns[c].key;
            if (std::holds_alternative<std::monostate>(cell))
                o[key] = nullptr;
            else if (auto s = std::get_if<std::string>(&cell))
                o[key] = *s;
            else if (auto i = std::get_if<std::int64_t>(&cell))
                o[key] = *i;
            else
                o[key] = std::get<double>(cell);
        }
        return o;
    };
    ordered_json j;
    j["table"] = t.name;
    j["title"] = lang == Lang::zh ? t.title_zh : t.title_en;
    for (const auto& [k, v] : t.notes)
        j["notes"][k] = v;
    ordered_json cols = ordered_json::array();
    for (const auto& c : t.columns)
        cols.push_back({{"key", c.key}, {"label", c.label(lang)}});
    j["columns"] = cols;
    j["rows"] = ordered_json::array();
    for (const auto& r : t.rows)
        j["rows"].push_back(row_json(r));
    if (t.totals)
        j["totals"] = row_json(labelled_totals(t, lang));
    return j;
}

} // namespace

std::string render_json(const Table& t, Lang lang) {
    return table_json(t, lang).dump(2) + "\n";
}

std::string render_json(const std::vector<Table>& tables, Lang lang) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    for (const auto& t : tables) {
        if (doc.contains(t.name))
            throw_internal(fmt::format("two tables named '{}' in one report", t.name));
        doc[t.name] = table_json(t, lang);
    }
    return doc.dump(2) + "\n";
}

void write_csv(const Table& t, Lang lang, const std::string& path) {
    bool to_stdout = path == "-";
    std::optional<AtomicFile> file;
    if (!to_stdout)
        file.emplace(path);
    std::string written = to_stdout ? "/vsistdout/" : file->temp().string();
    GdalErrorCapture capture; // failures outside the checked calls fail the write too
    gdal::Dataset ds("CSV", written, to_stdout ? "standard output" : path);
    const char* lco[] = {"WRITE_BOM=YES", "STRING_QUOTING=IF_NEEDED", nullptr};
    auto layer = ds.create_layer(t.name, nullptr, wkbNone, lco);
    for (const auto& c : t.columns)
        layer.add_field(c.label(lang), OFTString);
    auto write_row = [&](const Row& row) {
        gdal::Feature f(layer);
        for (size_t c = 0; c < t.columns.size() && c < row.size(); ++c)
            if (std::holds_alternative<std::string>(row[c]))
                // Names and codes come from users' files: never a formula in Excel.
                f->SetField(static_cast<int>(c),
                            text::neutralise_formula(std::get<std::string>(row[c])).c_str());
            else if (!std::holds_alternative<std::monostate>(row[c]))
                f->SetField(static_cast<int>(c), format_cell(row[c], t.columns[c].kind).c_str());
        f.add_to_layer();
    };
    for (const auto& r : t.rows)
        write_row(r);
    if (t.totals)
        write_row(labelled_totals(t, lang));
    ds.close();
    if (auto why = capture.errors(); !why.empty())
        throw_input(fmt::format("cannot write {}: {}", path, why));
    if (file)
        file->commit();
}

const char* totals_label(Lang lang) {
    return lang == Lang::zh ? "合计" : "Total";
}

Row labelled_totals(const Table& t, Lang lang) {
    Row r = *t.totals;
    if (!r.empty() && std::holds_alternative<std::monostate>(r.front()))
        r.front() = std::string(totals_label(lang));
    return r;
}

Lang parse_lang(const std::string& text, const std::string& option) {
    if (text == "zh")
        return Lang::zh;
    if (text == "en")
        return Lang::en;
    throw_usage(fmt::format("{} '{}' is not zh or en", option, text));
}

} // namespace landclear

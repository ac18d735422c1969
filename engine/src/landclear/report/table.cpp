#include "landclear/report/table.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/gdal_util.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <nlohmann/json.hpp>
#include <ogrsf_frmts.h>
#include <unistd.h>

namespace landclear {

namespace {

// Terminal columns taken by a UTF-8 string: East Asian wide characters take two.
size_t display_width(const std::string& s) {
    size_t width = 0;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        char32_t cp = c;
        int len = 1;
        if (c >= 0xF0 && i + 3 < s.size()) {
            cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
                 (s[i + 3] & 0x3Fu);
            len = 4;
        } else if (c >= 0xE0 && i + 2 < s.size()) {
            cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
            len = 3;
        } else if (c >= 0xC0 && i + 1 < s.size()) {
            cp = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
            len = 2;
        }
        bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
        width += wide ? 2 : 1;
        i += static_cast<size_t>(len);
    }
    return width;
}

std::string pad(const std::string& s, size_t width, bool right) {
    size_t w = display_width(s);
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
            widths[c] = std::max(widths[c], display_width(out.back()));
        }
        cells.push_back(std::move(out));
    };
    for (size_t c = 0; c < t.columns.size(); ++c)
        widths[c] = display_width(t.columns[c].label(lang));
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
    ensure_gdal_registered();
    namespace fs = std::filesystem;
    bool to_stdout = path == "-";
    std::string target = to_stdout ? "/vsistdout/" : path;
    std::string temp = to_stdout ? target : fmt::format("{}.tmp-{}.csv", path, ::getpid());
    {
        GdalErrorCapture capture;
        auto* driver = GetGDALDriverManager()->GetDriverByName("CSV");
        GDALDatasetUniquePtr ds(driver->Create(temp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!ds)
            throw_input(fmt::format("cannot write {}: {}", path, capture.last_error()),
                        "check that the folder exists and is writable");
        const char* lco[] = {"WRITE_BOM=YES", "STRING_QUOTING=IF_NEEDED", nullptr};
        OGRLayer* layer =
            ds->CreateLayer(t.name.c_str(), nullptr, wkbNone, const_cast<char**>(lco));
        for (const auto& c : t.columns) {
            OGRFieldDefn fd(c.label(lang).c_str(), OFTString);
            layer->CreateField(&fd);
        }
        auto write_row = [&](const Row& row) {
            OGRFeatureUniquePtr f(OGRFeature::CreateFeature(layer->GetLayerDefn()));
            for (size_t c = 0; c < t.columns.size() && c < row.size(); ++c)
                if (!std::holds_alternative<std::monostate>(row[c]))
                    f->SetField(static_cast<int>(c),
                                format_cell(row[c], t.columns[c].kind).c_str());
            if (layer->CreateFeature(f.get()) != OGRERR_NONE)
                throw_input(fmt::format("cannot write {}: {}", path, capture.last_error()));
        };
        for (const auto& r : t.rows)
            write_row(r);
        if (t.totals)
            write_row(labelled_totals(t, lang));
        ds.reset();
        if (!capture.last_error().empty())
            throw_input(fmt::format("cannot write {}: {}", path, capture.last_error()));
    }
    if (!to_stdout) {
        std::error_code ec;
        fs::rename(temp, path, ec);
        if (ec) {
            fs::remove(temp);
            throw_input(fmt::format("cannot write {}: {}", path, ec.message()));
        }
    }
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

Lang parse_lang(const std::string& text) {
    if (text == "zh")
        return Lang::zh;
    if (text == "en")
        return Lang::en;
    throw_usage(fmt::format("--lang '{}' is not zh or en", text));
}

} // namespace landclear

#include "landclear/report/adjusted_ledger.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/io/atomic_file.hpp"
#include "landclear/io/gdal_error.hpp"
#include "landclear/io/gdal_write.hpp"
#include "landclear/report/xlsx.hpp"

#include <charconv>
#include <cpl_string.h>
#include <fmt/format.h>

namespace landclear {

namespace {

bool is_number(const std::string& s) {
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

struct Sheet {
    std::vector<std::string> headers;
    std::vector<std::vector<std::string>> rows; // text of every cell
    std::vector<std::string> totals;
    size_t area = 0; // the adjusted column; the two added ones follow the ledger's columns
};

Sheet sheet_of(const Ledger& ledger, const AdjustResult& r, Lang lang) {
    Sheet s;
    s.headers = ledger.headers;
    s.area = static_cast<size_t>(r.column->index);
    const char* unit = area_unit_zh(r.column->unit);
    bool zh = lang == Lang::zh;
    s.headers.push_back(zh ? fmt::format("平差前({})", unit) : fmt::format("unrounded ({})", unit));
    s.headers.push_back(zh ? fmt::format("平差调整({})", unit)
                           : fmt::format("adjustment ({})", unit));
    std::int64_t sum = 0;
    for (const auto& a : r.rows) {
        auto cells = ledger.cells[a.index];
        cells.resize(ledger.headers.size());
        cells[s.area] = format_units(a.adjusted, r.decimals);
        // The unrounded figure to four more decimals than printed: enough to check the rule.
        cells.push_back(fmt::format("{:.{}f}", a.unrounded, r.decimals + 4));
        cells.push_back(format_units(a.adjustment(), r.decimals));
        sum += a.adjusted;
        s.rows.push_back(std::move(cells));
    }
    s.totals.assign(s.headers.size(), "");
    size_t label = s.area == 0 ? 1 : 0;
    s.totals[label] = zh ? "合计" : "Total";
    s.totals[s.area] = format_units(sum, r.decimals);
    std::int64_t moved = 0;
    for (const auto& a : r.rows)
        moved += a.adjustment();
    s.totals[s.headers.size() - 1] = format_units(moved, r.decimals);
    return s;
}

void write_csv_sheet(const Sheet& s, const std::string& path) {
    AtomicFile file(path);
    GdalErrorCapture capture;
    {
        gdal::Dataset ds("CSV", file.temp().string(), path);
        const char* lco[] = {"WRITE_BOM=YES", "STRING_QUOTING=IF_NEEDED", nullptr};
        auto layer = ds.create_layer("adjusted", nullptr, wkbNone, lco);
        for (const auto& h : s.headers)
            layer.add_field(h, OFTString);
        auto write = [&](const std::vector<std::string>& row) {
            gdal::Feature f(layer);
            for (size_t c = 0; c < row.size() && c < s.headers.size(); ++c)
                if (!row[c].empty())
                    // Figures stay figures; text from the ledger is never a formula in Excel.
                    f->SetField(static_cast<int>(c),
                                is_number(row[c]) ? row[c].c_str()
                                                  : text::neutralise_formula(row[c]).c_str());
            f.add_to_layer();
        };
        for (const auto& row : s.rows)
            write(row);
        write(s.totals);
        ds.close();
    }
    if (auto why = capture.errors(); !why.empty())
        throw_input(fmt::format("cannot write {}: {}", path, why));
    file.commit();
}

void write_xlsx_sheet(const Sheet& s, const AdjustResult& r, const std::string& path) {
    XlsxWriter w(path);
    std::vector<XlsxColumn> columns;
    for (size_t c = 0; c < s.headers.size(); ++c) {
        XlsxColumn col{s.headers[c]};
        if (c == s.area || c + 1 == s.headers.size())
            col.decimals = r.decimals;
        else if (c + 2 == s.headers.size())
            col.decimals = r.decimals + 4;
        columns.push_back(col);
    }
    w.add_sheet("台账", columns);
    auto values = [&](const std::vector<std::string>& row) {
        std::vector<Value> out;
        for (size_t c = 0; c < s.headers.size(); ++c) {
            const std::string& t = c < row.size() ? row[c] : std::string();
            bool figure = c == s.area || c + 2 >= s.headers.size();
            if (t.empty())
                out.emplace_back(std::monostate{});
            else if (figure && is_number(t))
                out.emplace_back(std::stod(t));
            else
                out.emplace_back(t);
        }
        return out;
    };
    for (const auto& row : s.rows)
        w.add_row(values(row));
    w.add_totals(values(s.totals));
    // Reproducible bytes: a fixed creation time (2000-01-01), not the time of the run.
    w.set_created(946684800);
    w.close();
}

} // namespace

void write_adjusted_ledger(const Ledger& ledger, const AdjustResult& result,
                           const std::string& path, Lang lang) {
    auto sheet = sheet_of(ledger, result, lang);
    auto lower = std::string(CPLString(path).tolower());
    auto ends = [&](const char* ext) {
        std::string e = ext;
        return lower.size() > e.size() && lower.compare(lower.size() - e.size(), e.size(), e) == 0;
    };
    if (ends(".xlsx"))
        write_xlsx_sheet(sheet, result, path);
    else if (ends(".csv"))
        write_csv_sheet(sheet, path);
    else
        throw_usage(fmt::format("--out {}: the adjusted ledger is written as .xlsx or .csv", path));
}

} // namespace landclear

#include "landclear/report/xlsx.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/io/atomic_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>
#include <unistd.h>
#include <xlsxwriter.h>

namespace landclear {

namespace {

namespace fs = std::filesystem;

// Excel column width units are roughly one Latin character; CJK characters take two, as they
// do on a terminal.
double text_width(const std::string& s) {
    return static_cast<double>(text::display_width(s));
}

// Sheet names: at most 31 characters, none of []:*?/\ and unique in the workbook.
std::string sheet_name(const std::string& wanted, std::set<std::string>& used) {
    std::string base;
    text::for_each_character(text::first_characters(wanted, 28), [&](std::string_view ch) {
        if (ch.size() == 1 && std::string_view("[]:*?/\\").find(ch[0]) != std::string_view::npos)
            base += '_';
        else
            base += ch;
    });
    if (base.empty())
        base = "Sheet";
    std::string name = base;
    for (int n = 2; used.count(name); ++n)
        name = fmt::format("{}({})", base, n);
    used.insert(name);
    return name;
}

std::string num_format(const XlsxColumn& c) {
    if (c.date)
        return "yyyy-mm-dd";
    int d = c.decimals >= 0 ? c.decimals : decimals(c.kind);
    if (c.kind == ColumnKind::text && c.decimals < 0)
        return "General";
    return d == 0 ? "0" : "0." + std::string(static_cast<size_t>(d), '0');
}

} // namespace

struct XlsxWriter::Impl {
    std::string path;
    std::optional<AtomicFile> file; // libxlsxwriter writes here; moved into place by close()
    lxw_workbook* wb = nullptr;
    lxw_worksheet* ws = nullptr;
    std::string sheet;
    std::vector<XlsxColumn> columns;
    std::vector<lxw_format*> formats, total_formats;
    std::vector<double> widths;
    lxw_format* header = nullptr;
    std::map<std::string, lxw_format*> cache;
    std::set<std::string> used_names;
    lxw_row_t row = 0;
    bool filtered = false;
    std::string title, comments;
    std::optional<std::time_t> created;
    bool closed = false;

    lxw_format* format(const std::string& num, bool bold) {
        auto key = fmt::format("{}|{}", num, bold);
        if (auto it = cache.find(key); it != cache.end())
            return it->second;
        lxw_format* f = workbook_add_format(wb);
        if (num != "General")
            format_set_num_format(f, num.c_str());
        if (bold) {
            format_set_bold(f);
            format_set_top(f, LXW_BORDER_THIN);
        }
        cache[key] = f;
        return f;
    }

    void check(lxw_error err, const std::string& what) {
        if (err != LXW_NO_ERROR)
            throw_input(fmt::format("cannot write {}: sheet {}: {}: {}", path, sheet, what,
                                    lxw_strerror(err)));
    }

    void finish_sheet() {
        if (!ws)
            return;
        for (size_t c = 0; c < widths.size(); ++c) {
            double w = std::clamp(widths[c] + 2.0, 8.0, 60.0);
            auto col = static_cast<lxw_col_t>(c);
            worksheet_set_column(ws, col, col, w, nullptr);
        }
        filter();
        ws = nullptr;
    }

    // An autofilter over the header and the data rows, not the totals. In constant-memory
    // mode only the row being written can still be referred to, so this runs before the totals
    // row starts (or when the sheet ends without one).
    void filter() {
        if (filtered || columns.empty())
            return;
        filtered = true;
        check(worksheet_autofilter(ws, 0, 0, row - 1, static_cast<lxw_col_t>(columns.size() - 1)),
              "autofilter");
    }

    void write(const std::vector<Value>& values, bool totals) {
        if (!ws)
            throw_internal("XlsxWriter: a row before the first sheet");
        if (row > static_cast<lxw_row_t>(max_data_rows + 1))
            throw_input(fmt::format("cannot write {}: sheet {} has more rows than Excel's "
                                    "limit of 1,048,576",
                                    path, sheet),
                        "select fewer features, or export to CSV or GeoPackage");
        if (totals)
            filter();
        for (size_t c = 0; c < columns.size() && c < values.size(); ++c) {
            const auto& v = values[c];
            auto col = static_cast<lxw_col_t>(c);
            lxw_format* f = totals ? total_formats[c] : formats[c];
            std::string shown;
            if (auto s = std::get_if<std::string>(&v)) {
                if (!s->empty())
                    check(worksheet_write_string(ws, row, col, s->c_str(), f),
                          fmt::format("row {}, column {}", row + 1, columns[c].header));
                shown = *s;
            } else if (auto i = std::get_if<std::int64_t>(&v)) {
                check(worksheet_write_number(ws, row, col, static_cast<double>(*i), f), "number");
                shown = std::to_string(*i);
            } else if (auto d = std::get_if<double>(&v)) {
                check(worksheet_write_number(ws, row, col, *d, f), "number");
                shown = fmt::format("{:.2f}", *d);
            } else if (auto dt = std::get_if<Date>(&v)) {
                lxw_datetime x{dt->year(), dt->month(), dt->day(), 0, 0, 0.0};
                check(worksheet_write_datetime(ws, row, col, &x, f), "date");
                shown = "2025-01-01";
            } else if (totals) {
                worksheet_write_blank(ws, row, col, f);
            }
            widths[c] = std::max(widths[c], text_width(shown));
        }
        if (totals) {
            for (size_t c = values.size(); c < columns.size(); ++c)
                worksheet_write_blank(ws, row, static_cast<lxw_col_t>(c), total_formats[c]);
        }
        ++row;
    }
};

XlsxWriter::XlsxWriter(std::string path) : m_impl(std::make_unique<Impl>()) {
    auto& m = *m_impl;
    m.path = std::move(path);
    fs::path p(m.path);
    m.file.emplace(m.path);
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;
    options.use_zip64 = LXW_TRUE;
    m.wb = workbook_new_opt(m.file->temp().c_str(), &options);
    if (!m.wb)
        throw_input(fmt::format("cannot write {}", m.path),
                    "check that the folder exists and is writable");
    m.header = workbook_add_format(m.wb);
    format_set_bold(m.header);
    format_set_bg_color(m.header, 0xDDEBF7);
    format_set_bottom(m.header, LXW_BORDER_THIN);
    format_set_text_wrap(m.header);
}

XlsxWriter::~XlsxWriter() {
    auto& m = *m_impl;
    if (!m.closed && m.wb) {
        workbook_close(m.wb); // frees the workbook; m.file discards what it wrote
    }
}

void XlsxWriter::add_sheet(const std::string& name, std::vector<XlsxColumn> columns,
                           const std::string& title) {
    auto& m = *m_impl;
    m.finish_sheet();
    m.sheet = sheet_name(name, m.used_names);
    m.ws = workbook_add_worksheet(m.wb, m.sheet.c_str());
    if (!m.ws)
        throw_internal(fmt::format("libxlsxwriter refused sheet name '{}'", m.sheet));
    m.columns = std::move(columns);
    m.formats.clear();
    m.total_formats.clear();
    m.widths.assign(m.columns.size(), 0);
    for (const auto& c : m.columns) {
        auto num = num_format(c);
        m.formats.push_back(num == "General" ? nullptr : m.format(num, false));
        m.total_formats.push_back(m.format(num, true));
    }
    m.row = 0;
    for (size_t c = 0; c < m.columns.size(); ++c) {
        m.check(worksheet_write_string(m.ws, 0, static_cast<lxw_col_t>(c),
                                       m.columns[c].header.c_str(), m.header),
                "header");
        m.widths[c] = std::min(text_width(m.columns[c].header), 24.0);
    }
    m.row = 1;
    m.filtered = false;
    worksheet_freeze_panes(m.ws, 1, 0);
    if (!title.empty()) {
        // Excel's header/footer codes use '&'; a literal one is written '&&'.
        std::string escaped;
        for (char ch : title)
            escaped += ch == '&' ? std::string("&&") : std::string(1, ch);
        if (escaped.size() < 250)
            worksheet_set_header(m.ws, ("&C" + escaped).c_str());
    }
    worksheet_set_footer(m.ws, "&C&P / &N");
}

void XlsxWriter::add_row(const std::vector<Value>& values) {
    m_impl->write(values, false);
}

void XlsxWriter::add_totals(const std::vector<Value>& values) {
    m_impl->write(values, true);
}

void XlsxWriter::set_properties(const std::string& title, const std::string& comments) {
    m_impl->title = title;
    m_impl->comments = comments;
}

void XlsxWriter::set_created(std::time_t when) {
    m_impl->created = when;
}

void XlsxWriter::close() {
    auto& m = *m_impl;
    if (m.closed)
        return;
    m.finish_sheet();
    if (m.used_names.empty()) // a workbook needs a sheet to open in Excel
        add_sheet("Sheet1", {});
    m.finish_sheet();
    lxw_doc_properties props{};
    props.title = m.title.empty() ? nullptr : m.title.data();
    props.comments = m.comments.empty() ? nullptr : m.comments.data();
    std::string app = "landclear";
    props.author = app.data();
    if (m.created)
        props.created = *m.created;
    workbook_set_properties(m.wb, &props);
    lxw_error err = workbook_close(m.wb);
    m.closed = true;
    m.wb = nullptr;
    if (err != LXW_NO_ERROR) {
        m.file.reset();
        throw_input(fmt::format("cannot write {}: {}", m.path, lxw_strerror(err)),
                    "check that the folder is writable and has space");
    }
    m.file->commit();
}

namespace {
Value cell_value(const Cell& c) {
    if (auto s = std::get_if<std::string>(&c))
        return *s;
    if (auto i = std::get_if<std::int64_t>(&c))
        return *i;
    if (auto d = std::get_if<double>(&c))
        return *d;
    return std::monostate{};
}
} // namespace

void write_xlsx(const std::vector<Table>& tables, Lang lang, const std::string& path,
                std::optional<std::time_t> created) {
    XlsxWriter w(path);
    if (created)
        w.set_created(*created);
    std::string comments;
    for (const auto& t : tables) {
        std::vector<XlsxColumn> cols;
        for (const auto& c : t.columns)
            cols.push_back({c.label(lang), c.kind, false, -1});
        const auto& title = lang == Lang::zh ? t.title_zh : t.title_en;
        w.add_sheet(t.name, cols, title);
        for (const auto& r : t.rows) {
            std::vector<Value> values;
            for (const auto& c : r)
                values.push_back(cell_value(c));
            w.add_row(values);
        }
        if (t.totals) {
            std::vector<Value> values;
            for (const auto& c : labelled_totals(t, lang))
                values.push_back(cell_value(c));
            w.add_totals(values);
        }
        if (!comments.empty())
            comments += "\n";
        comments += title;
        for (const auto& [k, v] : t.notes)
            comments += fmt::format("\n{}: {}", k, v);
    }
    w.set_properties(tables.empty() ? std::string()
                                    : (lang == Lang::zh ? tables[0].title_zh : tables[0].title_en),
                     comments);
    w.close();
}

} // namespace landclear

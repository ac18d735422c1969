#pragma once
// Styled XLSX through libxlsxwriter (GDAL's XLSX driver cannot set number formats or freeze
// panes): one sheet per table, the header in row 1 and frozen, 亩/m² to 0.00, % to 0.0, dates
// as real Excel dates, and a bold totals row. Values are written unrounded; the number format
// rounds what Excel shows. The file is written under a temporary name and renamed on close().
#include "landclear/core/schema.hpp"
#include "landclear/report/table.hpp"

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

struct XlsxColumn {
    std::string header;
    ColumnKind kind = ColumnKind::text;
    bool date = false; // Value::Date cells, shown as yyyy-mm-dd
    int decimals = -1; // -1: from kind (decimals(kind)); for plain reals without a kind
};

// Streams rows sheet by sheet (constant memory: rows must come in order).
class XlsxWriter {
public:
    // Throws Error(input) when the temporary file cannot be created beside path.
    explicit XlsxWriter(std::string path);
    ~XlsxWriter(); // without close(): the temporary file is removed, path is untouched
    XlsxWriter(const XlsxWriter&) = delete;
    XlsxWriter& operator=(const XlsxWriter&) = delete;

    // title and notes go to the sheet's printed header and the workbook properties.
    void add_sheet(const std::string& name, std::vector<XlsxColumn> columns,
                   const std::string& title = {});
    void add_row(const std::vector<Value>& values);
    void add_totals(const std::vector<Value>& values); // last row of the sheet, bold
    void set_properties(const std::string& title, const std::string& comments);
    // The creation time written into the file (default: now); a fixed one makes the bytes
    // reproducible.
    void set_created(std::time_t when);
    void close(); // finishes the file and renames it to path

    // Excel's sheet limit: 1,048,576 rows including the header and totals.
    static constexpr std::int64_t max_data_rows = 1048576 - 2;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// One sheet per table, named after Table::name; headers in lang; totals row labelled. created:
// the creation time in the file (default: now); a fixed one gives the same bytes every run.
void write_xlsx(const std::vector<Table>& tables, Lang lang, const std::string& path,
                std::optional<std::time_t> created = std::nullopt);

} // namespace landclear

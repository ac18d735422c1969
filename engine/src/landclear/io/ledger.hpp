#pragma once
// Ledgers (台账): a unit's spreadsheet of parcels or projects with areas and dates, read through
// GDAL (XLSX, ODS, CSV in any encoding uchardet tells). Read as offices make them: title rows
// above the header row (the first row whose cells are known headers), a header merged over two
// rows (面积 over 亩 | 平方米), units in headers, full-width digits and thousands separators, a
// 合计 row at the bottom checked against the rows. Common Chinese headers are recognised as they
// are (宗地编号, 项目名称, 面积(亩), 面积（平方米）, 征地面积, 征地日期, ...); others are named in
// the "ledger" section of a mapping file. Rows that cannot be read are kept as problems with
// their spreadsheet row number instead of stopping the whole ledger.
#include "landclear/core/date.hpp"
#include "landclear/core/phrase.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace landclear {

enum class LedgerField {
    parcel_code,
    project_code,
    project_name,
    unit,
    area,           // the row's whole area
    acquired_area,  // 征地面积
    cleared_area,   // 腾地面积
    delivered_area, // 交地面积
    acquired_on,
    cleared_on,
    delivered_on,
};
const char* ledger_field_name(LedgerField field); // "parcel_code", ...

enum class AreaUnit { mu, m2, hectare };

const char* area_unit_zh(AreaUnit unit); // 亩, 平方米, 公顷
double to_mu(double value, AreaUnit unit);
double from_mu(double mu, AreaUnit unit);

struct LedgerColumn {
    LedgerField field;
    int index = -1;     // column index in the sheet (0 = first column)
    std::string header; // as in the file (UTF-8); a two-row header joined: 面积(亩)
    AreaUnit unit = AreaUnit::mu;
};

struct LedgerRow {
    int row = 0; // spreadsheet row number (title rows and the header counted)
    std::string parcel_code, project_code, project_name, unit;
    // In 亩 whatever unit the column had (m² × 3/2000, 公顷 × 15).
    std::optional<double> area_mu, acquired_mu, cleared_mu, delivered_mu;
    std::optional<Date> acquired_on, cleared_on, delivered_on;
};

// The row's figure in 亩 for an area field (area, acquired, cleared, delivered); nullopt for
// other fields and for an empty cell.
std::optional<double> ledger_area(const LedgerRow& row, LedgerField f);

struct LedgerProblem {
    int row = 0;
    std::string message; // zh
    std::string message_en;
};

// The ledger's own 合计 row against the sum of its rows, per area column (亩).
struct LedgerTotalsCheck {
    int row = 0;
    std::string column;
    double stated_mu = 0, sum_mu = 0;
    std::size_t rows = 0; // data rows summed (unreadable ones are not)
};

struct Ledger {
    std::string display;              // file or file:sheet
    std::string encoding;             // "UTF-8", or the encoding the text was recoded from
    std::vector<Phrase> notes;        // how it was read: encoding detected, title rows, header rows
    int header_row = 1;               // spreadsheet row of the header (its last row when merged)
    std::vector<std::string> headers; // every column's header as read (joined when merged)
    std::vector<LedgerColumn> columns;
    std::vector<LedgerRow> rows;
    // Every cell of each data row as text, in the order of rows (for writing it back: 平差).
    std::vector<std::vector<std::string>> cells;
    std::vector<LedgerProblem> problems;
    // Rows labelled 合计 / 小计 / 总计: skipped as data, their area column kept (row, 亩) so
    // the ledger's own arithmetic can be checked.
    std::vector<std::pair<int, std::optional<double>>> total_rows;
    std::vector<LedgerTotalsCheck> totals_checks; // the last 合计 row, per area column

    const LedgerColumn* column(LedgerField field) const;
    bool has(LedgerField field) const { return column(field) != nullptr; }
};

struct LedgerOptions {
    std::string path;
    std::optional<std::string> sheet;
    std::string encoding; // "" = as the file declares, else detected (uchardet) when not UTF-8
    std::string mapping;  // JSON file with a "ledger" section; "" = headers recognised as they are
};

Ledger read_ledger(const LedgerOptions& options);

// The Chinese names a header is recognised by, for messages and docs.
std::vector<std::string> ledger_header_names(LedgerField field);

// The sheet itself, for tables that are not ledgers (the issue list): every row as cells, the
// header rows included, read as read_ledger reads them (XLSX/ODS headers forced, a CSV's
// encoding detected). Error(input) when the text is not UTF-8 and its encoding cannot be told.
struct SheetCell {
    std::string text; // UTF-8, trimmed
    std::optional<double> number;
    std::optional<Date> date;
    bool not_utf8 = false;
};
struct SheetRow {
    int row = 0; // spreadsheet row number
    std::vector<SheetCell> cells;
};
struct Sheet {
    std::string display; // file or file:sheet
    std::vector<SheetRow> rows;
};
Sheet read_sheet(const LedgerOptions& options);
// A header as ledgers compare them: NFKC, no spaces, ASCII lower-cased, brackets unified.
std::string normalise_sheet_header(const std::string& header);

} // namespace landclear

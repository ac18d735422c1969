#pragma once
// Ledgers (台账): a unit's spreadsheet of parcels or projects with areas and dates, read through
// GDAL (XLSX, ODS, CSV in UTF-8 or GBK). Common Chinese headers are recognised as they are
// (宗地编号, 项目名称, 面积(亩), 面积（平方米）, 征地面积, 征地日期, ...); others are named in the
// "ledger" section of a mapping file. Rows that cannot be read are kept as problems with their
// spreadsheet row number instead of stopping the whole ledger.
#include "landclear/core/date.hpp"

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

struct LedgerColumn {
    LedgerField field;
    int index = -1;     // OGR field index
    std::string header; // as in the file (UTF-8)
    AreaUnit unit = AreaUnit::mu;
};

struct LedgerRow {
    int row = 0; // spreadsheet row number; the header is row 1
    std::string parcel_code, project_code, project_name, unit;
    // In 亩 whatever unit the column had (m² × 3/2000, 公顷 × 15).
    std::optional<double> area_mu, acquired_mu, cleared_mu, delivered_mu;
    std::optional<Date> acquired_on, cleared_on, delivered_on;
};

struct LedgerProblem {
    int row = 0;
    std::string message;
};

struct Ledger {
    std::string display;  // file or file:sheet
    std::string encoding; // "UTF-8", or the encoding the text was recoded from
    std::vector<LedgerColumn> columns;
    std::vector<LedgerRow> rows;
    std::vector<LedgerProblem> problems;
    // Rows labelled 合计 / 小计 / 总计: skipped as data, their area column kept (row, 亩) so
    // the ledger's own arithmetic can be checked.
    std::vector<std::pair<int, std::optional<double>>> total_rows;

    const LedgerColumn* column(LedgerField field) const;
    bool has(LedgerField field) const { return column(field) != nullptr; }
};

struct LedgerOptions {
    std::string path;
    std::optional<std::string> sheet;
    std::string encoding; // "" = UTF-8, or GBK detected when the text is not UTF-8
    std::string mapping;  // JSON file with a "ledger" section; "" = headers recognised as they are
};

Ledger read_ledger(const LedgerOptions& options);

// The Chinese names a header is recognised by, for messages and docs.
std::vector<std::string> ledger_header_names(LedgerField field);

} // namespace landclear

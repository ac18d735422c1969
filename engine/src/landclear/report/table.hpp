#pragma once
// A report table: typed columns with Chinese and English headers, rows, a totals row. Values are
// kept unrounded; each renderer rounds when it prints (亩 and m² to 2 decimals, % to 1).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace landclear {

enum class Lang { zh, en };
enum class ColumnKind { text, count, mu, percent, m2, metres };

struct Column {
    std::string key; // stable machine name, used in JSON
    std::string zh;
    std::string en;
    ColumnKind kind;
    const std::string& label(Lang lang) const { return lang == Lang::zh ? zh : en; }
};

using Cell = std::variant<std::monostate, std::string, std::int64_t, double>;
using Row = std::vector<Cell>;

struct Table {
    std::string name; // sheet / file stem, e.g. "status"
    std::string title_zh, title_en;
    std::vector<Column> columns;
    std::vector<Row> rows;
    std::optional<Row> totals; // an empty first cell is labelled 合计 / Total
    std::vector<std::pair<std::string, std::string>> notes; // key: value shown above/beside
};

int decimals(ColumnKind kind);
std::string format_cell(const Cell& cell, ColumnKind kind);

std::string render_text(const Table& table, Lang lang);
// One table as a JSON object: table, title, notes, columns, rows, totals.
std::string render_json(const Table& table, Lang lang);
// Several tables as ONE JSON document: an object with a member per table, keyed by its name,
// each member shaped as above. What every `--format json` prints, even for one table, so a
// script reads doc["status"] or doc["segments"] the same way from every command.
std::string render_json(const std::vector<Table>& tables, Lang lang);
// CSV through GDAL's CSV driver, UTF-8 with BOM so Excel shows Chinese; "-" writes to stdout.
// A file is written under a temporary name and renamed, so a failure leaves no partial file.
void write_csv(const Table& table, Lang lang, const std::string& path);

// option: how the caller names the choice in a message (the CLI passes "--lang").
Lang parse_lang(const std::string& text, const std::string& option = "language");
const char* totals_label(Lang lang);
// The totals row as printed: its empty first cell labelled.
Row labelled_totals(const Table& table, Lang lang);

} // namespace landclear

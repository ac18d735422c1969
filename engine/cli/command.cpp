#include "command.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/atomic_file.hpp"
#include "landclear/report/xlsx.hpp"

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <unistd.h>
#include <vector>

namespace landclear::cli {

std::vector<std::pair<int, Setup>>& registry() {
    static std::vector<std::pair<int, Setup>> commands;
    return commands;
}

bool register_command(int order, Setup setup) {
    registry().emplace_back(order, std::move(setup));
    return true;
}

void add_table_options(CLI::App& cmd, TableArgs& a) {
    cmd.add_option("--format", a.format, "table (default), csv, json or xlsx (needs --out)")
        ->check(CLI::IsMember({"table", "csv", "json", "xlsx"}));
    cmd.add_option("--lang", a.lang, "column headers: zh (default) or en")
        ->check(CLI::IsMember({"zh", "en"}));
    cmd.add_option("--out", a.out, "write to FILE instead of standard output");
}

void emit_tables(const std::vector<Table>& tables, const TableArgs& a) {
    auto lang = parse_lang(a.lang);
    if (a.format == "xlsx") {
        if (a.out.empty())
            throw_usage("--format xlsx writes a file", "add --out FILE.xlsx");
        write_xlsx(tables, lang, a.out);
        return;
    }
    if (a.format == "csv") {
        if (tables.size() > 1 && !a.out.empty())
            throw_usage("this report has several tables; CSV holds one",
                        "use --format xlsx (one sheet per table) or omit --out");
        for (const auto& t : tables)
            write_csv(t, lang, a.out.empty() ? "-" : a.out);
        return;
    }
    std::string text;
    for (const auto& t : tables) {
        if (!text.empty())
            text += "\n";
        text += a.format == "json" ? render_json(t, lang) : render_text(t, lang);
    }
    if (a.out.empty())
        std::cout << text;
    else
        write_file_atomically(a.out, text);
}

void emit_table(const Table& table, const TableArgs& a) {
    emit_tables({table}, a);
}

} // namespace landclear::cli

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

const CLI::Validator& non_negative() {
    static const CLI::Validator v(
        [](std::string& text) -> std::string {
            double value = 0;
            if (!CLI::detail::lexical_cast(text, value) || !(value >= 0))
                return fmt::format("'{}' is not a number >= 0", text);
            return {};
        },
        "NONNEGATIVE");
    return v;
}

void add_table_options(CLI::App& cmd, TableArgs& a, std::vector<std::string> names) {
    cmd.add_option("--format", a.format, "table (default), csv, json or xlsx (needs --out)")
        ->check(CLI::IsMember({"table", "csv", "json", "xlsx"}));
    cmd.add_option("--lang", a.lang, "column headers: zh (default) or en")
        ->check(CLI::IsMember({"zh", "en"}));
    cmd.add_option("--out", a.out, "write to FILE instead of standard output");
    if (names.size() > 1)
        cmd.add_option("--table", a.table,
                       fmt::format("only this table: {} (default: all; CSV holds one table, "
                                   "by default {})",
                                   fmt::join(names, ", "), names.front()))
            ->check(CLI::IsMember(names));
    a.names = std::move(names);
    // Checked when parsing, so the mistake is told before a long analysis runs, not after.
    cmd.callback([&a] {
        if (a.format == "xlsx" && a.out.empty())
            throw CLI::ValidationError("--format", "xlsx writes a file: add --out FILE.xlsx");
        // A device node or a pipe is refused before the analysis runs, and never replaced.
        if (!a.out.empty()) {
            try {
                require_regular_or_new(a.out);
            } catch (const Error& e) {
                throw CLI::ValidationError("--out", e.message());
            }
        }
    });
}

namespace {
std::vector<Table> choose_tables(const std::vector<Table>& tables, const TableArgs& a) {
    if (a.table.empty()) {
        if (a.format == "csv" && !tables.empty())
            return {tables.front()};
        return tables;
    }
    for (const auto& t : tables)
        if (t.name == a.table)
            return {t};
    // Parsing already checked the name against the declared ones; this is a report that did not
    // produce a declared table, which is our bug, but still say what there is.
    std::vector<std::string> have;
    for (const auto& t : tables)
        have.push_back(t.name);
    throw_usage(fmt::format("--table {}: this report has no such table", a.table),
                fmt::format("choose one of: {}", fmt::join(have, ", ")));
}
} // namespace

void emit_tables(const std::vector<Table>& all, const TableArgs& a) {
    auto lang = parse_lang(a.lang, "--lang");
    auto tables = choose_tables(all, a);
    if (a.format == "xlsx") {
        if (a.out.empty())
            throw_usage("--format xlsx writes a file", "add --out FILE.xlsx");
        write_xlsx(tables, lang, a.out);
        return;
    }
    if (a.format == "csv") {
        if (tables.size() != 1)
            throw_internal(fmt::format("CSV needs exactly one table, got {}", tables.size()));
        write_csv(tables.front(), lang, a.out.empty() ? "-" : a.out);
        return;
    }
    std::string text;
    if (a.format == "json") {
        text = render_json(tables, lang);
    } else {
        for (const auto& t : tables) {
            if (!text.empty())
                text += "\n";
            text += render_text(t, lang);
        }
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

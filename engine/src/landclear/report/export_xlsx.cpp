// The layers as an XLSX workbook: a sheet per layer with a totals row.
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/report/detail/export_detail.hpp"
#include "landclear/report/xlsx.hpp"

#include <fmt/format.h>

namespace landclear::detail {

void write_layers_xlsx(const std::vector<Source>& sources, const fs::path& target,
                       const WriteContext& ctx) {
    const auto& o = ctx.options;
    bool zh = o.lang == Lang::zh;
    XlsxWriter w(target.string());
    for (const auto& s : sources) {
        std::vector<XlsxColumn> cols;
        for (const auto& f : s.fields) {
            XlsxColumn c{zh ? f.zh : f.key, f.kind, f.type == FieldType::date, -1};
            if (f.type == FieldType::integer)
                c.kind = ColumnKind::count;
            cols.push_back(c);
        }
        auto title = zh ? fmt::format("{}（截至 {}）", s.zh, o.as_of.iso())
                        : fmt::format("{} as of {}", s.name, o.as_of.iso());
        w.add_sheet(zh ? s.zh : s.name, cols, title);
        std::vector<double> sums(s.fields.size(), 0.0);
        ExportedLayer r;
        r.name = s.name;
        s.scan([&](const OutFeature& f) {
            if (r.features >= XlsxWriter::max_data_rows)
                throw_input(fmt::format("{} has more than {} features, more than an Excel sheet "
                                        "holds",
                                        s.name, XlsxWriter::max_data_rows),
                            "select fewer features with --project or --district, or export "
                            "to CSV or GeoPackage");
            w.add_row(f.values);
            for (size_t i = 0; i < s.fields.size(); ++i) {
                if (auto d = std::get_if<double>(&f.values[i]))
                    sums[i] += *d;
                else if (auto n = std::get_if<std::int64_t>(&f.values[i]))
                    sums[i] += static_cast<double>(*n);
            }
            r.features += 1;
            r.area_m2 += f.area_m2;
            r.length_m += f.length_m;
        });
        std::vector<Value> totals(s.fields.size(), std::monostate{});
        totals[0] = std::string(totals_label(o.lang));
        for (size_t i = 1; i < s.fields.size(); ++i) {
            const auto& f = s.fields[i];
            if (f.total == Total::sum)
                totals[i] = f.type == FieldType::integer ? Value{static_cast<std::int64_t>(sums[i])}
                                                         : Value{sums[i]};
            else if (f.total == Total::ratio)
                totals[i] = percent(sums[static_cast<size_t>(f.numerator)],
                                    sums[static_cast<size_t>(f.denominator)]);
        }
        w.add_totals(totals);
        ctx.summary.layers.push_back(r);
    }
    check_empty(sources, o, ctx.summary);
    w.set_properties(zh ? "landclear 导出" : "landclear export",
                     fmt::format("as of {}{}", o.as_of.iso(), describe_selection(o)));
    w.close();
}

} // namespace landclear::detail

#include "landclear/report/history_table.hpp"

#include <fmt/format.h>

namespace landclear {

std::string change_label(const ChangeEvent& c, Lang lang) {
    bool zh = lang == Lang::zh;
    switch (c.kind) {
    case ChangeKind::added:
        return zh ? "新增" : "added";
    case ChangeKind::removed:
        return zh ? "删除（更正）" : "removed (correction)";
    case ChangeKind::loaded:
        return zh ? "首次导入" : "first load";
    case ChangeKind::changed:
        break;
    }
    if (c.correction)
        return zh ? "更正" : "correction";
    return zh ? "补录" : "filled in";
}

Table history_changes_table(const HistoryReport& r) {
    Table t;
    t.name = "changes";
    t.title_zh = "变更记录（新到旧）";
    t.title_en = "Changes, newest first";
    using K = ColumnKind;
    t.columns = {{"reported_on", "上报日期", "reported on", K::text},
                 {"batch", "批次", "batch", K::count},
                 {"layer", "图层", "layer", K::text},
                 {"code", "编码", "code", K::text},
                 {"project_code", "项目", "project", K::text},
                 {"change", "变更", "change", K::text},
                 {"kind", "类型", "kind", K::text},
                 {"field", "字段", "field", K::text},
                 {"old_value", "原值", "old value", K::text},
                 {"new_value", "新值", "new value", K::text},
                 {"correction", "更正", "correction", K::count}};
    for (const auto& c : r.changes)
        t.rows.push_back({c.reported_on.iso(), c.batch_id, std::string(layer_def(c.layer).name),
                          c.code, c.project_code, change_label(c, Lang::zh),
                          std::string(change_kind_name(c.kind)), c.field, c.old_value, c.new_value,
                          std::int64_t{c.correction ? 1 : 0}});
    std::int64_t corrections = 0;
    for (const auto& c : r.changes)
        corrections += c.correction ? 1 : 0;
    t.notes.emplace_back("变更 / changes", std::to_string(r.changes.size()));
    t.notes.emplace_back("其中更正 / corrections", std::to_string(corrections));
    return t;
}

Table history_batches_table(const HistoryReport& r) {
    Table t;
    t.name = "batches";
    t.title_zh = "导入批次";
    t.title_en = "Import batches";
    using K = ColumnKind;
    t.columns = {{"batch", "批次", "batch", K::count},
                 {"reported_on", "上报日期", "reported on", K::text},
                 {"imported_at", "导入时间(UTC)", "imported at (UTC)", K::text},
                 {"mode", "方式", "mode", K::text},
                 {"files", "文件", "files", K::text},
                 {"added", "新增", "added", K::count},
                 {"changed", "修改", "changed", K::count},
                 {"removed", "删除", "removed", K::count}};
    for (auto it = r.batches.rbegin(); it != r.batches.rend(); ++it) {
        std::string files;
        for (const auto& f : it->files)
            files += fmt::format("{}{}={} sha256:{}", files.empty() ? "" : "; ", f.layer, f.source,
                                 f.sha256.empty() ? "-" : f.sha256);
        t.rows.push_back({it->id, it->reported_on.iso(), it->imported_at, it->mode, files,
                          it->added, it->changed, it->removed});
    }
    return t;
}

} // namespace landclear

#include "landclear/io/mapping.hpp"

#include "landclear/core/error.hpp"

#include <charconv>
#include <cpl_string.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ogr_feature.h>
#include <sstream>

namespace landclear {

// Generated at build time from presets/*.json.
extern const std::map<std::string, std::string>& embedded_presets();

namespace {

std::vector<std::string> string_list(const nlohmann::json& j, const std::string& where) {
    if (j.is_string())
        return {j.get<std::string>()};
    if (j.is_array()) {
        std::vector<std::string> out;
        for (const auto& item : j) {
            if (!item.is_string())
                throw_input(fmt::format("{}: expected a list of column names", where));
            out.push_back(item.get<std::string>());
        }
        return out;
    }
    throw_input(fmt::format("{}: expected a column name or a list of them", where));
}

FieldRule parse_rule(const nlohmann::json& j, const std::string& where) {
    FieldRule rule;
    if (j.is_string() || j.is_array()) {
        rule.from = string_list(j, where);
        return rule;
    }
    if (!j.is_object())
        throw_input(fmt::format("{}: expected a column name, a list or an object", where));
    for (const auto& [key, value] : j.items()) {
        std::string at = where + "." + key;
        if (key == "from")
            rule.from = string_list(value, at);
        else if (key == "value")
            rule.constant = value.is_string() ? value.get<std::string>() : value.dump();
        else if (key == "status")
            rule.status_from = string_list(value, at);
        else if (key == "done")
            rule.done = string_list(value, at);
        else if (key == "not_done")
            rule.not_done = string_list(value, at);
        else if (key == "values") {
            if (!value.is_object())
                throw_input(fmt::format("{}: expected an object of source value: value", at));
            for (const auto& [k, v] : value.items())
                rule.values[k] = v.is_string() ? v.get<std::string>() : v.dump();
        } else if (key != "comment")
            throw_input(fmt::format("{}: unknown key '{}'", where, key),
                        "a rule knows: from, value, values, status, done, not_done, comment");
    }
    if (!rule.status_from.empty() && rule.done.empty())
        throw_input(fmt::format("{}: a status column needs the list of values meaning done "
                                "(\"done\": [\"已征\"])",
                                where));
    return rule;
}

bool same_name(const std::string& a, const char* b) {
    return EQUAL(a.c_str(), b);
}

int find_column(OGRFeatureDefn& defn, const std::vector<std::string>& candidates,
                std::string& found) {
    for (const auto& c : candidates)
        for (int i = 0; i < defn.GetFieldCount(); ++i)
            if (same_name(c, defn.GetFieldDefn(i)->GetNameRef())) {
                found = defn.GetFieldDefn(i)->GetNameRef();
                return i;
            }
    return -1;
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
    for (const auto& f : from)
        if (std::find(to.begin(), to.end(), f) == to.end())
            to.push_back(f);
}

} // namespace

nlohmann::json read_mapping_json(const std::string& path, const std::string& read_hint) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw_input(fmt::format("mapping file {} cannot be read", path), read_hint);
    std::stringstream text;
    text << in.rdbuf();
    try {
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        // parse_error, and out_of_range for a number too big for a double (as parse_mapping).
        throw_input(fmt::format("mapping {} is not valid JSON: {}", path, e.what()));
    }
}

Mapping parse_mapping(const std::string& json_text, const std::string& origin) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
        // parse_error, and out_of_range for a number too big for a double (found by fuzzing).
        throw_input(fmt::format("mapping {} is not valid JSON: {}", origin, e.what()));
    }
    if (!j.is_object())
        throw_input(fmt::format("mapping {}: expected a JSON object of layers", origin));
    Mapping m;
    if (auto name = j.find("name"); name != j.end() && !name->is_string())
        throw_input(fmt::format("mapping {}: \"name\" must be text", origin));
    m.name = j.value("name", origin);
    for (const auto& [layer, fields] : j.items()) {
        // "ledger" names the columns of a ledger (台账) for reconcile (ledger.cpp reads it).
        if (layer == "name" || layer == "comment" || layer == "ledger")
            continue;
        auto kind = layer_from_name(layer);
        if (!kind)
            throw_input(fmt::format("mapping {}: unknown layer '{}'", origin, layer),
                        "layers are projects, corridors, parcels, buildings");
        const auto& def = layer_def(*kind);
        if (!fields.is_object())
            throw_input(
                fmt::format("mapping {}: {} must be an object of field rules", origin, layer));
        for (const auto& [field, rule] : fields.items()) {
            if (field == "comment")
                continue;
            if (field_index(def, field) < 0)
                throw_input(fmt::format("mapping {}: {} has no field '{}'", origin, layer, field),
                            "see docs/INPUT.md for the fields of each layer");
            m.layers[layer][field] =
                parse_rule(rule, fmt::format("{}: {}.{}", origin, layer, field));
        }
    }
    return m;
}

const std::string* find_value(const FieldRule& rule, const Value& v) {
    if (rule.values.empty() || std::holds_alternative<std::monostate>(v))
        return nullptr;
    std::optional<double> number;
    if (const auto* d = std::get_if<double>(&v))
        number = *d;
    else if (const auto* n = std::get_if<std::int64_t>(&v))
        number = static_cast<double>(*n);
    if (!number) {
        auto it = rule.values.find(value_text(v));
        return it == rule.values.end() ? nullptr : &it->second;
    }
    for (const auto& [key, to] : rule.values) {
        double k = 0;
        auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), k);
        if (ec == std::errc() && ptr == key.data() + key.size() && k == *number)
            return &to;
    }
    return nullptr;
}

std::vector<std::string> mapping_preset_names() {
    std::vector<std::string> names;
    for (const auto& [name, text] : embedded_presets())
        names.push_back(name);
    return names;
}

Mapping load_mapping(const std::string& name_or_path) {
    const auto& presets = embedded_presets();
    auto base = parse_mapping(presets.at("chinese"), "preset chinese");
    if (name_or_path.empty() || name_or_path == "default" || name_or_path == "chinese")
        return base;
    Mapping m;
    if (auto it = presets.find(name_or_path); it != presets.end()) {
        m = parse_mapping(it->second, "preset " + name_or_path);
    } else {
        std::ifstream in(name_or_path, std::ios::binary);
        if (!in)
            throw_input(fmt::format("mapping file {} cannot be read", name_or_path),
                        fmt::format("give a JSON mapping file or a preset: {}",
                                    fmt::join(mapping_preset_names(), ", ")));
        std::stringstream text;
        text << in.rdbuf();
        m = parse_mapping(text.str(), name_or_path);
    }
    // The default's Chinese headers stay usable as fall-backs behind the chosen mapping.
    for (const auto& [layer, fields] : base.layers)
        for (const auto& [field, rule] : fields) {
            auto& target = m.layers[layer][field];
            append_unique(target.from, rule.from);
            for (const auto& [k, v] : rule.values)
                target.values.emplace(k, v);
            if (target.status_from.empty() && !rule.status_from.empty()) {
                target.status_from = rule.status_from;
                target.done = rule.done;
                target.not_done = rule.not_done;
            }
        }
    return m;
}

std::vector<BoundField> bind_fields(const Mapping& mapping, const LayerDef& def,
                                    OGRFeatureDefn& defn, const std::string& display) {
    static const FieldRule empty_rule;
    std::vector<BoundField> bound(def.fields.size());
    std::vector<std::string> missing;
    auto layer_it = mapping.layers.find(std::string(def.name));
    for (size_t i = 0; i < def.fields.size(); ++i) {
        const auto& f = def.fields[i];
        auto& b = bound[i];
        b.rule = &empty_rule;
        std::vector<std::string> candidates;
        if (layer_it != mapping.layers.end())
            if (auto r = layer_it->second.find(std::string(f.name)); r != layer_it->second.end())
                b.rule = &r->second;
        if (b.rule->constant)
            continue;
        candidates = b.rule->from;
        // Shapefiles cut field names at 10 bytes: parcel_code arrives as parcel_cod.
        append_unique(candidates, {std::string(f.name), std::string(f.name.substr(0, 10))});
        b.source_index = find_column(defn, candidates, b.source_name);
        if (!b.rule->status_from.empty())
            b.status_index = find_column(defn, b.rule->status_from, b.status_name);
        if (b.source_index < 0 && b.status_index < 0 && f.required)
            missing.push_back(fmt::format("{} (tried: {})", f.name, fmt::join(candidates, ", ")));
    }
    if (!missing.empty()) {
        std::vector<std::string> have;
        for (int i = 0; i < defn.GetFieldCount(); ++i)
            have.emplace_back(defn.GetFieldDefn(i)->GetNameRef());
        throw_input(fmt::format("{}: required field{} missing for layer {}: {}; the source has: {}",
                                display, missing.size() > 1 ? "s" : "", def.name,
                                fmt::join(missing, "; "), fmt::join(have, ", ")),
                    fmt::format("rename the column, or map it in a mapping file (--map FILE; "
                                "presets: {})",
                                fmt::join(mapping_preset_names(), ", ")));
    }
    return bound;
}

} // namespace landclear

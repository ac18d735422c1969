#pragma once
// Mapping files: how a source's columns become the contract's fields. A rule names candidate
// source columns (first present wins), translates values, or derives a date from a status
// column (已征/未征) plus a date column. Presets ship for cadastre (宗地), the third land survey's
// DLTB and Chinese headers; the contract's own names always match.
#include "landclear/core/schema.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

class OGRFeatureDefn;

namespace landclear {

struct FieldRule {
    std::vector<std::string> from;
    std::map<std::string, std::string> values;
    std::optional<std::string> constant;
    std::vector<std::string> status_from;
    std::vector<std::string> done;
    std::vector<std::string> not_done;
};

struct Mapping {
    std::string name;
    std::map<std::string, std::map<std::string, FieldRule>> layers; // layer -> field -> rule
};

// The translation a rule's "values" gives v, compared by type: a number matches a key that
// reads as the same number ("100", "100.0" and "1e2" all match 100.0; "64.6" matches the double
// nearest 64.6), text matches text exactly; nullptr when no key matches.
const std::string* find_value(const FieldRule& rule, const Value& v);

std::vector<std::string> mapping_preset_names();
// A preset name (zongdi, dltb, chinese) or a JSON file path; "" is the default, the chinese
// preset. The chinese preset's rules are always appended as fall-backs.
Mapping load_mapping(const std::string& name_or_path);
Mapping parse_mapping(const std::string& json_text, const std::string& origin);
// A mapping file as JSON, for the sections that are not layers (ledger, plan): Error(input)
// naming the file when it cannot be read (with read_hint: what to give) or is not JSON.
nlohmann::json read_mapping_json(const std::string& path, const std::string& read_hint);

// A rule bound to one source layer's columns.
struct BoundField {
    int source_index = -1;   // -1: not in source
    int status_index = -1;   // status column (done/not_done), -1 if none
    std::string source_name; // for messages
    std::string status_name;
    const FieldRule* rule = nullptr;
};

// Binds every contract field of the layer; Error(input) naming the missing required fields, the
// columns that were tried and the columns the source has.
std::vector<BoundField> bind_fields(const Mapping& mapping, const LayerDef& def,
                                    OGRFeatureDefn& source_fields, const std::string& display);

} // namespace landclear

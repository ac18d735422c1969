#pragma once
// The files around a SpatiaLite store: where it may be created, and the temporaries a killed
// store creation leaves behind.
#include <optional>
#include <string>

namespace landclear::store_files {

// Removes "<store>.tmp-<pid>" files (and their journals) beside the store whose process no
// longer runs: what a store creation killed before its commit leaves. Quietly keeps what it
// cannot remove (a read-only folder); returns how many it removed.
int remove_stale_temporaries(const std::string& store);

// Throws Error(store) with what to do when a new store cannot be created at the path: its
// folder is missing or not writable.
void check_can_create(const std::string& store);

// Throws Error(store) when an existing store cannot be opened for writing (the file or its
// folder, where SQLite keeps its journal, is read-only).
void check_can_write(const std::string& store);

// A number kept in landclear_meta (schema_version, working_srid); Error(store) naming the key
// and the text when it is not a positive whole number (a damaged store), never "stoi".
int parse_meta_number(const std::string& store, const std::string& key, const std::string& text);

} // namespace landclear::store_files

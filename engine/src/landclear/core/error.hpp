#pragma once
// One exception type for everything the library reports to its caller. A data problem found
// while reading input (a bad date, a missing field) becomes an Error whose context names the
// file, layer, feature and field on its way up; the CLI prints it and maps the kind to an exit
// code. Findings about the data itself (an overlap, a repaired polygon) are not errors: they go
// into the store's findings layer.
#include <stdexcept>
#include <string>
#include <vector>

namespace landclear {

enum class ErrorKind {
    usage,    // the request itself is wrong (unknown option value, missing argument)
    input,    // an input file or its content is unusable
    store,    // the store cannot be opened or written
    internal, // a library we call failed unexpectedly
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message, std::string hint = {});

    ErrorKind kind() const noexcept { return m_kind; }
    const std::string& message() const noexcept { return m_message; }
    const std::string& hint() const noexcept { return m_hint; }
    const std::vector<std::string>& context() const noexcept { return m_context; }

    // Adds where the error happened ("file parcels.shp", "feature 17"); outermost last.
    Error& add_context(std::string where);
    Error& set_hint(std::string hint);

    // "file a.shp, layer a, feature 17: field acquired_on: cannot read '2025-13-01' as a date"
    std::string full_message() const;
    const char* what() const noexcept override { return m_what.c_str(); }

private:
    void refresh();

    ErrorKind m_kind;
    std::string m_message;
    std::string m_hint;
    std::vector<std::string> m_context;
    std::string m_what;
};

// Runs fn(); an Error thrown inside gains the context where() returns ("parcel ZD-001") on its
// way out, so a failure deep in geometry or projection code names the feature it was about.
// where() is called only then: the loop over a million parcels builds no strings.
template <class Where, class Fn> decltype(auto) with_context(Where&& where, Fn&& fn) {
    try {
        return fn();
    } catch (Error& e) {
        e.add_context(where());
        throw;
    }
}

[[noreturn]] void throw_input(std::string message, std::string hint = {});
[[noreturn]] void throw_usage(std::string message, std::string hint = {});
[[noreturn]] void throw_store(std::string message, std::string hint = {});
[[noreturn]] void throw_internal(std::string message);

} // namespace landclear

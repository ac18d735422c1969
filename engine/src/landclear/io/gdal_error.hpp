#pragma once
// One route for everything GDAL and PROJ say (PROJ speaks through GDAL's CPLError hook). GDAL's
// default handler prints "ERROR 1: ..." lines on stderr, which the library must never do: the
// process-wide handler keeps what is raised outside any capture, and a GdalErrorCapture (a
// scoped handler, GDAL keeps one stack per thread) collects what is raised while it lives so the
// caller can put GDAL's words into its own Error. Repeats collapse into one message that counts
// them and names where they were first raised ("PROJ: lcc: Invalid latitude (887 times, first at
// feature 3 (P3))"), so a bad transformation is one line, not one per feature.
#include <cstddef>
#include <string>
#include <vector>

namespace landclear {

enum class GdalLevel { warning, failure };

struct GdalMessage {
    GdalLevel level = GdalLevel::warning;
    std::string text;      // as GDAL says it
    std::string context;   // where it was first raised ("" when the scope named nothing)
    std::size_t count = 1; // how often it was raised

    // "PROJ: lcc: Invalid latitude (887 times, first at feature 3 (P3))"
    std::string describe() const;
};

// Installs the process-wide handler; idempotent and thread-safe. ensure_gdal_registered() calls
// it, so every library entry point that touches GDAL has it; the CLI calls it first thing.
void install_gdal_error_route();

// Messages no capture claimed (raised outside one, or warnings a capture left untaken when it
// ended), collapsed, oldest first; the list is emptied. The CLI prints them once at the end.
std::vector<GdalMessage> take_unclaimed_gdal_messages();

class GdalErrorCapture {
public:
    GdalErrorCapture();
    // Untaken warnings, and failures nobody read, go to the process-wide list: nothing is lost.
    ~GdalErrorCapture();
    GdalErrorCapture(const GdalErrorCapture&) = delete;
    GdalErrorCapture& operator=(const GdalErrorCapture&) = delete;

    // What is being worked on now ("feature 12 (P1)"): recorded with the first occurrence of
    // each message raised from here on.
    void set_context(std::string where) { m_context = std::move(where); }

    // The last failure GDAL reported in this scope ("" if none). Reading the failures claims
    // them: the caller puts them into its own Error.
    const std::string& last_error() const;
    // Every failure in this scope, collapsed, joined by "; " ("" if none); claims them too.
    std::string errors() const;
    // Forgets the failures raised so far (after they went into an Error, or were expected).
    void clear_errors();

    // The warnings raised so far, collapsed; the capture no longer hands them on.
    std::vector<GdalMessage> take_warnings();
    // Drops the warnings: for calls whose warnings are known and handled otherwise.
    void discard_warnings();

    void on_message(int error_class, const char* message);

private:
    std::vector<GdalMessage> m_messages;
    std::string m_context;
    std::string m_last_error;
    mutable bool m_errors_claimed = false;
};

} // namespace landclear

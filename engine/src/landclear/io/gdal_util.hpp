#pragma once
// GDAL plumbing shared by readers and writers: registration, and a scoped capture of GDAL's
// error messages so they reach the user inside our own errors instead of on stderr.
#include <string>
#include <vector>

namespace landclear {

void ensure_gdal_registered();

class GdalErrorCapture {
public:
    GdalErrorCapture();
    ~GdalErrorCapture();
    GdalErrorCapture(const GdalErrorCapture&) = delete;
    GdalErrorCapture& operator=(const GdalErrorCapture&) = delete;

    // The last failure GDAL reported in this scope ("" if none).
    std::string last_error() const;
    const std::vector<std::string>& warnings() const { return m_warnings; }

    void on_message(int error_class, const char* message);

private:
    std::vector<std::string> m_errors;
    std::vector<std::string> m_warnings;
};

} // namespace landclear

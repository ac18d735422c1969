// libFuzzer harness: a ledger (io/ledger.hpp) from any bytes, read as a CSV file (a real file
// in the temp folder: the source check looks for it on disk): the encoding guess (UTF-8 or GBK),
// header recognition (宗地编号, 面积(亩), 面积（平方米）, ...), the binding of columns to fields
// and the reading of rows. A ledger it cannot use is a landclear::Error; recognised columns point
// at real fields, and every area it keeps is finite.
#include "landclear/core/error.hpp"
#include "landclear/io/ledger.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <gdal.h>
#include <string>
#include <unistd.h>

namespace {

void check_area(const std::optional<double>& a) {
    if (a && !std::isfinite(*a))
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static bool registered = (GDALAllRegister(), true);
    (void)registered;
    static const std::string path = (std::filesystem::temp_directory_path() /
                                     ("fuzz_ledger_" + std::to_string(getpid()) + ".csv"))
                                        .string();
    // Removed when the fuzzer exits (it returns through exit(), which runs this destructor).
    static const struct Remove {
        const std::string& p;
        ~Remove() { std::filesystem::remove(p); }
    } remove{path};
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    try {
        landclear::LedgerOptions o;
        o.path = path;
        auto ledger = landclear::read_ledger(o);
        for (const auto& c : ledger.columns)
            if (c.index < 0 || c.header.empty())
                __builtin_trap();
        for (const auto& r : ledger.rows) {
            check_area(r.area_mu);
            check_area(r.acquired_mu);
            check_area(r.cleared_mu);
            check_area(r.delivered_mu);
        }
    } catch (const landclear::Error&) {
    }
    return 0;
}

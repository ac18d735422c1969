#include "landclear/io/gdal_util.hpp"

#include <gdal.h>
#include <mutex>

namespace landclear {

void ensure_gdal_registered() {
    static std::once_flag once;
    std::call_once(once, [] {
        install_gdal_error_route();
        GDALAllRegister();
    });
}

} // namespace landclear

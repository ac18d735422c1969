#pragma once
// GDAL plumbing shared by readers and writers: registration (which also installs the one
// GDAL/PROJ error route, gdal_error.hpp, so no GDAL message reaches stderr).
#include "landclear/io/gdal_error.hpp"

namespace landclear {

void ensure_gdal_registered();

} // namespace landclear

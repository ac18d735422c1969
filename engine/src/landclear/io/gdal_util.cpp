#include "landclear/io/gdal_util.hpp"

#include <cpl_error.h>
#include <gdal.h>
#include <mutex>
#include <ogr_api.h>

namespace landclear {

void ensure_gdal_registered() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

namespace {
void CPL_STDCALL capture_handler(CPLErr error_class, CPLErrorNum, const char* message) {
    auto* self = static_cast<GdalErrorCapture*>(CPLGetErrorHandlerUserData());
    if (self)
        self->on_message(static_cast<int>(error_class), message);
}
} // namespace

GdalErrorCapture::GdalErrorCapture() {
    CPLPushErrorHandlerEx(capture_handler, this);
}

GdalErrorCapture::~GdalErrorCapture() {
    CPLPopErrorHandler();
}

std::string GdalErrorCapture::last_error() const {
    return m_errors.empty() ? std::string() : m_errors.back();
}

void GdalErrorCapture::on_message(int error_class, const char* message) {
    if (error_class >= CE_Failure)
        m_errors.emplace_back(message ? message : "");
    else if (error_class == CE_Warning)
        m_warnings.emplace_back(message ? message : "");
}

} // namespace landclear

#include "landclear/io/gdal_error.hpp"

#include <algorithm>
#include <cpl_error.h>
#include <fmt/format.h>
#include <mutex>
#include <utility>

namespace landclear {

namespace {

// A message text GDAL builds from data (a coordinate, a feature id) never repeats exactly; past
// this many distinct texts the rest are counted in the last entry rather than kept one by one.
constexpr std::size_t max_distinct = 100;

void add_collapsed(std::vector<GdalMessage>& list, GdalLevel level, std::string text,
                   const std::string& context, std::size_t count = 1) {
    auto same = [&](const GdalMessage& m) { return m.level == level && m.text == text; };
    if (auto it = std::find_if(list.begin(), list.end(), same); it != list.end()) {
        it->count += count;
        return;
    }
    if (list.size() >= max_distinct) {
        auto& last = list.back();
        if (last.text != "further GDAL messages")
            last = {level, "further GDAL messages", "", last.count};
        last.count += count;
        return;
    }
    list.push_back({level, std::move(text), context, count});
}

std::mutex& unclaimed_mutex() {
    static std::mutex m;
    return m;
}

std::vector<GdalMessage>& unclaimed() {
    static std::vector<GdalMessage> list;
    return list;
}

void keep_unclaimed(GdalLevel level, std::string text, const std::string& context,
                    std::size_t count) {
    std::lock_guard lock(unclaimed_mutex());
    add_collapsed(unclaimed(), level, std::move(text), context, count);
}

std::string clean(const char* message) {
    std::string s = message ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.pop_back();
    return s;
}

// Outside every capture. Debug output is only produced on request (CPL_DEBUG), so it keeps
// GDAL's own printing; a fatal error aborts inside GDAL whatever we do.
void CPL_STDCALL process_handler(CPLErr error_class, CPLErrorNum number, const char* message) {
    if (error_class == CE_Debug || error_class == CE_Fatal) {
        CPLDefaultErrorHandler(error_class, number, message);
        return;
    }
    if (error_class == CE_None)
        return;
    keep_unclaimed(error_class == CE_Warning ? GdalLevel::warning : GdalLevel::failure,
                   clean(message), "", 1);
}

void CPL_STDCALL capture_handler(CPLErr error_class, CPLErrorNum number, const char* message) {
    auto* self = static_cast<GdalErrorCapture*>(CPLGetErrorHandlerUserData());
    if (error_class == CE_Debug || error_class == CE_Fatal || !self) {
        process_handler(error_class, number, message);
        return;
    }
    self->on_message(static_cast<int>(error_class), message);
}

} // namespace

std::string GdalMessage::describe() const {
    if (count == 1 && context.empty())
        return text;
    if (count == 1)
        return fmt::format("{} (at {})", text, context);
    if (context.empty())
        return fmt::format("{} ({} times)", text, count);
    return fmt::format("{} ({} times, first at {})", text, count, context);
}

void install_gdal_error_route() {
    static std::once_flag once;
    std::call_once(once, [] { CPLSetErrorHandlerEx(process_handler, nullptr); });
}

std::vector<GdalMessage> take_unclaimed_gdal_messages() {
    std::lock_guard lock(unclaimed_mutex());
    return std::exchange(unclaimed(), {});
}

GdalErrorCapture::GdalErrorCapture() {
    install_gdal_error_route();
    CPLPushErrorHandlerEx(capture_handler, this);
}

GdalErrorCapture::~GdalErrorCapture() {
    CPLPopErrorHandler();
    for (auto& m : m_messages)
        if (m.level == GdalLevel::warning || !m_errors_claimed)
            keep_unclaimed(m.level, std::move(m.text), m.context, m.count);
}

const std::string& GdalErrorCapture::last_error() const {
    m_errors_claimed = true;
    return m_last_error;
}

std::string GdalErrorCapture::errors() const {
    m_errors_claimed = true;
    std::string out;
    for (const auto& m : m_messages)
        if (m.level == GdalLevel::failure)
            out += (out.empty() ? "" : "; ") + m.describe();
    return out;
}

void GdalErrorCapture::clear_errors() {
    std::erase_if(m_messages, [](const GdalMessage& m) { return m.level == GdalLevel::failure; });
    m_last_error.clear();
    m_errors_claimed = false;
}

std::vector<GdalMessage> GdalErrorCapture::take_warnings() {
    std::vector<GdalMessage> out;
    for (auto& m : m_messages)
        if (m.level == GdalLevel::warning)
            out.push_back(std::move(m));
    std::erase_if(m_messages, [](const GdalMessage& m) { return m.level == GdalLevel::warning; });
    return out;
}

void GdalErrorCapture::discard_warnings() {
    take_warnings();
}

void GdalErrorCapture::on_message(int error_class, const char* message) {
    auto level = error_class >= CE_Failure ? GdalLevel::failure : GdalLevel::warning;
    std::string text = clean(message);
    if (level == GdalLevel::failure) {
        m_last_error = text;
        m_errors_claimed = false;
    }
    add_collapsed(m_messages, level, std::move(text), m_context);
}

} // namespace landclear

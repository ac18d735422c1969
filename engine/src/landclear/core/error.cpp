#include "landclear/core/error.hpp"

namespace landclear {

Error::Error(ErrorKind kind, std::string message, std::string hint)
    : std::runtime_error(message), m_kind(kind), m_message(std::move(message)),
      m_hint(std::move(hint)) {
    refresh();
}

Error& Error::add_context(std::string where) {
    m_context.push_back(std::move(where));
    refresh();
    return *this;
}

Error& Error::set_hint(std::string hint) {
    m_hint = std::move(hint);
    return *this;
}

std::string Error::full_message() const {
    return m_what;
}

void Error::refresh() {
    std::string out;
    for (auto it = m_context.rbegin(); it != m_context.rend(); ++it) {
        if (!out.empty())
            out += ", ";
        out += *it;
    }
    if (!out.empty())
        out += ": ";
    out += m_message;
    m_what = std::move(out);
}

void throw_input(std::string message, std::string hint) {
    throw Error(ErrorKind::input, std::move(message), std::move(hint));
}
void throw_usage(std::string message, std::string hint) {
    throw Error(ErrorKind::usage, std::move(message), std::move(hint));
}
void throw_store(std::string message, std::string hint) {
    throw Error(ErrorKind::store, std::move(message), std::move(hint));
}
void throw_internal(std::string message) {
    throw Error(ErrorKind::internal, std::move(message));
}

} // namespace landclear

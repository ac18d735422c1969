#pragma once
// A message said in both languages the reports speak: analysis and io produce both, the report
// layer picks one by --lang (report/table.hpp's Lang), so no note stays Chinese under --lang en.
#include <string>

namespace landclear {

struct Phrase {
    std::string zh, en;
    bool empty() const { return zh.empty() && en.empty(); }
    // Joins two phrases with each language's own separator (；/ "; "), skipping empty ones.
    Phrase& append(const Phrase& more) {
        if (more.empty())
            return *this;
        zh = zh.empty() ? more.zh : zh + "；" + more.zh;
        en = en.empty() ? more.en : en + "; " + more.en;
        return *this;
    }
};

} // namespace landclear

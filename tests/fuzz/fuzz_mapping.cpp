// libFuzzer harness: mapping files (io/mapping.hpp) from any text. A file it cannot use is a
// landclear::Error naming it; any other exception escaping (a JSON library error, a bad
// std::get, out_of_range) or a memory error is a defect.
#include "landclear/core/error.hpp"
#include "landclear/io/mapping.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto m = landclear::parse_mapping(text, "fuzz.json");
        // Every rule is reachable and its strings whole.
        std::size_t n = 0;
        for (const auto& [layer, fields] : m.layers)
            for (const auto& [field, rule] : fields)
                n += layer.size() + field.size() + rule.from.size() + rule.values.size();
        (void)n;
    } catch (const landclear::Error&) {
    }
    return 0;
}

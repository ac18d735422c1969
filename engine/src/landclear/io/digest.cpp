#include "landclear/io/digest.hpp"

#include "landclear/core/error.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <vector>

namespace landclear {

std::string sha256_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return {};
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw_input(fmt::format("cannot read {} to take its checksum", path),
                    "check that the file is readable");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
        throw_internal("OpenSSL cannot start a SHA-256 digest");
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        auto n = in.gcount();
        if (n > 0 && EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n)) != 1)
            throw_internal("OpenSSL failed while digesting " + path);
    }
    if (in.bad())
        throw_input(fmt::format("reading {} failed while taking its checksum", path));
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1)
        throw_internal("OpenSSL failed to finish the SHA-256 digest of " + path);
    std::string hex;
    for (unsigned int i = 0; i < len; ++i)
        hex += fmt::format("{:02x}", md[i]);
    return hex;
}

} // namespace landclear

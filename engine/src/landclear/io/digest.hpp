#pragma once
// Content digests of input files, so an import batch says exactly which files it read.
#include <string>

namespace landclear {

// The SHA-256 of a file's bytes as 64 lowercase hex digits (OpenSSL's libcrypto). A path that is
// not a regular file (a folder, a database connection string) has no digest: "".
std::string sha256_file(const std::string& path);

} // namespace landclear

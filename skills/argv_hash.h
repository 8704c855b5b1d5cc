#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::skills {

/// SHA-256 of `data`, lower-case hex.
std::string sha256_hex(std::string_view data);

/// The hash an approval binds to: SHA-256 over the argv with every element length-prefixed, so
/// ["a b"] and ["a", "b"] differ. "sha256:<hex>".
std::string argv_hash(const std::vector<std::string>& argv);

}  // namespace vigil::skills

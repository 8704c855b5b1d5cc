#pragma once

#include <string>
#include <string_view>

namespace vigil {

/// A random (version 4) UUID in canonical lower-case form, from the OS's CSPRNG.
std::string new_uuid();
/// True for the canonical 8-4-4-4-12 lower- or upper-case hex form only: run ids are checked with
/// this before any path is built from them.
bool is_uuid(std::string_view text);
/// `bytes` random bytes from the CSPRNG, hex-encoded (approval tokens: 16 bytes = 128 bits).
std::string random_hex(std::size_t bytes);
/// Lower-case hex SHA-256 of `data` (argv hashes, signatures).
std::string sha256_hex(std::string_view data);

}  // namespace vigil

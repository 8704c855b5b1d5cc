#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil {

/// Byte limits on untrusted text must not cut a UTF-8 character in two: the text ends up in JSON
/// (Slack, the store), whose dump refuses a broken character.

/// The largest cut <= n that does not fall inside a character of `s` (n past the end: s.size()).
std::size_t utf8_floor(std::string_view s, std::size_t n);
/// At most the first `max_bytes` bytes of `s`, ending on a character boundary.
std::string utf8_prefix(std::string_view s, std::size_t max_bytes);
/// Shortens `s` in place to at most `max_bytes`, ending on a character boundary.
void utf8_truncate(std::string& s, std::size_t max_bytes);

}  // namespace vigil

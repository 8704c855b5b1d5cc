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
/// Length of the well-formed UTF-8 character at the start of `s` (RFC 3629: no overlong forms, no
/// surrogates, nothing past U+10FFFF), or 0 when it is not one. NUL counts as not one.
std::size_t utf8_character_length(std::string_view s);
/// `s` with every NUL byte and every byte that does not start a well-formed character replaced by
/// U+FFFD (PostgreSQL's text refuses both; SQLite keeps them).
std::string utf8_scrubbed(std::string_view s);

}  // namespace vigil

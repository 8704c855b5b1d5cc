#include "bot/base/utf8.h"

#include <algorithm>

namespace vigil {

std::size_t utf8_floor(std::string_view s, std::size_t n) {
  n = std::min(n, s.size());
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
    --n;
  }
  return n;
}

std::string utf8_prefix(std::string_view s, std::size_t max_bytes) {
  return std::string(s.substr(0, utf8_floor(s, max_bytes)));
}

void utf8_truncate(std::string& s, std::size_t max_bytes) {
  if (s.size() > max_bytes) {
    s.resize(utf8_floor(s, max_bytes));
  }
}

}  // namespace vigil

#pragma once

// Private to bot/store: the column and binding helpers every section of the Store shares.

#include <cstdint>
#include <optional>

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil::store_detail {

inline std::optional<long long> opt_int64(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getInt64();
}
inline std::optional<int> opt_int(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getInt();
}
template <class T>
void bind_opt(SQLite::Statement& s, int index, const std::optional<T>& v) {
  if (v) {
    s.bind(index, static_cast<std::int64_t>(*v));
  } else {
    s.bind(index);
  }
}

}  // namespace vigil::store_detail

#pragma once

// Private to bot/store: the column and binding helpers every section of the Store shares.

#include <cstdint>
#include <optional>

#include "bot/store/sql.h"

namespace vigil::store_detail {

inline std::optional<long long> opt_int64(const sql::Column& c) {
  if (c.is_null()) {
    return std::nullopt;
  }
  return c.as_int64();
}
inline std::optional<int> opt_int(const sql::Column& c) {
  if (c.is_null()) {
    return std::nullopt;
  }
  return c.as_int();
}
/// Runs an `INSERT … RETURNING id`; the new row's id.
inline std::int64_t inserted_id(sql::Statement& q) {
  if (!q.step()) {
    throw sql::Error("the insert returned no id");
  }
  const std::int64_t id = q.column(0).as_int64();
  q.step();  // to its end: a SQLite statement left mid-result would hold its transaction open
  return id;
}
template <class T>
void bind_opt(sql::Statement& s, int index, const std::optional<T>& v) {
  if (v) {
    s.bind(index, static_cast<std::int64_t>(*v));
  } else {
    s.bind(index);
  }
}

}  // namespace vigil::store_detail

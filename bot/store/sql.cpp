#include "bot/store/sql.h"

namespace vigil::sql {

std::int64_t query_int64(Connection& connection, const std::string& sql) {
  Statement q(connection, sql);
  return q.step() ? q.column(0).as_int64() : 0;
}

}  // namespace vigil::sql

// `vigil store migrate --to postgres://…`: every row of one Store copied into another.
#include <array>

#include "bot/store/sql.h"
#include "bot/store/store.h"

namespace vigil {
namespace {

// Parents before children (the foreign keys), every table of kSchemaVersion but schema_version,
// which the destination's own migrations wrote. Tables keyed by an integer id keep their ids; the
// others are read in SQLite's insertion order (rowid), which the destination's rowid keeps.
struct CopiedTable {
  const char* name;
  bool integer_id;
};
constexpr std::array<CopiedTable, 13> kTables = {{
    {"incidents", false},
    {"runs", false},
    {"run_events", true},
    {"incident_events", true},
    {"steps", true},
    {"approvals", false},
    {"approval_votes", false},
    {"audit_log", true},
    {"processed_events", false},
    {"auto_triage_pauses", false},
    {"webhook_deliveries", true},
    {"agent_turns", true},
    {"relayed_envelopes", true},
}};
static_assert(Store::kSchemaVersion == 10, "a new table (or column) in a migration: copy it here too");

std::string placeholders(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += i == 0 ? "?" : ",?";
  }
  return out;
}

// The columns SQLite's SELECT * names, but rowid (a PostgreSQL destination makes its own).
long long copy_table(sql::Connection& from, sql::Connection& to, const CopiedTable& table) {
  const std::string order = table.integer_id ? "id" : "rowid";
  sql::Statement rows(from, std::string("SELECT * FROM ") + table.name + " ORDER BY " + order);
  long long copied = 0;
  std::unique_ptr<sql::Statement> insert;
  std::vector<int> columns;
  while (rows.step()) {
    if (!insert) {
      std::string names;
      for (int c = 0; c < rows.column_count(); ++c) {
        if (rows.column_name(c) == "rowid") {
          continue;
        }
        names += (columns.empty() ? "" : ",") + ("\"" + rows.column_name(c) + "\"");
        columns.push_back(c);
      }
      insert = std::make_unique<sql::Statement>(to.prepare(std::string("INSERT INTO ") + table.name + "(" + names +
                                                               ") VALUES (" +
                                                               placeholders(static_cast<int>(columns.size())) + ")",
                                                           true));
    }
    insert->reset();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto value = rows.column(columns[i]);
      if (value.is_null()) {
        insert->bind(static_cast<int>(i + 1));
      } else {
        insert->bind(static_cast<int>(i + 1), value.as_text());
      }
    }
    insert->exec();
    ++copied;
  }
  return copied;
}

// After rows came in with their ids, new rows must not collide with them.
void move_sequence_past(sql::Connection& to, const CopiedTable& table) {
  if (to.dialect() != sql::Dialect::PostgreSQL) {
    return;  // SQLite's AUTOINCREMENT already follows the largest id
  }
  const std::string column = table.integer_id ? "id" : "rowid";
  sql::query_int64(to, std::string("SELECT setval(pg_get_serial_sequence('") + table.name + "', '" + column +
                           "'), COALESCE((SELECT MAX(" + column + ") FROM " + table.name + "), 0) + 1, false)");
}

}  // namespace

Result<std::vector<std::pair<std::string, long long>>> Store::copy_into(Store& destination) {
  try {
    const int from_version = schema_version();
    const int to_version = destination.schema_version();
    if (from_version != kSchemaVersion || to_version != kSchemaVersion) {
      return make_error(Errc::InvalidConfig, "both databases must be at schema version " +
                                                 std::to_string(kSchemaVersion) + " (the source is at " +
                                                 std::to_string(from_version) + ", the destination at " +
                                                 std::to_string(to_version) + ")");
    }
    for (const char* table : {"runs", "incidents", "audit_log"}) {
      if (sql::query_int64(*destination.db_, std::string("SELECT COUNT(*) FROM ") + table) > 0) {
        return make_error(Errc::Conflict, std::string("the destination already holds ") + table +
                                              "; copy into an empty database so nothing is mixed or overwritten");
      }
    }
    std::vector<std::pair<std::string, long long>> counts;
    sql::Transaction tx(*destination.db_);
    for (const auto& table : kTables) {
      counts.emplace_back(table.name, copy_table(*db_, *destination.db_, table));
      move_sequence_past(*destination.db_, table);
    }
    tx.commit();
    return counts;
  } catch (const sql::Error& e) {
    return make_error(Errc::Io,
                      std::string("the copy stopped, and nothing was written to the destination: ") + e.what());
  }
}

}  // namespace vigil

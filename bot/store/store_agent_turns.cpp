#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/store/store.h"

namespace vigil {
namespace {

std::optional<long long> optional_int(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getInt64();
}

AgentUsageTotals read_totals(SQLite::Statement& q) {
  AgentUsageTotals t;
  if (q.executeStep()) {
    t.turns = q.getColumn(0).getInt();
    t.runs = q.getColumn(1).getInt();
    t.duration_ms = q.getColumn(2).isNull() ? 0 : q.getColumn(2).getInt64();
    t.input_tokens = optional_int(q.getColumn(3));
    t.output_tokens = optional_int(q.getColumn(4));
    if (!q.getColumn(5).isNull()) {
      t.cost_usd = q.getColumn(5).getDouble();
    }
  }
  return t;
}

constexpr const char* kTotals =
    "SELECT COUNT(*), COUNT(DISTINCT t.run_id), SUM(t.duration_ms), SUM(t.input_tokens), SUM(t.output_tokens), "
    "SUM(t.cost_usd) FROM agent_turns t ";

}  // namespace

void Store::add_agent_turn(const AgentTurnRecord& turn) {
  SQLite::Statement q(*db_,
                      "INSERT INTO agent_turns(run_id, backend, started_at_ms, duration_ms, status, retry, "
                      "input_tokens, output_tokens, cost_usd) VALUES (?,?,?,?,?,?,?,?,?)");
  q.bind(1, turn.run_id);
  q.bind(2, turn.backend);
  q.bind(3, static_cast<std::int64_t>(turn.started_at_ms));
  q.bind(4, static_cast<std::int64_t>(turn.duration_ms));
  q.bind(5, turn.status);
  q.bind(6, turn.retry ? 1 : 0);
  if (turn.input_tokens) {
    q.bind(7, static_cast<std::int64_t>(*turn.input_tokens));
  }
  if (turn.output_tokens) {
    q.bind(8, static_cast<std::int64_t>(*turn.output_tokens));
  }
  if (turn.cost_usd) {
    q.bind(9, *turn.cost_usd);
  }
  q.exec();
}

AgentUsageTotals Store::agent_usage_for_run(const std::string& run_id) {
  SQLite::Statement q(*db_, std::string(kTotals) + "WHERE t.run_id=?");
  q.bind(1, run_id);
  return read_totals(q);
}

AgentUsageTotals Store::agent_usage_for_incident(const std::string& incident_id) {
  SQLite::Statement q(*db_, std::string(kTotals) + "JOIN runs r ON r.id = t.run_id WHERE r.incident_id=?");
  q.bind(1, incident_id);
  return read_totals(q);
}

}  // namespace vigil

#include "bot/store/sql.h"

#include "bot/store/store.h"

namespace vigil {
namespace {

std::optional<long long> optional_int(const sql::Column& c) {
  if (c.is_null()) {
    return std::nullopt;
  }
  return c.as_int64();
}

AgentUsageTotals read_totals(sql::Statement& q) {
  AgentUsageTotals t;
  if (q.step()) {
    t.turns = q.column(0).as_int();
    t.runs = q.column(1).as_int();
    t.duration_ms = q.column(2).is_null() ? 0 : q.column(2).as_int64();
    t.input_tokens = optional_int(q.column(3));
    t.output_tokens = optional_int(q.column(4));
    if (!q.column(5).is_null()) {
      t.cost_usd = q.column(5).as_double();
    }
  }
  return t;
}

constexpr const char* kTotals =
    "SELECT COUNT(*), COUNT(DISTINCT t.run_id), SUM(t.duration_ms), SUM(t.input_tokens), SUM(t.output_tokens), "
    "SUM(t.cost_usd) FROM agent_turns t ";

}  // namespace

void Store::add_agent_turn(const AgentTurnRecord& turn) {
  sql::Statement q(*db_,
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
  sql::Statement q(*db_, std::string(kTotals) + "WHERE t.run_id=?");
  q.bind(1, run_id);
  return read_totals(q);
}

AgentUsageTotals Store::agent_usage_for_incident(const std::string& incident_id) {
  sql::Statement q(*db_, std::string(kTotals) + "JOIN runs r ON r.id = t.run_id WHERE r.incident_id=?");
  q.bind(1, incident_id);
  return read_totals(q);
}

}  // namespace vigil

// Retention: what ages out of the database (storage.retention), deleted in small batches, children
// before their parents, each kind in its own short transaction so the io thread is never held long.
#include "bot/store/sql.h"

#include "bot/store/store.h"

namespace vigil {
namespace {

// A run that may go: final, and finished (or, never started, created) before ?1.
std::string final_run(const std::string& r, const char* cutoff = "?1") {
  return r + ".state IN ('succeeded','failed','timed_out','cancelled','interrupted') AND COALESCE(" + r +
         ".finished_at, " + r + ".created_at) < " + cutoff;
}

// An incident that may go: resolved before ?1, and no run refers to it any more.
std::string old_incident(const std::string& i) {
  return i + ".state = 'resolved' AND COALESCE(" + i + ".resolved_at, " + i + ".created_at) < ?1 AND NOT EXISTS " +
         "(SELECT 1 FROM runs r WHERE r.incident_id = " + i + ".id)";
}

// The ids of the runs that may go (children are found through their run_id index).
std::string final_run_ids() {
  return "SELECT r.id FROM runs r WHERE " + final_run("r");
}

const std::string& sql_delete_run_events() {
  static const std::string sql = "DELETE FROM run_events WHERE id IN (SELECT id FROM run_events WHERE run_id IN (" +
                                 final_run_ids() + ") LIMIT ?2)";
  return sql;
}

// Each agent turn's duration, tokens and cost (schema 7) go with their run; counted as run events.
const std::string& sql_delete_agent_turns() {
  static const std::string sql = "DELETE FROM agent_turns WHERE id IN (SELECT id FROM agent_turns WHERE run_id IN (" +
                                 final_run_ids() + ") LIMIT ?2)";
  return sql;
}

const std::string& sql_delete_votes() {
  static const std::string sql =
      "DELETE FROM approval_votes WHERE rowid IN (SELECT v.rowid FROM approval_votes v WHERE v.token IN (SELECT "
      "token FROM approvals WHERE run_id IN (" +
      final_run_ids() + ")) LIMIT ?2)";
  return sql;
}

const std::string& sql_delete_approvals() {
  static const std::string sql =
      "DELETE FROM approvals WHERE token IN (SELECT a.token FROM approvals a WHERE a.run_id IN (" + final_run_ids() +
      ") AND NOT EXISTS (SELECT 1 FROM approval_votes v WHERE v.token = a.token) LIMIT ?2)";
  return sql;
}

const std::string& sql_delete_steps() {
  static const std::string sql = "DELETE FROM steps WHERE id IN (SELECT s.id FROM steps s WHERE s.run_id IN (" +
                                 final_run_ids() +
                                 ") AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.step_id = s.id) LIMIT ?2)";
  return sql;
}

const std::string& sql_delete_runs() {
  static const std::string sql = "DELETE FROM runs WHERE id IN (SELECT r.id FROM runs r WHERE " + final_run("r") +
                                 " AND NOT EXISTS (SELECT 1 FROM run_events e WHERE e.run_id = r.id)"
                                 " AND NOT EXISTS (SELECT 1 FROM agent_turns t WHERE t.run_id = r.id)"
                                 " AND NOT EXISTS (SELECT 1 FROM steps s WHERE s.run_id = r.id)"
                                 " AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.run_id = r.id) LIMIT ?2)";
  return sql;
}

const std::string& sql_delete_incident_events() {
  static const std::string sql =
      "DELETE FROM incident_events WHERE id IN (SELECT id FROM incident_events WHERE incident_id IN (SELECT i.id "
      "FROM incidents i WHERE " +
      old_incident("i") + ") LIMIT ?2)";
  return sql;
}

const std::string& sql_delete_incidents() {
  static const std::string sql = "DELETE FROM incidents WHERE id IN (SELECT i.id FROM incidents i WHERE " +
                                 old_incident("i") +
                                 " AND NOT EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id)"
                                 " LIMIT ?2)";
  return sql;
}

constexpr const char* kDeleteDeliveries =
    "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE status != 'received' "
    "AND received_at < ?1 ORDER BY id LIMIT ?2)";
constexpr const char* kDeleteAudit =
    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at_ms < ?1 ORDER BY id LIMIT ?2)";

}  // namespace

PruneCounts& PruneCounts::operator+=(const PruneCounts& o) {
  runs += o.runs;
  run_events += o.run_events;
  steps += o.steps;
  approvals += o.approvals;
  incidents += o.incidents;
  incident_events += o.incident_events;
  webhook_deliveries += o.webhook_deliveries;
  audit += o.audit;
  return *this;
}

long long Store::delete_in_transaction(const std::string& sql, long long cutoff, int batch) {
  sql::Transaction tx(*db_);
  sql::Statement q(*db_, sql);
  q.bind(1, static_cast<std::int64_t>(cutoff));
  q.bind(2, batch);
  const long long deleted = q.exec();
  tx.commit();
  return deleted;
}

long long Store::count_where(const std::string& sql, long long first, long long second) {
  sql::Statement q(*db_, sql);
  q.bind(1, static_cast<std::int64_t>(first));
  if (sql.find("?2") != std::string::npos) {
    q.bind(2, static_cast<std::int64_t>(second));
  }
  return q.step() ? q.column(0).as_int64() : 0;
}

PruneCounts Store::prune_batch(const PruneCutoffs& c, int batch) {
  PruneCounts n;
  n.run_events = delete_in_transaction(sql_delete_run_events(), c.runs_before, batch);
  // A run's agent turns count with its timeline, within the same batch.
  if (n.run_events < batch) {
    n.run_events +=
        delete_in_transaction(sql_delete_agent_turns(), c.runs_before, static_cast<int>(batch - n.run_events));
  }
  delete_in_transaction(sql_delete_votes(), c.runs_before, batch);
  n.approvals = delete_in_transaction(sql_delete_approvals(), c.runs_before, batch);
  n.steps = delete_in_transaction(sql_delete_steps(), c.runs_before, batch);
  n.runs = delete_in_transaction(sql_delete_runs(), c.runs_before, batch);
  n.incident_events = delete_in_transaction(sql_delete_incident_events(), c.incidents_before, batch);
  n.incidents = delete_in_transaction(sql_delete_incidents(), c.incidents_before, batch);
  n.webhook_deliveries = delete_in_transaction(kDeleteDeliveries, c.deliveries_before, batch);
  n.audit = delete_in_transaction(kDeleteAudit, c.audit_before * 1000, batch);
  return n;
}

PruneCounts Store::count_prunable(const PruneCutoffs& c) {
  PruneCounts n;
  n.runs = count_where("SELECT COUNT(*) FROM runs r WHERE " + final_run("r"), c.runs_before);
  n.run_events = count_where("SELECT COUNT(*) FROM run_events e JOIN runs r ON r.id = e.run_id WHERE " + final_run("r"),
                             c.runs_before);
  n.run_events += count_where(
      "SELECT COUNT(*) FROM agent_turns t JOIN runs r ON r.id = t.run_id WHERE " + final_run("r"), c.runs_before);
  n.steps =
      count_where("SELECT COUNT(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE " + final_run("r"), c.runs_before);
  n.approvals = count_where("SELECT COUNT(*) FROM approvals a JOIN runs r ON r.id = a.run_id WHERE " + final_run("r"),
                            c.runs_before);
  // An incident goes once every run that refers to it goes too (in this pass or an earlier one).
  const std::string incident_goes =
      "i.state = 'resolved' AND COALESCE(i.resolved_at, i.created_at) < ?1 AND NOT EXISTS (SELECT 1 FROM runs r "
      "WHERE r.incident_id = i.id AND NOT (" +
      final_run("r", "?2") + "))";
  n.incidents =
      count_where("SELECT COUNT(*) FROM incidents i WHERE " + incident_goes, c.incidents_before, c.runs_before);
  n.incident_events = count_where(
      "SELECT COUNT(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE " + incident_goes,
      c.incidents_before, c.runs_before);
  n.webhook_deliveries = count_where(
      "SELECT COUNT(*) FROM webhook_deliveries WHERE status != 'received' AND received_at < ?1", c.deliveries_before);
  n.audit = count_where("SELECT COUNT(*) FROM audit_log WHERE at_ms < ?1", c.audit_before * 1000);
  return n;
}

}  // namespace vigil

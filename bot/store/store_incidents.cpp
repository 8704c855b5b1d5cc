#include "bot/store/store.h"

#include "bot/store/sql.h"

#include "bot/store/store_sql.h"

namespace vigil {
namespace {

using namespace store_detail;

constexpr const char* kIncidentColumns =
    "id, title, severity, state, source, fingerprint, channel, thread_ts, declared_by, created_at, "
    "resolved_at, alert_count";

IncidentRecord read_incident(sql::Statement& q) {
  IncidentRecord r;
  r.id = q.column(0).as_text();
  r.title = q.column(1).as_text();
  r.severity = q.column(2).as_text();
  r.state = q.column(3).as_text();
  r.source = q.column(4).as_text();
  r.fingerprint = q.column(5).as_text();
  r.channel = q.column(6).as_text();
  r.thread_ts = q.column(7).as_text();
  r.declared_by = q.column(8).as_text();
  r.created_at = q.column(9).as_int64();
  r.resolved_at = opt_int64(q.column(10));
  r.alert_count = q.column(11).as_int();
  return r;
}

}  // namespace

// Incidents

Result<void> Store::create_incident(const IncidentRecord& i) {
  sql::Statement q(*db_,
                   "INSERT INTO incidents(id, title, severity, state, source, fingerprint, channel, "
                   "thread_ts, declared_by, created_at, alert_count) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  q.bind(1, i.id);
  q.bind(2, scrub(i.title));
  q.bind(3, i.severity);
  q.bind(4, i.state);
  q.bind(5, i.source);
  q.bind(6, i.fingerprint);
  q.bind(7, i.channel);
  q.bind(8, i.thread_ts);
  q.bind(9, i.declared_by);
  q.bind(10, static_cast<std::int64_t>(i.created_at));
  q.bind(11, i.alert_count);
  try {
    q.exec();
  } catch (const sql::Error& e) {
    if (e.constraint()) {
      return make_error(Errc::Conflict, i.id);
    }
    throw;
  }
  return {};
}

std::optional<IncidentRecord> Store::get_incident(const std::string& id) {
  sql::Statement q(*db_, std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id=?");
  q.bind(1, id);
  if (q.step()) {
    return read_incident(q);
  }
  return std::nullopt;
}

std::optional<IncidentRecord> Store::find_open_incident_by_fingerprint(const std::string& source,
                                                                       const std::string& fingerprint) {
  sql::Statement q(*db_, std::string("SELECT ") + kIncidentColumns +
                             " FROM incidents WHERE source=? AND fingerprint=? AND state='open' "
                             "ORDER BY created_at DESC LIMIT 1");
  q.bind(1, source);
  q.bind(2, fingerprint);
  if (q.step()) {
    return read_incident(q);
  }
  return std::nullopt;
}

std::vector<IncidentRecord> Store::list_incidents(int limit, bool open_only) {
  sql::Statement q(*db_, std::string("SELECT ") + kIncidentColumns + " FROM incidents" +
                             (open_only ? " WHERE state='open'" : "") +
                             " ORDER BY created_at DESC, rowid DESC LIMIT ?");
  q.bind(1, limit);
  std::vector<IncidentRecord> out;
  while (q.step()) {
    out.push_back(read_incident(q));
  }
  return out;
}

int Store::bump_incident_alert_count(const std::string& id) {
  sql::Statement q(*db_, "UPDATE incidents SET alert_count = alert_count + 1 WHERE id=? RETURNING alert_count");
  q.bind(1, id);
  return q.step() ? q.column(0).as_int() : 0;
}

bool Store::resolve_incident(const std::string& id, long long at) {
  sql::Statement q(*db_, "UPDATE incidents SET state='resolved', resolved_at=? WHERE id=? AND state='open'");
  q.bind(1, static_cast<std::int64_t>(at));
  q.bind(2, id);
  return q.exec() == 1;
}

void Store::set_incident_thread(const std::string& id, const std::string& channel, const std::string& thread_ts) {
  sql::Statement q(*db_, "UPDATE incidents SET channel=?, thread_ts=? WHERE id=?");
  q.bind(1, channel);
  q.bind(2, thread_ts);
  q.bind(3, id);
  q.exec();
}

std::vector<IncidentRecord> Store::find_incidents_by_prefix(const std::string& prefix, int limit) {
  if (prefix.empty()) {
    return {};
  }
  sql::Statement q(*db_, std::string("SELECT ") + kIncidentColumns +
                             " FROM incidents WHERE substr(id, 1, ?) = ? ORDER BY created_at DESC, rowid DESC "
                             "LIMIT ?");
  q.bind(1, static_cast<int>(prefix.size()));
  q.bind(2, prefix);
  q.bind(3, limit);
  std::vector<IncidentRecord> out;
  while (q.step()) {
    out.push_back(read_incident(q));
  }
  return out;
}

std::vector<IncidentRecord> Store::open_incidents_in_channel(const std::string& channel) {
  sql::Statement q(*db_, std::string("SELECT ") + kIncidentColumns +
                             " FROM incidents WHERE channel=? AND state='open' "
                             "ORDER BY created_at DESC, rowid DESC");
  q.bind(1, channel);
  std::vector<IncidentRecord> out;
  while (q.step()) {
    out.push_back(read_incident(q));
  }
  return out;
}

std::int64_t Store::append_incident_event(const IncidentEvent& ev) {
  sql::Statement q(
      *db_, "INSERT INTO incident_events(incident_id, at_ms, kind, actor, text) VALUES (?,?,?,?,?) RETURNING id");
  q.bind(1, ev.incident_id);
  q.bind(2, static_cast<std::int64_t>(ev.at_ms));
  q.bind(3, ev.kind);
  q.bind(4, ev.actor);
  q.bind(5, scrub(ev.text));
  return inserted_id(q);
}

std::vector<IncidentEvent> Store::list_incident_events(const std::string& incident_id) {
  sql::Statement q(*db_,
                   "SELECT id, incident_id, at_ms, kind, actor, text FROM incident_events "
                   "WHERE incident_id=? ORDER BY id");
  q.bind(1, incident_id);
  std::vector<IncidentEvent> out;
  while (q.step()) {
    IncidentEvent e;
    e.id = q.column(0).as_int64();
    e.incident_id = q.column(1).as_text();
    e.at_ms = q.column(2).as_int64();
    e.kind = q.column(3).as_text();
    e.actor = q.column(4).as_text();
    e.text = q.column(5).as_text();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vigil

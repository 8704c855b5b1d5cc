#include "bot/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/store/store_sql.h"

namespace vigil {
namespace {

using namespace store_detail;

constexpr const char* kIncidentColumns =
    "id, title, severity, state, source, fingerprint, channel, thread_ts, declared_by, created_at, "
    "resolved_at, alert_count";

IncidentRecord read_incident(SQLite::Statement& q) {
  IncidentRecord r;
  r.id = q.getColumn(0).getString();
  r.title = q.getColumn(1).getString();
  r.severity = q.getColumn(2).getString();
  r.state = q.getColumn(3).getString();
  r.source = q.getColumn(4).getString();
  r.fingerprint = q.getColumn(5).getString();
  r.channel = q.getColumn(6).getString();
  r.thread_ts = q.getColumn(7).getString();
  r.declared_by = q.getColumn(8).getString();
  r.created_at = q.getColumn(9).getInt64();
  r.resolved_at = opt_int64(q.getColumn(10));
  r.alert_count = q.getColumn(11).getInt();
  return r;
}

}  // namespace

// Incidents

Result<void> Store::create_incident(const IncidentRecord& i) {
  SQLite::Statement q(*db_,
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
  } catch (const SQLite::Exception& e) {
    if ((e.getErrorCode() & 0xff) == 19 /* SQLITE_CONSTRAINT */) {
      return make_error(Errc::Conflict, i.id);
    }
    throw;
  }
  return {};
}

std::optional<IncidentRecord> Store::get_incident(const std::string& id) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id=?");
  q.bind(1, id);
  if (q.executeStep()) {
    return read_incident(q);
  }
  return std::nullopt;
}

std::optional<IncidentRecord> Store::find_open_incident_by_fingerprint(const std::string& source,
                                                                       const std::string& fingerprint) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kIncidentColumns +
                                " FROM incidents WHERE source=? AND fingerprint=? AND state='open' "
                                "ORDER BY created_at DESC LIMIT 1");
  q.bind(1, source);
  q.bind(2, fingerprint);
  if (q.executeStep()) {
    return read_incident(q);
  }
  return std::nullopt;
}

std::vector<IncidentRecord> Store::list_incidents(int limit, bool open_only) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kIncidentColumns + " FROM incidents" +
                                (open_only ? " WHERE state='open'" : "") +
                                " ORDER BY created_at DESC, rowid DESC LIMIT ?");
  q.bind(1, limit);
  std::vector<IncidentRecord> out;
  while (q.executeStep()) {
    out.push_back(read_incident(q));
  }
  return out;
}

int Store::bump_incident_alert_count(const std::string& id) {
  SQLite::Statement q(*db_, "UPDATE incidents SET alert_count = alert_count + 1 WHERE id=? RETURNING alert_count");
  q.bind(1, id);
  return q.executeStep() ? q.getColumn(0).getInt() : 0;
}

bool Store::resolve_incident(const std::string& id, long long at) {
  SQLite::Statement q(*db_, "UPDATE incidents SET state='resolved', resolved_at=? WHERE id=? AND state='open'");
  q.bind(1, static_cast<std::int64_t>(at));
  q.bind(2, id);
  return q.exec() == 1;
}

void Store::set_incident_thread(const std::string& id, const std::string& channel, const std::string& thread_ts) {
  SQLite::Statement q(*db_, "UPDATE incidents SET channel=?, thread_ts=? WHERE id=?");
  q.bind(1, channel);
  q.bind(2, thread_ts);
  q.bind(3, id);
  q.exec();
}

std::vector<IncidentRecord> Store::find_incidents_by_prefix(const std::string& prefix, int limit) {
  if (prefix.empty()) {
    return {};
  }
  SQLite::Statement q(*db_, std::string("SELECT ") + kIncidentColumns +
                                " FROM incidents WHERE substr(id, 1, ?) = ? ORDER BY created_at DESC, rowid DESC "
                                "LIMIT ?");
  q.bind(1, static_cast<int>(prefix.size()));
  q.bind(2, prefix);
  q.bind(3, limit);
  std::vector<IncidentRecord> out;
  while (q.executeStep()) {
    out.push_back(read_incident(q));
  }
  return out;
}

std::vector<IncidentRecord> Store::open_incidents_in_channel(const std::string& channel) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kIncidentColumns +
                                " FROM incidents WHERE channel=? AND state='open' "
                                "ORDER BY created_at DESC, rowid DESC");
  q.bind(1, channel);
  std::vector<IncidentRecord> out;
  while (q.executeStep()) {
    out.push_back(read_incident(q));
  }
  return out;
}

std::int64_t Store::append_incident_event(const IncidentEvent& ev) {
  SQLite::Statement q(*db_, "INSERT INTO incident_events(incident_id, at_ms, kind, actor, text) VALUES (?,?,?,?,?)");
  q.bind(1, ev.incident_id);
  q.bind(2, static_cast<std::int64_t>(ev.at_ms));
  q.bind(3, ev.kind);
  q.bind(4, ev.actor);
  q.bind(5, scrub(ev.text));
  q.exec();
  return db_->getLastInsertRowid();
}

std::vector<IncidentEvent> Store::list_incident_events(const std::string& incident_id) {
  SQLite::Statement q(*db_,
                      "SELECT id, incident_id, at_ms, kind, actor, text FROM incident_events "
                      "WHERE incident_id=? ORDER BY id");
  q.bind(1, incident_id);
  std::vector<IncidentEvent> out;
  while (q.executeStep()) {
    IncidentEvent e;
    e.id = q.getColumn(0).getInt64();
    e.incident_id = q.getColumn(1).getString();
    e.at_ms = q.getColumn(2).getInt64();
    e.kind = q.getColumn(3).getString();
    e.actor = q.getColumn(4).getString();
    e.text = q.getColumn(5).getString();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vigil

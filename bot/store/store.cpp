#include "bot/store/store.h"

#include <array>
#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

namespace vigil {
namespace {

// Numbered migrations. Each runs in one transaction together with its schema_version row.
// Never edit a migration that has shipped; add a new one.
constexpr std::array<const char*, 6> kMigrations = {
    // 1: the core tables.
    R"sql(
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  severity TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','resolved')),
  source TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '',
  thread_ts TEXT NOT NULL DEFAULT '',
  declared_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  resolved_at INTEGER,
  alert_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX incidents_fingerprint ON incidents(source, fingerprint, state);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  incident_id TEXT REFERENCES incidents(id),
  trigger_kind TEXT NOT NULL,
  trigger_key TEXT NOT NULL UNIQUE,
  requester TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  backend TEXT NOT NULL,
  skill TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT '',
  thread_ts TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  summary TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  repeat_count INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX runs_state ON runs(state, created_at);
CREATE TABLE run_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(id),
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT ''
);
CREATE INDEX run_events_run ON run_events(run_id, id);
CREATE TABLE steps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(id),
  skill TEXT NOT NULL DEFAULT '',
  step TEXT NOT NULL,
  seq INTEGER NOT NULL,
  argv TEXT NOT NULL,
  argv_hash TEXT NOT NULL DEFAULT '',
  mutating INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  exit_code INTEGER,
  signal INTEGER,
  output TEXT NOT NULL DEFAULT '',
  output_truncated INTEGER NOT NULL DEFAULT 0,
  output_path TEXT NOT NULL DEFAULT '',
  started_at INTEGER,
  finished_at INTEGER,
  UNIQUE (run_id, seq)
);
CREATE TABLE approvals (
  token TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  step_id INTEGER REFERENCES steps(id),
  argv_hash TEXT NOT NULL,
  requester TEXT NOT NULL DEFAULT '',
  policy TEXT NOT NULL DEFAULT '{}',
  risk TEXT NOT NULL DEFAULT 'low',
  state TEXT NOT NULL DEFAULT 'pending',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_by TEXT NOT NULL DEFAULT '',
  decided_at INTEGER,
  reason TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '',
  message_ts TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_state ON approvals(state, expires_at);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  run_id TEXT NOT NULL DEFAULT '',
  approval_token TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE processed_events (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL DEFAULT '',
  seen_at INTEGER NOT NULL
);
CREATE INDEX processed_events_seen ON processed_events(seen_at);
)sql",
    // 2: approvals that need two distinct approvers keep their votes; lookups by thread.
    R"sql(
ALTER TABLE approvals ADD COLUMN required_approvals INTEGER NOT NULL DEFAULT 1;
CREATE TABLE approval_votes (
  token TEXT NOT NULL REFERENCES approvals(token),
  user TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (token, user)
);
CREATE INDEX runs_thread ON runs(channel, thread_ts);
CREATE INDEX audit_log_run ON audit_log(run_id, id);
)sql",
    // 3: automatic triage paused per backend or skill after repeated failures.
    R"sql(
CREATE TABLE auto_triage_pauses (
  key TEXT PRIMARY KEY,
  paused_at INTEGER NOT NULL,
  resume_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  resumed_by TEXT NOT NULL DEFAULT '',
  resumed_at INTEGER
);
CREATE INDEX runs_backend_skill ON runs(backend, skill, finished_at);
)sql",
    // 4: webhook bodies, written before the 2xx so an accepted delivery is never lost.
    R"sql(
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'received',
  processed_at INTEGER
);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries(status, id);
)sql",
    // 5: what happened to an incident itself (declared, alerts, channel, resolved) for its timeline.
    R"sql(
CREATE TABLE incident_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_incident ON incident_events(incident_id, id);
CREATE INDEX incidents_channel ON incidents(channel, state, created_at);
)sql",
    // 6: what a finished run came to (fixed, diagnosed, denied, nothing_to_do, skipped, …).
    R"sql(
ALTER TABLE runs ADD COLUMN result TEXT NOT NULL DEFAULT '';
)sql",
};
static_assert(kMigrations.size() == static_cast<std::size_t>(Store::kSchemaVersion),
              "Store::kSchemaVersion is the number of the newest migration");

std::string argv_to_json(const std::vector<std::string>& argv) { return nlohmann::json(argv).dump(); }

std::vector<std::string> argv_from_json(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& e : j) {
      if (e.is_string()) {
        out.push_back(e.get<std::string>());
      }
    }
  }
  return out;
}

std::optional<long long> opt_int64(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getInt64();
}
std::optional<int> opt_int(const SQLite::Column& c) {
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

constexpr const char* kRunColumns =
    "id, COALESCE(incident_id,''), trigger_kind, trigger_key, requester, text, backend, skill, state, "
    "channel, thread_ts, created_at, started_at, finished_at, summary, error, repeat_count, result";

RunRecord read_run(SQLite::Statement& q) {
  RunRecord r;
  r.id = q.getColumn(0).getString();
  r.incident_id = q.getColumn(1).getString();
  r.trigger_kind = q.getColumn(2).getString();
  r.trigger_key = q.getColumn(3).getString();
  r.requester = q.getColumn(4).getString();
  r.text = q.getColumn(5).getString();
  r.backend = q.getColumn(6).getString();
  r.skill = q.getColumn(7).getString();
  r.state = parse_run_state(q.getColumn(8).getString()).value_or(RunState::Failed);
  r.channel = q.getColumn(9).getString();
  r.thread_ts = q.getColumn(10).getString();
  r.created_at = q.getColumn(11).getInt64();
  r.started_at = opt_int64(q.getColumn(12));
  r.finished_at = opt_int64(q.getColumn(13));
  r.summary = q.getColumn(14).getString();
  r.error = q.getColumn(15).getString();
  r.repeat_count = q.getColumn(16).getInt();
  r.result = parse_run_result(q.getColumn(17).getString());
  return r;
}

constexpr const char* kStepColumns =
    "id, run_id, skill, step, seq, argv, argv_hash, mutating, state, exit_code, signal, output, "
    "output_truncated, output_path, started_at, finished_at";

StepRecord read_step(SQLite::Statement& q) {
  StepRecord s;
  s.id = q.getColumn(0).getInt64();
  s.run_id = q.getColumn(1).getString();
  s.skill = q.getColumn(2).getString();
  s.step = q.getColumn(3).getString();
  s.seq = q.getColumn(4).getInt();
  s.argv = argv_from_json(q.getColumn(5).getString());
  s.argv_hash = q.getColumn(6).getString();
  s.mutating = q.getColumn(7).getInt() != 0;
  s.state = parse_step_state(q.getColumn(8).getString()).value_or(StepState::Failed);
  s.exit_code = opt_int(q.getColumn(9));
  s.signal = opt_int(q.getColumn(10));
  s.output = q.getColumn(11).getString();
  s.output_truncated = q.getColumn(12).getInt() != 0;
  s.output_path = q.getColumn(13).getString();
  s.started_at = opt_int64(q.getColumn(14));
  s.finished_at = opt_int64(q.getColumn(15));
  return s;
}

constexpr const char* kApprovalColumns =
    "token, run_id, step_id, argv_hash, requester, policy, risk, required_approvals, state, "
    "created_at, expires_at, decided_by, decided_at, reason, channel, message_ts";

ApprovalRecord read_approval(SQLite::Statement& q) {
  ApprovalRecord a;
  a.token = q.getColumn(0).getString();
  a.run_id = q.getColumn(1).getString();
  a.step_id = opt_int64(q.getColumn(2));
  a.argv_hash = q.getColumn(3).getString();
  a.requester = q.getColumn(4).getString();
  a.policy = q.getColumn(5).getString();
  a.risk = q.getColumn(6).getString();
  a.required_approvals = q.getColumn(7).getInt();
  a.state = parse_approval_state(q.getColumn(8).getString()).value_or(ApprovalState::Expired);
  a.created_at = q.getColumn(9).getInt64();
  a.expires_at = q.getColumn(10).getInt64();
  a.decided_by = q.getColumn(11).getString();
  a.decided_at = opt_int64(q.getColumn(12));
  a.reason = q.getColumn(13).getString();
  a.channel = q.getColumn(14).getString();
  a.message_ts = q.getColumn(15).getString();
  return a;
}

Result<std::unique_ptr<SQLite::Database>> open_database(const std::string& path, StoreOpenMode mode) {
  const bool read_only = mode == StoreOpenMode::ReadOnly;
  int flags = (read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE) | SQLite::OPEN_FULLMUTEX;
  if (mode == StoreOpenMode::CreateIfMissing) {
    flags |= SQLite::OPEN_CREATE;
  } else if (std::error_code ec; !std::filesystem::is_regular_file(path, ec)) {
    return make_error(Errc::NotFound, "no database at " + path);
  }
  try {
    auto db = std::make_unique<SQLite::Database>(path, flags);
    db->setBusyTimeout(5000);
    if (read_only) {
      return db;  // the journal mode is the writer's; nothing here changes the file
    }
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA foreign_keys=ON");
    return db;
  } catch (const SQLite::Exception& e) {
    return make_error(Errc::Io, "cannot open database " + path + ": " + e.what());
  }
}

}  // namespace

Store::Store(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOpenMode mode) {
  return open_with(path, kSchemaVersion, mode);
}

Result<std::unique_ptr<Store>> Store::open_at_version(const std::string& path, int version) {
  return open_with(path, version, StoreOpenMode::CreateIfMissing);
}

Result<std::unique_ptr<Store>> Store::open_with(const std::string& path, int version, StoreOpenMode mode) {
  auto db = open_database(path, mode);
  if (!db) {
    return db.error();
  }
  std::unique_ptr<Store> store(new Store(std::move(*db)));
  if (mode == StoreOpenMode::ReadOnly) {
    if (auto r = store->check_readable(path); !r) {
      return r.error();
    }
    return store;
  }
  if (auto r = store->migrate(version); !r) {
    return r.error();
  }
  return store;
}

int Store::schema_version() const {
  return db_->execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_version").getInt();
}

Result<void> Store::check_readable(const std::string& path) const {
  try {
    const bool vigil = db_->tableExists("schema_version");
    const int current = vigil ? schema_version() : 0;
    if (!vigil || current == 0) {
      return make_error(Errc::InvalidConfig, path + " is not a Vigil database (no schema version); check "
                                                   "storage.database");
    }
    if (current > kSchemaVersion) {
      return make_error(Errc::InvalidConfig,
                        "the database was written by a newer Vigil (schema version " + std::to_string(current) +
                            ", this build knows up to " + std::to_string(kSchemaVersion) +
                            "); upgrade Vigil or point storage.database at another file");
    }
    if (current < kSchemaVersion) {
      return make_error(Errc::InvalidConfig,
                        "the database " + path + " has schema version " + std::to_string(current) +
                            " and this Vigil reads version " + std::to_string(kSchemaVersion) +
                            "; commands that only read never upgrade it: `vigil serve` upgrades it when it "
                            "starts (back the file up first), or read it with the Vigil that wrote it");
    }
  } catch (const SQLite::Exception& e) {
    return make_error(Errc::Io, "cannot read database " + path + ": " + e.what());
  }
  return {};
}

Result<void> Store::migrate(int target) {
  try {
    db_->exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at "
        "INTEGER NOT NULL)");
    const int current = schema_version();
    if (current > kSchemaVersion) {
      return make_error(Errc::InvalidConfig,
                        "the database was written by a newer Vigil (schema version " +
                            std::to_string(current) + ", this build knows up to " +
                            std::to_string(kSchemaVersion) +
                            "); upgrade Vigil or point storage.database at another file");
    }
    for (int v = current + 1; v <= target; ++v) {
      SQLite::Transaction tx(*db_);
      db_->exec(kMigrations.at(static_cast<std::size_t>(v - 1)));
      SQLite::Statement mark(*db_,
                             "INSERT INTO schema_version(version, applied_at) VALUES (?, strftime('%s','now'))");
      mark.bind(1, v);
      mark.exec();
      tx.commit();
    }
  } catch (const SQLite::Exception& e) {
    return make_error(Errc::Io, std::string("database migration failed: ") + e.what());
  }
  return {};
}

// Webhook deliveries
std::int64_t Store::record_webhook_delivery(const std::string& source, long long received_at,
                                           const std::string& body) {
  SQLite::Statement q(*db_,
                      "INSERT INTO webhook_deliveries(source, received_at, body, status) "
                      "VALUES (?, ?, ?, 'received')");
  q.bind(1, source);
  q.bind(2, static_cast<std::int64_t>(received_at));
  q.bind(3, body);
  q.exec();
  return db_->getLastInsertRowid();
}

bool Store::mark_webhook_processed(std::int64_t id, const std::string& status, long long at) {
  SQLite::Statement q(*db_,
                      "UPDATE webhook_deliveries SET status = ?, processed_at = ? "
                      "WHERE id = ? AND status = 'received'");
  q.bind(1, status);
  q.bind(2, static_cast<std::int64_t>(at));
  q.bind(3, id);
  return q.exec() == 1;
}

std::vector<WebhookDelivery> Store::list_webhook_deliveries(int limit) {
  SQLite::Statement q(*db_,
                      "SELECT id, source, received_at, body, status FROM webhook_deliveries "
                      "ORDER BY id LIMIT ?");
  q.bind(1, limit);
  std::vector<WebhookDelivery> out;
  while (q.executeStep()) {
    WebhookDelivery d;
    d.id = q.getColumn(0).getInt64();
    d.source = q.getColumn(1).getString();
    d.received_at = q.getColumn(2).getInt64();
    d.body = q.getColumn(3).getString();
    d.status = q.getColumn(4).getString();
    out.push_back(std::move(d));
  }
  return out;
}

std::map<std::string, int> Store::count_runs_by_state() {
  SQLite::Statement q(*db_, "SELECT state, COUNT(*) FROM runs GROUP BY state");
  std::map<std::string, int> out;
  while (q.executeStep()) {
    out[q.getColumn(0).getString()] = q.getColumn(1).getInt();
  }
  return out;
}

bool Store::is_writable() {
  try {
    SQLite::Transaction tx(*db_);
    db_->exec("CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, at INTEGER)");
    db_->exec("INSERT OR REPLACE INTO health_probe(id, at) VALUES (1, strftime('%s','now'))");
    tx.commit();
    return true;
  } catch (const SQLite::Exception&) {
    return false;
  }
}

// Incidents

Result<void> Store::create_incident(const IncidentRecord& i) {
  SQLite::Statement q(*db_,
                      "INSERT INTO incidents(id, title, severity, state, source, fingerprint, channel, "
                      "thread_ts, declared_by, created_at, alert_count) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  q.bind(1, i.id);
  q.bind(2, i.title);
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
  SQLite::Statement q(*db_,
                      "UPDATE incidents SET alert_count = alert_count + 1 WHERE id=? RETURNING alert_count");
  q.bind(1, id);
  return q.executeStep() ? q.getColumn(0).getInt() : 0;
}

bool Store::resolve_incident(const std::string& id, long long at) {
  SQLite::Statement q(*db_,
                      "UPDATE incidents SET state='resolved', resolved_at=? WHERE id=? AND state='open'");
  q.bind(1, static_cast<std::int64_t>(at));
  q.bind(2, id);
  return q.exec() == 1;
}

void Store::set_incident_thread(const std::string& id, const std::string& channel,
                                const std::string& thread_ts) {
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
  SQLite::Statement q(*db_,
                      "INSERT INTO incident_events(incident_id, at_ms, kind, actor, text) VALUES (?,?,?,?,?)");
  q.bind(1, ev.incident_id);
  q.bind(2, static_cast<std::int64_t>(ev.at_ms));
  q.bind(3, ev.kind);
  q.bind(4, ev.actor);
  q.bind(5, ev.text);
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

// Runs

Result<void> Store::create_run(const RunRecord& r) {
  SQLite::Transaction tx(*db_);
  SQLite::Statement q(*db_,
                      "INSERT INTO runs(id, incident_id, trigger_kind, trigger_key, requester, text, "
                      "backend, skill, state, channel, thread_ts, created_at, repeat_count) "
                      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(trigger_key) DO NOTHING");
  q.bind(1, r.id);
  if (r.incident_id.empty()) {
    q.bind(2);
  } else {
    q.bind(2, r.incident_id);
  }
  q.bind(3, r.trigger_kind);
  q.bind(4, r.trigger_key.empty() ? r.id : r.trigger_key);
  q.bind(5, r.requester);
  q.bind(6, r.text);
  q.bind(7, r.backend);
  q.bind(8, r.skill);
  q.bind(9, std::string(to_string(r.state)));
  q.bind(10, r.channel);
  q.bind(11, r.thread_ts);
  q.bind(12, static_cast<std::int64_t>(r.created_at));
  q.bind(13, r.repeat_count);
  if (q.exec() == 0) {
    const auto existing = find_run_by_trigger(r.trigger_key);
    return make_error(Errc::Conflict, existing ? existing->id : std::string());
  }
  SQLite::Statement e(*db_,
                      "INSERT INTO run_events(run_id, at_ms, kind, actor, text) VALUES (?,?,?,?,?)");
  e.bind(1, r.id);
  e.bind(2, static_cast<std::int64_t>(r.created_at) * 1000);
  e.bind(3, "created");
  e.bind(4, r.requester);
  e.bind(5, std::string(to_string(r.state)));
  e.exec();
  tx.commit();
  return {};
}

std::optional<RunRecord> Store::get_run(const std::string& id) {
  static const std::string kSql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE id=?";
  auto& q = prepared(kSql.c_str());
  q.bind(1, id);
  std::optional<RunRecord> run;
  if (q.executeStep()) {
    run = read_run(q);
  }
  q.reset();
  return run;
}

std::optional<RunRecord> Store::find_run_by_trigger(const std::string& trigger_key) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE trigger_key=?");
  q.bind(1, trigger_key);
  if (q.executeStep()) {
    return read_run(q);
  }
  return std::nullopt;
}

std::vector<RunRecord> Store::find_runs_by_prefix(const std::string& prefix, int limit) {
  // The id alphabet is hex and '-', so the prefix cannot carry LIKE wildcards; check anyway.
  if (prefix.find_first_not_of("0123456789abcdefABCDEF-") != std::string::npos) {
    return {};
  }
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                                " FROM runs WHERE id >= ? AND id < ? ORDER BY created_at DESC LIMIT ?");
  q.bind(1, prefix);
  q.bind(2, prefix + "\x7f");
  q.bind(3, limit);
  std::vector<RunRecord> out;
  while (q.executeStep()) {
    out.push_back(read_run(q));
  }
  return out;
}

std::vector<RunRecord> Store::active_runs_in_channel(const std::string& channel) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                                " FROM runs WHERE channel=? AND state IN ('queued','running','awaiting_approval') "
                                "ORDER BY created_at, rowid");
  q.bind(1, channel);
  std::vector<RunRecord> out;
  while (q.executeStep()) {
    out.push_back(read_run(q));
  }
  return out;
}

std::optional<RunRecord> Store::find_run_by_thread(const std::string& channel,
                                                   const std::string& thread_ts) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                                " FROM runs WHERE channel=? AND thread_ts=? ORDER BY created_at DESC LIMIT 1");
  q.bind(1, channel);
  q.bind(2, thread_ts);
  if (q.executeStep()) {
    return read_run(q);
  }
  return std::nullopt;
}

std::vector<RunRecord> Store::list_runs(int limit, std::optional<RunState> state) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns + " FROM runs" +
                                (state ? " WHERE state=?" : "") +
                                " ORDER BY created_at DESC, rowid DESC LIMIT ?");
  int i = 1;
  if (state) {
    q.bind(i++, std::string(to_string(*state)));
  }
  q.bind(i, limit);
  std::vector<RunRecord> out;
  while (q.executeStep()) {
    out.push_back(read_run(q));
  }
  return out;
}

std::vector<RunRecord> Store::queued_runs() {
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                                " FROM runs WHERE state='queued' ORDER BY created_at, rowid");
  std::vector<RunRecord> out;
  while (q.executeStep()) {
    out.push_back(read_run(q));
  }
  return out;
}

bool Store::transition_run(const std::string& id, const std::vector<RunState>& from, RunState to,
                           long long at_ms, const std::string& actor, const std::string& note) {
  std::string placeholders;
  for (std::size_t i = 0; i < from.size(); ++i) {
    placeholders += i ? ",?" : "?";
  }
  SQLite::Transaction tx(*db_);
  const bool starting = to == RunState::Running;
  const bool ending = is_terminal(to);
  SQLite::Statement q(*db_, "UPDATE runs SET state=?" +
                                std::string(starting ? ", started_at=COALESCE(started_at, ?)" : "") +
                                std::string(ending ? ", finished_at=?" : "") +
                                " WHERE id=? AND state IN (" + placeholders + ")");
  int i = 1;
  q.bind(i++, std::string(to_string(to)));
  if (starting || ending) {
    q.bind(i++, static_cast<std::int64_t>(at_ms / 1000));
  }
  q.bind(i++, id);
  for (auto s : from) {
    q.bind(i++, std::string(to_string(s)));
  }
  if (q.exec() != 1) {
    return false;
  }
  SQLite::Statement e(*db_,
                      "INSERT INTO run_events(run_id, at_ms, kind, actor, text) VALUES (?,?,'state',?,?)");
  e.bind(1, id);
  e.bind(2, static_cast<std::int64_t>(at_ms));
  e.bind(3, actor);
  e.bind(4, std::string(to_string(to)) + (note.empty() ? "" : ": " + note));
  e.exec();
  tx.commit();
  return true;
}

void Store::set_run_thread(const std::string& id, const std::string& channel,
                           const std::string& thread_ts) {
  SQLite::Statement q(*db_, "UPDATE runs SET channel=?, thread_ts=? WHERE id=?");
  q.bind(1, channel);
  q.bind(2, thread_ts);
  q.bind(3, id);
  q.exec();
}

void Store::set_run_summary(const std::string& id, const std::string& summary) {
  SQLite::Statement q(*db_, "UPDATE runs SET summary=? WHERE id=?");
  q.bind(1, summary);
  q.bind(2, id);
  q.exec();
}

void Store::set_run_result(const std::string& id, RunResult result) {
  SQLite::Statement q(*db_, "UPDATE runs SET result=? WHERE id=?");
  q.bind(1, std::string(to_string(result)));
  q.bind(2, id);
  q.exec();
}

void Store::set_run_error(const std::string& id, const std::string& error) {
  SQLite::Statement q(*db_, "UPDATE runs SET error=? WHERE id=?");
  q.bind(1, error);
  q.bind(2, id);
  q.exec();
}

int Store::bump_run_repeat_count(const std::string& id) {
  SQLite::Statement q(*db_,
                      "UPDATE runs SET repeat_count = repeat_count + 1 WHERE id=? RETURNING repeat_count");
  q.bind(1, id);
  return q.executeStep() ? q.getColumn(0).getInt() : 0;
}

std::vector<RunRecord> Store::runs_for_incident(const std::string& incident_id) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                                " FROM runs WHERE incident_id=? ORDER BY created_at, rowid");
  q.bind(1, incident_id);
  std::vector<RunRecord> out;
  while (q.executeStep()) {
    out.push_back(read_run(q));
  }
  return out;
}

void Store::set_run_skill(const std::string& id, const std::string& skill) {
  SQLite::Statement q(*db_, "UPDATE runs SET skill=? WHERE id=?");
  q.bind(1, skill);
  q.bind(2, id);
  q.exec();
}

std::vector<RunRecord> Store::recent_finished_runs(const std::string& backend, const std::string& skill,
                                                  long long since, int limit) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                                " FROM runs WHERE backend=? AND (?='' OR skill=?) AND finished_at IS NOT NULL "
                                "AND finished_at > ? ORDER BY finished_at DESC, rowid DESC LIMIT ?");
  q.bind(1, backend);
  q.bind(2, skill);
  q.bind(3, skill);
  q.bind(4, static_cast<std::int64_t>(since));
  q.bind(5, limit);
  std::vector<RunRecord> out;
  while (q.executeStep()) {
    out.push_back(read_run(q));
  }
  return out;
}

// Automatic triage pauses

void Store::pause_auto_triage(const AutoTriagePause& p) {
  SQLite::Statement q(*db_,
                      "INSERT INTO auto_triage_pauses(key, paused_at, resume_at, reason) VALUES (?,?,?,?) "
                      "ON CONFLICT(key) DO UPDATE SET paused_at=excluded.paused_at, resume_at=excluded.resume_at, "
                      "reason=excluded.reason, resumed_by='', resumed_at=NULL");
  q.bind(1, p.key);
  q.bind(2, static_cast<std::int64_t>(p.paused_at));
  q.bind(3, static_cast<std::int64_t>(p.resume_at));
  q.bind(4, p.reason);
  q.exec();
}

std::optional<AutoTriagePause> Store::get_auto_triage_pause(const std::string& key) {
  SQLite::Statement q(*db_,
                      "SELECT key, paused_at, resume_at, reason, resumed_by, resumed_at FROM auto_triage_pauses "
                      "WHERE key=?");
  q.bind(1, key);
  if (!q.executeStep()) {
    return std::nullopt;
  }
  AutoTriagePause p;
  p.key = q.getColumn(0).getString();
  p.paused_at = q.getColumn(1).getInt64();
  p.resume_at = q.getColumn(2).getInt64();
  p.reason = q.getColumn(3).getString();
  p.resumed_by = q.getColumn(4).getString();
  p.resumed_at = opt_int64(q.getColumn(5));
  return p;
}

bool Store::resume_auto_triage(const std::string& key, const std::string& by, long long now) {
  SQLite::Statement q(*db_,
                      "UPDATE auto_triage_pauses SET resumed_by=?, resumed_at=? WHERE key=? AND resumed_at IS "
                      "NULL AND resume_at > ?");
  q.bind(1, by);
  q.bind(2, static_cast<std::int64_t>(now));
  q.bind(3, key);
  q.bind(4, static_cast<std::int64_t>(now));
  return q.exec() == 1;
}

// Timeline

SQLite::Statement& Store::prepared(const char* sql) {
  auto& slot = prepared_[sql];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(*db_, sql);
  } else {
    slot->reset();
    slot->clearBindings();
  }
  return *slot;
}

std::int64_t Store::append_event(const RunEvent& ev) {
  auto& q = prepared("INSERT INTO run_events(run_id, at_ms, kind, actor, text, data) VALUES (?,?,?,?,?,?)");
  q.bind(1, ev.run_id);
  q.bind(2, static_cast<std::int64_t>(ev.at_ms));
  q.bind(3, ev.kind);
  q.bind(4, ev.actor);
  q.bind(5, ev.text);
  q.bind(6, ev.data);
  q.exec();
  return db_->getLastInsertRowid();
}

std::vector<RunEvent> Store::list_events(const std::string& run_id) {
  SQLite::Statement q(*db_,
                      "SELECT id, run_id, at_ms, kind, actor, text, data FROM run_events WHERE run_id=? "
                      "ORDER BY id");
  q.bind(1, run_id);
  std::vector<RunEvent> out;
  while (q.executeStep()) {
    RunEvent e;
    e.id = q.getColumn(0).getInt64();
    e.run_id = q.getColumn(1).getString();
    e.at_ms = q.getColumn(2).getInt64();
    e.kind = q.getColumn(3).getString();
    e.actor = q.getColumn(4).getString();
    e.text = q.getColumn(5).getString();
    e.data = q.getColumn(6).getString();
    out.push_back(std::move(e));
  }
  return out;
}

// Steps

std::int64_t Store::create_step(StepRecord& s) {
  SQLite::Statement q(*db_,
                      "INSERT INTO steps(run_id, skill, step, seq, argv, argv_hash, mutating, state) "
                      "VALUES (?,?,?,?,?,?,?,?)");
  q.bind(1, s.run_id);
  q.bind(2, s.skill);
  q.bind(3, s.step);
  q.bind(4, s.seq);
  q.bind(5, argv_to_json(s.argv));
  q.bind(6, s.argv_hash);
  q.bind(7, s.mutating ? 1 : 0);
  q.bind(8, std::string(to_string(s.state)));
  q.exec();
  s.id = db_->getLastInsertRowid();
  return s.id;
}

std::optional<StepRecord> Store::get_step(std::int64_t id) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kStepColumns + " FROM steps WHERE id=?");
  q.bind(1, static_cast<std::int64_t>(id));
  if (q.executeStep()) {
    return read_step(q);
  }
  return std::nullopt;
}

std::vector<StepRecord> Store::list_steps(const std::string& run_id) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kStepColumns +
                                " FROM steps WHERE run_id=? ORDER BY seq");
  q.bind(1, run_id);
  std::vector<StepRecord> out;
  while (q.executeStep()) {
    out.push_back(read_step(q));
  }
  return out;
}

bool Store::transition_step(std::int64_t id, const std::vector<StepState>& from, StepState to,
                            long long at) {
  std::string placeholders;
  for (std::size_t i = 0; i < from.size(); ++i) {
    placeholders += i ? ",?" : "?";
  }
  const bool starting = to == StepState::Running;
  SQLite::Statement q(*db_, "UPDATE steps SET state=?" +
                                std::string(starting ? ", started_at=?" : "") +
                                " WHERE id=? AND state IN (" + placeholders + ")");
  int i = 1;
  q.bind(i++, std::string(to_string(to)));
  if (starting) {
    q.bind(i++, static_cast<std::int64_t>(at));
  }
  q.bind(i++, static_cast<std::int64_t>(id));
  for (auto s : from) {
    q.bind(i++, std::string(to_string(s)));
  }
  return q.exec() == 1;
}

void Store::finish_step(std::int64_t id, StepState state, std::optional<int> exit_code,
                        std::optional<int> signal, const std::string& output, bool truncated,
                        const std::string& output_path, long long at) {
  SQLite::Statement q(*db_,
                      "UPDATE steps SET state=?, exit_code=?, signal=?, output=?, output_truncated=?, "
                      "output_path=?, finished_at=? WHERE id=?");
  q.bind(1, std::string(to_string(state)));
  bind_opt(q, 2, exit_code);
  bind_opt(q, 3, signal);
  q.bind(4, output);
  q.bind(5, truncated ? 1 : 0);
  q.bind(6, output_path);
  q.bind(7, static_cast<std::int64_t>(at));
  q.bind(8, static_cast<std::int64_t>(id));
  q.exec();
}

std::vector<StepRecord> Store::interrupt_running_steps(long long at) {
  SQLite::Transaction tx(*db_);
  std::vector<StepRecord> out;
  {
    SQLite::Statement q(*db_, std::string("SELECT ") + kStepColumns +
                                  " FROM steps WHERE state='running' ORDER BY id");
    while (q.executeStep()) {
      out.push_back(read_step(q));
    }
  }
  SQLite::Statement u(*db_,
                      "UPDATE steps SET state='interrupted', finished_at=? WHERE state='running'");
  u.bind(1, static_cast<std::int64_t>(at));
  u.exec();
  tx.commit();
  for (auto& s : out) {
    s.state = StepState::Interrupted;
    s.finished_at = at;
  }
  return out;
}

// Approvals

Result<void> Store::create_approval(const ApprovalRecord& a) {
  SQLite::Statement q(*db_,
                      "INSERT INTO approvals(token, run_id, step_id, argv_hash, requester, policy, risk, "
                      "required_approvals, state, created_at, expires_at, channel, message_ts) "
                      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  q.bind(1, a.token);
  q.bind(2, a.run_id);
  bind_opt(q, 3, a.step_id);
  q.bind(4, a.argv_hash);
  q.bind(5, a.requester);
  q.bind(6, a.policy);
  q.bind(7, a.risk);
  q.bind(8, a.required_approvals);
  q.bind(9, std::string(to_string(a.state)));
  q.bind(10, static_cast<std::int64_t>(a.created_at));
  q.bind(11, static_cast<std::int64_t>(a.expires_at));
  q.bind(12, a.channel);
  q.bind(13, a.message_ts);
  try {
    q.exec();
  } catch (const SQLite::Exception& e) {
    if ((e.getErrorCode() & 0xff) == 19 /* SQLITE_CONSTRAINT */) {
      return make_error(Errc::Conflict, "approval token already exists");
    }
    throw;
  }
  return {};
}

std::optional<ApprovalRecord> Store::get_approval(const std::string& token) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kApprovalColumns + " FROM approvals WHERE token=?");
  q.bind(1, token);
  if (q.executeStep()) {
    return read_approval(q);
  }
  return std::nullopt;
}

std::vector<ApprovalRecord> Store::pending_approvals() {
  SQLite::Statement q(*db_, std::string("SELECT ") + kApprovalColumns +
                                " FROM approvals WHERE state='pending' ORDER BY created_at");
  std::vector<ApprovalRecord> out;
  while (q.executeStep()) {
    out.push_back(read_approval(q));
  }
  return out;
}

std::vector<ApprovalRecord> Store::list_approvals(const std::string& run_id) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kApprovalColumns +
                                " FROM approvals WHERE run_id=? ORDER BY created_at, rowid");
  q.bind(1, run_id);
  std::vector<ApprovalRecord> out;
  while (q.executeStep()) {
    out.push_back(read_approval(q));
  }
  return out;
}

std::optional<ApprovalRecord> Store::find_approval_for_step(const std::string& run_id, std::int64_t step_id) {
  SQLite::Statement q(*db_, std::string("SELECT ") + kApprovalColumns +
                                " FROM approvals WHERE run_id=? AND step_id=? ORDER BY created_at DESC, rowid DESC "
                                "LIMIT 1");
  q.bind(1, run_id);
  q.bind(2, static_cast<std::int64_t>(step_id));
  if (q.executeStep()) {
    return read_approval(q);
  }
  return std::nullopt;
}

void Store::set_approval_message(const std::string& token, const std::string& channel,
                                 const std::string& ts) {
  SQLite::Statement q(*db_, "UPDATE approvals SET channel=?, message_ts=? WHERE token=?");
  q.bind(1, channel);
  q.bind(2, ts);
  q.bind(3, token);
  q.exec();
}

int Store::add_approval_vote(const std::string& token, const std::string& user, long long at) {
  SQLite::Transaction tx(*db_);
  SQLite::Statement q(*db_,
                      "INSERT INTO approval_votes(token, user, at) VALUES (?,?,?) "
                      "ON CONFLICT(token, user) DO NOTHING");
  q.bind(1, token);
  q.bind(2, user);
  q.bind(3, static_cast<std::int64_t>(at));
  const bool added = q.exec() == 1;
  SQLite::Statement c(*db_, "SELECT COUNT(*) FROM approval_votes WHERE token=?");
  c.bind(1, token);
  c.executeStep();
  const int count = c.getColumn(0).getInt();
  tx.commit();
  return added ? count : 0;
}

std::vector<std::string> Store::approval_voters(const std::string& token) {
  SQLite::Statement q(*db_, "SELECT user FROM approval_votes WHERE token=? ORDER BY at, rowid");
  q.bind(1, token);
  std::vector<std::string> out;
  while (q.executeStep()) {
    out.push_back(q.getColumn(0).getString());
  }
  return out;
}

bool Store::claim_approval_decision(const std::string& token, Decision decision,
                                    const std::string& decided_by, const std::string& reason,
                                    long long now) {
  SQLite::Statement q(*db_,
                      "UPDATE approvals SET state=?, decided_by=?, decided_at=?, reason=? "
                      "WHERE token=? AND state='pending' AND expires_at > ?");
  q.bind(1, decision == Decision::Approve ? "approved" : "denied");
  q.bind(2, decided_by);
  q.bind(3, static_cast<std::int64_t>(now));
  q.bind(4, reason);
  q.bind(5, token);
  q.bind(6, static_cast<std::int64_t>(now));
  return q.exec() == 1;
}

std::vector<ApprovalRecord> Store::expire_approvals(long long now) {
  SQLite::Transaction tx(*db_);
  std::vector<ApprovalRecord> out;
  {
    SQLite::Statement q(*db_, std::string("SELECT ") + kApprovalColumns +
                                  " FROM approvals WHERE state='pending' AND expires_at <= ?");
    q.bind(1, static_cast<std::int64_t>(now));
    while (q.executeStep()) {
      out.push_back(read_approval(q));
    }
  }
  SQLite::Statement u(*db_,
                      "UPDATE approvals SET state='expired', decided_at=? WHERE state='pending' AND "
                      "expires_at <= ?");
  u.bind(1, static_cast<std::int64_t>(now));
  u.bind(2, static_cast<std::int64_t>(now));
  u.exec();
  tx.commit();
  for (auto& a : out) {
    a.state = ApprovalState::Expired;
    a.decided_at = now;
  }
  return out;
}

bool Store::cancel_approval(const std::string& token, long long now) {
  SQLite::Statement q(*db_,
                      "UPDATE approvals SET state='cancelled', decided_at=? WHERE token=? AND "
                      "state='pending'");
  q.bind(1, static_cast<std::int64_t>(now));
  q.bind(2, token);
  return q.exec() == 1;
}

// Audit

void Store::append_audit(const AuditEntry& a) {
  SQLite::Statement q(*db_,
                      "INSERT INTO audit_log(at_ms, actor, action, run_id, approval_token, detail) "
                      "VALUES (?,?,?,?,?,?)");
  q.bind(1, static_cast<std::int64_t>(a.at_ms));
  q.bind(2, a.actor);
  q.bind(3, a.action);
  q.bind(4, a.run_id);
  q.bind(5, a.approval_token);
  q.bind(6, a.detail);
  q.exec();
}

std::vector<AuditEntry> Store::list_audit(const std::string& run_id, int limit) {
  SQLite::Statement q(*db_, std::string("SELECT id, at_ms, actor, action, run_id, approval_token, "
                                        "detail FROM audit_log") +
                                (run_id.empty() ? "" : " WHERE run_id=?") + " ORDER BY id LIMIT ?");
  int i = 1;
  if (!run_id.empty()) {
    q.bind(i++, run_id);
  }
  q.bind(i, limit);
  std::vector<AuditEntry> out;
  while (q.executeStep()) {
    AuditEntry a;
    a.id = q.getColumn(0).getInt64();
    a.at_ms = q.getColumn(1).getInt64();
    a.actor = q.getColumn(2).getString();
    a.action = q.getColumn(3).getString();
    a.run_id = q.getColumn(4).getString();
    a.approval_token = q.getColumn(5).getString();
    a.detail = q.getColumn(6).getString();
    out.push_back(std::move(a));
  }
  return out;
}

// Processed events

bool Store::mark_event_processed(const std::string& id, const std::string& kind, long long now) {
  auto& q = prepared("INSERT INTO processed_events(id, kind, seen_at) VALUES (?,?,?) ON CONFLICT(id) DO NOTHING");
  q.bind(1, id);
  q.bind(2, kind);
  q.bind(3, static_cast<std::int64_t>(now));
  return q.exec() == 1;
}

int Store::prune_processed_events(long long before) {
  SQLite::Statement q(*db_, "DELETE FROM processed_events WHERE seen_at < ?");
  q.bind(1, static_cast<std::int64_t>(before));
  return q.exec();
}

}  // namespace vigil

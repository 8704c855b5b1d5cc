#include "bot/store/store.h"

#include <array>
#include <ctime>

#include "bot/store/sql.h"
#include "bot/store/sql_dialect.h"

namespace vigil {
namespace {

// Numbered migrations. Each runs in one transaction together with its schema_version row.
// Never edit a migration that has shipped; add a new one.
constexpr std::array<const char*, 10> kMigrations = {
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
    // 7: each turn of an agent CLI: how long it ran and, where its stream said, tokens and cost
    // (NULL: not reported), summed per run and per incident.
    R"sql(
CREATE TABLE agent_turns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(id),
  backend TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  retry INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cost_usd REAL
);
CREATE INDEX agent_turns_run ON agent_turns(run_id);
)sql",
    // 8: data that ages out (storage.retention): what the pruner looks rows up by; webhook bodies
    // already processed are not kept (they could hold secrets; failed ones are redacted by hand).
    R"sql(
CREATE INDEX runs_finished ON runs(finished_at);
CREATE INDEX incidents_resolved ON incidents(state, resolved_at);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries(received_at);
CREATE INDEX audit_log_at ON audit_log(at_ms);
CREATE INDEX approvals_run ON approvals(run_id);
CREATE INDEX approvals_step ON approvals(step_id);
CREATE INDEX runs_incident ON runs(incident_id);
UPDATE webhook_deliveries SET body = '' WHERE status = 'processed';
)sql",
    // 9: the cluster an approval's change runs against (kubernetes.clusters), named on its card.
    R"sql(
ALTER TABLE approvals ADD COLUMN cluster TEXT NOT NULL DEFAULT '';
)sql",
    // 10: Socket Mode envelopes a standby replica read and acked, whole, until the replica that
    // leads takes them in (and deletes them). Their dedup keys are in processed_events.
    R"sql(
CREATE TABLE relayed_envelopes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at INTEGER NOT NULL,
  envelope TEXT NOT NULL
);
)sql",
};
static_assert(kMigrations.size() == static_cast<std::size_t>(Store::kSchemaVersion),
              "Store::kSchemaVersion is the number of the newest migration");

constexpr const char* kSchemaVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";

// The migration as this connection's database creates it (sql_dialect.h).
std::string schema_sql(sql::Connection& db, const char* migration) {
  return db.dialect() == sql::Dialect::PostgreSQL ? sql::postgres_schema(migration) : std::string(migration);
}

// PostgreSQL: several processes may start at once on one database; each migration's transaction
// first takes this lock, so they apply one after the other and the later ones find it applied.
// SQLite: the database lock (one process per file) already does this.
void lock_migrations(sql::Connection& db) {
  if (db.dialect() == sql::Dialect::PostgreSQL) {
    sql::query_int64(db, "SELECT 1 FROM (SELECT pg_advisory_xact_lock(6224411250443501570)) AS locked");
  }
}

}  // namespace

Result<void> Store::migrate(int target) {
  try {
    {
      sql::Transaction tx(*db_);
      lock_migrations(*db_);
      db_->exec(schema_sql(*db_, kSchemaVersionTable));
      tx.commit();
    }
    const int current = schema_version();
    if (current > kSchemaVersion) {
      return make_error(Errc::InvalidConfig, "the database was written by a newer Vigil (schema version " +
                                                 std::to_string(current) + ", this build knows up to " +
                                                 std::to_string(kSchemaVersion) +
                                                 "); upgrade Vigil or point storage.database at another file");
    }
    for (int v = current + 1; v <= target; ++v) {
      sql::Transaction tx(*db_);
      lock_migrations(*db_);
      if (schema_version() >= v) {
        continue;  // another process applied it meanwhile
      }
      db_->exec(schema_sql(*db_, kMigrations.at(static_cast<std::size_t>(v - 1))));
      sql::Statement mark(*db_, "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)");
      mark.bind(1, v);
      mark.bind(2, static_cast<std::int64_t>(std::time(nullptr)));
      mark.exec();
      tx.commit();
    }
  } catch (const sql::Error& e) {
    return make_error(Errc::Io, std::string("database migration failed: ") + e.what());
  }
  return {};
}

}  // namespace vigil

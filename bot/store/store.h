#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bot/base/error.h"
#include "bot/store/model.h"

namespace vigil {
class Redactor;
}

namespace vigil::sql {
class Connection;
class Statement;
class Transaction;
}  // namespace vigil::sql

namespace vigil {

/// One webhook body as received (status: received, processed, failed).
struct WebhookDelivery {
  std::int64_t id = 0;
  std::string source;
  long long received_at = 0;
  std::string body;
  std::string status;
};

/// Cut-offs (unix seconds) of what may be pruned: a final run that finished before `runs_before`
/// (with its events, steps and approvals), a resolved incident resolved before `incidents_before`
/// that no run still refers to, a processed or failed webhook delivery received before
/// `deliveries_before`, an audit row written before `audit_before`.
struct PruneCutoffs {
  long long runs_before = 0;
  long long incidents_before = 0;
  long long deliveries_before = 0;
  long long audit_before = 0;
};

/// Rows per kind: what one pruning pass deleted, or (dry run) what it would delete.
struct PruneCounts {
  long long runs = 0;
  long long run_events = 0;
  long long steps = 0;
  long long approvals = 0;
  long long incidents = 0;
  long long incident_events = 0;
  long long webhook_deliveries = 0;
  long long audit = 0;
  long long total() const {
    return runs + run_events + steps + approvals + incidents + incident_events + webhook_deliveries + audit;
  }
  PruneCounts& operator+=(const PruneCounts& o);
};

/// What Store::open does when the file is not there (PostgreSQL: the database must exist; its
/// tables are created unless ReadOnly).
enum class StoreOpenMode {
  CreateIfMissing,  // serving: a new, empty database
  MustExist,        // Errc::NotFound when missing, and no file is created; migrated like the first
  /// Reading back (`vigil runs list`): must exist (Errc::NotFound), opened read-only and never
  /// migrated; a schema other than kSchemaVersion is refused (Errc::InvalidConfig) with what to do.
  ReadOnly,
};

/// Everything Vigil did: in one SQLite file (WAL, busy timeout, foreign keys on; the default),
/// created 0600 whatever the umask (SQLite gives its -wal and -shm files the database's mode), or
/// in a PostgreSQL database (storage.postgres_dsn). Both run the same SQL, migrations and
/// conditional updates through one port (sql.h); the tests run one suite against both. Every free text
/// written (titles, timelines, summaries, errors, step output, approval reasons, audit details)
/// passes the Redactor first: the built-in rules until set_redactor() gives the configured one.
/// A webhook body is the one text kept verbatim, and only until it is processed. Methods are named
/// for what the core needs; every state change is a conditional update, so of two writers racing
/// for the same change exactly one wins. Synchronous and short: called on the io thread.
/// Throws sql::Error only when the database itself fails.
class Store {
 public:
  /// The schema version this build writes.
  static constexpr int kSchemaVersion = 10;

  /// Opens (creating if needed, unless `mode` says otherwise) and migrates. A database written by a
  /// newer Vigil is refused.
  static Result<std::unique_ptr<Store>> open(const std::string& path,
                                             StoreOpenMode mode = StoreOpenMode::CreateIfMissing);
  /// Opens and migrates only up to `version` (tests of migration paths).
  static Result<std::unique_ptr<Store>> open_at_version(const std::string& path, int version);
  /// The same on PostgreSQL: `dsn` is a libpq connection string (a secret: errors redact it).
  static Result<std::unique_ptr<Store>> open_postgres(const std::string& dsn,
                                                      StoreOpenMode mode = StoreOpenMode::CreateIfMissing,
                                                      int version = kSchemaVersion);
  ~Store();

  /// "sqlite" or "postgresql".
  std::string backend() const;
  /// PostgreSQL: takes the session lock that lets one process at a time write the database (the
  /// leading `vigil serve`, a local run, `store migrate`), held for as long as this Store lives.
  /// It is a lease whose heartbeat is the session itself (TCP keepalives every few seconds): the
  /// server drops it when the holder dies or is cut off, and another replica takes it. Refused
  /// (Conflict) with the holder's pid and address when another process has it. SQLite: nothing to
  /// do (DatabaseLock).
  Result<void> hold_single_writer_lock();
  /// True once the connection dropped and, reconnected, found the lock taken by another process:
  /// every statement fails from then on, and the process must stop (it no longer leads).
  bool lost_single_writer_lock() const;
  /// Copies every row of this Store into `destination` (`vigil store migrate --to …`), table by
  /// table in one transaction of the destination's, in the order rows were written, with its id
  /// sequences moved past the copied ids. Refused when the destination holds runs, incidents or
  /// audit rows already. Both must be at kSchemaVersion. Returns the rows copied per table.
  Result<std::vector<std::pair<std::string, long long>>> copy_into(Store& destination);

  int schema_version() const;
  /// The filter every free text passes before it is written (the same one as Slack posts).
  void set_redactor(std::shared_ptr<const Redactor> redactor);
  /// A warning when the database file at `path` can be read or written by its group or others
  /// (empty when it cannot, or when there is no file).
  static std::string exposure_warning(const std::string& path);
  /// True when a write succeeds now (readiness probe).
  bool is_writable();

  // Incidents
  Result<void> create_incident(const IncidentRecord& incident);
  std::optional<IncidentRecord> get_incident(const std::string& id);
  std::optional<IncidentRecord> find_open_incident_by_fingerprint(const std::string& source,
                                                                  const std::string& fingerprint);
  std::vector<IncidentRecord> list_incidents(int limit, bool open_only);
  /// Adds one to the alert counter and returns the new count.
  int bump_incident_alert_count(const std::string& id);
  /// open → resolved; false when it was not open.
  bool resolve_incident(const std::string& id, long long at);
  void set_incident_thread(const std::string& id, const std::string& channel, const std::string& thread_ts);
  /// Incidents whose id starts with `prefix` (the short id people copy from Slack), newest first.
  std::vector<IncidentRecord> find_incidents_by_prefix(const std::string& prefix, int limit);
  /// Open incidents whose thread lives in `channel`, newest first.
  std::vector<IncidentRecord> open_incidents_in_channel(const std::string& channel);
  std::int64_t append_incident_event(const IncidentEvent& event);
  /// Oldest first.
  std::vector<IncidentEvent> list_incident_events(const std::string& incident_id);

  // Runs
  /// Inserts the run. When a run with the same trigger_key exists, returns Conflict with that
  /// run's id as the detail (a redelivered trigger is harmless).
  Result<void> create_run(const RunRecord& run);
  std::optional<RunRecord> get_run(const std::string& id);
  std::optional<RunRecord> find_run_by_trigger(const std::string& trigger_key);
  /// Runs whose id starts with `prefix` (people copy the short id from Slack), newest first.
  std::vector<RunRecord> find_runs_by_prefix(const std::string& prefix, int limit);
  /// Active runs (queued, running, awaiting approval) in a channel, oldest first.
  std::vector<RunRecord> active_runs_in_channel(const std::string& channel);
  std::optional<RunRecord> find_run_by_thread(const std::string& channel, const std::string& thread_ts);
  /// Newest first; `state` filters when set.
  std::vector<RunRecord> list_runs(int limit, std::optional<RunState> state = std::nullopt);
  /// The oldest `limit` queued runs, oldest first (the persisted queue: a queued run is only its row).
  std::vector<RunRecord> queued_runs(int limit);
  /// How many runs are queued (an index count: cheap with thousands queued).
  std::size_t count_queued_runs();
  /// Several Store calls as one transaction, one commit instead of one each: begun by unit(),
  /// committed by commit(), rolled back when dropped uncommitted. A call inside it that keeps its
  /// own writes atomic becomes a savepoint of it. Synchronous code only: never held across a
  /// co_await, where other coroutines' writes would join it.
  class Unit {
   public:
    explicit Unit(std::unique_ptr<sql::Transaction> tx);
    ~Unit();
    Unit(Unit&&) noexcept;
    Unit& operator=(Unit&&) = delete;
    void commit();

   private:
    std::unique_ptr<sql::Transaction> tx_;
  };
  Unit unit();
  /// Moves the run from one of `from` to `to`, recording the transition in run_events.
  /// Returns false (and changes nothing) when the run is not in one of `from`.
  bool transition_run(const std::string& id, const std::vector<RunState>& from, RunState to, long long at_ms,
                      const std::string& actor = "system", const std::string& note = "");
  void set_run_thread(const std::string& id, const std::string& channel, const std::string& thread_ts);
  void set_run_summary(const std::string& id, const std::string& summary);
  void set_run_result(const std::string& id, RunResult result);
  void set_run_error(const std::string& id, const std::string& error);
  int bump_run_repeat_count(const std::string& id);
  std::vector<RunRecord> runs_for_incident(const std::string& incident_id);
  void set_run_skill(const std::string& id, const std::string& skill);
  /// The newest finished runs of a backend (and skill, when not empty) that finished after
  /// `since`, newest first (the circuit breaker weighs them).
  std::vector<RunRecord> recent_finished_runs(const std::string& backend, const std::string& skill, long long since,
                                              int limit);

  // Automatic triage pauses (the circuit breaker's state)
  void pause_auto_triage(const AutoTriagePause& pause);
  std::optional<AutoTriagePause> get_auto_triage_pause(const std::string& key);
  /// Ends a pause early; false when there was no active pause.
  bool resume_auto_triage(const std::string& key, const std::string& by, long long now);

  // Timeline
  std::int64_t append_event(const RunEvent& event);
  std::vector<RunEvent> list_events(const std::string& run_id);

  // Agent turns (store_agent_turns.cpp): duration, tokens and cost of each agent CLI turn.
  void add_agent_turn(const AgentTurnRecord& turn);
  AgentUsageTotals agent_usage_for_run(const std::string& run_id);
  /// Over every run attached to the incident.
  AgentUsageTotals agent_usage_for_incident(const std::string& incident_id);

  // Steps
  /// Inserts a step; fills its id.
  std::int64_t create_step(StepRecord& step);
  std::optional<StepRecord> get_step(std::int64_t id);
  std::vector<StepRecord> list_steps(const std::string& run_id);
  /// Conditional: moves the step from one of `from` to `to`.
  bool transition_step(std::int64_t id, const std::vector<StepState>& from, StepState to, long long at);
  /// False when the step was final already (nothing changes then).
  bool finish_step(std::int64_t id, StepState state, std::optional<int> exit_code, std::optional<int> signal,
                   const std::string& output, bool truncated, const std::string& output_path, long long at);
  /// Steps caught running by a crash become interrupted; returns them.
  std::vector<StepRecord> interrupt_running_steps(long long at);

  // Approvals
  Result<void> create_approval(const ApprovalRecord& approval);
  std::optional<ApprovalRecord> get_approval(const std::string& token);
  std::vector<ApprovalRecord> pending_approvals();
  /// Every approval asked for in a run, oldest first.
  std::vector<ApprovalRecord> list_approvals(const std::string& run_id);
  /// The newest approval asked for a step (a resumed run finds its card again).
  std::optional<ApprovalRecord> find_approval_for_step(const std::string& run_id, std::int64_t step_id);
  void set_approval_message(const std::string& token, const std::string& channel, const std::string& ts);
  /// Records one approver's vote (for approvals that need two distinct people). Returns the
  /// number of distinct votes, or 0 when this user had already voted.
  int add_approval_vote(const std::string& token, const std::string& user, long long at);
  std::vector<std::string> approval_voters(const std::string& token);
  /// The one conditional update that decides an approval:
  /// `… WHERE token=? AND state='pending' AND expires_at > now`. True for exactly one caller.
  bool claim_approval_decision(const std::string& token, Decision decision, const std::string& decided_by,
                               const std::string& reason, long long now);
  /// Pending approvals past their expiry become expired; returns them.
  std::vector<ApprovalRecord> expire_approvals(long long now);
  bool cancel_approval(const std::string& token, long long now);

  // Audit
  void append_audit(const AuditEntry& entry);
  std::vector<AuditEntry> list_audit(const std::string& run_id = "", int limit = 1000);

  // Webhook deliveries
  /// Inserts (committed when it returns) a delivery in state received; returns its id.
  std::int64_t record_webhook_delivery(const std::string& source, long long received_at, const std::string& body);
  /// received → `status` (processed or failed); false when it was not received. The body is not
  /// kept past this: cleared when processed, a redacted copy when failed (to see why).
  bool mark_webhook_processed(std::int64_t id, const std::string& status, long long at);
  /// Oldest first.
  std::vector<WebhookDelivery> list_webhook_deliveries(int limit = 1000);
  /// The deliveries still to take in (status received), oldest first: stored by this process
  /// before its intake opened, or by a standby replica (PostgreSQL).
  std::vector<WebhookDelivery> received_webhook_deliveries(int limit);

  /// Number of runs per state name (for /metrics).
  std::map<std::string, int> count_runs_by_state();

  // Processed Slack events (dedup of redeliveries)
  /// True the first time an id is seen; false for a repeat.
  bool mark_event_processed(const std::string& id, const std::string& kind, long long now);
  /// Deletes ids older than `before`; returns how many.
  int prune_processed_events(long long before);
  /// A standby replica's envelope (`frame`, as slack::relay_frame writes it): in one transaction,
  /// its dedup key is marked processed and the frame stored for the leader. False, and nothing
  /// stored, when the key was seen before.
  bool relay_envelope(const std::string& key, const std::string& kind, long long now, const std::string& frame);
  /// The leader takes in (and deletes, in one statement) at most `limit` relayed frames, oldest
  /// first.
  std::vector<std::string> take_relayed_envelopes(int limit);
  /// Relayed frames not yet taken in.
  long long count_relayed_envelopes();

  // Retention (store_retention.cpp)
  /// What prune_batch would delete, in all, per kind (`vigil runs prune --dry-run`).
  PruneCounts count_prunable(const PruneCutoffs& cutoffs);
  /// Deletes at most `batch` rows of each kind, children before their parents, each kind in its own
  /// transaction. A run not final and an open incident are never deleted. Call again until it
  /// returns zero rows.
  PruneCounts prune_batch(const PruneCutoffs& cutoffs, int batch);

 private:
  explicit Store(std::unique_ptr<sql::Connection> db);
  static Result<std::unique_ptr<Store>> open_with(const std::string& path, int version, StoreOpenMode mode);
  /// Migrates (or, ReadOnly, checks) a Store just connected to `where` (named in errors).
  static Result<std::unique_ptr<Store>> prepare_opened(std::unique_ptr<Store> store, const std::string& where,
                                                       int version, StoreOpenMode mode);
  Result<void> migrate(int target);
  Result<void> check_readable(const std::string& where) const;
  /// A prepared statement kept for the hot single-row queries (an agent's timeline rows, run
  /// lookups, the dedup insert), reset and unbound. Not for a statement still being stepped.
  sql::Statement& prepared(const char* sql);

  /// `text` through the redactor, as it is written.
  std::string scrub(const std::string& text) const;
  /// One DELETE of at most `batch` rows in its own transaction; returns the rows deleted.
  long long delete_in_transaction(const std::string& sql, long long cutoff, int batch);
  /// A COUNT(*) with ?1 bound to `first` and ?2 (when the query has it) to `second`.
  long long count_where(const std::string& sql, long long first, long long second = 0);

  std::unique_ptr<sql::Connection> db_;
  std::shared_ptr<const Redactor> redactor_;
  std::map<const char*, std::unique_ptr<sql::Statement>> prepared_;  // keyed by the literal
};

}  // namespace vigil

#include "bot/store/store.h"

#include "bot/store/sql.h"

#include "bot/store/store_sql.h"

namespace vigil {
namespace {

using namespace store_detail;

constexpr const char* kRunColumns =
    "id, COALESCE(incident_id,''), trigger_kind, trigger_key, requester, text, backend, skill, state, "
    "channel, thread_ts, created_at, started_at, finished_at, summary, error, repeat_count, result";

RunRecord read_run(sql::Statement& q) {
  RunRecord r;
  r.id = q.column(0).as_text();
  r.incident_id = q.column(1).as_text();
  r.trigger_kind = q.column(2).as_text();
  r.trigger_key = q.column(3).as_text();
  r.requester = q.column(4).as_text();
  r.text = q.column(5).as_text();
  r.backend = q.column(6).as_text();
  r.skill = q.column(7).as_text();
  r.state = parse_run_state(q.column(8).as_text()).value_or(RunState::Failed);
  r.channel = q.column(9).as_text();
  r.thread_ts = q.column(10).as_text();
  r.created_at = q.column(11).as_int64();
  r.started_at = opt_int64(q.column(12));
  r.finished_at = opt_int64(q.column(13));
  r.summary = q.column(14).as_text();
  r.error = q.column(15).as_text();
  r.repeat_count = q.column(16).as_int();
  r.result = parse_run_result(q.column(17).as_text());
  return r;
}

}  // namespace

// Runs

Result<void> Store::create_run(const RunRecord& r) {
  sql::Transaction tx(*db_);
  sql::Statement q(*db_,
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
  q.bind(6, scrub(r.text));
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
  sql::Statement e(*db_, "INSERT INTO run_events(run_id, at_ms, kind, actor, text) VALUES (?,?,?,?,?)");
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
  if (q.step()) {
    run = read_run(q);
  }
  q.reset();
  return run;
}

std::optional<RunRecord> Store::find_run_by_trigger(const std::string& trigger_key) {
  sql::Statement q(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE trigger_key=?");
  q.bind(1, trigger_key);
  if (q.step()) {
    return read_run(q);
  }
  return std::nullopt;
}

std::vector<RunRecord> Store::find_runs_by_prefix(const std::string& prefix, int limit) {
  // The id alphabet is hex and '-', so the prefix cannot carry LIKE wildcards; check anyway.
  if (prefix.find_first_not_of("0123456789abcdefABCDEF-") != std::string::npos) {
    return {};
  }
  sql::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                             " FROM runs WHERE id >= ? AND id < ? ORDER BY created_at DESC LIMIT ?");
  q.bind(1, prefix);
  q.bind(2, prefix + "\x7f");
  q.bind(3, limit);
  std::vector<RunRecord> out;
  while (q.step()) {
    out.push_back(read_run(q));
  }
  return out;
}

std::vector<RunRecord> Store::active_runs_in_channel(const std::string& channel) {
  sql::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                             " FROM runs WHERE channel=? AND state IN ('queued','running','awaiting_approval') "
                             "ORDER BY created_at, rowid");
  q.bind(1, channel);
  std::vector<RunRecord> out;
  while (q.step()) {
    out.push_back(read_run(q));
  }
  return out;
}

std::optional<RunRecord> Store::find_run_by_thread(const std::string& channel, const std::string& thread_ts) {
  sql::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                             " FROM runs WHERE channel=? AND thread_ts=? ORDER BY created_at DESC LIMIT 1");
  q.bind(1, channel);
  q.bind(2, thread_ts);
  if (q.step()) {
    return read_run(q);
  }
  return std::nullopt;
}

std::vector<RunRecord> Store::list_runs(int limit, std::optional<RunState> state) {
  sql::Statement q(*db_, std::string("SELECT ") + kRunColumns + " FROM runs" + (state ? " WHERE state=?" : "") +
                             " ORDER BY created_at DESC, rowid DESC LIMIT ?");
  int i = 1;
  if (state) {
    q.bind(i++, std::string(to_string(*state)));
  }
  q.bind(i, limit);
  std::vector<RunRecord> out;
  while (q.step()) {
    out.push_back(read_run(q));
  }
  return out;
}

std::vector<RunRecord> Store::queued_runs(int limit) {
  sql::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                             " FROM runs WHERE state='queued' ORDER BY created_at, rowid LIMIT ?");
  q.bind(1, limit);
  std::vector<RunRecord> out;
  while (q.step()) {
    out.push_back(read_run(q));
  }
  return out;
}

bool Store::transition_run(const std::string& id, const std::vector<RunState>& from, RunState to, long long at_ms,
                           const std::string& actor, const std::string& note) {
  std::string placeholders;
  for (std::size_t i = 0; i < from.size(); ++i) {
    placeholders += i ? ",?" : "?";
  }
  sql::Transaction tx(*db_);
  const bool starting = to == RunState::Running;
  const bool ending = is_terminal(to);
  sql::Statement q(
      *db_, "UPDATE runs SET state=?" + std::string(starting ? ", started_at=COALESCE(started_at, ?)" : "") +
                std::string(ending ? ", finished_at=?" : "") + " WHERE id=? AND state IN (" + placeholders + ")");
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
  sql::Statement e(*db_, "INSERT INTO run_events(run_id, at_ms, kind, actor, text) VALUES (?,?,'state',?,?)");
  e.bind(1, id);
  e.bind(2, static_cast<std::int64_t>(at_ms));
  e.bind(3, actor);
  e.bind(4, std::string(to_string(to)) + (note.empty() ? "" : ": " + scrub(note)));
  e.exec();
  tx.commit();
  return true;
}

void Store::set_run_thread(const std::string& id, const std::string& channel, const std::string& thread_ts) {
  sql::Statement q(*db_, "UPDATE runs SET channel=?, thread_ts=? WHERE id=?");
  q.bind(1, channel);
  q.bind(2, thread_ts);
  q.bind(3, id);
  q.exec();
}

void Store::set_run_summary(const std::string& id, const std::string& summary) {
  sql::Statement q(*db_, "UPDATE runs SET summary=? WHERE id=?");
  q.bind(1, scrub(summary));
  q.bind(2, id);
  q.exec();
}

void Store::set_run_result(const std::string& id, RunResult result) {
  sql::Statement q(*db_, "UPDATE runs SET result=? WHERE id=?");
  q.bind(1, std::string(to_string(result)));
  q.bind(2, id);
  q.exec();
}

void Store::set_run_error(const std::string& id, const std::string& error) {
  sql::Statement q(*db_, "UPDATE runs SET error=? WHERE id=?");
  q.bind(1, scrub(error));
  q.bind(2, id);
  q.exec();
}

int Store::bump_run_repeat_count(const std::string& id) {
  sql::Statement q(*db_, "UPDATE runs SET repeat_count = repeat_count + 1 WHERE id=? RETURNING repeat_count");
  q.bind(1, id);
  return q.step() ? q.column(0).as_int() : 0;
}

std::vector<RunRecord> Store::runs_for_incident(const std::string& incident_id) {
  sql::Statement q(*db_,
                   std::string("SELECT ") + kRunColumns + " FROM runs WHERE incident_id=? ORDER BY created_at, rowid");
  q.bind(1, incident_id);
  std::vector<RunRecord> out;
  while (q.step()) {
    out.push_back(read_run(q));
  }
  return out;
}

void Store::set_run_skill(const std::string& id, const std::string& skill) {
  sql::Statement q(*db_, "UPDATE runs SET skill=? WHERE id=?");
  q.bind(1, skill);
  q.bind(2, id);
  q.exec();
}

std::vector<RunRecord> Store::recent_finished_runs(const std::string& backend, const std::string& skill,
                                                   long long since, int limit) {
  sql::Statement q(*db_, std::string("SELECT ") + kRunColumns +
                             " FROM runs WHERE backend=? AND (?='' OR skill=?) AND finished_at IS NOT NULL "
                             "AND finished_at > ? ORDER BY finished_at DESC, rowid DESC LIMIT ?");
  q.bind(1, backend);
  q.bind(2, skill);
  q.bind(3, skill);
  q.bind(4, static_cast<std::int64_t>(since));
  q.bind(5, limit);
  std::vector<RunRecord> out;
  while (q.step()) {
    out.push_back(read_run(q));
  }
  return out;
}

std::size_t Store::count_queued_runs() {
  sql::Statement q(*db_, "SELECT COUNT(*) FROM runs WHERE state='queued'");
  return q.step() ? static_cast<std::size_t>(q.column(0).as_int64()) : 0;
}

std::map<std::string, int> Store::count_runs_by_state() {
  sql::Statement q(*db_, "SELECT state, COUNT(*) FROM runs GROUP BY state");
  std::map<std::string, int> out;
  while (q.step()) {
    out[q.column(0).as_text()] = q.column(1).as_int();
  }
  return out;
}

}  // namespace vigil

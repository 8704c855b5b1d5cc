#include "bot/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "bot/store/store_sql.h"

namespace vigil {
namespace {

using namespace store_detail;

std::string argv_to_json(const std::vector<std::string>& argv) {
  return nlohmann::json(argv).dump();
}

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

}  // namespace

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
  SQLite::Statement q(*db_, std::string("SELECT ") + kStepColumns + " FROM steps WHERE run_id=? ORDER BY seq");
  q.bind(1, run_id);
  std::vector<StepRecord> out;
  while (q.executeStep()) {
    out.push_back(read_step(q));
  }
  return out;
}

bool Store::transition_step(std::int64_t id, const std::vector<StepState>& from, StepState to, long long at) {
  std::string placeholders;
  for (std::size_t i = 0; i < from.size(); ++i) {
    placeholders += i ? ",?" : "?";
  }
  const bool starting = to == StepState::Running;
  SQLite::Statement q(*db_, "UPDATE steps SET state=?" + std::string(starting ? ", started_at=?" : "") +
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

bool Store::finish_step(std::int64_t id, StepState state, std::optional<int> exit_code, std::optional<int> signal,
                        const std::string& output, bool truncated, const std::string& output_path, long long at) {
  // Only a step not final yet: a stale writer never overwrites what another process concluded
  // (a step it marked interrupted stays interrupted).
  SQLite::Statement q(*db_,
                      "UPDATE steps SET state=?, exit_code=?, signal=?, output=?, output_truncated=?, "
                      "output_path=?, finished_at=? WHERE id=? AND state IN ('pending', 'awaiting_approval', "
                      "'running')");
  q.bind(1, std::string(to_string(state)));
  bind_opt(q, 2, exit_code);
  bind_opt(q, 3, signal);
  q.bind(4, scrub(output));
  q.bind(5, truncated ? 1 : 0);
  q.bind(6, output_path);
  q.bind(7, static_cast<std::int64_t>(at));
  q.bind(8, static_cast<std::int64_t>(id));
  return q.exec() == 1;
}

std::vector<StepRecord> Store::interrupt_running_steps(long long at) {
  SQLite::Transaction tx(*db_);
  std::vector<StepRecord> out;
  {
    SQLite::Statement q(*db_, std::string("SELECT ") + kStepColumns + " FROM steps WHERE state='running' ORDER BY id");
    while (q.executeStep()) {
      out.push_back(read_step(q));
    }
  }
  SQLite::Statement u(*db_, "UPDATE steps SET state='interrupted', finished_at=? WHERE state='running'");
  u.bind(1, static_cast<std::int64_t>(at));
  u.exec();
  tx.commit();
  for (auto& s : out) {
    s.state = StepState::Interrupted;
    s.finished_at = at;
  }
  return out;
}

}  // namespace vigil

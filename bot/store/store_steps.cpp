#include "bot/store/store.h"

#include "bot/store/sql.h"
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

StepRecord read_step(sql::Statement& q) {
  StepRecord s;
  s.id = q.column(0).as_int64();
  s.run_id = q.column(1).as_text();
  s.skill = q.column(2).as_text();
  s.step = q.column(3).as_text();
  s.seq = q.column(4).as_int();
  s.argv = argv_from_json(q.column(5).as_text());
  s.argv_hash = q.column(6).as_text();
  s.mutating = q.column(7).as_int() != 0;
  s.state = parse_step_state(q.column(8).as_text()).value_or(StepState::Failed);
  s.exit_code = opt_int(q.column(9));
  s.signal = opt_int(q.column(10));
  s.output = q.column(11).as_text();
  s.output_truncated = q.column(12).as_int() != 0;
  s.output_path = q.column(13).as_text();
  s.started_at = opt_int64(q.column(14));
  s.finished_at = opt_int64(q.column(15));
  return s;
}

}  // namespace

// Steps

std::int64_t Store::create_step(StepRecord& s) {
  sql::Statement q(*db_,
                   "INSERT INTO steps(run_id, skill, step, seq, argv, argv_hash, mutating, state) "
                   "VALUES (?,?,?,?,?,?,?,?) RETURNING id");
  q.bind(1, s.run_id);
  q.bind(2, s.skill);
  q.bind(3, s.step);
  q.bind(4, s.seq);
  q.bind(5, argv_to_json(s.argv));
  q.bind(6, s.argv_hash);
  q.bind(7, s.mutating ? 1 : 0);
  q.bind(8, std::string(to_string(s.state)));
  s.id = inserted_id(q);
  return s.id;
}

std::optional<StepRecord> Store::get_step(std::int64_t id) {
  sql::Statement q(*db_, std::string("SELECT ") + kStepColumns + " FROM steps WHERE id=?");
  q.bind(1, static_cast<std::int64_t>(id));
  if (q.step()) {
    return read_step(q);
  }
  return std::nullopt;
}

std::vector<StepRecord> Store::list_steps(const std::string& run_id) {
  sql::Statement q(*db_, std::string("SELECT ") + kStepColumns + " FROM steps WHERE run_id=? ORDER BY seq");
  q.bind(1, run_id);
  std::vector<StepRecord> out;
  while (q.step()) {
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
  sql::Statement q(*db_, "UPDATE steps SET state=?" + std::string(starting ? ", started_at=?" : "") +
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
  sql::Statement q(*db_,
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
  sql::Transaction tx(*db_);
  std::vector<StepRecord> out;
  {
    sql::Statement q(*db_, std::string("SELECT ") + kStepColumns + " FROM steps WHERE state='running' ORDER BY id");
    while (q.step()) {
      out.push_back(read_step(q));
    }
  }
  sql::Statement u(*db_, "UPDATE steps SET state='interrupted', finished_at=? WHERE state='running'");
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

#include "bot/store/store.h"

#include "bot/store/sql.h"
#include "bot/store/store_sql.h"

namespace vigil {

// Timeline

std::int64_t Store::append_event(const RunEvent& ev) {
  auto& q =
      prepared("INSERT INTO run_events(run_id, at_ms, kind, actor, text, data) VALUES (?,?,?,?,?,?) RETURNING id");
  q.bind(1, ev.run_id);
  q.bind(2, static_cast<std::int64_t>(ev.at_ms));
  q.bind(3, ev.kind);
  q.bind(4, ev.actor);
  q.bind(5, scrub(ev.text));
  q.bind(6, scrub(ev.data));
  return store_detail::inserted_id(q);
}

std::vector<RunEvent> Store::list_events(const std::string& run_id) {
  sql::Statement q(*db_,
                   "SELECT id, run_id, at_ms, kind, actor, text, data FROM run_events WHERE run_id=? "
                   "ORDER BY id");
  q.bind(1, run_id);
  std::vector<RunEvent> out;
  while (q.step()) {
    RunEvent e;
    e.id = q.column(0).as_int64();
    e.run_id = q.column(1).as_text();
    e.at_ms = q.column(2).as_int64();
    e.kind = q.column(3).as_text();
    e.actor = q.column(4).as_text();
    e.text = q.column(5).as_text();
    e.data = q.column(6).as_text();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vigil

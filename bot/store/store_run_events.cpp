#include "bot/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil {

// Timeline

std::int64_t Store::append_event(const RunEvent& ev) {
  auto& q = prepared("INSERT INTO run_events(run_id, at_ms, kind, actor, text, data) VALUES (?,?,?,?,?,?)");
  q.bind(1, ev.run_id);
  q.bind(2, static_cast<std::int64_t>(ev.at_ms));
  q.bind(3, ev.kind);
  q.bind(4, ev.actor);
  q.bind(5, scrub(ev.text));
  q.bind(6, scrub(ev.data));
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

}  // namespace vigil

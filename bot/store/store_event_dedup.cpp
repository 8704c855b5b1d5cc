#include "bot/store/store.h"

#include "bot/store/sql.h"

namespace vigil {

// Processed events

bool Store::mark_event_processed(const std::string& id, const std::string& kind, long long now) {
  auto& q = prepared("INSERT INTO processed_events(id, kind, seen_at) VALUES (?,?,?) ON CONFLICT(id) DO NOTHING");
  q.bind(1, id);
  q.bind(2, kind);
  q.bind(3, static_cast<std::int64_t>(now));
  return q.exec() == 1;
}

int Store::prune_processed_events(long long before) {
  sql::Statement q(*db_, "DELETE FROM processed_events WHERE seen_at < ?");
  q.bind(1, static_cast<std::int64_t>(before));
  return q.exec();
}

}  // namespace vigil

#include "bot/store/store.h"

#include <algorithm>

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

// Envelopes relayed by standby replicas

bool Store::relay_envelope(const std::string& key, const std::string& kind, long long now, const std::string& frame) {
  sql::Transaction tx(*db_);
  if (!mark_event_processed(key, kind, now)) {
    return false;
  }
  auto& q = prepared("INSERT INTO relayed_envelopes(received_at, envelope) VALUES (?, ?)");
  q.bind(1, static_cast<std::int64_t>(now));
  q.bind(2, frame);
  q.exec();
  tx.commit();
  return true;
}

std::vector<std::string> Store::take_relayed_envelopes(int limit) {
  // One statement: a frame a standby commits meanwhile is either taken now or left for the next.
  auto& q = prepared(
      "DELETE FROM relayed_envelopes WHERE id IN (SELECT id FROM relayed_envelopes ORDER BY id LIMIT ?) "
      "RETURNING id, envelope");
  q.bind(1, limit);
  std::vector<std::pair<std::int64_t, std::string>> taken;
  while (q.step()) {
    taken.emplace_back(q.column(0).as_int64(), q.column(1).as_text());
  }
  std::sort(taken.begin(), taken.end());
  std::vector<std::string> out;
  out.reserve(taken.size());
  for (auto& [id, frame] : taken) {
    out.push_back(std::move(frame));
  }
  return out;
}

long long Store::count_relayed_envelopes() {
  return sql::query_int64(*db_, "SELECT COUNT(*) FROM relayed_envelopes");
}

}  // namespace vigil

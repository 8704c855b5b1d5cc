#include "integrations/http/connection_table.h"

namespace vigil::http {

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::ClientLimit:
      return "client_limit";
    case CloseReason::ServerFull:
      return "server_full";
    case CloseReason::Evicted:
      return "evicted";
    case CloseReason::FirstByteTimeout:
      return "first_byte_timeout";
    case CloseReason::HeaderTimeout:
      return "header_timeout";
  }
  return "unknown";
}

ConnectionTable::Admission ConnectionTable::admit(const std::string& client) {
  Admission a;
  if (limits_.max_per_client > 0 && open_from(client) >= limits_.max_per_client) {
    a.refused = CloseReason::ClientLimit;
    return a;
  }
  if (connections_.size() >= limits_.max_connections) {
    a.evict = longest_waiting();
    if (!a.evict) {
      a.refused = CloseReason::ServerFull;
      return a;
    }
    release(*a.evict);
  }
  const Id id = next_id_++;
  connections_[id] = Entry{client, true, sequence_++};
  ++per_client_[client];
  a.admitted = id;
  return a;
}

void ConnectionTable::header_received(Id id) {
  if (const auto it = connections_.find(id); it != connections_.end()) {
    it->second.waiting = false;
  }
}

void ConnectionTable::waiting(Id id) {
  if (const auto it = connections_.find(id); it != connections_.end()) {
    it->second.waiting = true;
    it->second.waiting_since = sequence_++;
  }
}

void ConnectionTable::release(Id id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) {
    return;
  }
  if (const auto c = per_client_.find(it->second.client); c != per_client_.end() && --c->second == 0) {
    per_client_.erase(c);
  }
  connections_.erase(it);
}

std::size_t ConnectionTable::open_from(const std::string& client) const {
  const auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

std::optional<ConnectionTable::Id> ConnectionTable::longest_waiting() const {
  std::optional<Id> oldest;
  std::uint64_t since = 0;
  for (const auto& [id, entry] : connections_) {
    if (entry.waiting && (!oldest || entry.waiting_since < since)) {
      oldest = id;
      since = entry.waiting_since;
    }
  }
  return oldest;
}

}  // namespace vigil::http

#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::http {

/// Why the listener closed a connection before answering it (the `reason` label of
/// vigil_http_connections_closed_total).
enum class CloseReason {
  ClientLimit,       // the client's address already holds max_connections_per_client
  ServerFull,        // max_connections are open and none is waiting for its header
  Evicted,           // waited longest for its header and made room for a new connection
  FirstByteTimeout,  // no byte of a request within first_byte_timeout
  HeaderTimeout,     // the request header was not complete within header_timeout
};
std::string_view to_string(CloseReason reason);

struct ConnectionLimits {
  std::size_t max_connections = 256;
  std::size_t max_per_client = 32;  // 0: no per-client limit
};

/// Which connections the listener holds, per client address, and whether each is still waiting
/// for a request header (a slow or idle client) or has sent one (a request being served). No I/O:
/// the listener asks it before it keeps a connection and tells it what each connection does.
///
/// At the global cap a new connection is not refused while some connection is still waiting for
/// its header: the one that has waited longest is closed instead. A client that sends its header
/// promptly is served however many slow clients there are; slow clients only evict each other.
class ConnectionTable {
 public:
  using Id = std::uint64_t;

  struct Admission {
    std::optional<Id> admitted;          // the new connection's id; none when refused
    std::optional<CloseReason> refused;  // ClientLimit or ServerFull
    std::optional<Id> evict;             // a waiting connection to close first (its slot is freed already)
  };

  explicit ConnectionTable(ConnectionLimits limits) : limits_(limits) {}

  /// A new connection from `client` (its address). The admitted connection is waiting for a header.
  Admission admit(const std::string& client);
  /// The connection has sent a whole header: it can no longer be evicted.
  void header_received(Id id);
  /// The connection waits for its next request (keep-alive): it can be evicted again.
  void waiting(Id id);
  /// The connection is gone (also for an evicted one: a no-op then).
  void release(Id id);

  bool holds(Id id) const { return connections_.count(id) != 0; }
  std::size_t open() const { return connections_.size(); }
  std::size_t open_from(const std::string& client) const;

 private:
  struct Entry {
    std::string client;
    bool waiting = true;
    std::uint64_t waiting_since = 0;  // a sequence number: smaller waited longer
  };
  std::optional<Id> longest_waiting() const;

  ConnectionLimits limits_;
  std::map<Id, Entry> connections_;
  std::map<std::string, std::size_t> per_client_;
  Id next_id_ = 1;
  std::uint64_t sequence_ = 0;
};

}  // namespace vigil::http

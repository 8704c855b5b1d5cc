#pragma once

#include <memory>
#include <string>

#include "bot/base/error.h"
#include "bot/base/task.h"

namespace vigil::slack {

/// One websocket. Two can be open at once (make-before-break on a refresh).
class Connection {
 public:
  virtual ~Connection() = default;
  /// The next text frame. Errc::Closed when the peer closed, Errc::Timeout when the link went
  /// silent (no pong, no frame) past the deadline, Errc::Unavailable on a network error.
  virtual Task<Result<std::string>> read() = 0;
  /// Writes one text frame. Callers never overlap two writes on one connection.
  virtual Task<Result<void>> write(std::string text) = 0;
  /// Close handshake, bounded; then the socket is gone. Safe to call more than once.
  virtual Task<> close() = 0;
  /// Drops the socket without a close handshake (wakes a pending read).
  virtual void abort() = 0;
};

/// Opens websockets.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Connects to `url` exactly as given (wss:// against Slack, ws:// against the emulator).
  /// An upgrade answered with anything but 101 is an Errc::Protocol error naming the status.
  virtual Task<Result<std::unique_ptr<Connection>>> connect(std::string url) = 0;
};

}  // namespace vigil::slack

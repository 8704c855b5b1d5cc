#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "bot/base/task.h"
#include "integrations/http/proxy_settings.h"
#include "integrations/slack/transport.h"

namespace vigil::slack {

struct BeastTransportOptions {
  http::ProxySettings proxy;
  std::chrono::milliseconds handshake_timeout{10'000};  // TCP + proxy + TLS + upgrade
  /// Dead-link deadline: a ping goes out after half of it passes without an inbound frame, and
  /// the link is declared dead when the whole of it passes with nothing (no pong, no frame).
  std::chrono::milliseconds pong_timeout{15'000};
  std::size_t max_frame_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds close_timeout{1'000};  // Slack may ignore close frames
};

/// Websockets over Beast: ws:// and wss:// (SNI, certificate and host name verification against
/// the system store), HTTPS_PROXY/NO_PROXY via HTTP CONNECT, keep-alive pings with a deadline.
std::unique_ptr<Transport> make_beast_transport(boost::asio::any_io_executor ex, BeastTransportOptions options,
                                                Logger log);

}  // namespace vigil::slack

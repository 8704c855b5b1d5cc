#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "bot/base/clock.h"
#include "bot/base/metrics.h"
#include "integrations/http/http_client.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/socket_mode_client.h"
#include "integrations/slack/transport.h"

namespace vigil::test {

/// Fake Slack tokens, assembled at run time so no token-shaped literal is ever committed.
std::string fake_app_token();
std::string fake_bot_token();

/// The real Socket Mode client (Beast transport, HTTP Web API) on its own io thread, pointed at a
/// SlackEmulator. Inbound events are collected for the test to inspect.
class SlackClientHarness {
 public:
  struct Options {
    slack::SocketModeOptions socket;
    std::chrono::milliseconds pong_timeout{15'000};
    slack::ProcessedEvents* processed = nullptr;  // default: in memory
    bool handlers_on_pool = false;                // run the handler on a thread pool
    slack::SocketModeClient::AckResponder ack_responder;
    /// Standby mode: envelopes go here (counted as checked) instead of to the handler.
    slack::SocketModeClient::Relay relay;
    /// Back-pressure: asked before each read (SocketModeClient::set_room).
    slack::SocketModeClient::Room room;
  };
  SlackClientHarness(slack::SlackEmulator& emulator, Options options);
  ~SlackClientHarness();

  void start();
  /// Graceful stop; returns run()'s result.
  Result<void> stop();
  /// Waits for run() to end on its own (fatal errors).
  std::optional<Result<void>> wait_for_end(std::chrono::milliseconds timeout);

  /// The handler; default collects. Replace before start().
  std::function<void(slack::InboundEvent)> on_event;

  std::vector<slack::InboundEvent> events() const;
  bool wait_for_events(std::size_t n, std::chrono::milliseconds timeout) const;
  /// Waits until at least `envelopes` envelopes, and every envelope the client has acked so far,
  /// went through its redelivery check and (when new) the handler: after it, events() holds
  /// everything the client will make of them. Used instead of "wait a while, nothing more comes".
  /// Exact when the handlers run on the client's own thread (handlers_on_pool false).
  bool wait_until_handled(std::size_t envelopes, std::chrono::milliseconds timeout);
  /// Hands an envelope another replica relayed to the client, on its thread, and waits for it.
  void deliver_relayed(slack::Envelope envelope);
  /// SocketModeClient::room_freed().
  void room_freed() { client_->room_freed(); }
  Metrics& metrics() { return metrics_; }
  slack::HttpWebApi& web() { return *web_; }
  boost::asio::io_context& io() { return io_; }

  void collect(slack::InboundEvent e);

 private:
  Task<> run_client();

  slack::SlackEmulator& emulator_;
  Options options_;
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{2};
  SystemClock clock_;
  Metrics metrics_;
  slack::MemoryProcessedEvents memory_;
  class CountingProcessedEvents;
  std::unique_ptr<CountingProcessedEvents> counting_;  // the client's ProcessedEvents, counted
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<slack::RateLimiter> limiter_;
  std::unique_ptr<slack::HttpWebApi> web_;
  std::unique_ptr<slack::Transport> transport_;
  std::unique_ptr<slack::SocketModeClient> client_;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<slack::InboundEvent> events_;
  std::optional<Result<void>> result_;
  std::size_t checked_ = 0;  // envelopes through the redelivery check
};

}  // namespace vigil::test

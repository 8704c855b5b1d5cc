#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/base/clock.h"
#include "bot/base/metrics.h"
#include "bot/base/task.h"
#include "integrations/slack/events.h"
#include "integrations/slack/processed_events.h"
#include "integrations/slack/reconnect_policy.h"
#include "integrations/slack/transport.h"
#include "integrations/slack/web_api.h"

namespace vigil::slack {

struct SocketModeOptions {
  int connections = 2;  // parallel websockets, 1..10 (Slack's cap is 10 per app)
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30'000};
  std::chrono::milliseconds too_many_websockets_backoff{5'000};  // first wait; doubles, max 2 min
  std::chrono::milliseconds hello_timeout{10'000};
  /// After a replacement said hello, the old socket is closed once it has been quiet this long
  /// (frames still arriving on it are acked), and at the latest after drain_max.
  std::chrono::milliseconds drain_quiet{200};
  std::chrono::milliseconds drain_max{3'000};
  std::chrono::seconds dedup_ttl{600};  // at least 10 minutes (Slack retries for ~5)
  SelfIdentity self;                    // from auth.test: the bot's own messages are ignored
  unsigned jitter_seed = std::random_device{}();
};

/// Keeps N Socket Mode connections alive and turns frames into InboundEvents:
/// read → ack at once → (on the handler executor) drop redeliveries → normalise → handler. One
/// reconnect path per connection slot: capped exponential back-off with jitter, reset after hello;
/// make-before-break on warning/refresh_requested; link_disabled stops; too_many_websockets backs
/// off. What to do after each event is decided by `next_action` (reconnect_policy.h); every wait
/// (back-off, hello watchdog, draining a replaced socket) is made on the Clock.
///
/// Two executors: the client's own (`ex`) reads and acks frames and keeps the connections; the
/// handler executor (`run`'s `handler_ex`) does everything else: dedup, normalising, handlers and
/// the Web API call for a socket URL. They may be the same. When `ex` runs on a thread of its own,
/// acks never wait behind the work on the handler executor (agent output, Web API calls, SQLite),
/// which is what keeps them within Slack's 3 seconds under load. Everything of the client except
/// `stop()`, `live_connections()` and `connections_opened()` then lives on that thread.
class SocketModeClient {
 public:
  /// Called with every new input, posted to the handler executor (never inside the read loop).
  using Handler = std::function<void(InboundEvent)>;
  /// Standby mode (replicas sharing one database): a first-time envelope is stored whole for the
  /// replica that leads instead of being handled here. Called with its dedup key and kind and the
  /// time (unix seconds); false when the key was seen before (by any replica).
  using Relay = std::function<bool(const Envelope&, const std::string& key, const std::string& kind, long long now)>;
  /// Optional, asked before each read (on the socket's executor): whether the app takes more
  /// envelopes now. When not, the connection waits for room_freed() before reading on, for at most
  /// kRoomWaitMax at a time, so an ack is never held near Slack's 3 s deadline.
  /// With a Room, envelopes acked but not yet taken by the handler executor count too: at most
  /// kMaxInTransit before reading waits, until kInTransitLowWater.
  using Room = std::function<bool()>;
  static constexpr std::chrono::milliseconds kRoomWaitMax{1000};
  static constexpr int kMaxInTransit = 64;
  static constexpr int kInTransitLowWater = 16;  // a reader waiting on kMaxInTransit reads on from here
  /// Optional: the payload of a slash command's ack (an immediate response), decided at once.
  using AckResponder = std::function<std::optional<nlohmann::json>(const Envelope&)>;

  SocketModeClient(boost::asio::any_io_executor ex, Transport& transport, WebApi& web, Clock& clock,
                   ProcessedEvents& processed, Metrics& metrics, Logger log, SocketModeOptions options);
  ~SocketModeClient();

  /// Runs until stop() (ok) or until Slack says the app cannot connect (link_disabled,
  /// invalid_auth…: an error saying what to fix). Handlers run on `handler_ex`, and run() must be
  /// awaited from a coroutine on `handler_ex`.
  Task<Result<void>> run(Handler handler, boost::asio::any_io_executor handler_ex);
  /// Graceful stop: closes every connection; run() returns once everything has ended. May be
  /// called from any thread.
  void stop();
  void set_ack_responder(AckResponder responder) { ack_responder_ = std::move(responder); }
  /// Before run().
  void set_room(Room room) { room_ = std::move(room); }
  /// The app has room again (any thread): waiting connections read on.
  void room_freed();
  /// Relay (standby) or, when null, handle here (leading). On the handler executor.
  void set_relay(Relay relay) { relay_ = std::move(relay); }
  /// An envelope a standby replica relayed (deduplicated there): normalised and handed to the
  /// handler like one read here. On the handler executor, after run() started.
  void deliver_relayed(Envelope envelope);
  /// Who the bot is (from auth.test, known only once connected to the Web API).
  void set_self(SelfIdentity self) { options_.self = std::move(self); }

  /// Connections that said hello and are not being replaced (any thread).
  int live_connections() const { return live_.load(); }
  long long connections_opened() const { return opened_.load(); }

 private:
  struct Link;
  enum class SlotEventKind { Dead, Replace, TooMany, Fatal };
  struct SlotEvent {
    SlotEventKind kind;
    std::shared_ptr<Link> link;
    std::string reason;
  };
  struct Slot {
    int index = 0;
    std::deque<SlotEvent> events;
    std::unique_ptr<boost::asio::steady_timer> wake;
    std::shared_ptr<Link> current;
  };
  class TaskCount;

  Task<Result<void>> run_connections();
  /// One connection slot: connect, read, and carry out next_action() after each event, until stop.
  Task<> maintain(int slot);
  /// The slot has no connection: opens one, or waits out the back-off next_action() asks for.
  Task<> connect(Slot& slot, ReconnectState& state);
  /// An event about the slot's current connection: reconnect, replace or give up.
  Task<> on_slot_event(Slot& slot, ReconnectState& state, SlotEvent event);
  /// Make before break: opens a replacement for `current`, retrying on the back-off, and retires
  /// `current` once the replacement said hello.
  Task<> replace(Slot& slot, ReconnectState& state, std::shared_ptr<Link> current);
  /// Closes a connection no one will read from (superseded, so its end is not a failure).
  Task<> let_go(std::shared_ptr<Link> link);
  Task<Result<std::shared_ptr<Link>>> establish(Slot& slot);
  /// Reads frames until hello; an error when the socket ends or says disconnect first.
  Task<Result<void>> await_hello(std::shared_ptr<Link> link);
  /// Aborts a connection that has not said hello within hello_timeout (on the clock).
  Task<> watch_hello(std::shared_ptr<Link> link);
  Task<Result<std::string>> open_socket_url();
  Task<> read_loop(std::shared_ptr<Link> link);
  Task<> wait_for_room();
  Task<> retire(std::shared_ptr<Link> link);
  Task<bool> handle_frame(std::shared_ptr<Link> link, std::string text, std::chrono::steady_clock::time_point received);
  Task<bool> handle_envelope(std::shared_ptr<Link> link, Envelope envelope,
                             std::chrono::steady_clock::time_point received);
  /// While stopping: leaves the envelope unacked, or answers a slash command with "send it again".
  Task<bool> refuse_while_stopping(std::shared_ptr<Link> link, const Envelope& envelope);
  void handle_disconnect(const std::shared_ptr<Link>& link, const Disconnect& d);
  Task<bool> handle_bad_frame(std::shared_ptr<Link> link, const BadFrame& bad, std::size_t size);
  /// Waits for a slot event or stop; returns the event when there is one.
  Task<std::optional<SlotEvent>> next_event(Slot& slot);
  /// Waits `delay` on the clock (or until stop). Events arriving meanwhile are about connections
  /// no longer current and are dropped, except that `watched` dying ends the wait: that event is
  /// returned.
  Task<std::optional<SlotEvent>> pause(Slot& slot, std::chrono::milliseconds delay, const Link* watched = nullptr);
  /// The jitter draw for next_action, in [0, 1).
  double draw();
  /// On the handler executor: drops redeliveries, then relays or delivers.
  void accept(Envelope envelope);
  /// Normalises and calls the handler (the bot's own messages and unknown events are dropped).
  void deliver(Envelope envelope);
  void prune_processed();
  void push(int slot, SlotEvent event);
  void stop_here();
  void fail(Error error);
  void task_done();
  void publish_live();

  boost::asio::any_io_executor ex_;
  Transport& transport_;
  WebApi& web_;
  Clock& clock_;
  ProcessedEvents& processed_;
  Metrics& metrics_;
  Logger log_;
  SocketModeOptions options_;
  Handler handler_;
  boost::asio::any_io_executor handler_ex_;
  AckResponder ack_responder_;
  Relay relay_;
  Room room_;
  boost::asio::steady_timer room_wake_;
  std::atomic<int> in_transit_{0};       // acked, posted to the handler executor, not yet taken
  std::atomic<int> readers_waiting_{0};  // in wait_for_room(): room_freed() wakes them
  std::vector<Slot> slots_;
  std::set<std::shared_ptr<Link>> links_;  // every connection not yet gone
  boost::asio::steady_timer done_;
  std::mt19937 random_;
  std::optional<Error> fatal_;
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};
  int tasks_ = 0;
  std::atomic<int> live_{0};
  std::atomic<long long> opened_{0};
  long long next_link_id_ = 1;
  std::chrono::steady_clock::time_point last_prune_{};  // handler executor
};

}  // namespace vigil::slack

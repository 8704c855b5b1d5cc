#include "integrations/slack/socket_mode_client.h"

#include <algorithm>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vigil::slack {
namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

struct SocketModeClient::Link {
  explicit Link(net::any_io_executor ex) : hello_wake(ex) {}
  long long id = 0;
  int slot = 0;
  std::unique_ptr<Connection> conn;
  bool hello = false;
  bool superseded = false;                            // replaced or being closed on purpose: its end is not a failure
  bool awaiting_hello = true;                         // establish() is still waiting for its hello (the watchdog runs)
  net::steady_timer hello_wake;                       // cancelled when establish() stops waiting for hello
  std::chrono::system_clock::time_point opened_at{};  // on the client's Clock
  std::chrono::system_clock::time_point last_frame_at{};
};

/// Counts a running coroutine of ours; run() returns only when none is left, so no frame outlives
/// the client.
class SocketModeClient::TaskCount {
 public:
  explicit TaskCount(SocketModeClient& c) : c_(c) { ++c_.tasks_; }
  ~TaskCount() { c_.task_done(); }
  TaskCount(const TaskCount&) = delete;
  TaskCount& operator=(const TaskCount&) = delete;

 private:
  SocketModeClient& c_;
};

namespace {

using namespace boost::asio::experimental::awaitable_operators;

/// Ends establish()'s wait for hello however establish() returns, so the watchdog ends too.
struct EndHelloWatch {
  bool& awaiting;
  net::steady_timer& wake;
  ~EndHelloWatch() {
    awaiting = false;
    wake.cancel();
  }
};

}  // namespace

SocketModeClient::SocketModeClient(net::any_io_executor ex, Transport& transport, WebApi& web, Clock& clock,
                                   ProcessedEvents& processed, Metrics& metrics, Logger log, SocketModeOptions options)
    : ex_(ex),
      transport_(transport),
      web_(web),
      clock_(clock),
      processed_(processed),
      metrics_(metrics),
      log_(std::move(log)),
      options_(std::move(options)),
      room_wake_(ex),
      done_(ex),
      random_(options_.jitter_seed) {
  options_.connections = std::clamp(options_.connections, 1, 10);
  options_.dedup_ttl = std::max(options_.dedup_ttl, std::chrono::seconds(600));
}

SocketModeClient::~SocketModeClient() = default;

void SocketModeClient::task_done() {
  --tasks_;
  done_.cancel();
}

void SocketModeClient::publish_live() {
  int n = 0;
  for (const auto& l : links_) {
    n += (l->hello && !l->superseded) ? 1 : 0;
  }
  live_.store(n);
}

void SocketModeClient::push(int slot, SlotEvent event) {
  auto& s = slots_[static_cast<std::size_t>(slot)];
  s.events.push_back(std::move(event));
  s.wake->cancel();
}

void SocketModeClient::stop() {
  if (stop_requested_.exchange(true)) {
    return;
  }
  net::post(ex_, [this] { stop_here(); });
}

void SocketModeClient::stop_here() {
  stop_requested_.store(true);
  if (stopping_) {
    return;
  }
  stopping_ = true;
  for (auto& s : slots_) {
    s.wake->cancel();
  }
  room_wake_.cancel();
  // Connections still in their handshake or waiting for hello are dropped at once.
  for (const auto& l : links_) {
    if (!l->hello) {
      l->conn->abort();
    }
  }
  done_.cancel();
}

void SocketModeClient::fail(Error error) {
  if (!fatal_) {
    log_->error("Socket Mode stopped: {}", error.message());
    fatal_ = std::move(error);
  }
  stop_here();
}

Task<Result<void>> SocketModeClient::run(Handler handler, net::any_io_executor handler_ex) {
  handler_ = std::move(handler);
  handler_ex_ = std::move(handler_ex);
  // The connections live on the client's executor; this coroutine resumes on the handler's.
  auto connections = run_connections();
  auto result =
      co_await net::co_spawn(ex_, std::move(connections), net::bind_executor(handler_ex_, net::use_awaitable));
  co_return result;
}

Task<Result<void>> SocketModeClient::run_connections() {
  fatal_.reset();
  slots_.clear();
  for (int i = 0; i < options_.connections; ++i) {
    Slot s;
    s.index = i;
    s.wake = std::make_unique<net::steady_timer>(ex_);
    slots_.push_back(std::move(s));
  }
  log_->info("Socket Mode: opening {} connection{}", options_.connections, options_.connections == 1 ? "" : "s");
  for (int i = 0; i < options_.connections; ++i) {
    spawn(ex_, maintain(i), log_, "socket mode connection slot");
  }
  while (tasks_ > 0 || !stopping_) {
    done_.expires_at(SteadyClock::time_point::max());
    co_await done_.async_wait(kToken);
  }
  links_.clear();
  publish_live();
  if (fatal_) {
    co_return *fatal_;
  }
  log_->info("Socket Mode: stopped");
  Result<void> done;
  co_return done;
}

double SocketModeClient::draw() {
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  return jitter(random_);
}

Task<std::optional<SocketModeClient::SlotEvent>> SocketModeClient::next_event(Slot& slot) {
  while (slot.events.empty() && !stopping_) {
    slot.wake->expires_at(SteadyClock::time_point::max());
    co_await slot.wake->async_wait(kToken);
  }
  if (slot.events.empty()) {
    co_return std::nullopt;
  }
  auto ev = std::move(slot.events.front());
  slot.events.pop_front();
  co_return ev;
}

Task<std::optional<SocketModeClient::SlotEvent>> SocketModeClient::pause(Slot& slot, std::chrono::milliseconds delay,
                                                                         const Link* watched) {
  const auto until = clock_.now() + delay;
  while (!stopping_) {
    while (!slot.events.empty()) {
      auto ev = std::move(slot.events.front());
      slot.events.pop_front();
      if (watched != nullptr && ev.link.get() == watched && ev.kind == SlotEventKind::Dead) {
        co_return ev;
      }
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - clock_.now());
    if (left.count() <= 0) {
      break;
    }
    // An event (push) or stop cancels the wake timer; otherwise the clock ends the pause.
    slot.wake->expires_at(SteadyClock::time_point::max());
    auto woken = slot.wake->async_wait(kToken);
    auto slept = clock_.sleep_for(left);
    auto first = co_await (std::move(woken) || std::move(slept));
    if (first.index() == 1) {
      break;
    }
  }
  co_return std::nullopt;
}

Task<> SocketModeClient::maintain(int index) {
  TaskCount count(*this);
  auto& slot = slots_[static_cast<std::size_t>(index)];
  auto state =
      initial_reconnect_state(options_.backoff_initial, options_.backoff_max, options_.too_many_websockets_backoff);
  while (!stopping_) {
    if (!slot.current) {
      co_await connect(slot, state);
      continue;
    }
    auto ev = co_await next_event(slot);
    if (!ev || ev->link != slot.current) {
      continue;  // stopping, or about a connection already replaced
    }
    co_await on_slot_event(slot, state, std::move(*ev));
  }
  if (slot.current) {
    auto current = std::move(slot.current);
    co_await let_go(std::move(current));
  }
}

Task<> SocketModeClient::let_go(std::shared_ptr<Link> link) {
  link->superseded = true;
  publish_live();
  co_await link->conn->close();
}

Task<> SocketModeClient::connect(Slot& slot, ReconnectState& state) {
  auto link = co_await establish(slot);
  if (stopping_) {
    if (link) {
      co_await let_go(*link);
    }
    co_return;
  }
  if (link) {
    (void)next_action(state, ReconnectEvent::of(ReconnectEvent::Kind::Connected), draw());
    slot.current = *link;
    spawn(ex_, read_loop(*link), log_, "socket mode read loop");
    co_return;
  }
  const auto action = next_action(state, ReconnectEvent::connect_failed(link.error()), draw());
  if (action.kind == ReconnectAction::Kind::GiveUp) {
    fail(Error(Errc::InvalidConfig, action.message));
    co_return;
  }
  metrics_.inc("vigil_socket_connect_failures_total");
  log_->warn("connection slot {}: cannot connect ({}); retrying in {} ms", slot.index, link.error().message(),
             action.delay.count());
  co_await pause(slot, action.delay);
}

Task<> SocketModeClient::on_slot_event(Slot& slot, ReconnectState& state, SlotEvent ev) {
  auto current = slot.current;
  switch (ev.kind) {
    case SlotEventKind::Fatal: {
      auto disabled = ReconnectEvent::of(ReconnectEvent::Kind::LinkDisabled);
      disabled.detail = ev.reason;
      fail(Error(Errc::InvalidConfig, next_action(state, disabled, draw()).message));
      break;
    }
    case SlotEventKind::Dead: {
      metrics_.inc("vigil_socket_reconnects_total", "reason", ev.reason);
      log_->warn("connection={} lost ({}); reconnecting", current->id, ev.reason);
      links_.erase(current);
      publish_live();
      slot.current.reset();
      const auto lived = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - current->opened_at);
      const auto action = next_action(state, ReconnectEvent::lost(lived), draw());
      co_await pause(slot, action.delay);
      break;
    }
    case SlotEventKind::TooMany: {
      metrics_.inc("vigil_socket_reconnects_total", "reason", "too_many_websockets");
      const auto action = next_action(state, ReconnectEvent::of(ReconnectEvent::Kind::TooManyWebsockets), draw());
      log_->warn("connection={}: Slack says too many websockets; closing it, retrying in {} ms", current->id,
                 action.delay.count());
      slot.current.reset();
      co_await let_go(current);
      links_.erase(current);
      publish_live();
      co_await pause(slot, action.delay);
      break;
    }
    case SlotEventKind::Replace: {
      metrics_.inc("vigil_socket_reconnects_total", "reason", ev.reason);
      log_->info("connection={}: Slack asks for a refresh ({}); opening the replacement first", current->id, ev.reason);
      if (next_action(state, ReconnectEvent::of(ReconnectEvent::Kind::RefreshRequested), draw()).kind ==
          ReconnectAction::Kind::Replace) {
        co_await replace(slot, state, current);
      }
      break;
    }
  }
}

Task<> SocketModeClient::replace(Slot& slot, ReconnectState& state, std::shared_ptr<Link> current) {
  // Make before break: the old socket keeps reading and acking until the new one said hello.
  while (!stopping_) {
    auto fresh = co_await establish(slot);
    if (fresh) {
      if (stopping_) {
        co_await let_go(*fresh);
        break;
      }
      (void)next_action(state, ReconnectEvent::of(ReconnectEvent::Kind::Replaced), draw());
      slot.current = *fresh;
      spawn(ex_, read_loop(*fresh), log_, "socket mode read loop");
      current->superseded = true;
      publish_live();
      spawn(ex_, retire(current), log_, "socket mode retire");
      break;
    }
    const auto action = next_action(state, ReconnectEvent::replacement_failed(fresh.error()), draw());
    if (action.kind == ReconnectAction::Kind::GiveUp) {
      fail(Error(Errc::InvalidConfig, action.message));
      break;
    }
    log_->warn("replacement for connection={} failed ({}); retrying in {} ms", current->id, fresh.error().message(),
               action.delay.count());
    // If the old one dies meanwhile, its Dead event is handled by maintain() next.
    if (auto dead = co_await pause(slot, action.delay, current.get())) {
      slot.events.push_front(std::move(*dead));
      break;
    }
  }
}

Task<Result<std::string>> SocketModeClient::open_socket_url() {
  auto url = co_await web_.open_socket_url();
  co_return url;
}

Task<Result<std::shared_ptr<SocketModeClient::Link>>> SocketModeClient::establish(Slot& slot) {
  // The Web API (its HTTP client, its rate limiter) belongs to the handler executor.
  auto open = open_socket_url();
  auto url = co_await net::co_spawn(handler_ex_, std::move(open), net::bind_executor(ex_, net::use_awaitable));
  if (!url) {
    co_return url.error();
  }
  if (stopping_) {
    co_return Error(Errc::Cancelled, "stopping");
  }
  auto conn = co_await transport_.connect(*url);
  if (!conn) {
    co_return conn.error();
  }
  auto link = std::make_shared<Link>(ex_);
  link->id = next_link_id_++;
  link->slot = slot.index;
  link->conn = std::move(*conn);
  link->opened_at = clock_.now();
  link->last_frame_at = link->opened_at;
  links_.insert(link);
  publish_live();
  ++opened_;
  if (stopping_) {
    link->conn->abort();
  }
  // Wait for hello, bounded: a server that accepts the upgrade and then says nothing is dead.
  auto said_hello = co_await await_hello(link);
  if (!said_hello) {
    co_return said_hello.error();
  }
  log_->info("connection={} slot={} ready (hello)", link->id, slot.index);
  metrics_.inc("vigil_socket_connections_opened_total");
  co_return link;
}

Task<> SocketModeClient::watch_hello(std::shared_ptr<Link> link) {
  TaskCount count(*this);
  if (!link->awaiting_hello) {
    co_return;
  }
  link->hello_wake.expires_at(SteadyClock::time_point::max());
  auto ended = link->hello_wake.async_wait(kToken);
  auto slept = clock_.sleep_for(options_.hello_timeout);
  auto first = co_await (std::move(ended) || std::move(slept));
  if (first.index() == 1 && link->awaiting_hello && !link->hello) {
    link->conn->abort();
  }
}

Task<Result<void>> SocketModeClient::await_hello(std::shared_ptr<Link> link) {
  EndHelloWatch end_watch{link->awaiting_hello, link->hello_wake};
  spawn(ex_, watch_hello(link), log_, "socket mode hello watchdog");
  while (!link->hello) {
    auto frame = co_await link->conn->read();
    if (!frame) {
      links_.erase(link);
      publish_live();
      co_return Error(frame.error().code, "before hello: " + frame.error().detail);
    }
    const auto received = SteadyClock::now();
    const auto parsed = parse_frame(*frame);
    if (const auto* d = std::get_if<Disconnect>(&parsed)) {
      // A disconnect before hello (seen with too_many_websockets): this socket is not usable.
      links_.erase(link);
      publish_live();
      co_await let_go(link);
      if (d->reason == DisconnectReason::LinkDisabled) {
        fail(Error(Errc::InvalidConfig,
                   "Slack disabled Socket Mode for this app (link_disabled): "
                   "turn Socket Mode on in the app settings"));
      }
      std::string disconnect_reason = d->reason_text;
      if (disconnect_reason.empty()) {
        disconnect_reason = "disconnect";
      }
      Error disconnected(Errc::Unavailable, std::move(disconnect_reason));
      co_return disconnected;
    }
    if (!co_await handle_frame(link, std::move(*frame), received)) {
      links_.erase(link);
      publish_live();
      co_return Error(Errc::Closed, "connection failed before hello");
    }
  }
  Result<void> ok;
  co_return ok;
}

void SocketModeClient::room_freed() {
  if (readers_waiting_.load(std::memory_order_relaxed) > 0) {
    net::post(ex_, [this] { room_wake_.cancel(); });
  }
}

Task<> SocketModeClient::wait_for_room() {
  if (!room_) {
    co_return;
  }
  if (in_transit_.load(std::memory_order_relaxed) < kMaxInTransit && room_()) {
    co_return;
  }
  // Counted before looking again: a room_freed() from now on wakes this reader.
  readers_waiting_.fetch_add(1, std::memory_order_relaxed);
  const auto started = clock_.now();
  auto full = [this] { return in_transit_.load(std::memory_order_relaxed) > kInTransitLowWater || !room_(); };
  while (!stopping_ && full() && clock_.now() - started < kRoomWaitMax) {
    // Woken by room_freed(), or after a while to ask again (the handlers may have stalled).
    room_wake_.expires_at(net::steady_timer::time_point::max());
    auto woken = room_wake_.async_wait(kToken);
    auto asked_again = clock_.sleep_for(std::chrono::milliseconds(50));
    co_await (std::move(woken) || std::move(asked_again));
  }
  readers_waiting_.fetch_sub(1, std::memory_order_relaxed);
}

Task<> SocketModeClient::read_loop(std::shared_ptr<Link> link) {
  TaskCount count(*this);
  for (;;) {
    co_await wait_for_room();
    auto frame = co_await link->conn->read();
    if (!frame) {
      if (!link->superseded && !stopping_) {
        push(link->slot, SlotEvent{SlotEventKind::Dead, link, frame.error().is(Errc::Timeout) ? "timeout" : "closed"});
        log_->debug("connection={} read ended: {}", link->id, frame.error().message());
      }
      break;
    }
    const auto received = SteadyClock::now();
    link->last_frame_at = clock_.now();
    if (!co_await handle_frame(link, std::move(*frame), received)) {
      // An ack could not be written: the socket is broken even if no read has failed yet. It is
      // replaced like a dropped one (the unacked envelope comes again on the new socket).
      link->conn->abort();
      if (!link->superseded && !stopping_) {
        push(link->slot, SlotEvent{SlotEventKind::Dead, link, "write failed"});
      }
      break;
    }
  }
  if (link->superseded || stopping_) {
    links_.erase(link);
    publish_live();
  }
}

Task<> SocketModeClient::retire(std::shared_ptr<Link> link) {
  TaskCount count(*this);
  // Frames already on their way to the old socket are still read and acked: close it only once it
  // has been quiet for a moment (or drain_max passed).
  const auto retired_at = clock_.now();
  while (!stopping_ &&
         !drain_done(clock_.now(), retired_at, link->last_frame_at, options_.drain_quiet, options_.drain_max)) {
    if (!co_await clock_.sleep_for(options_.drain_quiet)) {
      break;
    }
  }
  log_->info("connection={} retired", link->id);
  co_await link->conn->close();
  links_.erase(link);
  publish_live();
}

void SocketModeClient::prune_processed() {
  const auto now = SteadyClock::now();
  if (last_prune_ != SteadyClock::time_point{} && now - last_prune_ < std::chrono::seconds(60)) {
    return;
  }
  last_prune_ = now;
  const auto before = to_unix(clock_.now()) - options_.dedup_ttl.count();
  if (const int n = processed_.forget_before(before); n > 0) {
    log_->debug("forgot {} processed event ids older than {} s", n, options_.dedup_ttl.count());
  }
}

void SocketModeClient::accept(Envelope envelope) {
  // Runs on the handler executor, so the store and the handlers are only ever used from there.
  try {
    prune_processed();
    std::string kind;
    const auto key = dedup_key(envelope, &kind);
    const auto now = to_unix(clock_.now());
    const bool first = relay_ ? relay_(envelope, key, kind, now) : processed_.first_time(key, kind, now);
    if (!first) {
      metrics_.inc("vigil_socket_duplicates_total");
      log_->info("envelope={} {} already handled (retry_attempt={} {}); dropped", envelope.envelope_id, key,
                 envelope.retry_attempt, envelope.retry_reason);
      return;
    }
    if (relay_) {
      metrics_.inc("vigil_socket_envelopes_relayed_total");
      log_->debug("envelope={} {} stored for the replica that leads", envelope.envelope_id, key);
      return;
    }
    deliver(std::move(envelope));
  } catch (const std::exception& e) {
    // A database failure: the envelope is acked already; the error is logged once, here.
    log_->error("envelope={}: not handled: {}", envelope.envelope_id, e.what());
  }
}

void SocketModeClient::deliver(Envelope envelope) {
  auto normalized = normalize(envelope, options_.self);
  if (auto* ignored = std::get_if<Ignored>(&normalized)) {
    log_->debug("envelope={} ignored: {}", envelope.envelope_id, ignored->reason);
    return;
  }
  if (handler_) {
    handler_(std::get<InboundEvent>(std::move(normalized)));
  }
}

void SocketModeClient::deliver_relayed(Envelope envelope) {
  const auto id = envelope.envelope_id;
  try {
    deliver(std::move(envelope));
  } catch (const std::exception& e) {
    log_->error("envelope={} (relayed): not handled: {}", id, e.what());
  }
}

Task<bool> SocketModeClient::handle_frame(std::shared_ptr<Link> link, std::string text,
                                          SteadyClock::time_point received) {
  auto frame = parse_frame(text);
  if (auto* e = std::get_if<Envelope>(&frame)) {
    auto handled = co_await handle_envelope(link, std::move(*e), received);
    co_return handled;
  }
  if (auto* h = std::get_if<Hello>(&frame)) {
    if (!link->hello) {
      link->hello = true;
      publish_live();
      log_->debug("connection={} hello: num_connections={} host={} lifetime~{}s", link->id, h->num_connections, h->host,
                  h->approximate_connection_time.count());
    }
    co_return true;
  }
  if (auto* d = std::get_if<Disconnect>(&frame)) {
    handle_disconnect(link, *d);
    co_return true;
  }
  auto written = co_await handle_bad_frame(link, std::get<BadFrame>(frame), text.size());
  co_return written;
}

Task<bool> SocketModeClient::handle_envelope(std::shared_ptr<Link> link, Envelope envelope,
                                             SteadyClock::time_point received) {
  if (stop_requested_.load()) {
    auto answered = co_await refuse_while_stopping(link, envelope);
    co_return answered;
  }
  // Ack first: nothing (dedup, parsing, handlers) stands between the frame and its ack.
  std::optional<nlohmann::json> payload;
  if (ack_responder_ && envelope.type != EnvelopeType::EventsApi && envelope.accepts_response_payload) {
    // The responder reads untrusted payloads: whatever it throws, the envelope is still acked
    // (without a payload) and the read loop goes on.
    try {
      payload = ack_responder_(envelope);
    } catch (const std::exception& ex) {
      log_->error("envelope={}: ack payload failed: {}; acked without one", envelope.envelope_id, ex.what());
    }
  }
  std::string ack = make_ack(envelope.envelope_id, payload);
  auto written = co_await link->conn->write(std::move(ack));
  const auto acked = SteadyClock::now();
  metrics_.observe("vigil_socket_ack_seconds", std::chrono::duration<double>(acked - received).count());
  metrics_.inc("vigil_socket_envelopes_total", "type", to_string(envelope.type));
  if (!written) {
    log_->warn("envelope={} connection={}: ack not written ({}); Slack will redeliver", envelope.envelope_id, link->id,
               written.error().message());
  }
  // Everything after the ack happens on the handler executor; the reader goes back to reading.
  in_transit_.fetch_add(1, std::memory_order_relaxed);
  net::post(handler_ex_, [this, envelope = std::move(envelope)]() mutable {
    if (in_transit_.fetch_sub(1, std::memory_order_relaxed) == kInTransitLowWater + 1 && room_) {
      room_freed();
    }
    accept(std::move(envelope));
  });
  co_return written.has_value();
}

Task<bool> SocketModeClient::refuse_while_stopping(std::shared_ptr<Link> link, const Envelope& envelope) {
  // Stopping: nothing new is taken on, and nothing is acked that would then be dropped. An
  // event stays unacked, so Slack delivers it again (to another instance, or to this one
  // after the restart); a click or a modal submission stays unacked, so Slack shows the person
  // an error and the card or modal can be used again; a slash command, which Slack never
  // delivers twice, is answered in its ack.
  metrics_.inc("vigil_socket_refused_while_stopping_total", "type", to_string(envelope.type));
  if (envelope.type != EnvelopeType::SlashCommands || !envelope.accepts_response_payload) {
    log_->info("envelope={} ({}) arrived while stopping; left unacked", envelope.envelope_id, to_string(envelope.type));
    co_return true;
  }
  log_->info("envelope={} slash command arrived while stopping; asked to send it again", envelope.envelope_id);
  const nlohmann::json again{
      {"response_type", "ephemeral"},
      {"text", ":warning: Vigil is restarting and did not take this command. Send it again in a minute."}};
  std::string ack = make_ack(envelope.envelope_id, again);
  auto answered = co_await link->conn->write(std::move(ack));
  co_return answered.has_value();
}

void SocketModeClient::handle_disconnect(const std::shared_ptr<Link>& link, const Disconnect& d) {
  log_->info("connection={} disconnect: {}", link->id, d.reason_text);
  switch (classify(d.reason)) {
    case DisconnectAction::Stop:
      push(link->slot, SlotEvent{SlotEventKind::Fatal, link,
                                 "Slack disabled Socket Mode for this app (link_disabled): turn "
                                 "Socket Mode on in the app settings"});
      break;
    case DisconnectAction::BackOff:
      push(link->slot, SlotEvent{SlotEventKind::TooMany, link, "too_many_websockets"});
      break;
    case DisconnectAction::ReplaceSoon:
      push(link->slot, SlotEvent{SlotEventKind::Replace, link, d.reason_text.empty() ? "disconnect" : d.reason_text});
      break;
  }
}

Task<bool> SocketModeClient::handle_bad_frame(std::shared_ptr<Link> link, const BadFrame& bad, std::size_t size) {
  metrics_.inc("vigil_socket_bad_frames_total");
  log_->warn("connection={}: unusable frame of {} bytes: {}", link->id, size, bad.reason);
  if (!bad.envelope_id.empty()) {
    // Ack what we cannot use, so Slack does not redeliver it forever.
    std::string ack = make_ack(bad.envelope_id);
    auto written = co_await link->conn->write(std::move(ack));
    co_return written.has_value();
  }
  co_return true;
}

}  // namespace vigil::slack

#include "integrations/slack/socket_mode_client.h"

#include <algorithm>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vigil::slack {
namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

struct SocketModeClient::Link {
  long long id = 0;
  int slot = 0;
  std::unique_ptr<Connection> conn;
  bool hello = false;
  bool superseded = false;  // replaced or being closed on purpose: its end is not a failure
  SteadyClock::time_point opened_at = SteadyClock::now();
  SteadyClock::time_point last_frame_at = SteadyClock::now();
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

bool is_fatal_api_error(const Error& e) {
  static const std::set<std::string> kFatal{"invalid_auth",      "not_authed",
                                            "account_inactive",  "token_revoked",
                                            "not_allowed_token_type", "missing_scope",
                                            "team_disabled",     "user_removed_from_team",
                                            "no_permission"};
  return e.is(Errc::SlackApi) && kFatal.count(e.detail) > 0;
}

}  // namespace

SocketModeClient::SocketModeClient(net::any_io_executor ex, Transport& transport, WebApi& web,
                                   Clock& clock, ProcessedEvents& processed, Metrics& metrics,
                                   Logger log, SocketModeOptions options)
    : ex_(ex), transport_(transport), web_(web), clock_(clock), processed_(processed),
      metrics_(metrics), log_(std::move(log)), options_(std::move(options)), done_(ex),
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
  auto result = co_await net::co_spawn(ex_, std::move(connections),
                                       net::bind_executor(handler_ex_, net::use_awaitable));
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
  log_->info("Socket Mode: opening {} connection{}", options_.connections,
             options_.connections == 1 ? "" : "s");
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

Task<std::optional<SocketModeClient::SlotEvent>> SocketModeClient::next_event(
    Slot& slot, SteadyClock::time_point deadline) {
  while (slot.events.empty() && !stopping_ && SteadyClock::now() < deadline) {
    slot.wake->expires_at(deadline);
    co_await slot.wake->async_wait(kToken);
  }
  if (slot.events.empty()) {
    co_return std::nullopt;
  }
  auto ev = std::move(slot.events.front());
  slot.events.pop_front();
  co_return ev;
}

Task<> SocketModeClient::maintain(int index) {
  TaskCount count(*this);
  auto& slot = slots_[static_cast<std::size_t>(index)];
  Backoff backoff{options_.backoff_initial, options_.backoff_max};
  Backoff crowded{options_.too_many_websockets_backoff, std::chrono::minutes(2)};
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  auto wait_for = [&](std::chrono::milliseconds d) { return SteadyClock::now() + d; };

  while (!stopping_) {
    if (!slot.current) {
      auto link = co_await establish(slot);
      if (stopping_) {
        if (link) {
          (*link)->superseded = true;
          publish_live();
          co_await (*link)->conn->close();
        }
        break;
      }
      if (!link) {
        if (is_fatal_api_error(link.error())) {
          fail(Error(Errc::InvalidConfig, "apps.connections.open refused the app token (" +
                                              link.error().detail +
                                              "): check SLACK_APP_TOKEN and its connections:write scope"));
          break;
        }
        const bool too_many = link.error().detail == "too_many_websockets";
        const auto delay = too_many ? crowded.next(jitter(random_)) : backoff.next(jitter(random_));
        metrics_.inc("vigil_socket_connect_failures_total");
        log_->warn("connection slot {}: cannot connect ({}); retrying in {} ms", index,
                   link.error().message(), delay.count());
        while (auto ev = co_await next_event(slot, wait_for(delay))) {
          // Only stale events can arrive while no link is current; drop them.
        }
        continue;
      }
      backoff.reset();
      slot.current = *link;
      spawn(ex_, read_loop(*link), log_, "socket mode read loop");
    }
    auto ev = co_await next_event(slot, SteadyClock::time_point::max());
    if (!ev) {
      continue;  // stopping
    }
    if (ev->link != slot.current) {
      continue;  // about a connection already replaced
    }
    auto current = slot.current;
    switch (ev->kind) {
      case SlotEventKind::Fatal:
        fail(Error(Errc::InvalidConfig, ev->reason));
        break;
      case SlotEventKind::Dead: {
        metrics_.inc("vigil_socket_reconnects_total", "reason", ev->reason);
        log_->warn("connection={} lost ({}); reconnecting", current->id, ev->reason);
        links_.erase(current);
        publish_live();
        slot.current.reset();
        if (SteadyClock::now() - current->opened_at > std::chrono::minutes(1)) {
          crowded.reset();
        }
        const auto delay = backoff.next(jitter(random_));
        while (co_await next_event(slot, wait_for(delay))) {
        }
        break;
      }
      case SlotEventKind::TooMany: {
        metrics_.inc("vigil_socket_reconnects_total", "reason", "too_many_websockets");
        const auto delay = crowded.next(jitter(random_));
        log_->warn("connection={}: Slack says too many websockets; closing it, retrying in {} ms",
                   current->id, delay.count());
        current->superseded = true;
        publish_live();
        slot.current.reset();
        co_await current->conn->close();
        links_.erase(current);
        publish_live();
        while (co_await next_event(slot, wait_for(delay))) {
        }
        break;
      }
      case SlotEventKind::Replace: {
        metrics_.inc("vigil_socket_reconnects_total", "reason", ev->reason);
        log_->info("connection={}: Slack asks for a refresh ({}); opening the replacement first",
                   current->id, ev->reason);
        // Make before break: the old socket keeps reading and acking until the new one said hello.
        for (int attempt = 0; !stopping_; ++attempt) {
          auto fresh = co_await establish(slot);
          if (fresh) {
            if (stopping_) {
              (*fresh)->superseded = true;
              publish_live();
              co_await (*fresh)->conn->close();
              break;
            }
            slot.current = *fresh;
            spawn(ex_, read_loop(*fresh), log_, "socket mode read loop");
            current->superseded = true;
            publish_live();
            spawn(ex_, retire(current), log_, "socket mode retire");
            break;
          }
          if (is_fatal_api_error(fresh.error())) {
            fail(Error(Errc::InvalidConfig, "apps.connections.open: " + fresh.error().detail));
            break;
          }
          const auto delay = backoff.next(jitter(random_));
          log_->warn("replacement for connection={} failed ({}); retrying in {} ms", current->id,
                     fresh.error().message(), delay.count());
          // If the old one dies meanwhile, the Dead event is handled after this loop.
          while (auto e2 = co_await next_event(slot, wait_for(delay))) {
            if (e2->link == current && e2->kind == SlotEventKind::Dead) {
              slot.events.push_front(std::move(*e2));
              break;
            }
          }
          if (!slot.events.empty()) {
            break;
          }
        }
        break;
      }
    }
  }
  if (slot.current) {
    auto current = std::move(slot.current);
    current->superseded = true;
    publish_live();
    co_await current->conn->close();
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
  auto link = std::make_shared<Link>();
  link->id = next_link_id_++;
  link->slot = slot.index;
  link->conn = std::move(*conn);
  links_.insert(link);
  publish_live();
  ++opened_;
  if (stopping_) {
    link->conn->abort();
  }
  // Wait for hello, bounded: a server that accepts the upgrade and then says nothing is dead.
  net::steady_timer watchdog(ex_, options_.hello_timeout);
  std::weak_ptr<Link> weak = link;
  watchdog.async_wait([weak](const boost::system::error_code& ec) {
    if (auto l = weak.lock(); l && !ec && !l->hello) {
      l->conn->abort();
    }
  });
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
      link->superseded = true;
      publish_live();
      co_await link->conn->close();
      if (d->reason == DisconnectReason::LinkDisabled) {
        fail(Error(Errc::InvalidConfig, "Slack disabled Socket Mode for this app (link_disabled): "
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
  watchdog.cancel();
  log_->info("connection={} slot={} ready (hello)", link->id, slot.index);
  metrics_.inc("vigil_socket_connections_opened_total");
  co_return link;
}

Task<> SocketModeClient::read_loop(std::shared_ptr<Link> link) {
  TaskCount count(*this);
  for (;;) {
    auto frame = co_await link->conn->read();
    if (!frame) {
      if (!link->superseded && !stopping_) {
        push(link->slot, SlotEvent{SlotEventKind::Dead, link,
                                   frame.error().is(Errc::Timeout) ? "timeout" : "closed"});
        log_->debug("connection={} read ended: {}", link->id, frame.error().message());
      }
      break;
    }
    const auto received = SteadyClock::now();
    link->last_frame_at = received;
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
  const auto start = SteadyClock::now();
  net::steady_timer timer(ex_);
  while (!stopping_) {
    const auto now = SteadyClock::now();
    if (now - link->last_frame_at >= options_.drain_quiet || now - start >= options_.drain_max) {
      break;
    }
    timer.expires_after(options_.drain_quiet);
    co_await timer.async_wait(kToken);
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
    if (!processed_.first_time(key, kind, to_unix(clock_.now()))) {
      metrics_.inc("vigil_socket_duplicates_total");
      log_->info("envelope={} {} already handled (retry_attempt={} {}); dropped", envelope.envelope_id, key,
                 envelope.retry_attempt, envelope.retry_reason);
      return;
    }
    auto normalized = normalize(envelope, options_.self);
    if (auto* ignored = std::get_if<Ignored>(&normalized)) {
      log_->debug("envelope={} ignored: {}", envelope.envelope_id, ignored->reason);
      return;
    }
    if (handler_) {
      handler_(std::get<InboundEvent>(std::move(normalized)));
    }
  } catch (const std::exception& e) {
    // A database failure: the envelope is acked already; the error is logged once, here.
    log_->error("envelope={}: not handled: {}", envelope.envelope_id, e.what());
  }
}

Task<bool> SocketModeClient::handle_frame(std::shared_ptr<Link> link, std::string text,
                                          SteadyClock::time_point received) {
  auto frame = parse_frame(text);
  if (auto* e = std::get_if<Envelope>(&frame)) {
    if (stop_requested_.load()) {
      // Stopping: nothing new is taken on, and nothing is acked that would then be dropped. An
      // event stays unacked, so Slack delivers it again (to another instance, or to this one
      // after the restart); a click or a modal submission stays unacked, so Slack shows the person
      // an error and the card or modal can be used again; a slash command, which Slack never
      // delivers twice, is answered in its ack.
      metrics_.inc("vigil_socket_refused_while_stopping_total", "type", to_string(e->type));
      if (e->type != EnvelopeType::SlashCommands || !e->accepts_response_payload) {
        log_->info("envelope={} ({}) arrived while stopping; left unacked", e->envelope_id, to_string(e->type));
        co_return true;
      }
      log_->info("envelope={} slash command arrived while stopping; asked to send it again", e->envelope_id);
      const nlohmann::json again{
          {"response_type", "ephemeral"},
          {"text", ":warning: Vigil is restarting and did not take this command. Send it again in a minute."}};
      std::string ack = make_ack(e->envelope_id, again);
      auto answered = co_await link->conn->write(std::move(ack));
      co_return answered.has_value();
    }
    // Ack first: nothing (dedup, parsing, handlers) stands between the frame and its ack.
    std::optional<nlohmann::json> payload;
    if (ack_responder_ && e->type != EnvelopeType::EventsApi && e->accepts_response_payload) {
      // The responder reads untrusted payloads: whatever it throws, the envelope is still acked
      // (without a payload) and the read loop goes on.
      try {
        payload = ack_responder_(*e);
      } catch (const std::exception& ex) {
        log_->error("envelope={}: ack payload failed: {}; acked without one", e->envelope_id, ex.what());
      }
    }
    auto written = co_await link->conn->write(make_ack(e->envelope_id, payload));
    const auto acked = SteadyClock::now();
    metrics_.observe("vigil_socket_ack_seconds",
                     std::chrono::duration<double>(acked - received).count());
    metrics_.inc("vigil_socket_envelopes_total", "type", to_string(e->type));
    if (!written) {
      log_->warn("envelope={} connection={}: ack not written ({}); Slack will redeliver",
                 e->envelope_id, link->id, written.error().message());
    }
    // Everything after the ack happens on the handler executor; the reader goes back to reading.
    net::post(handler_ex_, [this, envelope = std::move(*e)]() mutable { accept(std::move(envelope)); });
    co_return written.has_value();
  }
  if (auto* h = std::get_if<Hello>(&frame)) {
    if (!link->hello) {
      link->hello = true;
      publish_live();
      log_->debug("connection={} hello: num_connections={} host={} lifetime~{}s", link->id,
                  h->num_connections, h->host, h->approximate_connection_time.count());
    }
    co_return true;
  }
  if (auto* d = std::get_if<Disconnect>(&frame)) {
    log_->info("connection={} disconnect: {}", link->id, d->reason_text);
    switch (classify(d->reason)) {
      case DisconnectAction::Stop:
        push(link->slot, SlotEvent{SlotEventKind::Fatal, link,
                                   "Slack disabled Socket Mode for this app (link_disabled): turn "
                                   "Socket Mode on in the app settings"});
        break;
      case DisconnectAction::BackOff:
        push(link->slot, SlotEvent{SlotEventKind::TooMany, link, "too_many_websockets"});
        break;
      case DisconnectAction::ReplaceSoon:
        push(link->slot, SlotEvent{SlotEventKind::Replace, link,
                                   d->reason_text.empty() ? "disconnect" : d->reason_text});
        break;
    }
    co_return true;
  }
  const auto& bad = std::get<BadFrame>(frame);
  metrics_.inc("vigil_socket_bad_frames_total");
  log_->warn("connection={}: unusable frame of {} bytes: {}", link->id, text.size(), bad.reason);
  if (!bad.envelope_id.empty()) {
    // Ack what we cannot use, so Slack does not redeliver it forever.
    auto written = co_await link->conn->write(make_ack(bad.envelope_id));
    co_return written.has_value();
  }
  co_return true;
}

}  // namespace vigil::slack

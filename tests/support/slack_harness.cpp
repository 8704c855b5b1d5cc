#include "tests/support/slack_harness.h"

#include <future>

#include <boost/asio/post.hpp>

#include "bot/base/logging.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/slack/beast_transport.h"

namespace vigil::test {
namespace {

// VIGIL_TEST_LOG=1 shows the client's log on stderr while debugging a test.
Logger test_logger(const std::string& name) {
  if (std::getenv("VIGIL_TEST_LOG")) {
    static Logging logging({spdlog::level::debug, false}, std::make_shared<Redactor>());
    return logging.make(name);
  }
  return null_logger();
}

}  // namespace

/// Counts the client's redelivery checks (one per envelope acked, on the handler executor).
class SlackClientHarness::CountingProcessedEvents final : public slack::ProcessedEvents {
 public:
  CountingProcessedEvents(slack::ProcessedEvents& inner, SlackClientHarness& harness)
      : inner_(inner), harness_(harness) {}
  bool first_time(const std::string& key, const std::string& kind, long long now) override {
    const bool first = inner_.first_time(key, kind, now);
    std::lock_guard lock(harness_.mu_);
    ++harness_.checked_;
    harness_.cv_.notify_all();
    return first;
  }
  int forget_before(long long before) override { return inner_.forget_before(before); }

 private:
  slack::ProcessedEvents& inner_;
  SlackClientHarness& harness_;
};

std::string fake_app_token() {
  return std::string("xa") + "pp-1-A0VIGIL-0000-" + "emulated";
}
std::string fake_bot_token() {
  return std::string("xo") + "xb-0000-0000-" + "emulated";
}

SlackClientHarness::SlackClientHarness(slack::SlackEmulator& emulator, Options options)
    : emulator_(emulator), options_(std::move(options)) {
  on_event = [this](slack::InboundEvent e) { collect(std::move(e)); };
  http_ = http::make_beast_http_client(io_.get_executor(), {}, null_logger());
  limiter_ = std::make_unique<slack::RateLimiter>(clock_);
  slack::HttpWebApiOptions web;
  web.api_url = emulator_.api_url();
  web.app_token = fake_app_token();
  web.bot_token = fake_bot_token();
  web.error_backoff = std::chrono::milliseconds(50);
  web_ = std::make_unique<slack::HttpWebApi>(*http_, *limiter_, clock_, test_logger("slack.web"), web, &metrics_);
  slack::BeastTransportOptions t;
  t.pong_timeout = options_.pong_timeout;
  t.handshake_timeout = std::chrono::seconds(3);
  transport_ = slack::make_beast_transport(io_.get_executor(), t, null_logger());
}

SlackClientHarness::~SlackClientHarness() {
  if (thread_.joinable()) {
    (void)stop();
  }
  pool_.join();
}

void SlackClientHarness::deliver_relayed(slack::Envelope envelope) {
  std::promise<void> done;
  boost::asio::post(io_, [&] {
    client_->deliver_relayed(std::move(envelope));
    done.set_value();
  });
  done.get_future().wait();
}

void SlackClientHarness::collect(slack::InboundEvent e) {
  std::lock_guard lock(mu_);
  events_.push_back(std::move(e));
  cv_.notify_all();
}

void SlackClientHarness::start() {
  counting_ = std::make_unique<CountingProcessedEvents>(options_.processed ? *options_.processed : memory_, *this);
  client_ = std::make_unique<slack::SocketModeClient>(io_.get_executor(), *transport_, *web_, clock_, *counting_,
                                                      metrics_, test_logger("slack.socket"), options_.socket);
  if (options_.ack_responder) {
    client_->set_ack_responder(options_.ack_responder);
  }
  if (options_.room) {
    client_->set_room(options_.room);
  }
  if (options_.relay) {
    client_->set_relay(
        [this](const slack::Envelope& e, const std::string& key, const std::string& kind, long long now) {
          const bool first = options_.relay(e, key, kind, now);
          std::lock_guard lock(mu_);
          ++checked_;
          cv_.notify_all();
          return first;
        });
  }
  spawn(io_.get_executor(), run_client(), null_logger(), "test client");
  thread_ = std::thread([this] { io_.run(); });
}

Task<> SlackClientHarness::run_client() {
  auto handler_ex = options_.handlers_on_pool ? boost::asio::any_io_executor(pool_.get_executor())
                                              : boost::asio::any_io_executor(io_.get_executor());
  auto* self = this;
  const slack::SocketModeClient::Handler handler = [self](slack::InboundEvent e) { self->on_event(std::move(e)); };
  auto r = co_await client_->run(handler, handler_ex);
  std::lock_guard lock(mu_);
  result_ = std::move(r);
  cv_.notify_all();
}

Result<void> SlackClientHarness::stop() {
  boost::asio::post(io_, [this] { client_->stop(); });
  auto r = wait_for_end(std::chrono::seconds(10));
  io_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
  return r ? *r : Result<void>(Error(Errc::Timeout, "client did not stop"));
}

std::optional<Result<void>> SlackClientHarness::wait_for_end(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return result_.has_value(); });
  return result_;
}

std::vector<slack::InboundEvent> SlackClientHarness::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

bool SlackClientHarness::wait_for_events(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
}

bool SlackClientHarness::wait_until_handled(std::size_t envelopes, std::chrono::milliseconds timeout) {
  {
    std::unique_lock lock(mu_);
    // The client counts an envelope as acked before it hands it to the handler executor.
    const bool checked = cv_.wait_for(lock, timeout, [&] {
      const auto acked = static_cast<std::size_t>(metrics_.counter("vigil_socket_envelopes_total"));
      return checked_ >= envelopes && checked_ >= acked;
    });
    if (!checked) {
      return false;
    }
  }
  // The last check is done; its handler has returned once work posted after it has run.
  auto passed = std::make_shared<std::promise<void>>();
  auto done = passed->get_future();
  auto handler_ex = options_.handlers_on_pool ? boost::asio::any_io_executor(pool_.get_executor())
                                              : boost::asio::any_io_executor(io_.get_executor());
  boost::asio::post(handler_ex, [passed] { passed->set_value(); });
  return done.wait_for(timeout) == std::future_status::ready;
}

}  // namespace vigil::test

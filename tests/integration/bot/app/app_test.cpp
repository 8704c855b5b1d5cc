// The App's own waits are made on the Clock: its periodic chores and the quiesce after stop() run
// when the fake clock says so, with no real time passing.
#include "bot/app/app.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

Config quiet_config() {
  Config c;
  c.storage.processed_event_ttl = 600s;
  c.kubernetes.enabled = false;
  return c;
}

/// FakeWebApi, except that a reply to a slash command (response_url) is held until the test
/// releases it: a handler stays in flight for as long as the test likes.
class HoldingWebApi final : public slack::WebApi {
 public:
  explicit HoldingWebApi(boost::asio::any_io_executor ex) : held_(ex) {
    held_.expires_at(boost::asio::steady_timer::time_point::max());
  }
  void release() {
    released_ = true;
    held_.cancel();
  }
  int replies_held = 0;

  Task<Result<void>> respond(std::string url, slack::ResponseMessage m) override {
    ++replies_held;
    while (!released_) {
      co_await held_.async_wait(kToken);
    }
    auto r = co_await fake_.respond(std::move(url), std::move(m));
    co_return r;
  }
  Task<Result<slack::AuthInfo>> auth_test() override { return fake_.auth_test(); }
  Task<Result<std::string>> open_socket_url() override { return fake_.open_socket_url(); }
  Task<Result<slack::MessageRef>> post_message(slack::OutgoingMessage m) override {
    return fake_.post_message(std::move(m));
  }
  Task<Result<void>> update_message(slack::MessageRef r, slack::OutgoingMessage m) override {
    return fake_.update_message(std::move(r), std::move(m));
  }
  Task<Result<std::string>> post_ephemeral(std::string u, slack::OutgoingMessage m) override {
    return fake_.post_ephemeral(std::move(u), std::move(m));
  }
  Task<Result<void>> delete_message(slack::MessageRef r) override { return fake_.delete_message(std::move(r)); }
  Task<Result<void>> add_reaction(slack::MessageRef r, std::string n) override {
    return fake_.add_reaction(std::move(r), std::move(n));
  }
  Task<Result<std::string>> views_open(std::string t, nlohmann::json v) override {
    return fake_.views_open(std::move(t), std::move(v));
  }
  Task<Result<void>> views_update(std::string id, nlohmann::json v, std::string h) override {
    return fake_.views_update(std::move(id), std::move(v), std::move(h));
  }
  Task<Result<slack::ChannelInfo>> conversations_info(std::string c) override {
    return fake_.conversations_info(std::move(c));
  }
  Task<Result<slack::ChannelInfo>> conversations_create(std::string n, bool p) override {
    return fake_.conversations_create(std::move(n), p);
  }
  Task<Result<void>> conversations_invite(std::string c, std::vector<std::string> u) override {
    return fake_.conversations_invite(std::move(c), std::move(u));
  }
  Task<Result<std::vector<slack::ListedMessage>>> recent_messages(std::string c, std::string a, std::string b,
                                                                  int n) override {
    return fake_.recent_messages(std::move(c), std::move(a), std::move(b), n);
  }
  Task<Result<slack::UserInfo>> users_info(std::string u) override { return fake_.users_info(std::move(u)); }
  Task<Result<std::vector<std::string>>> usergroup_users(std::string g) override {
    return fake_.usergroup_users(std::move(g));
  }
  Task<Result<slack::UserInfo>> lookup_user_by_email(std::string e) override {
    return fake_.lookup_user_by_email(std::move(e));
  }
  Task<Result<slack::UploadTicket>> get_upload_url(std::string f, std::size_t n) override {
    return fake_.get_upload_url(std::move(f), n);
  }
  Task<Result<void>> upload_bytes(std::string u, std::string b) override {
    return fake_.upload_bytes(std::move(u), std::move(b));
  }
  Task<Result<void>> complete_upload(slack::FileShare f) override { return fake_.complete_upload(std::move(f)); }

 private:
  test::FakeWebApi fake_;
  boost::asio::steady_timer held_;
  bool released_ = false;
};

slack::InboundEvent triage_help() {
  slack::SlashCommand c;
  c.command = "/triage";
  c.text = "help";
  c.user_id = "U0ALEX0001";
  c.channel_id = "C0OPS";
  c.response_url = "https://hooks.slack.example/commands/1";
  c.trigger_id = "1.2";
  slack::InboundEvent e;
  e.origin.envelope_id = "S1";
  e.origin.type = slack::EnvelopeType::SlashCommands;
  e.body = std::move(c);
  return e;
}

struct AppFixture {
  boost::asio::io_context io;
  test::FakeClock clock;
  test::TempDir dir;
  std::unique_ptr<Store> store = [this] {
    auto s = Store::open((dir / "v.db").string());
    EXPECT_TRUE(s);
    return std::move(*s);
  }();
  Metrics metrics;
  test::FakeTransport transport{io.get_executor()};
  HoldingWebApi web{io.get_executor()};
  Config config = quiet_config();
  Logging logging{LogOptions{spdlog::level::off, false}, std::make_shared<Redactor>()};
  App app{io.get_executor(), config,
          AppPorts{web, transport, clock, *store, metrics, nullptr, nullptr, std::nullopt, nullptr}, logging,
          std::make_shared<Redactor>()};
  std::optional<Result<void>> result;
  bool quiesced = false;

  Task<> run() {
    auto r = co_await app.run();
    result = std::move(r);
  }
  Task<> quiesce() {
    co_await app.quiesce();
    quiesced = true;
  }
  void poll() {
    if (io.stopped()) {
      io.restart();
    }
    io.poll();
  }
  // The store's dedup row for `id`: true while it is still there (a repeat is refused).
  bool remembered(const std::string& id) {
    if (store->mark_event_processed(id, "event", to_unix(clock.now()))) {
      store->prune_processed_events(to_unix(clock.now()) + 1);  // undo the probe
      return false;
    }
    return true;
  }
};

TEST(App, ChoresRunWhenTheClockPassesThirtySeconds) {
  AppFixture f;
  const long long t0 = to_unix(f.clock.now());
  // 590 s old: kept by the pass at start-up (it forgets what is older than 600 s).
  ASSERT_TRUE(f.store->mark_event_processed("Ev-old", "event", t0 - 590));
  spawn(f.io.get_executor(), f.run(), null_logger(), "app");
  f.poll();
  ASSERT_TRUE(f.app.connected());
  EXPECT_TRUE(f.remembered("Ev-old")) << "the first pass keeps it";
  f.clock.advance(29s);
  f.poll();
  EXPECT_TRUE(f.remembered("Ev-old")) << "no pass before 30 s";
  f.clock.advance(1s);
  f.poll();
  EXPECT_FALSE(f.remembered("Ev-old")) << "the pass at 30 s forgot it (now 620 s old)";
  f.app.stop();
  f.poll();
  ASSERT_TRUE(f.result.has_value()) << "run() ended";
  EXPECT_TRUE(*f.result);
}

// A final run that finished `days_ago`, with `events` timeline rows besides its own.
void finished_run(Store& store, const std::string& id, long long now, long long days_ago, int events) {
  RunRecord r;
  r.id = id;
  r.trigger_kind = "alert";
  r.trigger_key = "k-" + id;
  r.backend = "runbook";
  r.created_at = now - days_ago * 86400;
  ASSERT_TRUE(store.create_run(r));
  for (int i = 0; i < events; ++i) {
    store.append_event({0, id, r.created_at * 1000 + i, "text", "agent", "line", ""});
  }
  ASSERT_TRUE(store.transition_run(id, {RunState::Queued}, RunState::Running, r.created_at * 1000));
  ASSERT_TRUE(store.transition_run(id, {RunState::Running}, RunState::Succeeded, r.created_at * 1000 + 1));
}

// storage.retention is applied by the chores (off the ack path): at start, then every
// storage.retention.every; a backlog bigger than one chore's batches goes on at the next chores,
// 30 s later, not an hour later. What went is counted per kind.
TEST(App, ChoresPruneAgedRowsInBatchesAndCountThem) {
  AppFixture f;
  f.config.storage.retention.batch_rows = 10;  // App::kPruneBatchesPerChore (4) x 10 rows per chore
  const long long t0 = to_unix(f.clock.now());
  finished_run(*f.store, "r-old", t0, 40, 97);  // 97 lines + created + 2 state rows = 100 rows
  finished_run(*f.store, "r-recent", t0, 2, 3);
  spawn(f.io.get_executor(), f.run(), null_logger(), "app");
  f.poll();
  EXPECT_EQ(f.metrics.counter("vigil_store_rows_pruned_total", "kind", "run_events"), 40);
  EXPECT_TRUE(f.store->get_run("r-old")) << "its timeline goes first, 40 rows a chore";
  f.clock.advance(30s);
  f.poll();
  EXPECT_EQ(f.metrics.counter("vigil_store_rows_pruned_total", "kind", "run_events"), 80);
  f.clock.advance(30s);
  f.poll();
  EXPECT_EQ(f.metrics.counter("vigil_store_rows_pruned_total", "kind", "run_events"), 100);
  EXPECT_EQ(f.metrics.counter("vigil_store_rows_pruned_total", "kind", "runs"), 1);
  EXPECT_FALSE(f.store->get_run("r-old"));
  EXPECT_TRUE(f.store->get_run("r-recent")) << "2 days old: kept (runs: 30d)";
  EXPECT_EQ(f.store->list_events("r-recent").size(), 6u);

  // Drained: the next pass waits for storage.retention.every (1 h), however many chores pass.
  finished_run(*f.store, "r-old-2", t0, 40, 1);
  f.clock.advance(30s);
  f.poll();
  EXPECT_TRUE(f.store->get_run("r-old-2")) << "not due yet";
  f.clock.advance(std::chrono::seconds(3600));
  f.poll();
  EXPECT_FALSE(f.store->get_run("r-old-2")) << "pruned by the hourly pass";
  f.app.stop();
  f.poll();
}

TEST(App, StopEndsTheChoresPauseAndQuiesceEndsWithoutTimePassing) {
  AppFixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "app");
  f.poll();
  ASSERT_EQ(f.clock.sleepers(), 1u) << "only the chores wait on the clock";
  const auto before = f.clock.now();
  f.app.stop();
  spawn(f.io.get_executor(), f.quiesce(), null_logger(), "quiesce");
  f.poll();
  EXPECT_TRUE(f.quiesced) << "nothing in flight: quiesce() is done at once";
  EXPECT_TRUE(f.result.has_value());
  EXPECT_EQ(f.clock.sleepers(), 0u) << "stop() cut the chores' 30 s pause short";
  EXPECT_EQ(f.clock.now(), before);
}

// quiesce() waits for a handler still in flight, looking again every 20 ms on the clock.
TEST(App, QuiesceWaitsForAHandlerInFlightAndEndsOnceItIsDone) {
  AppFixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "app");
  f.poll();
  f.app.dispatch(triage_help());
  f.poll();
  ASSERT_EQ(f.web.replies_held, 1) << "the /triage help reply is held";
  f.app.stop();
  spawn(f.io.get_executor(), f.quiesce(), null_logger(), "quiesce");
  f.poll();
  f.clock.advance(20s);
  f.poll();
  EXPECT_FALSE(f.quiesced) << "the reply is still in flight";
  f.web.release();
  f.poll();
  f.clock.advance(20ms);
  f.poll();
  EXPECT_TRUE(f.quiesced) << "done at the next look once the handler finished";
}

// …and gives up after agent.grace + 10 s on the clock (40 s by default).
TEST(App, QuiesceGivesUpAfterTheGracePlusTenSecondsOnTheClock) {
  AppFixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "app");
  f.poll();
  f.app.dispatch(triage_help());
  f.poll();
  ASSERT_EQ(f.web.replies_held, 1);
  f.app.stop();
  spawn(f.io.get_executor(), f.quiesce(), null_logger(), "quiesce");
  f.poll();
  for (int i = 0; i < 1'999; ++i) {  // 39.98 s in steps of 20 ms
    f.clock.advance(20ms);
    f.poll();
  }
  EXPECT_FALSE(f.quiesced) << "still within the 40 s";
  f.clock.advance(20ms);
  f.poll();
  f.clock.advance(20ms);
  f.poll();
  EXPECT_TRUE(f.quiesced) << "bounded: the held reply did not keep the process up";
  f.web.release();
  f.poll();
}

}  // namespace
}  // namespace vigil

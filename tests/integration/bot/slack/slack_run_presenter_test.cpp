// The run presenter against the Slack emulator with a fake clock: a run's root keeps its elapsed
// time moving while the run waits (at a low pace, and not once it is over), and a step's cut output
// in the thread carries a Full output button.
#include "bot/slack/slack_run_presenter.h"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "bot/store/store.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/rate_limiter.h"
#include "tests/support/fake_clock.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class SlackRunPresenterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel("C1", "inc-x");
    emu_.start();
    http_ = http::make_beast_http_client(io_.get_executor(), {}, null_logger());
    slack::HttpWebApiOptions o;
    o.api_url = emu_.api_url();
    o.bot_token = test::fake_bot_token();
    web_ = std::make_unique<slack::HttpWebApi>(*http_, limiter_, clock_, null_logger(), o, nullptr);
    auto s = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    run_.id = "00000000-0000-4000-8000-00000000000a";
    run_.trigger_kind = "slash_command";
    run_.trigger_key = "k";
    run_.requester = "U0DEMOALEX";
    run_.text = "checkout crash looping";
    run_.backend = "runbook";
    run_.channel = "C1";
    run_.created_at = to_unix(clock_.now());
    ASSERT_TRUE(store_->create_run(run_));
    presenter_ =
        std::make_unique<SlackRunPresenter>(io_.get_executor(), *store_, *web_, clock_, null_logger(), 1s, 60s);
  }

  void event(ProgressKind kind, const std::string& text, const std::string& detail = "", std::int64_t output_step = 0,
             bool output_cut = false) {
    ProgressEvent e;
    e.kind = kind;
    e.run_id = run_.id;
    e.text = text;
    e.detail = detail;
    e.output_step = output_step;
    e.output_cut = output_cut;
    const auto run = store_->get_run(run_.id);
    e.state = run->state;
    presenter_->on_progress(*run, e);
  }

  void move_to(RunState from, RunState to) {
    ASSERT_TRUE(store_->transition_run(run_.id, {from}, to, to_unix_ms(clock_.now())));
  }

  template <class Pred>
  bool run_until(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      if (io_.stopped()) {
        io_.restart();
      }
      io_.run_one_for(20ms);
    }
    return true;
  }
  // As run_until, moving the fake clock a second at a time: the rate limiter spaces posts to a
  // channel a second apart.
  template <class Pred>
  bool run_until_moving(Pred pred) {
    return run_until([&] {
      clock_.advance(1s);
      return pred();
    });
  }
  // Lets whatever is due run (Web API answers included) without waiting on the fake clock.
  void settle() {
    for (int i = 0; i < 25; ++i) {
      if (io_.stopped()) {
        io_.restart();
      }
      io_.run_for(10ms);
    }
  }

  // The root's blocks as people see them now.
  std::string root_blocks() {
    for (const auto& m : emu_.messages("C1")) {
      if (m.thread_ts.empty() || m.thread_ts == m.ts) {
        return m.blocks.dump();
      }
    }
    return "";
  }
  // The root as people see it now: the context line of its latest version.
  std::string root_context() {
    for (const auto& m : emu_.messages("C1")) {
      if (m.thread_ts.empty() || m.thread_ts == m.ts) {
        for (const auto& b : m.blocks) {
          if (b.value("type", "") == "context") {
            return b.dump();
          }
        }
      }
    }
    return "";
  }

  test::TempDir dir_;
  slack::SlackEmulator emu_;
  boost::asio::io_context io_;
  test::FakeClock clock_;
  slack::RateLimiter limiter_{clock_};
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<slack::HttpWebApi> web_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SlackRunPresenter> presenter_;
  RunRecord run_;
};

TEST_F(SlackRunPresenterTest, ElapsedTimeMovesWhileTheRunWaitsAndStopsWhenItIsOver) {
  move_to(RunState::Queued, RunState::Running);
  event(ProgressKind::Started, "investigating");
  // (Idle: the presenter has Slack's answer, not only Slack the message.)
  ASSERT_TRUE(run_until([&] { return root_context().find("elapsed 0s") != std::string::npos && presenter_->idle(); }))
      << root_context();
  clock_.advance(1s);
  move_to(RunState::Running, RunState::AwaitingApproval);
  event(ProgressKind::WaitingForApproval, "restart awaits approval");
  ASSERT_TRUE(run_until([&] { return root_context().find("elapsed 1s") != std::string::npos && presenter_->idle(); }))
      << root_context();
  const auto updates_before = emu_.calls("chat.update").size();

  // 17 minutes of waiting for a person, a minute at a time: the root follows, once a minute.
  for (int minute = 1; minute <= 17; ++minute) {
    clock_.advance(60s);
    settle();
  }
  EXPECT_NE(root_context().find("elapsed 17m 1s"), std::string::npos) << root_context();
  const auto updates = emu_.calls("chat.update").size() - updates_before;
  EXPECT_GE(updates, 16u);
  EXPECT_LE(updates, 18u) << "a low pace: about one update a minute, no more";

  // Over: the root shows the end and is left alone.
  move_to(RunState::AwaitingApproval, RunState::Running);
  move_to(RunState::Running, RunState::Succeeded);
  event(ProgressKind::Finished, "succeeded");
  // (The root waits out the presenter's 1 s coalescing on the fake clock.)
  ASSERT_TRUE(run_until([&] {
    clock_.advance(1s);
    return emu_.calls("chat.update").size() > updates_before + updates &&
           root_blocks().find("succeeded") != std::string::npos;
  })) << root_blocks();
  EXPECT_NE(root_context().find("elapsed 17m 1s"), std::string::npos) << "the end stays put\n" << root_context();
  settle();
  const auto final_updates = emu_.calls("chat.update").size();
  for (int minute = 0; minute < 10; ++minute) {
    clock_.advance(60s);
    settle();
  }
  EXPECT_EQ(emu_.calls("chat.update").size(), final_updates) << "no refresh after the run finished";
}

// A queued run is only its database row: nothing is posted, and the presenter holds nothing for it,
// until it starts; then its card is posted once, showing it running.
TEST_F(SlackRunPresenterTest, AQueuedRunHasNoCardUntilItStarts) {
  event(ProgressKind::Queued, "queued behind 4 run(s)");
  EXPECT_TRUE(presenter_->idle());
  settle();
  clock_.advance(5s);
  settle();
  EXPECT_TRUE(emu_.calls("chat.postMessage").empty()) << "no card while it waits in the queue";

  move_to(RunState::Queued, RunState::Running);
  event(ProgressKind::Started, "investigating");
  ASSERT_TRUE(run_until([&] { return root_blocks().find("running") != std::string::npos && presenter_->idle(); }))
      << root_blocks();
  EXPECT_EQ(emu_.calls("chat.postMessage").size(), 1u);
}

TEST_F(SlackRunPresenterTest, ACutStepOutputGetsAFullOutputButton) {
  StepRecord step;
  step.run_id = run_.id;
  step.skill = "pod-crashloop";
  step.step = "describe_pod";
  step.seq = 1;
  step.argv = {"kubectl", "describe", "pod", "checkout-7d4"};
  store_->create_step(step);
  move_to(RunState::Queued, RunState::Running);
  event(ProgressKind::Started, "investigating");
  event(ProgressKind::Finding, "describe_pod: output", "Name: checkout-7d4\n… (5000 bytes in all; …)", step.id, true);
  event(ProgressKind::Finding, "runbook: Pod crash looping (matched)");
  json buttons;
  ASSERT_TRUE(run_until_moving([&] {
    for (const auto& m : emu_.messages("C1")) {
      if (m.text.find("describe_pod: output") != std::string::npos && m.blocks.is_array()) {
        for (const auto& b : m.blocks) {
          if (b.value("type", "") == "actions") {
            buttons = b["elements"];
            return true;
          }
        }
      }
    }
    return false;
  }));
  ASSERT_EQ(buttons.size(), 1u) << buttons.dump();
  EXPECT_EQ(buttons[0]["text"]["text"], "Full output: describe_pod");
  EXPECT_EQ(buttons[0]["action_id"], "step.full_output:" + std::to_string(step.id));
  EXPECT_EQ(buttons[0]["value"], run_.id + ":" + std::to_string(step.id));
}

TEST_F(SlackRunPresenterTest, PeopleInThreadLinesAreMentions) {
  move_to(RunState::Queued, RunState::Running);
  event(ProgressKind::Started, "investigating");
  event(ProgressKind::Note, "cancel requested by U0DEMOALEX");
  ASSERT_TRUE(run_until_moving([&] {
    for (const auto& m : emu_.messages("C1")) {
      if (m.text.find("cancel requested by <@U0DEMOALEX>") != std::string::npos) {
        return true;
      }
    }
    return false;
  }));
}

}  // namespace
}  // namespace vigil

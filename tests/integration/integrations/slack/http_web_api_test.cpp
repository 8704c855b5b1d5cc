// HttpWebApi over the real Beast HTTP client against the emulator.
#include "integrations/slack/http_web_api.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "bot/base/logging.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/slack_harness.h"

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class WebApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.start();
    http_ = http::make_beast_http_client(io_.get_executor(), {}, null_logger());
    HttpWebApiOptions o;
    o.api_url = emu_.api_url();
    o.bot_token = test::fake_bot_token();
    o.app_token = test::fake_app_token();
    o.error_backoff = 10ms;
    web_ = std::make_unique<HttpWebApi>(*http_, limiter_, clock_, null_logger(), o, &metrics_);
  }

  template <class T>
  T run(Task<T> task) {
    auto f = boost::asio::co_spawn(io_, std::move(task), boost::asio::use_future);
    io_.restart();
    io_.run();
    return f.get();
  }

  SlackEmulator emu_;
  boost::asio::io_context io_;
  SystemClock clock_;
  RateLimiter limiter_{clock_};
  Metrics metrics_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<HttpWebApi> web_;
};

TEST_F(WebApiTest, PostsUpdatesReactsAndReadsBackWithKeepAlive) {
  OutgoingMessage m;
  m.channel = "C111";
  m.text = "root";
  m.blocks = json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", "*root*"}}}}});
  auto posted = run(web_->post_message(m));
  ASSERT_TRUE(posted) << posted.error().message();
  EXPECT_EQ(posted->channel, "C111");
  m.thread_ts = posted->ts;
  m.text = "reply";
  ASSERT_TRUE(run(web_->post_message(m)));
  m.text = "root, edited";
  m.thread_ts.reset();
  ASSERT_TRUE(run(web_->update_message(*posted, m)));
  ASSERT_TRUE(run(web_->add_reaction(*posted, "eyes")));
  auto again = run(web_->add_reaction(*posted, "eyes"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().detail, "already_reacted");
  auto msgs = emu_.messages("C111");
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(msgs[0].edited);
  EXPECT_EQ(msgs[0].text, "root, edited");
  EXPECT_EQ(msgs[1].thread_ts, posted->ts);
  const auto calls = emu_.calls("chat.postMessage");
  EXPECT_NE(calls[0].content_type.find("application/json"), std::string::npos);
  EXPECT_EQ(calls[0].args["blocks"][0]["type"], "section");
  EXPECT_EQ(emu_.connections_accepted(), 0);
  EXPECT_EQ(emu_.http_connections_accepted(), 1) << "one keep-alive connection for every call";
}

// conversations.history (a channel, newest first) and conversations.replies (a thread, parent
// first), as the presenter reads them to find a root whose post was never answered.
TEST_F(WebApiTest, RecentMessagesListAChannelNewestFirstOrOneThread) {
  OutgoingMessage m;
  m.channel = "C111";
  m.text = "first";
  auto first = run(web_->post_message(m));
  ASSERT_TRUE(first);
  m.text = "second";
  auto second = run(web_->post_message(m));
  ASSERT_TRUE(second);
  m.thread_ts = first->ts;
  m.text = "a reply";
  ASSERT_TRUE(run(web_->post_message(m)));
  EmulatedMessage person;
  person.channel = "C111";
  person.user = "U0PERSON01";
  person.text = "a person's message";
  emu_.post_message(person);

  auto channel = run(web_->recent_messages("C111", "", "", 50));
  ASSERT_TRUE(channel) << channel.error().message();
  ASSERT_EQ(channel->size(), 3u) << "top-level messages only";
  EXPECT_EQ((*channel)[0].text, "a person's message");
  EXPECT_TRUE((*channel)[0].bot_id.empty());
  EXPECT_EQ((*channel)[0].user, "U0PERSON01");
  EXPECT_EQ((*channel)[1].ts, second->ts);
  EXPECT_EQ((*channel)[1].bot_id, emu_.options().bot_id);
  EXPECT_EQ((*channel)[2].ts, first->ts);

  auto newest = run(web_->recent_messages("C111", "", second->ts, 50));
  ASSERT_TRUE(newest);
  ASSERT_EQ(newest->size(), 2u) << "oldest is inclusive";
  auto one = run(web_->recent_messages("C111", "", "", 1));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);

  auto thread = run(web_->recent_messages("C111", first->ts, "", 50));
  ASSERT_TRUE(thread) << thread.error().message();
  ASSERT_EQ(thread->size(), 2u);
  EXPECT_EQ((*thread)[0].text, "first");
  EXPECT_EQ((*thread)[1].text, "a reply");
  EXPECT_EQ((*thread)[1].thread_ts, first->ts);
  const auto calls = emu_.calls("conversations.replies");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].args["ts"], first->ts);
  EXPECT_NE(calls[0].content_type.find("x-www-form-urlencoded"), std::string::npos);

  auto missing = run(web_->recent_messages("C0NOPE", "", "", 50));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().detail, "channel_not_found");
}

TEST_F(WebApiTest, EveryRequestHasATimeoutAndATimedOutCallIsRetried) {
  HttpWebApiOptions o;
  o.api_url = emu_.api_url();
  o.bot_token = test::fake_bot_token();
  o.timeout = 300ms;
  o.error_backoff = 10ms;
  HttpWebApi quick(*http_, limiter_, clock_, null_logger(), o);
  emu_.stall_next("conversations.info", 3s, 1);
  const auto t0 = std::chrono::steady_clock::now();
  auto info = run(quick.conversations_info("C111"));
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->name, "random");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  emu_.stall_next("users.info", 3s, 10);
  o.max_error_retries = 1;
  HttpWebApi give_up(*http_, limiter_, clock_, null_logger(), o);
  auto user = run(give_up.users_info("U111"));
  ASSERT_FALSE(user);
  EXPECT_TRUE(user.error().is(Errc::Unavailable)) << user.error().message();
  EXPECT_NE(user.error().detail.find("timed out"), std::string::npos) << user.error().detail;
}

TEST_F(WebApiTest, ErrorsAreTypedWithSlacksErrorString) {
  auto info = run(web_->conversations_info("CNOPE"));
  ASSERT_FALSE(info);
  EXPECT_TRUE(info.error().is(Errc::SlackApi));
  EXPECT_EQ(info.error().detail, "channel_not_found");
  EXPECT_EQ(emu_.calls("conversations.info")[0].content_type, "application/x-www-form-urlencoded");

  OutgoingMessage big;
  big.channel = "C111";
  big.text = std::string(40'001, 'a');
  auto too_long = run(web_->post_message(big));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().detail, "msg_too_long");

  emu_.fail_next("auth.test", "invalid_auth");
  auto auth = run(web_->auth_test());
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().detail, "invalid_auth");
  auto ok = run(web_->auth_test());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->user_id, "U0VIGIL");

  auto user = run(web_->users_info("U111"));
  ASSERT_TRUE(user);
  EXPECT_EQ(user->email, "alice@example.com");
  EXPECT_EQ(run(web_->lookup_user_by_email("nobody@example.com")).error().detail, "users_not_found");
  emu_.add_usergroup("S1", {"U111", "U222"});
  auto group = run(web_->usergroup_users("S1"));
  ASSERT_TRUE(group);
  EXPECT_EQ(group->size(), 2u);
  auto created = run(web_->conversations_create("inc-42", false));
  ASSERT_TRUE(created);
  EXPECT_EQ(run(web_->conversations_create("inc-42", false)).error().detail, "name_taken");
  EXPECT_TRUE(run(web_->conversations_invite(created->id, {"U111", "U222"})));
  auto view = run(web_->views_open("trig", json{{"type", "modal"}}));
  ASSERT_TRUE(view);
  EXPECT_TRUE(run(web_->views_update(*view, json{{"type", "modal"}}, "h")));
  EXPECT_TRUE(run(web_->post_ephemeral("U111", OutgoingMessage{"C111", std::nullopt, "psst", {}, false})));
  EXPECT_TRUE(run(web_->delete_message(MessageRef{"C111", "1800000000.999999"})).error().detail == "message_not_found");
}

TEST_F(WebApiTest, Http429WaitsRetryAfterAndRetries5xxAreRetried) {
  emu_.fail_next_http("chat.postMessage", 429, 1, 1);
  OutgoingMessage m{"C111", std::nullopt, "hi", {}, false};
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(run(web_->post_message(m)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  emu_.fail_next_http("chat.update", 503, 2);
  auto posted = run(web_->post_message(m));
  ASSERT_TRUE(posted);
  EXPECT_TRUE(run(web_->update_message(*posted, m)));
  emu_.fail_next_http("reactions.add", 500, 10);
  auto failed = run(web_->add_reaction(*posted, "x"));
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().is(Errc::Unavailable));
  EXPECT_EQ(emu_.calls("reactions.add").size(), 4u) << "1 + 3 bounded retries";
}

TEST_F(WebApiTest, ABurstToOneChannelIsPacedNeverRejected) {
  // Emulator: at most 5 posts per channel per second (strict). Client: matching pace.
  emu_.set_channel_rate_limit(5, 1000ms);
  limiter_.set_limit("chat.postMessage", RateLimit{300, 5});
  int ok = 0;
  for (int i = 0; i < 20; ++i) {
    ok += run(web_->post_message(OutgoingMessage{"C111", std::nullopt, "m" + std::to_string(i), {}, false})) ? 1 : 0;
  }
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(emu_.messages("C111").size(), 20u);
}

TEST_F(WebApiTest, RespondPostsToTheResponseUrl) {
  ResponseMessage r;
  r.text = "on it";
  r.in_channel = true;
  ASSERT_TRUE(run(web_->respond(emu_.response_url("abc"), r)));
  auto posts = emu_.response_posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].first, "abc");
  EXPECT_EQ(posts[0].second["response_type"], "in_channel");
}

TEST_F(WebApiTest, TheEmulatorStampsEachCallAndResponsePostWithItsArrival) {
  const auto before = std::chrono::steady_clock::now();
  OutgoingMessage m;
  m.channel = "C111";
  m.text = "hello";
  ASSERT_TRUE(run(web_->post_message(m)));
  ResponseMessage r;
  r.text = "on it";
  ASSERT_TRUE(run(web_->respond(emu_.response_url("abc"), r)));
  const auto after = std::chrono::steady_clock::now();
  const auto calls = emu_.calls("chat.postMessage");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_GE(calls[0].received_at, before);
  EXPECT_LE(calls[0].received_at, after);
  const auto log = emu_.response_post_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].id, "abc");
  EXPECT_EQ(log[0].body["text"], "on it");
  EXPECT_GE(log[0].received_at, calls[0].received_at);
  EXPECT_LE(log[0].received_at, after);
}

}  // namespace
}  // namespace vigil::slack

// HttpWebApi over a scripted HTTP client: what it makes of answers that are not what Slack sends.
// (Calls against the emulator are in tests/integration/integrations/slack/http_web_api_test.cpp.)
#include "integrations/slack/http_web_api.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_http_client.h"

namespace vigil::slack {
namespace {

template <class T>
T run(boost::asio::io_context& io, Task<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    if (e) {
      std::rethrow_exception(e);
    }
    out = std::move(value);
  });
  io.restart();
  io.run();
  return std::move(*out);
}

class HttpWebApiAnswers : public ::testing::Test {
 protected:
  HttpWebApiAnswers() : limiter_(clock_) {
    HttpWebApiOptions o;
    o.api_url = "https://slack.example/api/";
    o.bot_token = "bot-token-for-tests";
    web_ = std::make_unique<HttpWebApi>(http_, limiter_, clock_, null_logger(), o);
  }
  boost::asio::io_context io_;
  test::FakeClock clock_;
  test::FakeHttpClient http_;
  RateLimiter limiter_;
  std::unique_ptr<HttpWebApi> web_;
};

TEST_F(HttpWebApiAnswers, AnAnswerThatIsNotAnObjectIsAProtocolError) {
  http_.answer(200, "<html>502 Bad Gateway</html>");
  const auto who = run(io_, web_->auth_test());
  ASSERT_FALSE(who);
  EXPECT_TRUE(who.error().is(Errc::Protocol));
  EXPECT_EQ(who.error().detail, "auth.test: answer is not a JSON object");
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].url, "https://slack.example/api/auth.test");
}

// nlohmann::json destroys and copies a document recursively: a deep nest in an answer (250,000
// levels at -O2, fewer under ASan) overflows the stack. Refused before it is parsed.
TEST_F(HttpWebApiAnswers, ADeeplyNestedAnswerIsAProtocolErrorNotACrash) {
  constexpr std::size_t kDepth = 200'000;
  const std::string nested =
      R"({"ok":true,"user_id":"U0BOT00001","x":)" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}";
  http_.answer(200, nested);
  const auto who = run(io_, web_->auth_test());
  ASSERT_FALSE(who);
  EXPECT_TRUE(who.error().is(Errc::Protocol));
  // A response_url answers with anything; a nest there is not an error, and not a crash either.
  http_.answer(200, nested);
  ResponseMessage reply;
  reply.text = "usage";
  EXPECT_TRUE(run(io_, web_->respond("https://hooks.slack.example/commands/1/2/3", reply)));
  // The same answer within the depth limit is Slack's.
  http_.answer(200, R"({"ok":true,"user_id":"U0BOT00001","bot_id":"B0BOT00001","team_id":"T0TEAM0001","x":[[[]]]})");
  const auto ok = run(io_, web_->auth_test());
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->user_id, "U0BOT00001");
}

// conversations.history answers are read for a crash's unanswered posts: items that are not
// messages, a message without a ts, blocks that are not an array or have no string block_id are
// skipped, not fatal; a "messages" that is not an array is an empty list.
TEST_F(HttpWebApiAnswers, OddItemsInAHistoryAnswerAreSkipped) {
  http_.answer(200, R"({"ok":true,"messages":[
      "not a message", 7, null, {"text":"no ts"},
      {"ts":"1800000000.000101","text":"Triage run 1a2b3c4d: running","bot_id":"B0VIGIL","blocks":{"block_id":"x"}},
      {"ts":"1800000000.000102","user":["U1"],"bot_id":5,
       "blocks":[7,{"block_id":9},{"type":"actions","block_id":"approval:abc"},{"type":"divider"}]}]})");
  auto listed = run(io_, web_->recent_messages("C0INC00001", "", slack::ts_a_minute_before(1'800'000'060), 15));
  ASSERT_TRUE(listed) << listed.error().message();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].text, "Triage run 1a2b3c4d: running");
  EXPECT_EQ((*listed)[0].bot_id, "B0VIGIL");
  EXPECT_TRUE((*listed)[0].block_ids.empty());
  EXPECT_TRUE((*listed)[1].user.empty());
  EXPECT_TRUE((*listed)[1].bot_id.empty()) << "a bot_id that is not a string is no bot";
  EXPECT_EQ((*listed)[1].block_ids, std::vector<std::string>{"approval:abc"});
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].url, "https://slack.example/api/conversations.history");
  EXPECT_NE(http_.requests[0].body.find("oldest=1800000000.000000"), std::string::npos) << http_.requests[0].body;
  EXPECT_NE(http_.requests[0].body.find("limit=15"), std::string::npos) << http_.requests[0].body;

  http_.answer(200, R"({"ok":true,"messages":{"ts":"1"}})");
  auto odd = run(io_, web_->recent_messages("C0INC00001", "1800000000.000101", "", 500));
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->empty());
  EXPECT_EQ(http_.requests[1].url, "https://slack.example/api/conversations.replies");
  EXPECT_NE(http_.requests[1].body.find("limit=200"), std::string::npos) << "Slack's page size caps the limit";
}

// Slack's upload flow in its three calls: the bytes go to the URL Slack handed out, without the
// bot token (the URL is the grant; the token must never reach another host), then the file is
// shared in the thread.
TEST_F(HttpWebApiAnswers, UploadAFileInThreeCallsWithoutTheTokenOnTheUploadUrl) {
  http_.answer(200, R"({"ok":true,"upload_url":"https://files.slack.example/upload/v1/abc","file_id":"F0TEST1"})");
  http_.answer(200, "OK - 11");
  http_.answer(200, R"({"ok":true,"files":[{"id":"F0TEST1"}]})");
  FileShare share;
  share.title = "Full output of logs";
  share.channel = "C0INC";
  share.thread_ts = "1800000000.000100";
  share.initial_comment = "Full output of `logs`";
  const auto done = run(io_, upload_file(*web_, "run-1-logs.txt", "hello world", share));
  ASSERT_TRUE(done) << done.error().message();
  ASSERT_EQ(http_.requests.size(), 3u);
  EXPECT_EQ(http_.requests[0].url, "https://slack.example/api/files.getUploadURLExternal");
  EXPECT_EQ(http_.requests[0].body, "filename=run-1-logs.txt&length=11");
  EXPECT_EQ(http_.requests[1].url, "https://files.slack.example/upload/v1/abc");
  EXPECT_EQ(http_.requests[1].body, "hello world");
  EXPECT_EQ(http_.header(1, "Authorization"), "") << "the bot token stays with Slack's API";
  EXPECT_EQ(http_.requests[2].url, "https://slack.example/api/files.completeUploadExternal");
  const auto args = nlohmann::json::parse(http_.requests[2].body);
  EXPECT_EQ(args["files"], nlohmann::json::parse(R"([{"id":"F0TEST1","title":"Full output of logs"}])"));
  EXPECT_EQ(args["channel_id"], "C0INC");
  EXPECT_EQ(args["thread_ts"], "1800000000.000100");
  EXPECT_EQ(args["initial_comment"], "Full output of `logs`");
}

TEST_F(HttpWebApiAnswers, AnUploadUrlThatIsNotHttpIsRefused) {
  http_.answer(200, R"({"ok":true,"upload_url":"file:///etc/passwd","file_id":"F0TEST1"})");
  const auto done = run(io_, upload_file(*web_, "a.txt", "x", FileShare{}));
  ASSERT_FALSE(done);
  EXPECT_TRUE(done.error().is(Errc::Protocol));
  EXPECT_EQ(http_.requests.size(), 1u) << "nothing sent anywhere else";
}

}  // namespace
}  // namespace vigil::slack

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
  const std::string nested = R"({"ok":true,"user_id":"U0BOT00001","x":)" + std::string(kDepth, '[') +
                             std::string(kDepth, ']') + "}";
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

}  // namespace
}  // namespace vigil::slack

// OnCallDirectory with a scripted paging service, a scripted Slack user directory and a fake clock:
// caching, schedule changes, the last good answer while the service fails, failing closed after
// that, and e-mail → Slack user mapping.
#include "bot/slack/oncall_directory.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "integrations/slack/web_api.h"
#include "tests/support/fake_clock.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

class ScriptedPaging final : public alerting::PagingService {
 public:
  explicit ScriptedPaging(boost::asio::io_context& io) : io_(io) {}
  std::vector<std::string> emails;
  std::optional<Error> failure;
  int calls = 0;
  bool hold = false;  // answers wait for release()
  void release() {
    hold = false;
    if (gate_) {
      gate_->cancel();
    }
  }

  std::string_view name() const override { return "PagerDuty"; }
  Task<Result<std::vector<std::string>>> on_call_emails(std::string schedule) override {
    ++calls;
    last_schedule = schedule;
    if (hold) {
      gate_ = std::make_shared<boost::asio::steady_timer>(io_, boost::asio::steady_timer::time_point::max());
      auto gate = gate_;
      co_await gate->async_wait(kToken);
    }
    if (failure) {
      co_return *failure;
    }
    co_return emails;
  }
  Task<Result<void>> add_note(std::string, std::string) override {
    Result<void> done;
    co_return done;
  }
  std::string last_schedule;

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::steady_timer> gate_;
};

// users.lookupByEmail from a table; everything else is not needed here.
class ScriptedSlackUsers final : public slack::WebApi {
 public:
  std::map<std::string, slack::UserInfo> users;  // e-mail → user
  std::optional<Error> failure;
  int lookups = 0;

  Task<Result<slack::UserInfo>> lookup_user_by_email(std::string email) override {
    ++lookups;
    if (failure) {
      co_return *failure;
    }
    const auto it = users.find(email);
    if (it == users.end()) {
      co_return Error(Errc::SlackApi, "users_not_found");
    }
    co_return it->second;
  }
  Task<Result<slack::AuthInfo>> auth_test() override { co_return no(); }
  Task<Result<std::string>> open_socket_url() override { co_return no(); }
  Task<Result<slack::MessageRef>> post_message(slack::OutgoingMessage) override { co_return no(); }
  Task<Result<void>> update_message(slack::MessageRef, slack::OutgoingMessage) override { co_return no(); }
  Task<Result<std::string>> post_ephemeral(std::string, slack::OutgoingMessage) override { co_return no(); }
  Task<Result<void>> delete_message(slack::MessageRef) override { co_return no(); }
  Task<Result<void>> add_reaction(slack::MessageRef, std::string) override { co_return no(); }
  Task<Result<std::string>> views_open(std::string, nlohmann::json) override { co_return no(); }
  Task<Result<void>> views_update(std::string, nlohmann::json, std::string) override { co_return no(); }
  Task<Result<slack::ChannelInfo>> conversations_info(std::string) override { co_return no(); }
  Task<Result<slack::ChannelInfo>> conversations_create(std::string, bool) override { co_return no(); }
  Task<Result<void>> conversations_invite(std::string, std::vector<std::string>) override { co_return no(); }
  Task<Result<std::vector<slack::ListedMessage>>> recent_messages(std::string, std::string, std::string, int) override {
    co_return no();
  }
  Task<Result<slack::UserInfo>> users_info(std::string) override { co_return no(); }
  Task<Result<std::vector<std::string>>> usergroup_users(std::string) override { co_return no(); }
  Task<Result<void>> respond(std::string, slack::ResponseMessage) override { co_return no(); }
  Task<Result<slack::UploadTicket>> get_upload_url(std::string, std::size_t) override { co_return no(); }
  Task<Result<void>> upload_bytes(std::string, std::string) override { co_return no(); }
  Task<Result<void>> complete_upload(slack::FileShare) override { co_return no(); }

 private:
  static Error no() { return Error(Errc::Unavailable, "not in this fake"); }
};

slack::UserInfo user(const std::string& id, const std::string& email) {
  slack::UserInfo u;
  u.id = id;
  u.email = email;
  return u;
}

class OnCallDirectoryTest : public ::testing::Test {
 protected:
  OnCallDirectoryTest() {
    slack_.users["ada@example.com"] = user("U0ADA", "ada@example.com");
    slack_.users["bob@example.com"] = user("U0BOB", "bob@example.com");
    OnCallOptions o;
    o.cache = 60s;
    o.max_stale = 15min;
    o.retry_after_failure = 10s;
    o.email_cache = 1h;
    directory_ =
        std::make_unique<OnCallDirectory>(io_.get_executor(), paging_, "PSCHED1", slack_, clock_, o, null_logger());
  }

  // A named coroutine (a coroutine lambda's captures may die before it ends).
  Task<> ask(std::vector<OnCallSnapshot>& into) {
    auto s = co_await directory_->current();
    into.push_back(std::move(s));
  }

  OnCallSnapshot now() {
    std::vector<OnCallSnapshot> out;
    spawn(io_.get_executor(), ask(out), null_logger(), "ask");
    io_.restart();
    io_.run();
    return out.at(0);
  }

  boost::asio::io_context io_;
  test::FakeClock clock_;
  ScriptedPaging paging_{io_};
  ScriptedSlackUsers slack_;
  std::unique_ptr<OnCallDirectory> directory_;
};

TEST_F(OnCallDirectoryTest, MapsEmailsToSlackUsersAndCachesBoth) {
  paging_.emails = {"ada@example.com", "nobody@example.com"};
  auto s = now();
  EXPECT_EQ(s.source, OnCallSnapshot::Source::Live);
  EXPECT_EQ(s.service, "PagerDuty");
  EXPECT_EQ(paging_.last_schedule, "PSCHED1");
  EXPECT_EQ(s.users, (std::vector<std::string>{"U0ADA"}));
  EXPECT_EQ(s.unmatched, (std::vector<std::string>{"nobody@example.com"}));
  EXPECT_TRUE(s.contains("U0ADA"));
  EXPECT_FALSE(s.contains("U0BOB"));
  EXPECT_EQ(paging_.calls, 1);
  EXPECT_EQ(slack_.lookups, 2);
  // Within the cache time nothing is asked again.
  clock_.advance(59s);
  EXPECT_TRUE(now().contains("U0ADA"));
  EXPECT_EQ(paging_.calls, 1);
  // After it the schedule is asked again, but the e-mails (found or not) are still known.
  clock_.advance(2s);
  EXPECT_TRUE(now().contains("U0ADA"));
  EXPECT_EQ(paging_.calls, 2);
  EXPECT_EQ(slack_.lookups, 2);
}

TEST_F(OnCallDirectoryTest, AScheduleChangeTakesEffectWhenTheCacheExpires) {
  paging_.emails = {"ada@example.com"};
  EXPECT_TRUE(now().contains("U0ADA"));
  paging_.emails = {"bob@example.com"};
  clock_.advance(30s);
  EXPECT_TRUE(now().contains("U0ADA")) << "still the cached answer";
  clock_.advance(31s);
  const auto s = now();
  EXPECT_FALSE(s.contains("U0ADA")) << "Ada went off call";
  EXPECT_TRUE(s.contains("U0BOB"));
}

TEST_F(OnCallDirectoryTest, FailureUsesTheLastGoodAnswerUntilItIsTooOldThenFailsClosed) {
  paging_.emails = {"ada@example.com"};
  const auto first = now();
  ASSERT_EQ(first.source, OnCallSnapshot::Source::Live);
  paging_.failure = Error(Errc::Unavailable, "PagerDuty /oncalls answered HTTP 503");
  clock_.advance(61s);
  auto s = now();
  EXPECT_EQ(s.source, OnCallSnapshot::Source::LastGood);
  EXPECT_TRUE(s.contains("U0ADA"));
  EXPECT_EQ(s.as_of, first.as_of);
  EXPECT_NE(s.problem.find("503"), std::string::npos) << s.problem;
  EXPECT_EQ(paging_.calls, 2);
  // A failing service is not asked on every click.
  clock_.advance(5s);
  EXPECT_EQ(now().source, OnCallSnapshot::Source::LastGood);
  EXPECT_EQ(paging_.calls, 2);
  // Past max_stale the old answer no longer counts: nobody is on call as far as Vigil knows.
  clock_.advance(15min);
  s = now();
  EXPECT_EQ(s.source, OnCallSnapshot::Source::None);
  EXPECT_TRUE(s.users.empty());
  EXPECT_FALSE(s.contains("U0ADA"));
  EXPECT_NE(s.problem.find("503"), std::string::npos);
  // When the service answers again, so does the directory.
  paging_.failure.reset();
  paging_.emails = {"bob@example.com"};
  clock_.advance(11s);
  s = now();
  EXPECT_EQ(s.source, OnCallSnapshot::Source::Live);
  EXPECT_TRUE(s.contains("U0BOB"));
  EXPECT_TRUE(s.problem.empty());
}

TEST_F(OnCallDirectoryTest, NoAnswerEverIsNobody) {
  paging_.failure = Error(Errc::Forbidden, "PagerDuty /oncalls answered HTTP 401");
  const auto s = now();
  EXPECT_EQ(s.source, OnCallSnapshot::Source::None);
  EXPECT_TRUE(s.users.empty());
  EXPECT_NE(s.problem.find("401"), std::string::npos);
}

TEST_F(OnCallDirectoryTest, ASlackLookupFailureIsAFailedLookupNotAnEmptySchedule) {
  paging_.emails = {"ada@example.com"};
  slack_.failure = Error(Errc::Timeout, "users.lookupByEmail timed out");
  auto s = now();
  EXPECT_EQ(s.source, OnCallSnapshot::Source::None);
  EXPECT_NE(s.problem.find("users.lookupByEmail"), std::string::npos) << s.problem;
  slack_.failure.reset();
  clock_.advance(11s);
  s = now();
  EXPECT_EQ(s.source, OnCallSnapshot::Source::Live);
  EXPECT_TRUE(s.contains("U0ADA"));
}

TEST_F(OnCallDirectoryTest, DeletedAndBotAccountsDoNotCount) {
  auto gone = user("U0GONE", "gone@example.com");
  gone.deleted = true;
  auto bot = user("U0BOT", "bot@example.com");
  bot.is_bot = true;
  slack_.users["gone@example.com"] = gone;
  slack_.users["bot@example.com"] = bot;
  paging_.emails = {"gone@example.com", "bot@example.com", "ada@example.com"};
  const auto s = now();
  EXPECT_EQ(s.users, (std::vector<std::string>{"U0ADA"}));
  EXPECT_EQ(s.unmatched.size(), 2u);
}

TEST_F(OnCallDirectoryTest, ConcurrentCallersShareOneLookup) {
  paging_.emails = {"ada@example.com"};
  paging_.hold = true;
  std::vector<OnCallSnapshot> answers;
  for (int i = 0; i < 3; ++i) {
    spawn(io_.get_executor(), ask(answers), null_logger(), "ask");
  }
  io_.restart();
  io_.poll();
  EXPECT_EQ(paging_.calls, 1);
  EXPECT_TRUE(answers.empty());
  paging_.release();
  io_.restart();
  io_.run();
  ASSERT_EQ(answers.size(), 3u);
  for (const auto& a : answers) {
    EXPECT_TRUE(a.contains("U0ADA"));
  }
  EXPECT_EQ(paging_.calls, 1);
}

}  // namespace
}  // namespace vigil

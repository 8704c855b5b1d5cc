// Messages through the incident message handler with a real HandlerContext (the run manager and
// the alert intake over a SQLite file, the Web API against the Slack emulator): a mention starts one
// run however often Slack delivers it, an empty mention gets a private hint, and messages that are
// not for Vigil change nothing.
#include "handlers/incident_message_handler.h"

#include <gtest/gtest.h>

#include "tests/support/handler_harness.h"

namespace vigil::handlers {
namespace {

using test::HandlerHarness;

constexpr const char* kBot = "U0VIGILBOT";
constexpr const char* kPerson = "U0PERSON01";

class IncidentMessageHandlerTest : public ::testing::Test {
 protected:
  IncidentMessageHandlerTest() : intake_(*h_.store, *h_.runs, h_.clock), handler_(*h_.context, intake_, kBot) {}

  slack::MessageEvent message(slack::MessageKind kind, const std::string& text, const std::string& ts,
                              const std::string& thread_ts = "") {
    slack::MessageEvent m;
    m.kind = kind;
    m.event_id = "Ev" + ts;
    m.channel = HandlerHarness::kChannel;
    m.channel_type = "channel";
    m.user = kPerson;
    m.text = text;
    m.ts = ts;
    m.thread_ts = thread_ts;
    return m;
  }
  void handle(slack::MessageEvent m) { EXPECT_TRUE(h_.run(handler_.handle(std::move(m)))); }

  HandlerHarness h_;
  AlertIntake intake_;
  IncidentMessageHandler handler_;
};

TEST_F(IncidentMessageHandlerTest, AMentionStartsARunInItsThreadOnceHoweverOftenItIsDelivered) {
  const std::string text = "<@" + std::string(kBot) + "> investigate checkout errors";
  handle(message(slack::MessageKind::AppMention, text, "1800000000.000100"));
  handle(message(slack::MessageKind::ChannelMessage, text, "1800000000.000100"));
  const auto runs = h_.store->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].trigger_kind, "mention");
  EXPECT_EQ(runs[0].text, "checkout errors");
  EXPECT_EQ(runs[0].requester, kPerson);
  EXPECT_EQ(runs[0].thread_ts, "1800000000.000100");
  EXPECT_TRUE(h_.replies().empty());
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.requested"});
}

TEST_F(IncidentMessageHandlerTest, AnEmptyMentionGetsAPrivateHint) {
  handle(message(slack::MessageKind::AppMention, "<@" + std::string(kBot) + ">", "1800000000.000200"));
  EXPECT_EQ(h_.replies(),
            std::vector<std::string>{"Tell me what to look at, e.g. `@vigil investigate checkout errors`."});
  EXPECT_TRUE(h_.store->list_runs(10).empty());
}

TEST_F(IncidentMessageHandlerTest, MessagesNotForVigilChangeNothing) {
  handle(message(slack::MessageKind::ChannelMessage, "lunch?", "1800000000.000300"));
  handle(message(slack::MessageKind::ThreadReply, "any news?", "1800000000.000301", "1700000000.000001"));
  EXPECT_TRUE(h_.store->list_runs(10).empty());
  EXPECT_TRUE(h_.replies().empty());
  EXPECT_TRUE(h_.audit_actions().empty());
}

}  // namespace
}  // namespace vigil::handlers

// `/incident declare|status|resolve|timeline` through the handler, with a real HandlerContext (the
// incident service over a SQLite file, the Web API against the Slack emulator): what the person is
// told privately, what the channel sees, and the rows behind it.
#include "handlers/incident_command_handler.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "tests/support/handler_harness.h"

namespace vigil::handlers {
namespace {

using namespace std::chrono_literals;
using test::HandlerHarness;

constexpr const char* kCommander = "U0IC00001";

class IncidentCommandHandlerTest : public ::testing::Test {
 protected:
  explicit IncidentCommandHandlerTest(bool create_channel = false)
      : h_([create_channel](Config& c) { c.incidents.create_channel = create_channel; }) {}

  /// Runs `/incident <text>` and returns the private replies it added.
  std::vector<std::string> incident(const std::string& text, const std::string& user = kCommander) {
    const auto before = h_.replies().size();
    IncidentCommandHandler handler(*h_.context);
    EXPECT_TRUE(h_.run(handler.handle(h_.slash("/incident", text, user))));
    const auto all = h_.replies();
    return {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()};
  }

  IncidentRecord only_incident() {
    const auto all = h_.store->list_incidents(10, false);
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? IncidentRecord{} : all.front();
  }

  HandlerHarness h_;
};

class IncidentCommandHandlerOwnChannelTest : public IncidentCommandHandlerTest {
 protected:
  IncidentCommandHandlerOwnChannelTest() : IncidentCommandHandlerTest(true) {}
};

TEST_F(IncidentCommandHandlerTest, DeclareRecordsItPostsItsRootHereAndAnswersPrivately) {
  const auto replies = incident("declare Checkout down for EU sev1");
  const auto i = only_incident();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], ":rotating_light: Declared incident `" + i.id.substr(0, 8) +
                            "` *Checkout down for EU* (sev1). `/triage <what is wrong>` in <#" +
                            HandlerHarness::kChannel + "> attaches a triage run; `/incident resolve` closes it.");
  EXPECT_EQ(i.title, "Checkout down for EU");
  EXPECT_EQ(i.severity, "sev1");
  EXPECT_EQ(i.declared_by, kCommander);
  const auto roots = h_.emulator.messages(HandlerHarness::kChannel);
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_NE(roots[0].blocks.dump().find("Checkout down for EU"), std::string::npos);
  EXPECT_EQ(i.channel, HandlerHarness::kChannel);
  EXPECT_EQ(i.thread_ts, roots[0].ts) << "the incident knows its root";
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"incident.declared"});
}

TEST_F(IncidentCommandHandlerTest, DeclareWhereVigilCannotPostSaysHowToInviteIt) {
  h_.emulator.fail_next("chat.postMessage", "not_in_channel");
  const auto replies = incident("declare Queue backlog");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].find("*Queue backlog*. `/triage"), std::string::npos) << replies[0];
  EXPECT_NE(replies[0].find("\n:warning: I could not post in <#" + std::string(HandlerHarness::kChannel) +
                            "> (not_in_channel); invite me with `/invite @vigil`."),
            std::string::npos)
      << replies[0];
  EXPECT_TRUE(only_incident().thread_ts.empty());
}

TEST_F(IncidentCommandHandlerOwnChannelTest, DeclareInItsOwnChannelPointsThereAndInvitesTheDeclarer) {
  const auto replies = incident("declare Checkout down for EU sev1");
  const auto i = only_incident();
  ASSERT_NE(i.channel, HandlerHarness::kChannel);
  std::string name;
  for (const auto& c : h_.emulator.channels()) {
    if (c.id == i.channel) {
      name = c.name;
      EXPECT_NE(std::find(c.members.begin(), c.members.end(), kCommander), c.members.end()) << "invited";
    }
  }
  EXPECT_EQ(name.substr(0, 4), "inc-");
  EXPECT_EQ(name.substr(12), "-checkout-down-for-eu");
  const auto here = h_.emulator.messages(HandlerHarness::kChannel);
  ASSERT_EQ(here.size(), 1u);
  EXPECT_EQ(here[0].text, ":rotating_light: <@" + std::string(kCommander) +
                              "> declared *Checkout down for EU* (sev1) — follow it in <#" + i.channel + ">");
  ASSERT_EQ(h_.emulator.messages(i.channel).size(), 1u) << "the root is in its own channel";
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].find("in <#" + i.channel + "> attaches a triage run"), std::string::npos) << replies[0];
  std::vector<std::string> kinds;
  for (const auto& e : h_.store->list_incident_events(i.id)) {
    kinds.push_back(e.kind);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"declared", "channel_created"}));
}

TEST_F(IncidentCommandHandlerOwnChannelTest, AChannelSlackRefusesLeavesItInThisChannelWithTheReason) {
  h_.emulator.fail_next("conversations.create", "restricted_action");
  const auto replies = incident("declare Checkout down");
  const auto i = only_incident();
  EXPECT_EQ(i.channel, HandlerHarness::kChannel);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].find("\n:warning: I could not create its channel (restricted_action); it lives in this "
                            "channel's thread instead."),
            std::string::npos)
      << replies[0];
}

TEST_F(IncidentCommandHandlerTest, StatusWithNothingOpenSaysSo) {
  EXPECT_EQ(incident("status"), std::vector<std::string>{"No open incidents."});
}

TEST_F(IncidentCommandHandlerTest, StatusOfTheIncidentHereShowsItsStateAndRuns) {
  incident("declare Checkout down sev2");
  const auto i = only_incident();
  h_.clock.advance(5min);
  const auto replies = incident("status");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(
      replies[0].rfind("*Checkout down* (`" + i.id.substr(0, 8) + "`)\n:rotating_light: open · sev2 · opened ", 0), 0u)
      << replies[0];
  EXPECT_NE(replies[0].find(" by <@" + std::string(kCommander) + "> · open for 5m 0s\nNo triage runs yet."),
            std::string::npos)
      << replies[0];
}

TEST_F(IncidentCommandHandlerTest, StatusElsewhereListsTheOpenIncidents) {
  incident("declare Checkout down sev2");
  const auto i = only_incident();
  IncidentCommandHandler handler(*h_.context);
  ASSERT_TRUE(h_.run(handler.handle(h_.slash("/incident", "status", kCommander, "C0ELSEWHERE"))));
  const auto replies = h_.replies();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(
      replies[1].rfind("*Open incidents*\n• `" + i.id.substr(0, 8) + "` *Checkout down* (sev2) — open, opened ", 0), 0u)
      << replies[1];
}

TEST_F(IncidentCommandHandlerTest, ResolveUpdatesTheRootTellsTheThreadAndAnswers) {
  incident("declare Checkout down");
  const auto i = only_incident();
  h_.clock.advance(5min);
  const auto replies = incident("resolve");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0],
            ":white_check_mark: Resolved incident `" + i.id.substr(0, 8) + "` *Checkout down* after 5m 0s.");
  const auto updates = h_.emulator.calls("chat.update");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].args.value("ts", ""), i.thread_ts);
  const auto thread = h_.emulator.messages(HandlerHarness::kChannel);
  ASSERT_EQ(thread.size(), 2u);
  EXPECT_EQ(thread[1].thread_ts, i.thread_ts);
  EXPECT_EQ(thread[1].text, ":white_check_mark: Resolved by <@" + std::string(kCommander) +
                                "> after 5m 0s. `/incident timeline " + i.id.substr(0, 8) + "` gives the write-up.");
  EXPECT_EQ(h_.store->get_incident(i.id)->state, "resolved");

  EXPECT_EQ(incident("resolve " + i.id.substr(0, 8)),
            std::vector<std::string>{"Incident `" + i.id.substr(0, 8) + "` is already resolved."});
  EXPECT_EQ(h_.audit_actions(), (std::vector<std::string>{"incident.declared", "incident.resolved"}));
}

TEST_F(IncidentCommandHandlerTest, MistakenIdsAreAnsweredPrivatelyAndChangeNothing) {
  EXPECT_EQ(incident("resolve"), std::vector<std::string>{"There is no open incident in this channel; give its id "
                                                          "(`/incident status` lists them)."});
  EXPECT_EQ(incident("resolve zzzz"), std::vector<std::string>{"There is no incident `zzzz`."});
  EXPECT_EQ(incident("timeline zzzz"), std::vector<std::string>{"There is no incident `zzzz`."});
  EXPECT_EQ(incident("status zzzz"), std::vector<std::string>{"There is no incident `zzzz`."});
  EXPECT_TRUE(h_.audit_actions().empty());
  EXPECT_TRUE(h_.emulator.calls("chat.postMessage").empty());
}

TEST_F(IncidentCommandHandlerTest, TimelineAfterResolvingPostsTheWriteUpInItsThread) {
  incident("declare Checkout down");
  const auto i = only_incident();
  incident("resolve");
  const auto replies = incident("timeline");
  EXPECT_TRUE(replies.empty()) << "posted where the channel sees it";
  const auto thread = h_.emulator.messages(HandlerHarness::kChannel);
  ASSERT_EQ(thread.size(), 3u);
  EXPECT_EQ(thread[2].thread_ts, i.thread_ts);
  EXPECT_NE(thread[2].blocks.dump().find("Timeline: Checkout down"), std::string::npos) << thread[2].blocks.dump();
}

TEST(IncidentCommandHandlerText, ChannelSlugAndLookupFailures) {
  EXPECT_EQ(channel_slug("Checkout down for EU!", 80), "checkout-down-for-eu");
  EXPECT_EQ(channel_slug("!!!", 80), "incident");
  EXPECT_EQ(channel_slug("Checkout down", 8), "checkout");
  EXPECT_EQ(lookup_failure_text(IncidentLookupFailure::Ambiguous, "a<b>"),
            "`a&lt;b&gt;` matches more than one incident; give more of the id.")
      << "escaped as Slack mrkdwn";
}

}  // namespace
}  // namespace vigil::handlers

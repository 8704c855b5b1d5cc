// End to end: the incident lifecycle through `vigil serve` and the Slack emulator — declare (with
// its own channel), a triage run attached to it, approval, resolve, and the Markdown timelines in
// Slack and in the terminal.
#include <regex>

#include <gtest/gtest.h>

#include "tests/support/chatops_session.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kChannel = "C0INC";
constexpr const char* kCommander = "U0IC00001";
constexpr const char* kApprover = "U0APPROVER";

std::string config(bool create_channel) {
  return std::string("channels:\n  - id: ") + kChannel +
         "\n    backend: runbook\n"
         "approvals:\n  users: [" +
         kApprover +
         "]\n"
         "incidents:\n  create_channel: " +
         (create_channel ? "true" : "false") +
         "\n"
         "skills:\n  dirs: [" +
         (test::test_data_dir() / "fixtures" / "skills_chatops").string() +
         "]\n"
         "agent:\n  workspace_root: {dir}/ws\n  grace: 1s\n"
         "storage:\n  database: {dir}/v.db\n"
         "logging:\n  level: debug\n";
}

/// The text of every section of a message's blocks, joined.
std::string block_text(const json& args) {
  std::string out;
  for (const auto& b : args.value("blocks", json::array())) {
    if (b.contains("text") && b["text"].is_object()) {
      out += b["text"].value("text", "") + "\n";
    }
  }
  return out;
}

class Incidents : public ::testing::Test {
 protected:
  void SetUp() override { s_.emulator().add_channel(kChannel, "incidents"); }
  test::ChatOpsSession s_;
};

TEST_F(Incidents, DeclareInItsOwnChannelTriageApproveResolveAndTimeline) {
  s_.start(config(true));
  s_.slash("/incident", "declare Checkout down for EU sev1", kCommander, kChannel);

  // A channel inc-YYYYMMDD-checkout-down-for-eu with the declarer in it, and the incident's root there.
  std::string incident_channel;
  ASSERT_TRUE(test::eventually([&] {
    for (const auto& c : s_.emulator().channels()) {
      if (std::regex_match(c.name, std::regex("inc-20[0-9]{6}-checkout-down-for-eu"))) {
        incident_channel = c.id;
        return std::find(c.members.begin(), c.members.end(), kCommander) != c.members.end();
      }
    }
    return false;
  })) << s_.log();
  ASSERT_TRUE(test::eventually([&] { return !s_.emulator().messages(incident_channel).empty(); })) << s_.posts();
  const auto root = s_.emulator().messages(incident_channel).front();
  EXPECT_NE(root.blocks.dump().find("Checkout down for EU"), std::string::npos) << root.blocks.dump();
  EXPECT_NE(root.blocks.dump().find("sev1"), std::string::npos);
  // The channel it was declared in is told where to go, and the declarer got a private answer.
  ASSERT_TRUE(test::eventually([&] {
    const auto here = s_.emulator().messages(kChannel);
    return !here.empty() && here.front().blocks.dump().find("<#" + incident_channel + ">") != std::string::npos;
  })) << s_.posts();
  ASSERT_TRUE(test::eventually([&] { return s_.responses().find("Declared incident") != std::string::npos; }))
      << s_.responses();

  auto store = s_.store();
  auto incidents = store->list_incidents(10, true);
  ASSERT_EQ(incidents.size(), 1u);
  const auto incident = incidents.front();
  EXPECT_EQ(incident.title, "Checkout down for EU");
  EXPECT_EQ(incident.severity, "sev1");
  EXPECT_EQ(incident.source, "slack");
  EXPECT_EQ(incident.declared_by, kCommander);
  EXPECT_EQ(incident.channel, incident_channel);
  EXPECT_EQ(incident.thread_ts, root.ts);

  // /triage in the incident's channel attaches the run; the approval runs the fix once.
  s_.slash("/triage", "api is down", kCommander, incident_channel, "inc");
  ASSERT_TRUE(test::eventually([&] { return s_.approval_tokens().size() == 1; })) << s_.log() << s_.posts();
  s_.click("approval.approve", s_.approval_tokens()[0], kApprover, incident_channel);
  std::string run_id;
  ASSERT_TRUE(test::eventually([&] {
    auto st = s_.store();
    const auto runs = st->runs_for_incident(incident.id);
    if (runs.size() == 1 && runs[0].state == RunState::Succeeded) {
      run_id = runs[0].id;
      return true;
    }
    return false;
  })) << s_.log();

  // /incident status in that channel shows it, with its run.
  s_.slash("/incident", "status", kCommander, incident_channel, "inc");
  ASSERT_TRUE(test::eventually([&] { return s_.responses().find("*Runs*") != std::string::npos; })) << s_.responses();
  EXPECT_NE(s_.responses().find(run_id.substr(0, 8)), std::string::npos);

  // Resolve: the record, the root message rewritten, a line in its thread.
  s_.slash("/incident", "resolve", kCommander, incident_channel, "inc");
  ASSERT_TRUE(test::eventually([&] {
    auto st = s_.store();
    const auto i = st->get_incident(incident.id);
    return i && i->state == "resolved" && i->resolved_at;
  })) << s_.log();
  ASSERT_TRUE(test::eventually([&] {
    for (const auto& m : s_.emulator().messages(incident_channel)) {
      if (m.ts == root.ts && m.edited && m.blocks.dump().find("resolved by <@U0IC00001>") != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << s_.posts();
  ASSERT_TRUE(test::eventually([&] {
    for (const auto& m : s_.emulator().messages(incident_channel)) {
      if (m.thread_ts == root.ts && m.blocks.dump().find("Resolved by <@U0IC00001>") != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << s_.posts();
  // A second resolve says so and changes nothing.
  s_.slash("/incident", "resolve " + incident.id.substr(0, 8), kCommander, kChannel);
  ASSERT_TRUE(test::eventually([&] { return s_.responses().find("already resolved") != std::string::npos; }));

  // /incident timeline: a Markdown document in the incident's thread with everything that happened.
  s_.slash("/incident", "timeline", kCommander, incident_channel, "inc");
  std::string doc;
  ASSERT_TRUE(test::eventually([&] {
    for (const auto& c : s_.emulator().calls("chat.postMessage")) {
      const auto text = block_text(c.args);
      if (text.find("# Incident: Checkout down for EU") != std::string::npos) {
        EXPECT_EQ(c.args.value("thread_ts", ""), root.ts);
        doc = text;
        return true;
      }
    }
    return false;
  })) << s_.posts();
  EXPECT_NE(doc.find("| Incident declared | @U0IC00001 | sev1, declared in #incidents |"), std::string::npos) << doc;
  EXPECT_NE(doc.find("| Channel created | vigil |"), std::string::npos) << doc;
  EXPECT_NE(doc.find("Approval requested"), std::string::npos) << doc;
  EXPECT_NE(doc.find("## Approvals"), std::string::npos) << doc;
  EXPECT_NE(doc.find("| restart-api/restart | medium |"), std::string::npos) << doc;
  EXPECT_NE(doc.find("| approved | @U0APPROVER |"), std::string::npos) << doc;
  EXPECT_NE(doc.find("## Actions"), std::string::npos) << doc;
  EXPECT_NE(doc.find("deployment.apps/api restarted"), std::string::npos) << doc;
  EXPECT_NE(doc.find("| Incident resolved | @U0IC00001 |"), std::string::npos) << doc;
  EXPECT_NE(doc.find("Resolved at "), std::string::npos) << doc;

  // /triage timeline <run>: the run's own Markdown timeline, in the run's thread.
  s_.slash("/triage", "timeline " + run_id.substr(0, 8), kCommander, incident_channel, "inc");
  ASSERT_TRUE(test::eventually([&] {
    for (const auto& c : s_.emulator().calls("chat.postMessage")) {
      if (block_text(c.args).find("# Run " + run_id.substr(0, 8) + " — fixed") != std::string::npos) {
        return !c.args.value("thread_ts", "").empty();
      }
    }
    return false;
  })) << s_.posts();

  // The terminal prints the same Markdown from the database.
  s_.stop();
  const auto show = test::run_process({test::vigil_binary().string(), "--config", (s_.dir() / "vigil.yaml").string(),
                                       "incidents", "show", incident.id.substr(0, 8)});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("# Incident: Checkout down for EU"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("| approved | @U0APPROVER |"), std::string::npos) << show.out;
  const auto list = test::run_process(
      {test::vigil_binary().string(), "--config", (s_.dir() / "vigil.yaml").string(), "incidents", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("resolved  sev1  slack  Checkout down for EU"), std::string::npos) << list.out;
  const auto run_md = test::run_process(
      {test::vigil_binary().string(), "--config", (s_.dir() / "vigil.yaml").string(), "runs", "show", run_id});
  EXPECT_EQ(run_md.exit_code, 0) << run_md.err;
  EXPECT_NE(run_md.out.find("| Incident | Checkout down for EU `" + incident.id.substr(0, 8) + "` |"),
            std::string::npos)
      << run_md.out;
}

TEST_F(Incidents, WithoutItsOwnChannelAndMistakes) {
  s_.start(config(false));
  // Usage mistakes are answered in the ack itself.
  s_.slash("/incident", "declare", kCommander, kChannel);
  EXPECT_NE(s_.last_ack().dump().find("needs a title"), std::string::npos) << s_.last_ack().dump();
  s_.slash("/incident", "frobnicate", kCommander, kChannel);
  EXPECT_NE(s_.last_ack().dump().find("I don't know"), std::string::npos);
  // Nothing to resolve yet.
  s_.slash("/incident", "resolve", kCommander, kChannel);
  ASSERT_TRUE(test::eventually([&] {
    return s_.responses().find("no open incident in this channel") != std::string::npos;
  })) << s_.responses();
  s_.slash("/incident", "status", kCommander, kChannel);
  ASSERT_TRUE(test::eventually([&] { return s_.responses().find("No open incidents.") != std::string::npos; }));

  // Declared here: the root is in this channel and no channel is created.
  s_.slash("/incident", "declare Payments degraded", kCommander, kChannel);
  ASSERT_TRUE(test::eventually([&] {
    const auto here = s_.emulator().messages(kChannel);
    return !here.empty() && here.front().blocks.dump().find("Payments degraded") != std::string::npos;
  })) << s_.posts();
  EXPECT_TRUE(s_.emulator().calls("conversations.create").empty());
  auto store = s_.store();
  const auto open = store->list_incidents(10, true);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].severity, "");
  EXPECT_EQ(open[0].channel, kChannel);
  // Another channel's status lists it; an unknown id is refused clearly.
  s_.slash("/incident", "status", kCommander, "C0ELSE");
  ASSERT_TRUE(test::eventually([&] { return s_.responses().find("*Open incidents*") != std::string::npos; }));
  s_.slash("/incident", "timeline ffffffff", kCommander, kChannel);
  ASSERT_TRUE(
      test::eventually([&] { return s_.responses().find("There is no incident `ffffffff`") != std::string::npos; }));
}

TEST_F(Incidents, ChannelCreationFailureStillDeclares) {
  s_.emulator().fail_next("conversations.create", "restricted_action", 1);
  s_.start(config(true));
  s_.slash("/incident", "declare Search is slow", kCommander, kChannel);
  ASSERT_TRUE(test::eventually([&] {
    return s_.responses().find("could not create its channel") != std::string::npos;
  })) << s_.responses();
  EXPECT_NE(s_.responses().find("restricted_action"), std::string::npos);
  auto store = s_.store();
  const auto open = store->list_incidents(10, true);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].channel, kChannel);
  EXPECT_FALSE(open[0].thread_ts.empty());
}

}  // namespace
}  // namespace vigil

// `/triage`, `/runbook` and `/incident` through the slash command handler with a real HandlerContext
// (run manager over a SQLite file, the Web API against the Slack emulator): the private answer a
// person gets for each verb and mistake, and the run or audit row behind it.
#include "handlers/slash_command_handler.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/handler_harness.h"

namespace vigil::handlers {
namespace {

using test::HandlerHarness;

constexpr const char* kRequester = "U0REQUEST1";
constexpr const char* kOther = "U0OTHER001";

class SlashCommandHandlerTest : public ::testing::Test {
 protected:
  SlashCommandHandlerTest()
      : h_([](Config& c) { c.skills.dirs = {(test::fixtures_dir() / "skills_params").string()}; }) {}

  /// Runs the command and returns the private replies it added.
  std::vector<std::string> command(const slack::SlashCommand& c) {
    const auto before = h_.replies().size();
    SlashCommandHandler handler(*h_.context);
    EXPECT_TRUE(h_.run(handler.handle(c)));
    const auto all = h_.replies();
    return {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()};
  }
  std::vector<std::string> command(const std::string& name, const std::string& text,
                                   const std::string& user = kRequester) {
    return command(h_.slash(name, text, user));
  }

  RunRecord only_run() {
    const auto runs = h_.store->list_runs(10);
    EXPECT_EQ(runs.size(), 1u);
    return runs.empty() ? RunRecord{} : runs.front();
  }

  HandlerHarness h_;
};

TEST_F(SlashCommandHandlerTest, TriageRecordsTheRunAndSaysWhereItStands) {
  const auto replies = command("/triage", "checkout 5xx since 14:02");
  const auto run = only_run();
  EXPECT_EQ(replies, std::vector<std::string>{":hourglass: Run `" + run.id.substr(0, 8) +
                                              "` is queued (position 1); it starts when a slot is free."});
  EXPECT_EQ(run.text, "checkout 5xx since 14:02");
  EXPECT_EQ(run.requester, kRequester);
  EXPECT_EQ(run.channel, HandlerHarness::kChannel);
  EXPECT_EQ(run.trigger_kind, "slash_command");
  EXPECT_TRUE(run.incident_id.empty()) << "no incident declared here";
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.requested"});
}

// Several clusters: a run started in a channel bound to one works on it (its trigger, kept with
// the run, says so); in an unbound channel, or with one cluster, on the default.
TEST(SlashCommandClusters, ARunInABoundChannelWorksOnThatChannelsCluster) {
  HandlerHarness h([](Config& c) {
    c.skills.dirs = {(test::fixtures_dir() / "skills_params").string()};
    c.kubernetes.cluster = "us";
    c.kubernetes.read_only_kubeconfig = "/etc/vigil/us-ro";
    c.kubernetes.remediation_kubeconfig = "/etc/vigil/us-rw";
    ClusterConfig eu;
    eu.name = "eu";
    eu.read_only_kubeconfig = "/etc/vigil/eu-ro";
    eu.remediation_kubeconfig = "/etc/vigil/eu-rw";
    c.kubernetes.clusters = {eu};
    c.channels.front().cluster = "eu";
  });
  SlashCommandHandler handler(*h.context);
  ASSERT_TRUE(h.run(handler.handle(h.slash("/triage", "checkout 5xx", kRequester))));
  const auto runs = h.store->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  std::string cluster;
  for (const auto& e : h.store->list_events(runs[0].id)) {
    if (e.kind == "trigger") {
      cluster = nlohmann::json::parse(e.data).value("cluster", "");
    }
  }
  EXPECT_EQ(cluster, "eu");
}

TEST_F(SlashCommandHandlerTest, TheSameRequestDeliveredTwiceStartsOneRun) {
  const auto c = h_.slash("/triage", "checkout 5xx", kRequester);
  command(c);
  const auto again = command(c);
  const auto run = only_run();
  EXPECT_EQ(again,
            std::vector<std::string>{"This request already started run `" + run.id.substr(0, 8) + "` (queued)."});
}

TEST_F(SlashCommandHandlerTest, TriageInTheChannelOfADeclaredIncidentBelongsToIt) {
  IncidentDeclaration d;
  d.title = "Checkout down";
  d.severity = "sev1";
  d.channel = HandlerHarness::kChannel;
  d.channel_name = "incidents";
  d.declared_by = kOther;
  const auto incident = h_.incidents->declare(d);
  ASSERT_TRUE(incident);
  command("/triage", "checkout 5xx");
  EXPECT_EQ(only_run().incident_id, incident->id);
}

TEST_F(SlashCommandHandlerTest, StatusAndListWithoutRunsSaySo) {
  EXPECT_EQ(command("/triage", "status"),
            std::vector<std::string>{"No active runs in this channel.\n*Limits on agent runs*: you 5 of 5 left (one "
                                     "more every 5m); this channel 10 of 10 left (one more every 2m)."});
  EXPECT_EQ(command("/triage", "list"), std::vector<std::string>{"No runs yet."});
  EXPECT_EQ(command("/triage", "status abcdef12"), std::vector<std::string>{"There is no run `abcdef12`."});
}

TEST_F(SlashCommandHandlerTest, ListShowsTheRunStartedHere) {
  command("/triage", "checkout 5xx");
  const auto run = only_run();
  const auto replies = command("/triage", "list");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].rfind("*Recent runs*\n• `" + run.id.substr(0, 8) + "` ", 0), 0u) << replies[0];
  EXPECT_NE(replies[0].find("checkout 5xx — runbook, "), std::string::npos) << replies[0];
  EXPECT_NE(replies[0].find(", by <@" + std::string(kRequester) + ">"), std::string::npos) << replies[0];
}

TEST_F(SlashCommandHandlerTest, CancelBySomeoneElseIsRefusedAndAudited) {
  command("/triage", "checkout 5xx");
  const auto run = only_run();
  const auto replies = command("/triage", "cancel " + run.id.substr(0, 8), kOther);
  EXPECT_EQ(replies, std::vector<std::string>{"Only the person who started run `" + run.id.substr(0, 8) +
                                              "` or an approver can cancel it."});
  EXPECT_EQ(h_.audit_actions(), (std::vector<std::string>{"run.requested", "run.cancel_refused"}));
  EXPECT_EQ(command("/triage", "cancel abcdef12"), std::vector<std::string>{"There is no run `abcdef12`."});
}

TEST_F(SlashCommandHandlerTest, TheRequesterCancelsTheirRun) {
  command("/triage", "checkout 5xx");
  const auto run = only_run();
  EXPECT_EQ(command("/triage", "cancel " + run.id.substr(0, 8)),
            std::vector<std::string>{":octagonal_sign: Cancelling run `" + run.id.substr(0, 8) + "`."});
  EXPECT_EQ(h_.store->get_run(run.id)->state, RunState::Cancelled);
  EXPECT_EQ(h_.audit_actions(), (std::vector<std::string>{"run.requested", "run.cancelled"}));
  EXPECT_EQ(command("/triage", "cancel " + run.id.substr(0, 8)),
            std::vector<std::string>{"Run `" + run.id.substr(0, 8) + "`: run already cancelled."});
}

TEST_F(SlashCommandHandlerTest, OnlyAnApproverResumesAutomaticTriage) {
  EXPECT_EQ(command("/triage", "resume-auto backend:runbook", kOther),
            std::vector<std::string>{"Only an approver can resume automatic triage."});
  EXPECT_EQ(command("/triage", "resume-auto backend:runbook", HandlerHarness::kApprover),
            std::vector<std::string>{"Automatic triage with `backend:runbook` was not paused."});
  EXPECT_EQ(h_.audit_actions(), (std::vector<std::string>{"auto_triage.resume_refused", "auto_triage.resumed"}));
}

TEST_F(SlashCommandHandlerTest, HelpIsTheUsage) {
  EXPECT_EQ(command("/triage", "help"), std::vector<std::string>{triage_usage()});
  EXPECT_EQ(command("/runbook", "help"), std::vector<std::string>{runbook_usage()});
}

TEST_F(SlashCommandHandlerTest, RunbookListShowAndUnknownRunbooks) {
  const auto list = command("/runbook", "list");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].rfind("*Runbooks*\n• `pod-crashloop` Pod crash-looping", 0), 0u) << list[0];
  const auto show = command("/runbook", "show pod-crashloop");
  ASSERT_EQ(show.size(), 1u);
  EXPECT_EQ(show[0].rfind("*Pod crash-looping* (`pod-crashloop`)\n", 0), 0u) << show[0];
  EXPECT_NE(show[0].find("\n• `namespace` (required) from the incident's labels.namespace: the pod's namespace"),
            std::string::npos)
      << show[0];
  EXPECT_EQ(command("/runbook", "show nope"),
            std::vector<std::string>{"There is no runbook `nope`; `/runbook list` shows them."});
  EXPECT_EQ(command("/runbook", "run nope"), std::vector<std::string>{"There is no runbook `nope`."});
  EXPECT_TRUE(h_.store->list_runs(10).empty());
}

TEST_F(SlashCommandHandlerTest, RunbookRunWithAMissingParameterStartsNothingAndGivesTheUsage) {
  const auto replies = command("/runbook", "run pod-crashloop namespace=prod");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].rfind(":warning: ", 0), 0u) << replies[0];
  EXPECT_NE(replies[0].find("Nothing was started. *Usage:* "), std::string::npos) << replies[0];
  EXPECT_TRUE(h_.store->list_runs(10).empty());
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.refused"});
}

TEST_F(SlashCommandHandlerTest, RunbookRunStartsTheRunbook) {
  const auto replies = command("/runbook", "run pod-crashloop namespace=prod pod=api-1");
  const auto run = only_run();
  EXPECT_EQ(replies, std::vector<std::string>{":rocket: Running `pod-crashloop` as run `" + run.id.substr(0, 8) +
                                              "`; steps that change something will ask for approval."});
  EXPECT_EQ(run.skill, "pod-crashloop");
  EXPECT_EQ(run.text, "/runbook run pod-crashloop");
}

TEST_F(SlashCommandHandlerTest, IncidentCommandsGoToTheIncidentHandler) {
  EXPECT_EQ(command("/incident", "status"), std::vector<std::string>{"No open incidents."});
}

TEST(SlashCommandHandlerText, StartResultSaysWhatBecameOfTheRequest) {
  StartResult now;
  now.run_id = "0123456789abcdef";
  now.created = true;
  EXPECT_EQ(start_result_text(now), ":rocket: Starting run `01234567`; follow it in the thread I'm posting here.");
  StartResult queued;
  queued.run_id = "0123456789abcdef";
  queued.created = true;
  queued.queue_position = 2;
  EXPECT_EQ(start_result_text(queued),
            ":hourglass: Run `01234567` is queued (position 2); it starts when a slot is free.");
  StartResult seen = queued;
  seen.created = false;
  seen.state = RunState::Running;
  EXPECT_EQ(start_result_text(seen), "This request already started run `01234567` (running).");
  const Result<StartResult> failed = make_error(Errc::Unavailable, "queue <full>");
  EXPECT_EQ(start_result_text(failed), ":warning: Could not start a run: queue &lt;full&gt;");
}

}  // namespace
}  // namespace vigil::handlers

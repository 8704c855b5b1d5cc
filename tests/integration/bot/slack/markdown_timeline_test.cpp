#include "bot/slack/markdown_timeline.h"

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil {
namespace {

constexpr long long kT0 = 1'800'000'000;  // 2027-01-15 08:00:00 UTC

class MarkdownTimeline : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);

    incident_.id = "0b9d4e1a-0000-4000-8000-000000000002";
    incident_.title = "ApiDown | prod";
    incident_.severity = "critical";
    incident_.source = "alertmanager";
    incident_.fingerprint = "fp1";
    incident_.declared_by = "alertmanager";
    incident_.created_at = kT0;
    incident_.alert_count = 3;
    ASSERT_TRUE(store_->create_incident(incident_));
    store_->append_incident_event(
        {0, incident_.id, kT0 * 1000, "alert_fired", "alertmanager", "ApiDown: api 5xx [critical]"});
    store_->append_incident_event(
        {0, incident_.id, (kT0 + 300) * 1000, "alert_repeat", "alertmanager", "ApiDown fired again (2×)"});

    run_.id = "6f1c2d3e-0000-4000-8000-000000000001";
    run_.incident_id = incident_.id;
    run_.trigger_kind = "webhook";
    run_.trigger_key = "alert:" + incident_.id;
    run_.requester = "alertmanager";
    run_.text = "ApiDown";
    run_.backend = "runbook";
    run_.skill = "restart-api";
    run_.created_at = kT0 + 1;
    ASSERT_TRUE(store_->create_run(run_));
    ASSERT_TRUE(store_->transition_run(run_.id, {RunState::Queued}, RunState::Running, (kT0 + 2) * 1000));
    ASSERT_TRUE(store_->transition_run(run_.id, {RunState::Running}, RunState::Succeeded, (kT0 + 125) * 1000));
    store_->set_run_summary(run_.id, "Restarted *api*; p99 back under 300 ms.");
    const auto ev = [&](long long at_s, const char* kind, const char* actor, const std::string& text) {
      store_->append_event({0, run_.id, at_s * 1000, kind, actor, text, ""});
    };
    ev(kT0 + 1, "trigger", "alertmanager", "webhook");
    ev(kT0 + 2, "started", "system", "started");
    ev(kT0 + 3, "thinking", "agent", "internal musing that stays out");
    ev(kT0 + 4, "tool_call", "agent", "bash: kubectl get pods -n prod | grep api\nsecond line");
    ev(kT0 + 5, "finding", "runbook", "pods of api are CrashLoopBackOff");
    ev(kT0 + 6, "approval_requested", "system", "restart needs approval");
    ev(kT0 + 60, "approval_approved", "U0APPROVER", "approved");
    ev(kT0 + 61, "step_started", "system", "restart");
    ev(kT0 + 70, "step_finished", "system", "restart succeeded");
    ev(kT0 + 125, "finished", "system", "succeeded");

    StepRecord look;
    look.run_id = run_.id;
    look.skill = "restart-api";
    look.step = "look";
    look.seq = 1;
    look.argv = {"kubectl", "get", "pods", "-n", "prod"};
    store_->create_step(look);
    store_->transition_step(look.id, {StepState::Pending}, StepState::Running, kT0 + 4);
    store_->finish_step(look.id, StepState::Succeeded, 0, std::nullopt, "3 pods", false, "", kT0 + 5);
    StepRecord restart;
    restart.run_id = run_.id;
    restart.skill = "restart-api";
    restart.step = "restart";
    restart.seq = 2;
    restart.argv = {"kubectl", "rollout", "restart", "deployment/api", "-n", "prod"};
    restart.mutating = true;
    store_->create_step(restart);
    store_->transition_step(restart.id, {StepState::Pending}, StepState::Running, kT0 + 61);
    store_->finish_step(restart.id, StepState::Succeeded, 0, std::nullopt, "restarted", false, "", kT0 + 70);

    ApprovalRecord a;
    a.token = "00112233445566778899aabbccddeeff";
    a.run_id = run_.id;
    a.step_id = restart.id;
    a.argv_hash = "h";
    a.requester = "alertmanager";
    a.policy = "{}";
    a.risk = "medium";
    a.created_at = kT0 + 6;
    a.expires_at = kT0 + 1806;
    ASSERT_TRUE(store_->create_approval(a));
    ASSERT_TRUE(
        store_->claim_approval_decision(a.token, Decision::Approve, "U0APPROVER", "looks right | go", kT0 + 60));
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  IncidentRecord incident_;
  RunRecord run_;
};

TEST_F(MarkdownTimeline, RunHasTriggerToolCallsApprovalsActionsAndOutcome) {
  const auto md = format_run_markdown(*store_, *store_->get_run(run_.id));
  EXPECT_EQ(md.rfind("# Run 6f1c2d3e — succeeded\n", 0), 0u) << md;
  EXPECT_NE(md.find("| Incident | ApiDown \\| prod `0b9d4e1a` |"), std::string::npos) << "pipes escaped\n" << md;
  EXPECT_NE(md.find("| Trigger | webhook by alertmanager |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Backend | runbook (runbook `restart-api`) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 2027-01-15 08:00:01 | Triggered | alertmanager | webhook: ApiDown |"), std::string::npos) << md;
  // One line per row: the tool call's newline and pipe cannot break the table.
  EXPECT_NE(md.find("| Tool call | agent | bash: kubectl get pods -n prod \\| grep api second line |"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("internal musing"), std::string::npos) << "agent thinking stays out";
  EXPECT_NE(md.find("| 2027-01-15 08:01:00 | Approved | @U0APPROVER | approved |"), std::string::npos) << md;
  EXPECT_NE(md.find("## Approvals\n\n| Step | Risk | Asked | By | Decision | Decided by | At | Reason |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| restart-api/restart | medium | 2027-01-15 08:00:06 | alertmanager | approved | @U0APPROVER | "
                    "2027-01-15 08:01:00 | looks right \\| go |"),
            std::string::npos)
      << md;
  // Actions (what changed something) apart from diagnostics.
  const auto actions = md.find("## Actions");
  const auto diagnostics = md.find("## Diagnostics");
  ASSERT_NE(actions, std::string::npos) << md;
  ASSERT_NE(diagnostics, std::string::npos) << md;
  EXPECT_NE(
      md.find("| 2 | restart-api/restart | `kubectl rollout restart deployment/api -n prod` | succeeded, exit 0, 9s |"),
      actions)
      << md;
  EXPECT_GT(md.find("| 1 | restart-api/look |"), diagnostics) << md;
  EXPECT_NE(md.find("## Outcome\n\n**succeeded** after 2m 3s\n\nRestarted *api*; p99 back under 300 ms.\n"),
            std::string::npos)
      << md;
  // Every table row has the same number of cells as its header.
  std::size_t pos = 0;
  std::size_t header_cells = 0;
  while (pos < md.size()) {
    const auto end = md.find('\n', pos);
    const auto line = md.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] != '|') {
      header_cells = 0;
      continue;
    }
    std::size_t cells = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      cells += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
    }
    if (header_cells == 0) {
      header_cells = cells;
    }
    EXPECT_EQ(cells, header_cells) << line;
  }
}

TEST_F(MarkdownTimeline, IncidentMergesItsEventsAndItsRunsInTimeOrder) {
  store_->resolve_incident(incident_.id, kT0 + 3600);
  store_->append_incident_event(
      {0, incident_.id, (kT0 + 3600) * 1000, "alert_resolved", "alertmanager", "ApiDown resolved"});
  store_->append_incident_event(
      {0, incident_.id, (kT0 + 3600) * 1000, "resolved", "alertmanager", "the alert source reports it resolved"});
  const auto md = format_incident_markdown(*store_, *store_->get_incident(incident_.id));
  EXPECT_EQ(md.rfind("# Incident: ApiDown \\| prod\n", 0), 0u) << md;
  EXPECT_NE(md.find("| State | **resolved** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Resolved | 2027-01-15 09:00:00 (after 1h 0m) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Alerts | 3 |"), std::string::npos) << md;
  const auto fired = md.find("| Alert fired | alertmanager | ApiDown: api 5xx [critical] |");
  const auto trigger = md.find("| Run `6f1c2d3e`: Triggered |");
  const auto repeat = md.find("| Alert repeated | alertmanager | ApiDown fired again (2×) |");
  const auto finding = md.find("| Run `6f1c2d3e`: Finding |");
  const auto resolved = md.find("| Incident resolved | alertmanager |");
  ASSERT_NE(fired, std::string::npos) << md;
  ASSERT_NE(trigger, std::string::npos) << md;
  ASSERT_NE(repeat, std::string::npos) << md;
  ASSERT_NE(resolved, std::string::npos) << md;
  EXPECT_LT(fired, trigger);
  EXPECT_LT(finding, repeat) << "08:00:05 before 08:05:00";
  EXPECT_LT(repeat, resolved);
  EXPECT_NE(md.find("| `6f1c2d3e` | webhook by alertmanager | runbook (`restart-api`) | **succeeded** after 2m 3s |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| `6f1c2d3e` | restart-api/restart | medium |"), std::string::npos) << md;
  EXPECT_NE(md.find("Resolved at 2027-01-15 09:00:00, 1h 0m after it opened."), std::string::npos) << md;
  EXPECT_NE(md.find("**Run `6f1c2d3e`** (succeeded): Restarted *api*"), std::string::npos) << md;
}

// Every agent turn of every run of the incident is summed in one line at the end: duration, and
// tokens and cost where the CLIs reported them; a run without agent turns has no such line.
TEST_F(MarkdownTimeline, AgentUsageIsSummedPerIncidentInALineAtTheEnd) {
  EXPECT_EQ(format_incident_markdown(*store_, incident_).find("Agent usage"), std::string::npos);
  RunRecord agent = run_;
  agent.id = "7a2b3c4d-0000-4000-8000-000000000003";
  agent.trigger_key = "mention:1";
  agent.backend = "claude-code";
  agent.skill.clear();
  ASSERT_TRUE(store_->create_run(agent));
  RunRecord other = agent;
  other.id = "8b3c4d5e-0000-4000-8000-000000000004";
  other.trigger_key = "mention:2";
  other.incident_id.clear();  // another incident's: not counted
  ASSERT_TRUE(store_->create_run(other));
  store_->add_agent_turn({agent.id, "claude-code", kT0 * 1000, 61'000, "failed", false, 12, 0, 0.0});
  store_->add_agent_turn({agent.id, "claude-code", kT0 * 1000, 190'000, "succeeded", true, 45'000, 1'203, 0.4123});
  store_->add_agent_turn(
      {run_.id, "codex", kT0 * 1000, 1'000, "succeeded", false, std::nullopt, std::nullopt, std::nullopt});
  store_->add_agent_turn({other.id, "claude-code", kT0 * 1000, 9'000'000, "succeeded", false, 1, 1, 100.0});
  const auto md = format_incident_markdown(*store_, incident_);
  const std::string line =
      "**Agent usage:** 2 runs, 3 turns, 4m 12s; 45,012 tokens in, 1,203 out; $0.4123 (as the agent CLIs reported)\n";
  ASSERT_NE(md.find(line), std::string::npos) << md;
  EXPECT_EQ(md.size() - md.rfind(line), line.size()) << "the last line";
  const auto run_md = format_run_markdown(*store_, *store_->get_run(run_.id));
  EXPECT_NE(run_md.find("**Agent usage:** 1 run, 1 turn, 1s; tokens not reported (as the agent CLIs reported)"),
            std::string::npos)
      << run_md;
}

// People are named where their names are known: the Who column, approvers, and ids inside event
// texts ("denied by U0…"); an id without a name stays an id.
TEST_F(MarkdownTimeline, PeopleAreNamedWhereTheirNamesAreKnown) {
  store_->append_event({0, run_.id, (kT0 + 130) * 1000, "note", "U0DEMOSAM1", "cancel requested by U0DEMOSAM1", ""});
  store_->append_event(
      {0, run_.id, (kT0 + 131) * 1000, "approval_denied", "U0APPROVER", "undo: denied by U0APPROVER", ""});
  const auto people = people_in_run(*store_, *store_->get_run(run_.id));
  EXPECT_EQ(people, (std::set<std::string>{"U0APPROVER", "U0DEMOSAM1"}));
  const PeopleNames names{{"U0APPROVER", "alex"}};
  const auto md = format_run_markdown(*store_, *store_->get_run(run_.id), names);
  EXPECT_NE(md.find("| 2027-01-15 08:01:00 | Approved | @alex (U0APPROVER) | approved |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Denied | @alex (U0APPROVER) | undo: denied by @alex (U0APPROVER) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| approved | @alex (U0APPROVER) | 2027-01-15 08:01:00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Note | @U0DEMOSAM1 | cancel requested by U0DEMOSAM1 |"), std::string::npos)
      << "no name known: the id\n"
      << md;
  EXPECT_EQ(md.find("| @U0APPROVER |"), std::string::npos) << "never a bare id where a name is known\n" << md;
  const auto incident_md = format_incident_markdown(*store_, *store_->get_incident(incident_.id), names);
  EXPECT_NE(
      incident_md.find("| `6f1c2d3e` | restart-api/restart | medium | 2027-01-15 08:00:06 | alertmanager | approved | "
                       "@alex (U0APPROVER) |"),
      std::string::npos)
      << incident_md;
}

TEST(FormatDuration, ReadsLikeAPerson) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(59), "59s");
  EXPECT_EQ(format_duration(123), "2m 3s");
  EXPECT_EQ(format_duration(3600), "1h 0m");
  EXPECT_EQ(format_duration(90000), "1d 1h");
  EXPECT_EQ(format_duration(-5), "0s");
}

}  // namespace
}  // namespace vigil

// The terminal gate (`vigil skills run`, `vigil triage --local`): what it shows, what it reads, and
// the approval rows it writes to the audit log (it is their one writer on the terminal).
#include "bot/cli/terminal_gate.h"

#include <optional>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "bot/store/store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_paths.h"

namespace vigil::skills {
namespace {

class TerminalGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    RunRecord run;
    run.id = "r1";
    run.trigger_kind = "cli";
    run.trigger_key = "cli:r1";
    run.backend = "runbook";
    run.state = RunState::Running;
    run.created_at = 1;
    ASSERT_TRUE(store_->create_run(run));
  }

  GateRequest request() const {
    GateRequest r;
    r.run_id = "r1";
    r.step_id = 7;
    r.skill = "pod-crashloop";
    r.step = "restart_deployment";
    r.step_key = "restart_deployment";
    r.argv = {"kubectl", "rollout", "restart", "deployment/api"};
    r.argv_hash = "sha256:abc";
    r.requester = "cli:ana";
    return r;
  }

  static Task<> ask(TerminalGate& gate, GateRequest r, std::optional<GateDecision>& out) {
    out = co_await gate.request(std::move(r));
  }

  GateDecision decide(const std::string& typed, bool auto_approve) {
    std::istringstream in(typed);
    TerminalGate gate(in, out_, auto_approve, "cli:bo", *store_, clock_);
    std::optional<GateDecision> decision;
    boost::asio::io_context io;
    spawn(io.get_executor(), ask(gate, request(), decision), null_logger(), "ask");
    io.run();
    return *decision;
  }

  std::vector<std::string> audit() {
    std::vector<std::string> rows;
    for (const auto& a : store_->list_audit("r1")) {
      rows.push_back(a.action + " " + a.actor + ": " + a.detail);
    }
    return rows;
  }

  test::TempDir dir_;
  test::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::ostringstream out_;
};

TEST_F(TerminalGateTest, AnApprovalOnTheTerminalIsAuditedAsRequestedAndApproved) {
  const auto d = decide("yes\n", false);
  EXPECT_EQ(d.outcome, GateOutcome::Approved);
  EXPECT_EQ(d.decided_by, "cli:bo");
  EXPECT_EQ(d.argv_hash, "sha256:abc");
  EXPECT_NE(out_.str().find("argv: [kubectl] [rollout] [restart] [deployment/api]"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("type yes to approve"), std::string::npos);
  const std::vector<std::string> expected = {
      "approval.requested cli:ana: restart_deployment sha256:abc",
      "approval.approved cli:bo: restart_deployment sha256:abc",
  };
  EXPECT_EQ(audit(), expected);
}

TEST_F(TerminalGateTest, DenialEndOfInputAndYesAreEachOneDecisionRow) {
  EXPECT_EQ(decide("no\n", false).outcome, GateOutcome::Denied);
  EXPECT_EQ(decide("", false).outcome, GateOutcome::Cancelled);
  EXPECT_EQ(decide("", true).outcome, GateOutcome::Approved);
  const std::vector<std::string> expected = {
      "approval.requested cli:ana: restart_deployment sha256:abc",
      "approval.denied cli:bo: restart_deployment sha256:abc",
      "approval.requested cli:ana: restart_deployment sha256:abc",
      "approval.cancelled cli:bo: restart_deployment sha256:abc no answer (end of input)",
      "approval.requested cli:ana: restart_deployment sha256:abc",
      "approval.approved cli:bo: restart_deployment sha256:abc --yes",
  };
  EXPECT_EQ(audit(), expected);
}

TEST_F(TerminalGateTest, ARefusedBindingIsAuditedByTheGate) {
  std::istringstream in;
  TerminalGate gate(in, out_, true, "cli:bo", *store_, clock_);
  GateDecision approved{GateOutcome::Approved, "sha256:000", "cli:bo", ""};
  gate.refused(request(), approved);
  const std::vector<std::string> expected = {
      "approval.refused system: restart_deployment approved sha256:000 but argv is sha256:abc",
  };
  EXPECT_EQ(audit(), expected);
}

}  // namespace
}  // namespace vigil::skills

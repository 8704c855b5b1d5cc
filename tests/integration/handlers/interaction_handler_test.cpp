// Button clicks and modal submissions through the interaction handler with a real HandlerContext
// (the gate, the run manager and the alert buttons over a SQLite file, the Web API against the Slack
// emulator): a refused click gets its reason privately and changes nothing; what nobody should send
// leaves only an audit row.
#include "handlers/interaction_handler.h"

#include <gtest/gtest.h>

#include "bot/slack/parameter_ask.h"
#include "tests/support/handler_harness.h"

namespace vigil::handlers {
namespace {

using test::HandlerHarness;

constexpr const char* kRequester = "U0REQUEST1";
constexpr const char* kOther = "U0OTHER001";
constexpr const char* kRunId = "00000000-0000-4000-8000-0000000000c1";
constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

class InteractionHandlerTest : public ::testing::Test {
 protected:
  /// Handles the click and returns the private replies it added.
  std::vector<std::string> click(const slack::BlockAction& a) {
    const auto before = h_.replies().size();
    InteractionHandler handler(*h_.context);
    EXPECT_TRUE(h_.run(handler.handle(a)));
    const auto all = h_.replies();
    return {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()};
  }
  std::vector<std::string> click(const std::string& action_id, const std::string& value,
                                 const std::string& user = kRequester) {
    return click(h_.click(action_id, value, user));
  }

  /// A run of kRequester in the harness's channel, in `state`, written straight to the store.
  RunRecord recorded_run(RunState state) {
    RunRecord r;
    r.id = kRunId;
    r.trigger_kind = "slash_command";
    r.trigger_key = "k-c1";
    r.requester = kRequester;
    r.text = "checkout 5xx";
    r.backend = "runbook";
    r.state = state;
    r.channel = HandlerHarness::kChannel;
    r.thread_ts = "1800000000.000001";
    r.created_at = to_unix(h_.clock.now());
    EXPECT_TRUE(h_.store->create_run(r));
    return r;
  }

  HandlerHarness h_;
};

TEST_F(InteractionHandlerTest, AnUnknownActionLeavesOnlyAnAuditRow) {
  EXPECT_TRUE(click("made.up", "x").empty());
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"interaction.unknown"});
  auto anonymous = h_.click(slack::blocks::kActionCancelRun, kRunId, "");
  EXPECT_TRUE(click(anonymous).empty());
  EXPECT_EQ(h_.audit_actions(), (std::vector<std::string>{"interaction.unknown", "interaction.malformed"}));
  EXPECT_TRUE(h_.emulator.calls("chat.postMessage").empty());
}

TEST_F(InteractionHandlerTest, CancelOfARunVigilDoesNotKnowIsRefusedPrivately) {
  EXPECT_EQ(click(slack::blocks::kActionCancelRun, "no-such-run"),
            std::vector<std::string>{"That run is not known to Vigil; nothing was done."});
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.cancel_refused"});
}

TEST_F(InteractionHandlerTest, CancelBySomeoneWhoIsNeitherTheRequesterNorAnApproverIsRefused) {
  recorded_run(RunState::Running);
  EXPECT_EQ(click(slack::blocks::kActionCancelRun, kRunId, kOther),
            std::vector<std::string>{"Only the person who started this run or an approver can cancel it."});
  EXPECT_EQ(h_.store->get_run(kRunId)->state, RunState::Running) << "nothing changed";
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.cancel_refused"});
}

TEST_F(InteractionHandlerTest, CancelOfAFinishedRunSaysThereIsNothingToCancel) {
  recorded_run(RunState::Succeeded);
  EXPECT_EQ(click(slack::blocks::kActionCancelRun, kRunId),
            std::vector<std::string>{"Nothing to cancel: run already succeeded."});
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.cancel_failed"});
}

TEST_F(InteractionHandlerTest, AnApproverCancelsAQueuedRunWithoutAReply) {
  recorded_run(RunState::Queued);
  EXPECT_TRUE(click(slack::blocks::kActionCancelRun, kRunId, HandlerHarness::kApprover).empty());
  EXPECT_EQ(h_.store->get_run(kRunId)->state, RunState::Cancelled);
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.cancelled"});
}

TEST_F(InteractionHandlerTest, ApprovalClicksTheGateRefusesAreAnsweredPrivately) {
  EXPECT_EQ(click(slack::blocks::kActionApprove, kToken),
            std::vector<std::string>{"This approval is not known to Vigil; nothing was done."});
  // Deny without a trigger_id (no modal for a reason) goes to the gate at once.
  EXPECT_EQ(click(slack::blocks::kActionDeny, kToken),
            std::vector<std::string>{"This approval is not known to Vigil; nothing was done."});
  EXPECT_EQ(h_.audit_actions(), (std::vector<std::string>{"approval.refused", "approval.refused"}));
}

TEST_F(InteractionHandlerTest, ADecidedApprovalSaysWhoDecidedIt) {
  recorded_run(RunState::Running);
  ApprovalRecord a;
  a.token = kToken;
  a.run_id = kRunId;
  a.argv_hash = "hash-1";
  a.requester = kRequester;
  a.policy = "{}";
  a.risk = "low";
  a.created_at = to_unix(h_.clock.now());
  a.expires_at = a.created_at + 1800;
  ASSERT_TRUE(h_.store->create_approval(a));
  ASSERT_TRUE(h_.store->claim_approval_decision(kToken, Decision::Approve, HandlerHarness::kApprover, "",
                                                to_unix(h_.clock.now())));
  EXPECT_EQ(click(slack::blocks::kActionApprove, kToken, kOther),
            std::vector<std::string>{"This approval is already approved (by <@" +
                                     std::string(HandlerHarness::kApprover) + ">)."});
}

TEST_F(InteractionHandlerTest, AlertButtonsOnARunNotStartedByAnAlertAreRefused) {
  recorded_run(RunState::Succeeded);
  EXPECT_EQ(click(slack::blocks::kActionAlertAck, kRunId),
            std::vector<std::string>{"That alert is not known to Vigil; nothing was done."});
  EXPECT_EQ(h_.audit_actions().size(), 1u);
}

TEST_F(InteractionHandlerTest, FullOutputOfAnUnknownStepSharesNothing) {
  EXPECT_EQ(click(std::string(slack::blocks::kActionFullOutput) + ".1", std::string(kRunId) + ":99"),
            std::vector<std::string>{"That step is not known to Vigil; nothing was shared."});
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"step.output_refused"});
}

TEST_F(InteractionHandlerTest, GiveParametersForARunNotAskingIsRefusedPrivately) {
  recorded_run(RunState::Succeeded);
  EXPECT_EQ(click(kActionGiveParameters, kRunId),
            std::vector<std::string>{"That run is not waiting for parameters; nothing was done."});
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"params.refused"});
}

TEST_F(InteractionHandlerTest, AnUnknownModalLeavesOnlyAnAuditRow) {
  slack::ViewSubmission v;
  v.callback_id = "made.up";
  v.user_id = kOther;
  InteractionHandler handler(*h_.context);
  ASSERT_TRUE(h_.run(handler.handle(v)));
  EXPECT_TRUE(h_.replies().empty());
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"interaction.unknown"});
}

TEST_F(InteractionHandlerTest, ADenyReasonFromTheModalReachesTheGate) {
  slack::ViewSubmission v;
  v.callback_id = InteractionHandler::kDenyReasonCallback;
  v.user_id = kOther;
  v.private_metadata = kToken;
  v.values = {{"reason.reason", "not now"}};
  InteractionHandler handler(*h_.context);
  ASSERT_TRUE(h_.run(handler.handle(v)));
  const auto audit = h_.store->list_audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "approval.refused");
  EXPECT_EQ(audit[0].actor, kOther);
  EXPECT_EQ(audit[0].detail, "unknown approval token (deny)");
}

}  // namespace
}  // namespace vigil::handlers

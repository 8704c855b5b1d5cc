#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "bot/slack/approver_directory.h"
#include "bot/base/clock.h"
#include "bot/base/redactor.h"
#include "bot/core/config.h"
#include "bot/store/model.h"
#include "bot/slack/oncall_directory.h"
#include "integrations/slack/blocks.h"
#include "skills/approval_gate.h"

namespace vigil {

class Store;
class Metrics;
namespace slack {
class WebApi;
}

/// What a click did, for the person who clicked (an ephemeral reply) and the audit log.
struct ClickOutcome {
  enum class Kind {
    Decided,   // this click decided the approval
    Recorded,  // counted as the first of two required approvals
    Refused,   // not allowed, expired, already decided, unknown token: nothing changed
  };
  Kind kind = Kind::Refused;
  std::string message;
  std::string run_id;
};

/// When a pending approval's approvers are reminded in the run's thread (Unix seconds): once it
/// has waited 5 minutes, and again shortly before it expires (5 minutes before, or 20% of its
/// life when that is shorter), each only strictly inside its life and after the one before.
std::vector<long long> approval_reminder_times(long long created_at, long long expires_at);

/// The reminder's text: who is asked (mentions, already mrkdwn), how long the card waited, the
/// card's link and when it expires.
std::string approval_reminder_text(const std::string& mentions, long long waited_s, const std::string& card_link,
                                   const std::string& expires_at, bool last);

/// A Slack permalink to message `ts` in `channel` (inside the thread `thread_ts` when given).
std::string slack_message_link(const std::string& channel, const std::string& ts, const std::string& thread_ts);

/// The Slack approval gate (DESIGN.md §2, ideas 3 and 4). The approval row is written before the
/// card is posted; the buttons carry only an opaque 128-bit token; a click is decided with one
/// conditional update, so double clicks, two approvers racing and restarts all end in exactly one
/// decision; the decision binds to the argv hash shown on the card. Who may approve is checked on
/// every click: configured users, Slack user groups, whoever is on call now in the configured PagerDuty
/// or OpsGenie schedule (when `oncall` is given; a failed lookup never widens the policy), the step's
/// own approvers (which replace the configured ones); the requester may not
/// approve their own request unless the step allows it; high-risk steps (configurable) need two
/// distinct approvers. Approvals expire, and the card says so.
class SlackApprovalGate final : public skills::ApprovalGate {
 public:
  SlackApprovalGate(boost::asio::any_io_executor ex, Store& store, slack::WebApi& web, Clock& clock,
                    const Redactor& redactor, ApproverDirectory& directory, ApprovalsConfig config, Logger log,
                    Metrics* metrics = nullptr, OnCallDirectory* oncall = nullptr);
  ~SlackApprovalGate() override;

  Task<skills::GateDecision> request(skills::GateRequest request) override;
  /// The executor refused a decision that does not bind to the argv about to run: audited.
  void refused(const skills::GateRequest& request, const skills::GateDecision& decision) override;

  /// An Approve or Deny click (or a Deny-with-reason modal). Never throws for bad input.
  Task<ClickOutcome> click(std::string token, std::string user, Decision decision, std::string reason);
  /// Expires every overdue pending approval and updates its card (called periodically and at
  /// start-up).
  Task<> expire_due();

  /// Called before a card is posted, so the run's thread exists and reads in order.
  void set_before_card(std::function<Task<>(std::string run_id)> hook) { before_card_ = std::move(hook); }

  /// Whether `user` is an approver by the configured policy (users, groups, on call now), for
  /// actions on any run such as cancelling. A failed group lookup counts as no.
  Task<bool> is_configured_approver(std::string user);

  /// Pending approvals with a waiting run in this process.
  std::size_t waiters() const { return waiters_.size(); }

 private:
  struct Waiter {
    std::unique_ptr<boost::asio::steady_timer> wake;
  };
  /// Where a request stands once its card is out: a pending approval to wait for, or a decision.
  struct Asked {
    std::optional<ApprovalRecord> approval;
    std::optional<skills::GateDecision> decided;
  };

  /// A resumed run's earlier approval for the step: decided (its card brought up to date), still
  /// pending, or none (expired, cancelled, for another argv).
  Task<Asked> find_earlier(const skills::GateRequest& r);
  /// The approval's row (who may approve, how many, until when), not yet recorded.
  ApprovalRecord new_approval(const skills::GateRequest& r) const;
  /// Records a new approval, then posts its card (cancelled when the card cannot be shown).
  Task<Asked> ask_anew(const skills::GateRequest& r, const RunRecord& run);
  /// Waits for the click, the expiry or the run's cancellation; the decision.
  Task<skills::GateDecision> wait_for_decision(const skills::GateRequest& r, const ApprovalRecord& approval);
  /// The wait itself, posting the reminders when they are due; `timer` is cancelled by wake().
  Task<> wait_with_reminders(const ApprovalRecord& approval, boost::asio::steady_timer& timer);
  /// Why a click changes nothing (audited), or nothing when it may decide.
  Task<std::optional<std::string>> refuse_click(const ApprovalRecord& approval, const std::string& user,
                                                Decision decision);
  /// One approver's vote on an approval that needs two: every voter when this vote completes it,
  /// else nothing (`out` says what happened).
  Task<std::optional<std::string>> count_vote(const ApprovalRecord& approval, const std::string& user,
                                              ClickOutcome& out);

  /// Posts a reminder in the run's thread when the approval is still pending (audited, so a
  /// restarted gate does not repeat it).
  Task<> remind(const std::string& token, bool last);
  std::size_t reminders_sent(const ApprovalRecord& approval);
  /// `<@U…>`, `<!subteam^S…>` and whoever is on call now, as the card names them.
  Task<std::string> approver_mentions(const std::string& policy);
  Task<Result<std::string>> post_card(const RunRecord& run, const ApprovalRecord& approval,
                                      const skills::GateRequest& request);
  Task<> update_card(const ApprovalRecord& approval, const std::string& status_line);
  /// The card's "Why this fix" from the request's findings (redacted).
  slack::blocks::WhyView why_view(const skills::GateRequest& request) const;
  /// A resumed run's pending approval whose card ts never reached the store (the process died
  /// between recording the approval and Slack's answer): finds the card in the thread, or posts it
  /// again with the same token when Slack never took it.
  Task<Result<void>> recover_card(ApprovalRecord& approval, const skills::GateRequest& request);
  /// Where the approval's card is, in the store and in `approval`.
  void record_card(ApprovalRecord& approval, const std::string& channel, const std::string& ts);
  /// The decision when the card cannot be shown: cancelled, said why (logged and audited once).
  skills::GateDecision no_card_decision(const skills::GateRequest& request, const std::string& token, const Error& why);
  struct Authorisation {
    bool allowed = false;
    std::optional<Error> lookup_failed;     // a group lookup failed: nothing can be said
    std::string via;                        // how the user was allowed (for the audit), e.g. "on call in PagerDuty"
    std::optional<OnCallSnapshot> on_call;  // when the policy includes the on-call person
  };
  Task<Authorisation> authorise(const ApprovalRecord& approval, const std::string& user);
  /// The on-call line of a card, when the approval's policy includes the on-call person.
  Task<std::optional<slack::blocks::OnCallView>> on_call_view(const std::string& policy);
  std::string who_may_approve(const std::string& policy, const std::optional<OnCallSnapshot>& on_call) const;
  skills::GateDecision decision_of(const ApprovalRecord& approval) const;
  /// An audit row, counted in vigil_approvals_total when it is an approval.* action.
  void audit(const std::string& actor, const std::string& action, const std::string& run_id, const std::string& token,
             const std::string& detail);
  /// An audit row, not counted (a request that never became an approval, a refused binding).
  void record(const std::string& actor, const std::string& action, const std::string& run_id, const std::string& token,
              const std::string& detail);
  void wake(const std::string& token);
  long long now_s() const;

  boost::asio::any_io_executor ex_;
  Store& store_;
  slack::WebApi& web_;
  Clock& clock_;
  const Redactor& redactor_;
  ApproverDirectory& directory_;
  ApprovalsConfig config_;
  Logger log_;
  Metrics* metrics_ = nullptr;         // optional: vigil_approvals_total{outcome}
  OnCallDirectory* oncall_ = nullptr;  // optional: the on-call person may approve
  std::map<std::string, Waiter> waiters_;
  /// Each pending card's "Why this fix", by token, so a redrawn card keeps it.
  std::map<std::string, slack::blocks::WhyView> why_;
  std::function<Task<>(std::string)> before_card_;
};

}  // namespace vigil

#include "bot/slack/slack_approval_gate.h"

#include <algorithm>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "bot/base/ids.h"
#include "bot/base/metrics.h"
#include "bot/store/store.h"
#include "bot/core/timeline.h"
#include "integrations/slack/blocks.h"
#include "integrations/slack/web_api.h"

namespace vigil {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
using nlohmann::json;

std::vector<std::string> strings_of(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array()) {
    for (const auto& v : j[key]) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      }
    }
  }
  return out;
}

// g++ 12 mishandles braced temporaries in co_return; build decisions in a plain function.
skills::GateDecision cancelled_decision(const std::string& reason) {
  skills::GateDecision d;
  d.outcome = skills::GateOutcome::Cancelled;
  d.reason = reason;
  return d;
}

void add_unique(std::vector<std::string>& parts, const std::string& item) {
  if (std::find(parts.begin(), parts.end(), item) == parts.end()) {
    parts.push_back(item);
  }
}

bool policy_has_oncall(const json& policy) {
  return !policy.is_discarded() && policy.is_object() && policy.value("oncall", false);
}

// "<@U1>, <@U2> and 3 more": people in an ephemeral message (no notification).
std::string mentions(const std::vector<std::string>& users, const std::vector<std::string>& groups) {
  std::vector<std::string> parts;
  for (const auto& u : users) {
    parts.push_back("<@" + u + ">");
  }
  for (const auto& g : groups) {
    parts.push_back("members of <!subteam^" + g + ">");
  }
  std::string out;
  constexpr std::size_t kShown = 10;
  for (std::size_t i = 0; i < parts.size() && i < kShown; ++i) {
    out += (i == 0 ? "" : ", ") + parts[i];
  }
  if (parts.size() > kShown) {
    out += " and " + std::to_string(parts.size() - kShown) + " more";
  }
  return out;
}

}  // namespace

std::vector<long long> approval_reminder_times(long long created_at, long long expires_at) {
  constexpr long long kFirstAfter = 5 * 60;
  constexpr long long kMaxLead = 5 * 60;
  std::vector<long long> out;
  const long long life = expires_at - created_at;
  if (life <= 0) {
    return out;
  }
  if (created_at + kFirstAfter < expires_at) {
    out.push_back(created_at + kFirstAfter);
  }
  const long long lead = std::min(kMaxLead, life / 5);
  const long long last = expires_at - std::max<long long>(lead, 1);
  if (last > created_at && (out.empty() || last > out.back())) {
    out.push_back(last);
  }
  return out;
}

std::string approval_reminder_text(const std::string& mentions, long long waited_s, const std::string& card_link,
                                   const std::string& expires_at, bool last) {
  const auto who = mentions.empty() ? std::string("Approvers") : mentions;
  const auto card =
      card_link.empty() ? std::string("the card above") : "<" + slack::blocks::escape(card_link) + "|the card>";
  const long long minutes = std::max<long long>(1, waited_s / 60);
  if (last) {
    return ":hourglass_flowing_sand: " + who + ": an approval expires at " + expires_at + " without a decision (" +
           card + "). Nothing runs unless someone approves it.";
  }
  return ":bell: " + who + ": an approval has waited " + std::to_string(minutes) + " min for a decision (" + card +
         "). It expires at " + expires_at + ".";
}

std::string slack_message_link(const std::string& channel, const std::string& ts, const std::string& thread_ts) {
  if (channel.empty() || ts.empty()) {
    return {};
  }
  std::string digits;
  for (const char c : ts) {
    if (c != '.') {
      digits += c;
    }
  }
  auto link = "https://slack.com/archives/" + channel + "/p" + digits;
  if (!thread_ts.empty() && thread_ts != ts) {
    link += "?thread_ts=" + thread_ts + "&cid=" + channel;
  }
  return link;
}

SlackApprovalGate::SlackApprovalGate(boost::asio::any_io_executor ex, Store& store, slack::WebApi& web, Clock& clock,
                                     const Redactor& redactor, ApproverDirectory& directory, ApprovalsConfig config,
                                     Logger log, Metrics* metrics, OnCallDirectory* oncall)
    : ex_(std::move(ex)),
      store_(store),
      web_(web),
      clock_(clock),
      redactor_(redactor),
      directory_(directory),
      config_(std::move(config)),
      log_(std::move(log)),
      metrics_(metrics),
      oncall_(oncall) {}

SlackApprovalGate::~SlackApprovalGate() = default;

long long SlackApprovalGate::now_s() const {
  return to_unix(clock_.now());
}

void SlackApprovalGate::record(const std::string& actor, const std::string& action, const std::string& run_id,
                               const std::string& token, const std::string& detail) {
  store_.append_audit({0, to_unix_ms(clock_.now()), actor, action, run_id, token, redactor_.redact(detail)});
}

void SlackApprovalGate::audit(const std::string& actor, const std::string& action, const std::string& run_id,
                              const std::string& token, const std::string& detail) {
  record(actor, action, run_id, token, detail);
  constexpr std::string_view kPrefix = "approval.";
  if (metrics_ != nullptr && action.rfind(kPrefix, 0) == 0) {
    metrics_->inc("vigil_approvals_total", "outcome", action.substr(kPrefix.size()));
  }
}

skills::GateDecision SlackApprovalGate::decision_of(const ApprovalRecord& a) const {
  skills::GateDecision d;
  switch (a.state) {
    case ApprovalState::Approved:
      d.outcome = skills::GateOutcome::Approved;
      break;
    case ApprovalState::Denied:
      d.outcome = skills::GateOutcome::Denied;
      break;
    case ApprovalState::Expired:
      d.outcome = skills::GateOutcome::Expired;
      break;
    default:
      d.outcome = skills::GateOutcome::Cancelled;
      break;
  }
  d.argv_hash = a.argv_hash;  // the hash of the argv that was on the card
  d.decided_by = a.decided_by;
  d.reason = a.reason;
  return d;
}

Task<Result<std::string>> SlackApprovalGate::post_card(const RunRecord& run, const ApprovalRecord& a,
                                                       const skills::GateRequest& r) {
  slack::blocks::ApprovalView view;
  view.run_id = run.id;
  view.step = r.title.empty() ? r.skill + " / " + r.step : r.title;
  for (const auto& arg : r.argv) {
    view.argv.push_back(redactor_.redact(arg));
  }
  view.dry_run_output = redactor_.redact(r.dry_run_output);
  view.dry_run_ok = r.dry_run_ok;
  view.why = why_view(r);
  why_[a.token] = *view.why;
  view.cluster = a.cluster;
  view.risk = a.risk;
  view.requester = a.requester;
  view.expires_at = human_time(a.expires_at);
  view.token = a.token;
  if (a.required_approvals > 1) {
    view.status = "needs " + std::to_string(a.required_approvals) + " different approvers";
  }
  view.on_call = co_await on_call_view(a.policy);
  const auto built = slack::blocks::approval_card(view);
  slack::OutgoingMessage m;
  m.channel = run.channel;
  if (!run.thread_ts.empty()) {
    m.thread_ts = run.thread_ts;
  }
  m.text = built.text;
  m.blocks = built.blocks;
  auto posted = co_await web_.post_message(std::move(m));
  if (!posted) {
    co_return posted.error();
  }
  co_return posted->ts;
}

slack::blocks::WhyView SlackApprovalGate::why_view(const skills::GateRequest& r) const {
  slack::blocks::WhyView why;
  if (!r.findings.empty()) {
    why.diagnosis = redactor_.redact(r.findings.front().text);
    for (const auto& line : r.findings.front().evidence) {
      why.evidence.push_back(redactor_.redact(line));
    }
    for (std::size_t i = 1; i < r.findings.size() && i < 4; ++i) {
      why.also.push_back(redactor_.redact(r.findings[i].text));
    }
  }
  why.full_output = "`vigil runs show " + r.run_id.substr(0, 8) + "`";
  return why;
}

Task<> SlackApprovalGate::update_card(const ApprovalRecord& a, const std::string& status_line) {
  if (a.channel.empty() || a.message_ts.empty()) {
    co_return;
  }
  std::string step = "step";
  std::vector<std::string> argv;
  if (a.step_id) {
    if (const auto s = store_.get_step(*a.step_id)) {
      step = (s->skill.empty() ? "" : s->skill + " / ") + s->step;
      for (const auto& arg : s->argv) {
        argv.push_back(redactor_.redact(arg));
      }
    }
  }
  slack::blocks::Message built;
  if (a.state == ApprovalState::Approved || a.state == ApprovalState::Denied) {
    slack::blocks::DecisionView d;
    d.approved = a.state == ApprovalState::Approved;
    d.step = step;
    d.argv = argv;
    d.by = a.decided_by;
    d.at = human_time(a.decided_at.value_or(now_s()));
    d.reason = redactor_.redact(a.reason);
    d.cluster = a.cluster;
    built = slack::blocks::decision(d);
  } else if (a.state == ApprovalState::Pending) {
    slack::blocks::ApprovalView view;
    view.run_id = a.run_id;
    view.step = step;
    view.argv = argv;
    view.risk = a.risk;
    view.requester = a.requester;
    view.expires_at = human_time(a.expires_at);
    view.token = a.token;
    view.status = status_line;
    view.cluster = a.cluster;
    if (const auto why = why_.find(a.token); why != why_.end()) {
      view.why = why->second;
    }
    view.on_call = co_await on_call_view(a.policy);
    built = slack::blocks::approval_card(view);
  } else {
    built = slack::blocks::approval_closed(step, argv, status_line);
  }
  slack::MessageRef where{a.channel, a.message_ts};
  slack::OutgoingMessage m;
  m.channel = a.channel;
  m.text = built.text;
  m.blocks = built.blocks;
  auto r = co_await web_.update_message(std::move(where), std::move(m));
  if (!r) {
    log_->warn("approval={} channel={}: could not update the card: {}", a.token.substr(0, 8), a.channel,
               r.error().message());
  }
}

void SlackApprovalGate::record_card(ApprovalRecord& a, const std::string& channel, const std::string& ts) {
  store_.set_approval_message(a.token, channel, ts);
  a.channel = channel;
  a.message_ts = ts;
}

skills::GateDecision SlackApprovalGate::no_card_decision(const skills::GateRequest& r, const std::string& token,
                                                         const Error& why) {
  log_->error("run={} approval={}: the approval card could not be posted, so nobody can decide: {}", r.run_id,
              token.substr(0, 8), why.message());
  audit("system", "approval.cancelled", r.run_id, token, "the approval card could not be posted: " + why.message());
  return cancelled_decision("the approval card could not be posted (" + why.message() + ")");
}

Task<Result<void>> SlackApprovalGate::recover_card(ApprovalRecord& a, const skills::GateRequest& r) {
  const auto run = store_.get_run(a.run_id);
  if (!run || run->channel.empty()) {
    co_return make_error(Errc::NotFound, "the run has no channel");
  }
  // Slack may have taken the card before the process died: look for its buttons in the thread.
  const auto oldest = slack::ts_a_minute_before(a.created_at);
  auto listed = co_await web_.recent_messages(run->channel, run->thread_ts, oldest, 50);
  if (listed) {
    const auto block_id = slack::blocks::approval_card_block_id(a.token);
    for (const auto& m : *listed) {
      if (!m.bot_id.empty() && std::find(m.block_ids.begin(), m.block_ids.end(), block_id) != m.block_ids.end()) {
        log_->info("run={} approval={}: the card posted before the restart is ts={}", a.run_id, a.token.substr(0, 8),
                   m.ts);
        record_card(a, run->channel, m.ts);
        Result<void> done;
        co_return done;
      }
    }
  } else {
    log_->warn("run={} approval={}: cannot look for the card posted before the restart (posting it again): {}",
               a.run_id, a.token.substr(0, 8), listed.error().message());
  }
  // Not in Slack: without a card nobody could decide before it expires. Same token: one decision.
  auto posted = co_await post_card(*run, a, r);
  if (!posted) {
    co_return posted.error();
  }
  log_->info("run={} approval={}: the card was not in Slack; posted it again", a.run_id, a.token.substr(0, 8));
  record_card(a, run->channel, *posted);
  Result<void> done;
  co_return done;
}

Task<skills::GateDecision> SlackApprovalGate::request(skills::GateRequest r) {
  co_await boost::asio::this_coro::throw_if_cancelled(false);
  const auto run = store_.get_run(r.run_id);
  if (!run) {
    record("system", "approval.cancelled", r.run_id, "", r.step_key + ": run not found");
    co_return cancelled_decision("run not found");
  }
  // A resumed run finds the approval it asked for before (the card still works).
  Asked asked = co_await find_earlier(r);
  if (!asked.decided && !asked.approval) {
    asked = co_await ask_anew(r, *run);
  } else if (!asked.decided && asked.approval->message_ts.empty()) {
    if (auto shown = co_await recover_card(*asked.approval, r);
        !shown && store_.cancel_approval(asked.approval->token, now_s())) {
      asked.decided = no_card_decision(r, asked.approval->token, shown.error());
    }
  }
  if (asked.decided) {
    skills::GateDecision decided = std::move(*asked.decided);
    co_return decided;
  }
  skills::GateDecision decision = co_await wait_for_decision(r, *asked.approval);
  co_return decision;
}

void SlackApprovalGate::refused(const skills::GateRequest& request, const skills::GateDecision& decision) {
  record("system", "approval.refused", request.run_id, "", skills::binding_refusal_detail(request, decision));
}

Task<SlackApprovalGate::Asked> SlackApprovalGate::find_earlier(const skills::GateRequest& r) {
  Asked asked;
  if (r.step_id == 0) {
    co_return asked;
  }
  auto approval = store_.find_approval_for_step(r.run_id, r.step_id);
  if (approval && approval->argv_hash != r.argv_hash) {
    approval.reset();  // a different command now: a new approval
  }
  if (approval && approval->state == ApprovalState::Pending && approval->expires_at <= now_s()) {
    co_await expire_due();
    approval = store_.get_approval(approval->token);
  }
  if (approval && (approval->state == ApprovalState::Approved || approval->state == ApprovalState::Denied)) {
    // Decided before this request: the process that took the click may have died before it
    // updated the card, which would still show its buttons.
    const std::string no_status;
    co_await update_card(*approval, no_status);
    asked.decided = decision_of(*approval);
    co_return asked;
  }
  if (approval && approval->state == ApprovalState::Pending) {
    asked.approval = std::move(approval);  // expired or cancelled before: ask again
  }
  co_return asked;
}

ApprovalRecord SlackApprovalGate::new_approval(const skills::GateRequest& r) const {
  ApprovalRecord a;
  a.token = random_hex(16);
  a.run_id = r.run_id;
  if (r.step_id != 0) {
    a.step_id = r.step_id;
  }
  a.argv_hash = r.argv_hash;
  a.requester = r.requester;
  a.cluster = r.cluster;
  a.risk = std::string(skills::to_string(r.risk));
  const bool two = std::find(config_.two_approvers_for.begin(), config_.two_approvers_for.end(), a.risk) !=
                   config_.two_approvers_for.end();
  a.required_approvals = two ? 2 : 1;
  std::vector<std::string> users = config_.users, groups = config_.groups;
  if (!r.approvers.empty()) {
    users.clear();
    groups.clear();
    for (const auto& who : r.approvers) {
      (who.rfind("S", 0) == 0 ? groups : users).push_back(who);
    }
  }
  // A step that names its own approvers replaces the configured policy, on-call included.
  const bool oncall = oncall_ != nullptr && r.approvers.empty();
  a.policy = json{{"users", users},
                  {"groups", groups},
                  {"oncall", oncall},
                  {"allow_self_approval", r.allow_self_approval || config_.allow_self_approval},
                  {"required_approvals", a.required_approvals}}
                 .dump();
  a.created_at = now_s();
  a.expires_at = a.created_at + config_.expiry.count();
  return a;
}

Task<SlackApprovalGate::Asked> SlackApprovalGate::ask_anew(const skills::GateRequest& r, const RunRecord& run) {
  Asked asked;
  ApprovalRecord a = new_approval(r);
  // The row first, the card second: a click can only ever find a recorded approval.
  if (auto created = store_.create_approval(a); !created) {
    log_->error("run={} cannot record the approval: {}", r.run_id, created.error().message());
    record("system", "approval.cancelled", r.run_id, "", r.step_key + ": could not record the approval");
    asked.decided = cancelled_decision("could not record the approval");
    co_return asked;
  }
  audit(r.requester, "approval.requested", r.run_id, a.token,
        r.step + ": " + slack::blocks::display_argv(r.argv) + " (risk " + a.risk + ")");
  if (before_card_) {
    std::string id = r.run_id;
    co_await before_card_(std::move(id));
  }
  RunRecord current = run;
  if (auto fresh = store_.get_run(r.run_id)) {
    current = std::move(*fresh);  // the thread may exist only now
  }
  auto posted = co_await post_card(current, a, r);
  if (posted) {
    record_card(a, run.channel, *posted);
  } else if (store_.cancel_approval(a.token, now_s())) {
    // Nobody can decide without the card (Slack refused it, or stayed down through the retries):
    // the step is not left waiting until the approval expires.
    asked.decided = no_card_decision(r, a.token, posted.error());
    co_return asked;
  }
  asked.approval = std::move(a);
  co_return asked;
}

Task<skills::GateDecision> SlackApprovalGate::wait_for_decision(const skills::GateRequest& r,
                                                                const ApprovalRecord& approval) {
  const auto token = approval.token;
  // A click can be decided while the card is on its way (a person sees it before Slack's answer
  // reaches Vigil): it found no waiter to wake and no card ts to update, so both happen here.
  if (const auto current = store_.get_approval(token); current && current->state != ApprovalState::Pending) {
    if (current->state == ApprovalState::Approved || current->state == ApprovalState::Denied) {
      const std::string no_status;
      co_await update_card(*current, no_status);
    }
    co_return decision_of(*current);
  }
  auto& waiter = waiters_[token];
  waiter.wake = std::make_unique<boost::asio::steady_timer>(ex_, boost::asio::steady_timer::time_point::max());
  co_await wait_with_reminders(approval, *waiter.wake);
  waiters_.erase(token);
  why_.erase(token);
  auto now_record = store_.get_approval(token);
  if (!now_record) {
    record("system", "approval.cancelled", r.run_id, token, r.step_key + ": approval vanished");
    co_return cancelled_decision("approval vanished");
  }
  if (now_record->state == ApprovalState::Pending) {
    const auto cs = co_await boost::asio::this_coro::cancellation_state;
    if (cs.cancelled() != boost::asio::cancellation_type::none) {
      store_.cancel_approval(token, now_s());
      audit("system", "approval.cancelled", r.run_id, token, "the run was cancelled");
      now_record = store_.get_approval(token);
      const std::string cancelled_note = "Cancelled: the run was cancelled.";
      co_await update_card(*now_record, cancelled_note);
    } else {
      co_await expire_due();
      now_record = store_.get_approval(token);
    }
  }
  co_return decision_of(*now_record);
}

Task<> SlackApprovalGate::wait_with_reminders(const ApprovalRecord& approval, boost::asio::steady_timer& timer) {
  const auto& token = approval.token;
  // Reminders are re-armed from the approval's own times (after a restart too); those already
  // posted are in the audit log, and of those whose time passed unseen only the latest is posted.
  const auto reminders = approval_reminder_times(approval.created_at, approval.expires_at);
  std::size_t sent = reminders_sent(approval);
  while (sent + 1 < reminders.size() && reminders[sent + 1] <= now_s()) {
    ++sent;
  }
  while (true) {
    // Checked before every wait: a decision or a cancel that came while a reminder was being
    // posted found no wait to wake.
    if (const auto current = store_.get_approval(token); !current || current->state != ApprovalState::Pending) {
      co_return;
    }
    const auto before = co_await boost::asio::this_coro::cancellation_state;
    if (before.cancelled() != boost::asio::cancellation_type::none) {
      co_return;
    }
    const long long now = now_s();
    if (now >= approval.expires_at) {
      co_return;
    }
    const bool reminder_next = sent < reminders.size();
    const long long until = reminder_next ? std::min(reminders[sent], approval.expires_at) : approval.expires_at;
    const auto wait = std::chrono::seconds(std::max<long long>(0, until - now));
    // Decision (the timer is cancelled by wake()), the next reminder, expiry, or the run being cancelled.
    auto result = co_await (timer.async_wait(kToken) || clock_.sleep_for(wait));
    if (result.index() == 0) {
      co_return;
    }
    const auto cs = co_await boost::asio::this_coro::cancellation_state;
    if (cs.cancelled() != boost::asio::cancellation_type::none) {
      co_return;
    }
    if (reminder_next && now_s() < approval.expires_at) {
      while (sent + 1 < reminders.size() && reminders[sent + 1] <= now_s()) {
        ++sent;  // time jumped past a reminder: only the latest is worth posting
      }
      if (now_s() >= reminders[sent]) {
        const bool last = sent + 1 == reminders.size();
        ++sent;
        co_await remind(token, last);
      }
    }
  }
}

std::size_t SlackApprovalGate::reminders_sent(const ApprovalRecord& a) {
  std::size_t n = 0;
  for (const auto& e : store_.list_audit(a.run_id)) {
    n += e.action == "approval_reminder.posted" && e.approval_token == a.token ? 1 : 0;
  }
  return n;
}

Task<std::string> SlackApprovalGate::approver_mentions(const std::string& policy_text) {
  std::vector<std::string> parts;
  const auto policy = json::parse(policy_text, nullptr, false);
  if (!policy.is_discarded()) {
    for (const auto& u : strings_of(policy, "users")) {
      add_unique(parts, "<@" + u + ">");
    }
    for (const auto& g : strings_of(policy, "groups")) {
      add_unique(parts, "<!subteam^" + g + ">");
    }
  }
  // Whoever is on call now, the way the card names them.
  const auto on_call = co_await on_call_view(policy_text);
  if (on_call) {
    for (const auto& u : on_call->users) {
      add_unique(parts, "<@" + u + ">");
    }
  }
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : " ") + p;
  }
  co_return out;
}

Task<> SlackApprovalGate::remind(const std::string& token, bool last) {
  const auto a = store_.get_approval(token);
  if (!a || a->state != ApprovalState::Pending || a->expires_at <= now_s()) {
    co_return;
  }
  const auto run = store_.get_run(a->run_id);
  if (!run || run->channel.empty()) {
    co_return;
  }
  const auto who = co_await approver_mentions(a->policy);
  if (const auto again = store_.get_approval(token); !again || again->state != ApprovalState::Pending) {
    co_return;  // decided while the on-call lookup ran
  }
  const std::string which = last ? "before it expires" : "after 5 minutes";
  for (const auto& e : store_.list_audit(a->run_id)) {
    if (e.action == "approval_reminder.posted" && e.approval_token == token && e.detail == which) {
      co_return;  // posted already (by this process before a restart, or by another waiter)
    }
  }
  const auto link = slack_message_link(a->channel, a->message_ts, run->thread_ts);
  const auto text = approval_reminder_text(who, now_s() - a->created_at, link, human_time(a->expires_at), last);
  // Audited first: a reminder is posted at most once, even when Slack's answer is lost.
  store_.append_audit({0, to_unix_ms(clock_.now()), "system", "approval_reminder.posted", a->run_id, token, which});
  const auto built = slack::blocks::text(text);
  slack::OutgoingMessage m;
  m.channel = run->channel;
  if (!run->thread_ts.empty()) {
    m.thread_ts = run->thread_ts;
  }
  m.text = built.text;
  m.blocks = built.blocks;
  auto posted = co_await web_.post_message(std::move(m));
  if (!posted) {
    log_->warn("run={} approval={}: reminder not posted: {}", a->run_id, token.substr(0, 8), posted.error().message());
  }
}

Task<std::optional<slack::blocks::OnCallView>> SlackApprovalGate::on_call_view(const std::string& policy_text) {
  std::optional<slack::blocks::OnCallView> out;
  if (oncall_ == nullptr || !policy_has_oncall(json::parse(policy_text, nullptr, false))) {
    co_return out;
  }
  const auto now = co_await oncall_->current();
  slack::blocks::OnCallView v;
  v.service = now.service;
  v.users = now.users;
  v.unavailable = now.source == OnCallSnapshot::Source::None;
  if (now.source == OnCallSnapshot::Source::LastGood) {
    v.as_of = human_time(now.as_of);
  }
  out = std::move(v);
  co_return out;
}

std::string SlackApprovalGate::who_may_approve(const std::string& policy_text,
                                               const std::optional<OnCallSnapshot>& on_call) const {
  const auto policy = json::parse(policy_text, nullptr, false);
  const auto configured =
      policy.is_discarded() ? std::string() : mentions(strings_of(policy, "users"), strings_of(policy, "groups"));
  if (!on_call) {
    return configured.empty() ? "Nobody is configured to approve it." : "Who may approve: " + configured + ".";
  }
  if (on_call->source == OnCallSnapshot::Source::None) {
    const std::string who =
        configured.empty() ? " (none are configured; try again when the lookup works)." : ": " + configured + ".";
    return "The " + on_call->service + " on-call lookup is failing, so only the configured approvers can approve " +
           "right now" + who;
  }
  std::string out = on_call->users.empty()
                        ? "nobody on call in " + on_call->service + " has a Slack account Vigil can match"
                        : "on call now in " + on_call->service + ": " + mentions(on_call->users, {});
  if (on_call->source == OnCallSnapshot::Source::LastGood) {
    out += " (as of " + human_time(on_call->as_of) + "; the lookup is failing)";
  }
  if (!configured.empty()) {
    out += "; also " + configured;
  }
  return "Who may approve: " + out + ".";
}

Task<SlackApprovalGate::Authorisation> SlackApprovalGate::authorise(const ApprovalRecord& a, const std::string& user) {
  Authorisation out;
  const auto policy = json::parse(a.policy, nullptr, false);
  if (policy.is_discarded()) {
    co_return out;
  }
  const auto users = strings_of(policy, "users");
  if (std::find(users.begin(), users.end(), user) != users.end()) {
    out.allowed = true;
    co_return out;
  }
  // The on-call person is checked on every click (the answer is cached briefly): whoever went off
  // call is refused from then on. A failed lookup leaves only the configured users and groups.
  if (oncall_ != nullptr && policy_has_oncall(policy)) {
    out.on_call = co_await oncall_->current();
    if (out.on_call->contains(user)) {
      out.allowed = true;
      out.via = "on call in " + out.on_call->service + " schedule " + out.on_call->schedule +
                (out.on_call->source == OnCallSnapshot::Source::LastGood
                     ? " (answer from " + human_time(out.on_call->as_of) + "; the lookup is failing)"
                     : "");
      co_return out;
    }
  }
  for (const auto& group : strings_of(policy, "groups")) {
    auto member = co_await directory_.is_member(group, user);
    if (!member) {
      out.lookup_failed = member.error();
      co_return out;
    }
    if (*member) {
      out.allowed = true;
      co_return out;
    }
  }
  co_return out;
}

Task<bool> SlackApprovalGate::is_configured_approver(std::string user) {
  if (std::find(config_.users.begin(), config_.users.end(), user) != config_.users.end()) {
    co_return true;
  }
  if (oncall_ != nullptr) {
    const auto now = co_await oncall_->current();
    if (now.contains(user)) {
      co_return true;
    }
  }
  for (const auto& g : config_.groups) {
    auto member = co_await directory_.is_member(g, user);
    if (member && *member) {
      co_return true;
    }
  }
  co_return false;
}

Task<std::optional<std::string>> SlackApprovalGate::refuse_click(const ApprovalRecord& approval,
                                                                 const std::string& user, Decision decision) {
  std::optional<std::string> refusal;
  const auto& token = approval.token;
  if (approval.state != ApprovalState::Pending) {
    refusal = "This approval is already " + std::string(to_string(approval.state)) +
              (approval.decided_by.empty() ? "" : " (by <@" + approval.decided_by + ">)") + ".";
    audit(user, "approval.refused", approval.run_id, token, "already " + std::string(to_string(approval.state)));
    co_return refusal;
  }
  if (approval.expires_at <= now_s()) {
    co_await expire_due();
    refusal = "This approval has expired; ask for the step again.";
    audit(user, "approval.refused", approval.run_id, token, "expired");
    co_return refusal;
  }
  const auto policy = json::parse(approval.policy, nullptr, false);
  const bool self_ok = !policy.is_discarded() && policy.value("allow_self_approval", false);
  const bool is_requester = user == approval.requester;
  // The requester may always withdraw (deny) their own request; approving it needs someone else.
  if (decision == Decision::Deny && is_requester) {
    co_return refusal;
  }
  const auto allowed = co_await authorise(approval, user);
  if (allowed.lookup_failed) {
    refusal = "Vigil could not check your approver rights (" + allowed.lookup_failed->message() +
              "); nothing was done. Try again in a moment.";
    audit(user, "approval.refused", approval.run_id, token, "authorisation lookup failed");
    co_return refusal;
  }
  if (!allowed.allowed) {
    refusal =
        "You are not an approver for this step; nothing was done. " + who_may_approve(approval.policy, allowed.on_call);
    std::string detail = "not an approver";
    if (allowed.on_call && allowed.on_call->source == OnCallSnapshot::Source::None) {
      detail += " (on-call lookup failing: " + allowed.on_call->problem + ")";
    }
    audit(user, "approval.refused", approval.run_id, token, detail);
    co_return refusal;
  }
  if (!allowed.via.empty()) {
    audit(user, "approver.oncall", approval.run_id, token, allowed.via);
  }
  if (decision == Decision::Approve && is_requester && !self_ok) {
    refusal = "You asked for this step, so someone else must approve it.";
    audit(user, "approval.refused", approval.run_id, token, "self-approval");
  }
  co_return refusal;
}

Task<std::optional<std::string>> SlackApprovalGate::count_vote(const ApprovalRecord& approval, const std::string& user,
                                                               ClickOutcome& out) {
  std::optional<std::string> decided_by;
  const auto& token = approval.token;
  const int votes = store_.add_approval_vote(token, user, now_s());
  if (votes == 0) {
    out.message = "You already approved; a second, different approver is needed.";
    audit(user, "approval.refused", approval.run_id, token, "second vote by the same person");
    co_return decided_by;
  }
  if (votes < approval.required_approvals) {
    out.kind = ClickOutcome::Kind::Recorded;
    out.message = "Your approval is recorded; " + std::to_string(approval.required_approvals - votes) +
                  " more approver(s) needed.";
    audit(user, "approval.vote", approval.run_id, token,
          std::to_string(votes) + " of " + std::to_string(approval.required_approvals));
    const std::string vote_note =
        "approved by <@" + user + ">; " + std::to_string(approval.required_approvals - votes) + " more needed";
    co_await update_card(approval, vote_note);
    co_return decided_by;
  }
  std::string voters;
  for (const auto& v : store_.approval_voters(token)) {
    voters += (voters.empty() ? "" : ",") + v;
  }
  decided_by = std::move(voters);
  co_return decided_by;
}

Task<ClickOutcome> SlackApprovalGate::click(std::string token, std::string user, Decision decision,
                                            std::string reason) {
  ClickOutcome out;
  const std::string verb = decision == Decision::Approve ? "approve" : "deny";
  const auto approval = token.size() == 32 ? store_.get_approval(token) : std::nullopt;
  if (!approval) {
    audit(user, "approval.refused", "", token.substr(0, 64), "unknown approval token (" + verb + ")");
    out.message = "This approval is not known to Vigil; nothing was done.";
    co_return out;
  }
  out.run_id = approval->run_id;
  audit(user, "approval.click", approval->run_id, token, verb);
  if (auto refusal = co_await refuse_click(*approval, user, decision); refusal) {
    out.message = std::move(*refusal);
    co_return out;
  }
  std::string decided_by = user;
  if (decision == Decision::Approve && approval->required_approvals > 1) {
    auto voters = co_await count_vote(*approval, user, out);
    if (!voters) {
      co_return out;
    }
    decided_by = std::move(*voters);
  }
  if (!store_.claim_approval_decision(token, decision, decided_by, redactor_.redact(reason), now_s())) {
    const auto now = store_.get_approval(token);
    out.message =
        "Someone else decided first: this approval is " + std::string(now ? to_string(now->state) : "gone") + ".";
    audit(user, "approval.refused", approval->run_id, token, "lost the race");
    co_return out;
  }
  out.kind = ClickOutcome::Kind::Decided;
  out.message = decision == Decision::Approve ? "Approved; the step runs now." : "Denied; the step will not run.";
  audit(decided_by, decision == Decision::Approve ? "approval.approved" : "approval.denied", approval->run_id, token,
        reason);
  const auto decided = store_.get_approval(token);
  const std::string no_status;
  co_await update_card(*decided, no_status);
  wake(token);
  co_return out;
}

void SlackApprovalGate::wake(const std::string& token) {
  if (auto it = waiters_.find(token); it != waiters_.end() && it->second.wake) {
    it->second.wake->cancel();
  }
}

Task<> SlackApprovalGate::expire_due() {
  const auto expired = store_.expire_approvals(now_s());
  for (const auto& a : expired) {
    audit("system", "approval.expired", a.run_id, a.token, "expired at " + human_time(a.expires_at));
    const std::string expired_note = "Expired at " + human_time(a.expires_at) + " without a decision; nothing ran.";
    co_await update_card(a, expired_note);
    wake(a.token);
  }
}

}  // namespace vigil

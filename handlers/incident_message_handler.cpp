#include "handlers/incident_message_handler.h"

#include <algorithm>

#include "handlers/replies.h"
#include "handlers/start_check.h"
#include "integrations/alerting/alert_message_parser.h"
#include "integrations/slack/blocks.h"

namespace vigil::handlers {
namespace {

constexpr std::size_t kSeenCapacity = 4096;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return {};
  }
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// What an alert message says, for telling whether an edit changed it.
std::string status_of(const std::variant<alerting::AlertNotification, alerting::NotAnAlert>& parsed) {
  const auto* a = std::get_if<alerting::AlertNotification>(&parsed);
  return a ? std::string(alerting::to_string(a->status)) + "/" + a->event : std::string();
}

constexpr const char* kTemplateHint =
    "use the Slack template in deploy/alerting/alertmanager-slack.tmpl (it lists the labels as "
    "`key: value`), or set alertmanager.url so that Vigil reads them from Alertmanager's API";

}  // namespace

bool IncidentMessageHandler::first_time(const slack::MessageEvent& m) {
  const auto key = m.channel + ":" + m.ts;
  if (!seen_.insert(key).second) {
    return false;
  }
  seen_order_.push_back(key);
  if (seen_order_.size() > kSeenCapacity) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  return true;
}

std::string IncidentMessageHandler::without_mention(const std::string& text) const {
  std::string out = text;
  const std::string tag = "<@" + bot_user_id_ + ">";
  for (auto pos = out.find(tag); !bot_user_id_.empty() && pos != std::string::npos; pos = out.find(tag)) {
    out.erase(pos, tag.size());
  }
  out = trim(out);
  if (out.rfind("investigate", 0) == 0) {
    out = trim(out.substr(11));
  }
  return out;
}

Task<> IncidentMessageHandler::handle(slack::MessageEvent m) {
  if (!first_time(m)) {
    ctx_.log->debug("channel={} ts={}: already handled (mention delivered twice)", m.channel, m.ts);
    co_return;
  }
  switch (m.kind) {
    case slack::MessageKind::BotMessage:
      co_await alert(m);
      break;
    case slack::MessageKind::AppMention:
      co_await mention(m);
      break;
    case slack::MessageKind::ThreadReply:
      co_await thread_reply(m);
      break;
    case slack::MessageKind::ChannelMessage:
      if (!bot_user_id_.empty() && m.text.find("<@" + bot_user_id_ + ">") != std::string::npos) {
        co_await mention(m);  // the app_mention event may come later or not at all
      } else if (const slack::MessageContent shown{m.text, m.attachments, m.blocks};
                 std::holds_alternative<alerting::AlertNotification>(
                     alerting::parse_alert_message(alerting::alert_message_of("", shown), false))) {
        // A person pasting an alert: only alert bots' messages start runs.
        ctx_.log->info("channel={} ts={}: a person's message that looks like an alert is not taken as one", m.channel,
                       m.ts);
      } else {
        ctx_.log->debug("channel={} ts={}: a person's message, not for Vigil", m.channel, m.ts);
      }
      break;
  }
}

Task<> IncidentMessageHandler::alert(const slack::MessageEvent& m) {
  const auto binding = co_await ctx_.channels.find(m.channel);
  if (!binding) {
    ctx_.log->debug("channel={}: a bot message in a channel that is not an incident channel", m.channel);
    co_return;
  }
  bool listed = false;
  for (const auto& b : binding->alert_bots) {
    listed = listed || b == m.bot_id || b == m.bot_name;
  }
  if (!binding->alert_bots.empty() && !listed) {
    ctx_.log->debug("channel={}: bot {} is not one of this channel's alert sources", m.channel, m.bot_id);
    co_return;
  }
  const slack::MessageContent shown{m.text, m.attachments, m.blocks};
  auto parsed = alerting::parse_alert_message(alerting::alert_message_of(m.bot_name, shown), listed);
  if (const auto* no = std::get_if<alerting::NotAnAlert>(&parsed)) {
    ctx_.log->info("channel={} ts={}: a message of bot {} ({}) is not taken as an alert: {}", m.channel, m.ts, m.bot_id,
                   m.bot_name, no->reason);
    co_return;
  }
  if (!m.edited_ts.empty()) {
    // Slack also reports edits that change nothing an alert says (a link preview added).
    const auto before = alerting::parse_alert_message(alerting::alert_message_of(m.bot_name, m.previous), listed);
    if (status_of(before) == status_of(parsed)) {
      ctx_.log->debug("channel={} ts={}: an edit of an alert message that changes nothing", m.channel, m.edited_ts);
      co_return;
    }
  }
  auto& alert = std::get<alerting::AlertNotification>(parsed);
  AlertTarget target;
  if (alert.labels_without_keys && alert.status == alerting::AlertStatus::Firing) {
    target.labels_note = co_await recover_labels(alert);
  }
  target.channel = m.channel;
  target.thread_ts = !m.thread_ts.empty() ? m.thread_ts : !m.edited_ts.empty() ? m.edited_ts : m.ts;
  target.backend = binding->backend;
  target.cluster = binding->cluster;
  target.auto_triage = binding->auto_triage;
  target.event_id = m.event_id;
  target.edited_ts = m.edited_ts;
  const auto outcome = intake_.intake(alert, target);
  if (!outcome) {
    ctx_.log->error("channel={} ts={}: alert not taken in: {}", m.channel, m.ts, outcome.error().message());
    co_return;
  }
  ctx_.log->info("channel={} incident={} run={}: {} alert {}{} ({})", m.channel, outcome->incident_id, outcome->run_id,
                 alert.source, alerting::to_string(alert.status), m.edited_ts.empty() ? "" : " (message edited)",
                 static_cast<int>(outcome->kind));
}

Task<std::string> IncidentMessageHandler::recover_labels(alerting::AlertNotification& alert) {
  const std::string shown =
      "Alertmanager's default Slack message shows the alert's label values without their names, "
      "so Vigil cannot tell which is the namespace or the pod";
  std::string note;
  if (!alertmanager_) {
    note = shown + ". To fix it, " + kTemplateHint + ".";
    co_return note;
  }
  const auto link = alertmanager::origin_of(alert.url);
  const auto configured = alertmanager::origin_of(alertmanager_->url());
  if (link.empty() || link != configured) {
    note = shown + ", and its link (" + (link.empty() ? std::string("none") : link) +
           ") is not the Alertmanager in alertmanager.url (" + configured +
           "), so Vigil did not ask it. Set alertmanager.url to the Alertmanager that sends these messages "
           "(its --web.external-url), or use the Slack template in deploy/alerting/alertmanager-slack.tmpl.";
    co_return note;
  }
  auto groups = co_await alertmanager_->alert_groups();
  if (!groups) {
    ctx_.log->warn("alertmanager: labels of '{}' not looked up: {}", alert.title, groups.error().message());
    note = shown + ", and Alertmanager's API did not answer (" + groups.error().detail +
           "). Use the Slack template in deploy/alerting/alertmanager-slack.tmpl to carry the labels in the message.";
    co_return note;
  }
  const auto match = alertmanager::match_default_title(*groups, alert.receiver, alert.title);
  if (!match.found) {
    ctx_.log->info("alertmanager: labels of '{}' not found: {}", alert.title, match.why_not);
    note = shown + ", and Alertmanager's API could not tell them: " + match.why_not + ".";
    co_return note;
  }
  for (const auto& [k, v] : match.labels) {
    alert.labels[k] = v;
  }
  if (const auto it = match.labels.find("alertname"); it != match.labels.end()) {
    alert.alertname = it->second;
  }
  if (const auto it = match.labels.find("severity"); it != match.labels.end()) {
    alert.severity = it->second;
  }
  alert.labels_without_keys = false;
  alert.differing_labels = match.differing;
  ctx_.log->info("alertmanager: {} labels of '{}' read from {}", match.labels.size(), alert.title,
                 alertmanager_->url());
  co_return note;
}

Task<> IncidentMessageHandler::mention(const slack::MessageEvent& m) {
  const auto text = without_mention(m.text);
  if (!m.thread_ts.empty()) {
    if (const auto run = ctx_.store.find_run_by_thread(m.channel, m.thread_ts)) {
      co_await thread_reply(m);
      co_return;
    }
  }
  if (text.empty()) {
    const std::string no_response_url;
    const std::string usage_hint = "Tell me what to look at, e.g. `@vigil investigate checkout errors`.";
    co_await reply_privately(ctx_.web, ctx_.log, no_response_url, m.channel, m.user, usage_hint);
    co_return;
  }
  const auto binding = co_await ctx_.channels.find(m.channel);
  RunTrigger t;
  t.kind = "mention";
  t.key = "slack:event:" + (m.event_id.empty() ? m.channel + ":" + m.ts : m.event_id);
  t.requester = m.user;
  t.text = text;
  t.channel = m.channel;
  t.thread_ts = m.thread_ts.empty() ? m.ts : m.thread_ts;
  t.backend = binding && !binding->backend.empty() ? binding->backend : "";
  t.cluster = binding ? binding->cluster : "";
  t.incident.title = text;
  t.incident.text = text;
  t.event = {{"type", "app_mention"}, {"user", m.user}, {"channel", m.channel}, {"ts", m.ts}};
  ctx_.audit(m.user, "run.requested", "", "mention: " + text);
  const std::string no_response_url;
  StartAsk ask{{StartKind::Triage, triage_backend(ctx_.config, binding), binding, nullptr},
               m.user,
               m.channel,
               no_response_url,
               t.key,
               "mention: " + text};
  const bool may = co_await may_start(ctx_, std::move(ask));
  if (!may) {
    co_return;
  }
  const auto started = ctx_.runs.start(std::move(t));
  if (!started) {
    const std::string start_failed_note =
        ":warning: Could not start a run: " + slack::blocks::escape(started.error().detail);
    co_await reply_privately(ctx_.web, ctx_.log, no_response_url, m.channel, m.user, start_failed_note);
  }
}

Task<> IncidentMessageHandler::thread_reply(const slack::MessageEvent& m) {
  const auto run = ctx_.store.find_run_by_thread(m.channel, m.thread_ts);
  if (!run) {
    ctx_.log->debug("channel={} thread={}: a reply in a thread that is not a run's", m.channel, m.thread_ts);
    co_return;
  }
  const bool mentioned = !bot_user_id_.empty() && m.text.find("<@" + bot_user_id_ + ">") != std::string::npos;
  if (run->backend == "runbook" && !mentioned) {
    ctx_.log->debug("run={}: a reply in a runbook run's thread, not addressed to Vigil", run->id);
    co_return;
  }
  const auto question = without_mention(m.text);
  const auto asked = ctx_.runs.follow_up(run->id, m.user, question);
  ctx_.audit(m.user, "run.follow_up", run->id, question);
  if (!asked) {
    const std::string no_response_url;
    co_await reply_privately(ctx_.web, ctx_.log, no_response_url, m.channel, m.user, asked.error().detail);
  }
}

}  // namespace vigil::handlers

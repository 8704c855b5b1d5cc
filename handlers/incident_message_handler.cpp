#include "handlers/incident_message_handler.h"

#include <algorithm>

#include "handlers/replies.h"
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
  alerting::AlertMessage am;
  am.bot_name = m.bot_name;
  am.text = m.text;
  for (const auto& a : m.attachments) {
    am.attachments.push_back({a.title, a.text, a.fallback, a.pretext});
  }
  const auto parsed = alerting::parse_alert_message(am, listed);
  if (!parsed) {
    ctx_.log->debug("channel={} ts={}: bot message does not look like an alert", m.channel, m.ts);
    co_return;
  }
  AlertTarget target;
  target.channel = m.channel;
  target.thread_ts = m.thread_ts.empty() ? m.ts : m.thread_ts;
  target.backend = binding->backend;
  target.auto_triage = binding->auto_triage;
  target.event_id = m.event_id;
  const auto outcome = intake_.intake(*parsed, target);
  if (!outcome) {
    ctx_.log->error("channel={} ts={}: alert not taken in: {}", m.channel, m.ts, outcome.error().message());
    co_return;
  }
  ctx_.log->info("channel={} incident={} run={}: {} alert {} ({})", m.channel, outcome->incident_id,
                 outcome->run_id, parsed->source, alerting::to_string(parsed->status),
                 static_cast<int>(outcome->kind));
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
    co_await reply_privately(ctx_.web, ctx_.log, "", m.channel, m.user,
                             "Tell me what to look at, e.g. `@vigil investigate checkout 5xx since 14:02`.");
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
  t.incident.title = text;
  t.incident.text = text;
  t.event = {{"type", "app_mention"}, {"user", m.user}, {"channel", m.channel}, {"ts", m.ts}};
  ctx_.audit(m.user, "run.requested", "", "mention: " + text);
  const auto started = ctx_.runs.start(std::move(t));
  if (!started) {
    co_await reply_privately(ctx_.web, ctx_.log, "", m.channel, m.user,
                             ":warning: Could not start a run: " + slack::blocks::escape(started.error().detail));
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
    co_await reply_privately(ctx_.web, ctx_.log, "", m.channel, m.user, asked.error().detail);
  }
}

}  // namespace vigil::handlers

#include "integrations/slack/blocks.h"

#include <algorithm>
#include <cctype>

#include "bot/base/utf8.h"

namespace vigil::slack::blocks {
namespace {

using nlohmann::json;

json plain(std::string_view text, std::size_t limit) {
  return json{{"type", "plain_text"}, {"text", truncate(text, limit, "…")}, {"emoji", true}};
}

json mrkdwn(const std::string& text) {
  return json{{"type", "mrkdwn"}, {"text", truncate(text, kMaxSectionText)}};
}

json section(const std::string& text) {
  return json{{"type", "section"}, {"text", mrkdwn(text)}};
}

json context(const std::vector<std::string>& items) {
  json elements = json::array();
  for (const auto& item : items) {
    if (elements.size() == kMaxContextElements) {
      break;
    }
    if (!item.empty()) {
      elements.push_back(mrkdwn(item));
    }
  }
  return json{{"type", "context"}, {"elements", elements}};
}

std::string id(std::string_view s) {
  return std::string(s.substr(0, utf8_floor(s, kMaxId)));
}

json button(std::string_view text, const char* action_id, const std::string& token, const char* style = nullptr) {
  json b{{"type", "button"},
         {"text", plain(text, kMaxButtonText)},
         {"action_id", id(action_id)},
         {"value", token.substr(0, kMaxValue)}};
  if (style) {
    b["style"] = style;
  }
  return b;
}

std::string short_id(const std::string& run_id) {
  return run_id.substr(0, 8);
}

std::string user(const std::string& who) {
  if (who.empty()) {
    return "someone";
  }
  // Slack ids become mentions; anything else (alertmanager, a cron) is shown as text.
  return is_user_id(who) ? "<@" + who + ">" : escape(who);
}

std::string elapsed(std::chrono::seconds s) {
  const auto total = s.count();
  if (total < 60) {
    return std::to_string(total) + "s";
  }
  if (total < 3600) {
    return std::to_string(total / 60) + "m " + std::to_string(total % 60) + "s";
  }
  return std::to_string(total / 3600) + "h " + std::to_string((total % 3600) / 60) + "m";
}

const char* status_emoji(const std::string& status) {
  if (status == "queued")
    return ":hourglass:";
  if (status == "running")
    return ":mag:";
  if (status == "awaiting_approval")
    return ":raised_hand:";
  if (status == "succeeded")
    return ":white_check_mark:";
  if (status == "failed" || status == "timed_out")
    return ":x:";
  if (status == "cancelled")
    return ":no_entry_sign:";
  if (status == "interrupted")
    return ":warning:";
  return ":grey_question:";
}

const char* risk_emoji(const std::string& risk) {
  if (risk == "high")
    return ":red_circle:";
  if (risk == "medium")
    return ":large_orange_circle:";
  return ":large_green_circle:";
}

const char* severity_emoji(const std::string& severity) {
  if (severity == "critical")
    return ":red_circle:";
  if (severity == "warning")
    return ":warning:";
  return ":information_source:";
}

Message finish(std::string text, json blocks) {
  return Message{truncate(text, kMaxFallbackText), cap_blocks(std::move(blocks))};
}

}  // namespace

bool is_user_id(std::string_view who) {
  return who.size() >= 9 && who.size() <= 32 && (who[0] == 'U' || who[0] == 'W') &&
         std::all_of(who.begin(), who.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

std::string dry_run_failure_line(std::string_view output) {
  std::string first;
  std::size_t at = 0;
  while (at <= output.size()) {
    auto end = output.find('\n', at);
    if (end == std::string_view::npos) {
      end = output.size();
    }
    auto line = output.substr(at, end - at);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && line.front() == ' ') {
      line.remove_prefix(1);
    }
    if (!line.empty() && first.empty()) {
      first = std::string(line);
    }
    if (line.find("rror") != std::string_view::npos || line.find("refused") != std::string_view::npos) {
      first = std::string(line);
      break;
    }
    at = end + 1;
  }
  if (first.empty()) {
    first = "no output";
  }
  return first.size() > 300 ? first.substr(0, 297) + "..." : first;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string truncate(std::string_view text, std::size_t limit, std::string_view note) {
  if (text.size() <= limit) {
    return std::string(text);
  }
  const std::size_t room = limit > note.size() ? limit - note.size() : 0;
  std::size_t cut = utf8_floor(text, room);
  // Prefer a line break in the last fifth, so a log excerpt ends on a whole line.
  if (const auto nl = text.substr(0, cut).rfind('\n'); nl != std::string_view::npos && nl > cut * 4 / 5) {
    cut = nl;
  }
  // Never leave half an entity (&amp;) behind.
  if (const auto amp = text.substr(0, cut).rfind('&');
      amp != std::string_view::npos && cut - amp < 6 &&
      text.substr(amp, cut - amp).find(';') == std::string_view::npos) {
    cut = amp;
  }
  std::string out(text.substr(0, cut));
  out += note.substr(0, std::min(note.size(), limit - out.size()));
  return out;
}

std::string code_block(std::string_view text, std::size_t limit) {
  static constexpr std::string_view kOpen = "```\n";
  static constexpr std::string_view kClose = "\n```";
  static constexpr std::string_view kNote = "\n…(truncated)";
  const auto body = escape(text.empty() ? std::string_view("(no output)") : text);
  const auto room = limit - kOpen.size() - kClose.size();
  std::string inner = body.size() <= room ? body : truncate(body, room, kNote);
  return std::string(kOpen) + inner + std::string(kClose);
}

std::string display_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    const bool needs_quotes = a.empty() || a.find_first_of(" \t\n'\"\\$`") != std::string::npos;
    if (!needs_quotes) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) {
      out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    out += '\'';
  }
  return out;
}

json cap_blocks(json blocks) {
  if (!blocks.is_array() || blocks.size() <= kMaxBlocks) {
    return blocks;
  }
  const auto left_out = blocks.size() - (kMaxBlocks - 1);
  json kept = json::array();
  for (std::size_t i = 0; i + 1 < kMaxBlocks; ++i) {
    kept.push_back(std::move(blocks[i]));
  }
  kept.push_back(context({"…" + std::to_string(left_out) +
                          " more not shown (Slack allows 50 blocks "
                          "per message); the full record is in `vigil runs show`"}));
  return kept;
}

Message run_root(const RunView& run) {
  json blocks = json::array();
  const auto title = run.title.empty() ? std::string("Triage run") : run.title;
  blocks.push_back(json{{"type", "header"}, {"text", plain(title, kMaxHeaderText)}});
  if (!run.diagnosis.empty()) {
    blocks.push_back(section(":stethoscope: *Diagnosis:* " + escape(truncate(run.diagnosis, 600, "…"))));
  }
  const bool has_result = !run.result_label.empty();
  const auto shown = has_result ? run.result_label : run.status;
  std::string summary =
      (has_result && !run.result_icon.empty() ? run.result_icon : std::string(status_emoji(run.status))) + " *" +
      escape(shown) + "*";
  if (!run.incident.empty()) {
    summary += "  ·  incident *" + escape(run.incident) + "*";
  }
  blocks.push_back(section(summary));
  std::vector<std::string> meta = {"run `" + escape(short_id(run.run_id)) + "`", "requested by " + user(run.requester),
                                   "elapsed " + elapsed(run.elapsed)};
  if (run.repeats > 1) {
    meta.push_back(":repeat: seen *" + std::to_string(run.repeats) + "* times");
  }
  blocks.push_back(context(meta));
  if (!run.steps.empty()) {
    std::string lines;
    for (const auto& st : run.steps) {
      lines += "• " + escape(st) + "\n";
    }
    blocks.push_back(section(lines));
  }
  if (run.alert && !run.alert->status.empty()) {
    blocks.push_back(context(run.alert->status));
  }
  if (!run.cancel_token.empty()) {
    blocks.push_back(json{{"type", "actions"},
                          {"block_id", id("run:" + short_id(run.run_id))},
                          {"elements", json::array({button("Cancel", kActionCancelRun, run.cancel_token, "danger")})}});
  }
  if (run.alert) {
    const auto& a = *run.alert;
    json elements = json::array();
    if (a.acknowledge) {
      elements.push_back(button("Acknowledge", kActionAlertAck, a.token, "primary"));
    }
    if (a.silence) {
      elements.push_back(button("Silence 1h", kActionAlertSilence, a.token));
    }
    if (a.snooze) {
      elements.push_back(button("Snooze 1h", kActionAlertSnooze, a.token));
    }
    if (a.resolve) {
      elements.push_back(button("Resolve", kActionAlertResolve, a.token));
    }
    if (!a.source_url.empty() && a.source_url.size() <= 3000) {
      auto link = button("Open in " + (a.source_name.empty() ? std::string("source") : a.source_name),
                         kActionAlertSource, a.token);
      link["url"] = a.source_url;
      elements.push_back(std::move(link));
    }
    if (!elements.empty()) {
      blocks.push_back(json{
          {"type", "actions"}, {"block_id", id("alert:" + short_id(run.run_id))}, {"elements", std::move(elements)}});
    }
  }
  return finish(run_root_text_prefix(run.run_id) + shown + " — " + title, std::move(blocks));
}

std::string approval_card_block_id(const std::string& token) {
  return id("approval:" + token.substr(0, 32));
}

std::string run_root_text_prefix(const std::string& run_id) {
  return "Triage run " + short_id(run_id) + ": ";
}

Message incident_root(const IncidentView& inc) {
  json blocks = json::array();
  const bool open = inc.state != "resolved";
  const auto title = std::string(open ? "🚨 " : "✅ ") + (inc.title.empty() ? std::string("Incident") : inc.title);
  blocks.push_back(json{{"type", "header"}, {"text", plain(title, kMaxHeaderText)}});
  std::string summary = open ? ":rotating_light: *open*" : ":white_check_mark: *resolved*";
  if (!inc.severity.empty()) {
    summary += "  ·  severity *" + escape(inc.severity) + "*";
  }
  if (!open && !inc.resolved_by.empty()) {
    summary += "  ·  resolved by " + user(inc.resolved_by);
    if (!inc.duration.empty()) {
      summary += " after " + escape(inc.duration);
    }
  }
  blocks.push_back(section(summary));
  std::vector<std::string> meta = {"incident `" + escape(short_id(inc.id)) + "`",
                                   "declared by " + user(inc.declared_by), "opened " + escape(inc.opened_at)};
  if (!inc.resolved_at.empty()) {
    meta.push_back("resolved " + escape(inc.resolved_at));
  }
  if (!inc.channel.empty()) {
    meta.push_back("channel <#" + escape(inc.channel) + ">");
  }
  blocks.push_back(context(meta));
  if (open) {
    blocks.push_back(
        context({"`/incident status` · `/incident timeline` · `/incident resolve` · `/triage <what is wrong>` "
                 "attaches a triage run"}));
  }
  return finish(
      std::string(open ? "Incident open: " : "Incident resolved: ") + inc.title + " (" + short_id(inc.id) + ")",
      std::move(blocks));
}

Message document(const std::string& title, const std::string& body, const std::string& more) {
  json blocks = json::array();
  blocks.push_back(json{{"type", "header"}, {"text", plain(title, kMaxHeaderText)}});
  // Sections of whole lines; the fence and escaping must fit in each section's 3000 characters.
  constexpr std::size_t kRoom = kMaxSectionText - 200;
  constexpr std::size_t kMaxSections = kMaxBlocks - 2;
  std::vector<std::string> chunks;
  std::string current;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto nl = body.find('\n', pos);
    if (nl == std::string::npos) {
      nl = body.size();
    }
    std::string line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (escape(line).size() > kRoom) {
      line = truncate(line, kRoom / 6, "…");  // a very long line: its start is enough
    }
    if (escape(current).size() + escape(line).size() + 1 > kRoom) {
      chunks.push_back(std::move(current));
      current.clear();
    }
    current += line;
    current += '\n';
  }
  if (!current.empty()) {
    chunks.push_back(std::move(current));
  }
  bool cut = false;
  if (chunks.size() > kMaxSections) {
    chunks.resize(kMaxSections);
    cut = true;
  }
  for (auto& c : chunks) {
    while (!c.empty() && c.back() == '\n') {
      c.pop_back();
    }
    blocks.push_back(section(code_block(c)));
  }
  if (cut && !more.empty()) {
    blocks.push_back(context({"…too long for one message; the rest: " + escape(more)}));
  }
  return finish(title, std::move(blocks));
}

Message progress(const std::string& line) {
  json blocks = json::array({context({escape(line)})});
  return finish(line, std::move(blocks));
}

Message findings(const std::string& run_id, const std::vector<Finding>& items) {
  json blocks = json::array();
  blocks.push_back(section("*Findings* for run `" + escape(short_id(run_id)) + "`"));
  for (const auto& f : items) {
    std::string head = std::string(severity_emoji(f.severity)) + " *" + escape(f.title) + "*";
    if (f.detail.empty()) {
      blocks.push_back(section(head));
      continue;
    }
    const auto head_part = truncate(head, 500, "…");
    blocks.push_back(section(head_part + "\n" + code_block(f.detail, kMaxSectionText - head_part.size() - 1)));
  }
  if (items.empty()) {
    blocks.push_back(section("_Nothing found._"));
  }
  return finish(
      std::to_string(items.size()) + " finding" + (items.size() == 1 ? "" : "s") + " for run " + short_id(run_id),
      std::move(blocks));
}

std::string why_text(const WhyView& w) {
  std::string out = "*Why this fix*\n";
  if (w.diagnosis.empty()) {
    out += "No finding of this runbook matched the output: read the steps' output above before approving.";
  } else {
    out += ":stethoscope: " + escape(truncate(w.diagnosis, 500, "…"));
    if (!w.evidence.empty()) {
      std::string lines;
      for (const auto& e : w.evidence) {
        lines += truncate(e, 240, "…") + "\n";
      }
      out += "\n" + code_block(lines, 1400);
    }
    for (const auto& more : w.also) {
      out += "\n• " + escape(truncate(more, 300, "…"));
    }
  }
  if (!w.full_output.empty()) {
    out += "\n_Full output: the steps above in this thread, or " + w.full_output + "_";
  }
  return truncate(out, kMaxSectionText - 10, "…");
}

Message approval_card(const ApprovalView& a) {
  json blocks = json::array();
  const std::string on = a.cluster.empty() ? "" : " on " + a.cluster;
  blocks.push_back(json{{"type", "header"}, {"text", plain("Approval needed: " + a.step + on, kMaxHeaderText)}});
  const std::string where = a.cluster.empty() ? "" : " on cluster *" + escape(a.cluster) + "*";
  blocks.push_back(section("This step *changes* something" + where + ". It runs exactly this command:\n" +
                           code_block(display_argv(a.argv), kMaxSectionText - 60)));
  if (a.why) {
    blocks.push_back(section(why_text(*a.why)));
  }
  if (!a.dry_run_output.empty() && a.dry_run_ok) {
    blocks.push_back(section("*Dry run*\n" + code_block(a.dry_run_output, kMaxSectionText - 10)));
  } else if (!a.dry_run_ok) {
    blocks.push_back(
        section(":warning: *The dry run could not run:* " + escape(dry_run_failure_line(a.dry_run_output))));
  }
  blocks.push_back(
      context({std::string(risk_emoji(a.risk)) + " risk *" + escape(a.risk) + "*", "requested by " + user(a.requester),
               "expires " + escape(a.expires_at), "run `" + escape(short_id(a.run_id)) + "`"}));
  if (!a.status.empty()) {
    blocks.push_back(context({a.status}));
  }
  if (a.on_call) {
    blocks.push_back(context({on_call_line(*a.on_call)}));
  }
  json approve = button("Approve", kActionApprove, a.token, "primary");
  approve["confirm"] = json{{"title", plain("Run this step?", 100)},
                            {"text", plain("This runs" + on + ": " + display_argv(a.argv), 300)},
                            {"confirm", plain("Approve and run", 30)},
                            {"deny", plain("Back", 30)},
                            {"style", a.risk == "high" ? "danger" : "primary"}};
  blocks.push_back(json{{"type", "actions"},
                        {"block_id", approval_card_block_id(a.token)},
                        {"elements", json::array({approve, button("Deny", kActionDeny, a.token, "danger")})}});
  return finish("Approval needed for " + a.step + on + " (" + a.risk + " risk): " + display_argv(a.argv),
                std::move(blocks));
}

std::string on_call_line(const OnCallView& o) {
  const std::string service = escape(o.service);
  if (o.unavailable) {
    return ":warning: The " + service +
           " on-call lookup is failing: only the configured approvers can approve "
           "right now.";
  }
  if (o.users.empty()) {
    return ":pager: Nobody on call in " + service +
           " has a Slack account Vigil can match; the configured "
           "approvers can approve.";
  }
  std::string who;
  for (std::size_t i = 0; i < o.users.size() && i < 10; ++i) {
    who += (i == 0 ? "" : ", ") + user(o.users[i]);
  }
  if (o.users.size() > 10) {
    who += " and " + std::to_string(o.users.size() - 10) + " more";
  }
  return ":pager: On call now in " + service + (o.as_of.empty() ? "" : " (as of " + escape(o.as_of) + ")") + ": " +
         who + ". They can approve, as can the configured approvers.";
}

Message decision(const DecisionView& d) {
  json blocks = json::array();
  const std::string verb = d.approved ? "Approved" : "Denied";
  const std::string on = d.cluster.empty() ? "" : " on " + d.cluster;
  blocks.push_back(section(std::string(d.approved ? ":white_check_mark:" : ":no_entry:") + " *" + verb + "* by " +
                           user(d.by) + " at " + escape(d.at) + ": *" + escape(d.step + on) + "*"));
  if (!d.argv.empty()) {
    blocks.push_back(section(code_block(display_argv(d.argv))));
  }
  if (!d.reason.empty()) {
    blocks.push_back(context({escape(d.reason)}));
  }
  return finish(verb + " by " + d.by + " at " + d.at + ": " + d.step + on, std::move(blocks));
}

Message error(const std::string& title, const std::string& detail) {
  json blocks = json::array();
  blocks.push_back(section(":x: *" + escape(title) + "*"));
  if (!detail.empty()) {
    blocks.push_back(section(code_block(detail)));
  }
  return finish(title, std::move(blocks));
}

}  // namespace vigil::slack::blocks

namespace vigil::slack::blocks {

Message approval_closed(const std::string& step, const std::vector<std::string>& argv, const std::string& status) {
  json blocks = json::array();
  blocks.push_back(section(":hourglass: *" + escape(step) + "* — " + status));
  if (!argv.empty()) {
    blocks.push_back(section(code_block(display_argv(argv))));
  }
  return finish(step + ": " + status, std::move(blocks));
}

Message text(const std::string& mrkdwn_text) {
  constexpr std::string_view kFence = "```";
  json blocks = json::array();
  std::string_view rest(mrkdwn_text);
  bool in_fence = false;  // the previous section was cut inside a ``` block
  // Sections of at most 3000 characters, cut at line breaks where possible. A cut inside a code
  // block closes it at the end of the section and opens it again at the start of the next, so
  // each section renders on its own.
  while (!rest.empty() && blocks.size() < kMaxBlocks) {
    const std::string reopen = in_fence ? std::string(kFence) + "\n" : std::string();
    if (reopen.size() + rest.size() <= kMaxSectionText) {
      blocks.push_back(section(reopen + std::string(rest)));
      break;
    }
    const std::size_t room = kMaxSectionText - reopen.size() - kFence.size() - 1;
    auto cut = rest.substr(0, room).rfind('\n');
    if (cut == std::string_view::npos || cut < room / 2) {
      cut = utf8_floor(rest, room);
    }
    const auto piece = rest.substr(0, cut);
    std::size_t fences = 0;
    for (auto at = piece.find(kFence); at != std::string_view::npos; at = piece.find(kFence, at + kFence.size())) {
      ++fences;
    }
    in_fence = in_fence != (fences % 2 == 1);
    blocks.push_back(section(reopen + std::string(piece) + (in_fence ? "\n" + std::string(kFence) : "")));
    rest.remove_prefix(cut);
    if (in_fence && !rest.empty() && rest.front() == '\n') {
      rest.remove_prefix(1);  // the reopening fence starts the line
    }
  }
  return finish(mrkdwn_text, cap_blocks(std::move(blocks)));
}

std::string full_output_value(const std::string& run_id, long long step_row) {
  return run_id + ":" + std::to_string(step_row);
}

std::optional<std::pair<std::string, long long>> parse_full_output_value(std::string_view value) {
  const auto colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 64 || value.size() - colon > 19) {
    return std::nullopt;
  }
  const auto run = value.substr(0, colon);
  const auto row = value.substr(colon + 1);
  if (row.empty() || !std::all_of(row.begin(), row.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !std::all_of(run.begin(), run.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; })) {
    return std::nullopt;
  }
  return std::make_pair(std::string(run), std::stoll(std::string(row)));
}

Message text_with_full_output(const std::string& mrkdwn_text, const std::vector<FullOutputButton>& buttons) {
  auto m = text(mrkdwn_text);
  if (buttons.empty()) {
    return m;
  }
  constexpr std::size_t kMaxElements = 25;
  json elements = json::array();
  for (const auto& b : buttons) {
    if (elements.size() >= kMaxElements) {
      break;
    }
    const std::string action = std::string(kActionFullOutput) + ":" + std::to_string(b.step_row);
    elements.push_back(button("Full output: " + b.step, action.c_str(), full_output_value(b.run_id, b.step_row)));
  }
  if (m.blocks.size() >= kMaxBlocks) {
    m.blocks.erase(m.blocks.size() - 1);
  }
  m.blocks.push_back(json{{"type", "actions"}, {"elements", std::move(elements)}});
  return m;
}

json deny_reason_modal(const std::string& callback_id, const std::string& token) {
  return json{{"type", "modal"},
              {"callback_id", id(callback_id)},
              {"private_metadata", token.substr(0, 3000)},
              {"title", plain("Deny this step", 24)},
              {"submit", plain("Deny", 24)},
              {"close", plain("Back", 24)},
              {"blocks", json::array({json{{"type", "input"},
                                           {"block_id", "reason"},
                                           {"optional", true},
                                           {"label", plain("Why? (optional; goes in the audit log)", 2000)},
                                           {"element", json{{"type", "plain_text_input"},
                                                            {"action_id", "reason"},
                                                            {"multiline", true},
                                                            {"max_length", 2000}}}}})}};
}

}  // namespace vigil::slack::blocks

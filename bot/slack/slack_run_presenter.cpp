#include "bot/slack/slack_run_presenter.h"

#include <boost/asio/steady_timer.hpp>

#include "bot/store/store.h"
#include "bot/slack/user_directory.h"
#include "integrations/slack/blocks.h"
#include "integrations/slack/web_api.h"

namespace vigil {
namespace {

constexpr int kMaxRootFailures = 5;
// A thread line shows this much of an event's detail (line_for's code block).
constexpr std::size_t kDetailShown = 1500;
// A timeline row saying where the run's root message is (its ts), so a later view of the run (a
// note after it finished, or the process after a restart) updates that root instead of posting
// a second one.
constexpr const char* kRootEvent = "slack_root";
// Written before the first chat.postMessage of a run's root: with no slack_root row after it, the
// post's outcome is unknown (a crash or a timeout between Slack taking it and its answer), and the
// root is looked for in Slack before another is posted.
constexpr const char* kRootPostEvent = "slack_root_post";

// Escaped text with people's ids as mentions (Slack shows their names): "denied by <@U0…>".
std::string shown(const std::string& text) {
  return mention_user_ids(slack::blocks::escape(text));
}

// Event text comes from agents, tools and people: escaped before it is shown.
std::string line_for(const ProgressEvent& e) {
  using slack::blocks::code_block;
  using slack::blocks::escape;
  const auto detail = e.detail.empty() ? std::string() : "\n" + code_block(e.detail, kDetailShown);
  switch (e.kind) {
    case ProgressKind::Finding:
      return ":mag: " + shown(e.text) + detail;
    case ProgressKind::Text:
      return shown(e.text) + detail;
    case ProgressKind::Proposal:
      return ":bulb: " + shown(e.text) + (e.detail.empty() ? "" : " — " + shown(e.detail));
    case ProgressKind::ProposalRejected:
      return ":x: " + shown(e.text) + (e.detail.empty() ? "" : " — " + shown(e.detail));
    case ProgressKind::StepStarted:
      return ":arrow_forward: " + shown(e.text);
    case ProgressKind::StepFinished:
      return ":white_small_square: " + shown(e.text) + detail;  // the step's output: evidence
    case ProgressKind::Note: {
      // A person's action ("acknowledged by <@U…>") may mention that person, and only them.
      auto line = ":information_source: " + shown(e.text);
      if (slack::blocks::is_user_id(e.actor)) {
        const auto escaped = "&lt;@" + e.actor + "&gt;";
        for (auto at = line.find(escaped); at != std::string::npos; at = line.find(escaped, at)) {
          line.replace(at, escaped.size(), "<@" + e.actor + ">");
        }
      }
      return line;
    }
    case ProgressKind::FollowUp:
      return ":speech_balloon: " + (e.actor.rfind("U", 0) == 0 ? "<@" + e.actor + "> asked: " : "asked: ") +
             shown(e.text);
    case ProgressKind::AutoTriagePaused:
      return ":double_vertical_bar: " + shown(e.text);
    default:
      return {};
  }
}

std::string capitalized(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') {
    text[0] = static_cast<char>(text[0] - 'a' + 'A');
  }
  return text;
}

std::string finished_line(const RunRecord& run, const ProgressEvent& e) {
  using slack::blocks::escape;
  const auto result = run.shown_result();
  std::string head;
  std::string rest = e.text;
  if (result) {
    std::string label(label_of(*result));
    head = std::string(icon_of(*result)) + " *" + capitalized(label) + "*";
    // The run manager's line starts with the same label ("failed: a step failed"): said once.
    if (rest == label) {
      rest.clear();
    } else if (rest.rfind(label + ": ", 0) == 0) {
      rest = rest.substr(label.size() + 2);
    }
  } else {
    const std::string state(to_string(e.state));
    head = ":checkered_flag: *Run " + state + "*";
    if (rest == state) {
      rest.clear();
    }
  }
  return head + (rest.empty() ? "" : " — " + escape(rest)) + (e.detail.empty() ? "" : "\n" + escape(e.detail));
}

}  // namespace

std::optional<std::chrono::milliseconds> root_refresh_due_in(RunState state,
                                                             std::chrono::system_clock::time_point last_update,
                                                             std::chrono::system_clock::time_point now,
                                                             std::chrono::milliseconds pace) {
  if (is_terminal(state) || pace.count() <= 0) {
    return std::nullopt;
  }
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_update);
  if (since >= pace) {
    return std::chrono::milliseconds(0);
  }
  return pace - std::max(since, std::chrono::milliseconds(0));
}

bool offers_full_output(const ProgressEvent& e) {
  return e.output_step != 0 && (e.output_cut || e.detail.size() > kDetailShown);
}

SlackRunPresenter::SlackRunPresenter(boost::asio::any_io_executor ex, Store& store, slack::WebApi& web, Clock& clock,
                                     Logger log, std::chrono::milliseconds interval,
                                     std::chrono::milliseconds refresh_pace)
    : ex_(std::move(ex)),
      store_(store),
      web_(web),
      clock_(clock),
      log_(std::move(log)),
      interval_(interval),
      refresh_pace_(refresh_pace) {}

void SlackRunPresenter::set_incident_channel(std::string channel) {
  incident_channel_ = std::move(channel);
}

void SlackRunPresenter::announce_pause(const RunRecord& run, const std::string& announcement) {
  const auto& channel = incident_channel_.empty() ? run.channel : incident_channel_;
  if (channel.empty() || announcement.empty()) {
    return;
  }
  ++announcing_;
  spawn(ex_, post_announcement(channel, announcement), log_, "slack pause announcement");
}

Task<> SlackRunPresenter::post_announcement(std::string channel, std::string mrkdwn) {
  // Top level, not in the run's thread: the people watching the incident channel must see it.
  const auto built = slack::blocks::text(":double_vertical_bar: " + slack::blocks::escape(mrkdwn));
  slack::OutgoingMessage m;
  m.channel = channel;
  m.text = built.text;
  m.blocks = built.blocks;
  auto posted = co_await web_.post_message(std::move(m));
  if (!posted) {
    log_->warn("channel={}: pause announcement not posted: {}", channel, posted.error().message());
  }
  --announcing_;
}

bool SlackRunPresenter::idle() const {
  if (announcing_ > 0) {
    return false;
  }
  for (const auto& [id, v] : views_) {
    if (v.loop_running || v.flushing) {
      return false;
    }
  }
  return true;
}

void SlackRunPresenter::on_progress(const RunRecord& run, const ProgressEvent& e) {
  if (run.channel.empty() || given_up_.count(run.id)) {
    return;  // a run from the terminal, or one Slack refused to show
  }
  if (e.kind == ProgressKind::Queued && !views_.count(run.id)) {
    // A queued run is only its database row: its card is posted when it starts (or ends while
    // queued). The person who asked was told its place in the queue, and an alert storm that
    // queues thousands of runs neither floods the channels nor holds a card per run in memory.
    return;
  }
  auto& v = views_[run.id];
  if (v.channel.empty()) {
    v.channel = run.channel;
    v.thread_ts = run.thread_ts;
    if (!run.thread_ts.empty()) {
      v.root_ts = posted_root(run.id);
    }
  }
  switch (e.kind) {
    case ProgressKind::ToolCall:
      v.tool_calls.push_back(e.text);
      break;
    case ProgressKind::Queued:
    case ProgressKind::Started:
    case ProgressKind::WaitingForApproval:
    case ProgressKind::Decision:
    case ProgressKind::ToolResult:
    case ProgressKind::Repeat:
      v.root_dirty = true;
      break;
    case ProgressKind::Finished:
      v.root_dirty = true;
      v.finished = true;
      v.summary = finished_line(run, e);
      break;
    case ProgressKind::AutoTriagePaused:
      v.lines.push_back(line_for(e));
      announce_pause(run, e.detail);
      break;
    default: {
      auto line = line_for(e);
      if (!line.empty()) {
        v.lines.push_back(std::move(line));
        if (offers_full_output(e)) {
          const auto step = store_.get_step(e.output_step);
          if (step && step->run_id == run.id) {
            v.output_buttons.emplace_back(step->step, step->id);
          }
        }
      }
      v.root_dirty = v.root_dirty || e.kind == ProgressKind::StepFinished;
    }
  }
  ensure_loop(run.id);
}

void SlackRunPresenter::touch(const std::string& run_id) {
  if (auto it = views_.find(run_id); it != views_.end()) {
    it->second.root_dirty = true;
    ensure_loop(run_id);
  }
}

void SlackRunPresenter::ensure_loop(const std::string& run_id) {
  auto& v = views_[run_id];
  if (!v.loop_running) {
    v.loop_running = true;
    spawn(ex_, flush_loop(run_id), log_, "slack presenter " + run_id);
  }
}

Task<> SlackRunPresenter::post_root(const std::string& run_id, View& v) {
  const auto run = store_.get_run(run_id);
  if (!run) {
    co_return;
  }
  slack::blocks::RunView rv;
  rv.run_id = run->id;
  rv.status = std::string(to_string(run->state));
  if (const auto result = run->shown_result()) {
    rv.result_icon = std::string(icon_of(*result));
    rv.result_label = capitalized(std::string(label_of(*result)));
  }
  rv.title = run->text;
  rv.incident = run->incident_id;
  rv.requester = run->requester;
  const auto start = run->started_at.value_or(run->created_at);
  const auto end = run->finished_at.value_or(to_unix(clock_.now()));
  rv.elapsed = std::chrono::seconds(std::max<long long>(0, end - start));
  rv.cancel_token = is_terminal(run->state) ? "" : run->id;
  rv.repeats = run->repeat_count;
  rv.diagnosis = latest_diagnosis(run_id);
  for (const auto& s : store_.list_steps(run_id)) {
    rv.steps.push_back(s.step + ": " + std::string(to_string(s.state)));
  }
  if (alert_view_) {
    rv.alert = alert_view_(*run);
  }
  const auto built = slack::blocks::run_root(rv);
  slack::OutgoingMessage m;
  m.channel = v.channel;
  m.text = built.text;
  m.blocks = built.blocks;
  v.root_dirty = false;
  v.last_root_update = clock_.now();
  if (v.root_ts.empty() && !v.root_looked_up) {
    v.root_looked_up = true;
    auto found = co_await find_unanswered_root(run_id, v);
    if (!found.empty()) {
      log_->info("run={} channel={}: root message ts={} was posted but its answer never came; updating it", run_id,
                 v.channel, found);
      adopt_root(run_id, v, found);
    }
  }
  if (v.root_ts.empty()) {
    if (!v.thread_ts.empty()) {
      m.thread_ts = v.thread_ts;
    }
    if (!v.root_post_recorded) {
      v.root_post_recorded = true;
      store_.append_event({0, run_id, to_unix_ms(clock_.now()), kRootPostEvent, "system", "", ""});
    }
    auto posted = co_await web_.post_message(std::move(m));
    if (!posted) {
      ++v.root_failures;
      v.root_dirty = true;
      // No answer is not no message: Slack may have taken it. Look before posting again.
      v.root_looked_up = !(posted.error().is(Errc::Timeout) || posted.error().is(Errc::Unavailable) ||
                           posted.error().is(Errc::Closed));
      log_->warn("run={} channel={}: root message not posted ({} of {} tries): {}", run_id, v.channel, v.root_failures,
                 kMaxRootFailures, posted.error().message());
      co_return;
    }
    adopt_root(run_id, v, posted->ts);
    ensure_refresh(run_id);
  } else {
    slack::MessageRef where{v.channel, v.root_ts};
    auto updated = co_await web_.update_message(std::move(where), std::move(m));
    if (!updated) {
      log_->warn("run={} channel={}: root message not updated: {}", run_id, v.channel, updated.error().message());
    }
    ensure_refresh(run_id);
  }
}

void SlackRunPresenter::ensure_refresh(const std::string& run_id) {
  if (refresh_pace_.count() > 0 && refreshing_.insert(run_id).second) {
    spawn(ex_, refresh_loop(run_id), log_, "slack root refresh " + run_id);
  }
}

Task<> SlackRunPresenter::refresh_loop(std::string run_id) {
  for (;;) {
    const auto it = views_.find(run_id);
    const auto run = store_.get_run(run_id);
    if (it == views_.end() || !run) {
      break;
    }
    auto due = root_refresh_due_in(run->state, it->second.last_root_update, clock_.now(), refresh_pace_);
    if (!due) {
      break;
    }
    if (due->count() == 0) {
      it->second.root_dirty = true;
      ensure_loop(run_id);
      due = refresh_pace_;
    }
    const std::chrono::milliseconds wait = *due;
    if (!co_await clock_.sleep_for(wait)) {
      break;
    }
  }
  refreshing_.erase(run_id);
}

void SlackRunPresenter::adopt_root(const std::string& run_id, View& v, const std::string& ts) {
  v.root_ts = ts;
  store_.append_event({0, run_id, to_unix_ms(clock_.now()), kRootEvent, "system", v.root_ts, ""});
  if (v.thread_ts.empty()) {
    v.thread_ts = ts;
  }
  store_.set_run_thread(run_id, v.channel, v.thread_ts);
}

Task<std::string> SlackRunPresenter::find_unanswered_root(const std::string& run_id, const View& v) {
  std::optional<long long> first_post_ms;
  for (const auto& e : store_.list_events(run_id)) {
    if (e.kind == kRootPostEvent) {
      first_post_ms = e.at_ms;
      break;
    }
  }
  if (!first_post_ms) {
    co_return std::string();  // never posted: nothing to find
  }
  const auto oldest = slack::ts_a_minute_before(*first_post_ms / 1000);
  auto listed = co_await web_.recent_messages(v.channel, v.thread_ts, oldest, 50);
  if (!listed) {
    log_->warn("run={} channel={}: cannot look for a root posted before (a second one may show): {}", run_id, v.channel,
               listed.error().message());
    co_return std::string();
  }
  const auto prefix = slack::blocks::run_root_text_prefix(run_id);
  std::string earliest;
  for (const auto& m : *listed) {
    if (!m.bot_id.empty() && m.text.rfind(prefix, 0) == 0 && (earliest.empty() || m.ts < earliest)) {
      earliest = m.ts;
    }
  }
  co_return earliest;
}

std::string SlackRunPresenter::latest_diagnosis(const std::string& run_id) {
  std::string text;
  for (const auto& e : store_.list_events(run_id)) {
    if (e.kind == "diagnosis") {
      text = e.text;  // already redacted
    }
  }
  return text;
}

std::string SlackRunPresenter::posted_root(const std::string& run_id) {
  std::string ts;
  for (const auto& e : store_.list_events(run_id)) {
    if (e.kind == kRootEvent) {
      ts = e.text;
    }
  }
  return ts;
}

Task<> SlackRunPresenter::flush(const std::string& run_id, bool force_root) {
  auto it = views_.find(run_id);
  if (it == views_.end()) {
    co_return;
  }
  auto* v = &it->second;
  // One flush at a time per run (the loop and flush_now may meet): otherwise two roots.
  while (v->flushing) {
    auto timer = std::make_shared<boost::asio::steady_timer>(ex_, boost::asio::steady_timer::time_point::max());
    v->flush_waiters.push_back(timer);
    co_await timer->async_wait(kToken);
  }
  v->flushing = true;
  if (v->root_ts.empty() || (v->root_dirty && (force_root || clock_.now() - v->last_root_update >= interval_))) {
    co_await post_root(run_id, *v);
  }
  if (v->root_ts.empty()) {
    release(*v);
    co_return;  // Slack refused the root: the lines wait for the next round
  }
  std::string text;
  if (!v->tool_calls.empty()) {
    text = ":wrench: " + std::to_string(v->tool_calls.size()) + " tool call" + (v->tool_calls.size() == 1 ? "" : "s") +
           ":";
    for (const auto& t : v->tool_calls) {
      text += "\n• `" + slack::blocks::escape(t.substr(0, 200)) + "`";
    }
    v->tool_calls.clear();
  }
  for (auto& l : v->lines) {
    text += (text.empty() ? "" : "\n") + l;
  }
  v->lines.clear();
  auto buttons = std::move(v->output_buttons);
  v->output_buttons.clear();
  if (!text.empty()) {
    co_await post_in_thread(run_id, *v, text, std::move(buttons));
  }
  // Lines that came while the last post was on its way (a verify step's output) go before the summary.
  if (v->finished && !v->summary_posted && v->lines.empty() && v->tool_calls.empty()) {
    v->summary_posted = true;
    std::vector<std::pair<std::string, std::int64_t>> no_buttons;
    co_await post_in_thread(run_id, *v, v->summary, std::move(no_buttons));
  }
  release(*v);
}

Task<> SlackRunPresenter::post_in_thread(const std::string& run_id, const View& v, const std::string& mrkdwn,
                                         std::vector<std::pair<std::string, std::int64_t>> output_buttons) {
  std::vector<slack::blocks::FullOutputButton> buttons;
  for (const auto& [step, row] : output_buttons) {
    buttons.push_back({step, run_id, row});
  }
  const auto built = slack::blocks::text_with_full_output(mrkdwn, buttons);
  slack::OutgoingMessage m;
  m.channel = v.channel;
  m.thread_ts = v.thread_ts;
  m.text = built.text;
  m.blocks = built.blocks;
  auto posted = co_await web_.post_message(std::move(m));
  if (!posted) {
    log_->warn("run={}: thread reply not posted: {}", run_id, posted.error().message());
  }
}

void SlackRunPresenter::release(View& v) {
  v.flushing = false;
  auto waiters = std::move(v.flush_waiters);
  v.flush_waiters.clear();
  for (auto& t : waiters) {
    t->cancel();
  }
}

Task<> SlackRunPresenter::flush_now(std::string run_id) {
  if (views_.count(run_id)) {
    co_await flush(run_id, true);
  }
}

Task<> SlackRunPresenter::flush_loop(std::string run_id) {
  while (true) {
    co_await flush(run_id, false);
    auto& v = views_[run_id];
    if (v.root_ts.empty() && v.root_failures >= kMaxRootFailures) {
      // Slack keeps refusing (the bot is not in the channel, the channel is archived…): the run
      // goes on and its timeline is complete; only its Slack view is dropped.
      log_->error("run={} channel={}: giving up on showing this run in Slack", run_id, v.channel);
      given_up_.insert(run_id);
      views_.erase(run_id);
      co_return;
    }
    const bool pending = v.root_dirty || !v.lines.empty() || !v.tool_calls.empty() ||
                         (v.finished && !v.summary_posted) || v.root_ts.empty();
    if (!pending && v.finished) {
      break;
    }
    if (!pending) {
      // Quiet run: stop the loop; the next event starts it again.
      break;
    }
    co_await clock_.sleep_for(interval_);
  }
  views_[run_id].loop_running = false;
  if (views_[run_id].finished && views_[run_id].summary_posted && !views_[run_id].root_dirty) {
    views_.erase(run_id);
  }
}

}  // namespace vigil

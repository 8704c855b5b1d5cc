#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "bot/base/clock.h"
#include "bot/base/task.h"
#include "bot/core/progress.h"
#include "integrations/slack/blocks.h"

namespace vigil {

class Store;
namespace slack {
class WebApi;
}

/// When a run's root should be shown again so its elapsed time moves: `pace` after its last update
/// while the run is queued, running or awaiting approval (0: now); nullopt once the run is over.
std::optional<std::chrono::milliseconds> root_refresh_due_in(RunState state,
                                                             std::chrono::system_clock::time_point last_update,
                                                             std::chrono::system_clock::time_point now,
                                                             std::chrono::milliseconds pace);

/// Whether thread lines for `event` get a "Full output" button: a step's output that the thread
/// shows only part of (cut by the run manager, or longer than a thread line's code block).
bool offers_full_output(const ProgressEvent& event);

/// Shows runs in Slack: a root message per run (status, elapsed time, repeats, a Cancel button),
/// updated in place, and thread replies for findings, tool calls (grouped), proposals, steps and
/// the final summary. Updates are coalesced: at most one chat.update per run per interval, and the
/// thread lines of an interval go out as one message, so an alert storm cannot start a 429 loop.
/// Everything it receives was redacted by the run manager; it builds messages only through blocks.
class SlackRunPresenter final : public RunObserver {
 public:
  /// `refresh_pace`: how often the root of an unfinished run is shown again (its elapsed time).
  SlackRunPresenter(boost::asio::any_io_executor ex, Store& store, slack::WebApi& web, Clock& clock, Logger log,
                    std::chrono::milliseconds interval = std::chrono::seconds(1),
                    std::chrono::milliseconds refresh_pace = std::chrono::seconds(60));

  void on_progress(const RunRecord& run, const ProgressEvent& event) override;
  /// The run was asked for again (an alert repeat): the root shows the new count.
  void touch(const std::string& run_id);
  /// Posts whatever is pending for the run now (before an approval card, so the thread reads in
  /// order), creating the root message if needed.
  Task<> flush_now(std::string run_id);

  bool idle() const;
  /// Where a pause of automatic triage is announced (top level): the configured incident channel
  /// (http.alert_channel); when empty, the channel of the run that tripped the breaker.
  void set_incident_channel(std::string channel);

  /// The alert buttons and their status on the root of a run started by an alert (nullopt for
  /// other runs); set by the App.
  using AlertView = std::function<std::optional<slack::blocks::AlertActionsView>(const RunRecord&)>;
  void set_alert_view(AlertView view) { alert_view_ = std::move(view); }

 private:
  struct View {
    std::string channel;
    std::string thread_ts;  // where replies go (set once the root is posted, or given)
    std::string root_ts;
    bool root_dirty = true;
    std::vector<std::string> lines;
    std::vector<std::string> tool_calls;
    std::vector<std::pair<std::string, std::int64_t>> output_buttons;  // step name, step row
    std::string summary;                                               // posted once, after the run finished
    bool finished = false;
    bool summary_posted = false;
    bool loop_running = false;
    bool flushing = false;
    int root_failures = 0;            // Slack refused the root (not_in_channel, …): given up after a few
    bool root_post_recorded = false;  // the kRootPostEvent row is written
    bool root_looked_up = false;      // Slack's history was searched for a post never answered
    std::chrono::system_clock::time_point last_root_update{};
    std::vector<std::shared_ptr<boost::asio::steady_timer>> flush_waiters;
  };

  Task<> flush_loop(std::string run_id);
  /// Marks the root dirty at the refresh pace while the run is unfinished (a timer, not work:
  /// idle() does not wait for it).
  Task<> refresh_loop(std::string run_id);
  void ensure_refresh(const std::string& run_id);
  Task<> flush(const std::string& run_id, bool force_root);
  Task<> post_root(const std::string& run_id, View& view);
  void ensure_loop(const std::string& run_id);
  void release(View& view);
  /// The ts of the root message posted for the run earlier (by this process or before a restart).
  std::string posted_root(const std::string& run_id);
  /// The run's diagnosis (its latest "diagnosis" timeline row), shown first in the root; empty: none.
  std::string latest_diagnosis(const std::string& run_id);
  /// Records `ts` as the run's root (and its thread when the run had none).
  void adopt_root(const std::string& run_id, View& view, const std::string& ts);
  /// A root posted earlier whose answer (its ts) never arrived: the process died between Slack
  /// taking chat.postMessage and the slack_root row, or the answer timed out. Found in the channel's
  /// (or the thread's) latest messages by its text; empty when there is none or Slack cannot say.
  Task<std::string> find_unanswered_root(const std::string& run_id, const View& view);
  Task<> post_in_thread(const std::string& run_id, const View& view, const std::string& mrkdwn,
                        std::vector<std::pair<std::string, std::int64_t>> output_buttons = {});
  void announce_pause(const RunRecord& run, const std::string& announcement);
  Task<> post_announcement(std::string channel, std::string mrkdwn);

  boost::asio::any_io_executor ex_;
  Store& store_;
  slack::WebApi& web_;
  Clock& clock_;
  Logger log_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds refresh_pace_;
  std::set<std::string> refreshing_;  // runs with a refresh_loop
  std::map<std::string, View> views_;
  std::string incident_channel_;
  int announcing_ = 0;
  std::set<std::string> given_up_;  // runs Slack would not show (bounded by the process life)
  AlertView alert_view_;
};

}  // namespace vigil

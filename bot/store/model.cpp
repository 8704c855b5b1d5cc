#include "bot/store/model.h"

#include <array>
#include <utility>

namespace vigil {
namespace {

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) {
      return name;
    }
  }
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> parse_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text) {
  for (const auto& [e, name] : table) {
    if (name == text) {
      return e;
    }
  }
  return std::nullopt;
}

constexpr std::array<std::pair<RunResult, std::string_view>, 10> kRunResults = {{
    {RunResult::Fixed, "fixed"},
    {RunResult::Diagnosed, "diagnosed"},
    {RunResult::Denied, "denied"},
    {RunResult::NothingToDo, "nothing_to_do"},
    {RunResult::Skipped, "skipped"},
    {RunResult::NeedsInput, "needs_input"},
    {RunResult::Failed, "failed"},
    {RunResult::Cancelled, "cancelled"},
    {RunResult::TimedOut, "timed_out"},
    {RunResult::Interrupted, "interrupted"},
}};

constexpr std::array<std::pair<RunResult, std::string_view>, 10> kRunResultLabels = {{
    {RunResult::Fixed, "fixed"},
    {RunResult::Diagnosed, "diagnosed, no change made"},
    {RunResult::Denied, "fix denied, no change made"},
    {RunResult::NothingToDo, "nothing to do"},
    {RunResult::Skipped, "skipped: automatic triage is paused"},
    {RunResult::NeedsInput, "needs parameters"},
    {RunResult::Failed, "failed"},
    {RunResult::Cancelled, "cancelled"},
    {RunResult::TimedOut, "timed out"},
    {RunResult::Interrupted, "interrupted"},
}};

constexpr std::array<std::pair<RunResult, std::string_view>, 10> kRunResultIcons = {{
    {RunResult::Fixed, ":white_check_mark:"},
    {RunResult::Diagnosed, ":mag:"},
    {RunResult::Denied, ":no_entry_sign:"},
    {RunResult::NothingToDo, ":heavy_minus_sign:"},
    {RunResult::Skipped, ":double_vertical_bar:"},
    {RunResult::NeedsInput, ":question:"},
    {RunResult::Failed, ":x:"},
    {RunResult::Cancelled, ":black_square_for_stop:"},
    {RunResult::TimedOut, ":hourglass:"},
    {RunResult::Interrupted, ":warning:"},
}};

constexpr std::array<std::pair<RunState, std::string_view>, 8> kRunStates = {{
    {RunState::Queued, "queued"},
    {RunState::Running, "running"},
    {RunState::AwaitingApproval, "awaiting_approval"},
    {RunState::Succeeded, "succeeded"},
    {RunState::Failed, "failed"},
    {RunState::TimedOut, "timed_out"},
    {RunState::Cancelled, "cancelled"},
    {RunState::Interrupted, "interrupted"},
}};

constexpr std::array<std::pair<ApprovalState, std::string_view>, 5> kApprovalStates = {{
    {ApprovalState::Pending, "pending"},
    {ApprovalState::Approved, "approved"},
    {ApprovalState::Denied, "denied"},
    {ApprovalState::Expired, "expired"},
    {ApprovalState::Cancelled, "cancelled"},
}};

}  // namespace

std::string_view to_string(RunResult r) {
  return name_of(kRunResults, r);
}
std::optional<RunResult> parse_run_result(std::string_view s) {
  return parse_of(kRunResults, s);
}
std::string_view label_of(RunResult r) {
  return name_of(kRunResultLabels, r);
}
std::string_view icon_of(RunResult r) {
  return name_of(kRunResultIcons, r);
}

std::optional<RunResult> default_result_for(RunState terminal_state) {
  switch (terminal_state) {
    case RunState::Failed:
      return RunResult::Failed;
    case RunState::Cancelled:
      return RunResult::Cancelled;
    case RunState::TimedOut:
      return RunResult::TimedOut;
    case RunState::Interrupted:
      return RunResult::Interrupted;
    default:
      return std::nullopt;
  }
}

std::optional<RunResult> RunRecord::shown_result() const {
  if (!is_terminal(state)) {
    return std::nullopt;
  }
  if (result) {
    return result;
  }
  return default_result_for(state);
}

std::string RunRecord::shown_status() const {
  if (const auto r = shown_result()) {
    return std::string(label_of(*r));
  }
  return std::string(to_string(state));
}

std::string_view to_string(RunState s) {
  return name_of(kRunStates, s);
}
std::optional<RunState> parse_run_state(std::string_view s) {
  return parse_of(kRunStates, s);
}
bool is_terminal(RunState s) {
  return s == RunState::Succeeded || s == RunState::Failed || s == RunState::TimedOut || s == RunState::Cancelled ||
         s == RunState::Interrupted;
}

std::string_view to_string(ApprovalState s) {
  return name_of(kApprovalStates, s);
}
std::optional<ApprovalState> parse_approval_state(std::string_view s) {
  return parse_of(kApprovalStates, s);
}

}  // namespace vigil

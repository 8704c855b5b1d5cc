#include "bot/model.h"

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
std::optional<E> parse_of(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view text) {
  for (const auto& [e, name] : table) {
    if (name == text) {
      return e;
    }
  }
  return std::nullopt;
}

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

constexpr std::array<std::pair<StepState, std::string_view>, 11> kStepStates = {{
    {StepState::Pending, "pending"},
    {StepState::AwaitingApproval, "awaiting_approval"},
    {StepState::Running, "running"},
    {StepState::Succeeded, "succeeded"},
    {StepState::Failed, "failed"},
    {StepState::Skipped, "skipped"},
    {StepState::Denied, "denied"},
    {StepState::Expired, "expired"},
    {StepState::TimedOut, "timed_out"},
    {StepState::Cancelled, "cancelled"},
    {StepState::Interrupted, "interrupted"},
}};

constexpr std::array<std::pair<ApprovalState, std::string_view>, 5> kApprovalStates = {{
    {ApprovalState::Pending, "pending"},
    {ApprovalState::Approved, "approved"},
    {ApprovalState::Denied, "denied"},
    {ApprovalState::Expired, "expired"},
    {ApprovalState::Cancelled, "cancelled"},
}};

}  // namespace

std::string_view to_string(RunState s) { return name_of(kRunStates, s); }
std::optional<RunState> parse_run_state(std::string_view s) { return parse_of(kRunStates, s); }
bool is_terminal(RunState s) {
  return s == RunState::Succeeded || s == RunState::Failed || s == RunState::TimedOut ||
         s == RunState::Cancelled || s == RunState::Interrupted;
}

std::string_view to_string(StepState s) { return name_of(kStepStates, s); }
std::optional<StepState> parse_step_state(std::string_view s) { return parse_of(kStepStates, s); }

std::string_view to_string(ApprovalState s) { return name_of(kApprovalStates, s); }
std::optional<ApprovalState> parse_approval_state(std::string_view s) {
  return parse_of(kApprovalStates, s);
}

}  // namespace vigil

#include "skills/step_state.h"

#include <array>
#include <utility>

namespace vigil {
namespace {

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

}  // namespace

std::string_view to_string(StepState s) {
  for (const auto& [state, name] : kStepStates) {
    if (state == s) {
      return name;
    }
  }
  return "unknown";
}

std::optional<StepState> parse_step_state(std::string_view s) {
  for (const auto& [state, name] : kStepStates) {
    if (name == s) {
      return state;
    }
  }
  return std::nullopt;
}

}  // namespace vigil

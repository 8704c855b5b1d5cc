#pragma once

#include <optional>
#include <string_view>

namespace vigil {

/// Where one step of a skill run stands (DESIGN.md §3). Declared by the skills engine, which moves
/// steps through these states; the store persists them by name.
enum class StepState {
  Pending,
  AwaitingApproval,
  Running,
  Succeeded,
  Failed,
  Skipped,
  Denied,
  Expired,
  TimedOut,
  Cancelled,
  Interrupted,
};

/// The persisted name: "pending", "awaiting_approval", "timed_out", …
std::string_view to_string(StepState s);
std::optional<StepState> parse_step_state(std::string_view s);

}  // namespace vigil

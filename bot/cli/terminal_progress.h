#pragma once

#include <ostream>

#include "bot/core/progress.h"

namespace vigil {

/// Renders a run's progress on a terminal: one line per event, longer text indented below it.
class TerminalProgress final : public RunObserver {
 public:
  explicit TerminalProgress(std::ostream& out) : out_(out) {}
  void on_progress(const RunRecord& run, const ProgressEvent& event) override;

 private:
  std::ostream& out_;
};

}  // namespace vigil

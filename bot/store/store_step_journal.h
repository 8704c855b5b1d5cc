#pragma once

#include "bot/base/clock.h"
#include "bot/store/model.h"
#include "skills/step_journal.h"

namespace vigil {

class Store;

/// The step executor's journal kept in the Store: steps are rows of `steps`, events rows of the
/// run's timeline, an approved change's execution a `step.executed` row of the audit log. Times
/// are `clock`'s.
class StoreStepJournal final : public skills::StepJournal {
 public:
  StoreStepJournal(Store& store, Clock& clock) : store_(store), clock_(clock) {}

  bool has_run(const std::string& run_id) override;
  std::vector<skills::StepEntry> steps(const std::string& run_id) override;
  skills::StepEntry add_step(skills::StepEntry step) override;
  bool transition(const skills::StepEntry& step, StepState from, StepState to) override;
  void finish(const skills::StepEntry& step, const skills::StepEnd& outcome) override;
  void record(const skills::StepEvent& event) override;
  void record_execution(const skills::ExecutionRecord& execution) override;

 private:
  Store& store_;
  Clock& clock_;
};

/// A stored step as the executor sees it, and back.
skills::StepEntry step_entry_of(const StepRecord& row);
StepRecord step_record_of(const skills::StepEntry& entry);

}  // namespace vigil

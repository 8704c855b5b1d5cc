#include "bot/store/store_step_journal.h"

#include "bot/store/store.h"

namespace vigil {

skills::StepEntry step_entry_of(const StepRecord& row) {
  skills::StepEntry e;
  e.id = row.id;
  e.run_id = row.run_id;
  e.skill = row.skill;
  e.key = row.step;
  e.seq = row.seq;
  e.argv = row.argv;
  e.argv_hash = row.argv_hash;
  e.mutating = row.mutating;
  e.state = row.state;
  e.exit_code = row.exit_code;
  e.signal = row.signal;
  e.output = row.output;
  e.output_truncated = row.output_truncated;
  e.output_path = row.output_path;
  return e;
}

StepRecord step_record_of(const skills::StepEntry& entry) {
  StepRecord r;
  r.id = entry.id;
  r.run_id = entry.run_id;
  r.skill = entry.skill;
  r.step = entry.key;
  r.seq = entry.seq;
  r.argv = entry.argv;
  r.argv_hash = entry.argv_hash;
  r.mutating = entry.mutating;
  r.state = entry.state;
  r.exit_code = entry.exit_code;
  r.signal = entry.signal;
  r.output = entry.output;
  r.output_truncated = entry.output_truncated;
  r.output_path = entry.output_path;
  return r;
}

bool StoreStepJournal::has_run(const std::string& run_id) {
  return store_.get_run(run_id).has_value();
}

std::vector<skills::StepEntry> StoreStepJournal::steps(const std::string& run_id) {
  std::vector<skills::StepEntry> out;
  for (const auto& row : store_.list_steps(run_id)) {
    out.push_back(step_entry_of(row));
  }
  return out;
}

skills::StepEntry StoreStepJournal::add_step(skills::StepEntry step) {
  StepRecord row = step_record_of(step);
  store_.create_step(row);
  step.id = row.id;
  return step;
}

bool StoreStepJournal::transition(const skills::StepEntry& step, StepState from, StepState to) {
  return store_.transition_step(step.id, {from}, to, to_unix(clock_.now()));
}

void StoreStepJournal::finish(const skills::StepEntry& step, const skills::StepEnd& outcome) {
  store_.finish_step(step.id, outcome.state, outcome.exit_code, outcome.signal, outcome.output, outcome.truncated,
                     outcome.output_path, to_unix(clock_.now()));
}

void StoreStepJournal::record(const skills::StepEvent& event) {
  RunEvent e;
  e.run_id = event.run_id;
  e.at_ms = to_unix_ms(clock_.now());
  e.kind = std::string(skills::to_string(event.kind));
  e.actor = event.actor;
  e.text = event.text;
  store_.append_event(e);
}

void StoreStepJournal::record_execution(const skills::ExecutionRecord& execution) {
  AuditEntry executed;
  executed.at_ms = to_unix_ms(clock_.now());
  executed.actor = execution.approved_by;
  executed.action = "step.executed";
  executed.run_id = execution.run_id;
  executed.detail = execution.key + " " + execution.argv_hash + " " + std::string(to_string(execution.state));
  store_.append_audit(executed);
}

}  // namespace vigil

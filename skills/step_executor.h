#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/kubernetes/kubectl.h"
#include "integrations/process/child_process.h"
#include "skills/approval_gate.h"
#include "skills/findings.h"
#include "skills/incident.h"
#include "skills/skill.h"
#include "skills/step_journal.h"
#include "skills/step_state.h"
#include "skills/template.h"

namespace vigil::skills {

/// `when: {output_below_param: p}`: the step's output is a whole number below parameter p's (both
/// must be whole numbers; anything else does not hold, so nothing scales on a misread).
bool output_below(const std::string& output, const std::map<std::string, std::string>& params,
                  const std::string& param);

struct StepResult;

/// How a timeline line names its run's cluster when several are configured: "[prod-eu] "; "" for
/// a run that names none.
std::string cluster_tag(const std::string& cluster);

/// A cluster a run may target: its kubectl identities and the namespaces its runs may name.
struct ClusterTarget {
  kubernetes::KubectlOptions kubectl;
  std::vector<std::string> namespaces;  // empty: any
};

struct ExecutorOptions {
  /// The identities of a run that names no cluster (and of every run when `clusters` is empty).
  kubernetes::KubectlOptions kubectl;
  /// The clusters a run may name (SkillRun::cluster): kubernetes.clusters and the default one.
  std::map<std::string, ClusterTarget> clusters;
  /// The cluster of a run that names none (its namespaces apply to it too).
  std::string default_cluster;
  std::vector<std::string> env_allowlist{"PATH", "HOME", "LANG", "LC_ALL", "TZ"};
  /// The environment the allow-list picks from (the process environment in production).
  std::map<std::string, std::string> environment;
  /// Full step outputs go to <workspace_root>/<run id>/steps/; empty: not kept on disk.
  std::string workspace_root;
  std::chrono::milliseconds grace{30'000};
  /// Bytes of a step's output kept in the database (and used for captures and conditions).
  std::size_t output_cap = 256 * 1024;
  /// Bytes of a step's output kept in its file on disk (agent.step_output_max_bytes); more is cut
  /// with a marker that says how much the step wrote.
  std::size_t full_output_cap = 1024 * 1024;
  /// Applied to every output before it is kept (database and file): the run manager's redactor.
  std::function<std::string(std::string_view)> redact;
  /// Told of every timeline row the executor writes (after it is persisted), for live progress.
  std::function<void(const StepEvent&)> on_event;
  /// Told when a gated step's row awaits approval, just before the gate is asked (its key: "<id>",
  /// "rollback.<id>"). The executor never changes the run's state: the run's owner moves it.
  std::function<void(const std::string& run_id, const std::string& step_key)> on_awaiting_approval;
  /// Told when a step's process has finished (read-only steps, dry runs, approved changes, verify
  /// and rollback steps), with its output: the evidence a person reads before deciding.
  std::function<void(const std::string& run_id, const StepResult&)> on_step_finished;
  /// Told when the skill's findings over the steps run so far change: before a gated step asks
  /// for approval, and at the end of the run. The first finding is the diagnosis.
  std::function<void(const std::string& run_id, const std::vector<FindingResult>&)> on_findings;
};

/// One skill run (new or resumed: the run id names it).
struct SkillRun {
  std::string run_id;  // an existing row in `runs`
  Skill skill;
  std::map<std::string, std::string> params;  // as given (checked here)
  Incident incident;
  std::string requester;
  /// Read-only steps run; gated steps show their dry run and are never asked for or executed.
  bool dry_run = false;
  /// The cluster every kubectl step runs against (ExecutorOptions::clusters); empty: the default.
  std::string cluster;
};

/// What a step's output file holds: `text` (already redacted) cut at `cap` bytes on a UTF-8 boundary,
/// with a marker line when it was cut or when the step wrote more than was read (`total_bytes`).
std::string bounded_output(std::string_view text, std::size_t cap, std::size_t total_bytes);

enum class RunOutcome { Succeeded, Failed, Denied, Expired, Cancelled, DryRun };
enum class Verification { NotRun, Verified, NotVerified };
std::string_view to_string(RunOutcome o);
std::string_view to_string(Verification v);

struct StepResult {
  std::string key;  // the persisted step name: "<id>", "<id>.dry-run", "verify.<id>.<n>", "rollback.<id>"
  std::string step_id;
  std::int64_t row_id = 0;
  StepState state = StepState::Pending;
  std::vector<std::string> argv;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string output;
  bool truncated = false;
  std::string output_path;
  bool gated = false;
  bool reused = false;   // found finished in the store (a resumed run), not run again
  bool dry_run = false;  // the dry run of a gated step (its output goes on the approval card)
  std::string note;      // why skipped / denied / refused
};

struct SkillRunReport {
  RunOutcome outcome = RunOutcome::Succeeded;
  Verification verification = Verification::NotRun;
  bool rollback_offered = false;
  bool rolled_back = false;
  std::vector<StepResult> steps;
  std::string message;
  /// The skill's findings over every step that ran (the first is the diagnosis).
  std::vector<FindingResult> findings;
};

/// Runs a skill's steps for a run. Each step row is written to the journal before the step runs, so a
/// run paused at a gate survives a restart: calling run() again with the same run id reuses every
/// finished step (outputs, captures), asks the gate again for the paused step, and executes it at
/// most once (the row moves awaiting_approval → running with one conditional update). A mutating
/// step found interrupted is never re-run without a new approval.
///
/// Gated steps: the dry run first (read-only credentials), then the gate; execution only after an
/// approval whose argv hash equals the hash of the argv about to run, with the remediation
/// kubeconfig when the step is mutating. After a remediation the verify steps are polled; a failed
/// verification offers the rollback steps as new gated proposals.
///
/// The executor writes steps, their timeline rows and the record of an approved change (through
/// its StepJournal); it never moves the run's state (the run manager owns the run) and never writes
/// approval rows of the audit log (the gate does). It says what happened in its SkillRunReport.
class StepExecutor {
 public:
  StepExecutor(StepJournal& journal, process::ChildProcess& runner, ApprovalGate& gate, Clock& clock,
               ExecutorOptions options, Logger log);

  /// Errors: refused parameters (nothing ran), a step running elsewhere, an unusable run.
  Task<Result<SkillRunReport>> run(SkillRun run);

 private:
  struct RunContext;
  struct DryRunShown;
  enum class Section { Main, Verify, Rollback };

  /// Checks the run and every parameter, and reads the steps a resumed run finished before.
  Result<void> prepare(RunContext& rs);
  /// The skill's steps in order; true when one stopped the run (denied, failed, …).
  Task<bool> run_main_steps(RunContext& rs, SkillRunReport& report);
  /// After every main step: a dry run's result, or the verification of a remediation.
  Task<> conclude(RunContext& rs, SkillRunReport& report);
  Task<StepResult> run_step(RunContext& rs, const Step& step, Section section, std::string key);
  Task<StepResult> run_gated(RunContext& rs, const Step& step, std::string key, std::vector<std::string> argv,
                             std::optional<StepEntry> row, bool is_rollback);
  Task<DryRunShown> show_dry_run(RunContext& rs, const Step& step, const std::string& key);
  /// A dry run of the whole skill: the gated step is shown (its dry run), never asked for.
  StepResult show_only(RunContext& rs, const Step& step, const std::string& key, const std::vector<std::string>& argv,
                       const std::optional<StepEntry>& row, const std::string& dry_output);
  GateRequest gate_request(RunContext& rs, const Step& step, const std::string& key,
                           const std::vector<std::string>& argv, const StepEntry& gated, const DryRunShown& dry,
                           bool is_rollback);
  /// The gate said no (denied, expired, cancelled): the step ends so.
  StepResult not_approved(RunContext& rs, const StepEntry& gated, const std::string& key, const GateDecision& decision,
                          StepResult r);
  Task<StepResult> run_approved(RunContext& rs, const Step& step, const StepEntry& gated, const GateDecision& decision,
                                StepResult r);
  Task<StepResult> execute(RunContext& rs, const Step& step, StepEntry row, bool approved_mutation);
  /// The child process for the step: kubectl with its kubeconfig, the allowed environment.
  /// The identities of `run`'s cluster; an error when it is not configured or `params` name a
  /// namespace it does not let runs name.
  Result<kubernetes::KubectlOptions> cluster_for(const SkillRun& run,
                                                 const std::map<std::string, std::string>& params) const;
  Result<process::ProcessSpec> process_spec(const RunContext& rs, const Step& step, const StepEntry& row,
                                            bool approved_mutation);
  /// The step's output as kept (redacted, capped; the full output on disk) and its state.
  void keep_output(const std::string& run_id, const std::string& key, const process::ProcessResult& result,
                   const std::string& output_file, StepResult& r);
  /// Where the step's full output goes on disk ("" when not kept).
  std::string output_file_for(const std::string& run_id, const StepEntry& row);
  Task<bool> run_rollback(RunContext& rs, SkillRunReport& report);
  Task<Verification> run_verify(RunContext& rs, SkillRunReport& report);

  StepEntry new_step(RunContext& rs, const std::string& key, const std::vector<std::string>& argv, bool mutating);
  /// A step that ends without running (condition not met, refused): recorded and reported.
  StepResult end_without_running(RunContext& rs, const Step& step, const std::string& key, StepState state,
                                 const std::string& recorded_note, const std::string& note);
  void capture(RunContext& rs, const Step& step, const StepResult& result);
  bool condition_holds(const RunContext& rs, const Condition& c, const StepResult* subject) const;
  /// Evaluates the skill's findings over the steps so far; tells on_findings when they changed.
  std::vector<FindingResult> update_findings(RunContext& rs);
  void event(const RunContext& rs, StepEventKind kind, const std::string& text, const std::string& actor = "system");

  StepJournal& journal_;
  process::ChildProcess& runner_;
  ApprovalGate& gate_;
  Clock& clock_;
  ExecutorOptions options_;
  kubernetes::Kubectl kubectl_;
  Logger log_;
};

}  // namespace vigil::skills

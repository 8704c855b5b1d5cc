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
#include "bot/store/model.h"
#include "integrations/kubernetes/kubectl.h"
#include "skills/approval_gate.h"
#include "skills/findings.h"
#include "skills/incident.h"
#include "skills/skill.h"
#include "skills/template.h"

namespace vigil {
class Store;
namespace process {
class ChildProcess;
}
}  // namespace vigil

namespace vigil::skills {

struct StepResult;

struct ExecutorOptions {
  kubernetes::KubectlOptions kubectl;
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
  std::function<void(const RunEvent&)> on_event;
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
  bool reused = false;  // found finished in the store (a resumed run), not run again
  bool dry_run = false; // the dry run of a gated step (its output goes on the approval card)
  std::string note;     // why skipped / denied / refused
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

/// Runs a skill's steps for a run. Each step row is written to the Store before the step runs, so a
/// run paused at a gate survives a restart: calling run() again with the same run id reuses every
/// finished step (outputs, captures), asks the gate again for the paused step, and executes it at
/// most once (the row moves awaiting_approval → running with one conditional update). A mutating
/// step found interrupted is never re-run without a new approval.
///
/// Gated steps: the dry run first (read-only credentials), then the gate; execution only after an
/// approval whose argv hash equals the hash of the argv about to run, with the remediation
/// kubeconfig when the step is mutating. After a remediation the verify steps are polled; a failed
/// verification offers the rollback steps as new gated proposals.
class StepExecutor {
 public:
  StepExecutor(Store& store, process::ChildProcess& runner, ApprovalGate& gate, Clock& clock,
               ExecutorOptions options, Logger log);

  /// Errors: refused parameters (nothing ran), a step running elsewhere, an unusable run.
  Task<Result<SkillRunReport>> run(SkillRun run);

 private:
  struct RunContext;
  enum class Section { Main, Verify, Rollback };

  Task<StepResult> run_step(RunContext& rs, const Step& step, Section section, std::string key);
  Task<StepResult> run_gated(RunContext& rs, const Step& step, std::string key,
                             std::vector<std::string> argv, std::optional<StepRecord> row,
                             bool is_rollback);
  Task<StepResult> execute(RunContext& rs, const Step& step, StepRecord row, bool approved_mutation);
  Task<bool> run_rollback(RunContext& rs, SkillRunReport& report);
  Task<Verification> run_verify(RunContext& rs, SkillRunReport& report);

  StepRecord new_row(RunContext& rs, const Step& step, const std::string& key,
                     const std::vector<std::string>& argv, bool mutating);
  void capture(RunContext& rs, const Step& step, const StepResult& result);
  bool condition_holds(const RunContext& rs, const Condition& c, const StepResult* subject) const;
  /// Evaluates the skill's findings over the steps so far; tells on_findings when they changed.
  std::vector<FindingResult> update_findings(RunContext& rs);
  long long now_s() const;
  long long now_ms() const;
  void event(const std::string& run_id, const std::string& kind, const std::string& text,
             const std::string& actor = "system");

  Store& store_;
  process::ChildProcess& runner_;
  ApprovalGate& gate_;
  Clock& clock_;
  ExecutorOptions options_;
  kubernetes::Kubectl kubectl_;
  Logger log_;
};

}  // namespace vigil::skills

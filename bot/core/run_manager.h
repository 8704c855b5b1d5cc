#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/base/redactor.h"
#include "bot/base/task.h"
#include "bot/core/circuit_breaker.h"
#include "bot/core/config.h"
#include "bot/core/knowledge_base.h"
#include "bot/store/model.h"
#include "bot/core/progress.h"
#include "bot/core/run_trigger.h"
#include "integrations/agents/agent_cli.h"
#include "integrations/agents/workspace.h"
#include "skills/approval_gate.h"
#include "integrations/kubernetes/object_names.h"
#include "skills/skill_catalog.h"
#include "skills/step_executor.h"

namespace vigil {

class Store;
class Metrics;

struct RunManagerOptions {
  std::string default_backend = "runbook";
  int max_concurrent = 4;
  std::string workspace_root;
  agents::AgentCliOptions agent;  // backend is set per run
  /// Where agent turns run (agent.isolation: kubernetes gives a Pod per turn); empty: an AgentCli
  /// child process of this one.
  agents::AgentRunnerFactory agent_runner;
  int failure_threshold = 3;
  std::chrono::seconds pause_for{3600};
  std::size_t knowledge_per_run = 3;
  Metrics* metrics = nullptr;       // optional: run and agent_runtime_* metrics
  std::string cluster = "default";  // the cluster label of agent_runtime_* metrics
  /// The clusters (kubernetes.clusters): with several, each run works on the one its alert's
  /// `cluster` label or its channel picks (cluster_choice.h), and its thread and cards name it.
  KubernetesConfig kubernetes;
  /// Names of namespaces, pods and deployments that exist (read-only kubectl), so free text can
  /// fill a skill's parameters; null: only what the text itself says.
  kubernetes::ObjectNameLookup* object_names = nullptr;
  /// Told of a runbook run's step executor report as it comes back, before the run finishes
  /// (`vigil skills run` prints it); empty: nobody is told.
  std::function<void(const std::string& run_id, const skills::SkillRunReport& report)> on_runbook_report;
};

struct StartResult {
  std::string run_id;
  bool created = false;  // false: the trigger was seen before and this is the existing run
  RunState state = RunState::Queued;
  int queue_position = 0;  // 0 when it starts at once
};

/// Drives triage runs (DESIGN.md §3): start from a trigger, a concurrency limit with a persisted
/// queue, the runbook backend (skills matched to the incident, run through the step executor, whose
/// gated steps wait for approval), the agent backends (a CLI in a per-run workspace, its stream as
/// progress, its proposals validated and turned into gated runbook runs in the same thread),
/// cancellation from anywhere, follow-up questions, a circuit breaker for automatic triage, and
/// recovery at start-up. Every state change is a conditional update in the store and a row of the
/// run's timeline; every event passes the redactor before anyone sees it.
class RunManager {
 public:
  /// `journal` keeps the executor's steps (the store's, StoreStepJournal, in production); the run
  /// manager is the one owner of each run's state.
  RunManager(boost::asio::any_io_executor ex, Store& store, skills::StepJournal& journal,
             const skills::SkillCatalog& catalog, process::ChildProcess& runner, skills::ApprovalGate& gate,
             Clock& clock, const Redactor& redactor, const KnowledgeBase& knowledge,
             skills::ExecutorOptions executor_options, RunManagerOptions options, Logger log);
  ~RunManager();

  void add_observer(RunObserver* observer);

  /// Records the run (or finds it, for a redelivered trigger) and starts it when a slot is free.
  /// An automatic trigger while its backend (or skill) is paused by the breaker is recorded as a run
  /// that ends at once with result Skipped, its thread saying why and how to resume.
  Result<StartResult> start(RunTrigger trigger);
  /// Starts an unfinished run again (`vigil skills run --run ID`) with the trigger it was started
  /// with: it moves from awaiting_approval, interrupted or queued to running; its finished steps are
  /// reused and a step paused at a gate asks again. Errors: no such run, a run without a recorded
  /// trigger, a run already active here, a run in any other state.
  Result<StartResult> resume(const std::string& run_id, const std::string& by);
  /// Stops a queued or active run: the agent or step gets SIGINT, then SIGKILL after the grace.
  Result<void> cancel(const std::string& run_id, const std::string& by);
  /// A question in a finished run's thread: the agent's conversation continues where the CLI
  /// supports it, otherwise a new turn starts with the earlier summary as context.
  Result<void> follow_up(const std::string& run_id, const std::string& user, const std::string& text);
  /// A note in the run's thread and timeline (an alert resolved, an acknowledgement, …).
  void note(const std::string& run_id, const std::string& text, const std::string& actor = "system");
  /// The trigger came again (an alert repeat): counts it and refreshes the run's root message.
  int repeat(const std::string& run_id);
  /// At start-up: running runs become interrupted (nothing re-runs), runs waiting for an approval
  /// wait again, queued runs start.
  void recover();
  /// Cancels every working run (graceful shutdown); runs waiting for approval stay as they are
  /// (their coroutines are abandoned with the io_context; the store holds their state).
  void stop_all();

  /// Ends a pause of automatic triage; false when nothing was paused.
  bool resume_auto_triage(const std::string& key, const std::string& by);
  std::optional<AutoTriagePause> auto_triage_pause(const std::string& backend, const std::string& skill);

  const RunManagerOptions& options() const { return options_; }
  std::size_t active_runs() const { return active_.size(); }
  std::size_t running_runs() const;  // active and not waiting for an approval
  std::size_t queue_depth();
  bool idle() const { return active_.empty() && followups_ == 0; }
  std::string backend_for(const RunTrigger& trigger) const;

 private:
  struct ActiveRun {
    boost::asio::cancellation_signal signal;
    bool cancel_requested = false;
    std::string cancelled_by;
    bool waiting_for_approval = false;
    std::set<std::string> findings_shown;  // finding sentences already in the thread
    std::string cluster;                   // named on its timeline lines (several clusters)
  };
  struct Outcome {
    RunState state = RunState::Succeeded;
    std::string summary;
    std::string error;
    std::optional<RunResult> result;  // unset: the one the state implies (default_result_for)
  };
  void record_run_metrics(const std::string& backend, const Outcome& outcome, double seconds);
  class RunGate;
  friend class RunGate;
  /// The skill a runbook run runs: the requested one, or the first available match whose automatic
  /// triage is not paused.
  struct SkillChoice {
    const skills::Skill* skill = nullptr;
    std::string reason;
    std::optional<AutoTriagePause> paused_match;  // the matching skill skipped because it is paused
    std::optional<Outcome> refused;               // the requested skill is unknown or unavailable
  };

  void pump();
  /// Waits until the run may do work again (after an approval) without going over the limit.
  Task<> acquire_slot();
  void launch(const std::string& run_id, bool resume);
  Task<> drive(std::string run_id, bool resume);
  Task<Outcome> drive_runbook(RunRecord run, RunTrigger trigger);
  SkillChoice choose_skill(const RunRecord& run, const RunTrigger& trigger);
  /// The knowledge base's notes for the incident, one "• title (`path`)" line each.
  std::string related_notes(const RunTrigger& trigger) const;
  Outcome nothing_matches(const RunRecord& run, const RunTrigger& trigger, const std::string& related);
  /// Fills the skill's parameters (from the text and the objects that exist, for free text); the
  /// run's outcome when some are still missing (asked for in the thread).
  Task<std::optional<Outcome>> fill_parameters(const RunRecord& run, const skills::Skill& skill, RunTrigger& trigger);
  /// What the run came to, from the executor's report (or its refusal).
  Outcome runbook_outcome(const RunRecord& run, const RunTrigger& trigger, const SkillChoice& choice,
                          const std::string& related, const Result<skills::SkillRunReport>& report);
  Task<Outcome> drive_agent(RunRecord run, RunTrigger trigger);
  /// One turn of the run's agent, its progress as events, then its accounting: an agent_exit row,
  /// an agent_turns row (duration, tokens, cost) and the vigil_agent_* counters.
  Task<Result<agents::AgentTurnResult>> agent_turn(agents::AgentRunner& runner, const agents::Workspace& ws,
                                                   const RunRecord& run, agents::AgentTurn turn, bool retry);
  void account_agent_turn(const RunRecord& run, const agents::AgentTurnResult& turn, long long started_ms, bool retry);
  /// Before a backend's first run on this host: the agents check (agents/agent_check.h), its result
  /// in vigil_agent_check_ok and, when it failed, a note in the run's timeline saying what.
  Task<> check_backend_once(const RunRecord& run);
  /// `cluster`: the run's; its read-only kubeconfig is the agent's (empty: the default's).
  std::unique_ptr<agents::AgentRunner> make_agent_runner(const std::string& backend, const std::string& cluster) const;
  agents::WorkspaceInputs workspace_inputs(const RunRecord& run, const RunTrigger& trigger) const;
  /// What an agent run came to from its turn and its workspace's output (proposals start here).
  Outcome agent_outcome(const RunRecord& run, const RunTrigger& trigger, const agents::AgentTurnResult& turn,
                        const agents::WorkspaceOutput& collected);
  Task<> answer_follow_up(std::string run_id, std::string user, std::string text);
  void finish(const std::string& run_id, Outcome outcome);
  /// An automatic trigger while its triage is paused: the run ends at once with result Skipped.
  void skip(const std::string& run_id, const std::string& backend, const AutoTriagePause& pause);
  void propose(const RunRecord& parent, const RunTrigger& trigger, const std::vector<agents::AgentProposal>& proposals);

  RunTrigger load_trigger(const std::string& run_id);
  /// Settles `trigger.cluster` (or `cluster_problem`) before the run is recorded.
  void choose_run_cluster(RunTrigger& trigger) const;
  /// "[prod-eu] " when several clusters are configured and the run has one; else "".
  std::string cluster_prefix(const std::string& run_id) const;
  /// Why an agent cannot investigate `cluster` here (Pods see only the cluster they run in; a
  /// context cannot be handed to an agent's kubectl); empty: it can.
  std::string agent_cluster_problem(const std::string& cluster) const;
  std::string system_instructions() const;
  std::string prompt_for(const RunTrigger& trigger) const;
  void on_executor_event(const skills::StepEvent& event);
  /// The executor's gated step awaits approval: the run does too.
  void on_awaiting_approval(const std::string& run_id, const std::string& step_key);
  /// A step's output as it finishes: the evidence, shown before any approval card.
  void on_step_finished(const std::string& run_id, const skills::StepResult& step);
  /// The skill's findings so far: the diagnosis first, each new one shown once.
  void on_findings(const std::string& run_id, const std::vector<skills::FindingResult>& findings);
  void on_agent_event(const std::string& run_id, const agents::AgentEvent& event);

  /// Persists (unless already persisted) and tells every observer.
  void emit(const std::string& run_id, ProgressKind kind, const std::string& text, const std::string& detail = "",
            const std::string& actor = "system", bool persist = true, std::int64_t output_step = 0,
            bool output_cut = false);
  long long now_ms() const;

  boost::asio::any_io_executor ex_;
  Store& store_;
  const skills::SkillCatalog& catalog_;
  process::ChildProcess& runner_;
  Clock& clock_;
  const Redactor& redactor_;
  const KnowledgeBase& knowledge_;
  std::set<std::string> checked_backends_;  // agent backends whose check has run
  RunManagerOptions options_;
  Logger log_;
  std::unique_ptr<RunGate> gate_;
  std::unique_ptr<skills::StepExecutor> executor_;
  CircuitBreaker breaker_;
  std::vector<RunObserver*> observers_;
  /// Shared with the run's coroutine: Asio uses the cancellation slot of `signal` until the
  /// coroutine has completed, which is after finish() has taken the run out of this map.
  std::map<std::string, std::shared_ptr<ActiveRun>> active_;
  // How many runs are queued, counted once and then kept by start() while nothing else moves a run
  // in or out of the queue (a count of thousands of rows per command would cost more than the rest
  // of the start); any other move forgets it. Only the position told to the person hangs on it.
  std::optional<std::size_t> queued_known_;
  int followups_ = 0;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> slot_waiters_;
  bool stopping_ = false;
};

}  // namespace vigil

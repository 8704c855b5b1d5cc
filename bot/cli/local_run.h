#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "bot/store/database_lock.h"
#include "bot/app/agent_pods.h"
#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/base/logging.h"
#include "bot/base/redactor.h"
#include "bot/cli/terminal_gate.h"
#include "bot/core/config.h"
#include "bot/core/knowledge_base.h"
#include "bot/core/run_manager.h"
#include "bot/store/store_step_journal.h"
#include "integrations/process/child_process.h"
#include "skills/skill_catalog.h"

namespace vigil {

class Store;

/// How a command runs on the terminal.
struct LocalRunSettings {
  LogOptions log;
  bool auto_approve = false;  // --yes: every gated step approved without asking
  std::string requester;      // who runs the command (cli_actor()): the approver on the terminal
  /// Told of a runbook run's executor report (`vigil skills run` prints it); empty: nobody.
  std::function<void(const std::string& run_id, const skills::SkillRunReport& report)> on_runbook_report;
};

/// What `vigil triage --local` and `vigil skills run` both set up to run without Slack: the redactor
/// and logging of the configuration, the store, the knowledge base, a process runner, the terminal
/// gate (approvals asked on stdin/stdout) and a RunManager over them, driven on this thread. The run
/// manager owns the run: its row, its states, its timeline and its result.
class LocalRun {
 public:
  /// Opens the configured database; errors: it cannot be opened. `catalog` must outlive the run.
  static Result<std::unique_ptr<LocalRun>> open(const Config& config, const skills::SkillCatalog& catalog,
                                                LocalRunSettings settings);
  ~LocalRun();
  LocalRun(const LocalRun&) = delete;
  LocalRun& operator=(const LocalRun&) = delete;

  RunManager& manager() { return *manager_; }
  Store& store() { return *store_; }
  const Redactor& redactor() const { return *redactor_; }
  Clock& clock() { return clock_; }

  /// Runs until the run manager has nothing left to do. The first SIGINT or SIGTERM calls
  /// `on_interrupt` (which cancels the run: its processes get SIGINT, then SIGKILL after the grace).
  void run_until_idle(const std::function<void()>& on_interrupt);

 private:
  LocalRun(const Config& config, const skills::SkillCatalog& catalog, LocalRunSettings settings,
           std::shared_ptr<Redactor> redactor, std::unique_ptr<Store> store);

  std::shared_ptr<Redactor> redactor_;
  Logging logging_;
  std::unique_ptr<DatabaseLock> lock_;  // held while this runs (one process per SQLite file)
  std::unique_ptr<Store> store_;
  KnowledgeBase knowledge_;
  boost::asio::io_context io_;
  SystemClock clock_;
  process::ChildProcess runner_;
  skills::TerminalGate gate_;
  StoreStepJournal journal_;
  std::unique_ptr<AgentPods> agent_pods_;  // agent.isolation: kubernetes
  std::unique_ptr<RunManager> manager_;
};

}  // namespace vigil

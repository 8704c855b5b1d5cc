#include "bot/cli/triage_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "bot/core/alert_intake.h"
#include "bot/cli/cli.h"
#include "bot/core/knowledge_base.h"
#include "bot/app/runtime_setup.h"
#include "bot/store/store.h"
#include "bot/store/store_step_journal.h"
#include "bot/cli/terminal_progress.h"
#include "integrations/alerting/alert_notification.h"
#include "integrations/process/child_process.h"
#include "skills/skill_catalog.h"
#include "bot/cli/terminal_gate.h"

namespace vigil {
namespace {

struct TriageOptions {
  bool local = false;
  std::string text;
  std::string alert_file;
  std::string source;
  std::string backend;
  bool yes = false;
};

// The first firing alert of a webhook body, as the run's incident.
Result<skills::Incident> incident_from_alert_file(const std::string& file, const std::string& source) {
  std::ifstream in(file);
  if (!in) {
    return make_error(Errc::NotFound, "cannot read " + file);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const auto body = ss.str();
  std::vector<std::string> sources = {source};
  if (source.empty()) {
    sources = {"alertmanager", "grafana", "pagerduty", "opsgenie"};
  }
  for (const auto& s : sources) {
    auto parsed = alerting::parse_alert_webhook(s, body);
    if (!parsed) {
      if (!source.empty()) {
        return make_error(Errc::InvalidInput, file + ": " + parsed.error().detail);
      }
      continue;
    }
    for (const auto& a : *parsed) {
      if (a.status != alerting::AlertStatus::Firing && parsed->size() > 1) {
        continue;
      }
      return incident_from_alert(a);
    }
  }
  return make_error(Errc::InvalidInput, file + ": not an Alertmanager, Grafana, PagerDuty or OpsGenie webhook body");
}

int run_local_triage(const std::string& config_path, const TriageOptions& t) {
  if (!t.local) {
    std::cerr << "vigil triage: only --local is supported from the terminal (in Slack, use /triage)\n";
    return kExitUsage;
  }
  if (t.text.empty() && t.alert_file.empty()) {
    std::cerr << "vigil triage: give a description or --alert FILE\n";
    return kExitUsage;
  }
  auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  if (!t.backend.empty()) {
    config->agent.backend = t.backend;
  }
  RunTrigger trigger;
  trigger.kind = "cli";
  trigger.requester = cli_actor();
  trigger.text = t.text;
  trigger.backend = config->agent.backend;
  trigger.incident.title = t.text;
  trigger.incident.text = t.text;
  if (!t.alert_file.empty()) {
    auto incident = incident_from_alert_file(t.alert_file, t.source);
    if (!incident) {
      std::cerr << "vigil triage: " << incident.error().detail << "\n";
      return kExitUsage;
    }
    trigger.incident = *incident;
    if (trigger.text.empty()) {
      trigger.text = incident->title;
    }
    trigger.event = {{"alert_file", t.alert_file}};
  }
  auto redactor = make_redactor(*config);
  Logging logging(log_options(*config), redactor);
  auto opened = Store::open(config->storage.database);
  if (!opened) {
    std::cerr << "vigil: " << opened.error().detail << "\n";
    return kExitFailure;
  }
  auto& store = **opened;
  skills::SkillCatalog catalog(config->kubernetes.enabled);
  const auto load = catalog.load_dirs(config->skills.dirs);
  for (const auto& e : load.errors) {
    std::cerr << e.to_string() << " (skill left out)\n";
  }
  if (catalog.size() == 0) {
    if (const auto warning = missing_skills_warning(*config); !warning.empty()) {
      std::cerr << "vigil: " << warning << "\n";
    }
  }
  KnowledgeBase knowledge;
  knowledge.load(config->agent.knowledge_dirs);

  boost::asio::io_context io;
  SystemClock clock;
  process::ChildProcess runner(clock, logging.make("process"));
  skills::TerminalGate gate(std::cin, std::cout, t.yes, trigger.requester, store, clock);
  StoreStepJournal journal(store, clock);
  RunManager manager(io.get_executor(), store, journal, catalog, runner, gate, clock, *redactor, knowledge,
                     executor_options(*config), run_manager_options(*config), logging.make("run"));
  TerminalProgress progress(std::cout);
  manager.add_observer(&progress);
  auto started = manager.start(trigger);
  if (!started) {
    std::cerr << "vigil triage: " << started.error().detail << "\n";
    return kExitFailure;
  }
  std::cout << "run " << started->run_id << " (" << manager.backend_for(trigger) << ")\n";
  // Ctrl-C cancels the run (its processes get SIGINT, then SIGKILL after the grace).
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto run_id = started->run_id;
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      (void)manager.cancel(run_id, trigger.requester);
    }
  });
  while (!manager.idle() || manager.queue_depth() > 0) {
    if (io.stopped()) {
      io.restart();
    }
    io.run_one();
  }
  signals.cancel();
  const auto run = store.get_run(run_id);
  std::cout << "\n" << (run ? run->summary : std::string()) << "\n";
  const auto result = run ? run->shown_result() : std::nullopt;
  std::cout << "run " << run_id << ": " << (run ? run->shown_status() : "unknown")
            << " — `vigil runs show " << run_id.substr(0, 8) << "` for the timeline\n";
  return triage_exit_code(result);
}

}  // namespace

int triage_exit_code(std::optional<RunResult> result) {
  if (!result) {
    return kExitFailure;
  }
  switch (*result) {
    case RunResult::Fixed:
    case RunResult::Diagnosed:
      return kExitOk;
    case RunResult::Denied:
    case RunResult::NothingToDo:
    case RunResult::NeedsInput:
    case RunResult::Skipped:
      return kExitNoChange;
    case RunResult::Cancelled:
      return kExitCancelled;
    case RunResult::Failed:
    case RunResult::TimedOut:
    case RunResult::Interrupted:
      return kExitFailure;
  }
  return kExitFailure;
}

void register_triage_command(CLI::App& app, const std::string& config_path, int& exit_code) {
  auto options = std::make_shared<TriageOptions>();
  auto* cmd = app.add_subcommand("triage", "run a whole triage from the terminal, without Slack");
  cmd->add_flag("--local", options->local, "run here, printing progress and asking for approvals");
  cmd->add_option("text", options->text, "what is wrong");
  cmd->add_option("--alert", options->alert_file, "an alert webhook body (JSON) to triage");
  cmd->add_option("--source", options->source, "the alert's source")
      ->check(CLI::IsMember({"alertmanager", "grafana", "pagerduty", "opsgenie"}));
  cmd->add_option("--backend", options->backend, "runbook, claude-code, codex, gemini or command")
      ->check(CLI::IsMember({"runbook", "claude-code", "codex", "gemini", "command"}));
  cmd->add_flag("--yes", options->yes, "approve every gated step without asking");
  cmd->callback([options, &config_path, &exit_code] { exit_code = run_local_triage(config_path, *options); });
}

}  // namespace vigil

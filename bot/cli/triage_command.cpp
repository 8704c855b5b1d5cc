#include "bot/cli/triage_command.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "bot/app/runtime_setup.h"
#include "bot/cli/cli.h"
#include "bot/cli/local_run.h"
#include "bot/cli/terminal_progress.h"
#include "bot/core/alert_intake.h"
#include "bot/store/store.h"
#include "integrations/alerting/alert_notification.h"
#include "skills/skill_catalog.h"

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

// The usage mistakes caught before the configuration is read; empty: none.
std::string usage_mistake(const TriageOptions& t) {
  if (!t.local) {
    return "only --local is supported from the terminal (in Slack, use /triage)";
  }
  if (t.text.empty() && t.alert_file.empty()) {
    return "give a description or --alert FILE";
  }
  return "";
}

// What starts the run: the description, or the first firing alert of --alert FILE.
Result<RunTrigger> triage_trigger(const TriageOptions& t, const std::string& backend) {
  RunTrigger trigger;
  trigger.kind = "cli";
  trigger.requester = cli_actor();
  trigger.text = t.text;
  trigger.backend = backend;
  trigger.incident.title = t.text;
  trigger.incident.text = t.text;
  if (!t.alert_file.empty()) {
    auto incident = incident_from_alert_file(t.alert_file, t.source);
    if (!incident) {
      return incident.error();
    }
    trigger.incident = *incident;
    if (trigger.text.empty()) {
      trigger.text = incident->title;
    }
    trigger.event = {{"alert_file", t.alert_file}};
  }
  return trigger;
}

// The skills of the configuration; a skill that does not load is left out (said on stderr).
void load_skills_reporting(skills::SkillCatalog& catalog, const Config& config) {
  const auto load = catalog.load_dirs(config.skills.dirs);
  for (const auto& e : load.errors) {
    std::cerr << e.to_string() << " (skill left out)\n";
  }
  if (catalog.size() == 0) {
    if (const auto warning = missing_skills_warning(config); !warning.empty()) {
      std::cerr << "vigil: " << warning << "\n";
    }
  }
}

// The run's summary, then what it came to and where its timeline is.
void print_outcome(Store& store, const std::string& run_id) {
  const auto run = store.get_run(run_id);
  std::cout << "\n" << (run ? run->summary : std::string()) << "\n";
  std::cout << "run " << run_id << ": " << (run ? run->shown_status() : "unknown") << " — `vigil runs show "
            << run_id.substr(0, 8) << "` for the timeline\n";
}

int run_local_triage(const std::string& config_path, const TriageOptions& t) {
  if (const auto mistake = usage_mistake(t); !mistake.empty()) {
    std::cerr << "vigil triage: " << mistake << "\n";
    return kExitUsage;
  }
  auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  if (!t.backend.empty()) {
    config->agent.backend = t.backend;
  }
  auto trigger = triage_trigger(t, config->agent.backend);
  if (!trigger) {
    std::cerr << "vigil triage: " << trigger.error().detail << "\n";
    return kExitUsage;
  }
  skills::SkillCatalog catalog(config->kubernetes.enabled);
  load_skills_reporting(catalog, *config);
  LocalRunSettings settings;
  settings.log = log_options(*config);
  settings.auto_approve = t.yes;
  settings.requester = trigger->requester;
  auto local = LocalRun::open(*config, catalog, std::move(settings));
  if (!local) {
    std::cerr << "vigil: " << local.error().detail << "\n";
    return kExitFailure;
  }
  auto& manager = (*local)->manager();
  TerminalProgress progress(std::cout);
  manager.add_observer(&progress);
  const auto backend = manager.backend_for(*trigger);
  const auto requester = trigger->requester;
  auto started = manager.start(std::move(*trigger));
  if (!started) {
    std::cerr << "vigil triage: " << started.error().detail << "\n";
    return kExitFailure;
  }
  const auto run_id = started->run_id;
  std::cout << "run " << run_id << " (" << backend << ")\n";
  // Ctrl-C cancels the run (its processes get SIGINT, then SIGKILL after the grace).
  (*local)->run_until_idle([&] { (void)manager.cancel(run_id, requester); });
  print_outcome((*local)->store(), run_id);
  const auto run = (*local)->store().get_run(run_id);
  return triage_exit_code(run ? run->shown_result() : std::nullopt);
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

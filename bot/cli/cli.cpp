#include "bot/cli/cli.h"

#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <limits>
#include <filesystem>
#include <functional>
#include <iostream>
#include <variant>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <CLI/CLI.hpp>

#include "bot/base/clock.h"
#include "bot/base/logging.h"
#include "bot/base/redactor.h"
#include "bot/core/config.h"
#include "bot/core/data_retention.h"
#include "bot/core/incident_service.h"
#include "bot/core/run_lookup.h"
#include "bot/app/runtime_setup.h"
#include "bot/app/secret_environment.h"
#include "bot/app/sandbox.h"
#include "bot/cli/agent_pod_command.h"
#include "bot/cli/agents_command.h"
#include "bot/cli/doctor_command.h"
#include "bot/cli/store_command.h"
#include "bot/cli/setup_commands.h"
#include "bot/cli/skills_commands.h"
#include "bot/app/slack_service.h"
#include "bot/slack/markdown_timeline.h"
#include "bot/core/step_output.h"
#include "bot/store/database_lock.h"
#include "bot/store/store.h"
#include "bot/core/timeline.h"
#include "bot/cli/triage_command.h"
#include "bot/slack/user_directory.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/http/proxy_settings.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/rate_limiter.h"

namespace vigil {
namespace {

struct CliState {
  std::string config_path;
  bool json = false;
  bool full = false;  // runs show --full
  int limit = 20;
  std::string state_filter;
  std::string result_filter;
  std::string run_id;  // or an incident id
  bool open_only = false;
  bool dry_run = false;      // runs prune --dry-run
  bool sandbox = false;      // --sandbox given
  std::string sandbox_addr;  // its value, if any
};

// Loads the configuration, printing every problem; nullopt means exit 2.
// Warnings do not fail a check (exit 0): Vigil starts, and they say what will not work.
std::optional<Config> load_checked(const std::string& path, bool quiet_ok) {
  std::size_t warnings = 0;
  auto config = load_config_or_report(path, &warnings);
  if (config && !quiet_ok) {
    std::cout << (path.empty() ? std::string("defaults") : path) << ": configuration ok";
    if (warnings > 0) {
      std::cout << ", " << warnings << " warning" << (warnings == 1 ? "" : "s") << " (on stderr)";
    }
    std::cout << "\n";
  }
  return config;
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) {
    text.append(width - text.size(), ' ');
  }
  return text;
}

std::string config_path_from(const CliState& s) {
  return resolve_config_path(s.config_path);
}

int cmd_config_check(const CliState& s) {
  const auto config = load_checked(config_path_from(s), false);
  if (!config) {
    return kExitUsage;
  }
  if (const auto exposed = Store::exposure_warning(config->storage.database); !exposed.empty()) {
    std::cerr << "warning: " << exposed << "\n";
  }
  return kExitOk;
}

int cmd_config_show(const CliState& s) {
  const auto config = load_checked(config_path_from(s), true);
  if (!config) {
    return kExitUsage;
  }
  std::cout << render_config(*config);
  return kExitOk;
}

// The commands that read the database back never write one: a missing file says where it was
// looked for and what names it; a database of another schema version is refused, not upgraded.
std::unique_ptr<Store> open_store_or_report(const Config& config, StoreOpenMode mode = StoreOpenMode::ReadOnly) {
  auto store = config.storage.postgres() ? Store::open_postgres(config.storage.postgres_dsn, mode)
                                         : Store::open(config.storage.database, mode);
  if (!store && store.error().is(Errc::NotFound)) {
    std::error_code ec;
    const auto where = std::filesystem::absolute(config.storage.database, ec).lexically_normal();
    const auto env = current_environment();
    const auto named_by_env = env.find("VIGIL_DB");
    if (named_by_env != env.end() && !named_by_env->second.empty()) {
      std::cerr << "vigil: no database at " << where.string()
                << " (VIGIL_DB names this file: point it at the database, or unset it to use storage.database)\n";
      return nullptr;
    }
    std::cerr << "vigil: no database at " << where.string() << " (set storage.database in "
              << (config.source_file.empty() ? std::string("a configuration file") : config.source_file)
              << " and pass --config, or set VIGIL_DB to the database file)\n";
    return nullptr;
  }
  if (!store) {
    std::cerr << "vigil: " << store.error().detail << "\n";
    return nullptr;
  }
  return std::move(*store);
}

Task<> fill_names(UserDirectory& users, std::set<std::string> ids, PeopleNames& out) {
  out = co_await users.names(std::move(ids), 20);
}

// The names of the people a timeline names, from Slack (users.info) when a bot token is
// configured, within a few seconds at most; without one (or when Slack does not answer) the
// timeline shows their ids.
PeopleNames slack_names(const Config& config, std::set<std::string> ids) {
  PeopleNames names;
  if (ids.empty() || config.slack.bot_token.empty()) {
    return names;
  }
  boost::asio::io_context io{1};
  SystemClock clock;
  http::BeastHttpClientOptions client_options;
  client_options.proxy = http::ProxySettings::from_environment(current_environment());
  client_options.user_agent = "vigil/" VIGIL_VERSION;
  auto http_client = http::make_beast_http_client(io.get_executor(), client_options, null_logger());
  slack::RateLimiter limiter(clock);
  slack::HttpWebApiOptions web_options;
  web_options.api_url = config.slack.api_url;
  web_options.bot_token = config.slack.bot_token;
  web_options.timeout = std::chrono::seconds(3);
  web_options.max_error_retries = 0;
  web_options.max_rate_limit_retries = 0;
  slack::HttpWebApi web(*http_client, limiter, clock, null_logger(), web_options);
  UserDirectory users(web, clock);
  spawn(io.get_executor(), fill_names(users, std::move(ids), names), null_logger(), "timeline names");
  io.run_for(std::chrono::seconds(8));
  return names;
}

// What the read-back commands (runs, incidents) start from: the configuration and its database, or
// the exit code after saying why not (kExitUsage: the configuration; kExitFailure: the database).
struct ReadBack {
  Config config;
  std::unique_ptr<Store> store;
};
std::optional<ReadBack> open_read_back(const CliState& s, int& exit_code) {
  auto config = load_checked(config_path_from(s), true);
  if (!config) {
    exit_code = kExitUsage;
    return std::nullopt;
  }
  auto store = open_store_or_report(*config);
  if (!store) {
    exit_code = kExitFailure;
    return std::nullopt;
  }
  return ReadBack{std::move(*config), std::move(store)};
}

int cmd_runs_list(const CliState& s) {
  const auto config = load_checked(config_path_from(s), true);
  if (!config) {
    return kExitUsage;
  }
  std::optional<RunState> filter;
  if (!s.state_filter.empty()) {
    filter = parse_run_state(s.state_filter);
    if (!filter) {
      std::cerr << "vigil: unknown run state '" << s.state_filter
                << "' (queued, running, awaiting_approval, succeeded, failed, timed_out, "
                   "cancelled, interrupted)\n";
      return kExitUsage;
    }
  }
  std::optional<RunResult> result_filter;
  if (!s.result_filter.empty()) {
    result_filter = parse_run_result(s.result_filter);
    if (!result_filter) {
      std::cerr << "vigil: unknown run result '" << s.result_filter
                << "' (fixed, diagnosed, denied, nothing_to_do, skipped, needs_input, failed, cancelled, "
                   "timed_out, interrupted)\n";
      return kExitUsage;
    }
  }
  auto store = open_store_or_report(*config);
  if (!store) {
    return kExitFailure;
  }
  auto runs = store->list_runs(s.limit, filter);
  if (result_filter) {
    std::erase_if(runs, [&](const RunRecord& r) { return r.shown_result() != result_filter; });
  }
  if (s.json) {
    std::cout << "[";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      std::cout << (i ? "," : "") << "\n" << format_run_json(*store, runs[i]);
    }
    std::cout << "]\n";
    return kExitOk;
  }
  if (runs.empty()) {
    std::cout << "no runs\n";
    return kExitOk;
  }
  for (const auto& r : runs) {
    std::string text = r.text.size() > 60 ? r.text.substr(0, 57) + "..." : r.text;
    // A finished run shows what it came to ("fix denied, no change made"), a live one its state.
    std::cout << r.id << "  " << format_time(r.created_at) << "  " << pad(r.shown_status(), 26) << "  "
              << pad(r.trigger_kind, 13) << "  " << text << "\n";
  }
  return kExitOk;
}

int cmd_runs_show(const CliState& s) {
  int exit_code = kExitOk;
  auto opened = open_read_back(s, exit_code);
  if (!opened) {
    return exit_code;
  }
  const Config* config = &opened->config;
  std::unique_ptr<Store>& store = opened->store;
  // A full id or a unique prefix, as people copy the short form from Slack.
  const auto found = find_run(*store, s.run_id);
  if (const auto* failure = std::get_if<RunLookupFailure>(&found)) {
    if (*failure == RunLookupFailure::Ambiguous) {
      std::cerr << "vigil: run id prefix '" << s.run_id << "' is ambiguous\n";
      return kExitUsage;
    }
    std::cerr << "vigil: no run " << s.run_id << "\n";
    return kExitFailure;
  }
  const auto run = std::get<RunRecord>(found);
  if (s.json) {
    std::cout << format_run_json(*store, run);
    return kExitOk;
  }
  // Redacted as /triage timeline is: commands and texts can hold secrets.
  const auto redactor = make_redactor(*config);
  const auto names = slack_names(*config, people_in_run(*store, run));
  std::cout << redactor->redact(format_run_markdown(*store, run, names));
  if (s.full) {
    std::cout << full_output_markdown(*store, run, config->agent.workspace_root,
                                      static_cast<std::size_t>(config->agent.step_output_max_bytes), *redactor);
  }
  return kExitOk;
}

int cmd_incidents_list(const CliState& s) {
  int exit_code = kExitOk;
  auto opened = open_read_back(s, exit_code);
  if (!opened) {
    return exit_code;
  }
  std::unique_ptr<Store>& store = opened->store;
  const auto incidents = store->list_incidents(s.limit, s.open_only);
  if (incidents.empty()) {
    std::cout << (s.open_only ? "no open incidents\n" : "no incidents\n");
    return kExitOk;
  }
  for (const auto& i : incidents) {
    std::string title = i.title.size() > 60 ? i.title.substr(0, 57) + "..." : i.title;
    std::cout << i.id << "  " << format_time(i.created_at) << "  " << i.state << "  "
              << (i.severity.empty() ? "-" : i.severity) << "  " << i.source << "  " << title << "\n";
  }
  return kExitOk;
}

int cmd_incidents_show(const CliState& s) {
  int exit_code = kExitOk;
  auto opened = open_read_back(s, exit_code);
  if (!opened) {
    return exit_code;
  }
  const Config* config = &opened->config;
  std::unique_ptr<Store>& store = opened->store;
  const auto found = find_incident(*store, s.run_id);
  if (const auto* failure = std::get_if<IncidentLookupFailure>(&found)) {
    if (*failure == IncidentLookupFailure::Ambiguous) {
      std::cerr << "vigil: incident id prefix '" << s.run_id << "' is ambiguous\n";
      return kExitUsage;
    }
    std::cerr << "vigil: no incident " << s.run_id << "\n";
    return kExitFailure;
  }
  const auto& incident = std::get<IncidentRecord>(found);
  const auto names = slack_names(*config, people_in_incident(*store, incident));
  std::cout << make_redactor(*config)->redact(format_incident_markdown(*store, incident, names));
  return kExitOk;
}

// Where the sandbox page listens: --sandbox=ADDR, else $VIGIL_SANDBOX_ADDR, else 127.0.0.1:8080.
std::string sandbox_address(const CliState& s) {
  if (!s.sandbox_addr.empty()) {
    return s.sandbox_addr;
  }
  if (const char* env = std::getenv("VIGIL_SANDBOX_ADDR"); env && *env) {
    return env;
  }
  return SandboxOptions{}.listen;
}

// `vigil runs prune [--dry-run]`: what storage.retention lets go now, counted or deleted (the same
// batches `vigil serve` deletes on its own; this one runs until nothing is left).
int cmd_runs_prune(const CliState& s) {
  auto config = load_checked(config_path_from(s), true);
  if (!config) {
    return kExitUsage;
  }
  auto store = open_store_or_report(*config, s.dry_run ? StoreOpenMode::ReadOnly : StoreOpenMode::MustExist);
  if (!store) {
    return kExitFailure;
  }
  const auto& policy = config->storage.retention;
  const long long now = static_cast<long long>(std::time(nullptr));
  if (s.dry_run) {
    const auto counts = store->count_prunable(retention_cutoffs(policy, now));
    std::cout << "would prune (dry run; nothing deleted):\n" << format_prune_counts(counts);
    return kExitOk;
  }
  const auto pass = prune_aged_rows(*store, policy, now, std::numeric_limits<int>::max());
  std::cout << "pruned:\n" << format_prune_counts(pass.deleted);
  return kExitOk;
}

int cmd_serve(const CliState& s) {
  // Everything the long-running process writes (database, workspaces, step output, logs to files)
  // is private to its user, whatever umask it was started with: a container runtime gives 022.
  ::umask(0077);
  auto config = load_checked(config_path_from(s), true);
  if (!config) {
    return kExitUsage;
  }
  // The configuration holds the secrets now: none stays in the environment for children (or
  // anyone reading /proc/<pid>/environ).
  forget_secret_environment(secret_environment_names());
  // No Slack tokens at all (or --sandbox): the built-in sandbox. Only one of the two is a mistake.
  std::unique_ptr<Sandbox> sandbox;
  const bool some_token = !config->slack.app_token.empty() || !config->slack.bot_token.empty();
  if (!s.sandbox && some_token && !config->slack.has_tokens()) {
    std::cerr << "vigil: only one Slack token is set: set both SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN "
                 "(xoxb-…), or name token files in slack.app_token_file / slack.bot_token_file; with neither, "
                 "`vigil serve` starts the sandbox\n";
    return kExitUsage;
  }
  if (s.sandbox || !config->slack.has_tokens()) {
    // The sandbox's demo runs, incidents and approvals must never land among real ones.
    if (config->storage.postgres()) {
      std::cerr << "vigil: the sandbox keeps its demo data in a SQLite file of its own, never in PostgreSQL: "
                   "unset VIGIL_POSTGRES_DSN (and storage.postgres_dsn*), or set the Slack tokens\n";
      return kExitUsage;
    }
    SandboxOptions options;
    options.listen = sandbox_address(s);
    sandbox = std::make_unique<Sandbox>(options);
    if (auto prepared = sandbox->prepare(*config); !prepared) {
      std::cerr << "vigil: sandbox: " << prepared.error().detail << "\n";
      return kExitFailure;
    }
  }
  // After the sandbox's changes: its generated tokens are secrets like any other.
  auto redactor = make_redactor(*config);
  Logging logging(log_options(*config), redactor);
  auto log = logging.make("main");
  // Held before the database is migrated and its runs recovered: never two processes at once. On
  // PostgreSQL the replicas wait for the lock in serve_slack, standing by until they lead.
  auto held = open_held_store(config->storage, PostgresLock::WhenLeading);
  if (!held) {
    log->error("{}", held.error().detail);
    return kExitFailure;
  }
  auto& store = held->store;
  log->info("{} at schema version {}", storage_description(config->storage), store->schema_version());
  // What is written passes the same redactor as what is posted.
  store->set_redactor(redactor);
  if (const auto exposed = Store::exposure_warning(config->storage.database);
      !config->storage.postgres() && !exposed.empty()) {
    log->warn("{}", exposed);
  }
  if (sandbox) {
    if (auto opened = sandbox->open_page(logging); !opened) {
      log->error("{}", opened.error().detail);
      return kExitUsage;
    }
  }
  // The page's address is printed only once every listener is bound: a port conflict on
  // http.listen exits 2 with what to change, never after an address that does not answer.
  std::function<void()> announce;
  if (sandbox) {
    announce = [&sandbox] { sandbox->announce(); };
  }
  const int code = serve_slack(*config, *store, logging, redactor, announce);
  if (sandbox) {
    sandbox->stop();
  }
  return code;
}

// `vigil runs …` and `vigil incidents …`: what the database holds, read back (and pruned).
void register_read_back_commands(CLI::App& app, CliState& state, int& exit_code) {
  auto* runs = app.add_subcommand("runs", "read runs back from the database");
  runs->require_subcommand(1);
  auto* list = runs->add_subcommand("list", "list recent runs, newest first");
  list->add_option("-n,--limit", state.limit, "how many")->check(CLI::Range(1, 100000));
  list->add_option("--state", state.state_filter, "only runs in this state");
  list->add_option("--result", state.result_filter,
                   "only finished runs that came to this (fixed, diagnosed, denied, nothing_to_do, skipped, …)");
  list->add_flag("--json", state.json, "machine-readable output");
  list->callback([&] { exit_code = cmd_runs_list(state); });
  auto* show_run = runs->add_subcommand("show", "a run's timeline, approvals, actions and outcome (Markdown)");
  show_run->add_option("id", state.run_id, "run id (or a unique prefix)")->required();
  auto* show_json = show_run->add_flag("--json", state.json, "the run manifest as JSON");
  show_run->add_flag("--full", state.full, "also every step's full output (redacted, from the run's workspace)")
      ->excludes(show_json);
  show_run->callback([&] { exit_code = cmd_runs_show(state); });

  auto* prune = runs->add_subcommand(
      "prune", "delete the runs, incidents, webhook deliveries and audit rows past storage.retention");
  prune->add_flag("--dry-run", state.dry_run, "only count what would be deleted, per kind");
  prune->callback([&] { exit_code = cmd_runs_prune(state); });

  auto* incidents = app.add_subcommand("incidents", "read incidents back from the database");
  incidents->require_subcommand(1);
  auto* list_incidents = incidents->add_subcommand("list", "list recent incidents, newest first");
  list_incidents->add_option("-n,--limit", state.limit, "how many")->check(CLI::Range(1, 100000));
  list_incidents->add_flag("--open", state.open_only, "only open incidents");
  list_incidents->callback([&] { exit_code = cmd_incidents_list(state); });
  auto* show_incident =
      incidents->add_subcommand("show", "an incident's Markdown timeline (alerts, runs, approvals, actions)");
  show_incident->add_option("id", state.run_id, "incident id (or a unique prefix)")->required();
  show_incident->callback([&] { exit_code = cmd_incidents_show(state); });
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"Vigil: an on-call engineer that lives in Slack"};
  app.require_subcommand(1);
  CliState state;
  app.add_option("-c,--config", state.config_path, "configuration file (default: $VIGIL_CONFIG)");

  int exit_code = kExitOk;
  auto* serve = app.add_subcommand(
      "serve", "connect to Slack and serve (the long-running process); without Slack tokens, the sandbox");
  serve
      ->add_option("--sandbox", state.sandbox_addr,
                   "serve the built-in sandbox (Slack emulator, demo cluster, a page at ADDR; default "
                   "$VIGIL_SANDBOX_ADDR or 127.0.0.1:8080), even when Slack tokens are set")
      ->expected(0, 1)
      ->type_name("ADDR");
  serve->callback([&] {
    state.sandbox = serve->count("--sandbox") > 0;
    exit_code = cmd_serve(state);
  });

  auto* config = app.add_subcommand("config", "check or show the configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "validate a configuration file; exit 2 on problems");
  check->add_option("file", state.config_path, "configuration file");
  check->callback([&] { exit_code = cmd_config_check(state); });
  auto* show = config->add_subcommand("show", "print the effective configuration, secrets as ***");
  show->add_option("file", state.config_path, "configuration file");
  show->callback([&] { exit_code = cmd_config_show(state); });

  register_read_back_commands(app, state, exit_code);

  register_skills_commands(app, state.config_path, exit_code);
  add_setup_commands(app, state.config_path, exit_code);
  register_triage_command(app, state.config_path, exit_code);
  register_agent_pod_command(app, exit_code);
  register_agents_command(app, state.config_path, exit_code);
  register_doctor_command(app, state.config_path, exit_code);
  register_store_command(app, state.config_path, exit_code);

  auto* version = app.add_subcommand("version", "print the version");
  version->callback([&] { std::cout << "vigil " << VIGIL_VERSION << "\n"; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace vigil

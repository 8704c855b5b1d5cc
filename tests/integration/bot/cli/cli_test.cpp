// End-to-end: the vigil binary itself.
#include <ctime>
#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using test::run_process;
using test::vigil_binary;

std::string example_config() {
  return (test::test_data_dir().parent_path() / "deploy" / "config.example.yaml").string();
}

TEST(VigilCli, ConfigCheckOfExampleExitsZero) {
  const auto r = run_process({vigil_binary().string(), "config", "check", example_config()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("configuration ok"), std::string::npos);
}

TEST(VigilCli, BrokenConfigPrintsEveryProblemAndExitsTwo) {
  test::TempDir dir;
  test::write_file(dir / "bad.yaml",
                   "slack:\n  connections: 0\n  bot_token: xyz\napprovals:\n  expiry: forever\n"
                   "logging:\n  levle: debug\n");
  const auto r = run_process({vigil_binary().string(), "config", "check", (dir / "bad.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  const auto f = (dir / "bad.yaml").string();
  EXPECT_NE(r.err.find(f + ":2:16: slack.connections: must be between 1 and 10"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(f + ":3:14: slack.bot_token: secrets are not read"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(f + ":5:11: approvals.expiry: expected a duration"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(f + ":7:3: logging.levle: unknown key, did you mean 'level'? (warning)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("3 problems in the configuration"), std::string::npos) << r.err;
}

TEST(VigilCli, ConfigShowMasksSecrets) {
  const std::string token = std::string("xox") + "b-42-42-secretvaluehere";
  const auto r = run_process({vigil_binary().string(), "config", "show"},
                             {{"SLACK_BOT_TOKEN", token}, {"VIGIL_CONFIG", example_config()}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("secretvaluehere"), std::string::npos);
  EXPECT_NE(r.out.find("bot_token: \"***\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("connections: 2"), std::string::npos);
}

// Without either token `vigil serve` starts the sandbox (tests/integration/e2e/sandbox_test.cpp);
// only one of the two is a mistake worth stopping for.
TEST(VigilCli, ServeWithOnlyOneSlackTokenSaysSoAndExitsTwo) {
  test::TempDir dir;
  const auto r = run_process(
      {vigil_binary().string(), "--config", example_config(), "serve"},
      {{"VIGIL_DB", (dir / "v.db").string()}, {"SLACK_APP_TOKEN", ""}, {"SLACK_BOT_TOKEN", test::fake_bot_token()}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("only one Slack token is set"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(test::fake_bot_token()), std::string::npos);
}

TEST(VigilCli, RunsListAndShowReadTheDatabase) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  {
    auto store = Store::open(db);
    ASSERT_TRUE(store);
    RunRecord run;
    run.id = "6f1c2d3e-0000-4000-8000-000000000001";
    run.trigger_kind = "slash_command";
    run.trigger_key = "k";
    run.requester = "U111";
    run.text = "checkout latency";
    run.backend = "runbook";
    run.created_at = 1'800'000'000;
    ASSERT_TRUE((*store)->create_run(run));
    (*store)->append_event({0, run.id, 1'800'000'001'000, "finding", "runbook", "p99 at 4s", ""});
  }
  const auto list = run_process({vigil_binary().string(), "runs", "list"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("6f1c2d3e-0000-4000-8000-000000000001"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("checkout latency"), std::string::npos);

  const auto show = run_process({vigil_binary().string(), "runs", "show", "6f1c2d3e"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("# Run 6f1c2d3e — queued"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("| Run | `6f1c2d3e-0000-4000-8000-000000000001` |"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find(" | Finding | runbook | p99 at 4s |"), std::string::npos) << show.out;

  const auto json = run_process(
      {vigil_binary().string(), "runs", "show", "--json", "6f1c2d3e-0000-4000-8000-000000000001"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_NE(json.out.find("\"state\": \"queued\""), std::string::npos) << json.out;

  const auto missing = run_process({vigil_binary().string(), "runs", "show", "nope"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no run nope"), std::string::npos);

  const auto bad_state = run_process({vigil_binary().string(), "runs", "list", "--state", "bogus"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(bad_state.exit_code, 2);

  // A prefix two runs share names neither.
  {
    auto store = Store::open(db);
    ASSERT_TRUE(store);
    RunRecord second;
    second.id = "6f1c2d3e-0000-4000-8000-000000000002";
    second.trigger_kind = "slash_command";
    second.trigger_key = "k2";
    second.backend = "runbook";
    ASSERT_TRUE((*store)->create_run(second));
  }
  const auto ambiguous = run_process({vigil_binary().string(), "runs", "show", "6f1c2d3e"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_NE(ambiguous.err.find("run id prefix '6f1c2d3e' is ambiguous"), std::string::npos) << ambiguous.err;
}

// `runs show --full` prints every step's full output: from the file in the run's workspace (passed
// through the redactor again: a file from an older version was kept raw), and when the file is gone
// (workspace retention) the database's text with a note saying so.
TEST(VigilCli, RunsShowFullPrintsEveryStepsFullOutput) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  const auto ws = dir / "ws";
  const std::string run_id = "6f1c2d3e-0000-4000-8000-000000000001";
  std::filesystem::create_directories(ws / run_id / "steps");
  const auto kept = ws / run_id / "steps" / "1-describe_pod.log";
  std::string full = "Name: checkout-7d4\npassword=" + std::string("hunter2-s3cr3t") + "\n";
  for (int i = 0; i < 300; ++i) {
    full += "line " + std::to_string(i) + " of the describe output\n";
  }
  full += "the last line\n";
  test::write_file(kept, full);
  {
    auto store = Store::open(db);
    ASSERT_TRUE(store);
    RunRecord run;
    run.id = run_id;
    run.trigger_kind = "slash_command";
    run.trigger_key = "k";
    run.requester = "U111";
    run.text = "checkout crash looping";
    run.backend = "runbook";
    run.created_at = 1'800'000'000;
    ASSERT_TRUE((*store)->create_run(run));
    const auto step = [&](int seq, const std::string& name, const std::string& output, bool truncated,
                          const std::string& path) {
      StepRecord s;
      s.run_id = run_id;
      s.skill = "pod-crashloop";
      s.step = name;
      s.seq = seq;
      s.argv = {"kubectl", "describe", "pod", "checkout-7d4"};
      (*store)->create_step(s);
      (*store)->transition_step(s.id, {StepState::Pending}, StepState::Running, 1'800'000'001);
      (*store)->finish_step(s.id, StepState::Succeeded, 0, std::nullopt, output, truncated, path, 1'800'000'002);
    };
    step(1, "describe_pod", full.substr(0, 100), true, kept.string());
    step(2, "logs", "log start only", true, (ws / run_id / "steps" / "2-logs.log").string());  // pruned
    step(3, "events", "no events", false, "");
  }
  const std::vector<std::pair<std::string, std::string>> env{{"VIGIL_DB", db}, {"VIGIL_WORKSPACE_ROOT", ws.string()}};
  const auto r = run_process({vigil_binary().string(), "runs", "show", "6f1c2d3e", "--full"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto section = r.out.find("\n## Full output\n");
  ASSERT_NE(section, std::string::npos) << r.out;
  const auto describe = r.out.find(
      "=== pod-crashloop/describe_pod (succeeded, exit 0) ===\n$ kubectl describe pod checkout-7d4\n", section);
  ASSERT_NE(describe, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("line 299 of the describe output\nthe last line\n", describe), std::string::npos)
      << "all of the file, not the database's 100 bytes";
  EXPECT_EQ(r.out.find("hunter2-s3cr3t"), std::string::npos) << "redacted when shown";
  EXPECT_NE(r.out.find("password=[REDACTED]"), std::string::npos) << r.out.substr(section, 400);
  const auto logs = r.out.find("=== pod-crashloop/logs (succeeded, exit 0) ===", describe);
  ASSERT_NE(logs, std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find("(from the database: its file " + (ws / run_id / "steps" / "2-logs.log").string() +
                     " is gone (workspace retention removes old runs' files); the database keeps the first 14 bytes)\n"
                     "log start only\n",
                 logs),
      std::string::npos)
      << r.out.substr(logs);
  EXPECT_NE(r.out.find("=== pod-crashloop/events (succeeded, exit 0) ===\n$ kubectl describe pod checkout-7d4\n"
                       "(from the database)\nno events\n"),
            std::string::npos)
      << r.out.substr(logs);
  // Without --full the outputs stay out; --full and --json do not go together.
  const auto brief = run_process({vigil_binary().string(), "runs", "show", "6f1c2d3e"}, env);
  EXPECT_EQ(brief.exit_code, 0);
  EXPECT_EQ(brief.out.find("## Full output"), std::string::npos);
  EXPECT_EQ(run_process({vigil_binary().string(), "runs", "show", "6f1c2d3e", "--full", "--json"}, env).exit_code, 2);
}

// With a bot token the timeline names people (users.info); the emulator knows U0DEMOALEX as alex.
TEST(VigilCli, RunsShowNamesPeopleFromSlack) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  {
    auto store = Store::open(db);
    ASSERT_TRUE(store);
    RunRecord run;
    run.id = "6f1c2d3e-0000-4000-8000-000000000001";
    run.trigger_kind = "slash_command";
    run.trigger_key = "k";
    run.requester = "U0DEMOALEX";
    run.backend = "runbook";
    run.created_at = 1'800'000'000;
    ASSERT_TRUE((*store)->create_run(run));
    (*store)->append_event(
        {0, run.id, 1'800'000'001'000, "approval_denied", "U0DEMOALEX", "restart: denied by U0DEMOALEX", ""});
  }
  slack::SlackEmulator emu;
  emu.add_user("U0DEMOALEX", "alex", "alex@example.com");
  emu.start();
  const auto r =
      run_process({vigil_binary().string(), "runs", "show", "6f1c2d3e"},
                  {{"VIGIL_DB", db}, {"SLACK_API_URL", emu.api_url()}, {"SLACK_BOT_TOKEN", test::fake_bot_token()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| Trigger | slash_command by @alex (U0DEMOALEX) |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| Denied | @alex (U0DEMOALEX) | restart: denied by @alex (U0DEMOALEX) |"), std::string::npos)
      << r.out;
  EXPECT_EQ(emu.calls("users.info").size(), 1u) << "one lookup per person";
}

// storage.retention by hand: --dry-run counts per kind and deletes nothing; without it, the same
// rows go, and a run that is not final stays whatever its age.
TEST(VigilCli, RunsPruneDryRunCountsPerKindAndPruneDeletesThem) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  const long long old = static_cast<long long>(std::time(nullptr)) - 400LL * 86400;
  {
    auto store = Store::open(db);
    ASSERT_TRUE(store);
    for (const char* id : {"6f1c2d3e-0000-4000-8000-00000000000a", "6f1c2d3e-0000-4000-8000-00000000000b"}) {
      RunRecord run;
      run.id = id;
      run.trigger_kind = "alert";
      run.trigger_key = id;
      run.backend = "runbook";
      run.created_at = old;
      ASSERT_TRUE((*store)->create_run(run));
    }
    ASSERT_TRUE((*store)->transition_run("6f1c2d3e-0000-4000-8000-00000000000a", {RunState::Queued},
                                         RunState::Cancelled, old * 1000));
    (*store)->mark_webhook_processed((*store)->record_webhook_delivery("grafana", old, "{}"), "processed", old);
  }
  const auto dry = run_process({vigil_binary().string(), "runs", "prune", "--dry-run"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "would prune (dry run; nothing deleted):\nrun_events: 2\napprovals: 0\nsteps: 0\nruns: 1\n"
            "incident_events: 0\nincidents: 0\nwebhook_deliveries: 1\naudit: 0\ntotal: 4\n");
  const auto pruned = run_process({vigil_binary().string(), "runs", "prune"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(pruned.out,
            "pruned:\nrun_events: 2\napprovals: 0\nsteps: 0\nruns: 1\nincident_events: 0\nincidents: 0\n"
            "webhook_deliveries: 1\naudit: 0\ntotal: 4\n");
  auto store = Store::open(db);
  ASSERT_TRUE(store);
  EXPECT_FALSE((*store)->get_run("6f1c2d3e-0000-4000-8000-00000000000a"));
  EXPECT_TRUE((*store)->get_run("6f1c2d3e-0000-4000-8000-00000000000b")) << "queued: never pruned";
  EXPECT_TRUE((*store)->list_webhook_deliveries().empty());
}

TEST(VigilCli, ConfigCheckWarnsAboutADatabaseOthersCanRead) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  { ASSERT_TRUE(Store::open(db)); }
  const auto private_db = run_process({vigil_binary().string(), "config", "check"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(private_db.exit_code, 0) << private_db.err;
  EXPECT_EQ(private_db.err.find("has mode"), std::string::npos) << private_db.err;
  std::filesystem::permissions(db, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                       std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  const auto readable = run_process({vigil_binary().string(), "config", "check"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(readable.exit_code, 0) << "a warning, not an error";
  EXPECT_NE(readable.err.find("warning: the database " + db + " has mode 0644"), std::string::npos) << readable.err;
}

TEST(VigilCli, UsageErrorsExitTwoAndHelpExitsZero) {
  EXPECT_EQ(run_process({vigil_binary().string()}).exit_code, 2);
  EXPECT_EQ(run_process({vigil_binary().string(), "frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_process({vigil_binary().string(), "runs", "show"}).exit_code, 2);
  const auto help = run_process({vigil_binary().string(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("serve"), std::string::npos);
  const auto sub_help = run_process({vigil_binary().string(), "runs", "show", "--help"});
  EXPECT_EQ(sub_help.exit_code, 0);
  EXPECT_NE(sub_help.out.find("--json"), std::string::npos) << sub_help.out;
  const auto version = run_process({vigil_binary().string(), "version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("vigil 0."), std::string::npos);
}

TEST(VigilCli, NewerDatabaseIsRefusedClearly) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  { ASSERT_TRUE(Store::open(db)); }
  {
    // Bump the schema version behind Vigil's back.
    SQLite::Database raw(db, SQLite::OPEN_READWRITE);
    raw.exec("INSERT INTO schema_version(version, applied_at) VALUES (77, 0)");
  }
  const auto r = run_process({vigil_binary().string(), "runs", "list"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("written by a newer Vigil"), std::string::npos) << r.err;
}

// What a new user runs: no configuration file, no VIGIL_* variables, from some folder.
const std::vector<std::pair<std::string, std::string>> kNoConfiguration = {
    {"VIGIL_CONFIG", ""}, {"VIGIL_DB", ""}, {"VIGIL_HTTP_ADDR", ""}, {"VIGIL_SANDBOX_ADDR", ""}};

std::vector<std::string> vigil_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv{vigil_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// `runs list` reads an older database as it is: never upgraded (another Vigil may still be using
// it), never written; it says what would upgrade it.
TEST(VigilCli, AnOlderDatabaseIsReadOnlyAndNeverMigrated) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  { ASSERT_TRUE(Store::open_at_version(db, 3)); }
  const auto before = test::read_file(db);
  const auto r = run_process({vigil_binary().string(), "runs", "list"}, {{"VIGIL_DB", db}, {"VIGIL_CONFIG", ""}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "vigil: the database " + db + " has schema version 3 and this Vigil reads version " +
                       std::to_string(Store::kSchemaVersion) +
                       "; commands that only read never upgrade it: `vigil serve` upgrades it when it starts (back "
                       "the file up first), or read it with the Vigil that wrote it\n");
  EXPECT_EQ(r.out, "");
  SQLite::Database raw(db, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("SELECT MAX(version) FROM schema_version").getInt(), 3);
  EXPECT_EQ(test::read_file(db), before) << "the file is not written";
}

TEST(VigilCli, NoDatabaseWhereVigilDbPointsSaysSo) {
  test::TempDir dir;
  const auto db = (dir / "nowhere.db").string();
  const auto r = run_process({vigil_binary().string(), "runs", "list"}, {{"VIGIL_DB", db}, {"VIGIL_CONFIG", ""}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "vigil: no database at " + db +
                       " (VIGIL_DB names this file: point it at the database, or unset it to use storage.database)\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// `config check` passes with warnings (exit 0) and says, at each key's line, what will not work.
TEST(VigilCli, ConfigCheckWarnsAboutWhatWillNotWorkAndStillPasses) {
  test::TempDir dir;
  const auto config = (dir / "vigil.yaml").string();
  test::write_file(config,
                   "agent:\n  timeout: 15\n"
                   "kubernetes:\n  enabled: true\n  read_only_kubeconfig: kube/ro.yaml\n"
                   "  remediation_kubeconfig: /nowhere/rw.yaml\n"
                   "skills:\n  dirs: [skills]\n"
                   "http:\n  alert_channel: alerts\n");
  test::write_file(dir / "kube" / "ro.yaml", "apiVersion: v1\n");
  const auto r = run_process(vigil_argv({"config", "check", config}), kNoConfiguration);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, config + ": configuration ok, 4 warnings (on stderr)\n");
  EXPECT_EQ(r.err, config +
                       ":2:12: agent.timeout: a number without a unit is read as seconds; write 15s (or m, h, "
                       "d) to say which (warning)\n" +
                       config +
                       ":10:18: http.alert_channel: 'alerts' is not a Slack channel id (C… or G…); webhook "
                       "alerts are posted there, and Slack's API takes the id (warning)\n" +
                       config + ":6:27: kubernetes.remediation_kubeconfig: no file at /nowhere/rw.yaml (warning)\n" +
                       config + ":8:10: skills.dirs: no folder at " + (dir / "skills").string() + " (warning)\n");

  // A webhook secret in the environment without http.alert_channel: every alert would get a 503.
  const auto plain = (dir / "plain.yaml").string();
  test::write_file(plain, "http:\n  listen: 127.0.0.1:9090\n");
  auto env = kNoConfiguration;
  env.emplace_back("VIGIL_ALERTMANAGER_TOKEN", "am-token-0123456789");
  const auto webhook = run_process(vigil_argv({"config", "check", plain}), env);
  EXPECT_EQ(webhook.exit_code, 0) << webhook.err;
  EXPECT_EQ(webhook.out, plain + ": configuration ok, 1 warning (on stderr)\n");
  EXPECT_EQ(webhook.err, plain +
                             ":2:3: http.alert_channel: not set, so /webhooks/alertmanager answer every alert "
                             "with 503 (no alert channel): set it to the channel id (C…) where webhook alerts "
                             "are posted (warning)\n");
}

TEST(VigilCli, ReadOnlyCommandsWithoutADatabaseSaySoAndCreateNothing) {
  test::TempDir dir;
  const auto database = std::filesystem::canonical(dir.path()) / "vigil.db";
  const auto expected = "vigil: no database at " + database.string() +
                        " (set storage.database in a configuration file and pass --config, or set VIGIL_DB to the "
                        "database file)\n";
  const std::vector<std::vector<std::string>> commands = {
      {"runs", "list"}, {"runs", "show", "6f1c2d3e"}, {"incidents", "list"}, {"incidents", "show", "1"}};
  for (const auto& command : commands) {
    const auto r = run_process(vigil_argv(command), kNoConfiguration, "", dir.path());
    EXPECT_EQ(r.exit_code, 1) << command[0] << " " << command[1];
    EXPECT_EQ(r.err, expected) << command[0] << " " << command[1];
    EXPECT_EQ(r.out, "") << command[0] << " " << command[1];
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// A relative storage.database is next to the configuration file, wherever Vigil is started.
TEST(VigilCli, RelativeDatabaseIsReadNextToTheConfigurationFile) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "elsewhere");
  const auto config = (dir / "etc" / "vigil.yaml").string();
  test::write_file(config, "storage:\n  database: state/vigil.db\n");
  const auto missing =
      run_process(vigil_argv({"--config", config, "runs", "list"}), kNoConfiguration, "", dir / "elsewhere");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "vigil: no database at " + (dir / "etc" / "state" / "vigil.db").string() +
                             " (set storage.database in " + config +
                             " and pass --config, or set VIGIL_DB to the database file)\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "etc" / "state"));
  EXPECT_TRUE(std::filesystem::is_empty(dir / "elsewhere"));

  std::filesystem::create_directories(dir / "etc" / "state");
  { ASSERT_TRUE(Store::open((dir / "etc" / "state" / "vigil.db").string())); }
  const auto found =
      run_process(vigil_argv({"--config", config, "runs", "list"}), kNoConfiguration, "", dir / "elsewhere");
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(found.out, "no runs\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir / "elsewhere"));
}

// Without skills.dirs, the skills shipped with Vigil, found from the binary, not the working folder.
TEST(VigilCli, ShippedSkillsAreListedFromAnyDirectory) {
  test::TempDir dir;
  const auto r = run_process(vigil_argv({"skills", "list"}), kNoConfiguration, "", dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pod-crashloop"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.err.find("no skills"), std::string::npos) << r.err;
}

TEST(VigilCli, RelativeSkillFoldersAreReadNextToTheConfigurationFile) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "elsewhere");
  const auto config = (dir / "etc" / "vigil.yaml").string();
  test::write_file(config, "skills:\n  dirs: [runbooks]\n");
  const auto shipped = test::shipped_skills_dir();
  test::write_file(dir / "etc" / "runbooks" / "oom-killed.yaml", test::read_file(shipped / "oom-killed.yaml"));
  const auto r =
      run_process(vigil_argv({"--config", config, "skills", "list"}), kNoConfiguration, "", dir / "elsewhere");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("oom-killed"), std::string::npos) << r.out << r.err;
  // Only the configured folder: the shipped skills are not added behind the user's back.
  EXPECT_EQ(r.out.find("pod-crashloop"), std::string::npos) << r.out;
}

TEST(VigilCli, NoSkillsIsAWarningNamingTheFoldersSearched) {
  test::TempDir dir;
  const auto config = (dir / "vigil.yaml").string();
  test::write_file(config, "skills:\n  dirs: [empty]\n");
  std::filesystem::create_directories(dir / "empty");
  const auto r = run_process(vigil_argv({"--config", config, "skills", "list"}), kNoConfiguration);
  EXPECT_EQ(r.out, "no skills\n");
  EXPECT_NE(r.err.find("vigil: no skills in " + (dir / "empty").string() + "; check skills.dirs in " + config),
            std::string::npos)
      << r.err;
}

// A listening loopback socket on a free port, as another program holding the port would have.
class TakenPort {
 public:
  TakenPort() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {}
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

TEST(VigilCli, ServeOnATakenHttpPortSaysWhatToChangeAndExitsTwo) {
  test::TempDir dir;
  const TakenPort taken;
  const auto config = (dir / "vigil.yaml").string();
  test::write_file(config, "http:\n  listen: " + taken.address() + "\n");
  const auto r =
      run_process(vigil_argv({"--config", config, "serve", "--sandbox=127.0.0.1:0"}), kNoConfiguration, "", dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const auto expected = "cannot listen on " + taken.address() +
                        ": address already in use; another program has this port: set http.listen in " + config +
                        " (or VIGIL_HTTP_ADDR), or port 0 for a free one";
  EXPECT_EQ(count(r.err, expected), 1u) << r.err;
  EXPECT_EQ(count(r.err, "cannot listen"), 1u) << r.err;
  // The sandbox page was bound, but its address is printed only once every listener is: nobody is
  // sent to a page whose process is exiting.
  EXPECT_EQ(r.out.find("Sandbox: open"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("Sandbox: open"), std::string::npos) << r.err;
}

// What a new user meets with Prometheus on 127.0.0.1:9090: no configuration file, the port named by
// VIGIL_HTTP_ADDR here (the default otherwise), the setting to change in the message, no address.
TEST(VigilCli, SandboxWithTheHttpPortTakenPrintsNoAddressAndNamesTheSetting) {
  test::TempDir dir;
  const TakenPort taken;
  auto env = kNoConfiguration;
  env.emplace_back("VIGIL_HTTP_ADDR", taken.address());
  const auto r = run_process(vigil_argv({"serve", "--sandbox=127.0.0.1:0"}), env, "", dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count(r.err, "cannot listen on " + taken.address() +
                             ": address already in use; another program has this port: set http.listen in a "
                             "configuration file (--config) or VIGIL_HTTP_ADDR, or port 0 for a free one"),
            1u)
      << r.err;
  EXPECT_EQ(r.out, "") << "no address before the exit";
}

TEST(VigilCli, SandboxOnATakenPagePortSaysWhatToChangeAndExitsTwo) {
  test::TempDir dir;
  const TakenPort taken;
  const auto r = run_process(vigil_argv({"serve", "--sandbox=" + taken.address()}), kNoConfiguration, "", dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const auto expected = "the sandbox page cannot listen on " + taken.address() +
                        ": address already in use; another program has this port: set --sandbox=127.0.0.1:PORT "
                        "or VIGIL_SANDBOX_ADDR, or port 0 for a free one";
  EXPECT_EQ(count(r.err, expected), 1u) << r.err;
  EXPECT_EQ(count(r.err, "cannot listen"), 1u) << r.err;
}

// `incidents show` takes a full id or a prefix only one incident has, as `runs show` does.
TEST(VigilCli, IncidentsShowTakesAUniquePrefixAndRefusesAnAmbiguousOne) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  {
    auto store = Store::open(db);
    ASSERT_TRUE(store);
    for (const auto* id : {"a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000002"}) {
      IncidentRecord i;
      i.id = id;
      i.title = std::string("checkout down ") + id;
      i.source = "slack";
      i.created_at = 1'800'000'000;
      ASSERT_TRUE((*store)->create_incident(i));
    }
  }
  const auto unique = run_process(
      {vigil_binary().string(), "incidents", "show", "a1b2c3d4-0000-4000-8000-000000000002"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(unique.exit_code, 0) << unique.err;
  EXPECT_NE(unique.out.find("checkout down a1b2c3d4-0000-4000-8000-000000000002"), std::string::npos) << unique.out;

  const auto ambiguous = run_process({vigil_binary().string(), "incidents", "show", "a1b2c3d4"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_NE(ambiguous.err.find("incident id prefix 'a1b2c3d4' is ambiguous"), std::string::npos) << ambiguous.err;

  const auto missing = run_process({vigil_binary().string(), "incidents", "show", "zzzz"}, {{"VIGIL_DB", db}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no incident zzzz"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace vigil

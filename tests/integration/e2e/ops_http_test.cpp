// End to end: the ops endpoints and alert webhooks of `vigil serve`, against the Slack emulator.
// The webhooks carry the real payloads in tests/fixtures; what is checked is the answer each
// sender gets and what ends up in the database.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "bot/slack/markdown_timeline.h"
#include "bot/store/store.h"
#include "integrations/pagerduty/pagerduty_signature.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/metrics_check.h"
#include "tests/support/raw_http.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using slack::SlackEmulator;
using test::http_request;
using test::raw_http;

constexpr const char* kAlerts = "C0ALERTS";
constexpr const char* kAmToken = "am-token-123";
constexpr const char* kOgToken = "og-token-456";
constexpr const char* kGfToken = "gf-token-789";
constexpr const char* kRequester = "U0REQ";
constexpr const char* kApprover = "U0APPROVER";

class OpsHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kAlerts, "alerts");
    emu_.start();
    test::write_file(dir_ / "vigil.yaml", "channels:\n  - id: " + std::string(kAlerts) +
                                              "\n    backend: runbook\n    auto_triage: true\n"
                                              "approvals:\n  users: [" +
                                              kApprover +
                                              "]\n"
                                              "skills:\n  dirs: [" +
                                              (test::test_data_dir() / "fixtures" / "skills_chatops").string() +
                                              "]\n"
                                              "agent:\n  workspace_root: " +
                                              (dir_ / "ws").string() +
                                              "\n  grace: 1s\n"
                                              "storage:\n  database: " +
                                              (dir_ / "v.db").string() +
                                              "\n"
                                              "http:\n  alert_channel: " +
                                              kAlerts +
                                              "\n  max_body_bytes: 65536\n"
                                              "logging:\n  level: debug\n");
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      EXPECT_EQ(test::wait_exit(pid_, 20s), 0) << log();
    }
  }
  void start(const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> env{"SLACK_API_URL=" + emu_.api_url(),
                                 "SLACK_APP_TOKEN=" + test::fake_app_token(),
                                 "SLACK_BOT_TOKEN=" + test::fake_bot_token(),
                                 "VIGIL_HTTP_ADDR=127.0.0.1:0",
                                 std::string("VIGIL_ALERTMANAGER_TOKEN=") + kAmToken,
                                 "VIGIL_PAGERDUTY_WEBHOOK_SECRETS=pd-old,pd-new",
                                 std::string("VIGIL_OPSGENIE_TOKEN=") + kOgToken,
                                 std::string("VIGIL_GRAFANA_TOKEN=") + kGfToken};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    pid_ = test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"}, env, (dir_ / "vigil.log").string());
    ASSERT_GT(pid_, 0);
    // The bound port is in the log ("http listening on 127.0.0.1:0 (port N)").
    ASSERT_TRUE(test::eventually(
        [&] {
          const auto text = log();
          const auto at = text.find("(port ");
          if (at == std::string::npos) {
            return false;
          }
          port_ = static_cast<unsigned short>(std::stoi(text.substr(at + 6)));
          return true;
        },
        15s))
        << log();
  }
  // Connected to Slack, runs recovered, webhook intake open.
  void wait_connected() {
    ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() >= 2; }, 15s)) << log();
    ASSERT_TRUE(test::eventually([&] { return raw_http(port_, http_request("GET", "/readyz")).status == 200; }, 15s))
        << log();
  }
  std::string log() const { return test::read_file(dir_ / "vigil.log"); }
  // Socket Mode envelopes shaped as Slack sends them, acked within Slack's 3 seconds.
  json send(json envelope) {
    const auto id = emu_.send_envelope(std::move(envelope));
    const auto ack = emu_.wait_for_ack(id, 3s);
    EXPECT_TRUE(ack) << "envelope " << id << " not acked within Slack's 3 seconds";
    return ack ? ack->payload : json();
  }
  json slash(const std::string& command, const std::string& text) {
    const auto n = std::to_string(++envelopes_);
    return send({{"envelope_id", "env-cmd-" + n},
                 {"type", "slash_commands"},
                 {"accepts_response_payload", true},
                 {"payload",
                  {{"command", command},
                   {"text", text},
                   {"user_id", kRequester},
                   {"user_name", "u"},
                   {"channel_id", kAlerts},
                   {"channel_name", "alerts"},
                   {"team_id", "T1"},
                   {"response_url", emu_.response_url("cmd-" + n)},
                   {"trigger_id", "trig-" + n}}}});
  }
  // A button click; Slack may deliver the same click twice (same user, action and action_ts).
  json click(const std::string& action_id, const std::string& value, const std::string& action_ts) {
    const auto n = std::to_string(++envelopes_);
    return send({{"envelope_id", "env-click-" + n},
                 {"type", "interactive"},
                 {"accepts_response_payload", true},
                 {"payload",
                  {{"type", "block_actions"},
                   {"user", {{"id", kApprover}, {"username", "u"}, {"team_id", "T1"}}},
                   {"team", {{"id", "T1"}}},
                   {"channel", {{"id", kAlerts}, {"name", "alerts"}}},
                   {"container", {{"type", "message"}, {"message_ts", "1.1"}, {"channel_id", kAlerts}}},
                   {"trigger_id", "trig-" + n},
                   {"response_url", emu_.response_url("click-" + n)},
                   {"actions", json::array({{{"action_id", action_id},
                                             {"block_id", "b"},
                                             {"value", value},
                                             {"type", "button"},
                                             {"action_ts", action_ts}}})}}}});
  }
  std::vector<std::string> approval_tokens() const {
    std::vector<std::string> out;
    for (const auto& c : emu_.calls("chat.postMessage")) {
      for (const auto& b : c.args.value("blocks", json::array())) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "approval.approve") {
            out.push_back(e.value("value", ""));
          }
        }
      }
    }
    return out;
  }
  std::string metrics_text() {
    const auto r = raw_http(port_, http_request("GET", "/metrics"));
    EXPECT_EQ(r.status, 200) << r.body;
    const auto type = r.headers.find("content-type");
    EXPECT_TRUE(type != r.headers.end() && type->second.rfind("text/plain; version=0.0.4", 0) == 0);
    return r.body;
  }
  // What a Prometheus operator runs on the endpoint: promtool's parser and lint, silent and exit 0;
  // and every family as the catalogue has it (help, type, label names).
  void expect_promtool_clean(const std::filesystem::path& promtool, const std::string& text) {
    const auto result = test::promtool_check_metrics(promtool, text);
    EXPECT_EQ(result.exit_code, 0) << "promtool check metrics:\n" << result.out << "\n/metrics:\n" << text;
    EXPECT_EQ(result.out, "") << "promtool check metrics:\n" << result.out << "\n/metrics:\n" << text;
    EXPECT_EQ(test::exposition_problems(text), std::vector<std::string>{}) << text;
  }
  std::unique_ptr<Store> store() {
    auto s = Store::open((dir_ / "v.db").string());
    return s ? std::move(*s) : nullptr;
  }
  test::RawHttpResponse post(const std::string& source, const std::string& body,
                             std::map<std::string, std::string> headers) {
    headers["Content-Type"] = "application/json";
    return raw_http(port_, http_request("POST", "/webhooks/" + source, headers, body));
  }
  std::map<std::string, std::string> auth_for(const std::string& source, const std::string& body) {
    if (source == "pagerduty") {
      return {{"X-PagerDuty-Signature", pagerduty::sign_v3("pd-new", body)}};
    }
    const std::string token = source == "alertmanager" ? kAmToken : source == "opsgenie" ? kOgToken : kGfToken;
    return {{"Authorization", "Bearer " + token}};
  }

  SlackEmulator emu_;
  test::TempDir dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  int envelopes_ = 0;
};

TEST_F(OpsHttp, ReadyOnlyAfterSlackSaysHello) {
  // Slack is slow to hand out a socket URL: the process is alive but not ready.
  emu_.stall_next("apps.connections.open", 3s, 2);
  start();
  EXPECT_EQ(raw_http(port_, http_request("GET", "/healthz")).status, 200);
  const auto before = raw_http(port_, http_request("GET", "/readyz"));
  EXPECT_EQ(before.status, 503);
  EXPECT_NE(before.body.find("slack"), std::string::npos) << before.body;
  // A webhook meanwhile is stored and answered, and taken in once the runs are recovered.
  const auto body = test::read_file(test::fixtures_dir() / "alertmanager" / "webhook_firing_oncall_example.json");
  const auto early = post("alertmanager", body, auth_for("alertmanager", body));
  EXPECT_EQ(early.status, 202);
  EXPECT_NE(early.body.find("\"deferred\":true"), std::string::npos) << early.body;
  wait_connected();
  EXPECT_TRUE(test::eventually(
      [&] {
        auto s = store();
        const auto d = s->list_webhook_deliveries();
        return d.size() == 1 && d[0].status == "processed" && !s->list_incidents(10, false).empty();
      },
      10s))
      << log();
}

// Started with the usual umask 022 (what a container runtime gives), `vigil serve` makes its own
// private, so nothing it writes is readable by other users.
TEST_F(OpsHttp, ServeRunsWithAPrivateUmask) {
  const mode_t before = ::umask(022);
  start();
  ::umask(before);
  const auto status = test::read_file("/proc/" + std::to_string(pid_) + "/status");
  EXPECT_NE(status.find("Umask:\t0077"), std::string::npos) << status;
}

// The Slack tokens and webhook secrets were given in the environment; once read they are held in
// memory only: the process's environ (what a child, or a process of the same user reading
// /proc/<pid>/environ, would see) no longer has them, and Vigil still connects with them.
TEST_F(OpsHttp, ServeForgetsItsSecretsFromItsEnvironment) {
  start();
  wait_connected();
  const auto environ_text = test::read_file("/proc/" + std::to_string(pid_) + "/environ");
  EXPECT_NE(environ_text.find("SLACK_API_URL="), std::string::npos);
  for (const std::string& secret : {test::fake_app_token(), test::fake_bot_token(), std::string(kAmToken),
                                    std::string("pd-old,pd-new"), std::string(kOgToken), std::string(kGfToken)}) {
    EXPECT_EQ(environ_text.find(secret), std::string::npos) << "still in environ: " << secret.substr(0, 6);
  }
}

TEST_F(OpsHttp, EveryWebhookFixtureIsAcceptedAndBecomesAnIncident) {
  start();
  wait_connected();
  int sent = 0;
  std::set<std::string> sources_seen;
  for (const std::string source : {"alertmanager", "pagerduty", "opsgenie", "grafana"}) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(test::fixtures_dir() / source)) {
      if (e.path().extension() == ".json") {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty()) << source;
    for (const auto& f : files) {
      const auto body = test::read_file(f);
      const auto r = post(source, body, auth_for(source, body));
      EXPECT_EQ(r.status, 202) << f << ": " << r.body;
      EXPECT_NE(r.body.find("\"delivery\""), std::string::npos) << r.body;
      ++sent;
    }
  }
  auto s = store();
  ASSERT_TRUE(s);
  const auto deliveries = s->list_webhook_deliveries();
  EXPECT_EQ(static_cast<int>(deliveries.size()), sent);
  for (const auto& d : deliveries) {
    EXPECT_EQ(d.status, "processed") << d.source << " " << d.id;
  }
  for (const auto& incident : s->list_incidents(100, false)) {
    sources_seen.insert(incident.source);
  }
  EXPECT_EQ(sources_seen, (std::set<std::string>{"alertmanager", "pagerduty", "opsgenie", "grafana"}));
  EXPECT_FALSE(s->list_runs(100).empty());
  // The same alert again is grouped, not a second incident.
  const auto incidents = s->list_incidents(100, false).size();
  const auto again = test::read_file(test::fixtures_dir() / "grafana" / "grafana_v11_alerting_firing_with_values.json");
  EXPECT_EQ(post("grafana", again, auth_for("grafana", again)).status, 202);
  EXPECT_EQ(store()->list_incidents(100, false).size(), incidents);
  // The incident's own timeline has the alert, its repeat, and the run triggered by it.
  auto after = store();
  bool checked = false;
  for (const auto& incident : after->list_incidents(100, false)) {
    if (incident.source != "grafana" || incident.alert_count < 2) {
      continue;
    }
    const auto md = format_incident_markdown(*after, incident);
    EXPECT_NE(md.find("| Alert fired | grafana |"), std::string::npos) << md;
    EXPECT_NE(md.find("| Alert repeated | grafana |"), std::string::npos) << md;
    EXPECT_NE(md.find(": Triggered | grafana | webhook"), std::string::npos) << md;
    checked = true;
  }
  EXPECT_TRUE(checked) << "the repeated grafana alert's incident";
}

TEST_F(OpsHttp, BadAuthMalformedAndOversizeStoreNothing) {
  start();
  const auto body = test::read_file(test::fixtures_dir() / "pagerduty" / "v3_incident_triggered.json");
  EXPECT_EQ(post("pagerduty", body, {{"X-PagerDuty-Signature", pagerduty::sign_v3("forged", body)}}).status, 401);
  EXPECT_EQ(post("pagerduty", body, {}).status, 401);
  EXPECT_EQ(post("pagerduty", body + " ", auth_for("pagerduty", body)).status, 401);
  const auto am = test::read_file(test::fixtures_dir() / "alertmanager" / "webhook_firing_oncall_example.json");
  EXPECT_EQ(post("alertmanager", am, {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(post("alertmanager", am, {}).status, 401);
  EXPECT_EQ(post("opsgenie", am, {{"Authorization", std::string("Bearer ") + kAmToken}}).status, 401);
  const auto malformed = post("alertmanager", "{\"alerts\": [", auth_for("alertmanager", ""));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("malformed"), std::string::npos) << malformed.body;
  const std::string wrong_shape = "{\"hello\": 1}";
  EXPECT_EQ(post("grafana", wrong_shape, auth_for("grafana", wrong_shape)).status, 400);
  const std::string big(70'000, ' ');
  EXPECT_EQ(post("alertmanager", big, auth_for("alertmanager", big)).status, 413);
  EXPECT_EQ(raw_http(port_, http_request("GET", "/webhooks/alertmanager")).status, 405);
  auto s = store();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->list_webhook_deliveries().empty());
  EXPECT_TRUE(s->list_incidents(100, false).empty());
}

// Every text of every row of every table of the database at `path`.
std::string every_stored_text(const std::string& path) {
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  std::vector<std::string> tables;
  SQLite::Statement names(raw, "SELECT name FROM sqlite_master WHERE type = 'table'");
  while (names.executeStep()) {
    tables.push_back(names.getColumn(0).getString());
  }
  std::string out;
  for (const auto& table : tables) {
    SQLite::Statement rows(raw, "SELECT * FROM \"" + table + "\"");
    while (rows.executeStep()) {
      for (int i = 0; i < rows.getColumnCount(); ++i) {
        out += table + "." + rows.getColumnName(i) + "=" + rows.getColumn(i).getString() + "\n";
      }
    }
  }
  return out;
}

// Issue 21, point 2: an alert carrying secrets (a password label, a Slack token, a bearer header, a
// GitHub token) is processed into an incident and a run, and none of them is in any table after;
// the database and its WAL and SHM were created 0600 under the usual umask.
TEST_F(OpsHttp, SecretsInAWebhookAreInNoTableOnceProcessed) {
  const mode_t old_mask = ::umask(022);
  start();
  ::umask(old_mask);
  wait_connected();
  const std::string slack_token = std::string("xo") + "xb-99887766-secretslacktoken";
  const std::string github_token = std::string("gh") + "p_" + std::string(36, 'Z');
  const std::string bearer = "b34r3r-s3cr3t-v4lu3";
  const std::string password = "hunter2-sekrit";
  const json alert = {
      {"status", "firing"},
      {"labels",
       {{"alertname", "DbPasswordLeak"}, {"severity", "critical"}, {"password", password}, {"instance", "db-1"}}},
      {"annotations",
       {{"title", "login failed with " + slack_token},
        {"description",
         "curl -H 'Authorization: Bearer " + bearer + "' api; push with " + github_token + "; password: " + password}}},
      {"startsAt", "2023-06-12T08:24:38.326Z"},
      {"endsAt", "0001-01-01T00:00:00Z"},
      {"fingerprint", "5ec7e75ec7e75ec7"},
      {"generatorURL", ""}};
  const json body_json = {{"receiver", "vigil"},
                          {"status", "firing"},
                          {"alerts", json::array({alert})},
                          {"groupLabels", {{"alertname", "DbPasswordLeak"}}},
                          {"commonLabels", json::object()},
                          {"commonAnnotations", json::object()},
                          {"externalURL", ""},
                          {"version", "4"},
                          {"groupKey", "{}:{alertname=\"DbPasswordLeak\"}"}};
  const auto body = body_json.dump();
  const auto r = post("alertmanager", body, auth_for("alertmanager", body));
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(test::eventually(
      [&] {
        auto s = store();
        return s && !s->list_runs(10).empty() && !s->list_webhook_deliveries().empty() &&
               s->list_webhook_deliveries()[0].status == "processed";
      },
      15s))
      << log();
  auto s = store();
  ASSERT_EQ(s->list_incidents(10, false).size(), 1u);
  const auto db = (dir_ / "v.db").string();
  const auto all = every_stored_text(db);
  // The alert's text was written (redacted), not left out.
  EXPECT_NE(all.find("[REDACTED]"), std::string::npos) << all;
  for (const auto& secret : {slack_token, github_token, bearer, password}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " is in the database:\n" << all;
  }
  for (const auto& file : {db, db + "-wal", db + "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
  }
}

// The value of one series in a /metrics text (-1 when it is not there).
double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

TEST_F(OpsHttp, MetricsOfAnIdleProcessPassPromtool) {
  const auto promtool = test::find_promtool();
  if (!promtool) {
    GTEST_SKIP() << test::kPromtoolMissing;
  }
  start();
  expect_promtool_clean(*promtool, metrics_text());
  wait_connected();
  const auto text = metrics_text();
  expect_promtool_clean(*promtool, text);
  // Counters without labels are there at 0 from the start, so a rate or an alert sees 0, not no data.
  EXPECT_NE(text.find("\nvigil_socket_connect_failures_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nvigil_socket_duplicates_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nagent_runtime_active_agents{cluster=\"default\"} 0\n"), std::string::npos) << text;
}

// A day's worth of activity in small: a webhook (and a refused one), a /triage through Socket Mode
// that runs a runbook to its approval card, a click on Approve (delivered twice), a frame Slack
// would never send, a 429 from Slack. Then /metrics is what promtool accepts without a word.
TEST_F(OpsHttp, MetricsAfterWebhooksATriageAndAClickPassPromtool) {
  const auto promtool = test::find_promtool();
  if (!promtool) {
    GTEST_SKIP() << test::kPromtoolMissing;
  }
  start();
  wait_connected();
  const auto body = test::read_file(test::fixtures_dir() / "alertmanager" / "webhook_firing_oncall_example.json");
  EXPECT_EQ(post("alertmanager", body, auth_for("alertmanager", body)).status, 202);
  EXPECT_EQ(post("alertmanager", body, {}).status, 401);

  emu_.fail_next_http("chat.postMessage", 429, 1, 1);
  slash("/triage", "api is down since 14:02");
  ASSERT_TRUE(test::eventually([&] { return approval_tokens().size() == 1; })) << log();
  const auto token = approval_tokens()[0];
  click("approval.approve", token, "1800000000.000100");
  click("approval.approve", token, "1800000000.000100");  // Slack's redelivery: dropped
  ASSERT_TRUE(test::eventually([&] {
    auto s = store();
    for (const auto& run : s->list_runs(10)) {
      if (run.trigger_kind == "slash_command" && run.state == RunState::Succeeded) {
        return true;
      }
    }
    return false;
  })) << log();
  const auto connection = emu_.connections().front();
  emu_.send_raw(connection, "this is not a Socket Mode frame");

  std::string text;
  ASSERT_TRUE(test::eventually([&] {
    text = metrics_text();
    return text.find("\nvigil_socket_bad_frames_total 1\n") != std::string::npos;
  })) << text;
  expect_promtool_clean(*promtool, text);

  // What operators graph and alert on, as they see it. (The webhook's alert matches no runbook:
  // its run ends too, so the run families count at least the /triage one.)
  for (const std::string line :
       {"vigil_webhook_deliveries_total{source=\"alertmanager\"} 1",
        "vigil_webhook_rejected_total{reason=\"unauthorized\"} 1",
        "vigil_socket_envelopes_total{type=\"slash_commands\"} 1",
        "vigil_socket_envelopes_total{type=\"interactive\"} 2", "vigil_socket_duplicates_total 1",
        "vigil_slack_api_rate_limited_total{method=\"chat.postMessage\"} 1",
        "vigil_approvals_total{outcome=\"approved\"} 1", "agent_runtime_active_agents{cluster=\"default\"} 0"}) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << line << "\n" << text;
  }
  // The approved /triage run: its state, and what it came to.
  EXPECT_GE(sample(text, "vigil_runs_finished_total{backend=\"runbook\",state=\"succeeded\",result=\"fixed\"}"), 1)
      << text;
  const auto runs = sample(text, "vigil_run_duration_seconds_count{state=\"succeeded\"}");
  EXPECT_GE(runs, 1) << text;
  EXPECT_EQ(sample(text, "vigil_run_duration_seconds_bucket{state=\"succeeded\",le=\"3600\"}"), runs) << text;
  EXPECT_GE(sample(text, "vigil_runs{state=\"succeeded\"}"), 1) << text;
  const auto families = test::families_with_samples(text);
  for (const std::string family :
       {"vigil_socket_envelopes_total", "vigil_socket_ack_seconds", "vigil_socket_duplicates_total",
        "vigil_socket_bad_frames_total", "vigil_socket_connections_opened_total", "vigil_slack_api_calls_total",
        "vigil_slack_api_rate_limited_total", "vigil_inputs_waiting", "vigil_runs", "vigil_runs_active",
        "vigil_run_queue_depth", "vigil_runs_finished_total", "vigil_run_duration_seconds", "vigil_workspace_bytes",
        "vigil_approvals_total", "vigil_webhook_deliveries_total", "vigil_webhook_rejected_total",
        "agent_runtime_active_agents", "agent_runtime_workspace_size_bytes"}) {
    EXPECT_NE(std::find(families.begin(), families.end(), family), families.end()) << family << "\n" << text;
  }
}

// A connection to 127.0.0.1:port that sends nothing; -1 when it fails.
int connect_loopback(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// What the server sends until it closes or `timeout` passes.
std::string read_until_closed(int fd, std::chrono::milliseconds timeout) {
  std::string data;
  char buf[1024];
  for (const auto until = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < until;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

// Issue 21: the probes on a listener of their own (VIGIL_HTTP_PROBE_ADDR), which serves nothing
// else and answers while one address holds all it may of the webhook listener; the connection
// refused there is counted in /metrics.
TEST_F(OpsHttp, TheProbeListenerAnswersWhileTheWebhookPortIsCrowded) {
  auto config = test::read_file(dir_ / "vigil.yaml");
  const std::string limits = "  max_body_bytes: 65536\n";
  config.replace(config.find(limits), limits.size(),
                 limits + "  max_connections_per_client: 4\n  first_byte_timeout: 60s\n");
  test::write_file(dir_ / "vigil.yaml", config);
  start({"VIGIL_HTTP_PROBE_ADDR=127.0.0.1:0"});
  unsigned short probes = 0;
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto text = log();
        const auto at = text.find("(probe port ");
        if (at == std::string::npos) {
          return false;
        }
        probes = static_cast<unsigned short>(std::stoi(text.substr(at + 12)));
        return true;
      },
      15s))
      << log();
  ASSERT_NE(probes, port_);
  const auto health = raw_http(probes, http_request("GET", "/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(raw_http(probes, http_request("POST", "/webhooks/alertmanager", {}, "{}")).status, 404);
  // 4 idle connections from 127.0.0.1 (http.max_connections_per_client), then one more.
  std::vector<int> held;
  for (int i = 0; i < 5; ++i) {
    held.push_back(connect_loopback(port_));
    ASSERT_GE(held.back(), 0);
  }
  const auto refused = read_until_closed(held.back(), 2s);
  EXPECT_NE(refused.find("HTTP/1.1 503"), std::string::npos) << refused;
  EXPECT_NE(raw_http(port_, http_request("GET", "/healthz"), 1s).status, 200);
  EXPECT_EQ(raw_http(probes, http_request("GET", "/healthz")).status, 200);
  const auto metrics = raw_http(probes, http_request("GET", "/metrics"));
  EXPECT_NE(metrics.body.find("\nvigil_http_connections_closed_total{listener=\"main\",reason=\"client_limit\"} 2\n"),
            std::string::npos)
      << metrics.body;
  for (const int fd : held) {
    ::close(fd);
  }
}

}  // namespace
}  // namespace vigil

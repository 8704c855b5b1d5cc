// End to end: the ops endpoints and alert webhooks of `vigil serve`, against the Slack emulator.
// The webhooks carry the real payloads in tests/fixtures; what is checked is the answer each
// sender gets and what ends up in the database.
#include <signal.h>

#include <filesystem>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "bot/markdown_timeline.h"
#include "bot/store.h"
#include "integrations/pagerduty/pagerduty_signature.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/raw_http.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using slack::SlackEmulator;
using test::http_request;
using test::raw_http;

constexpr const char* kAlerts = "C0ALERTS";
constexpr const char* kAmToken = "am-token-123";
constexpr const char* kOgToken = "og-token-456";
constexpr const char* kGfToken = "gf-token-789";

// The Prometheus text format, line by line: comments are HELP or TYPE, every sample belongs to a
// family declared by TYPE. Returns the problems; fills the family names and their types.
std::vector<std::string> check_exposition(const std::string& text, std::map<std::string, std::string>& types) {
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$)");
  static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? (-?[0-9.]+([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$)");
  std::vector<std::string> problems;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      problems.push_back("no newline at the end");
      end = text.size();
    }
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      continue;
    }
    if (std::regex_match(line, m, kType)) {
      if (types.count(m[1])) {
        problems.push_back("TYPE twice: " + line);
      }
      types[m[1]] = m[2];
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      problems.push_back("not a sample: " + line);
      continue;
    }
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (!types.count(family) && family.size() > s.size() && family.ends_with(s) &&
          types.count(family.substr(0, family.size() - s.size())) &&
          types[family.substr(0, family.size() - s.size())] == "histogram") {
        family = family.substr(0, family.size() - s.size());
      }
    }
    if (!types.count(family)) {
      problems.push_back("sample before its TYPE: " + line);
    }
  }
  return problems;
}

class OpsHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kAlerts, "alerts");
    emu_.start();
    test::write_file(dir_ / "vigil.yaml",
                     "channels:\n  - id: " + std::string(kAlerts) +
                         "\n    backend: runbook\n    auto_triage: true\n"
                         "skills:\n  dirs: [" + (test::test_data_dir() / "fixtures" / "skills_chatops").string() + "]\n"
                         "agent:\n  workspace_root: " + (dir_ / "ws").string() + "\n  grace: 1s\n"
                         "storage:\n  database: " + (dir_ / "v.db").string() + "\n"
                         "http:\n  alert_channel: " + kAlerts + "\n  max_body_bytes: 65536\n"
                         "logging:\n  level: debug\n");
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      EXPECT_EQ(test::wait_exit(pid_, 20s), 0) << log();
    }
  }
  void start() {
    pid_ = test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"},
                             {"SLACK_API_URL=" + emu_.api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
                              "SLACK_BOT_TOKEN=" + test::fake_bot_token(), "VIGIL_HTTP_ADDR=127.0.0.1:0",
                              std::string("VIGIL_ALERTMANAGER_TOKEN=") + kAmToken,
                              "VIGIL_PAGERDUTY_WEBHOOK_SECRETS=pd-old,pd-new",
                              std::string("VIGIL_OPSGENIE_TOKEN=") + kOgToken,
                              std::string("VIGIL_GRAFANA_TOKEN=") + kGfToken},
                             (dir_ / "vigil.log").string());
    ASSERT_GT(pid_, 0);
    // The bound port is in the log ("http listening on 127.0.0.1:0 (port N)").
    ASSERT_TRUE(test::eventually([&] {
      const auto text = log();
      const auto at = text.find("(port ");
      if (at == std::string::npos) {
        return false;
      }
      port_ = static_cast<unsigned short>(std::stoi(text.substr(at + 6)));
      return true;
    }, 15s)) << log();
  }
  // Connected to Slack, runs recovered, webhook intake open.
  void wait_connected() {
    ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() >= 2; }, 15s)) << log();
    ASSERT_TRUE(test::eventually([&] { return raw_http(port_, http_request("GET", "/readyz")).status == 200; }, 15s))
        << log();
  }
  std::string log() const { return test::read_file(dir_ / "vigil.log"); }
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
  EXPECT_TRUE(test::eventually([&] {
    auto s = store();
    const auto d = s->list_webhook_deliveries();
    return d.size() == 1 && d[0].status == "processed" && !s->list_incidents(10, false).empty();
  }, 10s)) << log();
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

TEST_F(OpsHttp, MetricsAreValidPrometheusTextWithTheNamesOperatorsUse) {
  start();
  wait_connected();
  const auto body = test::read_file(test::fixtures_dir() / "alertmanager" / "webhook_firing_oncall_example.json");
  EXPECT_EQ(post("alertmanager", body, auth_for("alertmanager", body)).status, 202);
  EXPECT_EQ(post("alertmanager", body, {}).status, 401);
  const auto r = raw_http(port_, http_request("GET", "/metrics"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("content-type").rfind("text/plain; version=0.0.4", 0), 0u) << r.headers.at("content-type");
  std::map<std::string, std::string> types;
  const auto problems = check_exposition(r.body, types);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems) << "\n" << r.body;
  for (const auto& [name, type] : std::map<std::string, std::string>{
           {"vigil_socket_connections_opened_total", "counter"},
           {"vigil_slack_api_calls_total", "counter"},
           {"vigil_runs", "gauge"},
           {"vigil_runs_active", "gauge"},
           {"vigil_run_queue_depth", "gauge"},
           {"vigil_webhook_deliveries_total", "counter"},
           {"vigil_webhook_rejected_total", "counter"},
           {"agent_runtime_active_agents", "gauge"},
           {"agent_runtime_workspace_size_bytes", "gauge"}}) {
    EXPECT_EQ(types[name], type) << name << "\n" << r.body;
  }
  EXPECT_NE(r.body.find("agent_runtime_active_agents{cluster=\"default\"} 0"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("vigil_webhook_deliveries_total{source=\"alertmanager\"} 1"), std::string::npos);
  EXPECT_NE(r.body.find("vigil_webhook_rejected_total{reason=\"unauthorized\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace vigil

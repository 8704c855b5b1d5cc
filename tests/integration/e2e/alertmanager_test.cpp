// End to end against a real Alertmanager (Debian's prometheus-alertmanager, started here on a
// loopback port with its own configuration and storage; alerts fired and resolved with amtool) and
// the real `vigil serve`, both ways:
//   - the webhook receiver, with bearer auth from http_config, into /webhooks/alertmanager;
//   - the slack_configs receiver, its api_url pointed at the Slack emulator's chat.postMessage with
//     another app's bot token: the emulator hands Vigil the message event Slack would.
// Skipped (with the reason) only where Alertmanager or amtool is not installed.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/store/store.h"
#include "integrations/alerting/alert_message_parser.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/peer_process.h"
#include "tests/support/raw_http.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kAlerts = "C0ALERTS";
constexpr const char* kWebhookToken = "am-webhook-token-1";

// Alertmanager's own Slack app: another bot in the workspace (the token is assembled at run time so
// that nothing token-shaped is committed).
std::string alertmanager_bot_token() {
  return std::string("xo") + "xb-alertmanager-app";
}

std::string route(const std::string& receiver) {
  // Short waits so that a test sees the first notification and the resolve in seconds.
  return "route:\n  receiver: " + receiver +
         "\n  group_by: [alertname, namespace]\n  group_wait: 200ms\n  group_interval: 1s\n"
         "  repeat_interval: 1h\n";
}

class RealAlertmanager : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::AlertmanagerPeer::missing()) {
      GTEST_SKIP() << *why;
    }
    emu_.add_channel(kAlerts, "alerts");
    emu_.add_app_bot(alertmanager_bot_token(), "B0ALERTMGR", "alertmanager");
    emu_.start();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      EXPECT_EQ(test::wait_exit(pid_, 20s), 0) << log();
    }
  }

  void start_vigil(const std::string& extra_yaml = "") {
    test::write_file(dir_ / "vigil.yaml", "channels:\n  - id: " + std::string(kAlerts) +
                                              "\n    backend: runbook\n    auto_triage: true\n"
                                              "skills:\n  dirs: [" +
                                              (test::test_data_dir() / "fixtures" / "skills_alerts").string() +
                                              "]\n"
                                              "agent:\n  workspace_root: " +
                                              (dir_ / "ws").string() +
                                              "\n  grace: 1s\n"
                                              "storage:\n  database: " +
                                              (dir_ / "v.db").string() +
                                              "\n"
                                              "http:\n  alert_channel: " +
                                              kAlerts +
                                              "\n"
                                              "logging:\n  level: debug\n" +
                                              extra_yaml);
    pid_ = test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"},
                             {"SLACK_API_URL=" + emu_.api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
                              "SLACK_BOT_TOKEN=" + test::fake_bot_token(), "VIGIL_HTTP_ADDR=127.0.0.1:0",
                              std::string("VIGIL_ALERTMANAGER_TOKEN=") + kWebhookToken},
                             (dir_ / "vigil.log").string());
    ASSERT_GT(pid_, 0);
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
    ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() >= 2; }, 15s)) << log();
    ASSERT_TRUE(test::eventually(
        [&] { return test::raw_http(port_, test::http_request("GET", "/readyz")).status == 200; }, 15s))
        << log();
  }

  std::string log() const {
    try {
      return test::read_file(dir_ / "vigil.log");
    } catch (const std::exception&) {
      return "(no log)";
    }
  }
  std::unique_ptr<Store> store() {
    auto s = Store::open((dir_ / "v.db").string());
    return s ? std::move(*s) : nullptr;
  }
  std::vector<IncidentRecord> incidents() {
    auto s = store();
    return s ? s->list_incidents(100, false) : std::vector<IncidentRecord>{};
  }
  // Everything Vigil posted in the alerts channel (text and blocks), for "the thread says …".
  std::string vigil_posts() const {
    std::string out;
    for (const auto& m : emu_.messages(kAlerts)) {
      if (m.user == emu_.options().bot_user_id) {
        out += m.text + "\n" + (m.blocks.is_null() ? std::string() : m.blocks.dump()) + "\n";
      }
    }
    return out;
  }
  // The argv of the runbook steps that ran for the incident opened by an alert.
  std::vector<std::vector<std::string>> steps_of_incident(const IncidentRecord& incident) {
    std::vector<std::vector<std::string>> out;
    auto s = store();
    for (const auto& run : s->runs_for_incident(incident.id)) {
      for (const auto& step : s->list_steps(run.id)) {
        out.push_back(step.argv);
      }
    }
    return out;
  }
  std::string slack_receiver(const std::string& extra = "") const {
    return route("slack") +
           "receivers:\n  - name: slack\n    slack_configs:\n"
           "      - api_url: " +
           emu_.api_url() +
           "chat.postMessage\n"
           "        channel: '#alerts'\n        send_resolved: true\n" +
           extra +
           "        http_config:\n          authorization:\n            credentials: " + alertmanager_bot_token() +
           "\n";
  }

  slack::SlackEmulator emu_;
  test::TempDir dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

const std::vector<std::string> kCrashLoop{"alertname=KubePodCrashLooping", "namespace=shop", "pod=checkout-7d9f8-x2x4q",
                                          "container=app", "severity=critical"};

TEST_F(RealAlertmanager, WebhookReceiverOpensGroupedIncidentsAndResolvesThem) {
  start_vigil();
  test::AlertmanagerPeer am(route("vigil") +
                            "receivers:\n  - name: vigil\n    webhook_configs:\n"
                            "      - url: http://127.0.0.1:" +
                            std::to_string(port_) +
                            "/webhooks/alertmanager\n"
                            "        send_resolved: true\n"
                            "        http_config:\n          authorization:\n            credentials: " +
                            kWebhookToken + "\n");
  ASSERT_TRUE(am.wait_ready()) << am.log();
  // Two pods of one deployment crash: one group, one notification with both alerts.
  ASSERT_EQ(am.alert(kCrashLoop, false, {"summary=checkout crash looping"}).exit_code, 0);
  auto second = kCrashLoop;
  second[2] = "pod=checkout-7d9f8-b7k2p";
  ASSERT_EQ(am.alert(second).exit_code, 0);
  ASSERT_TRUE(test::eventually([&] { return incidents().size() == 2; }, 20s)) << log() << am.log();
  // Each alert's run describes its own pod.
  std::set<std::string> pods;
  ASSERT_TRUE(test::eventually(
      [&] {
        pods.clear();
        for (const auto& incident : incidents()) {
          for (const auto& argv : steps_of_incident(incident)) {
            pods.insert(argv.at(3) + " -n " + argv.at(5));  // echo describe pod <pod> -n <namespace>
          }
        }
        return pods.size() == 2;
      },
      20s))
      << log();
  EXPECT_EQ(pods, (std::set<std::string>{"checkout-7d9f8-x2x4q -n shop", "checkout-7d9f8-b7k2p -n shop"}));
  for (const auto& incident : incidents()) {
    EXPECT_EQ(incident.source, "alertmanager");
    EXPECT_EQ(incident.state, "open");
  }
  const auto deliveries = store()->list_webhook_deliveries();
  ASSERT_FALSE(deliveries.empty());
  EXPECT_EQ(deliveries.front().source, "alertmanager");
  EXPECT_TRUE(test::eventually([&] { return vigil_posts().find("KubePodCrashLooping") != std::string::npos; }, 10s))
      << vigil_posts();

  ASSERT_EQ(am.alert(kCrashLoop, true).exit_code, 0);
  ASSERT_EQ(am.alert(second, true).exit_code, 0);
  EXPECT_TRUE(test::eventually(
      [&] {
        const auto all = incidents();
        return all.size() == 2 &&
               std::all_of(all.begin(), all.end(), [](const auto& i) { return i.state == "resolved"; });
      },
      20s))
      << log() << am.log();
}

TEST_F(RealAlertmanager, WebhookWithTheWrongTokenIsRefusedAndNothingIsStored) {
  start_vigil();
  test::AlertmanagerPeer am(route("vigil") +
                            "receivers:\n  - name: vigil\n    webhook_configs:\n"
                            "      - url: http://127.0.0.1:" +
                            std::to_string(port_) +
                            "/webhooks/alertmanager\n"
                            "        http_config:\n          authorization:\n            credentials: not-the-token\n");
  ASSERT_TRUE(am.wait_ready()) << am.log();
  ASSERT_EQ(am.alert(kCrashLoop).exit_code, 0);
  // Alertmanager logs the refusal (and retries); Vigil stores nothing.
  EXPECT_TRUE(test::eventually([&] { return am.log().find("401") != std::string::npos; }, 20s)) << am.log();
  EXPECT_TRUE(store()->list_webhook_deliveries().empty());
  EXPECT_TRUE(incidents().empty());
}

// Alertmanager's default Slack message names no label; with alertmanager.url Vigil reads them from
// Alertmanager's API v2 and fills the runbook's parameters, and [RESOLVED] resolves the incident.
TEST_F(RealAlertmanager, DefaultSlackMessageWithTheApiUrlGetsTheRealLabels) {
  // Alertmanager first, so that Vigil's configuration can name its address.
  auto am = std::make_unique<test::AlertmanagerPeer>(slack_receiver());
  start_vigil("alertmanager:\n  url: " + am->url() + "\n");
  ASSERT_TRUE(am->wait_ready()) << am->log();
  ASSERT_EQ(am->alert(kCrashLoop).exit_code, 0);
  ASSERT_TRUE(test::eventually([&] { return incidents().size() == 1; }, 20s)) << log() << am->log();
  // The message is Alertmanager's own default one, posted by its app.
  const auto posted = emu_.messages(kAlerts);
  ASSERT_FALSE(posted.empty());
  EXPECT_EQ(posted.front().bot_id, "B0ALERTMGR");
  EXPECT_EQ(posted.front().attachments.at(0).value("title", ""),
            "[FIRING:1] KubePodCrashLooping shop (app checkout-7d9f8-x2x4q critical)");
  EXPECT_TRUE(test::eventually([&] { return !steps_of_incident(incidents().at(0)).empty(); }, 20s)) << log();
  const auto argv = steps_of_incident(incidents().at(0)).at(0);
  EXPECT_EQ(argv, (std::vector<std::string>{"echo", "describe", "pod", "checkout-7d9f8-x2x4q", "-n", "shop"}));
  EXPECT_NE(log().find("labels of 'KubePodCrashLooping shop (app checkout-7d9f8-x2x4q critical)' read from"),
            std::string::npos)
      << log();

  ASSERT_EQ(am->alert(kCrashLoop, true).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return incidents().at(0).state == "resolved"; }, 20s)) << log() << am->log();
}

// The Silence button on the root of an Alertmanager alert's run: Vigil creates a silence through
// Alertmanager's API v2 for exactly the alert's labels, for an hour, by the person who clicked;
// amtool sees it; the thread and the root say who silenced it, until when, and the silence id.
// Silencing mutes the alert for everyone, so someone who is not an approver is refused.
TEST_F(RealAlertmanager, SilenceButtonCreatesASilenceThatAmtoolSees) {
  auto am = std::make_unique<test::AlertmanagerPeer>(slack_receiver());
  start_vigil("alertmanager:\n  url: " + am->url() + "\napprovals:\n  users: [U0ONCALL01]\n");
  ASSERT_TRUE(am->wait_ready()) << am->log();
  ASSERT_EQ(am->alert(kCrashLoop).exit_code, 0);
  ASSERT_TRUE(test::eventually([&] { return incidents().size() == 1; }, 20s)) << log() << am->log();
  const auto root = [&]() -> std::optional<slack::EmulatedMessage> {
    for (const auto& m : emu_.messages(kAlerts)) {
      if (m.user == emu_.options().bot_user_id && m.text.rfind("Triage run ", 0) == 0) {
        return m;
      }
    }
    return std::nullopt;
  };
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto r = root();
        return r && r->blocks.dump().find("\"alert.silence\"") != std::string::npos;
      },
      20s))
      << vigil_posts() << log();
  const auto run_id = store()->runs_for_incident(incidents().at(0).id).at(0).id;
  int n = 0;
  const auto click = [&](const std::string& user, const std::string& name) {
    const auto id =
        emu_.send_envelope({{"envelope_id", "env-silence-" + std::to_string(++n)},
                            {"type", "interactive"},
                            {"accepts_response_payload", true},
                            {"payload",
                             {{"type", "block_actions"},
                              {"user", {{"id", user}, {"username", name}, {"team_id", "T1"}}},
                              {"team", {{"id", "T1"}}},
                              {"channel", {{"id", kAlerts}, {"name", "alerts"}}},
                              {"container", {{"type", "message"}, {"message_ts", root()->ts}, {"channel_id", kAlerts}}},
                              {"trigger_id", "trig-" + std::to_string(n)},
                              {"response_url", emu_.response_url("silence-" + std::to_string(n))},
                              {"actions", json::array({{{"action_id", "alert.silence"},
                                                        {"block_id", "b"},
                                                        {"value", run_id},
                                                        {"type", "button"},
                                                        {"action_ts", "1700000000." + std::to_string(n)}}})}}}});
    EXPECT_TRUE(emu_.wait_for_ack(id, 3s));
  };
  const auto silences = [&]() {
    const auto out = am->amtool({"silence", "query", "-o", "json"});
    const auto j = json::parse(out.out, nullptr, false);
    return j.is_array() ? j : json::array();
  };
  // Not an approver: refused, privately; no silence.
  click("U0TEAMMATE", "sam");
  ASSERT_TRUE(test::eventually(
      [&] {
        for (const auto& [id, body] : emu_.response_posts()) {
          if (body.dump().find("takes an approver") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      10s))
      << log();
  EXPECT_TRUE(silences().empty());

  click("U0ONCALL01", "ana");
  ASSERT_TRUE(test::eventually([&] { return silences().size() == 1; }, 20s)) << log() << am->log();
  const auto silence = silences().at(0);
  EXPECT_EQ(silence.value("createdBy", ""), "ana (U0ONCALL01) via Vigil");
  EXPECT_NE(silence.value("comment", "").find("Vigil incident " + incidents().at(0).id.substr(0, 8)), std::string::npos)
      << silence.dump();
  std::map<std::string, std::string> matchers;
  for (const auto& m : silence["matchers"]) {
    EXPECT_TRUE(m.value("isEqual", true));
    EXPECT_FALSE(m.value("isRegex", true));
    matchers[m.value("name", "")] = m.value("value", "");
  }
  EXPECT_EQ(matchers.at("alertname"), "KubePodCrashLooping");
  EXPECT_EQ(matchers.at("pod"), "checkout-7d9f8-x2x4q");
  EXPECT_EQ(matchers.at("namespace"), "shop");
  const auto id = silence.value("id", "");
  ASSERT_FALSE(id.empty());
  // The thread says who, until when and the silence id; the root too, without its Silence button.
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto posts = vigil_posts();
        return posts.find("silenced in Alertmanager by <@U0ONCALL01> until") != std::string::npos &&
               posts.find("(silence " + id + ")") != std::string::npos;
      },
      10s))
      << vigil_posts();
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto r = root();
        return r && r->blocks.dump().find("Silenced in Alertmanager by <@U0ONCALL01>") != std::string::npos &&
               r->blocks.dump().find("\"alert.silence\"") == std::string::npos;
      },
      10s))
      << (root() ? root()->blocks.dump() : "no root");
  int audited = 0;
  for (const auto& e : store()->list_audit()) {
    audited += e.action == "alert.silenced" && e.actor == "U0ONCALL01" && e.detail.find(id) != std::string::npos;
  }
  EXPECT_EQ(audited, 1);
  // The alert is silenced in Alertmanager itself.
  EXPECT_TRUE(test::eventually(
      [&] {
        return am->amtool({"alert", "query", "--silenced", "-o", "json"}).out.find(id) != std::string::npos;
      },
      10s))
      << am->amtool({"alert", "query", "--silenced", "-o", "json"}).out;
}

// Without alertmanager.url Vigil never guesses a pod or namespace from a bare value list: the run
// stops before any step, and the thread says what is missing and how to fix it.
TEST_F(RealAlertmanager, DefaultSlackMessageWithoutTheApiUrlSaysWhatIsMissing) {
  start_vigil();
  test::AlertmanagerPeer am(slack_receiver());
  ASSERT_TRUE(am.wait_ready()) << am.log();
  ASSERT_EQ(am.alert(kCrashLoop).exit_code, 0);
  ASSERT_TRUE(test::eventually([&] { return incidents().size() == 1; }, 20s)) << log() << am.log();
  EXPECT_TRUE(test::eventually(
      [&] {
        const auto posts = vigil_posts();
        return posts.find("deploy/alerting/alertmanager-slack.tmpl") != std::string::npos &&
               posts.find("alertmanager.url") != std::string::npos;
      },
      20s))
      << vigil_posts();
  // The thread asks for them (a button opens a form); the run needed input, it did not fail.
  EXPECT_TRUE(test::eventually([&] { return vigil_posts().find("needs namespace and pod") != std::string::npos; }, 20s))
      << vigil_posts();
  EXPECT_TRUE(steps_of_incident(incidents().at(0)).empty());  // nothing ran with guessed values
  auto s = store();
  const auto runs = s->runs_for_incident(incidents().at(0).id);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state, RunState::Succeeded);
  EXPECT_EQ(runs[0].result, RunResult::NeedsInput);
}

// With the template Vigil ships (deploy/alerting/alertmanager-slack.tmpl) the message itself names
// every label: no API needed.
TEST_F(RealAlertmanager, VigilsSlackTemplateCarriesTheLabels) {
  start_vigil();
  const auto tmpl = test::test_data_dir().parent_path() / "deploy" / "alerting" / "alertmanager-slack.tmpl";
  test::AlertmanagerPeer am(
      "templates: ['*.tmpl']\n" + slack_receiver("        title: '{{ template \"vigil.slack.title\" . }}'\n"
                                                 "        text: '{{ template \"vigil.slack.text\" . }}'\n"),
      {tmpl});
  ASSERT_TRUE(am.wait_ready()) << am.log();
  ASSERT_EQ(
      am.alert(kCrashLoop, false, {"summary=checkout crash looping", "runbook_url=https://runbooks.example/crash"})
          .exit_code,
      0);
  ASSERT_TRUE(test::eventually([&] { return incidents().size() == 1; }, 20s)) << log() << am.log();
  EXPECT_TRUE(test::eventually([&] { return !steps_of_incident(incidents().at(0)).empty(); }, 20s)) << log();
  EXPECT_EQ(steps_of_incident(incidents().at(0)).at(0),
            (std::vector<std::string>{"echo", "describe", "pod", "checkout-7d9f8-x2x4q", "-n", "shop"}));
  const auto text = emu_.messages(kAlerts).front().attachments.at(0).value("text", "");
  EXPECT_NE(text.find("<https://runbooks.example/crash|Runbook>"), std::string::npos) << text;

  ASSERT_EQ(am.alert(kCrashLoop, true).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return incidents().at(0).state == "resolved"; }, 20s)) << log();
}

// Grafana's contact point cannot run here; the template Vigil ships for it uses only what Grafana's
// and Alertmanager's template data share, so Alertmanager's amtool renders it, and the message
// Grafana would post with it gives Vigil every label.
TEST(GrafanaTemplate, RenderedByAmtoolItNamesEveryLabel) {
  if (const auto why = test::AlertmanagerPeer::missing()) {
    GTEST_SKIP() << *why;
  }
  test::TempDir dir;
  test::write_file(dir / "data.json", R"({"receiver":"grafana","status":"firing","alerts":[
    {"status":"firing","labels":{"alertname":"KubePodCrashLooping","grafana_folder":"Kubernetes","namespace":"shop","pod":"checkout-7d9f8-x2x4q"},
     "annotations":{"summary":"checkout crash looping","runbook_url":"https://runbooks.example/crash"},
     "generatorURL":"https://grafana.example/alerting/grafana/abc/view","startsAt":"2026-12-06T02:00:00Z","endsAt":"0001-01-01T00:00:00Z"}],
    "groupLabels":{"alertname":"KubePodCrashLooping","grafana_folder":"Kubernetes"},
    "commonLabels":{"alertname":"KubePodCrashLooping","grafana_folder":"Kubernetes","namespace":"shop","pod":"checkout-7d9f8-x2x4q"},
    "commonAnnotations":{},"externalURL":"https://grafana.example/"})");
  const auto tmpl = (test::test_data_dir().parent_path() / "deploy" / "alerting" / "grafana-slack.tmpl").string();
  const auto amtool = test::find_program({"amtool"})->string();
  const auto render = [&](const std::string& name) {
    return test::run_process({amtool, "template", "render", "--template.glob=" + tmpl,
                              "--template.text={{ template \"" + name + "\" . }}",
                              "--template.data=" + (dir / "data.json").string()});
  };
  const auto title = render("vigil.grafana.title");
  const auto text = render("vigil.grafana.text");
  ASSERT_EQ(title.exit_code, 0) << title.err;
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(title.out.substr(0, title.out.find_last_not_of('\n') + 1), "[FIRING:1] KubePodCrashLooping Kubernetes");
  alerting::AlertMessage m;
  m.bot_name = "Grafana";
  m.attachments.push_back(
      {title.out, "https://grafana.example/alerting/list", text.out, title.out, "", "Grafana v11", {}});
  const auto parsed = alerting::parse_alert_message(m, false);
  ASSERT_TRUE(std::holds_alternative<alerting::AlertNotification>(parsed))
      << std::get<alerting::NotAnAlert>(parsed).reason;
  const auto& a = std::get<alerting::AlertNotification>(parsed);
  EXPECT_EQ(a.source, "grafana");
  EXPECT_EQ(a.labels.at("namespace"), "shop");
  EXPECT_EQ(a.labels.at("pod"), "checkout-7d9f8-x2x4q");
  EXPECT_EQ(a.annotations.count("runbook_url"), 0u);  // the link is for people: shown, not a label
  EXPECT_NE(a.text.find("Runbook"), std::string::npos);
}

}  // namespace
}  // namespace vigil

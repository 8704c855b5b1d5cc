// End to end: `vigil serve` without Slack tokens is the sandbox. The real binary starts the
// emulator, prints the page's address, answers the page, and the whole demo flow works through the
// page's API: demo alert → triage in the thread → approval card → Approve → the demo kubectl
// restarts the deployment → verified → the demo Alertmanager resolves the alert.
#include <signal.h>

#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/store/store.h"
#include "tests/support/raw_http.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class Sandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "vigil.yaml", "skills:\n  dirs: [" + (test::shipped_skills_dir()).string() +
                                              "]\n"
                                              "storage:\n  database: " +
                                              (dir_ / "state" / "vigil.db").string() +
                                              "\n"
                                              "agent:\n  workspace_root: " +
                                              (dir_ / "no-such-dir").string() +
                                              "\n  grace: 1s\n"
                                              "logging:\n  level: debug\n");
    std::filesystem::create_directories(dir_ / "state");
    // No SLACK_* variables at all (start_vigil drops the test's own): plain `vigil serve` is the
    // sandbox, on the address VIGIL_SANDBOX_ADDR names (a free port here).
    pid_ = test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"}, {"VIGIL_SANDBOX_ADDR=127.0.0.1:0"},
                             log_path());
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(test::eventually([&] { return page_port() != 0; }, 20s)) << log();
    ASSERT_TRUE(test::eventually([&] { return get_state().value("connected", false); }, 20s)) << log();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      EXPECT_EQ(test::wait_exit(pid_, 20s), 0) << log();
    }
  }

  std::string log_path() const { return (dir_ / "vigil.log").string(); }
  std::string log() const { return test::read_file(log_path()); }
  unsigned short page_port() const {
    static const std::regex line(R"(Sandbox: open http://127\.0\.0\.1:(\d+))");
    std::smatch m;
    const auto text = log();
    return std::regex_search(text, m, line) ? static_cast<unsigned short>(std::stoi(m[1].str())) : 0;
  }
  json get_state() const {
    const auto r = test::raw_http(page_port(), test::http_request("GET", "/api/state"));
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }
  // The page's token, as the page's script reads it from the page.
  std::string page_token() const {
    static const std::regex meta(R"re(<meta name="vigil-sandbox-token" content="([0-9a-f]{32})">)re");
    const auto page = test::raw_http(page_port(), test::http_request("GET", "/"));
    std::smatch m;
    return std::regex_search(page.body, m, meta) ? m[1].str() : std::string();
  }
  json post(const std::string& path, const json& body) const {
    const auto r = test::raw_http(
        page_port(), test::http_request("POST", path,
                                        {{"Content-Type", "application/json"}, {"X-Vigil-Sandbox-Token", page_token()}},
                                        body.dump()));
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  // Every message's text and blocks, as one string to search.
  std::string everything() const {
    std::string out;
    const auto st = get_state();
    for (const auto& m : st["messages"]) {
      out += m.dump() + "\n";
    }
    return out;
  }
  // The approval card's message and its Approve button's block.
  std::optional<std::pair<std::string, std::string>> approval_card() const {
    const auto st = get_state();
    for (const auto& m : st["messages"]) {
      for (const auto& b : m.value("blocks", json::array())) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "approval.approve") {
            return std::make_pair(m["ts"].get<std::string>(), b["block_id"].get<std::string>());
          }
        }
      }
    }
    return std::nullopt;
  }
  std::optional<RunRecord> only_run() const {
    auto store = Store::open((dir_ / "state" / "vigil.db").string());
    if (!store) {
      return std::nullopt;
    }
    const auto runs = (*store)->list_runs(10);
    return runs.size() == 1 ? std::optional<RunRecord>(runs[0]) : std::nullopt;
  }

  test::TempDir dir_;
  pid_t pid_ = -1;
};

TEST_F(Sandbox, ServeWithoutTokensPrintsTheAddressAndServesThePage) {
  EXPECT_NE(log().find("Sandbox: open http://127.0.0.1:"), std::string::npos);
  const auto page = test::raw_http(page_port(), test::http_request("GET", "/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Vigil sandbox"), std::string::npos);
  const auto st = get_state();
  std::vector<std::string> channels;
  for (const auto& c : st["channels"]) {
    channels.push_back(c["name"]);
  }
  EXPECT_NE(std::find(channels.begin(), channels.end(), "incidents"), channels.end());
  EXPECT_NE(st["banner"].get<std::string>().find("DEMO cluster"), std::string::npos);
  EXPECT_EQ(st["actions"][0]["label"], "Fire a demo alert");
  // The demo cluster is written next to the database.
  EXPECT_TRUE(std::filesystem::exists(dir_ / "state" / "vigil-sandbox" / "demo-cluster" / "kubectl"));
  // Usage help answers a slash command typed on the page.
  post("/api/command", {{"user", "U0DEMOALEX"}, {"channel", "C222"}, {"command", "/triage"}, {"text", "help"}});
  ASSERT_TRUE(test::eventually([&] { return get_state()["ephemerals"].dump().find("/triage") != std::string::npos; }))
      << get_state()["ephemerals"].dump() << log();
}

// A post without the page's token (what another web page could send) changes nothing.
TEST_F(Sandbox, APostWithoutThePageTokenIsRefused) {
  const auto r = test::raw_http(
      page_port(),
      test::http_request("POST", "/api/run/demo-alert",
                         {{"Content-Type", "application/json"}, {"Origin", "https://evil.example"}}, "{}"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("another origin"), std::string::npos) << r.body;
  const auto tokenless = test::raw_http(
      page_port(), test::http_request("POST", "/api/run/demo-alert", {{"Content-Type", "application/json"}}, "{}"));
  EXPECT_EQ(tokenless.status, 403) << tokenless.body;
  EXPECT_NE(tokenless.body.find("page token"), std::string::npos) << tokenless.body;
  EXPECT_EQ(get_state()["messages"].dump().find("KubePodCrashLooping"), std::string::npos) << "no alert was posted";
}

TEST_F(Sandbox, TheDemoAlertFlowEndsResolved) {
  const auto fired = post("/api/run/demo-alert", json::object());
  EXPECT_NE(fired.value("note", "").find("KubePodCrashLooping"), std::string::npos);
  std::optional<std::pair<std::string, std::string>> card;
  ASSERT_TRUE(test::eventually([&] { return (card = approval_card()).has_value(); }, 60s)) << everything() << log();
  // The matching runbook, the diagnostics run against the demo cluster, the card with its dry run.
  const auto findings = everything();
  EXPECT_NE(findings.find("runbook: Pod crash-looping"), std::string::npos) << findings;
  EXPECT_NE(findings.find("previous_logs: succeeded"), std::string::npos) << findings;
  EXPECT_NE(findings.find("deployment.apps/checkout patched (server dry run)"), std::string::npos) << findings;
  const auto run = only_run();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::AwaitingApproval);

  // jordan is not an approver: refused, privately.
  post("/api/action", {{"user", "U0DEMOJORDAN"},
                       {"channel", "C222"},
                       {"message_ts", card->first},
                       {"block_id", card->second},
                       {"action_id", "approval.approve"}});
  ASSERT_TRUE(test::eventually([&] {
    return get_state()["ephemerals"].dump().find("not an approver") != std::string::npos;
  })) << get_state()["ephemerals"].dump();
  post("/api/action", {{"user", "U0DEMOALEX"},
                       {"channel", "C222"},
                       {"message_ts", card->first},
                       {"block_id", card->second},
                       {"action_id", "approval.approve"}});
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto r = only_run();
        return r && r->state == RunState::Succeeded;
      },
      60s))
      << everything() << log();
  ASSERT_TRUE(
      test::eventually([&] { return everything().find("[RESOLVED] KubePodCrashLooping") != std::string::npos; }, 30s))
      << everything();
  ASSERT_TRUE(test::eventually([&] { return everything().find("incident marked resolved") != std::string::npos; }, 30s))
      << everything();
  const auto after = everything();
  EXPECT_NE(after.find("Approved* by <@U0DEMOALEX>"), std::string::npos) << after;
  EXPECT_NE(after.find("corrupt flag cache"), std::string::npos) << "the diagnostics' output" << after;
  EXPECT_NE(after.find("restart_deployment: succeeded (exit 0)"), std::string::npos) << after;
  EXPECT_NE(after.find("deployment.apps/checkout restarted\\n"), std::string::npos) << "not only the dry run" << after;
  EXPECT_NE(after.find("successfully rolled out"), std::string::npos) << after;
  EXPECT_EQ(test::read_file(dir_ / "state" / "vigil-sandbox" / "demo-cluster" / "state" / "checkout"), "healthy\n");
}

// The examples the sandbox page and the README's quick start show: every command as a person would
// type it on the page. None may answer "no runbook matches" or an error; the README's own
// `@vigil investigate checkout errors` finds a runbook and fills its parameters from the demo
// cluster's names (namespace demo, deployment checkout: read-only kubectl).
std::vector<std::string> shown_examples() {
  const auto root = test::test_data_dir().parent_path();
  std::vector<std::string> out;
  const auto collect = [&](const std::string& text, const std::regex& code) {
    for (std::sregex_iterator it(text.begin(), text.end(), code), end; it != end; ++it) {
      const auto example = (*it)[1].str();
      if ((example.starts_with("/") || example.starts_with("@vigil ")) &&
          std::find(out.begin(), out.end(), example) == out.end()) {
        out.push_back(example);
      }
    }
  };
  const auto page = test::read_file(root / "bot" / "app" / "sandbox_assets" / "index.html");
  collect(page, std::regex("<code>([^<]+)</code>"));
  const auto readme = test::read_file(root / "README.md");
  const auto from = readme.find("The composer takes messages");
  const auto to = readme.find("in the\nchannel or in a thread", from);
  EXPECT_NE(from, std::string::npos);
  collect(readme.substr(from, to == std::string::npos ? 600 : to - from), std::regex("`([^`]+)`"));
  return out;
}

TEST_F(Sandbox, EveryExampleShownWorks) {
  const auto examples = shown_examples();
  ASSERT_GE(examples.size(), 4u);
  for (const auto& example : examples) {
    SCOPED_TRACE(example);
    if (example.starts_with("@vigil ")) {
      post("/api/message", {{"user", "U0DEMOALEX"}, {"channel", "C222"}, {"text", example}});
    } else {
      const auto space = example.find(' ');
      post("/api/command", {{"user", "U0DEMOALEX"},
                            {"channel", "C222"},
                            {"command", example.substr(0, space)},
                            {"text", space == std::string::npos ? "" : example.substr(space + 1)}});
    }
  }
  // Each slash command answered privately; the mention found a runbook with its parameters filled.
  ASSERT_TRUE(test::eventually([&] { return approval_card().has_value(); }, 60s)) << everything() << log();
  const auto all = everything() + get_state()["ephemerals"].dump();
  EXPECT_NE(all.find("runbook: HTTP 5xx or latency spike (words: errors)"), std::string::npos) << all;
  EXPECT_NE(all.find("deployment.apps/checkout patched (server dry run)"), std::string::npos) << all;
  EXPECT_EQ(all.find("o runbook matches"), std::string::npos) << all;
  const auto answers = get_state()["ephemerals"].dump();
  EXPECT_GE(get_state()["ephemerals"].size(), examples.size() - 1) << answers;
  for (const char* wrong : {":warning:", "There is no", "needs a run id", "is not key=value", "Could not"}) {
    EXPECT_EQ(answers.find(wrong), std::string::npos) << wrong << " in " << answers;
  }
  auto store = Store::open((dir_ / "state" / "vigil.db").string());
  ASSERT_TRUE(store);
  std::map<std::string, RunRecord> by_skill;
  for (const auto& r : (*store)->list_runs(10)) {
    by_skill[r.skill] = r;
  }
  ASSERT_TRUE(by_skill.count("http-5xx-spike")) << all;
  // The crash-loop example names three pods' common start: the namespace is filled, the pods listed.
  ASSERT_TRUE(by_skill.count("pod-crashloop")) << all;
  EXPECT_TRUE(test::eventually([&] { return everything().find("pod-crashloop needs pod") != std::string::npos; }, 20s))
      << everything();
  EXPECT_TRUE(test::eventually([&] { return everything().find("could be any of") != std::string::npos; }, 20s))
      << everything();
  EXPECT_NE(everything().find("checkout-7d9f8b6c5-x2x9k"), std::string::npos) << everything();
}

// What a person sees in the thread, in order: each diagnostic step's output and the diagnosis,
// then the approval card, which says why it proposes its fix.
TEST_F(Sandbox, EvidenceAndTheDiagnosisComeBeforeTheCard) {
  post("/api/run/demo-alert", json::object());
  std::optional<std::pair<std::string, std::string>> card;
  ASSERT_TRUE(test::eventually([&] { return (card = approval_card()).has_value(); }, 60s)) << everything() << log();
  const auto messages = get_state()["messages"];
  std::optional<std::size_t> describe, logs, diagnosis, card_at;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto text = messages[i].dump();
    if (!describe && text.find("describe_pod: succeeded (exit 0)") != std::string::npos &&
        text.find("Controlled By:") != std::string::npos) {
      describe = i;
    }
    if (!logs && text.find("previous_logs: succeeded (exit 0)") != std::string::npos &&
        text.find("refusing to start with a corrupt flag cache") != std::string::npos) {
      logs = i;
    }
    if (!diagnosis && text.find("Diagnosis: the container exits 1 (Error)") != std::string::npos &&
        text.find("approval.approve") == std::string::npos) {
      diagnosis = i;
    }
    if (messages[i].value("ts", "") == card->first) {
      card_at = i;
    }
  }
  const auto all = everything();
  ASSERT_TRUE(describe && logs && diagnosis && card_at) << all;
  EXPECT_LT(*describe, *card_at) << all;
  EXPECT_LT(*logs, *card_at) << all;
  EXPECT_LT(*diagnosis, *card_at) << all;
  // The pod's description is not posted again after the run (it was shown as it finished).
  const auto card_text = messages[*card_at].dump();
  EXPECT_NE(card_text.find("Why this fix"), std::string::npos) << card_text;
  EXPECT_NE(card_text.find("the container exits 1 (Error); its last log line:"), std::string::npos) << card_text;
  EXPECT_NE(card_text.find("Exit Code:    1"), std::string::npos) << "the evidence line" << card_text;
  EXPECT_NE(card_text.find("latest rollout: revision 5 (image checkout:2.14.1), after revision 4"), std::string::npos)
      << card_text;
  EXPECT_NE(card_text.find("vigil runs show"), std::string::npos) << card_text;
  // The run's root message leads with the diagnosis.
  const auto run = only_run();
  ASSERT_TRUE(run);
  bool root_has_it = false;
  for (const auto& m : messages) {
    const auto text = m.dump();
    root_has_it = root_has_it || (text.find("Triage run " + run->id.substr(0, 8)) != std::string::npos &&
                                  text.find("*Diagnosis:* the container exits 1 (Error)") != std::string::npos);
  }
  EXPECT_TRUE(root_has_it) << all;

  post("/api/action", {{"user", "U0DEMOALEX"},
                       {"channel", "C222"},
                       {"message_ts", card->first},
                       {"block_id", card->second},
                       {"action_id", "approval.approve"}});
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto r = only_run();
        return r && r->state == RunState::Succeeded;
      },
      60s))
      << everything() << log();
  // The summary leads with the diagnosis, then the other findings.
  ASSERT_TRUE(test::eventually(
      [&] {
        return everything().find("*Also found:* latest rollout: revision 5 (image checkout:2.14.1)") !=
               std::string::npos;
      },
      30s))
      << everything();
  // Counted on a state that was read whole (the page's state can be large once files are shared).
  std::size_t describes = 0;
  EXPECT_TRUE(test::eventually(
      [&] {
        const auto st = get_state();
        if (!st.contains("messages") || st["messages"].empty()) {
          return false;
        }
        describes = 0;
        for (const auto& m : st["messages"]) {
          describes += m.dump().find("Controlled By:") != std::string::npos;
        }
        return true;
      },
      10s));
  EXPECT_EQ(describes, 1u) << "the description once, before the card" << everything();
}

// `vigil serve --sandbox` with a configuration whose database the sandbox did not create (a
// production vigil.db) refuses to start: exit 1, why on stderr, the database untouched.
TEST(SandboxDatabase, ServeRefusesADatabaseTheSandboxDidNotCreate) {
  test::TempDir dir;
  const auto db = dir.path() / "vigil.db";
  {
    auto store = Store::open(db.string());
    ASSERT_TRUE(store);
  }
  const auto size_before = std::filesystem::file_size(db);
  test::write_file(dir.path() / "vigil.yaml", "skills:\n  dirs: [" + test::shipped_skills_dir().string() +
                                                  "]\nstorage:\n  database: " + db.string() + "\n");
  const auto log = (dir.path() / "vigil.log").string();
  const pid_t pid = test::start_vigil({"--config", (dir.path() / "vigil.yaml").string(), "serve", "--sandbox"},
                                      {"VIGIL_SANDBOX_ADDR=127.0.0.1:0"}, log);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(test::wait_exit(pid, 20s), 1) << test::read_file(log);
  const auto err = test::read_file(log);
  EXPECT_NE(err.find("vigil: sandbox: refusing to run the sandbox on " + db.string() +
                     ": the sandbox did not create this database"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("Sandbox: open"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "vigil-sandbox")) << "nothing was written beside it";
  EXPECT_EQ(std::filesystem::file_size(db), size_before);
}

// A database the sandbox created is its own the next time: a restarted sandbox starts on it.
TEST(SandboxDatabase, ServeReusesTheDatabaseItCreated) {
  test::TempDir dir;
  const auto db = dir.path() / "state" / "vigil.db";
  test::write_file(dir.path() / "vigil.yaml", "skills:\n  dirs: [" + test::shipped_skills_dir().string() +
                                                  "]\nstorage:\n  database: " + db.string() + "\n");
  for (int start = 0; start < 2; ++start) {
    const auto log = (dir.path() / ("vigil-" + std::to_string(start) + ".log")).string();
    const pid_t pid = test::start_vigil({"--config", (dir.path() / "vigil.yaml").string(), "serve", "--sandbox"},
                                        {"VIGIL_SANDBOX_ADDR=127.0.0.1:0"}, log);
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(test::eventually(
        [&] { return test::read_file(log).find("Sandbox: open http://127.0.0.1:") != std::string::npos; }, 20s))
        << "start " << start << ": " << test::read_file(log);
    ::kill(pid, SIGTERM);
    EXPECT_EQ(test::wait_exit(pid, 20s), 0) << test::read_file(log);
  }
  EXPECT_EQ(std::filesystem::status(db).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace
}  // namespace vigil

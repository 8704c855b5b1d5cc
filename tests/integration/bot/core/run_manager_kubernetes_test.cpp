// An agent run whose turn is a Pod (agent.isolation: kubernetes): the run manager, the real store and
// the KubernetesAgentRunner against a fake Kubernetes API on loopback. The summary the Pod handed
// back through its log is what the run reports.
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "bot/base/metrics.h"
#include "bot/core/run_manager.h"
#include "bot/store/store.h"
#include "bot/store/store_step_journal.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/kubernetes/agent_pod_frames.h"
#include "integrations/kubernetes/kubernetes_agent_runner.h"
#include "integrations/process/child_process.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_kube_api.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

class NoGate final : public skills::ApprovalGate {
 public:
  Task<skills::GateDecision> request(skills::GateRequest r) override {
    skills::GateDecision denied{skills::GateOutcome::Denied, r.argv_hash, "U_NOBODY", "not in this test"};
    co_return denied;
  }
};

struct Finished final : RunObserver {
  void on_progress(const RunRecord&, const ProgressEvent& e) override { events.push_back(e); }
  std::vector<ProgressEvent> events;
};

std::vector<std::string> pod_log() {
  std::string log = R"({"type":"system","subtype":"init","session_id":"sess-pod"})"
                    "\n";
  log +=
      R"({"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"kubectl describe pod api-0 -n prod"}}]}})"
      "\n";
  std::string tail = R"({"type":"result","subtype":"success","result":"done","session_id":"sess-pod"})"
                     "\n";
  for (const auto& line : kubernetes::output_frames("summary.md", "api-0 is OOMKilled: raise its memory limit.\n")) {
    tail += line + "\n";
  }
  tail += kubernetes::exit_frame(0) + "\n";
  return {log, tail};
}

TEST(RunManagerKubernetes, AnAgentRunThroughAPodPostsTheSummaryItHandedBack) {
  test::TempDir dir;
  test::write_file(dir / "token", "vigil-sa-token");
  test::FakeKubeApi api_server("vigil-agents", "vigil-sa-token");
  api_server.set_script({pod_log(), 0, false, false});
  api_server.start();

  boost::asio::io_context io;
  test::FakeClock clock;
  auto log = null_logger();
  auto store = Store::open((dir / "vigil.db").string());
  ASSERT_TRUE(store);
  StoreStepJournal journal(**store, clock);
  skills::SkillCatalog catalog{false};
  process::ChildProcess processes(clock, log);
  NoGate gate;
  Redactor redactor;
  KnowledgeBase knowledge;
  auto http = http::make_beast_http_client(io.get_executor(), {}, log);
  kubernetes::KubeApi api(*http, {api_server.url(), (dir / "token").string(), ""});

  skills::ExecutorOptions eo;
  eo.workspace_root = (dir / "ws").string();
  RunManagerOptions o;
  o.default_backend = "claude-code";
  o.workspace_root = (dir / "ws").string();
  o.agent.timeout = std::chrono::minutes(5);
  o.agent.environment = {{"SLACK_BOT_TOKEN", "must-not-leak"}};
  kubernetes::KubernetesRunnerOptions ko;
  ko.job.image = "registry.example/vigil-agent:1";
  int runners_made = 0;
  o.agent_runner = [&](const agents::AgentCliOptions& cli) -> std::unique_ptr<agents::AgentRunner> {
    ++runners_made;
    return std::make_unique<kubernetes::KubernetesAgentRunner>(api, clock, ko, cli, log);
  };
  std::filesystem::create_directories(dir / "ws");
  RunManager manager(io.get_executor(), **store, journal, catalog, processes, gate, clock, redactor, knowledge, eo, o,
                     log);
  Finished seen;
  manager.add_observer(&seen);

  RunTrigger trigger;
  trigger.kind = "slash_command";
  trigger.requester = "U_REQ";
  trigger.text = "api is down";
  trigger.channel = "C1";
  trigger.incident.title = "api is down";
  auto started = manager.start(trigger);
  ASSERT_TRUE(started) << started.error().message();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!manager.idle() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(20));
    if (clock.sleepers() > 0) {
      clock.advance(std::chrono::seconds(2));
    }
  }
  ASSERT_TRUE(manager.idle());
  const auto run = (*store)->get_run(started->run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::Succeeded) << run->error;
  EXPECT_EQ(run->summary, "api-0 is OOMKilled: raise its memory limit.\n");
  EXPECT_EQ(runners_made, 1);
  // What people saw, in order: the tool call from the Pod's stream, then the finish with the summary.
  std::vector<std::string> seen_text;
  for (const auto& e : seen.events) {
    if (e.kind == ProgressKind::ToolCall || e.kind == ProgressKind::Finished) {
      seen_text.push_back(std::string(to_string(e.kind)) + ": " + e.text + " | " + e.detail);
    }
  }
  ASSERT_EQ(seen_text.size(), 2u);
  EXPECT_NE(seen_text[0].find("kubectl describe pod api-0 -n prod"), std::string::npos) << seen_text[0];
  EXPECT_NE(seen_text[1].find("OOMKilled: raise its memory limit"), std::string::npos) << seen_text[1];
  // One Job, and nothing of Vigil's environment in it.
  ASSERT_EQ(api_server.jobs().size(), 1u);
  EXPECT_EQ(api_server.jobs()[0].dump().find("must-not-leak"), std::string::npos);
}

}  // namespace
}  // namespace vigil

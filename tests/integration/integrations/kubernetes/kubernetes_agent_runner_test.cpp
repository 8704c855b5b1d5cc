// KubernetesAgentRunner against a fake Kubernetes API on loopback: what it creates (the Job, the
// context ConfigMap, none of Vigil's secrets), the stream it reads back from the Pod's log, the
// outputs framed at the end of that log, cancel and the Job's deadline.
#include "integrations/kubernetes/kubernetes_agent_runner.h"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/kubernetes/agent_pod_frames.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_kube_api.h"
#include "tests/support/test_paths.h"

namespace vigil::kubernetes {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kRunId = "4f1c2a9e-8d7b-4c3a-9e2f-1a2b3c4d5e6f";

std::string agent_log_with_outputs(int exit_code) {
  std::string log =
      R"({"type":"system","subtype":"init","session_id":"sess-k8s"})"
      "\n"
      R"({"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"kubectl get pods -n prod"}}]}})"
      "\n";
  std::string tail = std::string(kStderrFrame) + "npm warn: deprecated\n";
  tail += R"({"type":"result","subtype":"success","result":"api pods are OOMKilled","session_id":"sess-k8s",)"
          R"("usage":{"input_tokens":1200,"output_tokens":80},"total_cost_usd":0.0125})"
          "\n";
  for (const auto& line : output_frames("summary.md", "The api pods are OOMKilled.\n")) {
    tail += line + "\n";
  }
  for (const auto& line : output_frames("proposals.json", "[]")) {
    tail += line + "\n";
  }
  tail += exit_frame(exit_code) + "\n";
  return log + "\x1e" + tail;  // split marker for the test: two chunks
}

std::vector<std::string> two_chunks(const std::string& log) {
  const auto split = log.find('\x1e');
  return {log.substr(0, split), log.substr(split + 1)};
}

class KubernetesAgentRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "token", "agent-runner-token\n");
    api_server_.start();
    http_ = http::make_beast_http_client(io_.get_executor(), {}, null_logger());
    KubeApiOptions o{api_server_.url(), (dir_ / "token").string(), ""};
    api_ = std::make_unique<KubeApi>(*http_, o);
    agents::WorkspaceInputs inputs;
    inputs.incident = {{"title", "api is down"}};
    inputs.prompt = "Investigate the incident.";
    inputs.system_instructions = "read-only";
    auto ws = agents::Workspace::create(dir_ / "ws", kRunId, inputs, redactor_);
    ASSERT_TRUE(ws) << ws.error().message();
    workspace_.emplace(*ws);
  }

  KubernetesAgentRunner runner(const std::string& backend = "claude-code") {
    KubernetesRunnerOptions o;
    o.job.namespace_name = "vigil-agents";
    o.job.image = "registry.example/vigil-agent:1";
    o.poll = std::chrono::seconds(2);
    agents::AgentCliOptions cli;
    cli.backend = backend;
    cli.timeout = std::chrono::minutes(10);
    cli.environment = {{"SLACK_BOT_TOKEN", "must-not-leak"}};
    return KubernetesAgentRunner(*api_, clock_, o, cli, null_logger());
  }

  /// Runs the io_context, moving fake time on by the poll interval whenever the runner waits.
  template <class Pred>
  bool run_until(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      if (io_.stopped()) {
        io_.restart();
      }
      io_.run_one_for(std::chrono::milliseconds(20));
      if (clock_.sleepers() > 0) {
        clock_.advance(std::chrono::seconds(2));
      }
    }
    return true;
  }

  test::TempDir dir_;
  boost::asio::io_context io_;
  test::FakeClock clock_;
  test::FakeKubeApi api_server_{"vigil-agents", "agent-runner-token"};
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<KubeApi> api_;
  Redactor redactor_;
  std::optional<agents::Workspace> workspace_;
  std::vector<agents::AgentEvent> events_;
};

TEST_F(KubernetesAgentRunnerTest, ATurnIsAJobWhoseLogIsTheStreamAndWhoseOutputsLandInTheWorkspace) {
  api_server_.set_script({two_chunks(agent_log_with_outputs(0)), 0, false, false});
  auto r = runner();
  std::optional<Result<agents::AgentTurnResult>> result;
  boost::asio::co_spawn(
      io_,
      [&]() -> Task<void> {
        agents::AgentRunner::EventSink sink = [this](const agents::AgentEvent& e) { events_.push_back(e); };
        agents::AgentTurn turn{kRunId, "", ""};
        result = co_await r.run_turn(*workspace_, turn, sink);
      },
      boost::asio::detached);
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  ASSERT_TRUE(*result) << result->error().message();
  EXPECT_EQ((*result)->status, agents::AgentTurnResult::Status::Succeeded) << (*result)->error;
  EXPECT_EQ((*result)->exit_code, 0);
  EXPECT_EQ((*result)->session_id, "sess-k8s");
  // Tokens and cost from the CLI's stream in the Pod's log, for the run's accounting.
  EXPECT_EQ((*result)->usage.input_tokens, 1200);
  EXPECT_EQ((*result)->usage.output_tokens, 80);
  EXPECT_EQ((*result)->usage.cost_usd, 0.0125);

  // The Job: in the agents namespace, its own ServiceAccount, the run timeout as its deadline.
  const auto jobs = api_server_.jobs();
  ASSERT_EQ(jobs.size(), 1u);
  const auto& job = jobs[0];
  const auto name = job["metadata"]["name"].get<std::string>();
  EXPECT_EQ(name.rfind(std::string("vigil-agent-") + kRunId, 0), 0u);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 600);
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  const auto& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"], "vigil-agent");
  EXPECT_EQ(pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"], true);
  // Nothing of Vigil's in what was sent: no Slack token, no kubeconfig, no other Secret.
  const auto sent = job.dump();
  EXPECT_EQ(sent.find("must-not-leak"), std::string::npos);
  EXPECT_EQ(sent.find("SLACK"), std::string::npos);
  EXPECT_EQ(sent.find("kubeconfig"), std::string::npos);
  EXPECT_EQ(sent.find("envFrom"), std::string::npos);

  // The context went in as a ConfigMap owned by the Job: the prompt and the incident.
  const auto maps = api_server_.config_maps();
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0]["metadata"]["ownerReferences"][0]["uid"], "uid-" + name);
  const auto manifest = json::parse(maps[0]["data"]["manifest.json"].get<std::string>());
  std::vector<std::string> paths;
  for (const auto& [key, path] : manifest.items()) {
    paths.push_back(path);
    if (path == "PROMPT.md") {
      EXPECT_NE(maps[0]["data"][key].get<std::string>().find("Investigate the incident."), std::string::npos);
    }
  }
  EXPECT_NE(std::find(paths.begin(), paths.end(), "PROMPT.md"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "context/incident.json"), paths.end());

  // Every request carried Vigil's token for the API.
  for (const auto& req : api_server_.requests()) {
    EXPECT_EQ(req.authorization, "Bearer agent-runner-token") << req.target;
  }
  // The stream came back as events, in order; the framed lines and the marked stderr did not.
  ASSERT_GE(events_.size(), 3u);
  EXPECT_EQ(events_[0].kind, agents::AgentEvent::Kind::Session);
  EXPECT_EQ(events_[1].kind, agents::AgentEvent::Kind::ToolCall);
  EXPECT_NE(events_[1].text.find("kubectl get pods -n prod"), std::string::npos);
  EXPECT_EQ(events_.back().kind, agents::AgentEvent::Kind::Result);
  EXPECT_EQ((*result)->malformed_lines, 0);
  // The outputs are in the workspace, as a local agent would have left them.
  const auto collected = workspace_->collect();
  EXPECT_EQ(collected.summary, "The api pods are OOMKilled.\n");
  EXPECT_TRUE(collected.proposal_errors.empty());
  EXPECT_NE(test::read_file(workspace_->log_path()).find("npm warn: deprecated"), std::string::npos);
  // A finished Job is left to its ttlSecondsAfterFinished, not deleted.
  EXPECT_TRUE(api_server_.deleted().empty());
}

TEST_F(KubernetesAgentRunnerTest, CancelDeletesTheJobInTheBackground) {
  api_server_.set_script({{R"({"type":"system","subtype":"init","session_id":"s"})"
                           "\n"},
                          0,
                          true,
                          false});
  auto r = runner();
  boost::asio::cancellation_signal cancel;
  std::optional<Result<agents::AgentTurnResult>> result;
  boost::asio::co_spawn(
      io_,
      [&]() -> Task<void> {
        agents::AgentRunner::EventSink sink = [this](const agents::AgentEvent& e) { events_.push_back(e); };
        agents::AgentTurn turn{kRunId, "", ""};
        result = co_await r.run_turn(*workspace_, turn, sink);
      },
      boost::asio::bind_cancellation_slot(cancel.slot(), boost::asio::detached));
  ASSERT_TRUE(run_until([&] { return !events_.empty(); }));
  EXPECT_TRUE(api_server_.deleted().empty());
  cancel.emit(boost::asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  ASSERT_TRUE(*result) << result->error().message();
  EXPECT_EQ((*result)->status, agents::AgentTurnResult::Status::Cancelled);
  const auto deleted = api_server_.deleted();
  ASSERT_EQ(deleted.size(), 1u);
  const auto name = api_server_.jobs()[0]["metadata"]["name"].get<std::string>();
  EXPECT_EQ(deleted[0], "/apis/batch/v1/namespaces/vigil-agents/jobs/" + name + "?propagationPolicy=Background");
  const auto body = json::parse(api_server_.requests("DELETE")[0].body);
  EXPECT_EQ(body["propagationPolicy"], "Background");
}

TEST_F(KubernetesAgentRunnerTest, TheJobsDeadlineEndsTheTurnAsTimedOut) {
  api_server_.set_script({{R"({"type":"system","subtype":"init","session_id":"s"})"
                           "\n"},
                          0,
                          false,
                          true});
  auto r = runner();
  std::optional<Result<agents::AgentTurnResult>> result;
  boost::asio::co_spawn(
      io_,
      [&]() -> Task<void> {
        agents::AgentRunner::EventSink sink = [](const agents::AgentEvent&) {};
        agents::AgentTurn turn{kRunId, "", ""};
        result = co_await r.run_turn(*workspace_, turn, sink);
      },
      boost::asio::detached);
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  ASSERT_TRUE(*result) << result->error().message();
  EXPECT_EQ((*result)->status, agents::AgentTurnResult::Status::TimedOut);
  EXPECT_EQ((*result)->error, "timed out after 600s");
}

TEST_F(KubernetesAgentRunnerTest, AnApiThatRefusesVigilsTokenFailsTheTurnWithTheReason) {
  test::write_file(dir_ / "token", "wrong-token\n");
  auto r = runner();
  std::optional<Result<agents::AgentTurnResult>> result;
  boost::asio::co_spawn(
      io_,
      [&]() -> Task<void> {
        agents::AgentRunner::EventSink sink = [](const agents::AgentEvent&) {};
        agents::AgentTurn turn{kRunId, "", ""};
        result = co_await r.run_turn(*workspace_, turn, sink);
      },
      boost::asio::detached);
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  ASSERT_FALSE(*result);
  EXPECT_TRUE(result->error().is(Errc::Forbidden)) << result->error().message();
  EXPECT_NE(result->error().detail.find("HTTP 401"), std::string::npos);
  EXPECT_TRUE(api_server_.jobs().empty());
}

}  // namespace
}  // namespace vigil::kubernetes

// The run manager with real child processes (fake agent CLIs under tests/support/agents), a real
// SQLite file and the real step executor.
#include "bot/core/run_manager.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "bot/base/logging.h"
#include "bot/base/metrics.h"
#include "bot/store/store.h"
#include "bot/store/store_step_journal.h"
#include "integrations/process/child_process.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

class ApproveAllGate final : public skills::ApprovalGate {
 public:
  Task<skills::GateDecision> request(skills::GateRequest r) override {
    requests.push_back(r);
    skills::GateDecision approved{skills::GateOutcome::Approved, r.argv_hash, "U_APPROVER", ""};
    co_return approved;
  }
  std::vector<skills::GateRequest> requests;
};

struct Recorder final : RunObserver {
  void on_progress(const RunRecord& run, const ProgressEvent& e) override {
    events.push_back(e);
    if (e.kind == ProgressKind::Started) {
      ++alive;
      max_alive = std::max(max_alive, alive);
      started_order.push_back(run.id);
    }
    // A run waiting for a person holds no slot: count only runs doing work.
    if (e.kind == ProgressKind::WaitingForApproval) {
      --alive;
    }
    if (e.kind == ProgressKind::Decision) {
      ++alive;
      max_alive = std::max(max_alive, alive);
    }
    if (e.kind == ProgressKind::Finished) {
      --alive;
      finished[run.id] = e.state;
    }
  }
  int count(ProgressKind k) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.kind == k; }));
  }
  std::string all_text() const {
    std::string out;
    for (const auto& e : events) {
      out += std::string(to_string(e.kind)) + ": " + e.text + "\n" + e.detail + "\n";
    }
    return out;
  }
  std::vector<ProgressEvent> events;
  std::map<std::string, RunState> finished;
  std::vector<std::string> started_order;
  int alive = 0;
  int max_alive = 0;
};

class RunManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open((dir_ / "vigil.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    const auto load = catalog_.load_dirs({(test::test_data_dir() / "fixtures" / "skills_runmanager").string()});
    ASSERT_EQ(catalog_.size(), 2u);
    fs::create_directories(dir_ / "ws");
  }

  std::unique_ptr<RunManager> make_manager(const std::string& mode, int max_concurrent = 4,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(20),
                                           std::chrono::milliseconds grace = std::chrono::milliseconds(300)) {
    skills::ExecutorOptions eo;
    eo.env_allowlist = {"PATH"};
    eo.environment = {{"PATH", "/usr/bin:/bin"}};
    eo.workspace_root = (dir_ / "ws").string();
    eo.grace = grace;
    RunManagerOptions o;
    o.default_backend = "command";
    o.max_concurrent = max_concurrent;
    o.workspace_root = (dir_ / "ws").string();
    o.agent.command = {(test::test_data_dir() / "support" / "agents" / "fake_agent.sh").string()};
    o.agent.timeout = timeout;
    o.agent.grace = grace;
    o.agent.env_allowlist = {"PATH",
                             "FAKE_AGENT_MODE",
                             "FAKE_AGENT_FIXTURES",
                             "FAKE_AGENT_RECORD",
                             "FAKE_AGENT_PIDFILE",
                             "FAKE_AGENT_OUTSIDE"};
    o.agent.environment = {{"PATH", "/usr/bin:/bin"},
                           {"FAKE_AGENT_MODE", mode},
                           {"FAKE_AGENT_FIXTURES", (test::fixtures_dir() / "agents").string()},
                           {"FAKE_AGENT_RECORD", (dir_ / "record.txt").string()},
                           {"FAKE_AGENT_PIDFILE", (dir_ / "grandchild.pid").string()},
                           {"FAKE_AGENT_OUTSIDE", (dir_ / "outside").string()},
                           {"NOT_ALLOWED_SECRET", "must-not-leak"}};
    o.agent.read_only_kubeconfig = "/etc/vigil/readonly.kubeconfig";
    o.failure_threshold = 3;
    o.metrics = &metrics_;
    o.cluster = "test-cluster";
    o.kubernetes = kubernetes_;
    journal_ = std::make_unique<StoreStepJournal>(*store_, clock_);
    auto m = std::make_unique<RunManager>(io_.get_executor(), *store_, *journal_, catalog_, runner_, gate_, clock_,
                                          redactor_, knowledge_, eo, o, log_);
    m->add_observer(&recorder_);
    return m;
  }

  RunTrigger trigger(const std::string& text, const std::string& key = "") {
    RunTrigger t;
    t.kind = "slash_command";
    t.key = key;
    t.requester = "U_REQ";
    t.text = text;
    t.channel = "C1";
    t.incident.title = text;
    t.incident.labels = {{"deployment", "api"}, {"namespace", "prod"}};
    return t;
  }

  template <class Pred>
  bool run_until(Pred pred, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      if (io_.stopped()) {
        io_.restart();  // it ran out of work between two runs
      }
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  test::TempDir dir_;
  boost::asio::io_context io_;
  SystemClock clock_;
  Logger log_ = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreStepJournal> journal_;
  skills::SkillCatalog catalog_{false};
  process::ChildProcess runner_{clock_, log_};
  ApproveAllGate gate_;
  Redactor redactor_;
  KnowledgeBase knowledge_;
  Recorder recorder_;
  Metrics metrics_;
  KubernetesConfig kubernetes_;  // one cluster unless a test configures more
};

TEST_F(RunManagerTest, AgentRunStreamsProgressKeepsSummaryAndTurnsProposalsIntoGatedRuns) {
  auto m = make_manager("replay");
  auto started = m->start(trigger("api is down", "slack:cmd:1"));
  ASSERT_TRUE(started) << started.error().message();
  EXPECT_TRUE(started->created);
  ASSERT_TRUE(run_until([&] { return m->idle() && recorder_.finished.size() >= 2; }));
  const auto run = store_->get_run(started->run_id);
  EXPECT_EQ(run->state, RunState::Succeeded) << run->error;
  EXPECT_NE(run->summary.find("OOMKilled"), std::string::npos);
  EXPECT_GE(recorder_.count(ProgressKind::ToolCall), 1);
  EXPECT_NE(recorder_.all_text().find("Bash: ls -la"), std::string::npos);
  // The token the agent printed never reaches an observer.
  EXPECT_EQ(recorder_.all_text().find("1234567890-abcdefghij"), std::string::npos) << recorder_.all_text();
  // One valid proposal became a runbook run in the same thread; two were rejected with reasons.
  EXPECT_EQ(recorder_.count(ProgressKind::Proposal), 1);
  EXPECT_EQ(recorder_.count(ProgressKind::ProposalRejected), 2);
  EXPECT_NE(recorder_.all_text().find("unknown skill 'no-such-skill'"), std::string::npos);
  ASSERT_EQ(gate_.requests.size(), 1u);
  EXPECT_EQ(gate_.requests[0].argv, (std::vector<std::string>{"echo", "restarted", "api"}));
  const auto child = store_->find_run_by_trigger(started->run_id + ":proposal:1");
  ASSERT_TRUE(child);
  EXPECT_EQ(child->backend, "runbook");
  EXPECT_EQ(child->skill, "test-restart");
  EXPECT_EQ(child->state, RunState::Succeeded);
  // The agent ran in its workspace with the read-only environment and nothing else.
  const auto record = test::read_file(dir_ / "record.txt");
  EXPECT_NE(record.find("INCIDENT_ID=" + started->run_id), std::string::npos) << record;
  EXPECT_NE(record.find("VIGIL_READ_ONLY=true"), std::string::npos);
  EXPECT_NE(record.find("KUBECONFIG=/etc/vigil/readonly.kubeconfig"), std::string::npos);
  EXPECT_NE(record.find("SECRET=\n"), std::string::npos) << record;
  EXPECT_NE(record.find("cwd: " + fs::weakly_canonical(dir_ / "ws").string() + "/" + started->run_id),
            std::string::npos);
  // The timeline has every transition.
  std::vector<std::string> kinds;
  for (const auto& e : store_->list_events(started->run_id)) {
    kinds.push_back(e.kind);
  }
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "tool_call"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "agent_session"), kinds.end());
  EXPECT_EQ(kinds.back(), "finished");
}

TEST_F(RunManagerTest, RedeliveredTriggerFindsTheSameRun) {
  auto m = make_manager("replay");
  auto a = m->start(trigger("api is down", "slack:event:Ev1"));
  auto b = m->start(trigger("api is down", "slack:event:Ev1"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->run_id, b->run_id);
  EXPECT_FALSE(b->created);
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  EXPECT_EQ(store_->list_runs(100).size(), 2u);  // the run and its one proposal
}

TEST_F(RunManagerTest, NonZeroExitFailsWithTheCode) {
  auto m = make_manager("fail");
  auto r = m->start(trigger("x"));
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  const auto run = store_->get_run(r->run_id);
  EXPECT_EQ(run->state, RunState::Failed);
  EXPECT_EQ(run->result, RunResult::Failed);
  EXPECT_NE(run->error.find("exited with code 3"), std::string::npos) << run->error;
  EXPECT_NE(run->error.find("something broke"), std::string::npos);
}

TEST_F(RunManagerTest, AgentRunsAreCountedUnderTheAgentRuntimeNames) {
  auto m = make_manager("fail");
  const Metrics::Labels cluster{{"cluster", "test-cluster"}};
  EXPECT_EQ(metrics_.gauge("agent_runtime_active_agents", cluster), 0);
  ASSERT_TRUE(m->start(trigger("x")));
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  EXPECT_EQ(metrics_.counter("agent_runtime_invocations_total", {{"cluster", "test-cluster"}, {"status", "failed"}}),
            1);
  EXPECT_EQ(
      metrics_.counter("agent_runtime_errors_total", {{"cluster", "test-cluster"}, {"error_type", "agent_failed"}}), 1);
  EXPECT_EQ(
      metrics_.histogram("agent_runtime_duration_seconds", {{"cluster", "test-cluster"}, {"status", "failed"}}).count,
      1u);
  EXPECT_EQ(metrics_.gauge("agent_runtime_active_agents", cluster), 0);
  EXPECT_GT(metrics_.gauge("agent_runtime_workspace_size_bytes", cluster), 0);
  EXPECT_EQ(metrics_.counter("vigil_runs_finished_total",
                             {{"backend", "command"}, {"state", "failed"}, {"result", "failed"}}),
            1);
}

// The timeline rows of kind `kind` (whose text starts with `prefix`), in order.
std::vector<std::string> texts_of(Store& store, const std::string& run_id, const std::string& kind,
                                  const std::string& prefix = "") {
  std::vector<std::string> out;
  for (const auto& e : store.list_events(run_id)) {
    if (e.kind == kind && e.text.rfind(prefix, 0) == 0) {
      out.push_back(e.text);
    }
  }
  return out;
}

TEST_F(RunManagerTest, AnOverloadedApiIsRetriedOnceAndTheTimelineSaysSo) {
  auto m = make_manager("transient");
  auto r = m->start(trigger("api is down"));
  ASSERT_TRUE(run_until([&] { return m->idle() && recorder_.finished.count(r->run_id); }));
  const auto run = store_->get_run(r->run_id);
  EXPECT_EQ(run->state, RunState::Succeeded) << run->error;
  EXPECT_NE(run->summary.find("OOMKilled"), std::string::npos);
  EXPECT_EQ(texts_of(*store_, r->run_id, "agent_exit"),
            (std::vector<std::string>{"failed exit 1", "succeeded exit 0"}));
  const auto notes = texts_of(*store_, r->run_id, "note", "retried");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "retried once after a server error from the model's API (529 overloaded)");
  EXPECT_EQ(metrics_.counter("vigil_agent_retries_total", {{"backend", "command"}}), 1);
  EXPECT_EQ(metrics_.counter("vigil_agent_turns_total", {{"backend", "command"}, {"status", "failed"}}), 1);
  EXPECT_EQ(metrics_.counter("vigil_agent_turns_total", {{"backend", "command"}, {"status", "succeeded"}}), 1);
  // Accounting: both turns, the tokens and cost the second one reported (the first said 12 in).
  const auto usage = store_->agent_usage_for_run(r->run_id);
  EXPECT_EQ(usage.turns, 2);
  EXPECT_EQ(usage.input_tokens, 12 + 1200);
  EXPECT_EQ(usage.output_tokens, 0 + 300);
  ASSERT_TRUE(usage.cost_usd);
  EXPECT_DOUBLE_EQ(*usage.cost_usd, 0.25);
  EXPECT_EQ(metrics_.counter("vigil_agent_tokens_total", {{"backend", "command"}, {"direction", "input"}}), 1212);
  EXPECT_DOUBLE_EQ(metrics_.counter("vigil_agent_cost_dollars_total", {{"backend", "command"}}), 0.25);
  EXPECT_GT(metrics_.counter("vigil_agent_turn_seconds_total", {{"backend", "command"}}), 0);
}

TEST_F(RunManagerTest, ATransientFailureIsRetriedOnlyOnce) {
  auto m = make_manager("transient_twice");
  auto r = m->start(trigger("api is down"));
  ASSERT_TRUE(run_until([&] { return m->idle() && recorder_.finished.count(r->run_id); }));
  EXPECT_EQ(store_->get_run(r->run_id)->state, RunState::Failed);
  EXPECT_EQ(texts_of(*store_, r->run_id, "agent_exit").size(), 2u);
  EXPECT_EQ(texts_of(*store_, r->run_id, "note", "retried").size(), 1u);
}

TEST_F(RunManagerTest, NoRetryAfterAnAuthFailureOrWhenTheAgentLeftOutput) {
  for (const std::string mode : {"auth", "transient_with_output", "fail"}) {
    recorder_.finished.clear();
    auto m = make_manager(mode);
    auto r = m->start(trigger("api is down " + mode));
    ASSERT_TRUE(run_until([&] { return m->idle() && recorder_.finished.count(r->run_id); })) << mode;
    EXPECT_EQ(texts_of(*store_, r->run_id, "agent_exit"),
              (std::vector<std::string>{mode == "fail" ? "failed exit 3" : "failed exit 1"}))
        << mode;
    EXPECT_TRUE(texts_of(*store_, r->run_id, "note", "retried").empty()) << mode;
    EXPECT_EQ(store_->get_run(r->run_id)->state, RunState::Failed) << mode;
  }
  EXPECT_EQ(metrics_.counter("vigil_agent_retries_total", {{"backend", "command"}}), 0);
}

TEST_F(RunManagerTest, TimeoutStopsTheAgent) {
  auto m = make_manager("sleep", 4, std::chrono::milliseconds(400));
  auto r = m->start(trigger("x"));
  ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(10)));
  EXPECT_EQ(store_->get_run(r->run_id)->state, RunState::TimedOut);
}

TEST_F(RunManagerTest, AgentIgnoringSigintAndItsChildrenAreKilledAfterGrace) {
  auto m = make_manager("ignore_int", 4, std::chrono::milliseconds(400), std::chrono::milliseconds(300));
  auto r = m->start(trigger("x"));
  ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(10)));
  EXPECT_EQ(store_->get_run(r->run_id)->state, RunState::TimedOut);
  const auto pid = std::stoi(test::read_file(dir_ / "grandchild.pid"));
  ASSERT_TRUE(run_until([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(5)))
      << "grandchild " << pid << " survived";
}

TEST_F(RunManagerTest, CancelStopsARunningAgent) {
  auto m = make_manager("sleep");
  auto r = m->start(trigger("x"));
  ASSERT_TRUE(run_until([&] { return recorder_.count(ProgressKind::Started) == 1; }));
  ASSERT_TRUE(run_until([&] { return fs::exists(dir_ / "record.txt"); }));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(m->cancel(r->run_id, "U_CANCELLER"));
  ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(10)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  const auto run = store_->get_run(r->run_id);
  EXPECT_EQ(run->state, RunState::Cancelled);
  EXPECT_NE(run->error.find("U_CANCELLER"), std::string::npos);
  EXPECT_FALSE(m->cancel(r->run_id, "U_X"));  // already finished
}

TEST_F(RunManagerTest, SymlinksOutOfTheWorkspaceAreRefused) {
  fs::create_directories(dir_ / "outside");
  auto m = make_manager("symlink");
  auto r = m->start(trigger("x"));
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  const auto run = store_->get_run(r->run_id);
  EXPECT_EQ(run->state, RunState::Succeeded);
  EXPECT_EQ(run->summary.find("root:"), std::string::npos) << run->summary;
  // No usable output/summary.md: the answer of the CLI's result event is the summary.
  EXPECT_EQ(run->summary, "done");
  EXPECT_NE(recorder_.all_text().find("symlink"), std::string::npos) << recorder_.all_text();
}

TEST_F(RunManagerTest, FiftyMegabytesOfOutputAreCappedNotFatal) {
  auto m = make_manager("flood");
  auto r = m->start(trigger("x"));
  ASSERT_TRUE(run_until([&] { return m->idle() && recorder_.finished.size() >= 2; }, std::chrono::seconds(60)));
  EXPECT_EQ(store_->get_run(r->run_id)->state, RunState::Succeeded);
  const auto log = fs::weakly_canonical(dir_ / "ws") / r->run_id / "agent.log";
  EXPECT_GE(fs::file_size(log), 50u * 1024 * 1024);
}

TEST_F(RunManagerTest, MalformedLinesAreTolerated) {
  auto m = make_manager("malformed");
  auto r = m->start(trigger("x"));
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  EXPECT_EQ(store_->get_run(r->run_id)->state, RunState::Succeeded);
  EXPECT_NE(recorder_.all_text().find("still parsing"), std::string::npos);
}

TEST_F(RunManagerTest, ConcurrencyLimitAndQueueOrder) {
  auto m = make_manager("codex", 4);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto t = trigger("run " + std::to_string(i));
    auto r = m->start(t);
    ASSERT_TRUE(r);
    ids.push_back(r->run_id);
  }
  EXPECT_EQ(m->running_runs(), 4u);
  EXPECT_EQ(m->queue_depth(), 16u);
  ASSERT_TRUE(run_until([&] { return m->idle() && m->queue_depth() == 0; }, std::chrono::seconds(120)));
  EXPECT_LE(recorder_.max_alive, 4);
  // The first 20 starts are the agent runs, in the order they were asked for.
  std::vector<std::string> first(recorder_.started_order.begin(), recorder_.started_order.begin() + 20);
  EXPECT_EQ(first, ids);
  for (const auto& id : ids) {
    EXPECT_EQ(store_->get_run(id)->state, RunState::Succeeded);
  }
}

// The place in the queue each start is told stays right while runs leave the queue: by a cancel,
// and by a slot coming free.
TEST_F(RunManagerTest, EachStartIsToldItsPlaceInTheQueue) {
  auto m = make_manager("sleep", 1);
  std::vector<StartResult> started;
  for (int i = 0; i < 4; ++i) {
    auto r = m->start(trigger("run " + std::to_string(i)));
    ASSERT_TRUE(r);
    started.push_back(*r);
  }
  EXPECT_EQ(started[0].queue_position, 0) << "the first starts at once";
  EXPECT_EQ(started[1].queue_position, 1);
  EXPECT_EQ(started[3].queue_position, 3);
  ASSERT_TRUE(m->cancel(started[1].run_id, "U_CANCELLER"));  // leaves the queue
  auto fifth = m->start(trigger("run 4"));
  ASSERT_TRUE(fifth);
  EXPECT_EQ(fifth->queue_position, 3) << "two were queued before it, and it is the third";
  EXPECT_EQ(m->queue_depth(), 3u);
  ASSERT_TRUE(m->cancel(started[0].run_id, "U_CANCELLER"));  // the running one: a slot comes free
  ASSERT_TRUE(run_until([&] { return store_->get_run(started[2].run_id)->state == RunState::Running; }));
  auto sixth = m->start(trigger("run 5"));
  ASSERT_TRUE(sixth);
  EXPECT_EQ(sixth->queue_position, 3) << "runs 3 and 4 wait before it";
  for (const auto& id : {started[2].run_id, started[3].run_id, fifth->run_id, sixth->run_id}) {
    m->cancel(id, "U_CANCELLER");
  }
  ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(20)));
}

TEST_F(RunManagerTest, RestartInterruptsRunningAndStartsQueued) {
  {
    auto m = make_manager("codex", 1);
    RunRecord running;
    running.id = "00000000-0000-4000-8000-000000000001";
    running.trigger_kind = "cli";
    running.trigger_key = "k1";
    running.backend = "command";
    running.created_at = 1;
    ASSERT_TRUE(store_->create_run(running));
    ASSERT_TRUE(store_->transition_run(running.id, {RunState::Queued}, RunState::Running, 1000));
    StepRecord step;
    step.run_id = running.id;
    step.step = "look";
    step.seq = 1;
    step.argv = {"kubectl", "get", "pods"};
    step.state = StepState::Pending;
    store_->create_step(step);
    ASSERT_TRUE(store_->transition_step(step.id, {StepState::Pending}, StepState::Running, 1));
  }
  RunRecord queued;
  queued.id = "00000000-0000-4000-8000-000000000002";
  queued.trigger_kind = "cli";
  queued.trigger_key = "k2";
  queued.backend = "command";
  queued.created_at = 2;
  ASSERT_TRUE(store_->create_run(queued));
  store_->append_event({0, queued.id, 2000, "trigger", "U", "cli", trigger("queued one").to_json().dump()});

  auto m = make_manager("codex", 1);
  m->recover();
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  EXPECT_EQ(store_->get_run("00000000-0000-4000-8000-000000000001")->state, RunState::Interrupted);
  EXPECT_EQ(store_->get_run("00000000-0000-4000-8000-000000000001")->result, RunResult::Interrupted);
  EXPECT_EQ(store_->get_run(queued.id)->state, RunState::Succeeded);
  EXPECT_EQ(store_->get_run(queued.id)->result, RunResult::Diagnosed);
  EXPECT_NE(recorder_.all_text().find("Vigil restarted"), std::string::npos);
}

TEST_F(RunManagerTest, RunbookBackendMatchesSkillRunsDiagnosticsAndGatedStep) {
  auto m = make_manager("replay");
  auto t = trigger("api is down");
  t.backend = "runbook";
  auto r = m->start(t);
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  const auto run = store_->get_run(r->run_id);
  EXPECT_EQ(run->state, RunState::Succeeded) << run->error;
  EXPECT_EQ(run->result, RunResult::Fixed) << "the approved change ran";
  EXPECT_NE(run->summary.find("*Outcome:* :white_check_mark: fixed"), std::string::npos) << run->summary;
  EXPECT_EQ(run->skill, "test-restart");
  EXPECT_NE(run->summary.find("*Runbook:* Restart a test deployment"), std::string::npos) << run->summary;
  EXPECT_NE(recorder_.all_text().find("looking at api in prod"), std::string::npos) << recorder_.all_text();
  EXPECT_EQ(recorder_.count(ProgressKind::WaitingForApproval), 1);
  EXPECT_EQ(recorder_.count(ProgressKind::Decision), 1);
  ASSERT_EQ(gate_.requests.size(), 1u);
  const auto steps = store_->list_steps(r->run_id);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.back().state, StepState::Succeeded);
}

// Several clusters: each run works on the one its alert's `cluster` label, else its channel, else
// the default picks; its timeline lines and its card name it. An alert naming a cluster Vigil does
// not know fails its run with the reason, and nothing runs anywhere.
TEST_F(RunManagerTest, EachRunWorksOnTheClusterItsAlertOrChannelPicks) {
  kubernetes_.cluster = "us";
  kubernetes_.read_only_kubeconfig = "/etc/vigil/us-ro";
  kubernetes_.remediation_kubeconfig = "/etc/vigil/us-rw";
  ClusterConfig eu;
  eu.name = "eu";
  eu.read_only_kubeconfig = "/etc/vigil/eu-ro";
  eu.remediation_kubeconfig = "/etc/vigil/eu-rw";
  kubernetes_.clusters = {eu};
  auto m = make_manager("replay");
  struct Case {
    std::string key;
    std::string label;
    std::string channel_cluster;
    std::string cluster;
  };
  for (const auto& c : std::vector<Case>{{"by-label", "eu", "", "eu"},
                                         {"label-over-channel", "us", "eu", "us"},
                                         {"by-channel", "", "eu", "eu"},
                                         {"default", "", "", "us"}}) {
    SCOPED_TRACE(c.key);
    recorder_ = Recorder{};
    gate_.requests.clear();
    auto t = trigger("api is down", c.key);
    t.backend = "runbook";
    t.cluster = c.channel_cluster;
    if (!c.label.empty()) {
      t.incident.labels["cluster"] = c.label;
    }
    auto r = m->start(t);
    ASSERT_TRUE(r) << r.error().detail;
    ASSERT_TRUE(run_until([&] { return m->idle(); }));
    const auto run = store_->get_run(r->run_id);
    EXPECT_EQ(run->state, RunState::Succeeded) << run->error;
    ASSERT_EQ(gate_.requests.size(), 1u);
    EXPECT_EQ(gate_.requests[0].cluster, c.cluster) << "the card names it";
    const auto text = recorder_.all_text();
    EXPECT_NE(text.find("investigating with runbook on cluster " + c.cluster), std::string::npos) << text;
    EXPECT_NE(text.find("[" + c.cluster + "] restart: succeeded"), std::string::npos) << text;
  }

  recorder_ = Recorder{};
  gate_.requests.clear();
  auto t = trigger("api is down", "unknown");
  t.backend = "runbook";
  t.incident.labels["cluster"] = "mars";
  auto r = m->start(t);
  ASSERT_TRUE(r);
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  const auto run = store_->get_run(r->run_id);
  EXPECT_EQ(run->state, RunState::Failed);
  EXPECT_EQ(
      run->error,
      "the alert's cluster label names 'mars', which is not a configured cluster (us, eu); nothing was run on any "
      "cluster");
  EXPECT_TRUE(store_->list_steps(r->run_id).empty()) << "no step ran";
  EXPECT_TRUE(gate_.requests.empty());
}

// The run manager is the one owner of a run's state: the executor says its gated step awaits
// approval and the run waits (before the approval is asked for), then runs again once decided.
TEST_F(RunManagerTest, TheRunManagerAloneMovesTheRunAroundItsApproval) {
  auto m = make_manager("replay");
  auto t = trigger("api is down");
  t.backend = "runbook";
  auto r = m->start(t);
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  std::vector<std::string> rows;
  for (const auto& e : store_->list_events(r->run_id)) {
    if (e.kind == "state" || e.kind.rfind("approval_", 0) == 0) {
      rows.push_back(e.kind + " " + e.actor + ": " + e.text);
    }
  }
  const std::vector<std::string> expected = {
      "state system: running",
      "state system: awaiting_approval: step restart awaits approval",
      "approval_requested system: restart: echo restarted api",
      "state U_APPROVER: running: approved",
      "approval_approved U_APPROVER: restart by U_APPROVER",
      "state system: succeeded",
  };
  EXPECT_EQ(rows, expected);
}

TEST_F(RunManagerTest, CircuitBreakerPausesAutomaticTriageAfterThreeSystemFailures) {
  auto m = make_manager("fail");
  for (int i = 0; i < 3; ++i) {
    auto t = trigger("alert " + std::to_string(i));
    t.kind = "alert";
    t.automatic = true;
    ASSERT_TRUE(m->start(t));
    ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(5))) << recorder_.all_text();
  }
  ASSERT_EQ(recorder_.count(ProgressKind::AutoTriagePaused), 1);
  // The announcement says what, why (the failing runs), until when, and how to resume.
  std::string announcement;
  for (const auto& e : recorder_.events) {
    if (e.kind == ProgressKind::AutoTriagePaused) {
      announcement = e.detail;
    }
  }
  EXPECT_NE(announcement.find("Automatic triage with backend:command is paused until"), std::string::npos)
      << announcement;
  EXPECT_NE(announcement.find("3 automatic runs in a row failed"), std::string::npos) << announcement;
  EXPECT_NE(announcement.find("exited with code 3"), std::string::npos) << announcement;
  EXPECT_NE(announcement.find("/triage resume-auto backend:command"), std::string::npos) << announcement;

  // The next alert is still a run: skipped at once, nothing started, its summary says why.
  auto t = trigger("alert 4");
  t.kind = "alert";
  t.automatic = true;
  const auto skipped = m->start(t);
  ASSERT_TRUE(skipped) << skipped.error().detail;
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  const auto run = store_->get_run(skipped->run_id);
  EXPECT_EQ(run->result, RunResult::Skipped);
  EXPECT_EQ(recorder_.finished.count(run->id), 1u);
  EXPECT_NE(run->summary.find("automatic triage with backend:command is paused since"), std::string::npos)
      << run->summary;
  EXPECT_NE(run->summary.find("resume it now with `/triage resume-auto backend:command`"), std::string::npos);
  EXPECT_EQ(metrics_.counter("vigil_runs_finished_total",
                             {{"backend", "command"}, {"state", "succeeded"}, {"result", "skipped"}}),
            1);
  EXPECT_EQ(recorder_.count(ProgressKind::Started), 3) << "the skipped alert started nothing";

  // A person can still start runs by hand, and can resume automatic triage.
  auto by_hand = m->start(trigger("by hand"));
  ASSERT_TRUE(by_hand);
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  EXPECT_EQ(store_->get_run(by_hand->run_id)->result, RunResult::Failed);
  EXPECT_TRUE(m->resume_auto_triage("backend:command", "U_ONCALL"));
  t.key = "alert-5";
  auto again = m->start(t);
  ASSERT_TRUE(again);
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  EXPECT_EQ(store_->get_run(again->run_id)->result, RunResult::Failed) << "it ran";
}

TEST_F(RunManagerTest, PeoplesFailedRequestsNeverTripTheBreaker) {
  auto m = make_manager("fail");
  // Five failed runs a person asked for, between two failed alerts: no streak of three alerts.
  auto alert = [&](int i) {
    auto t = trigger("alert " + std::to_string(i));
    t.kind = "alert";
    t.automatic = true;
    return t;
  };
  ASSERT_TRUE(m->start(alert(1)));
  ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(5)));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(m->start(trigger("by hand " + std::to_string(i))));
    ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(5)));
  }
  ASSERT_TRUE(m->start(alert(2)));
  ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(5)));
  EXPECT_EQ(recorder_.count(ProgressKind::AutoTriagePaused), 0) << recorder_.all_text();
  EXPECT_FALSE(m->auto_triage_pause("command", ""));
  // The people's runs neither count nor break the streak: the third failed alert pauses.
  ASSERT_TRUE(m->start(alert(3)));
  ASSERT_TRUE(run_until([&] { return m->idle(); }, std::chrono::seconds(5)));
  EXPECT_EQ(recorder_.count(ProgressKind::AutoTriagePaused), 1) << recorder_.all_text();
}

TEST_F(RunManagerTest, FollowUpContinuesTheConversation) {
  auto m = make_manager("followup");
  auto r = m->start(trigger("x"));
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  EXPECT_FALSE(m->follow_up(r->run_id, "U2", ""));
  ASSERT_TRUE(m->follow_up(r->run_id, "U2", "what is the memory limit?"));
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  EXPECT_NE(store_->get_run(r->run_id)->summary.find("256Mi"), std::string::npos);
  EXPECT_EQ(recorder_.count(ProgressKind::FollowUp), 1);
  EXPECT_NE(recorder_.all_text().find("answering the follow-up"), std::string::npos);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST_F(RunManagerTest, RelevantKnowledgeIsCopiedAndListedInThePrompt) {
  test::write_file(dir_ / "kb" / "checkout-oom.md",
                   "# Checkout OOM runbook\nWhen KubePodOOMKilled fires for checkout, raise the limit.\n");
  test::write_file(dir_ / "kb" / "unrelated.md", "# Printer jams\nTurn it off and on.\n");
  knowledge_.load({(dir_ / "kb").string()});
  auto m = make_manager("replay");
  auto t = trigger("checkout pods restarting");
  t.incident.alertname = "KubePodOOMKilled";
  auto r = m->start(t);
  ASSERT_TRUE(run_until([&] { return m->idle(); }));
  const auto ws = fs::weakly_canonical(dir_ / "ws") / r->run_id;
  EXPECT_TRUE(fs::exists(ws / "context" / "knowledge" / "checkout-oom.md"));
  EXPECT_FALSE(fs::exists(ws / "context" / "knowledge" / "unrelated.md"));
  const auto prompt = test::read_file(ws / "PROMPT.md");
  EXPECT_NE(prompt.find("context/knowledge/checkout-oom.md: Checkout OOM runbook"), std::string::npos) << prompt;
  const auto instructions = test::read_file(ws / "context" / "system-instructions.txt");
  EXPECT_NE(instructions.find("READ-ONLY"), std::string::npos);
  EXPECT_NE(instructions.find("- test-restart: Restart a test deployment"), std::string::npos) << instructions;
}

}  // namespace
}  // namespace vigil

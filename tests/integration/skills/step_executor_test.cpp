// The executor end to end: real SQLite files, the fake kubectl as a real child process, scripted
// gates, FakeClock for verification polls.
#include "skills/step_executor.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "bot/base/redactor.h"
#include "bot/store/store.h"
#include "bot/store/store_step_journal.h"
#include "integrations/process/child_process.h"
#include "skills/argv_hash.h"
#include "skills/skill_catalog.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_paths.h"

namespace vigil::skills {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

/// Decides from a script (approve when the script is empty); `hold` never decides.
class ScriptedGate final : public ApprovalGate {
 public:
  Task<GateDecision> request(GateRequest r) override {
    requests.push_back(r);
    if (hold) {
      net::steady_timer forever(co_await net::this_coro::executor, net::steady_timer::time_point::max());
      co_await forever.async_wait(kToken);
      GateDecision cancelled{GateOutcome::Cancelled, r.argv_hash, "", "held"};
      co_return cancelled;
    }
    GateDecision d{GateOutcome::Approved, r.argv_hash, "U_APPROVER", ""};
    if (!script.empty()) {
      d = script.front();
      script.pop_front();
      if (d.argv_hash == "same") {
        d.argv_hash = r.argv_hash;
      }
    }
    co_return d;
  }
  void refused(const GateRequest& r, const GateDecision& d) override { refusals.emplace_back(r, d); }
  std::vector<GateRequest> requests;
  std::vector<std::pair<GateRequest, GateDecision>> refusals;  // told by the executor
  std::deque<GateDecision> script;
  bool hold = false;
};

Task<> drive(StepExecutor& ex, SkillRun run, std::optional<Result<SkillRunReport>>& out) {
  out = co_await ex.run(std::move(run));
}

const Skill& shipped(const std::string& id) {
  static SkillCatalog* catalog = [] {
    auto* c = new SkillCatalog(true);
    c->load_dirs({(test::shipped_skills_dir()).string()});
    return c;
  }();
  const Skill* s = catalog->find(id);
  if (!s) {
    throw std::runtime_error("no shipped skill " + id);
  }
  return *s;
}

class StepExecutorTest : public ::testing::Test {
 protected:
  StepExecutorTest() {
    db_ = (dir_ / "vigil.db").string();
    log_ = (dir_ / "kubectl.log").string();
    reopen();
  }

  void reopen() {
    store_.reset();
    store_ = *Store::open(db_);
  }

  ExecutorOptions options() const {
    ExecutorOptions o;
    o.kubectl.kubectl = (test::test_data_dir() / "support" / "fake_kubectl.sh").string();
    o.kubectl.read_only_kubeconfig = "/etc/vigil/ro.kubeconfig";
    o.kubectl.remediation_kubeconfig = "/etc/vigil/rw.kubeconfig";
    o.env_allowlist = {"PATH",
                       "FAKE_KUBECTL_FIXTURES",
                       "FAKE_KUBECTL_LOG",
                       "FAKE_KUBECTL_ROLLOUT_FAIL",
                       "FAKE_KUBECTL_FAIL",
                       "FAKE_KUBECTL_PAD",
                       "FAKE_KUBECTL_LEAK",
                       "FAKE_KUBECTL_GITOPS",
                       "FAKE_KUBECTL_POD_REVISION",
                       "FAKE_KUBECTL_ROLLED_OUT_AT",
                       "FAKE_KUBECTL_BACKOFF_AT",
                       "FAKE_KUBECTL_NODE_READY"};
    o.environment = extra_env_;
    o.environment["PATH"] = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
    o.environment["FAKE_KUBECTL_FIXTURES"] = (test::fixtures_dir() / "kubernetes").string();
    o.environment["FAKE_KUBECTL_LOG"] = log_;
    o.workspace_root = (dir_ / "ws").string();
    o.grace = 500ms;
    if (options_hook_) {
      options_hook_(o);
    }
    return o;
  }

  void create_run(const std::string& id) {
    RunRecord r;
    r.id = id;
    r.trigger_kind = "cli";
    r.trigger_key = "test:" + id;
    r.backend = "runbook";
    r.state = RunState::Running;
    r.created_at = 1;
    ASSERT_TRUE(store_->create_run(r));
  }

  SkillRun make_run(const std::string& run_id, const std::string& skill, std::map<std::string, std::string> params) {
    SkillRun r;
    r.run_id = run_id;
    r.skill = shipped(skill);
    r.params = std::move(params);
    r.requester = "U_REQUESTER";
    return r;
  }

  // Runs to completion; verification polls are advanced on the fake clock.
  Result<SkillRunReport> run(SkillRun r) {
    net::io_context io;
    process::ChildProcess runner(real_clock_, null_logger());
    StoreStepJournal journal(*store_, clock_);
    StepExecutor ex(journal, runner, gate_, clock_, options(), null_logger());
    std::optional<Result<SkillRunReport>> out;
    spawn(io.get_executor(), drive(ex, std::move(r), out), null_logger(), "test");
    while (!out) {
      io.run_for(5ms);
      if (clock_.sleepers() > 0) {
        clock_.advance(60s);
      }
    }
    return std::move(*out);
  }

  // Each kubectl invocation: KUBECONFIG=… then the arguments.
  std::vector<std::vector<std::string>> calls() const {
    std::vector<std::vector<std::string>> out;
    if (!std::filesystem::exists(log_)) {
      return out;
    }
    std::istringstream in(test::read_file(log_));
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> fields;
      std::size_t start = 0;
      for (;;) {
        const auto tab = line.find('\t', start);
        fields.push_back(line.substr(start, tab - start));
        if (tab == std::string::npos) {
          break;
        }
        start = tab + 1;
      }
      out.push_back(fields);
    }
    return out;
  }

  static bool has_arg(const std::vector<std::string>& call, const std::string& arg) {
    return std::find(call.begin(), call.end(), arg) != call.end();
  }
  static bool is_dry(const std::vector<std::string>& call) { return has_arg(call, "--dry-run=server"); }

  test::TempDir dir_;
  std::string db_;
  std::string log_;
  std::unique_ptr<Store> store_;
  test::FakeClock clock_;
  SystemClock real_clock_;
  ScriptedGate gate_;
  std::function<void(ExecutorOptions&)> options_hook_;
  std::map<std::string, std::string> extra_env_;
};

struct Case {
  std::string skill;
  std::map<std::string, std::string> params;
  std::string mutation;  // the verb of the approved change
  std::map<std::string, std::string> env;
};

TEST_F(StepExecutorTest, EveryShippedSkillRunsEndToEnd) {
  const std::vector<Case> cases = {
      {"pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}, "restart", {}},
      {"image-pull-failure",
       {{"namespace", "default"}, {"pod", "customer-relations-webapp-5d98ffcfd-tz4nc"}},
       "undo",
       {}},
      {"oom-killed", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}, "restart", {}},
      {"node-not-ready", {{"node", "kind-double-node-worker"}}, "cordon", {}},
      {"deployment-rollout-stuck",
       {{"namespace", "shop"}, {"deployment", "checkout"}},
       "undo",
       {{"FAKE_KUBECTL_FAIL", "--timeout=5s"}}},
      {"http-5xx-spike", {{"namespace", "shop"}, {"deployment", "checkout"}, {"replicas", "6"}}, "scale", {}},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.skill);
    std::filesystem::remove(log_);
    extra_env_ = c.env;
    const std::string id = "run-" + std::to_string(++n);
    create_run(id);
    const auto before = gate_.requests.size();
    auto report = run(make_run(id, c.skill, c.params));
    ASSERT_TRUE(report) << report.error().detail;
    EXPECT_EQ(report->outcome, RunOutcome::Succeeded) << report->message;
    EXPECT_EQ(report->verification, Verification::Verified);
    EXPECT_GT(gate_.requests.size(), before);
    const auto& req = gate_.requests[before];
    EXPECT_EQ(req.argv_hash, argv_hash(req.argv));
    EXPECT_FALSE(req.dry_run_output.empty());
    EXPECT_NE(req.dry_run_output.find("server dry run"), std::string::npos) << req.dry_run_output;

    bool mutated = false;
    for (const auto& call : calls()) {
      ASSERT_GE(call.size(), 2u);
      static const std::set<std::string> kVerbs{"restart", "undo", "scale", "cordon"};
      const bool mutation = kVerbs.count(call[1]) || (call.size() > 2 && kVerbs.count(call[2]));
      if (mutation && !is_dry(call)) {
        mutated = mutated || has_arg(call, c.mutation);
        EXPECT_EQ(call[0], "KUBECONFIG=/etc/vigil/rw.kubeconfig");
      } else if (is_dry(call)) {
        // A server-side dry run is authorised like the write: it runs as the write identity.
        EXPECT_EQ(call[0], "KUBECONFIG=/etc/vigil/rw.kubeconfig") << call[1];
      } else {
        EXPECT_EQ(call[0], "KUBECONFIG=/etc/vigil/ro.kubeconfig") << call[1];
      }
    }
    EXPECT_TRUE(mutated) << "no approved " << c.mutation;

    // Every step is persisted with its output; mutating rows carry the approved hash.
    for (const auto& row : store_->list_steps(id)) {
      EXPECT_TRUE(row.state == StepState::Succeeded || row.state == StepState::Skipped ||
                  row.state == StepState::Failed)
          << row.step << " " << to_string(row.state);
      if (row.mutating && row.state == StepState::Succeeded) {
        EXPECT_EQ(row.argv_hash, argv_hash(row.argv));
      }
    }
  }
}

// Each step's output is told as it finishes, the findings before the gate asks, and the gate's
// request carries them (the card's "Why this fix").
TEST_F(StepExecutorTest, StepOutputsAndFindingsAreToldBeforeTheGateAsks) {
  create_run("r-evidence");
  std::vector<std::string> told;
  auto o = options();
  o.on_step_finished = [&](const std::string& run_id, const StepResult& r) {
    EXPECT_EQ(run_id, "r-evidence");
    told.push_back("step " + r.key + (r.dry_run ? " (dry run)" : "") + (r.output.empty() ? "" : " with output"));
  };
  o.on_findings = [&](const std::string&, const std::vector<FindingResult>& f) {
    told.push_back("findings " + f.front().text);
  };
  gate_.script = {GateDecision{GateOutcome::Denied, "same", "U_APPROVER", "not now"}};
  net::io_context io;
  process::ChildProcess runner(real_clock_, null_logger());
  StoreStepJournal journal(*store_, clock_);
  StepExecutor ex(journal, runner, gate_, clock_, o, null_logger());
  std::optional<Result<SkillRunReport>> out;
  spawn(io.get_executor(),
        drive(ex,
              make_run("r-evidence", "pod-crashloop",
                       {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}),
              out),
        null_logger(), "test");
  while (!out) {
    io.run_for(5ms);
  }
  ASSERT_TRUE(*out) << out->error().detail;
  const std::vector<std::string> expected = {
      "step describe_pod with output",
      "step previous_logs with output",
      "step events with output",
      "step rollout_history with output",
      "step pod_revision with output",
      "step latest_revision with output",
      "step first_backoff with output",
      "step container_starts with output",
      "step managed_by with output",
      "step restart_deployment.dry-run (dry run) with output",
      "findings the container was OOMKilled (exit 137) at its memory limit 100Mi",
  };
  EXPECT_EQ(told, expected);
  ASSERT_EQ(gate_.requests.size(), 1u);
  const auto& why = gate_.requests[0].findings;
  ASSERT_GE(why.size(), 2u);
  EXPECT_EQ(why[0].text, "the container was OOMKilled (exit 137) at its memory limit 100Mi");
  EXPECT_EQ(why[0].step, "describe_pod");
  EXPECT_FALSE(why[0].evidence.empty());
  EXPECT_EQ((*out)->outcome, RunOutcome::Denied);
  EXPECT_EQ((*out)->findings, why) << "the same findings at the end: nothing ran after the gate";
}

// A deployment that Argo CD or Flux manages is said so on the card, with what the next sync does
// to the change; an unmanaged one is not.
TEST_F(StepExecutorTest, AGitOpsManagedDeploymentIsFlaggedOnTheCard) {
  const std::map<std::string, std::string> managers = {
      {"argocd",
       "the deployment is managed by Argo CD (application shop-checkout): its next sync puts back what Git says, so a "
       "change made here lasts only until then unless Git changes too"},
      {"flux",
       "the deployment is managed by Flux (kustomize apps): its next reconciliation puts back what Git says, so a "
       "change made here lasts only until then unless Git changes too"},
      {"", ""},
  };
  int n = 0;
  for (const auto& [manager, said] : managers) {
    SCOPED_TRACE(manager);
    extra_env_ = {{"FAKE_KUBECTL_GITOPS", manager}};
    const std::string id = "gitops-" + std::to_string(++n);
    create_run(id);
    const auto before = gate_.requests.size();
    auto report = run(make_run(id, "http-5xx-spike", {{"namespace", "shop"}, {"deployment", "checkout"}}));
    ASSERT_TRUE(report) << report.error().detail;
    ASSERT_GT(gate_.requests.size(), before);
    bool flagged = false;
    for (const auto& f : gate_.requests[before].findings) {
      flagged = flagged || f.text.find("managed by") != std::string::npos;
      if (!said.empty() && f.text.find("managed by") != std::string::npos) {
        EXPECT_EQ(f.text, said);
      }
    }
    EXPECT_EQ(flagged, !said.empty());
  }
}

// The crash-loop skill chooses its fix from the evidence and says which evidence chose it: a
// rollback to the revision before only when the pod runs the latest revision and the kubelet first
// backed off within 30 minutes of that rollout; a restart in every other case, including when the
// evidence is missing. After a restart that did not help, the rollback names the revision before
// the latest deploy, so it goes past the restart's own revision.
TEST_F(StepExecutorTest, CrashLoopRollsBackOnlyWhenTheCrashBeganWithTheLatestRollout) {
  struct Choice {
    std::string name;
    std::map<std::string, std::string> env;
    std::string step;  // the first proposal
    std::string said;  // the finding that says why
  };
  const std::vector<Choice> choices = {
      {"began 4 minutes after the rollout",
       {{"FAKE_KUBECTL_BACKOFF_AT", "2025-08-12T03:44:00Z"}},
       "undo_bad_rollout",
       "a rollback, not a restart: the pod runs revision 2, the latest, rolled out at 2025-08-12T03:40:00Z, and "
       "the kubelet first backed off at 2025-08-12T03:44:00Z, within 30 minutes of it; the rollback goes to "
       "revision 1"},
      {"began three days after the rollout",
       {{"FAKE_KUBECTL_BACKOFF_AT", "2025-08-15T09:00:00Z"}},
       "restart_deployment",
       "a restart, not a rollback: the evidence does not show the crash beginning with the latest rollout (the pod "
       "runs revision 2 of latest 2, rolled out at 2025-08-12T03:40:00Z; first back-off 2025-08-15T09:00:00Z); a "
       "rollback is proposed only when the pod runs the latest revision and first backed off within 30 minutes of "
       "it"},
      {"no back-off event left",
       {},
       "restart_deployment",
       "a restart, not a rollback: the evidence does not show the crash beginning with the latest rollout (the pod "
       "runs revision 2 of latest 2, rolled out at 2025-08-12T03:40:00Z; first back-off unknown (no back-off event "
       "left)); a rollback is proposed only when the pod runs the latest revision and first backed off within 30 "
       "minutes of it"},
      {"the pod runs an older revision",
       {{"FAKE_KUBECTL_BACKOFF_AT", "2025-08-12T03:44:00Z"}, {"FAKE_KUBECTL_POD_REVISION", "1"}},
       "restart_deployment",
       "a restart, not a rollback: the evidence does not show the crash beginning with the latest rollout (the pod "
       "runs revision 1 of latest 2, rolled out at 2025-08-12T03:40:00Z; first back-off 2025-08-12T03:44:00Z); a "
       "rollback is proposed only when the pod runs the latest revision and first backed off within 30 minutes of "
       "it"},
  };
  int n = 0;
  for (const auto& choice : choices) {
    SCOPED_TRACE(choice.name);
    std::filesystem::remove(log_);
    extra_env_ = choice.env;
    const std::string id = "choice-" + std::to_string(++n);
    create_run(id);
    const auto before = gate_.requests.size();
    auto report = run(
        make_run(id, "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}));
    ASSERT_TRUE(report) << report.error().detail;
    ASSERT_EQ(gate_.requests.size(), before + 1) << "one proposal, never both";
    const auto& req = gate_.requests[before];
    EXPECT_EQ(req.step, choice.step);
    const bool rollback = choice.step == "undo_bad_rollout";
    const std::vector<std::string> undo = {"kubectl", "rollout", "undo",           "deployment/analytics-exporter-fast",
                                           "-n",      "default", "--to-revision=1"};
    const std::vector<std::string> restart = {"kubectl", "rollout", "restart", "deployment/analytics-exporter-fast",
                                              "-n",      "default"};
    EXPECT_EQ(req.argv, rollback ? undo : restart);
    std::vector<std::string> said;
    for (const auto& f : req.findings) {
      said.push_back(f.text);
    }
    ASSERT_GE(said.size(), 2u);
    EXPECT_EQ(said[0], "the container was OOMKilled (exit 137) at its memory limit 100Mi") << "the diagnosis first";
    EXPECT_NE(std::find(said.begin(), said.end(), choice.said), said.end()) << ::testing::PrintToString(said);
    const auto why = std::find(said.begin(), said.end(), choice.said) - said.begin();
    EXPECT_LT(why, 4) << "among the four findings a card shows";
    for (const auto& c : calls()) {
      EXPECT_NE(c[2], rollback ? "restart" : "undo") << "the other fix never runs";
    }
  }

  // A restart that did not help: the rollback goes to revision 1 by name, past the restart's own.
  std::filesystem::remove(log_);
  extra_env_ = {{"FAKE_KUBECTL_ROLLOUT_FAIL", "1"}};
  create_run("restart-failed");
  const auto before = gate_.requests.size();
  auto report = run(make_run("restart-failed", "pod-crashloop",
                             {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}));
  ASSERT_TRUE(report) << report.error().detail;
  ASSERT_EQ(gate_.requests.size(), before + 2);
  EXPECT_EQ(gate_.requests[before + 1].argv,
            (std::vector<std::string>{"kubectl", "rollout", "undo", "deployment/analytics-exporter-fast", "-n",
                                      "default", "--to-revision=1"}));
  EXPECT_TRUE(report->rolled_back);

  // A rollback that did not help offers no second rollback, and the run does not claim one.
  std::filesystem::remove(log_);
  extra_env_ = {{"FAKE_KUBECTL_ROLLOUT_FAIL", "1"}, {"FAKE_KUBECTL_BACKOFF_AT", "2025-08-12T03:44:00Z"}};
  create_run("undo-failed");
  const auto before_undo = gate_.requests.size();
  report = run(make_run("undo-failed", "pod-crashloop",
                        {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}));
  ASSERT_TRUE(report) << report.error().detail;
  ASSERT_EQ(gate_.requests.size(), before_undo + 1);
  EXPECT_EQ(gate_.requests[before_undo].step, "undo_bad_rollout");
  EXPECT_FALSE(report->rolled_back);
  EXPECT_EQ(report->verification, Verification::NotVerified);
}

// Several clusters: every kubectl call of a run goes to its cluster's identities (kubeconfig and
// context), the card names the cluster, and a namespace the cluster does not let runs name is
// refused before anything runs.
TEST_F(StepExecutorTest, ARunWorksOnItsClusterOnly) {
  options_hook_ = [](ExecutorOptions& o) {
    ClusterTarget us{o.kubectl, {}};
    ClusterTarget eu{o.kubectl, {"default"}};
    eu.kubectl.read_only_kubeconfig = "/etc/vigil/eu-ro.kubeconfig";
    eu.kubectl.remediation_kubeconfig = "/etc/vigil/eu-rw.kubeconfig";
    eu.kubectl.read_only_context = "eu-reader";
    eu.kubectl.remediation_context = "eu-admin";
    ClusterTarget ap{o.kubectl, {"shop"}};
    o.clusters = {{"us", us}, {"eu", eu}, {"ap", ap}};
    o.default_cluster = "us";
  };
  create_run("eu");
  auto run_def =
      make_run("eu", "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}});
  run_def.cluster = "eu";
  auto report = run(run_def);
  ASSERT_TRUE(report) << report.error().detail;
  ASSERT_EQ(gate_.requests.size(), 1u);
  EXPECT_EQ(gate_.requests[0].cluster, "eu");
  const auto c = calls();
  ASSERT_GE(c.size(), 11u);
  for (const auto& call : c) {
    const bool write = is_dry(call) || call[3] == "restart";
    EXPECT_EQ(call[0], write ? "KUBECONFIG=/etc/vigil/eu-rw.kubeconfig" : "KUBECONFIG=/etc/vigil/eu-ro.kubeconfig")
        << ::testing::PrintToString(call);
    EXPECT_EQ(call[1], write ? "--context=eu-admin" : "--context=eu-reader") << ::testing::PrintToString(call);
  }

  std::filesystem::remove(log_);
  create_run("ap");
  auto elsewhere =
      make_run("ap", "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}});
  elsewhere.cluster = "ap";
  report = run(elsewhere);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().detail, "namespace 'default' is not one cluster ap lets runs name (shop)");
  EXPECT_TRUE(calls().empty()) << "nothing ran";

  create_run("mars");
  auto unknown =
      make_run("mars", "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}});
  unknown.cluster = "mars";
  report = run(unknown);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().detail, "cluster 'mars' is not configured (kubernetes.clusters)");
  EXPECT_TRUE(calls().empty());
}

// A node-not-ready alert can be stale: a node whose Ready condition is True again is not cordoned,
// and the run says why; one that is NotReady (False or Unknown) is, and the cordon is verified by
// the node being unschedulable.
TEST_F(StepExecutorTest, OnlyANodeThatIsNotReadyNowIsCordoned) {
  for (const std::string ready : {"True", "Unknown"}) {
    SCOPED_TRACE(ready);
    std::filesystem::remove(log_);
    extra_env_ = {{"FAKE_KUBECTL_NODE_READY", ready}};
    const std::string id = "node-" + ready;
    create_run(id);
    const auto before = gate_.requests.size();
    auto report = run(make_run(id, "node-not-ready", {{"node", "kind-double-node-worker"}}));
    ASSERT_TRUE(report) << report.error().detail;
    bool cordoned = false;
    for (const auto& c : calls()) {
      cordoned = cordoned || (c[1] == "cordon" && !is_dry(c));
    }
    std::vector<std::string> said;
    for (const auto& f : report->findings) {
      said.push_back(f.text);
    }
    const std::string again =
        "node kind-double-node-worker is Ready again (its Ready condition is True now): no cordon is proposed";
    if (ready == "True") {
      EXPECT_EQ(gate_.requests.size(), before) << "nothing to approve";
      EXPECT_FALSE(cordoned);
      EXPECT_NE(std::find(said.begin(), said.end(), again), said.end()) << ::testing::PrintToString(said);
    } else {
      ASSERT_EQ(gate_.requests.size(), before + 1);
      EXPECT_EQ(gate_.requests[before].step, "cordon");
      EXPECT_TRUE(cordoned);
      EXPECT_EQ(report->verification, Verification::Verified);
      EXPECT_EQ(std::find(said.begin(), said.end(), again), said.end());
    }
  }
}

// Scaling goes out only, from the count read just before (kubectl refuses if it changed since),
// and never past the parameter's ceiling; asked for no more than there are, nothing is scaled.
TEST_F(StepExecutorTest, ScalingGoesOutOnlyFromTheCurrentCount) {
  create_run("out");
  auto report =
      run(make_run("out", "http-5xx-spike", {{"namespace", "shop"}, {"deployment", "checkout"}, {"replicas", "6"}}));
  ASSERT_TRUE(report) << report.error().detail;
  bool scaled = false;
  for (const auto& c : calls()) {
    if (c[1] == "scale" && !is_dry(c)) {
      scaled = true;
      EXPECT_EQ(c, (std::vector<std::string>{"KUBECONFIG=/etc/vigil/rw.kubeconfig", "scale", "deployment/checkout",
                                             "-n", "shop", "--current-replicas=3", "--replicas=6"}));
    }
  }
  EXPECT_TRUE(scaled);

  std::filesystem::remove(log_);
  create_run("in");
  const auto before = gate_.requests.size();
  report =
      run(make_run("in", "http-5xx-spike", {{"namespace", "shop"}, {"deployment", "checkout"}, {"replicas", "2"}}));
  ASSERT_TRUE(report) << report.error().detail;
  for (const auto& c : calls()) {
    EXPECT_NE(c[1], "scale") << "3 replicas now: scaling to 2 would scale in";
  }
  for (auto i = before; i < gate_.requests.size(); ++i) {
    EXPECT_NE(gate_.requests[i].step, "scale_out");
  }
  // The ceiling is the parameter's pattern.
  create_run("ceiling");
  EXPECT_FALSE(run(
      make_run("ceiling", "http-5xx-spike", {{"namespace", "shop"}, {"deployment", "checkout"}, {"replicas", "21"}})));
}

TEST_F(StepExecutorTest, CaptureFeedsLaterStepsAndDiagnosticsUseTheReadOnlyKubeconfig) {
  create_run("r");
  auto report = run(
      make_run("r", "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}));
  ASSERT_TRUE(report);
  const auto c = calls();
  ASSERT_GE(c.size(), 11u);
  EXPECT_EQ(c[0], (std::vector<std::string>{"KUBECONFIG=/etc/vigil/ro.kubeconfig", "describe", "pod",
                                            "analytics-exporter-fast-76897854c-cw5wh", "-n", "default"}));
  // rollout history of the captured deployment, the revision of the pod's captured ReplicaSet, …,
  // owner labels, dry run, then the approved restart.
  EXPECT_EQ(c[3][3], "deployment/analytics-exporter-fast");
  EXPECT_EQ(c[4][2], "replicaset/analytics-exporter-fast-76897854c");
  EXPECT_EQ(c[8], (std::vector<std::string>{"KUBECONFIG=/etc/vigil/ro.kubeconfig", "get",
                                            "deployment/analytics-exporter-fast", "-n", "default", "-o",
                                            "jsonpath={.metadata.labels}{\"\\n\"}{.metadata.annotations}"}));
  EXPECT_TRUE(is_dry(c[9]));
  EXPECT_EQ(c[10], (std::vector<std::string>{"KUBECONFIG=/etc/vigil/rw.kubeconfig", "rollout", "restart",
                                             "deployment/analytics-exporter-fast", "-n", "default"}));
  ASSERT_EQ(gate_.requests.size(), 1u);
  EXPECT_EQ(gate_.requests[0].argv, (std::vector<std::string>{"kubectl", "rollout", "restart",
                                                              "deployment/analytics-exporter-fast", "-n", "default"}));
  EXPECT_EQ(gate_.requests[0].requester, "U_REQUESTER");
  EXPECT_EQ(gate_.requests[0].risk, Risk::Medium);
  // The full output is on disk in the run's workspace.
  const auto steps = store_->list_steps("r");
  ASSERT_FALSE(steps.empty());
  EXPECT_TRUE(std::filesystem::exists(steps[0].output_path)) << steps[0].output_path;
  EXPECT_NE(steps[0].output.find("OOMKilled"), std::string::npos);
}

// A skill's regexes over long tool output: libstdc++'s std::regex recursed once per character,
// and a capture like `[a-z ]+ down` or a condition like `.*OOMKilled` over a 200 KB line
// overflowed the stack and took Vigil down mid-run. Now such a match gives up: the capture is not
// set, the condition does not hold, the step it guards is skipped, and the run carries on.
TEST_F(StepExecutorTest, ARegexThatGivesUpOnLongOutputSkipsInsteadOfCrashing) {
  extra_env_["FAKE_KUBECTL_PAD"] = "200000";
  create_run("r");
  auto run_def =
      make_run("r", "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}});
  Skill& skill = run_def.skill;
  ASSERT_GE(skill.steps.size(), 4u);
  ASSERT_EQ(skill.steps[3].id, "rollout_history");
  skill.steps[0].captures[0].regex = "[a-z ]+ down";
  skill.steps[3].when.front().output_matches = ".*OOMKilled";
  skill.steps.resize(4);
  skill.steps.erase(skill.steps.begin() + 1, skill.steps.begin() + 3);  // describe_pod, rollout_history
  auto report = run(std::move(run_def));
  ASSERT_TRUE(report) << report.error().message();
  ASSERT_EQ(report->steps.size(), 2u);
  EXPECT_EQ(report->steps[0].step_id, "describe_pod");
  EXPECT_EQ(report->steps[0].state, StepState::Succeeded);
  EXPECT_GT(report->steps[0].output.size(), 200'000u);
  EXPECT_EQ(report->steps[1].step_id, "rollout_history");
  EXPECT_EQ(report->steps[1].state, StepState::Skipped);
  const auto c = calls();
  ASSERT_EQ(c.size(), 1u);  // only the describe ran
  EXPECT_TRUE(has_arg(c[0], "describe"));
}

// The full output of a step is kept on disk redacted and bounded: a secret the tool printed never
// reaches the file or the database, the file stops at the configured cap with a marker saying how
// much the step wrote, and the database keeps its own smaller cut.
TEST_F(StepExecutorTest, FullOutputIsKeptRedactedAndBoundedOnDisk) {
  const std::string secret = std::string("hunter2-") + "s3cr3t-value-77";
  extra_env_["FAKE_KUBECTL_LEAK"] = "DB_PASSWORD=" + secret;
  extra_env_["FAKE_KUBECTL_PAD"] = "100000";
  Redactor redactor;
  redactor.add_secret(secret);
  options_hook_ = [&](ExecutorOptions& o) {
    o.output_cap = 4096;
    o.full_output_cap = 64 * 1024;
    o.redact = [&](std::string_view text) { return redactor.redact(text); };
  };
  create_run("r");
  auto run_def =
      make_run("r", "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}});
  run_def.skill.steps.resize(1);  // describe_pod
  auto report = run(std::move(run_def));
  ASSERT_TRUE(report) << report.error().message();
  const auto steps = store_->list_steps("r");
  ASSERT_EQ(steps.size(), 1u);
  const auto& s = steps[0];
  EXPECT_EQ(s.state, StepState::Succeeded);
  EXPECT_LE(s.output.size(), 4096u);
  EXPECT_TRUE(s.output_truncated);
  EXPECT_EQ(s.output.find(secret), std::string::npos) << "the database holds the secret";
  EXPECT_NE(s.output.find("DB_PASSWORD=[REDACTED]"), std::string::npos) << s.output.substr(0, 200);
  ASSERT_FALSE(s.output_path.empty());
  const auto file = test::read_file(s.output_path);
  EXPECT_EQ(file.find(secret), std::string::npos) << "the file holds the secret";
  EXPECT_EQ(file.rfind("DB_PASSWORD=[REDACTED]", 0), 0u) << file.substr(0, 200);
  EXPECT_LE(file.size(), 64u * 1024 + 200);
  // Cut at the cap (less what redaction took out: the file holds the redacted text).
  EXPECT_NE(file.find("… [output cut at 655"), std::string::npos) << file.substr(file.size() - 200);
  EXPECT_NE(file.find(" bytes; the step wrote 10"), std::string::npos) << "100,000 and more\n"
                                                                       << file.substr(file.size() - 200);
  EXPECT_EQ(std::filesystem::status(s.output_path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(BoundedOutput, CutsOnACharacterBoundaryWithAMarker) {
  EXPECT_EQ(bounded_output("short", 100, 5), "short");
  EXPECT_EQ(bounded_output("abcdef", 3, 6), "abc\n… [output cut at 3 bytes; the step wrote 6 bytes in all]\n");
  // The step wrote more than was read: said even when what was read fits.
  EXPECT_EQ(bounded_output("abc\n", 100, 5000), "abc\n… [output cut at 4 bytes; the step wrote 5000 bytes in all]\n");
  // "é" is two bytes: never half of it.
  EXPECT_EQ(bounded_output("aé", 2, 3).substr(0, 2), "a\n");
}

TEST_F(StepExecutorTest, InjectionAttemptsAreRefusedBeforeAnythingRuns) {
  const auto marker = std::filesystem::temp_directory_path() / ("vigil-pwned-" + std::to_string(::getpid()));
  std::filesystem::remove(marker);
  const std::vector<std::string> attempts = {"x; touch " + marker.string(), "$(touch " + marker.string() + ")",
                                             "--kubeconfig=/etc/x",         "web\ntouch " + marker.string(),
                                             "{{ params.namespace }}",      "`id`"};
  int n = 0;
  for (const auto& bad : attempts) {
    for (const std::string param : {"namespace", "pod"}) {
      SCOPED_TRACE(param + "=" + bad);
      const std::string id = "inj-" + std::to_string(++n);
      create_run(id);
      std::map<std::string, std::string> params{{"namespace", "default"}, {"pod", "web-1"}};
      params[param] = bad;
      auto report = run(make_run(id, "pod-crashloop", params));
      ASSERT_FALSE(report);
      EXPECT_TRUE(report.error().is(Errc::InvalidInput));
      EXPECT_TRUE(store_->list_steps(id).empty());
    }
  }
  // Through the incident too (from_incident).
  create_run("inj-incident");
  SkillRun r = make_run("inj-incident", "pod-crashloop", {});
  r.incident.labels = {{"namespace", "$(id)"}, {"pod", "web-1"}};
  EXPECT_FALSE(run(r));
  EXPECT_TRUE(calls().empty());
  EXPECT_TRUE(gate_.requests.empty());
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(StepExecutorTest, MismatchingArgvHashIsRefused) {
  create_run("h");
  gate_.script.push_back({GateOutcome::Approved, "sha256:0000", "U_APPROVER", ""});
  auto report = run(
      make_run("h", "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}));
  ASSERT_TRUE(report);
  EXPECT_EQ(report->outcome, RunOutcome::Denied);
  for (const auto& c : calls()) {
    EXPECT_FALSE(has_arg(c, "restart") && !is_dry(c)) << "the restart ran";
  }
  // The gate is told, and records the refusal (approval.refused, tested with each gate); the
  // executor's own record is the step, denied with the reason.
  ASSERT_EQ(gate_.refusals.size(), 1u);
  EXPECT_EQ(gate_.refusals[0].second.argv_hash, "sha256:0000");
  EXPECT_EQ(gate_.refusals[0].first.step_key, "restart_deployment");
  bool denied = false;
  for (const auto& st : store_->list_steps("h")) {
    denied = denied || (st.step == "restart_deployment" && st.state == StepState::Denied &&
                        st.output.find("refused: the approval was for a different argv") != std::string::npos);
  }
  EXPECT_TRUE(denied);
}

TEST_F(StepExecutorTest, DenialAndExpiryAreRecordedAndNothingChanges) {
  for (const auto outcome : {GateOutcome::Denied, GateOutcome::Expired}) {
    std::filesystem::remove(log_);
    const std::string id = std::string("d-") + std::string(to_string(outcome));
    create_run(id);
    gate_.script.push_back({outcome, "same", "U_BOSS", "not now"});
    auto report = run(make_run(id, "node-not-ready", {{"node", "kind-double-node-worker"}}));
    ASSERT_TRUE(report);
    EXPECT_EQ(report->outcome, outcome == GateOutcome::Denied ? RunOutcome::Denied : RunOutcome::Expired);
    for (const auto& c : calls()) {
      EXPECT_FALSE(c[1] == "cordon" && !is_dry(c));
    }
    const auto steps = store_->list_steps(id);
    ASSERT_FALSE(steps.empty());
    EXPECT_EQ(steps.back().step, "cordon");
    EXPECT_EQ(steps.back().state, outcome == GateOutcome::Denied ? StepState::Denied : StepState::Expired);
    bool recorded = false;
    for (const auto& e : store_->list_events(id)) {
      recorded = recorded || e.kind == "approval_" + std::string(to_string(outcome));
    }
    EXPECT_TRUE(recorded);
  }
}

TEST_F(StepExecutorTest, FailedVerificationOffersTheRollbackAsANewGatedProposal) {
  extra_env_ = {{"FAKE_KUBECTL_ROLLOUT_FAIL", "1"}};
  create_run("v");
  auto report = run(
      make_run("v", "pod-crashloop", {{"namespace", "default"}, {"pod", "analytics-exporter-fast-76897854c-cw5wh"}}));
  ASSERT_TRUE(report);
  EXPECT_EQ(report->verification, Verification::NotVerified);
  EXPECT_EQ(report->outcome, RunOutcome::Failed);
  EXPECT_TRUE(report->rollback_offered);
  EXPECT_TRUE(report->rolled_back);
  ASSERT_EQ(gate_.requests.size(), 2u);
  EXPECT_FALSE(gate_.requests[0].is_rollback);
  EXPECT_TRUE(gate_.requests[1].is_rollback);
  EXPECT_EQ(gate_.requests[1].argv[2], "undo");
  int polls = 0;
  for (const auto& c : calls()) {
    polls += c[1] == "rollout" && c[2] == "status";
  }
  EXPECT_EQ(polls, 10);  // verify.attempts
}

TEST_F(StepExecutorTest, DryRunShowsGatedStepsWithoutAskingOrExecuting) {
  create_run("dry");
  SkillRun r = make_run("dry", "http-5xx-spike", {{"namespace", "shop"}, {"deployment", "checkout"}});
  r.dry_run = true;
  auto report = run(r);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->outcome, RunOutcome::DryRun);
  EXPECT_TRUE(gate_.requests.empty());
  for (const auto& c : calls()) {
    // Diagnostics read-only; the server-side dry runs of the gated steps as the write identity
    // (the API server authorises them like the write and persists nothing).
    EXPECT_EQ(c[0], is_dry(c) ? "KUBECONFIG=/etc/vigil/rw.kubeconfig" : "KUBECONFIG=/etc/vigil/ro.kubeconfig") << c[1];
    if (c[1] == "scale" || c[1] == "patch") {
      EXPECT_TRUE(is_dry(c)) << "nothing changes in a dry run";
    }
    EXPECT_FALSE(c[1] == "rollout" && c[2] == "restart") << "nothing changes in a dry run";
  }
  int dry_runs = 0;
  for (const auto& c : calls()) {
    dry_runs += is_dry(c);
  }
  EXPECT_EQ(dry_runs, 2) << "the restart's and the scale's";
}

TEST_F(StepExecutorTest, RestartWhilePausedAtTheGateResumesAtThatStepExactlyOnce) {
  create_run("p");
  const std::map<std::string, std::string> params{{"namespace", "default"},
                                                  {"pod", "analytics-exporter-fast-76897854c-cw5wh"}};
  std::int64_t paused_step = 0;
  {
    // First process: runs up to the gate, then "crashes" (io_context and store go away).
    gate_.hold = true;
    // The run's owner (the run manager) moves the run when the executor says a step awaits approval.
    options_hook_ = [&](ExecutorOptions& o) {
      o.on_awaiting_approval = [&](const std::string& run_id, const std::string& key) {
        store_->transition_run(run_id, {RunState::Running}, RunState::AwaitingApproval, 1, "system",
                               "step " + key + " awaits approval");
      };
    };
    process::ChildProcess runner(real_clock_, null_logger());
    StoreStepJournal journal(*store_, clock_);
    StepExecutor ex(journal, runner, gate_, clock_, options(), null_logger());
    std::optional<Result<SkillRunReport>> out;
    net::io_context io;
    spawn(io.get_executor(), drive(ex, make_run("p", "pod-crashloop", params), out), null_logger(), "test");
    while (gate_.requests.empty()) {
      io.run_for(5ms);
    }
    EXPECT_FALSE(out);
    paused_step = gate_.requests[0].step_id;
    EXPECT_EQ(store_->get_step(paused_step)->state, StepState::AwaitingApproval);
    EXPECT_EQ(store_->get_run("p")->state, RunState::AwaitingApproval);
  }
  const auto before = calls();
  // describe, logs, events, history, the pod's revision, the latest revision, the first back-off,
  // the container starts, owner labels, dry run
  ASSERT_EQ(before.size(), 10u);
  options_hook_ = nullptr;
  reopen();
  store_->transition_run("p", {RunState::AwaitingApproval}, RunState::Running, 2);

  gate_.hold = false;
  gate_.requests.clear();
  auto report = run(make_run("p", "pod-crashloop", params));
  ASSERT_TRUE(report) << report.error().detail;
  EXPECT_EQ(report->outcome, RunOutcome::Succeeded);
  ASSERT_EQ(gate_.requests.size(), 1u);
  EXPECT_EQ(gate_.requests[0].step_id, paused_step);  // the same step, not a new one
  auto after = calls();
  ASSERT_EQ(after.size(), 12u);  // only the restart and one verification poll are new
  EXPECT_EQ(after[10][2], "restart");
  EXPECT_FALSE(is_dry(after[10]));
  EXPECT_EQ(after[11][2], "status");
  EXPECT_EQ(store_->get_step(paused_step)->state, StepState::Succeeded);

  // A third start finds everything done: nothing runs, nothing is asked.
  gate_.requests.clear();
  auto again = run(make_run("p", "pod-crashloop", params));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, RunOutcome::Succeeded);
  EXPECT_TRUE(gate_.requests.empty());
  EXPECT_EQ(calls().size(), 12u);
}

TEST_F(StepExecutorTest, InterruptedMutatingStepNeedsANewApproval) {
  create_run("i");
  const std::map<std::string, std::string> params{{"node", "kind-double-node-worker"}};
  auto first = run(make_run("i", "node-not-ready", params));
  ASSERT_TRUE(first);
  // Pretend the cordon was caught running by a crash.
  std::int64_t cordon = 0;
  for (const auto& s : store_->list_steps("i")) {
    if (s.step == "cordon") {
      cordon = s.id;
    }
  }
  ASSERT_NE(cordon, 0);
  ASSERT_TRUE(store_->transition_step(cordon, {StepState::Succeeded}, StepState::Running, 3));
  EXPECT_EQ(store_->interrupt_running_steps(4).size(), 1u);
  gate_.requests.clear();
  const auto cordons_before = calls().size();
  auto second = run(make_run("i", "node-not-ready", params));
  ASSERT_TRUE(second);
  ASSERT_EQ(gate_.requests.size(), 1u);
  EXPECT_NE(gate_.requests[0].step_id, cordon);  // a new row and a new approval
  EXPECT_EQ(store_->get_step(cordon)->state, StepState::Interrupted);
  int executed = 0;
  const auto c = calls();
  for (std::size_t k = cordons_before; k < c.size(); ++k) {
    executed += c[k][1] == "cordon" && !is_dry(c[k]);
  }
  EXPECT_EQ(executed, 1);
}

TEST_F(StepExecutorTest, AStepFoundRunningIsNotStartedTwice) {
  create_run("busy");
  StepRecord row;
  row.run_id = "busy";
  row.skill = "node-not-ready";
  row.step = "nodes";
  row.seq = 1;
  row.argv = {"kubectl", "get", "nodes"};
  row.state = StepState::Running;
  store_->create_step(row);
  auto r = run(make_run("busy", "node-not-ready", {{"node", "n1"}}));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::Conflict));
  EXPECT_TRUE(calls().empty());
}

/// Records every call the executor makes on its journal, and passes it on to the store's.
class RecordingJournal final : public StepJournal {
 public:
  explicit RecordingJournal(StepJournal& inner) : inner_(inner) {}
  bool has_run(const std::string& run_id) override {
    calls.push_back("has_run " + run_id);
    return inner_.has_run(run_id);
  }
  std::vector<StepEntry> steps(const std::string& run_id) override {
    calls.push_back("steps " + run_id);
    return inner_.steps(run_id);
  }
  StepEntry add_step(StepEntry step) override {
    calls.push_back("add_step " + step.key);
    return inner_.add_step(std::move(step));
  }
  bool transition(const StepEntry& step, StepState from, StepState to) override {
    calls.push_back("transition " + step.key + " " + std::string(to_string(from)) + ">" + std::string(to_string(to)));
    return inner_.transition(step, from, to);
  }
  void finish(const StepEntry& step, const StepEnd& outcome) override {
    calls.push_back("finish " + step.key + " " + std::string(to_string(outcome.state)));
    inner_.finish(step, outcome);
  }
  void record(const StepEvent& event) override {
    calls.push_back("record " + std::string(to_string(event.kind)));
    inner_.record(event);
  }
  void record_execution(const ExecutionRecord& execution) override {
    calls.push_back("record_execution " + execution.key + " by " + execution.approved_by + " " +
                    std::string(to_string(execution.state)));
    inner_.record_execution(execution);
  }
  std::vector<std::string> calls;

 private:
  StepJournal& inner_;
};

// The executor never moves the run (its owner, the run manager, does): it tells that a step
// awaits approval and reports what happened; its journal holds only steps, their timeline rows
// and the record of the approved change.
TEST_F(StepExecutorTest, TheExecutorNeverChangesTheRunsStateAndTellsItsOwnerInstead) {
  create_run("own");
  const auto before = *store_->get_run("own");
  std::vector<std::string> awaiting;
  options_hook_ = [&](ExecutorOptions& o) {
    o.on_awaiting_approval = [&](const std::string& run_id, const std::string& key) {
      awaiting.push_back(run_id + " " + key);
    };
  };
  net::io_context io;
  process::ChildProcess runner(real_clock_, null_logger());
  StoreStepJournal store_journal(*store_, clock_);
  RecordingJournal journal(store_journal);
  StepExecutor ex(journal, runner, gate_, clock_, options(), null_logger());
  std::optional<Result<SkillRunReport>> out;
  spawn(io.get_executor(), drive(ex, make_run("own", "node-not-ready", {{"node", "kind-double-node-worker"}}), out),
        null_logger(), "test");
  while (!out) {
    io.run_for(5ms);
    if (clock_.sleepers() > 0) {
      clock_.advance(60s);
    }
  }
  ASSERT_TRUE(*out) << out->error().detail;
  EXPECT_EQ((*out)->outcome, RunOutcome::Succeeded) << (*out)->message;

  const auto after = *store_->get_run("own");
  EXPECT_EQ(after.state, RunState::Running);
  EXPECT_EQ(after.started_at, before.started_at);
  EXPECT_EQ(after.finished_at, before.finished_at);
  EXPECT_FALSE(after.result.has_value());
  for (const auto& e : store_->list_events("own")) {
    EXPECT_NE(e.kind, "state") << "the executor moved the run: " << e.text;
  }
  EXPECT_EQ(awaiting, std::vector<std::string>{"own cordon"});

  // Around the gate, in order: the step awaits approval, the approval is asked for, the approved
  // step runs exactly once and its execution is recorded.
  const auto& calls = journal.calls;
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.front(), "has_run own");
  const auto at = std::find(calls.begin(), calls.end(), "transition cordon pending>awaiting_approval");
  ASSERT_NE(at, calls.end()) << ::testing::PrintToString(calls);
  ASSERT_GE(calls.end() - at, 8);
  const std::vector<std::string> around(at, at + 8);
  const std::vector<std::string> expected = {
      "transition cordon pending>awaiting_approval",
      "record approval_requested",
      "transition cordon awaiting_approval>running",
      "record approval_approved",
      "record step_started",
      "finish cordon succeeded",
      "record step_finished",
      "record_execution cordon by U_APPROVER succeeded",
  };
  EXPECT_EQ(around, expected);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "record_execution cordon by U_APPROVER succeeded"), 1);
  // The execution record is the audit log's step.executed; no approval row is the executor's.
  int executed = 0;
  for (const auto& a : store_->list_audit("own")) {
    executed += a.action == "step.executed" ? 1 : 0;
    EXPECT_NE(a.action.rfind("approval.", 0), 0u) << a.action << " written without a gate that writes it";
  }
  EXPECT_EQ(executed, 1);
}

}  // namespace
}  // namespace vigil::skills

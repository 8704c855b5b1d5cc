// The database size over a soak with storage.retention on (issue 21, point 3): days of runs with
// their timelines, steps, approvals and audit rows, incidents and webhook deliveries are written
// on a simulated clock that advances an hour at a time; every simulated hour the pruner runs as
// `vigil serve` runs it (prune_aged_rows, at most App::kPruneBatchesPerChore batches of 500 rows).
// The file size (database + WAL) is printed every 10 days: once the longest retention has passed
// it stays flat. The same writes without pruning are run first for the comparison. Bounded: each
// half stops after 30 s of wall time and says how many days it got through.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "bot/core/data_retention.h"
#include "bot/store/store.h"

using namespace vigil;
using WallClock = std::chrono::steady_clock;

namespace {

constexpr long long kHour = 3600;
constexpr long long kDay = 24 * kHour;
constexpr long long kStart = 1'800'000'000;
constexpr int kDays = 30;
constexpr int kRunsPerHour = 2;        // ~50 runs a day
constexpr int kEventsPerRun = 20;      // timeline rows (tool calls, findings, text)
constexpr int kDeliveriesPerHour = 3;  // webhook bodies of ~1.5 KB
constexpr int kBatchesPerChore = 4;    // App::kPruneBatchesPerChore
constexpr auto kWallBudget = std::chrono::seconds(40);
constexpr int kFlatFrom = 15;  // past the longest soak retention (audit, 10 days) with a margin

long long file_bytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : 0;
}

// Short retention so that a bounded soak sees every kind age out: runs 3 days, incidents 5,
// deliveries 1, audit 10 (the defaults are 30/90/7/365 days: the same curve, stretched).
DataRetentionConfig soak_policy() {
  DataRetentionConfig p;
  p.runs = std::chrono::seconds(3 * kDay);
  p.incidents = std::chrono::seconds(5 * kDay);
  p.webhook_deliveries = std::chrono::seconds(1 * kDay);
  p.audit = std::chrono::seconds(10 * kDay);
  p.batch_rows = 500;
  return p;
}

std::string delivery_body(long long n) {
  std::string body = "{\"receiver\":\"vigil\",\"status\":\"firing\",\"alerts\":[{\"labels\":{\"alertname\":\"Soak" +
                     std::to_string(n) + "\"},\"annotations\":{\"description\":\"";
  body.append(1400, 'x');
  return body + "\"}}]}";
}

// One simulated hour of work: an incident every 6 hours, runs with their rows, deliveries.
void write_hour(Store& store, long long now, long long hour) {
  const std::string incident_id = "inc-" + std::to_string(hour / 6);
  if (hour % 6 == 0) {
    IncidentRecord i;
    i.id = incident_id;
    i.title = "Soak incident " + incident_id;
    i.created_at = now;
    (void)store.create_incident(i);
    store.append_incident_event({0, incident_id, now * 1000, "declared", "alertmanager", "declared"});
  }
  for (int r = 0; r < kRunsPerHour; ++r) {
    RunRecord run;
    run.id = "run-" + std::to_string(hour) + "-" + std::to_string(r);
    run.incident_id = incident_id;
    run.trigger_kind = "alert";
    run.trigger_key = run.id;
    run.text = "triage the soak alert";
    run.backend = "runbook";
    run.created_at = now;
    (void)store.create_run(run);
    store.transition_run(run.id, {RunState::Queued}, RunState::Running, now * 1000);
    for (int e = 0; e < kEventsPerRun; ++e) {
      store.append_event(
          {0, run.id, now * 1000 + e, "tool_call", "agent",
           "kubectl get pods -n payments: 3 pods, 1 CrashLoopBackOff (restart " + std::to_string(e) + ")", ""});
    }
    StepRecord step;
    step.run_id = run.id;
    step.step = "diagnose";
    step.seq = 1;
    step.argv = {"kubectl", "get", "pods"};
    const auto step_id = store.create_step(step);
    store.finish_step(step_id, StepState::Succeeded, 0, std::nullopt, std::string(600, 'o'), false, "", now);
    store.append_audit({0, now * 1000, "system", "step.executed", run.id, "", "kubectl get pods"});
    store.transition_run(run.id, {RunState::Running}, RunState::Succeeded, (now + 60) * 1000);
  }
  if (hour % 6 == 5) {
    store.resolve_incident(incident_id, now + 1800);
  }
  for (int d = 0; d < kDeliveriesPerHour; ++d) {
    const auto id = store.record_webhook_delivery("alertmanager", now, delivery_body(hour * 10 + d));
    store.mark_webhook_processed(id, d == 0 ? "failed" : "processed", now);
  }
}

// Returns the days simulated.
int soak(const std::string& path, bool pruning) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto opened = Store::open(path);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message().c_str());
    return 0;
  }
  auto& store = **opened;
  const auto policy = soak_policy();
  const auto started = WallClock::now();
  long long pruned = 0;
  std::printf("  %-4s %9s %9s %12s %8s %8s\n", "day", "db MB", "wal MB", "rows pruned", "runs", "wall s");
  long long flat_from_bytes = 0;
  long long last_bytes = 0;
  int day = 1;
  for (; day <= kDays; ++day) {
    for (int h = 0; h < 24; ++h) {
      const long long hour = (day - 1) * 24LL + h;
      const long long now = kStart + hour * kHour;
      write_hour(store, now, hour);
      if (pruning) {
        pruned += prune_aged_rows(store, policy, now, kBatchesPerChore).deleted.total();
      }
    }
    const double wall = std::chrono::duration<double>(WallClock::now() - started).count();
    const long long db = file_bytes(path);
    const long long wal = file_bytes(path + "-wal");
    last_bytes = db;
    if (day == kFlatFrom) {
      flat_from_bytes = db;
    }
    if (day % 3 == 0 || day == 1) {
      std::printf("  %-4d %9.2f %9.2f %12lld %8zu %8.1f\n", day, static_cast<double>(db) / 1048576.0,
                  static_cast<double>(wal) / 1048576.0, pruned, store.list_runs(1'000'000).size(), wall);
      std::fflush(stdout);
    }
    if (WallClock::now() - started > kWallBudget) {
      std::printf("  (stopped after %d simulated days: the %llds wall budget is spent)\n", day,
                  static_cast<long long>(kWallBudget.count()));
      break;
    }
  }
  if (flat_from_bytes > 0) {
    std::printf("  database file from day %d to day %d: %+.1f%%\n", kFlatFrom, std::min(day, kDays),
                100.0 * static_cast<double>(last_bytes - flat_from_bytes) / static_cast<double>(flat_from_bytes));
  }
  return std::min(day, kDays);
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-soak-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "soak.db").string();
  std::printf(
      "retention soak: %d runs/hour x %d timeline rows, %d webhook deliveries/hour, an incident / 6 h;\n"
      "retention runs 3d, incidents 5d, deliveries 1d, audit 10d; pruned hourly, %d batches of 500\n",
      kRunsPerHour, kEventsPerRun, kDeliveriesPerHour, kBatchesPerChore);
  std::printf("without pruning:\n");
  soak(path, false);
  std::printf("with pruning (storage.retention on):\n");
  soak(path, true);
  std::filesystem::remove_all(dir);
  return 0;
}

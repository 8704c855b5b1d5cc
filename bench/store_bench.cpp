// Store throughput on a real SQLite file (WAL), and on PostgreSQL when VIGIL_BENCH_POSTGRES_DSN
// names an empty database (scripts/bench.sh starts a throwaway server): the writes a busy
// incident makes.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "bot/store/store.h"

using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void measure(Store& store) {
  constexpr int kRuns = 2000;
  constexpr int kEvents = 20000;
  constexpr int kDedup = 20000;

  auto t = Clock::now();
  for (int i = 0; i < kRuns; ++i) {
    RunRecord r;
    r.id = "run-" + std::to_string(i);
    r.trigger_kind = "alert";
    r.trigger_key = "k-" + std::to_string(i);
    r.backend = "runbook";
    r.created_at = 1'800'000'000 + i;
    (void)store.create_run(r);
  }
  std::printf("create_run:            %8.0f /s\n", kRuns / seconds_since(t));

  t = Clock::now();
  for (int i = 0; i < kEvents; ++i) {
    store.append_event(
        {0, "run-" + std::to_string(i % kRuns), 1'800'000'000'000LL + i, "text", "agent", "progress line", ""});
  }
  std::printf("append_event:          %8.0f /s\n", kEvents / seconds_since(t));

  t = Clock::now();
  for (int i = 0; i < kDedup; ++i) {
    store.mark_event_processed("Ev" + std::to_string(i), "events_api", 1'800'000'000);
  }
  std::printf("mark_event_processed:  %8.0f /s\n", kDedup / seconds_since(t));

  t = Clock::now();
  int wins = 0;
  for (int i = 0; i < kRuns; ++i) {
    ApprovalRecord a;
    a.token = "tok-" + std::to_string(i);
    a.run_id = "run-" + std::to_string(i);
    a.argv_hash = "h";
    a.created_at = 1'800'000'000;
    a.expires_at = 1'800'001'800;
    (void)store.create_approval(a);
    wins += store.claim_approval_decision(a.token, Decision::Approve, "U1", "", 1'800'000'001) ? 1 : 0;
    wins += store.claim_approval_decision(a.token, Decision::Approve, "U2", "", 1'800'000'001) ? 1 : 0;
  }
  std::printf("approval create+claim: %8.0f /s (winners %d of %d double clicks)\n", kRuns / seconds_since(t), wins,
              kRuns);
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto opened = Store::open((dir / "bench.db").string());
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message().c_str());
    return 1;
  }
  std::printf("SQLite (%s)\n", (dir / "bench.db").c_str());
  measure(**opened);
  opened->reset();
  if (const char* dsn = std::getenv("VIGIL_BENCH_POSTGRES_DSN"); dsn != nullptr && *dsn != '\0') {
    auto postgres = Store::open_postgres(dsn);
    if (!postgres) {
      std::fprintf(stderr, "%s\n", postgres.error().message().c_str());
      return 1;
    }
    std::printf("PostgreSQL (loopback, a throwaway server, synchronous_commit off)\n");
    measure(**postgres);
  } else {
    std::printf(
        "PostgreSQL: skipped (VIGIL_BENCH_POSTGRES_DSN not set; make bench sets it when postgresql is "
        "installed)\n");
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS:              %8ld KiB\n", ru.ru_maxrss);
  std::filesystem::remove_all(dir);
  return 0;
}

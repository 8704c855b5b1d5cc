// storage.retention: how long each kind of row stays in the database.
#include <gtest/gtest.h>

#include "bot/core/config.h"
#include "bot/core/data_retention.h"

namespace vigil {
namespace {

using std::chrono::seconds;
constexpr long long kDay = 86400;

TEST(ConfigRetention, DefaultsKeepTheAuditLogLongest) {
  const auto load = load_config_text("", "d.yaml", {});
  ASSERT_TRUE(load.ok());
  const auto& r = load.config.storage.retention;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.runs, seconds(30 * kDay));
  EXPECT_EQ(r.incidents, seconds(90 * kDay));
  EXPECT_EQ(r.webhook_deliveries, seconds(7 * kDay));
  EXPECT_EQ(r.audit, seconds(365 * kDay));
  EXPECT_EQ(r.batch_rows, 500);
  EXPECT_EQ(r.every, seconds(3600));
}

TEST(ConfigRetention, EveryKindIsRead) {
  const auto load = load_config_text(
      "storage:\n  retention:\n    runs: 14d\n    incidents: 60d\n    webhook_deliveries: 2d\n    audit: 730d\n"
      "    batch_rows: 200\n    every: 10m\n    enabled: false\n",
      "r.yaml", {});
  ASSERT_TRUE(load.ok()) << load.errors[0].to_string();
  const auto& r = load.config.storage.retention;
  EXPECT_FALSE(r.enabled);
  EXPECT_EQ(r.runs, seconds(14 * kDay));
  EXPECT_EQ(r.incidents, seconds(60 * kDay));
  EXPECT_EQ(r.webhook_deliveries, seconds(2 * kDay));
  EXPECT_EQ(r.audit, seconds(730 * kDay));
  EXPECT_EQ(r.batch_rows, 200);
  EXPECT_EQ(r.every, seconds(600));
  const auto shown = render_config(load.config);
  EXPECT_NE(shown.find("retention:\n    enabled: false\n    runs: 1209600s"), std::string::npos) << shown;
}

TEST(ConfigRetention, BadValuesSayWhereAndWhy) {
  const auto load =
      load_config_text("storage:\n  retention:\n    runs: 1h\n    batch_rows: 0\n    rnus: 3d\n", "b.yaml", {});
  ASSERT_EQ(load.errors.size(), 2u);
  EXPECT_EQ(load.errors[0].to_string(), "b.yaml:3:11: storage.retention.runs: must be at least 86400s");
  EXPECT_EQ(load.errors[1].to_string(), "b.yaml:4:17: storage.retention.batch_rows: must be between 10 and 100000");
  ASSERT_FALSE(load.warnings.empty());
  EXPECT_EQ(load.warnings[0].to_string(), "b.yaml:5:5: storage.retention.rnus: unknown key, did you mean 'runs'?");
}

TEST(ConfigRetention, AnAuditLogKeptShorterThanWhatItAuditsIsAWarning) {
  const auto load = load_config_text("storage:\n  retention:\n    runs: 30d\n    audit: 7d\n", "a.yaml", {});
  EXPECT_TRUE(load.ok());
  ASSERT_EQ(load.warnings.size(), 1u);
  EXPECT_EQ(load.warnings[0].to_string(),
            "a.yaml:4:12: storage.retention.audit: is shorter than another kind's retention: the audit log "
            "outlives what it audits only when it is kept longest");
}

TEST(DataRetention, CutoffsAreNowMinusEachKindsRetention) {
  DataRetentionConfig policy;
  const long long now = 1'800'000'000;
  const auto c = retention_cutoffs(policy, now);
  EXPECT_EQ(c.runs_before, now - 30 * kDay);
  EXPECT_EQ(c.incidents_before, now - 90 * kDay);
  EXPECT_EQ(c.deliveries_before, now - 7 * kDay);
  EXPECT_EQ(c.audit_before, now - 365 * kDay);
}

TEST(DataRetention, CountsArePrintedOnePerKindWithATotal) {
  PruneCounts c;
  c.runs = 2;
  c.run_events = 40;
  c.webhook_deliveries = 3;
  EXPECT_EQ(format_prune_counts(c),
            "run_events: 40\napprovals: 0\nsteps: 0\nruns: 2\nincident_events: 0\nincidents: 0\n"
            "webhook_deliveries: 3\naudit: 0\ntotal: 45\n");
}

}  // namespace
}  // namespace vigil

// The metric catalogue: every family follows Prometheus' naming rules
// (https://prometheus.io/docs/practices/naming/, and what `promtool check metrics` lints), renders
// with its # HELP and # TYPE, and is documented in README's metrics table.
#include "bot/base/metric_catalog.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "bot/base/metrics.h"
#include "tests/support/metrics_check.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

// snake_case: lower-case words of letters and digits joined by single underscores, a letter first.
bool snake_case(std::string_view name) {
  if (name.empty() || name.front() < 'a' || name.front() > 'z' || name.back() == '_' ||
      name.find("__") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

bool ends_with_token(std::string_view name, std::string_view token) {
  return name.ends_with("_" + std::string(token));
}

std::set<std::string> tokens(std::string_view name) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = name.find('_', start);
    if (end == std::string_view::npos) {
      end = name.size();
    }
    out.emplace(name.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(MetricCatalog, SnakeCaseIsWhatPrometheusLintsFor) {
  for (const char* good : {"vigil_runs", "error_type", "le", "vigil_socket_ack_seconds"}) {
    EXPECT_TRUE(snake_case(good)) << good;
  }
  for (const char* bad :
       {"", "vigilRuns", "Vigil_runs", "vigil__runs", "vigil_runs_", "_vigil", "vigil:runs", "1vigil", "vigil-runs"}) {
    EXPECT_FALSE(snake_case(bad)) << bad;
  }
}

TEST(MetricCatalog, NamesFollowThePrometheusConventions) {
  std::set<std::string_view> names;
  for (const auto& f : kMetricCatalog) {
    SCOPED_TRACE(std::string(f.name));
    const std::string name(f.name);
    EXPECT_TRUE(names.insert(f.name).second) << "catalogued twice";
    EXPECT_TRUE(snake_case(name)) << "snake_case, no colons";
    if (f.kept_name) {
      EXPECT_TRUE(name.starts_with("agent_runtime_")) << "only the earlier runtime's names are kept";
    } else {
      EXPECT_TRUE(name.starts_with("vigil_")) << "the application prefix";
    }
    EXPECT_EQ(f.type == MetricType::Counter, name.ends_with("_total")) << "_total on counters, only on counters";
    for (const char* reserved : {"_count", "_sum", "_bucket"}) {
      EXPECT_FALSE(name.ends_with(reserved)) << "a histogram's own series end in " << reserved;
    }
    const auto words = tokens(name);
    for (const char* type : {"counter", "gauge", "histogram", "summary", "untyped"}) {
      EXPECT_FALSE(words.count(type)) << "the type is not part of the name";
    }
    // Base units only, spelled out, as the last word (before _total).
    for (const char* unit :
         {"ms",   "us",        "ns",        "sec",          "secs",         "min",         "mins",    "hrs",
          "kb",   "mb",        "gb",        "milliseconds", "microseconds", "nanoseconds", "minutes", "hours",
          "days", "kilobytes", "megabytes", "gigabytes",    "bits",         "percent"}) {
      EXPECT_FALSE(words.count(unit)) << "a unit that is not a base unit or is abbreviated: " << unit;
    }
    const std::string_view base = f.type == MetricType::Counter ? f.name.substr(0, f.name.size() - 6) : f.name;
    EXPECT_TRUE(f.unit.empty() || f.unit == "seconds" || f.unit == "bytes") << f.unit;
    if (!f.unit.empty()) {
      EXPECT_TRUE(ends_with_token(base, f.unit)) << "the unit is the name's suffix";
    } else {
      EXPECT_FALSE(words.count("seconds") || words.count("bytes")) << "a name with a unit catalogues it";
    }
    // The help is one sentence people can read on a dashboard.
    EXPECT_FALSE(f.help.empty());
    EXPECT_TRUE(f.help.ends_with(".")) << f.help;
    EXPECT_EQ(f.help.find('\n'), std::string_view::npos);
    std::set<std::string> labels;
    for (const auto& label : test::catalogued_labels(f)) {
      EXPECT_TRUE(snake_case(label)) << label;
      EXPECT_NE(label, "le") << "reserved for buckets";
      EXPECT_NE(label, "quantile") << "reserved for summaries";
      EXPECT_TRUE(labels.insert(label).second) << "label twice: " << label;
    }
  }
  // No family's series can be taken for another's (x_count of histogram x next to a family x_count).
  for (const auto& f : kMetricCatalog) {
    if (f.type == MetricType::Histogram) {
      for (const char* suffix : {"_count", "_sum", "_bucket"}) {
        EXPECT_FALSE(names.count(std::string(f.name) + suffix)) << f.name << suffix;
      }
    }
  }
}

TEST(MetricCatalog, HistogramBucketsIncreaseAndCoverWhatTheyMeasure) {
  for (const auto& f : kMetricCatalog) {
    SCOPED_TRACE(std::string(f.name));
    if (f.type != MetricType::Histogram) {
      EXPECT_TRUE(f.buckets.empty()) << "only histograms have buckets";
      continue;
    }
    const auto bounds = f.buckets.empty() ? std::span<const double>(kLatencyBuckets) : f.buckets;
    ASSERT_FALSE(bounds.empty());
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      EXPECT_TRUE(std::isfinite(bounds[i]) && bounds[i] > 0) << bounds[i] << ": +Inf is added by the registry";
      if (i > 0) {
        EXPECT_LT(bounds[i - 1], bounds[i]);
      }
    }
  }
  // Acks are measured against Slack's 3 s and our 2 ms target: the first bucket is 100 µs.
  Metrics m;
  m.observe("vigil_socket_ack_seconds", 0.00005);
  EXPECT_EQ(m.histogram("vigil_socket_ack_seconds").counts.front(), 1u);
  // Runs take minutes (an approval may wait 30): a 40-minute run is told from a 20-minute one, and
  // from one over an hour, instead of all landing in +Inf past 10 s.
  for (const char* state : {"succeeded", "succeeded", "failed"}) {
    m.observe("vigil_run_duration_seconds", {{"state", state}}, std::string(state) == "failed" ? 4000 : 1200);
  }
  m.observe("vigil_run_duration_seconds", {{"state", "succeeded"}}, 2400);
  const auto runs = m.histogram("vigil_run_duration_seconds", {{"state", "succeeded"}});
  EXPECT_EQ(runs.bounds.back(), 7200);
  EXPECT_DOUBLE_EQ(runs.quantile(0.5), 1200);
  EXPECT_DOUBLE_EQ(runs.quantile(1), 2400);
  EXPECT_EQ(m.histogram("vigil_run_duration_seconds", {{"state", "failed"}}).counts.back(), 1u);
  const auto text = m.render();
  EXPECT_NE(text.find("vigil_run_duration_seconds_bucket{state=\"succeeded\",le=\"1800\"} 2\n"
                      "vigil_run_duration_seconds_bucket{state=\"succeeded\",le=\"2700\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vigil_run_duration_seconds_bucket{state=\"failed\",le=\"3600\"} 0\n"
                      "vigil_run_duration_seconds_bucket{state=\"failed\",le=\"7200\"} 1\n"),
            std::string::npos)
      << text;
  const auto agents = m.histogram("agent_runtime_duration_seconds");
  EXPECT_TRUE(agents.bounds.empty()) << "no series yet";
  m.observe("agent_runtime_duration_seconds", {{"cluster", "c"}, {"status", "succeeded"}}, 1);
  EXPECT_EQ(m.histogram("agent_runtime_duration_seconds", {{"cluster", "c"}, {"status", "succeeded"}}).bounds,
            std::vector<double>(std::begin(kRunBuckets), std::end(kRunBuckets)));
}

TEST(MetricCatalog, EveryFamilyRendersWithItsHelpTypeAndLabels) {
  Metrics m;
  test::record_every_family(m);
  const auto text = m.render();
  EXPECT_EQ(test::exposition_problems(text), std::vector<std::string>{}) << text;
  for (const auto& f : kMetricCatalog) {
    std::string help = "# HELP " + std::string(f.name) + " " + std::string(f.help) + "\n# TYPE " + std::string(f.name);
    EXPECT_NE(text.find(help), std::string::npos) << f.name << "\n" << text;
  }
  EXPECT_EQ(test::families_with_samples(text).size(), kMetricFamilies);
}

TEST(MetricCatalog, TheExpositionCheckCatchesWhatTheCatalogueForbids) {
  // Names cannot be recorded outside the catalogue (that does not compile: see the ctest
  // metrics.uncatalogued_name_does_not_compile); this is the check the /metrics tests apply to the
  // text, shown catching each kind of mistake.
  const auto problems = [](const std::string& text) { return test::exposition_problems(text).size(); };
  EXPECT_EQ(problems("vigil_socket_brand_new_total 1\n"), 1u);
  EXPECT_EQ(problems("# TYPE vigil_socket_brand_new_total counter\nvigil_socket_brand_new_total 1\n"), 2u);
  EXPECT_EQ(problems("# TYPE vigil_socket_duplicates_total counter\nvigil_socket_duplicates_total 1\n"), 1u)
      << "no # HELP";
  EXPECT_EQ(problems("# HELP vigil_socket_duplicates_total x\n# TYPE vigil_socket_duplicates_total gauge\n"
                     "vigil_socket_duplicates_total 1\n"),
            1u)
      << "wrong type";
  EXPECT_EQ(problems("# HELP vigil_runs x\n# TYPE vigil_runs gauge\nvigil_runs{phase=\"queued\"} 1\n"), 1u)
      << "uncatalogued label";
  EXPECT_EQ(problems("# HELP vigil_runs x\n# TYPE vigil_runs gauge\nvigil_runs{state=\"queued\"} 1\n"), 0u);
}

TEST(MetricCatalog, ReadmeDocumentsEveryFamily) {
  const auto readme = test::read_file(test::test_data_dir().parent_path() / "README.md");
  for (const auto& f : kMetricCatalog) {
    EXPECT_NE(readme.find("| `" + std::string(f.name) + "` |"), std::string::npos)
        << f.name << " is missing from README.md's metrics table";
  }
}

}  // namespace
}  // namespace vigil

#pragma once

// Checks of a /metrics text against the metric catalogue (bot/base/metric_catalog.h), and the real
// `promtool check metrics` (Debian's prometheus package) where it is installed.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/metrics.h"
#include "tests/support/test_paths.h"

namespace vigil::test {

/// The label names of a catalogue entry ("cluster status" → {"cluster", "status"}).
std::vector<std::string> catalogued_labels(const MetricFamily& family);

/// Records one sample in every catalogued family, with its catalogued labels.
void record_every_family(Metrics& metrics);

/// What is wrong with a Prometheus text exposition as Vigil's: a family that is not in the
/// catalogue, without `# HELP` and `# TYPE` before its samples or with other ones than catalogued,
/// declared twice, or a sample whose label names are not the catalogued ones. Empty: nothing.
std::vector<std::string> exposition_problems(const std::string& text);

/// The families that have samples in `text`.
std::vector<std::string> families_with_samples(const std::string& text);

/// `promtool` on PATH (Debian's prometheus package), if installed.
std::optional<std::filesystem::path> find_promtool();

/// `promtool check metrics` with `text` on stdin: exit code, and its stdout and stderr together
/// (the lint findings; nothing when the text is clean).
ProcessOutput promtool_check_metrics(const std::filesystem::path& promtool, const std::string& text);

constexpr const char* kPromtoolMissing =
    "promtool not installed (Debian package prometheus; scripts/bootstrap.sh peers installs it)";

}  // namespace vigil::test

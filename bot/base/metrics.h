#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vigil {

/// A small metrics registry: labelled counters, gauges and histograms, rendered in the Prometheus
/// text format by the /metrics endpoint. Thread-safe (the emulator and benchmarks read it from
/// other threads); cheap enough for the per-envelope path.
class Metrics {
 public:
  /// Label name → value, in the order they are rendered.
  using Labels = std::vector<std::pair<std::string, std::string>>;

  /// Adds `by` to counter `name` with one label (`label_value` empty: no label).
  void inc(const std::string& name, const std::string& label_name = "",
           const std::string& label_value = "", double by = 1);
  void inc(const std::string& name, const Labels& labels, double by = 1);
  /// Sets gauge `name` (one series per label set) to `value`.
  void set(const std::string& name, const std::string& label_name, const std::string& label_value,
           double value);
  void set(const std::string& name, const Labels& labels, double value);
  /// Adds `by` (may be negative) to gauge `name`.
  void add(const std::string& name, const Labels& labels, double by);
  /// Records one observation (seconds) in histogram `name`.
  void observe(const std::string& name, double value);
  void observe(const std::string& name, const Labels& labels, double value);
  /// The `# HELP` text of a metric.
  void describe(const std::string& name, const std::string& help);

  double counter(const std::string& name, const std::string& label_name = "",
                 const std::string& label_value = "") const;
  double counter(const std::string& name, const Labels& labels) const;
  double gauge(const std::string& name, const Labels& labels = {}) const;
  struct HistogramSnapshot {
    std::vector<double> bounds;           // upper bounds (le)
    std::vector<unsigned long long> counts;  // cumulative per bound
    unsigned long long count = 0;
    double sum = 0;
    double max = 0;
    /// An estimate of quantile q (0..1) from the buckets (upper bound of the bucket).
    double quantile(double q) const;
  };
  /// The series of `name` with `labels` (none: the unlabelled series).
  HistogramSnapshot histogram(const std::string& name, const Labels& labels = {}) const;

  /// Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<unsigned long long> buckets;  // not cumulative
    unsigned long long count = 0;
    double sum = 0;
    double max = 0;
  };
  void observe_locked(const std::string& name, const std::string& key, double value);

  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, double>> counters_;  // name → "label=\"v\"" → value
  std::map<std::string, std::map<std::string, double>> gauges_;
  std::map<std::string, std::map<std::string, Histogram>> histograms_;
  std::map<std::string, std::string> help_;
};

}  // namespace vigil

#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vigil {

/// A small metrics registry: labelled counters and histograms, rendered in the Prometheus text
/// format by a later /metrics endpoint. Thread-safe (the emulator and benchmarks read it from
/// other threads); cheap enough for the per-envelope path.
class Metrics {
 public:
  /// Adds `by` to counter `name` with one label (`label_value` empty: no label).
  void inc(const std::string& name, const std::string& label_name = "",
           const std::string& label_value = "", double by = 1);
  /// Records one observation (seconds) in histogram `name`.
  void observe(const std::string& name, double value);

  double counter(const std::string& name, const std::string& label_name = "",
                 const std::string& label_value = "") const;
  struct HistogramSnapshot {
    std::vector<double> bounds;           // upper bounds (le)
    std::vector<unsigned long long> counts;  // cumulative per bound
    unsigned long long count = 0;
    double sum = 0;
    double max = 0;
    /// An estimate of quantile q (0..1) from the buckets (upper bound of the bucket).
    double quantile(double q) const;
  };
  HistogramSnapshot histogram(const std::string& name) const;

  /// Prometheus text exposition format.
  std::string render() const;

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<unsigned long long> buckets;  // not cumulative
    unsigned long long count = 0;
    double sum = 0;
    double max = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, double>> counters_;  // name → "label=\"v\"" → value
  std::map<std::string, Histogram> histograms_;
};

}  // namespace vigil

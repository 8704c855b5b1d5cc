#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bot/base/metric_catalog.h"

namespace vigil {

/// A small metrics registry: labelled counters, gauges and histograms, rendered in the Prometheus
/// text format by the /metrics endpoint. Every family is one of bot/base/metric_catalog.h, named by
/// a string literal the compiler checks against it, so each rendered family has its `# HELP` and
/// `# TYPE`. Thread-safe (the emulator and benchmarks read it from other threads); cheap enough for
/// the per-envelope path (the family is found by index, not by name).
class Metrics {
 public:
  /// Label name → value, in the order they are rendered.
  using Labels = std::vector<std::pair<std::string, std::string>>;

  /// Adds `by` to counter `name` with one label (`label_value` empty: no label).
  void inc(CounterName name, const std::string& label_name = "", const std::string& label_value = "", double by = 1);
  void inc(CounterName name, const Labels& labels, double by = 1);
  /// Sets gauge `name` (one series per label set) to `value`.
  void set(GaugeName name, const std::string& label_name, const std::string& label_value, double value);
  void set(GaugeName name, const Labels& labels, double value);
  /// Adds `by` (may be negative) to gauge `name`.
  void add(GaugeName name, const Labels& labels, double by);
  /// Records one observation in histogram `name` (buckets from its catalogue entry).
  void observe(HistogramName name, double value);
  void observe(HistogramName name, const Labels& labels, double value);

  /// With `label_name` empty: the sum over every series of the counter.
  double counter(CounterName name, const std::string& label_name = "", const std::string& label_value = "") const;
  double counter(CounterName name, const Labels& labels) const;
  double gauge(GaugeName name, const Labels& labels = {}) const;
  struct HistogramSnapshot {
    std::vector<double> bounds;              // upper bounds (le)
    std::vector<unsigned long long> counts;  // cumulative per bound
    unsigned long long count = 0;
    double sum = 0;
    double max = 0;
    /// An estimate of quantile q (0..1) from the buckets (upper bound of the bucket).
    double quantile(double q) const;
  };
  /// The series of `name` with `labels` (none: the unlabelled series).
  HistogramSnapshot histogram(HistogramName name, const Labels& labels = {}) const;

  /// Prometheus text exposition format (version 0.0.4), families in catalogue order. A family
  /// appears once it has a series; a counter or histogram without labels is there from the start
  /// (at zero), so a rate or an alert on it sees 0 rather than no data.
  std::string render() const;

 private:
  struct Histogram {
    std::vector<unsigned long long> buckets;  // not cumulative, one per catalogue bound
    unsigned long long count = 0;
    double sum = 0;
    double max = 0;
  };
  struct Family {
    std::map<std::string, double> values;         // counters, gauges: "label=\"v\",…" → value
    std::map<std::string, Histogram> histograms;  // histograms: the same key → series
  };
  void observe_locked(std::size_t family, const std::string& key, double value);

  mutable std::mutex mutex_;
  std::array<Family, kMetricFamilies> families_;
};

}  // namespace vigil

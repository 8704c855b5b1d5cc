#include "bot/base/metrics.h"

#include <algorithm>
#include <sstream>

namespace vigil {
namespace {

// Seconds: 100 µs … 10 s, enough resolution for ack latency (target p99 < 2 ms).
const std::vector<double>& default_bounds() {
  static const std::vector<double> kBounds{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01,
                                           0.025,  0.05,    0.1,    0.25,  0.5,   1,     2.5,
                                           5,      10};
  return kBounds;
}

std::string label_key(const std::string& name, const std::string& value) {
  if (name.empty()) {
    return {};
  }
  std::string escaped;
  for (char c : value) {
    if (c == '"' || c == '\\') {
      escaped += '\\';
    }
    escaped += c == '\n' ? ' ' : c;
  }
  return name + "=\"" + escaped + "\"";
}

}  // namespace

void Metrics::inc(const std::string& name, const std::string& label_name,
                  const std::string& label_value, double by) {
  std::lock_guard lock(mutex_);
  counters_[name][label_key(label_name, label_value)] += by;
}

void Metrics::observe(const std::string& name, double value) {
  std::lock_guard lock(mutex_);
  auto& h = histograms_[name];
  if (h.bounds.empty()) {
    h.bounds = default_bounds();
    h.buckets.assign(h.bounds.size(), 0);
  }
  const auto it = std::lower_bound(h.bounds.begin(), h.bounds.end(), value);
  if (it != h.bounds.end()) {
    ++h.buckets[static_cast<std::size_t>(it - h.bounds.begin())];
  }
  ++h.count;
  h.sum += value;
  h.max = std::max(h.max, value);
}

double Metrics::counter(const std::string& name, const std::string& label_name,
                        const std::string& label_value) const {
  std::lock_guard lock(mutex_);
  const auto c = counters_.find(name);
  if (c == counters_.end()) {
    return 0;
  }
  if (label_name.empty()) {
    double total = 0;
    for (const auto& [k, v] : c->second) {
      total += v;
    }
    return total;
  }
  const auto v = c->second.find(label_key(label_name, label_value));
  return v == c->second.end() ? 0 : v->second;
}

Metrics::HistogramSnapshot Metrics::histogram(const std::string& name) const {
  std::lock_guard lock(mutex_);
  HistogramSnapshot s;
  const auto it = histograms_.find(name);
  if (it == histograms_.end()) {
    return s;
  }
  s.bounds = it->second.bounds;
  unsigned long long running = 0;
  for (auto b : it->second.buckets) {
    running += b;
    s.counts.push_back(running);
  }
  s.count = it->second.count;
  s.sum = it->second.sum;
  s.max = it->second.max;
  return s;
}

double Metrics::HistogramSnapshot::quantile(double q) const {
  if (count == 0) {
    return 0;
  }
  const auto wanted = static_cast<unsigned long long>(q * static_cast<double>(count) + 0.5);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] >= std::max<unsigned long long>(wanted, 1)) {
      return std::min(bounds[i], max);
    }
  }
  return max;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, series] : counters_) {
    out << "# TYPE " << name << " counter\n";
    for (const auto& [labels, value] : series) {
      out << name << (labels.empty() ? "" : "{" + labels + "}") << " " << value << "\n";
    }
  }
  for (const auto& [name, h] : histograms_) {
    out << "# TYPE " << name << " histogram\n";
    unsigned long long running = 0;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
      running += h.buckets[i];
      out << name << "_bucket{le=\"" << h.bounds[i] << "\"} " << running << "\n";
    }
    out << name << "_bucket{le=\"+Inf\"} " << h.count << "\n";
    out << name << "_sum " << h.sum << "\n" << name << "_count " << h.count << "\n";
  }
  return out.str();
}

}  // namespace vigil

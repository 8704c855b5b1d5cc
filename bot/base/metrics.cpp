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

std::string labels_key(const Metrics::Labels& labels) {
  std::string key;
  for (const auto& [n, v] : labels) {
    if (n.empty()) {
      continue;
    }
    if (!key.empty()) {
      key += ',';
    }
    key += label_key(n, v);
  }
  return key;
}

std::string escape_help(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Metrics::inc(const std::string& name, const std::string& label_name,
                  const std::string& label_value, double by) {
  std::lock_guard lock(mutex_);
  counters_[name][label_key(label_name, label_value)] += by;
}

void Metrics::inc(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mutex_);
  counters_[name][labels_key(labels)] += by;
}

void Metrics::set(const std::string& name, const std::string& label_name,
                  const std::string& label_value, double value) {
  std::lock_guard lock(mutex_);
  gauges_[name][label_key(label_name, label_value)] = value;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  gauges_[name][labels_key(labels)] = value;
}

void Metrics::add(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mutex_);
  gauges_[name][labels_key(labels)] += by;
}

void Metrics::describe(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  help_[name] = help;
}

void Metrics::observe(const std::string& name, double value) {
  std::lock_guard lock(mutex_);
  observe_locked(name, "", value);
}

void Metrics::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  observe_locked(name, labels_key(labels), value);
}

void Metrics::observe_locked(const std::string& name, const std::string& key, double value) {
  auto& h = histograms_[name][key];
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

double Metrics::counter(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  const auto c = counters_.find(name);
  if (c == counters_.end()) {
    return 0;
  }
  const auto v = c->second.find(labels_key(labels));
  return v == c->second.end() ? 0 : v->second;
}

double Metrics::gauge(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  const auto g = gauges_.find(name);
  if (g == gauges_.end()) {
    return 0;
  }
  const auto v = g->second.find(labels_key(labels));
  return v == g->second.end() ? 0 : v->second;
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

Metrics::HistogramSnapshot Metrics::histogram(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  HistogramSnapshot s;
  const auto family = histograms_.find(name);
  if (family == histograms_.end()) {
    return s;
  }
  const auto it = family->second.find(labels_key(labels));
  if (it == family->second.end()) {
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
  const auto header = [&](const std::string& name, const char* type) {
    const auto h = help_.find(name);
    if (h != help_.end()) {
      out << "# HELP " << name << " " << escape_help(h->second) << "\n";
    }
    out << "# TYPE " << name << " " << type << "\n";
  };
  const auto series = [&](const char* type,
                          const std::map<std::string, std::map<std::string, double>>& family) {
    for (const auto& [name, values] : family) {
      header(name, type);
      for (const auto& [labels, value] : values) {
        out << name << (labels.empty() ? "" : "{" + labels + "}") << " " << value << "\n";
      }
    }
  };
  series("counter", counters_);
  series("gauge", gauges_);
  for (const auto& [name, family] : histograms_) {
    header(name, "histogram");
    for (const auto& [labels, h] : family) {
      const std::string prefix = labels.empty() ? "" : labels + ",";
      const std::string suffix = labels.empty() ? "" : "{" + labels + "}";
      unsigned long long running = 0;
      for (std::size_t i = 0; i < h.bounds.size(); ++i) {
        running += h.buckets[i];
        out << name << "_bucket{" << prefix << "le=\"" << h.bounds[i] << "\"} " << running << "\n";
      }
      out << name << "_bucket{" << prefix << "le=\"+Inf\"} " << h.count << "\n";
      out << name << "_sum" << suffix << " " << h.sum << "\n"
          << name << "_count" << suffix << " " << h.count << "\n";
    }
  }
  return out.str();
}

}  // namespace vigil

#include "bot/base/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace vigil {
namespace {

std::span<const double> bounds_of(const MetricFamily& family) {
  return family.buckets.empty() ? std::span<const double>(kLatencyBuckets) : family.buckets;
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

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// A value as Prometheus reads it, exactly: a whole number in digits, else the shortest text that
// gives the same double back (a stream's default 6 digits made a counter of 1234567 1.23457e+06),
// and +Inf, -Inf, NaN.
void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  const auto r = std::trunc(value) == value && std::fabs(value) < 1e15
                     ? std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value))
                     : std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general);
  out.append(buf, r.ptr);
}

void append_number(std::string& out, unsigned long long value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

const char* type_name(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void Metrics::inc(CounterName name, const std::string& label_name, const std::string& label_value, double by) {
  std::lock_guard lock(mutex_);
  families_[name.index()].values[label_key(label_name, label_value)] += by;
}

void Metrics::inc(CounterName name, const Labels& labels, double by) {
  std::lock_guard lock(mutex_);
  families_[name.index()].values[labels_key(labels)] += by;
}

void Metrics::set(GaugeName name, const std::string& label_name, const std::string& label_value, double value) {
  std::lock_guard lock(mutex_);
  families_[name.index()].values[label_key(label_name, label_value)] = value;
}

void Metrics::set(GaugeName name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  families_[name.index()].values[labels_key(labels)] = value;
}

void Metrics::add(GaugeName name, const Labels& labels, double by) {
  std::lock_guard lock(mutex_);
  families_[name.index()].values[labels_key(labels)] += by;
}

void Metrics::observe(HistogramName name, double value) {
  std::lock_guard lock(mutex_);
  observe_locked(name.index(), std::string(), value);
}

void Metrics::observe(HistogramName name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  observe_locked(name.index(), labels_key(labels), value);
}

void Metrics::observe_locked(std::size_t family, const std::string& key, double value) {
  const auto bounds = bounds_of(kMetricCatalog[family]);
  auto& h = families_[family].histograms[key];
  if (h.buckets.empty()) {
    h.buckets.assign(bounds.size(), 0);
  }
  const auto it = std::lower_bound(bounds.begin(), bounds.end(), value);
  if (it != bounds.end()) {
    ++h.buckets[static_cast<std::size_t>(it - bounds.begin())];
  }
  ++h.count;
  h.sum += value;
  h.max = std::max(h.max, value);
}

double Metrics::counter(CounterName name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  const auto& values = families_[name.index()].values;
  const auto v = values.find(labels_key(labels));
  return v == values.end() ? 0 : v->second;
}

double Metrics::gauge(GaugeName name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  const auto& values = families_[name.index()].values;
  const auto v = values.find(labels_key(labels));
  return v == values.end() ? 0 : v->second;
}

double Metrics::counter(CounterName name, const std::string& label_name, const std::string& label_value) const {
  std::lock_guard lock(mutex_);
  const auto& values = families_[name.index()].values;
  if (label_name.empty()) {
    double total = 0;
    for (const auto& [k, v] : values) {
      total += v;
    }
    return total;
  }
  const auto v = values.find(label_key(label_name, label_value));
  return v == values.end() ? 0 : v->second;
}

Metrics::HistogramSnapshot Metrics::histogram(HistogramName name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  HistogramSnapshot s;
  const auto& series = families_[name.index()].histograms;
  const auto it = series.find(labels_key(labels));
  if (it == series.end()) {
    return s;
  }
  const auto bounds = bounds_of(name.family());
  s.bounds.assign(bounds.begin(), bounds.end());
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
  std::string out;
  const auto sample = [&out](std::string_view name, std::string_view suffix, const std::string& labels, auto value) {
    out += name;
    out += suffix;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    out += ' ';
    append_number(out, value);
    out += '\n';
  };
  for (std::size_t i = 0; i < kMetricFamilies; ++i) {
    const MetricFamily& family = kMetricCatalog[i];
    const Family& state = families_[i];
    const bool histogram = family.type == MetricType::Histogram;
    const bool empty = histogram ? state.histograms.empty() : state.values.empty();
    // Nothing happened yet: a counter or histogram without labels says 0; the rest wait.
    const bool zero = empty && family.labels.empty() && family.type != MetricType::Gauge;
    if (empty && !zero) {
      continue;
    }
    out += "# HELP ";
    out += family.name;
    out += ' ';
    append_help(out, family.help);
    out += "\n# TYPE ";
    out += family.name;
    out += ' ';
    out += type_name(family.type);
    out += '\n';
    if (!histogram) {
      if (zero) {
        sample(family.name, "", std::string(), 0.0);
      }
      for (const auto& [labels, value] : state.values) {
        sample(family.name, "", labels, value);
      }
      continue;
    }
    const auto bounds = bounds_of(family);
    const auto histogram_series = [&](const std::string& labels, const Histogram* h) {
      const std::string prefix = labels.empty() ? "" : labels + ",";
      unsigned long long running = 0;
      for (std::size_t b = 0; b < bounds.size(); ++b) {
        running += h == nullptr ? 0 : h->buckets[b];
        std::string le = prefix + "le=\"";
        append_number(le, bounds[b]);
        le += '"';
        sample(family.name, "_bucket", le, running);
      }
      const unsigned long long count = h == nullptr ? 0 : h->count;
      sample(family.name, "_bucket", prefix + "le=\"+Inf\"", count);
      sample(family.name, "_sum", labels, h == nullptr ? 0.0 : h->sum);
      sample(family.name, "_count", labels, count);
    };
    if (zero) {
      histogram_series(std::string(), nullptr);
    }
    for (const auto& [labels, h] : state.histograms) {
      histogram_series(labels, &h);
    }
  }
  return out;
}

}  // namespace vigil

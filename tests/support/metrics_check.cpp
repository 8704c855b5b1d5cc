#include "tests/support/metrics_check.h"

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace vigil::test {
namespace {

const MetricFamily* catalogued(std::string_view name) {
  for (const auto& f : kMetricCatalog) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
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

Metrics::Labels sample_labels(const MetricFamily& family) {
  Metrics::Labels labels;
  for (const auto& name : catalogued_labels(family)) {
    labels.emplace_back(name, "sample");
  }
  return labels;
}

template <std::size_t I>
void record_one(Metrics& m) {
  constexpr const MetricFamily& family = kMetricCatalog[I];
  const auto labels = sample_labels(family);
  if constexpr (family.type == MetricType::Counter) {
    m.inc(CounterName(family.name.data()), labels);
  } else if constexpr (family.type == MetricType::Gauge) {
    m.set(GaugeName(family.name.data()), labels, 1);
  } else {
    m.observe(HistogramName(family.name.data()), labels, 0.5);
  }
}

template <std::size_t... I>
void record_all(Metrics& m, std::index_sequence<I...>) {
  (record_one<I>(m), ...);
}

struct Sample {
  std::string name;
  std::vector<std::string> label_names;
};

// "name{a=\"x\",b=\"y\"} 1" → name and label names; nullopt when the line is not shaped so.
std::optional<Sample> parse_sample(const std::string& line) {
  Sample s;
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') {
    ++i;
  }
  s.name = line.substr(0, i);
  if (s.name.empty() || i == line.size()) {
    return std::nullopt;
  }
  if (line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const auto eq = line.find("=\"", i);
      if (eq == std::string::npos) {
        return std::nullopt;
      }
      s.label_names.push_back(line.substr(i, eq - i));
      i = eq + 2;
      while (i < line.size() && line[i] != '"') {
        i += line[i] == '\\' ? 2 : 1;
      }
      if (i >= line.size()) {
        return std::nullopt;
      }
      ++i;  // the closing quote
      if (i < line.size() && line[i] == ',') {
        ++i;
      }
    }
    if (i >= line.size()) {
      return std::nullopt;
    }
    ++i;  // }
  }
  if (i >= line.size() || line[i] != ' ' || i + 1 == line.size()) {
    return std::nullopt;
  }
  return s;
}

}  // namespace

std::vector<std::string> catalogued_labels(const MetricFamily& family) {
  std::vector<std::string> out;
  std::istringstream in{std::string(family.labels)};
  for (std::string name; in >> name;) {
    out.push_back(name);
  }
  return out;
}

void record_every_family(Metrics& metrics) {
  record_all(metrics, std::make_index_sequence<kMetricFamilies>());
}

std::vector<std::string> exposition_problems(const std::string& text) {
  std::vector<std::string> problems;
  std::set<std::string> helped, typed;
  std::istringstream in(text);
  if (!text.empty() && text.back() != '\n') {
    problems.push_back("no newline at the end");
  }
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const bool help = line[2] == 'H';
      const auto rest = line.substr(7);
      const auto space = rest.find(' ');
      const auto name = rest.substr(0, space);
      const auto value = space == std::string::npos ? "" : rest.substr(space + 1);
      const auto* family = catalogued(name);
      if (family == nullptr) {
        problems.push_back("not in the metric catalogue: " + line);
        continue;
      }
      auto& seen = help ? helped : typed;
      if (!seen.insert(name).second) {
        problems.push_back("declared twice: " + line);
      }
      if (!help && value != type_name(family->type)) {
        problems.push_back("not the catalogued type (" + std::string(type_name(family->type)) + "): " + line);
      }
      if (help && value.empty()) {
        problems.push_back("empty help: " + line);
      }
      continue;
    }
    if (line.rfind('#', 0) == 0) {
      continue;
    }
    const auto sample = parse_sample(line);
    if (!sample) {
      problems.push_back("not a sample: " + line);
      continue;
    }
    std::string name = sample->name;
    const MetricFamily* family = catalogued(name);
    bool bucket = false;
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (family == nullptr && name.ends_with(suffix)) {
        const auto* base = catalogued(name.substr(0, name.size() - suffix.size()));
        if (base != nullptr && base->type == MetricType::Histogram) {
          family = base;
          bucket = suffix == "_bucket";
          name = std::string(base->name);
        }
      }
    }
    if (family == nullptr) {
      problems.push_back("sample of a family not in the metric catalogue: " + line);
      continue;
    }
    if (!helped.count(name) || !typed.count(name)) {
      problems.push_back("sample before its # HELP and # TYPE: " + line);
    }
    auto expected = catalogued_labels(*family);
    if (bucket) {
      expected.push_back("le");
    }
    if (sample->label_names != expected) {
      std::string want;
      for (const auto& l : expected) {
        want += (want.empty() ? "" : ",") + l;
      }
      problems.push_back("labels are not the catalogued ones {" + want + "}: " + line);
    }
  }
  return problems;
}

std::vector<std::string> families_with_samples(const std::string& text) {
  std::set<std::string> names;
  std::istringstream in(text);
  std::string current;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      current = line.substr(7, line.find(' ', 7) - 7);
    } else if (!line.empty() && line[0] != '#' && !current.empty()) {
      names.insert(current);
    }
  }
  return {names.begin(), names.end()};
}

std::optional<std::filesystem::path> find_promtool() {
  return find_on_path("promtool");
}

ProcessOutput promtool_check_metrics(const std::filesystem::path& promtool, const std::string& text) {
  auto out = run_process({promtool.string(), "check", "metrics"}, {}, text);
  out.out += out.err;
  return out;
}

}  // namespace vigil::test

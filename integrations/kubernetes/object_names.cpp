#include "integrations/kubernetes/object_names.h"

#include <algorithm>

#include "integrations/process/child_process.h"

namespace vigil::kubernetes {
namespace {

/// A Kubernetes object name: lowercase letters, digits, '-' and '.', starting and ending with a
/// letter or digit, at most 253 characters. Anything else in kubectl's output is not a name.
bool is_object_name(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

std::vector<std::string_view> columns(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
      ++i;
    }
    const auto start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      ++i;
    }
    if (i > start) {
      out.push_back(line.substr(start, i - start));
    }
  }
  return out;
}

template <typename F>
void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
}

/// "namespace/demo" (-o name) → "demo".
std::string_view without_kind(std::string_view s) {
  const auto slash = s.find('/');
  return slash == std::string_view::npos ? s : s.substr(slash + 1);
}

}  // namespace

std::vector<std::string> parse_names(std::string_view output, std::size_t limit) {
  std::vector<std::string> out;
  for_each_line(output, [&](std::string_view line) {
    const auto cols = columns(line);
    if (cols.empty() || out.size() >= limit) {
      return;
    }
    const auto name = without_kind(cols[0]);
    if (is_object_name(name)) {
      out.emplace_back(name);
    }
  });
  return out;
}

std::vector<NamespacedName> parse_namespaced_names(std::string_view output, std::size_t limit) {
  std::vector<NamespacedName> out;
  for_each_line(output, [&](std::string_view line) {
    const auto cols = columns(line);
    if (cols.size() < 2 || out.size() >= limit) {
      return;
    }
    const auto name = without_kind(cols[1]);
    if (is_object_name(cols[0]) && cols[0].size() <= 63 && is_object_name(name)) {
      out.push_back({std::string(cols[0]), std::string(name)});
    }
  });
  return out;
}

KubectlObjectNames::KubectlObjectNames(Kubectl kubectl, process::ChildProcess& runner, ObjectNameOptions options,
                                       Logger log)
    : kubectl_(std::move(kubectl)), runner_(runner), options_(std::move(options)), log_(std::move(log)) {}

Task<std::string> KubectlObjectNames::run(std::vector<std::string> argv) {
  auto inv = kubectl_.prepare(argv, false);
  if (!inv) {
    log_->debug("object names: {}", inv.error().detail);
    co_return std::string();
  }
  process::ProcessSpec spec;
  spec.argv = inv->argv;
  spec.env = options_.environment;
  for (const auto& [k, v] : inv->env) {
    spec.env[k] = v;
  }
  spec.timeout = options_.timeout;
  spec.grace = std::chrono::milliseconds(500);
  spec.output_cap = options_.output_cap;
  auto result = co_await runner_.run(std::move(spec));
  if (!result) {
    log_->info("object names: kubectl did not start: {}", result.error().detail);
    co_return std::string();
  }
  if (!result->succeeded()) {
    log_->debug("object names: {} {} failed (exit {}){}", argv.size() > 1 ? argv[1] : "",
                argv.size() > 2 ? argv[2] : "", result->exit_code.value_or(-1), result->timed_out ? ", timed out" : "");
    co_return std::string();
  }
  co_return std::move(result->out);
}

Task<ClusterObjects> KubectlObjectNames::list() {
  ClusterObjects objects;
  // Named argv values: g++ 12 mishandles braced temporaries inside a co_await expression.
  std::vector<std::string> get_namespaces{"kubectl", "get", "namespaces", "--no-headers"};
  std::vector<std::string> get_pods{"kubectl", "get", "pods", "--all-namespaces", "--no-headers"};
  std::vector<std::string> get_deployments{"kubectl", "get", "deployments", "--all-namespaces", "--no-headers"};
  const auto namespaces = co_await run(std::move(get_namespaces));
  objects.namespaces = parse_names(namespaces);
  const auto pods = co_await run(std::move(get_pods));
  objects.pods = parse_namespaced_names(pods);
  const auto deployments = co_await run(std::move(get_deployments));
  objects.deployments = parse_namespaced_names(deployments);
  co_return objects;
}

}  // namespace vigil::kubernetes

#include "bot/core/config_reader.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

namespace vigil::config_detail {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggest(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = 3;  // suggest only close names
  for (const auto& k : known) {
    const auto d = edit_distance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return best;
}

// "15" is read as 15 seconds, which is rarely what someone who meant minutes wrote: say so.
// Empty for a duration with a unit, and for 0.
std::string unitless_duration_hint(const std::string& text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      text.find_first_not_of('0') == std::string::npos) {
    return {};
  }
  return "a number without a unit is read as seconds; write " + text + "s (or m, h, d) to say which";
}

}  // namespace

// A relative path read from a configuration file is relative to the file's folder.
std::string relative_to(const std::filesystem::path& folder, const std::string& path) {
  if (path.empty() || folder.empty() || std::filesystem::path(path).is_absolute()) {
    return path;
  }
  return (folder / path).lexically_normal().string();
}

bool is_http_url(const std::string& url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

bool valid_listen_address(const std::string& addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= addr.size()) {
    return false;
  }
  try {
    const auto port = std::stoi(addr.substr(colon + 1));
    return port >= 0 && port <= 65535;
  } catch (...) {
    return false;
  }
}

void ConfigReader::error(const YAML::Node& node, const std::string& key, const std::string& message) {
  out_.errors.push_back(make(node, key, message));
}

void ConfigReader::warning(const YAML::Node& node, const std::string& key, const std::string& message) {
  out_.warnings.push_back(make(node, key, message));
}

// Checks `node` is a map and warns on keys not in `known`.
bool ConfigReader::check_map(const YAML::Node& node, const std::string& path, const std::vector<std::string>& known) {
  if (!node.IsMap()) {
    error(node, path, "expected a mapping");
    return false;
  }
  for (const auto& kv : node) {
    const auto key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      const auto near = suggest(key, known);
      warning(kv.first, join(path, key),
              "unknown key" + (near.empty() ? std::string() : ", did you mean '" + near + "'?"));
    }
  }
  return true;
}

void ConfigReader::read_string(const YAML::Node& map, const std::string& path, const char* key, std::string& out) {
  const auto node = map[key];
  if (!node) {
    return;
  }
  if (!node.IsScalar()) {
    error(node, join(path, key), "expected a string");
    return;
  }
  out = node.Scalar();
}

void ConfigReader::read_int(const YAML::Node& map, const std::string& path, const char* key, long long min,
                            long long max, long long& out) {
  const auto node = map[key];
  if (!node) {
    return;
  }
  long long value = 0;
  if (!node.IsScalar() || !YAML::convert<long long>::decode(node, value)) {
    error(node, join(path, key), "expected an integer");
    return;
  }
  if (value < min || value > max) {
    error(node, join(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return;
  }
  out = value;
}

void ConfigReader::read_int(const YAML::Node& map, const std::string& path, const char* key, long long min,
                            long long max, int& out) {
  long long v = out;
  read_int(map, path, key, min, max, v);
  out = static_cast<int>(v);
}

void ConfigReader::read_bool(const YAML::Node& map, const std::string& path, const char* key, bool& out) {
  const auto node = map[key];
  if (!node) {
    return;
  }
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    error(node, join(path, key), "expected true or false");
    return;
  }
  out = value;
}

void ConfigReader::read_duration(const YAML::Node& map, const std::string& path, const char* key,
                                 std::chrono::seconds min, std::chrono::seconds& out) {
  const auto node = map[key];
  if (!node) {
    return;
  }
  std::optional<std::chrono::seconds> value;
  if (node.IsScalar()) {
    value = parse_duration(node.Scalar());
  }
  if (!value) {
    error(node, join(path, key), "expected a duration such as 30s, 5m, 2h or 7d");
    return;
  }
  if (*value < min) {
    error(node, join(path, key), "must be at least " + std::to_string(min.count()) + "s");
    return;
  }
  if (const auto unitless = unitless_duration_hint(node.Scalar()); !unitless.empty()) {
    warning(node, join(path, key), unitless);
  }
  out = *value;
}

void ConfigReader::read_list(const YAML::Node& map, const std::string& path, const char* key,
                             std::vector<std::string>& out) {
  const auto node = map[key];
  if (!node) {
    return;
  }
  if (node.IsNull()) {
    out.clear();
    return;
  }
  if (!node.IsSequence()) {
    error(node, join(path, key), "expected a list");
    return;
  }
  std::vector<std::string> values;
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      error(item, join(path, key), "expected a list of strings");
      return;
    }
    values.push_back(item.Scalar());
  }
  out = std::move(values);
}

void ConfigReader::read_enum(const YAML::Node& map, const std::string& path, const char* key,
                             const std::vector<std::string>& allowed, std::string& out) {
  const auto node = map[key];
  if (!node) {
    return;
  }
  if (!node.IsScalar() || std::find(allowed.begin(), allowed.end(), node.Scalar()) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) {
      list += (list.empty() ? "" : ", ") + a;
    }
    error(node, join(path, key), "must be one of: " + list);
    return;
  }
  out = node.Scalar();
}

// A secret may not be written inline: it comes from the environment or a file named here.
void ConfigReader::refuse_inline_secret(const YAML::Node& map, const std::string& path, const char* key,
                                        const std::string& env_name, const std::string& file_key) {
  const auto node = map[key];
  if (node) {
    error(node, join(path, key),
          "secrets are not read from the configuration file; set " + env_name + " or " + file_key);
  }
}

// Reads the secret file named under `key` (if any) into `value`.
void ConfigReader::read_secret_file(const YAML::Node& map, const std::string& path, const char* key,
                                    std::string& file_out, std::string& value) {
  read_string(map, path, key, file_out);
  if (file_out.empty()) {
    return;
  }
  file_out = relative_to(std::filesystem::path(file_).parent_path(), file_out);
  std::ifstream in(file_out);
  if (!in) {
    error(map[key], join(path, key), "cannot read secret file " + file_out);
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  value = ss.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
    value.pop_back();
  }
}

ConfigDiagnostic ConfigReader::make(const YAML::Node& node, const std::string& key, const std::string& message) const {
  ConfigDiagnostic d;
  d.file = file_;
  const auto mark = node.Mark();
  if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  d.key = key;
  d.message = message;
  return d;
}

}  // namespace vigil::config_detail

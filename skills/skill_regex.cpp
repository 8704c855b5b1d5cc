#include "skills/skill_regex.h"

#include <stdexcept>

#include <boost/regex.hpp>

namespace vigil::skills {
namespace {

boost::regex::flag_type flags(RegexLines lines, bool ignore_case) {
  auto f = boost::regex::ECMAScript | boost::regex::no_mod_s;  // `.` stops at a newline, as in ECMAScript
  if (lines == RegexLines::Whole) {
    f |= boost::regex::no_mod_m;
  }
  if (ignore_case) {
    f |= boost::regex::icase;
  }
  return f;
}

Error failed(const std::string& pattern, const std::exception& e) {
  return make_error(Errc::InvalidInput, "/" + pattern + "/: " + e.what());
}

}  // namespace

Result<void> check_regex(const std::string& pattern) {
  try {
    const boost::regex re(pattern, flags(RegexLines::Whole, false));
    return {};
  } catch (const std::exception& e) {
    return make_error(Errc::InvalidInput, e.what());
  }
}

Result<bool> regex_search(const std::string& pattern, std::string_view text, RegexLines lines, bool ignore_case) {
  try {
    const boost::regex re(pattern, flags(lines, ignore_case));
    return boost::regex_search(text.begin(), text.end(), re);
  } catch (const std::exception& e) {
    return failed(pattern, e);
  }
}

Result<std::optional<std::string>> regex_capture(const std::string& pattern, std::string_view text) {
  try {
    const boost::regex re(pattern, flags(RegexLines::Each, false));
    boost::match_results<std::string_view::const_iterator> m;
    if (!boost::regex_search(text.begin(), text.end(), m, re)) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(m.size() > 1 ? m[1].str() : m[0].str());
  } catch (const std::exception& e) {
    return failed(pattern, e);
  }
}

Result<std::optional<std::string>> regex_capture_last(const std::string& pattern, std::string_view text) {
  try {
    const boost::regex re(pattern, flags(RegexLines::Each, false));
    std::optional<std::string> last;
    boost::regex_iterator<std::string_view::const_iterator> it(text.begin(), text.end(), re), end;
    for (; it != end; ++it) {
      const auto& m = *it;
      last = m.size() > 1 ? m[1].str() : m[0].str();
    }
    return last;
  } catch (const std::exception& e) {
    return failed(pattern, e);
  }
}

Result<std::vector<std::string>> regex_matching_lines(const std::string& pattern, std::string_view text,
                                                      std::size_t max) {
  try {
    const boost::regex re(pattern, flags(RegexLines::Whole, false));
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size() && lines.size() < max) {
      auto end = text.find('\n', start);
      if (end == std::string_view::npos) {
        end = text.size();
      }
      const auto line = text.substr(start, end - start);
      if (boost::regex_search(line.begin(), line.end(), re)) {
        lines.emplace_back(line);
      }
      start = end + 1;
    }
    return lines;
  } catch (const std::exception& e) {
    return failed(pattern, e);
  }
}

Result<std::optional<std::string>> option_like_match(const std::string& pattern) {
  std::vector<std::string> probes = {"-",
                                     "--",
                                     "-shttp://127.0.0.1:16443",
                                     "-s=https://127.0.0.1",
                                     "--server=https://127.0.0.1",
                                     "--as=system:admin",
                                     "--as-group=system:masters",
                                     "--as_group=system:masters",
                                     "--kubeconfig=/tmp/k",
                                     "--token=abc",
                                     "--context=prod",
                                     "--insecure-skip-tls-verify=true",
                                     "--dry-run=none",
                                     "-n",
                                     "-1",
                                     "-o=json"};
  // Every printable character after the dash, alone and repeated; then every pair of the
  // characters names, paths and flags are made of (a pattern loaded at start must stay cheap).
  const std::string word_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=";
  for (char a = '!'; a <= '~'; ++a) {
    probes.push_back(std::string("-") + a);
    probes.push_back(std::string("-") + std::string(5, a));
    probes.push_back(std::string("-") + std::string(40, a));
  }
  for (const char a : word_chars) {
    for (const char b : word_chars) {
      probes.push_back(std::string("-") + a + b);
    }
  }
  try {
    const boost::regex re(pattern, flags(RegexLines::Whole, false));
    for (const auto& probe : probes) {
      if (boost::regex_match(probe.begin(), probe.end(), re)) {
        std::optional<std::string> found = probe;
        return found;
      }
    }
    return std::optional<std::string>();
  } catch (const std::exception& e) {
    return failed(pattern, e);
  }
}

Result<bool> regex_full_match(const std::string& pattern, std::string_view value) {
  try {
    const boost::regex re(pattern, flags(RegexLines::Whole, false));
    return boost::regex_match(value.begin(), value.end(), re);
  } catch (const std::exception& e) {
    return failed(pattern, e);
  }
}

}  // namespace vigil::skills

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

Result<bool> regex_full_match(const std::string& pattern, std::string_view value) {
  try {
    const boost::regex re(pattern, flags(RegexLines::Whole, false));
    return boost::regex_match(value.begin(), value.end(), re);
  } catch (const std::exception& e) {
    return failed(pattern, e);
  }
}

}  // namespace vigil::skills

#include "skills/condition_values.h"

#include <cctype>

namespace vigil::skills {
namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) {
    return false;
  }
  for (std::size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

int number(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// The length of the RFC 3339 time starting at `at` and its value, or nullopt.
std::optional<std::pair<std::size_t, std::chrono::sys_seconds>> time_at(std::string_view s, std::size_t at) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS
  if (!digits(s, at, 4) || at + 19 > s.size() || s[at + 4] != '-' || !digits(s, at + 5, 2) || s[at + 7] != '-' ||
      !digits(s, at + 8, 2) || (s[at + 10] != 'T' && s[at + 10] != 't') || !digits(s, at + 11, 2) ||
      s[at + 13] != ':' || !digits(s, at + 14, 2) || s[at + 16] != ':' || !digits(s, at + 17, 2)) {
    return std::nullopt;
  }
  const year_month_day date{year{number(s, at, 4)}, month{static_cast<unsigned>(number(s, at + 5, 2))},
                            day{static_cast<unsigned>(number(s, at + 8, 2))}};
  const int hh = number(s, at + 11, 2);
  const int mm = number(s, at + 14, 2);
  const int ss = number(s, at + 17, 2);
  if (!date.ok() || hh > 23 || mm > 59 || ss > 60) {
    return std::nullopt;
  }
  std::size_t end = at + 19;
  if (end < s.size() && s[end] == '.') {
    ++end;
    const std::size_t first = end;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) {
      ++end;
    }
    if (end == first) {
      return std::nullopt;
    }
  }
  seconds offset{0};
  if (end < s.size() && (s[end] == 'Z' || s[end] == 'z')) {
    ++end;
  } else if (end < s.size() && (s[end] == '+' || s[end] == '-') && digits(s, end + 1, 2) && end + 3 < s.size() &&
             s[end + 3] == ':' && digits(s, end + 4, 2)) {
    const int oh = number(s, end + 1, 2);
    const int om = number(s, end + 4, 2);
    if (oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = hours{oh} + minutes{om};
    if (s[end] == '+') {
      offset = -offset;  // 14:00+02:00 is 12:00Z
    }
    end += 6;
  } else {
    return std::nullopt;  // a time without its zone is not a point in time
  }
  const sys_seconds t = sys_days{date} + hours{hh} + minutes{mm} + seconds{ss} + offset;
  return std::make_pair(end - at, t);
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::optional<std::chrono::sys_seconds> parse_rfc3339(std::string_view text) {
  const auto t = time_at(text, 0);
  if (!t || t->first != text.size()) {
    return std::nullopt;
  }
  return t->second;
}

std::optional<std::chrono::sys_seconds> earliest_time(std::string_view text) {
  std::optional<std::chrono::sys_seconds> earliest;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]))) {
      continue;  // a year starts after a non-digit
    }
    if (const auto t = time_at(text, i)) {
      if (!earliest || t->second < *earliest) {
        earliest = t->second;
      }
      i += t->first - 1;
    }
  }
  return earliest;
}

bool began_within(std::string_view output, std::string_view reference, std::chrono::seconds at_most) {
  const auto began = earliest_time(stdout_part(output));
  const auto since = parse_rfc3339(trimmed(reference));
  return began && since && *began >= *since && *began - *since <= at_most;
}

bool same_as(std::string_view output, std::string_view value) {
  const auto out = trimmed(stdout_part(output));
  const auto want = trimmed(value);
  return !out.empty() && !want.empty() && out == want;
}

std::optional<std::string> capture_of(const CaptureValues& captures, const std::string& step, const std::string& name) {
  const auto s = captures.find(step);
  if (s == captures.end()) {
    return std::nullopt;
  }
  const auto v = s->second.find(name);
  if (v == s->second.end()) {
    return std::nullopt;
  }
  return v->second;
}

bool extra_conditions_hold(const Condition& c, std::string_view output, const CaptureValues& captures) {
  if (c.began_within) {
    const auto since = capture_of(captures, c.began_within->after.step, c.began_within->after.name);
    if (!since || !began_within(output, *since, c.began_within->at_most)) {
      return false;
    }
  }
  if (c.same_as) {
    const auto value = capture_of(captures, c.same_as->step, c.same_as->name);
    if (!value || !same_as(output, *value)) {
      return false;
    }
  }
  return true;
}

std::string_view stdout_part(std::string_view output) {
  const auto pos = output.find("\n[stderr]\n");
  return pos == std::string_view::npos ? output : output.substr(0, pos);
}

}  // namespace vigil::skills

#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "skills/skill.h"

namespace vigil::skills {

/// The values a step's `when` or a finding's condition reads besides the output: the captures of
/// the steps run so far, by step id then capture name.
using CaptureValues = std::map<std::string, std::map<std::string, std::string>>;

/// A time written the way Kubernetes writes it (RFC 3339: "2026-12-07T14:02:11Z", fractional
/// seconds and "+02:00" offsets allowed), in UTC; nullopt when `text` is not exactly one such time.
std::optional<std::chrono::sys_seconds> parse_rfc3339(std::string_view text);

/// The earliest RFC 3339 time found anywhere in `text` (several may be separated by any other
/// characters); nullopt when there is none.
std::optional<std::chrono::sys_seconds> earliest_time(std::string_view text);

/// `when: {began_within: {after: S.c, at_most: D}}`: the earliest time in `output` is at or after
/// the time `reference` holds, by at most `at_most`. Any part missing or unreadable: false, so a
/// decision that needs the evidence is never taken without it.
bool began_within(std::string_view output, std::string_view reference, std::chrono::seconds at_most);

/// `when: {same_as: S.c}`: `output` without blanks around it is `value` (neither empty).
bool same_as(std::string_view output, std::string_view value);

/// The capture `step`.`name`, or nullopt when that step has not captured it.
std::optional<std::string> capture_of(const CaptureValues& captures, const std::string& step, const std::string& name);

/// The `began_within` and `same_as` parts of `c` over a step's stored `output`, reading the
/// captured values they name; true when `c` sets neither. Shared by steps' `when` and findings.
bool extra_conditions_hold(const Condition& c, std::string_view output, const CaptureValues& captures);

/// Standard output only: a stored output appends "\n[stderr]\n" and the standard error.
std::string_view stdout_part(std::string_view output);

}  // namespace vigil::skills

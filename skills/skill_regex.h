#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"

namespace vigil::skills {

/// The regular expressions a skill carries (trigger text, `when.output_matches`, captures,
/// parameter patterns): ECMAScript syntax, compiled and matched by Boost.Regex. Its matcher keeps
/// its state on the heap and gives up with an error when a match backtracks past its bounds;
/// libstdc++'s std::regex recursed once per character and overflowed the stack on 20–65 KB of
/// tool output (`.*OOMKilled`, `[a-z ]+ down`). Every function here returns errors as values.
enum class RegexLines {
  Whole,  // ^ and $ match at the start and end of the text only; `.` never matches a newline
  Each,   // ^ and $ also match at line breaks (captures read one line of tool output)
};

/// An error when `pattern` does not compile (the loader's check, with Boost's reason).
Result<void> check_regex(const std::string& pattern);

/// Whether `pattern` occurs in `text`. An error when it does not compile or the match gave up.
Result<bool> regex_search(const std::string& pattern, std::string_view text, RegexLines lines,
                          bool ignore_case = false);

/// The first match of `pattern` in `text`: its group 1 when it has groups, else the whole match;
/// nullopt when it does not occur.
Result<std::optional<std::string>> regex_capture(const std::string& pattern, std::string_view text);

/// The last match of `pattern` in `text` (group 1 when it has groups, else the whole match);
/// nullopt when it does not occur. Matches are searched one after another, as a global search.
Result<std::optional<std::string>> regex_capture_last(const std::string& pattern, std::string_view text);

/// The lines of `text` in which `pattern` occurs (each without its line break), at most `max`.
/// The pattern is compiled once; a line's `^` and `$` are its start and end.
Result<std::vector<std::string>> regex_matching_lines(const std::string& pattern, std::string_view text,
                                                      std::size_t max);

/// Whether `pattern` matches the whole of `value`.
Result<bool> regex_full_match(const std::string& pattern, std::string_view value);

/// A value starting with "-" that `pattern` matches whole, found by trying many ("-", "-s",
/// "-shttp://…", "--as=…", "-" and one or two letters, digits or punctuation, …): a parameter
/// whose pattern admits one could hand kubectl (or any program) an option instead of a name.
/// nullopt when none of them matches.
Result<std::optional<std::string>> option_like_match(const std::string& pattern);

}  // namespace vigil::skills

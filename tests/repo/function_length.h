// Finds function bodies longer than a limit, so that a long function is split into named steps or
// says why it is kept whole. The scanner is lexical, not a compiler: it blanks comments, string and
// character literals (raw strings too) and preprocessor lines, then takes each `{` that follows a
// parameter list (not if/for/while/switch/catch, not a lambda, not an initialiser) while no other
// function body is open, and measures to the brace that closes it. A body kept long passes with a
// comment `long-function: <reason>` on one of the 5 lines above its signature, or in the signature.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::repo {

struct LongFunction {
  int line = 0;           // 1-based line where the signature starts
  int body_lines = 0;     // from the line of the opening brace to the line of the closing one
  std::string signature;  // the signature on one line, shortened
};

// Every function body in one source file's text longer than `limit` lines without a reason, in order.
std::vector<LongFunction> find_long_functions(std::string_view source, int limit);

// The text with comments, string and character literals and preprocessor lines blanked (spaces),
// newlines kept, so that line numbers stay true.
std::string blank_comments_and_literals(std::string_view source);

}  // namespace vigil::repo

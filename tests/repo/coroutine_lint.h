// Finds the expressions g++ 12 miscompiles in coroutines: a conditional expression, a lambda, a
// braced temporary or a string temporary inside a `co_await` expression, and a conditional, a
// lambda or a braced initialiser in a `co_return` (an aggregate built in place). The habit the
// code follows instead: name the value on its own line first, then co_await or co_return the name.
//
// The scanner is lexical, not a compiler: it skips comments, string and character literals (raw
// strings too), takes the operand of each co_await / co_return up to the end of its expression
// (`;`, or a `,` / closing bracket at its own depth) and looks inside. It errs towards reporting:
// a string literal or a call that builds a std::string counts as a string temporary whatever the
// parameter type, because the rewrite is always safe and the check cannot see types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::repo {

struct CoroutineFinding {
  int line = 0;         // 1-based line of the co_await / co_return keyword
  std::string keyword;  // "co_await" or "co_return"
  std::string problem;  // "conditional expression", "lambda", "braced temporary", "string temporary"
  std::string excerpt;  // the operand, on one line, shortened
};

// Every finding in one source file's text, in order.
std::vector<CoroutineFinding> find_coroutine_temporaries(std::string_view source);

}  // namespace vigil::repo

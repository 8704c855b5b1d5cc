#include "tests/repo/coroutine_lint.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace vigil::repo {
namespace {

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// The source with comments blanked and the contents of string and character literals blanked
// (their quotes kept, so a literal is still visible as ""). Same length and line breaks as the
// input, so positions and line numbers carry over.
std::string masked(std::string_view src) {
  std::string out(src);
  const auto blank = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < out.size(); ++i) {
      if (out[i] != '\n')
        out[i] = ' ';
    }
  };
  std::size_t i = 0;
  const std::size_t n = src.size();
  while (i < n) {
    const char c = src[i];
    if (c == '/' && i + 1 < n && src[i + 1] == '/') {
      const std::size_t end = std::min(src.find('\n', i), n);
      blank(i, end);
      i = end;
    } else if (c == '/' && i + 1 < n && src[i + 1] == '*') {
      const std::size_t close = src.find("*/", i + 2);
      const std::size_t end = close == std::string_view::npos ? n : close + 2;
      blank(i, end);
      i = end;
    } else if (c == 'R' && i + 1 < n && src[i + 1] == '"' &&
               (i == 0 || !is_identifier_char(src[i - 1]) || src[i - 1] == '8' || src[i - 1] == 'u' ||
                src[i - 1] == 'U' || src[i - 1] == 'L')) {
      const std::size_t open = src.find('(', i + 2);
      if (open == std::string_view::npos)
        break;
      const std::string closing = ")" + std::string(src.substr(i + 2, open - i - 2)) + "\"";
      const std::size_t close = src.find(closing, open + 1);
      const std::size_t end = close == std::string_view::npos ? n : close + closing.size();
      blank(i, end);
      out[i] = '"';
      out[end - 1] = '"';
      i = end;
    } else if (c == '"' || (c == '\'' && !(i > 0 && std::isdigit(static_cast<unsigned char>(src[i - 1])) != 0))) {
      std::size_t j = i + 1;
      while (j < n && src[j] != c && src[j] != '\n') {
        j += src[j] == '\\' ? 2 : 1;
      }
      const std::size_t end = std::min(j + 1, n);
      blank(i + 1, end - 1);
      i = end;
    } else {
      ++i;
    }
  }
  return out;
}

// End of the operand that starts at `from`: the first `;`, or `,` / closing bracket at depth 0.
std::size_t operand_end(const std::string& text, std::size_t from) {
  int depth = 0;
  for (std::size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (depth == 0)
        return i;
      --depth;
    } else if (c == ';' && depth == 0) {
      return i;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return text.size();
}

// A `[` that opens a lambda rather than a subscript: nothing before it that could be subscripted.
bool opens_lambda(std::string_view operand, std::size_t at) {
  std::size_t k = at;
  while (k > 0 && std::isspace(static_cast<unsigned char>(operand[k - 1])) != 0)
    --k;
  if (k == 0)
    return true;
  const char before = operand[k - 1];
  return !(is_identifier_char(before) || before == ')' || before == ']' || before == '"' || before == '>');
}

bool contains_token(std::string_view operand, std::string_view token) {
  for (std::size_t at = operand.find(token); at != std::string_view::npos; at = operand.find(token, at + 1)) {
    const bool starts_word = at == 0 || !is_identifier_char(operand[at - 1]) || !is_identifier_char(token.front());
    if (starts_word)
      return true;
  }
  return false;
}

std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > 100)
    out = out.substr(0, 97) + "...";
  return out;
}

}  // namespace

std::vector<CoroutineFinding> find_coroutine_temporaries(std::string_view source) {
  const std::string text = masked(source);
  std::vector<CoroutineFinding> findings;
  for (const std::string_view keyword : {std::string_view("co_await"), std::string_view("co_return")}) {
    for (std::size_t at = text.find(keyword); at != std::string::npos; at = text.find(keyword, at + 1)) {
      const std::size_t after = at + keyword.size();
      if ((at > 0 && is_identifier_char(text[at - 1])) || (after < text.size() && is_identifier_char(text[after]))) {
        continue;
      }
      const std::size_t end = operand_end(text, after);
      const std::string_view operand = std::string_view(text).substr(after, end - after);
      const bool awaiting = keyword == "co_await";
      std::vector<std::string> problems;
      if (operand.find('?') != std::string_view::npos)
        problems.emplace_back("conditional expression");
      bool lambda = false;
      for (std::size_t b = operand.find('['); b != std::string_view::npos; b = operand.find('[', b + 1)) {
        if (opens_lambda(operand, b))
          lambda = true;
      }
      if (lambda)
        problems.emplace_back("lambda");
      if (!lambda && operand.find('{') != std::string_view::npos)
        problems.emplace_back("braced temporary");
      if (awaiting) {
        static constexpr std::array<std::string_view, 6> kStringMakers = {"\"",      "std::string", "to_string(",
                                                                          "format(", ".str(",       ".substr("};
        const bool string_temporary = std::any_of(kStringMakers.begin(), kStringMakers.end(),
                                                  [&](std::string_view t) { return contains_token(operand, t); });
        if (string_temporary)
          problems.emplace_back("string temporary");
      }
      const int line =
          1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
      const std::string excerpt = one_line(source.substr(after, end - after));
      for (auto& problem : problems) {
        findings.push_back(CoroutineFinding{line, std::string(keyword), std::move(problem), excerpt});
      }
    }
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const CoroutineFinding& a, const CoroutineFinding& b) { return a.line < b.line; });
  return findings;
}

}  // namespace vigil::repo

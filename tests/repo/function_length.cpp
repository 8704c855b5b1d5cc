#include "tests/repo/function_length.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace vigil::repo {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos)
    return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string one_line(std::string_view s) {
  std::string out;
  bool space = false;
  for (const char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Whether the text between the previous `;`, `{` or `}` and this `{` is a function's signature.
bool is_function_head(const std::string& head) {
  static const std::regex control(R"(^(if|for|while|switch|catch|else|do|try|return)\b)");
  static const std::regex declaration(R"(^(template\s*<.*>\s*)?(namespace|class|struct|enum|union|extern)\b)");
  static const std::regex lambda(R"(\]\s*(\(|\{|mutable\b|->|$))");
  // After the parameter list: qualifiers, a trailing return type, or a constructor's initialiser list.
  static const std::regex ends_like_a_signature(
      R"(\)\s*((const|noexcept|override|final|volatile|&|&&)\s*)*(->\s*[^(){};=]+)?$)");
  if (head.find(')') == std::string::npos)
    return false;
  if (std::regex_search(head, control) || std::regex_search(head, declaration))
    return false;
  if (std::regex_search(head, lambda))
    return false;
  if (head.find("operator") == std::string::npos) {
    int depth = 0;
    for (std::size_t i = 0; i < head.size(); ++i) {
      const char c = head[i];
      if (c == '(' || c == '<' || c == '[')
        ++depth;
      if ((c == ')' || c == '>' || c == ']') && depth > 0)
        --depth;
      if (c == '=' && depth == 0)
        return false;  // an initialiser: `x = f(y) {` is not a signature
    }
  }
  return std::regex_search(head, ends_like_a_signature);
}

}  // namespace

std::string blank_comments_and_literals(std::string_view s) {
  std::string out(s);
  const auto blank = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to && k < out.size(); ++k) {
      if (out[k] != '\n')
        out[k] = ' ';
    }
  };
  std::size_t i = 0;
  bool line_start = true;
  while (i < s.size()) {
    const char c = s[i];
    if (line_start && c == '#') {  // a preprocessor line, with its continuations
      std::size_t j = i;
      while (j < s.size() && !(s[j] == '\n' && (j == 0 || s[j - 1] != '\\')))
        ++j;
      blank(i, j);
      i = j;
      continue;
    }
    if (c == '\n') {
      line_start = true;
      ++i;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(c)))
      line_start = false;
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      const auto j = std::min(s.find('\n', i), s.size());
      blank(i, j);
      i = j;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const auto close = s.find("*/", i + 2);
      const auto j = close == std::string_view::npos ? s.size() : close + 2;
      blank(i, j);
      i = j;
    } else if (c == 'R' && i + 1 < s.size() && s[i + 1] == '"' &&
               (i == 0 || !(std::isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_'))) {
      const auto open = s.find('(', i + 2);
      if (open == std::string_view::npos)
        break;
      const std::string closing = ")" + std::string(s.substr(i + 2, open - i - 2)) + "\"";
      const auto close = s.find(closing, open);
      const auto j = close == std::string_view::npos ? s.size() : close + closing.size();
      blank(i, j);
      i = j;
    } else if (c == '"' || c == '\'') {
      // A digit separator (1'000) is not a character literal.
      if (c == '\'' && i > 0 && std::isxdigit(static_cast<unsigned char>(s[i - 1])) && i + 1 < s.size() &&
          std::isxdigit(static_cast<unsigned char>(s[i + 1]))) {
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != c && s[j] != '\n')
        j += s[j] == '\\' ? 2 : 1;
      blank(i, std::min(j + 1, s.size()));
      i = j + 1;
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<LongFunction> find_long_functions(std::string_view source, int limit) {
  const std::string text = blank_comments_and_literals(source);
  std::vector<std::size_t> line_starts = {0};
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\n')
      line_starts.push_back(i + 1);
  }
  const auto line_of = [&](std::size_t offset) {
    return static_cast<int>(std::upper_bound(line_starts.begin(), line_starts.end(), offset) - line_starts.begin());
  };
  const auto has_reason = [&](int first_line, int last_line) {
    const auto from = line_starts[static_cast<std::size_t>(std::max(1, first_line - 5) - 1)];
    const auto to = static_cast<std::size_t>(last_line) < line_starts.size()
                        ? line_starts[static_cast<std::size_t>(last_line)]
                        : source.size();
    return source.substr(from, to - from).find("long-function:") != std::string_view::npos;
  };

  std::vector<LongFunction> found;
  int depth = 0;
  int body_depth = -1;  // the depth outside the open function body, -1 when none is open
  std::size_t head_start = 0;
  std::size_t body_open = 0;
  std::size_t signature_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{') {
      if (body_depth < 0) {
        const auto head = trim(std::string_view(text).substr(head_start, i - head_start));
        if (is_function_head(head)) {
          body_depth = depth;
          body_open = i;
          signature_start = text.find_first_not_of(" \t\r\n", head_start);
        }
      }
      ++depth;
      head_start = i + 1;
    } else if (c == '}' || c == ';') {
      if (c == '}') {
        depth = std::max(0, depth - 1);
        if (body_depth >= 0 && depth == body_depth) {
          const int first = line_of(signature_start);
          const int open_line = line_of(body_open);
          const int lines = line_of(i) - open_line + 1;
          if (lines > limit && !has_reason(first, open_line)) {
            auto signature = one_line(std::string_view(text).substr(signature_start, body_open - signature_start));
            if (signature.size() > 100)
              signature = signature.substr(0, 97) + "...";
            found.push_back({first, lines, signature});
          }
          body_depth = -1;
        }
      }
      head_start = i + 1;
    }
  }
  return found;
}

}  // namespace vigil::repo

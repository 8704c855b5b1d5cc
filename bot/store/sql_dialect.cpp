#include "bot/store/sql_dialect.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace vigil::sql {
namespace {

bool word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Copies the quoted text that starts at sql[i] (a ' or "), through its closing quote; a doubled
// quote inside is an escaped one and is copied on the next call.
std::size_t copy_quoted(std::string_view sql, std::size_t i, std::string& out) {
  const char quote = sql[i];
  const std::size_t end = sql.find(quote, i + 1);
  const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
  out.append(sql.substr(i, stop - i));
  return stop;
}

std::string_view postgres_word(std::string_view word) {
  if (word == "INTEGER") {
    return "BIGINT";
  }
  if (word == "REAL") {
    return "DOUBLE PRECISION";
  }
  if (word == "user") {
    return "\"user\"";
  }
  return word;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Gives every CREATE TABLE whose columns have no integer key a `rowid BIGSERIAL` column first.
std::string add_rowids(std::string ddl) {
  constexpr std::string_view kCreate = "CREATE TABLE";
  for (std::size_t at = ddl.find(kCreate); at != std::string::npos; at = ddl.find(kCreate, at + kCreate.size())) {
    const std::size_t open = ddl.find('(', at);
    if (open == std::string::npos) {
      break;
    }
    int depth = 0;
    std::size_t close = open;
    for (; close < ddl.size(); ++close) {
      depth += ddl[close] == '(' ? 1 : ddl[close] == ')' ? -1 : 0;
      if (depth == 0) {
        break;
      }
    }
    const std::string_view body = std::string_view(ddl).substr(open, close - open);
    if (body.find("BIGSERIAL PRIMARY KEY") == std::string_view::npos &&
        body.find("BIGINT PRIMARY KEY") == std::string_view::npos) {
      ddl.insert(open + 1, "rowid BIGSERIAL NOT NULL, ");
    }
  }
  return ddl;
}

}  // namespace

std::string numbered_parameters(std::string_view sql, int* highest_out) {
  std::string out;
  out.reserve(sql.size() + 8);
  int highest = 0;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      i = copy_quoted(sql, i, out);
      continue;
    }
    if (c != '?') {
      out.push_back(c);
      ++i;
      continue;
    }
    std::size_t digits = i + 1;
    while (digits < sql.size() && std::isdigit(static_cast<unsigned char>(sql[digits])) != 0) {
      ++digits;
    }
    int number = highest + 1;
    if (digits > i + 1) {
      number = std::stoi(std::string(sql.substr(i + 1, digits - i - 1)));
    }
    highest = std::max(highest, number);
    out += "$" + std::to_string(number);
    i = digits;
  }
  if (highest_out != nullptr) {
    *highest_out = highest;
  }
  return out;
}

std::string postgres_schema(std::string_view ddl) {
  const std::string keyed = replace_all(std::string(ddl), "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY");
  std::string out;
  out.reserve(keyed.size() + 64);
  std::size_t i = 0;
  while (i < keyed.size()) {
    const char c = keyed[i];
    if (c == '\'' || c == '"') {
      i = copy_quoted(keyed, i, out);
      continue;
    }
    if (!word_start(c)) {
      out.push_back(c);
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < keyed.size() && word_char(keyed[end])) {
      ++end;
    }
    out += postgres_word(std::string_view(keyed).substr(i, end - i));
    i = end;
  }
  return add_rowids(std::move(out));
}

namespace {

// Where the passwords are in a DSN: [begin, end) byte ranges.
std::vector<std::pair<std::size_t, std::size_t>> password_spans(std::string_view dsn) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  const std::size_t scheme = dsn.find("://");
  if (scheme != std::string_view::npos) {
    // postgres://user:password@host…: the userinfo ends at the last '@' before the path.
    const std::size_t start = scheme + 3;
    const std::size_t path = dsn.find('/', start);
    const std::size_t at = dsn.rfind('@', path);
    const std::size_t colon = dsn.find(':', start);
    if (at != std::string_view::npos && at > start && colon < at) {
      spans.emplace_back(colon + 1, at);
    }
    // …?password=secret&…
    for (std::size_t p = dsn.find("password=", start); p != std::string_view::npos; p = dsn.find("password=", p + 1)) {
      const std::size_t value = p + 9;
      spans.emplace_back(value, std::min(dsn.find('&', value), dsn.size()));
    }
    return spans;
  }
  // key=value pairs, a value maybe quoted: password = 'it\'s'
  for (std::size_t p = dsn.find("password"); p != std::string_view::npos; p = dsn.find("password", p + 1)) {
    std::size_t i = p + 8;
    while (i < dsn.size() && dsn[i] == ' ') {
      ++i;
    }
    if (i >= dsn.size() || dsn[i] != '=') {
      continue;
    }
    ++i;
    while (i < dsn.size() && dsn[i] == ' ') {
      ++i;
    }
    std::size_t end = i;
    if (end < dsn.size() && dsn[end] == '\'') {
      ++end;
      while (end < dsn.size() && !(dsn[end] == '\'' && dsn[end - 1] != '\\')) {
        ++end;
      }
      end = std::min(dsn.size(), end + 1);
    } else {
      while (end < dsn.size() && dsn[end] != ' ') {
        ++end;
      }
    }
    spans.emplace_back(i, end);
  }
  return spans;
}

}  // namespace

std::string redacted_dsn(std::string_view dsn) {
  std::string out(dsn);
  const auto spans = password_spans(dsn);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {  // back to front: offsets stay valid
    out.replace(it->first, it->second - it->first, "***");
  }
  return out;
}

std::string dsn_password(std::string_view dsn) {
  const auto spans = password_spans(dsn);
  if (spans.empty()) {
    return "";
  }
  std::string_view password = dsn.substr(spans.front().first, spans.front().second - spans.front().first);
  if (password.size() >= 2 && password.front() == '\'' && password.back() == '\'') {
    password = password.substr(1, password.size() - 2);
  }
  return std::string(password);
}

}  // namespace vigil::sql

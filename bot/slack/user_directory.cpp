#include "bot/slack/user_directory.h"

#include <algorithm>

#include "integrations/slack/web_api.h"

namespace vigil {
namespace {

bool word_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// Calls `f(start, length)` for every user-id-shaped word of `text`.
template <class F>
void for_each_user_id(std::string_view text, F&& f) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!word_char(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && word_char(text[j])) {
      ++j;
    }
    if (looks_like_user_id(text.substr(i, j - i))) {
      f(i, j - i);
    }
    i = j;
  }
}

constexpr auto kRetryFailedAfter = std::chrono::minutes(1);

}  // namespace

bool looks_like_user_id(std::string_view t) {
  if (t.size() < 6 || t.size() > 21 || (t[0] != 'U' && t[0] != 'W')) {
    return false;
  }
  bool digit = false;
  for (const char c : t.substr(1)) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c < 'A' || c > 'Z') {
      return false;
    }
  }
  return digit;
}

std::set<std::string> user_ids_in(std::string_view text) {
  std::set<std::string> out;
  for_each_user_id(text, [&](std::size_t at, std::size_t n) { out.emplace(text.substr(at, n)); });
  return out;
}

std::string mention_user_ids(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  bool in_code = false;  // inside ``` … ``` or ` … `
  std::size_t scan = 0;
  for_each_user_id(text, [&](std::size_t at, std::size_t n) {
    for (; scan < at; ++scan) {
      if (text[scan] == '`') {
        in_code = !in_code;
      }
    }
    const bool mentioned = at >= 2 && text.substr(at - 2, 2) == "<@";
    if (in_code || mentioned) {
      return;
    }
    // A mention someone wrote, escaped on its way here ("&lt;@U…&gt;"): a mention again.
    std::size_t begin = at;
    std::size_t end = at + n;
    if (at >= 5 && text.substr(at - 5, 5) == "&lt;@" && text.substr(end, 4) == "&gt;") {
      begin = at - 5;
      end += 4;
    }
    out.append(text.substr(copied, begin - copied));
    out += "<@" + std::string(text.substr(at, n)) + ">";
    copied = end;
  });
  out.append(text.substr(copied));
  return out;
}

UserDirectory::UserDirectory(slack::WebApi& web, Clock& clock, std::chrono::seconds ttl)
    : web_(web), clock_(clock), ttl_(ttl) {}

Task<PeopleNames> UserDirectory::names(std::set<std::string> ids, std::size_t max_lookups) {
  PeopleNames out;
  std::size_t lookups = 0;
  for (const auto& id : ids) {
    if (!looks_like_user_id(id)) {
      continue;
    }
    const auto now = clock_.now();
    auto it = cache_.find(id);
    const bool fresh =
        it != cache_.end() &&
        now - it->second.fetched <
            (it->second.name.empty() ? std::chrono::duration_cast<std::chrono::seconds>(kRetryFailedAfter) : ttl_);
    if (!fresh) {
      if (lookups >= max_lookups) {
        continue;
      }
      ++lookups;
      std::string user = id;
      auto info = co_await web_.users_info(std::move(user));
      if (!info && !info.error().is(Errc::SlackApi)) {
        break;  // Slack does not answer (network, rate limit): the others would wait as long
      }
      std::string name;
      if (info && !info->name.empty()) {
        name = info->name;
      }
      it = cache_.insert_or_assign(id, Entry{name, now}).first;
    }
    if (!it->second.name.empty()) {
      out[id] = it->second.name;
    }
  }
  co_return out;
}

}  // namespace vigil

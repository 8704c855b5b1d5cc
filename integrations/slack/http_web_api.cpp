#include "integrations/slack/http_web_api.h"

#include <algorithm>

#include "bot/base/untrusted_json.h"
#include "integrations/http/url.h"

namespace vigil::slack {
namespace {

using nlohmann::json;

std::string form_encode(const json& args) {
  std::string out;
  if (!args.is_object()) {
    return out;
  }
  for (const auto& [k, v] : args.items()) {
    if (v.is_null()) {
      continue;
    }
    if (!out.empty()) {
      out += '&';
    }
    out += http::url_encode(k) + '=' + http::url_encode(v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

std::string str(const json& j, const char* key) {
  if (!j.is_object()) {
    return {};
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const json& j, const char* key) {
  if (!j.is_object()) {
    return false;
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

json message_args(const OutgoingMessage& m) {
  json args{{"channel", m.channel}, {"text", m.text}};
  if (m.blocks.is_array()) {
    args["blocks"] = m.blocks;
  }
  if (m.thread_ts) {
    args["thread_ts"] = *m.thread_ts;
    if (m.reply_broadcast) {
      args["reply_broadcast"] = true;
    }
  }
  return args;
}

ChannelInfo channel_from(const json& c) {
  ChannelInfo info;
  info.id = str(c, "id");
  info.name = str(c, "name");
  info.is_private = flag(c, "is_private");
  info.is_member = flag(c, "is_member");
  info.is_archived = flag(c, "is_archived");
  return info;
}

UserInfo user_from(const json& u) {
  UserInfo info;
  info.id = str(u, "id");
  info.name = str(u, "name");
  info.real_name = str(u, "real_name");
  info.tz = str(u, "tz");
  info.is_bot = flag(u, "is_bot");
  info.deleted = flag(u, "deleted");
  if (auto p = u.find("profile"); p != u.end()) {
    info.email = str(*p, "email");
    if (info.real_name.empty()) {
      info.real_name = str(*p, "real_name");
    }
  }
  return info;
}

std::chrono::milliseconds parse_retry_after(const std::string& value, std::chrono::milliseconds fallback) {
  try {
    if (!value.empty()) {
      return std::chrono::seconds(std::max(0L, std::stol(value)));
    }
  } catch (...) {
  }
  return fallback;
}

// chat.postMessage documents `rate_limited` as an ok:false answer besides HTTP 429.
bool is_rate_limited_answer(const std::string& body) {
  if (body.size() > 4096 || body.find("rate") == std::string::npos) {
    return false;
  }
  const auto j = parse_untrusted_json(body);
  const auto error = str(j, "error");
  return j.is_object() && !flag(j, "ok") && (error == "ratelimited" || error == "rate_limited");
}

}  // namespace

HttpWebApi::HttpWebApi(http::HttpClient& http, RateLimiter& limiter, Clock& clock, Logger log,
                       HttpWebApiOptions options, Metrics* metrics)
    : http_(http),
      limiter_(limiter),
      clock_(clock),
      log_(std::move(log)),
      options_(std::move(options)),
      metrics_(metrics) {
  if (options_.api_url.empty() || options_.api_url.back() != '/') {
    options_.api_url += '/';
  }
}

Task<Result<json>> HttpWebApi::call(std::string method, json args, Encoding encoding, bool app_token) {
  const auto key = RateLimiter::key_for(method, str(args, "channel"));
  http::HttpRequest req;
  req.method = "POST";
  req.url = options_.api_url + method;
  req.timeout = options_.timeout;
  req.headers.emplace_back("Authorization", "Bearer " + (app_token ? options_.app_token : options_.bot_token));
  if (encoding == Encoding::Json) {
    req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    req.body = args.is_object() ? args.dump() : "{}";
  } else {
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = form_encode(args);
  }
  int rate_limited = 0;
  int failures = 0;
  for (;;) {
    auto turn = co_await limiter_.acquire(key);
    if (metrics_) {
      metrics_->inc("vigil_slack_api_calls_total", "method", method);
    }
    auto res = co_await http_.send(req);
    turn.release();  // the answer is in: the next call on this key may go
    std::string transient;
    if (!res) {
      if (res.error().is(Errc::Cancelled) || res.error().is(Errc::InvalidInput)) {
        co_return res.error();
      }
      transient = res.error().detail;
    } else if (res->status == 429 || is_rate_limited_answer(res->body)) {
      const auto wait = parse_retry_after(res->header("retry-after"), options_.default_retry_after);
      limiter_.suspend(key, wait);
      if (metrics_) {
        metrics_->inc("vigil_slack_api_rate_limited_total", "method", method);
      }
      if (++rate_limited > options_.max_rate_limit_retries) {
        co_return Error(Errc::RateLimited, method + ": still rate limited after " +
                                               std::to_string(options_.max_rate_limit_retries) + " waits");
      }
      log_->info("{} rate limited by Slack; waiting {} ms (Retry-After)", method, wait.count());
      continue;
    } else if (res->status >= 500) {
      transient = "HTTP " + std::to_string(res->status);
    } else if (res->status != 200) {
      co_return Error(Errc::SlackApi, method + ": HTTP " + std::to_string(res->status));
    }
    if (!transient.empty()) {
      if (++failures > options_.max_error_retries) {
        co_return Error(Errc::Unavailable, method + ": " + transient);
      }
      const auto wait = options_.error_backoff * (1 << std::min(failures - 1, 10));
      log_->warn("{} failed ({}); retry {} of {} in {} ms", method, transient, failures, options_.max_error_retries,
                 wait.count());
      co_await clock_.sleep_for(wait);
      continue;
    }
    auto body = parse_untrusted_json(res->body);
    if (body.is_discarded() || !body.is_object()) {
      co_return Error(Errc::Protocol, method + ": answer is not a JSON object");
    }
    if (!flag(body, "ok")) {
      auto error = str(body, "error");
      if (error.empty()) {
        error = "unknown_error";
      }
      if (metrics_) {
        metrics_->inc("vigil_slack_api_errors_total", "error", error);
      }
      co_return Error(Errc::SlackApi, error);
    }
    co_return Result<json>(boost::system::in_place_value, std::move(body));
  }
}

Task<Result<AuthInfo>> HttpWebApi::auth_test() {
  const std::string method = "auth.test";
  auto r = co_await call(method, json::object(), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  AuthInfo auth{str(*r, "user_id"), str(*r, "bot_id"), str(*r, "team_id"), str(*r, "user")};
  co_return auth;
}

Task<Result<std::string>> HttpWebApi::open_socket_url() {
  const std::string method = "apps.connections.open";
  auto r = co_await call(method, json::object(), Encoding::Form, true);
  if (!r) {
    co_return r.error();
  }
  auto url = str(*r, "url");
  if (url.empty()) {
    co_return Error(Errc::Protocol, "apps.connections.open: no url in the answer");
  }
  co_return url;
}

Task<Result<MessageRef>> HttpWebApi::post_message(OutgoingMessage m) {
  const std::string method = "chat.postMessage";
  auto r = co_await call(method, message_args(m), Encoding::Json);
  if (!r) {
    co_return r.error();
  }
  std::string channel = str(*r, "channel");
  if (channel.empty()) {
    channel = m.channel;
  }
  MessageRef posted{std::move(channel), str(*r, "ts")};
  co_return posted;
}

Task<Result<void>> HttpWebApi::update_message(MessageRef where, OutgoingMessage m) {
  auto args = message_args(m);
  args["channel"] = where.channel;
  args["ts"] = where.ts;
  args.erase("thread_ts");
  if (!m.blocks.is_array()) {
    args["blocks"] = json::array();  // an update without blocks removes the old ones
  }
  const std::string method = "chat.update";
  auto r = co_await call(method, args, Encoding::Json);
  if (!r) {
    co_return r.error();
  }
  Result<void> done;
  co_return done;
}

Task<Result<std::string>> HttpWebApi::post_ephemeral(std::string user, OutgoingMessage m) {
  auto args = message_args(m);
  args["user"] = user;
  const std::string method = "chat.postEphemeral";
  auto r = co_await call(method, args, Encoding::Json);
  if (!r) {
    co_return r.error();
  }
  co_return str(*r, "message_ts");
}

Task<Result<void>> HttpWebApi::delete_message(MessageRef where) {
  json args = json{{"channel", where.channel}, {"ts", where.ts}};
  const std::string method = "chat.delete";
  auto r = co_await call(method, std::move(args), Encoding::Json);
  if (!r) {
    co_return r.error();
  }
  Result<void> done;
  co_return done;
}

Task<Result<void>> HttpWebApi::add_reaction(MessageRef where, std::string name) {
  json args = json{{"channel", where.channel}, {"timestamp", where.ts}, {"name", name}};
  const std::string method = "reactions.add";
  auto r = co_await call(method, std::move(args), Encoding::Json);
  if (!r) {
    co_return r.error();
  }
  Result<void> done;
  co_return done;
}

Task<Result<std::string>> HttpWebApi::views_open(std::string trigger_id, json view) {
  json args = json{{"trigger_id", trigger_id}, {"view", view}};
  const std::string method = "views.open";
  auto r = co_await call(method, std::move(args), Encoding::Json);
  if (!r) {
    co_return r.error();
  }
  co_return str(r->value("view", json::object()), "id");
}

Task<Result<void>> HttpWebApi::views_update(std::string view_id, json view, std::string hash) {
  json args{{"view_id", view_id}, {"view", view}};
  if (!hash.empty()) {
    args["hash"] = hash;
  }
  const std::string method = "views.update";
  auto r = co_await call(method, args, Encoding::Json);
  if (!r) {
    co_return r.error();
  }
  Result<void> done;
  co_return done;
}

Task<Result<ChannelInfo>> HttpWebApi::conversations_info(std::string channel) {
  json args = json{{"channel", channel}};
  const std::string method = "conversations.info";
  auto r = co_await call(method, std::move(args), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  co_return channel_from(r->value("channel", json::object()));
}

Task<Result<ChannelInfo>> HttpWebApi::conversations_create(std::string name, bool is_private) {
  json args = json{{"name", name}, {"is_private", is_private ? "true" : "false"}};
  const std::string method = "conversations.create";
  auto r = co_await call(method, std::move(args), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  co_return channel_from(r->value("channel", json::object()));
}

Task<Result<void>> HttpWebApi::conversations_invite(std::string channel, std::vector<std::string> users) {
  std::string list;
  for (const auto& u : users) {
    list += (list.empty() ? "" : ",") + u;
  }
  json args = json{{"channel", channel}, {"users", list}};
  const std::string method = "conversations.invite";
  auto r = co_await call(method, std::move(args), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  Result<void> done;
  co_return done;
}

Task<Result<std::vector<ListedMessage>>> HttpWebApi::recent_messages(std::string channel, std::string thread_ts,
                                                                     std::string oldest, int limit) {
  json args = json{{"channel", channel}, {"limit", std::to_string(std::clamp(limit, 1, 200))}};
  if (!oldest.empty()) {
    args["oldest"] = oldest;
    args["inclusive"] = "true";
  }
  if (!thread_ts.empty()) {
    args["ts"] = thread_ts;
  }
  std::string method = thread_ts.empty() ? "conversations.history" : "conversations.replies";
  auto r = co_await call(std::move(method), std::move(args), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  std::vector<ListedMessage> out;
  const auto it = r->find("messages");
  if (it != r->end() && it->is_array()) {
    for (const auto& m : *it) {
      ListedMessage lm;
      lm.ts = str(m, "ts");
      if (lm.ts.empty()) {
        continue;
      }
      lm.thread_ts = str(m, "thread_ts");
      lm.text = str(m, "text");
      lm.user = str(m, "user");
      lm.bot_id = str(m, "bot_id");
      if (const auto blocks = m.find("blocks"); blocks != m.end() && blocks->is_array()) {
        for (const auto& b : *blocks) {
          if (auto id = str(b, "block_id"); !id.empty()) {
            lm.block_ids.push_back(std::move(id));
          }
        }
      }
      out.push_back(std::move(lm));
    }
  }
  co_return out;
}

Task<Result<UserInfo>> HttpWebApi::users_info(std::string user) {
  json args = json{{"user", user}};
  const std::string method = "users.info";
  auto r = co_await call(method, std::move(args), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  co_return user_from(r->value("user", json::object()));
}

Task<Result<std::vector<std::string>>> HttpWebApi::usergroup_users(std::string usergroup) {
  json args = json{{"usergroup", usergroup}};
  const std::string method = "usergroups.users.list";
  auto r = co_await call(method, std::move(args), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  std::vector<std::string> users;
  if (auto it = r->find("users"); it != r->end() && it->is_array()) {
    for (const auto& u : *it) {
      if (u.is_string()) {
        users.push_back(u.get<std::string>());
      }
    }
  }
  co_return users;
}

Task<Result<UserInfo>> HttpWebApi::lookup_user_by_email(std::string email) {
  json args = json{{"email", email}};
  const std::string method = "users.lookupByEmail";
  auto r = co_await call(method, std::move(args), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  co_return user_from(r->value("user", json::object()));
}

Task<Result<UploadTicket>> HttpWebApi::get_upload_url(std::string filename, std::size_t length) {
  json args = json{{"filename", filename}, {"length", std::to_string(length)}};
  const std::string method = "files.getUploadURLExternal";
  auto r = co_await call(method, std::move(args), Encoding::Form);
  if (!r) {
    co_return r.error();
  }
  UploadTicket ticket{str(*r, "upload_url"), str(*r, "file_id")};
  if (ticket.upload_url.empty() || ticket.file_id.empty()) {
    co_return Error(Errc::Protocol, method + ": no upload_url or file_id in the answer");
  }
  const auto url = http::Url::parse(ticket.upload_url);
  if (!url || (url->scheme != "https" && url->scheme != "http")) {
    co_return Error(Errc::Protocol, method + ": the upload_url is not an http(s) URL");
  }
  co_return ticket;
}

Task<Result<void>> HttpWebApi::upload_bytes(std::string upload_url, std::string bytes) {
  http::HttpRequest req;
  req.method = "POST";
  req.url = std::move(upload_url);
  req.timeout = options_.timeout;
  // Raw bytes, as Slack takes them; no Authorization header: the URL is the grant.
  req.headers.emplace_back("Content-Type", "application/octet-stream");
  req.body = std::move(bytes);
  for (int attempt = 0;; ++attempt) {
    auto res = co_await http_.send(req);
    if (res && res->status >= 200 && res->status < 300) {
      Result<void> done;
      co_return done;
    }
    const bool transient = !res || res->status >= 500 || res->status == 429;
    if (!transient) {
      co_return Error(Errc::SlackApi, "file upload: HTTP " + std::to_string(res->status));
    }
    if (attempt >= options_.max_error_retries) {
      if (res) {
        co_return Error(Errc::Unavailable, "file upload: HTTP " + std::to_string(res->status));
      }
      Error send_failure = res.error();
      co_return send_failure;
    }
    const std::chrono::milliseconds wait = options_.error_backoff * (1 << attempt);
    co_await clock_.sleep_for(wait);
  }
}

Task<Result<void>> HttpWebApi::complete_upload(FileShare share) {
  json file{{"id", share.file_id}};
  if (!share.title.empty()) {
    file["title"] = share.title;
  }
  json args{{"files", json::array({file})}, {"channel_id", share.channel}};
  if (!share.thread_ts.empty()) {
    args["thread_ts"] = share.thread_ts;
  }
  if (!share.initial_comment.empty()) {
    args["initial_comment"] = share.initial_comment;
  }
  const std::string method = "files.completeUploadExternal";
  auto r = co_await call(method, std::move(args), Encoding::Json);
  if (!r) {
    co_return r.error();
  }
  Result<void> done;
  co_return done;
}

Task<Result<void>> HttpWebApi::respond(std::string response_url, ResponseMessage m) {
  json body{{"text", m.text}};
  if (m.blocks.is_array()) {
    body["blocks"] = m.blocks;
  }
  if (m.delete_original) {
    body = json{{"delete_original", true}};
  } else {
    body["response_type"] = m.in_channel ? "in_channel" : "ephemeral";
    if (m.replace_original) {
      body["replace_original"] = true;
    }
    if (m.thread_ts) {
      body["thread_ts"] = *m.thread_ts;
      body["replace_original"] = false;
    }
  }
  http::HttpRequest req;
  req.url = response_url;
  req.timeout = options_.timeout;
  req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  req.body = body.dump();
  for (int attempt = 0;; ++attempt) {
    auto res = co_await http_.send(req);
    if (res && res->status >= 200 && res->status < 300) {
      auto j = parse_untrusted_json(res->body);
      if (j.is_object() && j.contains("ok") && !flag(j, "ok")) {
        std::string slack_error = str(j, "error");
        if (slack_error.empty()) {
          slack_error = "response_url_failed";
        }
        Error refused(Errc::SlackApi, std::move(slack_error));
        co_return refused;
      }
      Result<void> done;
      co_return done;
    }
    if (res && res->status < 500 && res->status != 429) {
      co_return Error(Errc::SlackApi, "response_url: HTTP " + std::to_string(res->status));
    }
    if (attempt >= options_.max_error_retries) {
      if (res) {
        Error still_failing(Errc::Unavailable, "response_url: HTTP " + std::to_string(res->status));
        co_return still_failing;
      }
      Error send_failure = res.error();
      co_return send_failure;
    }
    std::chrono::milliseconds wait = options_.error_backoff * (1 << attempt);
    if (res && res->status == 429) {
      const std::string retry_after = res->header("retry-after");
      wait = parse_retry_after(retry_after, options_.error_backoff);
    }
    co_await clock_.sleep_for(wait);
  }
}

}  // namespace vigil::slack

#include "bot/app/sandbox_web.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/base/embedded_files.h"
#include "bot/base/ids.h"
#include "bot/base/untrusted_json.h"
#include "integrations/http/url.h"

namespace vigil {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

std::string str(const json& j, const char* key) {
  if (!j.is_object()) {
    return {};
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

http::HttpResponse json_response(int status, const json& body) {
  http::HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "application/json; charset=utf-8";
  r.headers["cache-control"] = "no-store";
  r.body = body.dump();
  return r;
}

http::HttpResponse error_response(int status, const std::string& error) {
  return json_response(status, json{{"ok", false}, {"error", error}});
}

std::string content_type(const std::string& name) {
  const auto dot = name.rfind('.');
  const auto ext = dot == std::string::npos ? std::string() : name.substr(dot + 1);
  if (ext == "html") {
    return "text/html; charset=utf-8";
  }
  if (ext == "js") {
    return "text/javascript; charset=utf-8";
  }
  if (ext == "css") {
    return "text/css; charset=utf-8";
  }
  if (ext == "svg") {
    return "image/svg+xml";
  }
  return "application/octet-stream";
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The media type of a Content-Type value: before any parameter, trimmed, lower case.
std::string media_type(std::string_view content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
    type.remove_prefix(1);
  }
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
    type.remove_suffix(1);
  }
  return lower_ascii(type);
}

// Equal, in a time that does not depend on where they differ.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// The placeholder of index.html's <meta name="vigil-sandbox-token"> that serving fills in.
constexpr std::string_view kTokenPlaceholder = "{{VIGIL_SANDBOX_TOKEN}}";

std::string query_value(const std::string& url, const std::string& key) {
  const auto q = url.find('?');
  if (q == std::string::npos) {
    return {};
  }
  std::string_view rest(url);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (http::url_decode(std::string(pair.substr(0, eq))) == key) {
      return eq == std::string_view::npos ? std::string() : http::url_decode(std::string(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(amp + 1);
  }
  return {};
}

long long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string action_ts() {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(us / 1'000'000),
                static_cast<long long>(us % 1'000'000));
  return buf;
}

// Slack gives a block without a block_id a generated one; the sandbox's is its position.
json with_block_ids(json blocks) {
  if (!blocks.is_array()) {
    return blocks;
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].is_object() && str(blocks[i], "block_id").empty()) {
      blocks[i]["block_id"] = "sbx-" + std::to_string(i);
    }
  }
  return blocks;
}

// The interactive element (action_id) of the block (block_id), or null.
json find_element(const json& blocks, const std::string& block_id, const std::string& action_id) {
  const auto ids = with_block_ids(blocks);
  if (!ids.is_array()) {
    return nullptr;
  }
  for (const auto& b : ids) {
    if (str(b, "block_id") != block_id) {
      continue;
    }
    if (b.contains("accessory") && str(b["accessory"], "action_id") == action_id) {
      return b["accessory"];
    }
    if (b.contains("elements") && b["elements"].is_array()) {
      for (const auto& e : b["elements"]) {
        if (str(e, "action_id") == action_id) {
          return e;
        }
      }
    }
  }
  return nullptr;
}

json parse_if_string(const json& j) {
  if (j.is_string()) {
    auto parsed = json::parse(j.get<std::string>(), nullptr, false);
    return parsed.is_discarded() ? json() : parsed;
  }
  return j;
}

// json converts to anything, so Result<json> takes it only when told which side it is.
Result<json> ok_json(json j) {
  return Result<json>(boost::system::in_place_value, std::move(j));
}

bool is_loopback_host(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

// The channel messages as the page shows them: not ephemeral, not deleted (by the app, or by a
// response_url's delete_original), with their files and a response_url's replace_original applied.
json channel_messages(const std::vector<slack::EmulatedMessage>& messages, std::vector<slack::EmulatedFile> files,
                      const std::map<std::string, json>& replaced, const std::set<std::string>& deleted,
                      const slack::EmulatorOptions& eo) {
  std::map<std::string, slack::EmulatedFile> files_by_id;
  for (auto& f : files) {
    files_by_id[f.id] = std::move(f);
  }
  json out = json::array();
  for (const auto& m : messages) {
    const auto key = m.channel + ":" + m.ts;
    if (m.ephemeral || m.deleted || deleted.count(key)) {
      continue;
    }
    json j{{"channel", m.channel},
           {"ts", m.ts},
           {"thread_ts", m.thread_ts},
           {"user", m.user},
           {"bot_id", m.user == eo.bot_user_id ? eo.bot_id : m.bot_id},
           {"username", m.username},
           {"text", m.text},
           {"blocks", with_block_ids(m.blocks)},
           {"attachments", m.attachments.is_array() ? m.attachments : json::array()},
           {"edited", m.edited},
           {"reactions", m.reactions}};
    json shared = json::array();
    for (const auto& id : m.file_ids) {
      if (const auto f = files_by_id.find(id); f != files_by_id.end()) {
        // The page shows a file's start; all of it is in the emulator's record.
        shared.push_back(json{{"id", f->second.id},
                              {"name", f->second.name},
                              {"title", f->second.title},
                              {"size", f->second.content.size()},
                              {"preview", f->second.content.substr(0, 20000)}});
      }
    }
    j["files"] = std::move(shared);
    if (auto it = replaced.find(key); it != replaced.end()) {
      j["text"] = str(it->second, "text");
      j["blocks"] = with_block_ids(it->second.value("blocks", json::array()));
      j["edited"] = true;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

std::string sandbox_post_refusal(const SandboxPostHeaders& post, std::string_view page_token) {
  if (media_type(post.content_type) != "application/json") {
    return "refused: the content type must be application/json, not '" + post.content_type + "'";
  }
  if (!post.origin.empty() && lower_ascii(post.origin) != "http://" + lower_ascii(post.host)) {
    return "refused: a request from another origin (" + post.origin + "); only the sandbox page itself may post";
  }
  if (post.token.empty() || !same_secret(post.token, page_token)) {
    return "refused: missing or wrong page token (X-Vigil-Sandbox-Token); reload the sandbox page";
  }
  return {};
}

SandboxWeb::SandboxWeb(slack::SlackEmulator& emulator, SandboxWebOptions options, Logger log)
    : emulator_(emulator), options_(std::move(options)), log_(std::move(log)), page_token_(random_hex(16)) {}

SandboxWeb::~SandboxWeb() {
  stop();
}

void SandboxWeb::add_action(std::string name, std::string label, Action action) {
  actions_.push_back({std::move(name), std::move(label), std::move(action)});
}

void SandboxWeb::every(std::chrono::milliseconds period, std::function<void()> tick) {
  tickers_.emplace_back(period, std::move(tick));
}

std::string SandboxWeb::url() const {
  std::string host = host_;
  if (host.empty() || host == "0.0.0.0") {
    host = "127.0.0.1";
  } else if (host == "::") {
    host = "::1";
  }
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return "http://" + host + ":" + std::to_string(port_) + "/";
}

Result<void> SandboxWeb::start() {
  auto address = http::parse_listen_address(options_.listen);
  if (!address) {
    return make_error(Errc::InvalidConfig, "sandbox address: " + address.error().detail);
  }
  host_ = address->first;
  http::HttpServerOptions o;
  o.listen = options_.listen;
  o.max_body_bytes = 256 * 1024;
  // A long-poll stays open up to poll_wait; the browser reuses the connection afterwards.
  o.header_timeout = std::max(std::chrono::milliseconds(60'000), options_.poll_wait * 2);
  server_ = http::make_beast_http_server(io_.get_executor(), o, log_);
  register_routes();
  if (auto started = server_->start(); !started) {
    return started.error();
  }
  port_ = server_->port();
  if (!is_loopback_host(host_)) {
    log_->warn("the sandbox page listens on {}: anyone who can reach it can act as a demo approver", options_.listen);
  }
  for (auto& [period, tick] : tickers_) {
    spawn(io_.get_executor(), ticker(period, tick), log_, "sandbox ticker");
  }
  thread_ = std::thread([this] { io_.run(); });
  return {};
}

void SandboxWeb::stop() {
  if (!thread_.joinable()) {
    return;
  }
  boost::asio::post(io_, [this] {
    stopping_ = true;
    server_->stop();
  });
  // Long-polls and tickers notice within one step; then stop hard.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(2);
  while (SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard lock(mu_);
    if (in_flight_ == 0) {
      break;
    }
  }
  io_.stop();
  thread_.join();
}

Task<> SandboxWeb::ticker(std::chrono::milliseconds period, std::function<void()> tick) {
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  boost::asio::steady_timer timer(io_);
  auto due = SteadyClock::now() + period;
  while (!stopping_) {
    // Short steps, so stop() is noticed quickly.
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(kToken);
    if (stopping_ || SteadyClock::now() < due) {
      continue;
    }
    due = SteadyClock::now() + period;
    try {
      tick();
    } catch (const std::exception& e) {
      log_->error("sandbox: a periodic task failed: {}", e.what());
    }
  }
  std::lock_guard lock(mu_);
  --in_flight_;
}

bool SandboxWeb::host_allowed(const http::HttpRequest& request) const {
  if (!is_loopback_host(host_)) {
    return true;  // deliberately served beyond this machine
  }
  auto host = http::request_header(request, "host");
  if (host.empty()) {
    return true;  // HTTP/1.0 tools; a browser always names the host
  }
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  // Another name pointing at 127.0.0.1 (DNS rebinding) gets nothing.
  return is_loopback_host(host);
}

void SandboxWeb::register_routes() {
  register_page_files();
  server_->route("GET", "/api/state", [this](http::HttpRequest r) { return serve_state(std::move(r)); });
  auto post = [this](std::string path, std::function<Result<json>(const json&)> fn) {
    server_->route("POST", path, [this, fn](http::HttpRequest r) -> Task<http::HttpResponse> {
      http::HttpResponse answer = serve_post(r, fn);
      co_return answer;
    });
  };
  post("/api/message", [this](const json& b) { return on_message(b); });
  post("/api/command", [this](const json& b) { return on_command(b); });
  post("/api/action", [this](const json& b) { return on_action(b); });
  post("/api/view_submission", [this](const json& b) { return on_view_submission(b); });
  post("/api/view_close", [this](const json& b) { return on_view_close(b); });
  for (const auto& a : actions_) {
    post("/api/run/" + a.name, [this, action = a.action](const json&) { return on_header_action(action); });
  }
}

// The page itself: every embedded web/ file at its name, index.html also at /.
void SandboxWeb::register_page_files() {
  for (const auto& f : embedded_files("web/")) {
    const std::string name(f.name.substr(4));
    http::HttpResponse r;
    r.status = 200;
    r.headers["content-type"] = content_type(name);
    r.headers["cache-control"] = "no-store";
    r.headers["x-content-type-options"] = "nosniff";
    r.headers["content-security-policy"] =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
    r.body = std::string(f.data);
    if (const auto at = r.body.find(kTokenPlaceholder); at != std::string::npos) {
      r.body.replace(at, kTokenPlaceholder.size(), page_token_);
    }
    auto handler = [this, r](http::HttpRequest request) -> Task<http::HttpResponse> {
      http::HttpResponse answer = host_allowed(request) ? r : error_response(403, "forbidden_host");
      co_return answer;
    };
    server_->route("GET", "/" + name, handler);
    if (name == "index.html") {
      server_->route("GET", "/", handler);
    }
  }
}

Result<json> SandboxWeb::on_message(const json& b) {
  auto sent = post_as_user(str(b, "user"), str(b, "channel"), str(b, "text"), str(b, "thread_ts"));
  if (!sent) {
    return sent.error();
  }
  return ok_json(json{{"ok", true}, {"ts", sent->ts}, {"envelope_id", sent->envelope_id}});
}

Result<json> SandboxWeb::on_command(const json& b) {
  auto sent = slash_command(str(b, "user"), str(b, "channel"), str(b, "command"), str(b, "text"), str(b, "thread_ts"));
  if (!sent) {
    return sent.error();
  }
  return ok_json(json{{"ok", true}, {"envelope_id", sent->envelope_id}});
}

Result<json> SandboxWeb::on_action(const json& b) {
  auto sent = click(str(b, "user"), str(b, "channel"), str(b, "message_ts"), str(b, "ephemeral_id"), str(b, "block_id"),
                    str(b, "action_id"));
  if (!sent) {
    return sent.error();
  }
  return ok_json(json{{"ok", true}, {"envelope_id", sent->envelope_id}});
}

Result<json> SandboxWeb::on_view_submission(const json& b) {
  const auto view_id = str(b, "view_id");
  auto sent = submit_view(str(b, "user"), view_id, b.value("values", json::object()));
  if (!sent) {
    return sent.error();
  }
  // Like Slack: an ack with `response_action: errors` keeps the modal open, a message under
  // each named input.
  const auto ack = emulator_.wait_for_ack(sent->envelope_id, std::chrono::seconds(3));
  if (ack && ack->payload.is_object() && str(ack->payload, "response_action") == "errors") {
    return ok_json(json{
        {"ok", true}, {"envelope_id", sent->envelope_id}, {"errors", ack->payload.value("errors", json::object())}});
  }
  close_view(view_id);
  return ok_json(json{{"ok", true}, {"envelope_id", sent->envelope_id}});
}

Result<json> SandboxWeb::on_view_close(const json& b) {
  close_view(str(b, "view_id"));
  return ok_json(json{{"ok", true}});
}

Result<json> SandboxWeb::on_header_action(const Action& action) {
  auto note = action();
  if (!note) {
    return note.error();
  }
  {
    std::lock_guard lock(mu_);
    notes_.push_back(*note);
    ++local_changes_;
  }
  return ok_json(json{{"ok", true}, {"note", *note}});
}

http::HttpResponse SandboxWeb::serve_post(const http::HttpRequest& request,
                                          const std::function<Result<json>(const json&)>& fn) {
  if (!host_allowed(request)) {
    return error_response(403, "forbidden_host");
  }
  const SandboxPostHeaders headers{http::request_header(request, "content-type"),
                                   http::request_header(request, "origin"), http::request_header(request, "host"),
                                   http::request_header(request, kSandboxTokenHeader)};
  if (const auto refusal = sandbox_post_refusal(headers, page_token_); !refusal.empty()) {
    log_->warn("sandbox page: {} {}", request.url, refusal);
    return error_response(403, refusal);
  }
  const auto body = parse_untrusted_json(request.body);
  if (body.is_discarded() || !body.is_object()) {
    return error_response(400, "the body is not a JSON object");
  }
  auto result = fn(body);
  if (!result) {
    const int status = result.error().is(Errc::NotFound) ? 404 : 400;
    return error_response(status, result.error().detail);
  }
  return json_response(200, *result);
}

Task<http::HttpResponse> SandboxWeb::serve_state(http::HttpRequest request) {
  if (!host_allowed(request)) {
    http::HttpResponse refused = error_response(403, "forbidden_host");
    co_return refused;
  }
  const auto since_text = query_value(request.url, "since");
  std::uint64_t since = 0;
  const bool wait =
      !since_text.empty() && since_text.size() < 20 && since_text.find_first_not_of("0123456789") == std::string::npos;
  if (!since_text.empty() && !wait) {
    http::HttpResponse bad = error_response(400, "since must be a number");
    co_return bad;
  }
  if (wait) {
    since = std::stoull(since_text);
  }
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  boost::asio::steady_timer timer(io_);
  const auto deadline = SteadyClock::now() + options_.poll_wait;
  while (wait && !stopping_ && version() == since && SteadyClock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(kToken);
  }
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  const auto body = state();
  http::HttpResponse answer = json_response(200, body);
  co_return answer;
}

std::uint64_t SandboxWeb::version() const {
  const auto emulated = emulator_.changes();
  std::lock_guard lock(mu_);
  return emulated + local_changes_;
}

// ---------------------------------------------------------------------------------------------
const SandboxUser* SandboxWeb::find_user(const std::string& id) const {
  for (const auto& u : options_.users) {
    if (u.id == id) {
      return &u;
    }
  }
  return nullptr;
}

bool SandboxWeb::channel_exists(const std::string& id) const {
  for (const auto& c : emulator_.channels()) {
    if (c.id == id) {
      return true;
    }
  }
  return false;
}

std::string SandboxWeb::channel_name(const std::string& id) const {
  for (const auto& c : emulator_.channels()) {
    if (c.id == id) {
      return c.name;
    }
  }
  return id;
}

std::string SandboxWeb::with_mentions(const std::string& text) const {
  std::vector<std::pair<std::string, std::string>> names{{"vigil", emulator_.options().bot_user_id}};
  for (const auto& u : options_.users) {
    names.emplace_back(u.name, u.id);
  }
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '@' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n')) {
      for (const auto& [name, id] : names) {
        const auto end = i + 1 + name.size();
        if (text.compare(i + 1, name.size(), name) == 0 &&
            (end == text.size() ||
             !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '-' || text[end] == '_'))) {
          out += "<@" + id + ">";
          i = end;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) {
      // Slack escapes these three in message text.
      switch (text[i]) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        default:
          out += text[i];
      }
      ++i;
    }
  }
  return out;
}

json SandboxWeb::user_json(const std::string& user) const {
  const auto* u = find_user(user);
  const std::string name = u ? u->name : user;
  return json{{"id", user}, {"username", name}, {"name", name}, {"team_id", options_.team_id}};
}

std::string SandboxWeb::new_response_url(const Context& c) {
  std::lock_guard lock(mu_);
  const auto id = "sbx-" + std::to_string(++counter_) + "-" + random_hex(6);
  responses_[id] = c;
  return emulator_.response_url(id);
}

std::string SandboxWeb::new_trigger_id(const Context& c) {
  std::lock_guard lock(mu_);
  const auto id = std::to_string(++counter_) + "." + std::to_string(unix_now()) + "." + random_hex(8);
  triggers_[id] = c;
  return id;
}

std::string SandboxWeb::send(json envelope, const Context& c) {
  std::string id;
  {
    std::lock_guard lock(mu_);
    id = "sbx-env-" + std::to_string(++counter_) + "-" + random_hex(4);
    envelopes_[id] = c;
  }
  envelope["envelope_id"] = id;
  emulator_.send_envelope(std::move(envelope));
  return id;
}

json SandboxWeb::event_envelope(json event) {
  std::uint64_t n = 0;
  {
    std::lock_guard lock(mu_);
    n = ++counter_;
  }
  const auto& eo = emulator_.options();
  return json{{"type", "events_api"},
              {"accepts_response_payload", false},
              {"retry_attempt", 0},
              {"retry_reason", ""},
              {"payload",
               {{"token", "sandbox"},
                {"team_id", options_.team_id},
                {"api_app_id", eo.app_id},
                {"event", std::move(event)},
                {"type", "event_callback"},
                {"event_id", "Ev0SBX" + std::to_string(n)},
                {"event_time", unix_now()},
                {"authorizations", json::array({{{"enterprise_id", nullptr},
                                                 {"team_id", options_.team_id},
                                                 {"user_id", eo.bot_user_id},
                                                 {"is_bot", true},
                                                 {"is_enterprise_install", false}}})},
                {"is_ext_shared_channel", false},
                {"event_context", "sandbox-" + std::to_string(n)}}}};
}

// ---------------------------------------------------------------------------------------------
Result<SandboxWeb::Sent> SandboxWeb::post_as_user(const std::string& user, const std::string& channel,
                                                  const std::string& text, const std::string& thread_ts) {
  if (!find_user(user)) {
    return make_error(Errc::InvalidInput, "unknown user '" + user + "'");
  }
  if (!channel_exists(channel)) {
    return make_error(Errc::NotFound, "channel_not_found");
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return make_error(Errc::InvalidInput, "no_text");
  }
  if (text.size() > 40'000) {
    return make_error(Errc::InvalidInput, "msg_too_long");
  }
  std::string parent_user;
  if (!thread_ts.empty()) {
    bool found = false;
    for (const auto& m : emulator_.messages(channel)) {
      if (m.ts == thread_ts && !m.ephemeral && !m.deleted) {
        found = true;
        parent_user = m.user;
      }
    }
    if (!found) {
      return make_error(Errc::NotFound, "thread_not_found");
    }
  }
  slack::EmulatedMessage m;
  m.channel = channel;
  m.thread_ts = thread_ts;
  m.user = user;
  m.text = with_mentions(text);
  const auto message_text = m.text;
  Sent sent;
  sent.ts = emulator_.post_message(std::move(m));
  json event{{"type", "message"},
             {"client_msg_id", new_uuid()},
             {"text", message_text},
             {"user", user},
             {"ts", sent.ts},
             {"team", options_.team_id},
             {"channel", channel},
             {"event_ts", sent.ts},
             {"channel_type", "channel"}};
  if (!thread_ts.empty()) {
    event["thread_ts"] = thread_ts;
    if (!parent_user.empty()) {
      event["parent_user_id"] = parent_user;
    }
  }
  const Context c{user, channel, thread_ts, ""};
  sent.envelope_id = send(event_envelope(event), c);
  // Slack sends both events for a mention of the app; Vigil handles the pair once.
  if (message_text.find("<@" + emulator_.options().bot_user_id + ">") != std::string::npos) {
    json mention{{"type", "app_mention"},    {"text", message_text}, {"user", user},       {"ts", sent.ts},
                 {"team", options_.team_id}, {"channel", channel},   {"event_ts", sent.ts}};
    if (!thread_ts.empty()) {
      mention["thread_ts"] = thread_ts;
    }
    send(event_envelope(mention), c);
  }
  return sent;
}

Result<SandboxWeb::Sent> SandboxWeb::post_as_bot(const std::string& channel, const json& message) {
  if (!channel_exists(channel)) {
    return make_error(Errc::NotFound, "channel_not_found");
  }
  slack::EmulatedMessage m;
  m.channel = channel;
  m.bot_id = str(message, "bot_id");
  m.username = str(message, "username");
  m.text = str(message, "text");
  m.attachments = message.value("attachments", json::array());
  if (m.bot_id.empty()) {
    return make_error(Errc::InvalidInput, "a bot message needs a bot_id");
  }
  const auto bot_id = m.bot_id;
  const auto username = m.username;
  const auto text = m.text;
  const auto attachments = m.attachments;
  Sent sent;
  sent.ts = emulator_.post_message(std::move(m));
  json event{{"type", "message"},  {"subtype", "bot_message"}, {"text", text},
             {"ts", sent.ts},      {"username", username},     {"bot_id", bot_id},
             {"channel", channel}, {"event_ts", sent.ts},      {"channel_type", "channel"}};
  if (attachments.is_array() && !attachments.empty()) {
    event["attachments"] = attachments;
  }
  sent.envelope_id = send(event_envelope(event), Context{"", channel, "", ""});
  return sent;
}

Result<SandboxWeb::Sent> SandboxWeb::slash_command(const std::string& user, const std::string& channel,
                                                   const std::string& command, const std::string& text,
                                                   const std::string& thread_ts) {
  const auto* u = find_user(user);
  if (!u) {
    return make_error(Errc::InvalidInput, "unknown user '" + user + "'");
  }
  if (!channel_exists(channel)) {
    return make_error(Errc::NotFound, "channel_not_found");
  }
  if (command.size() < 2 || command[0] != '/' || command.find_first_of(" \t\n") != std::string::npos) {
    return make_error(Errc::InvalidInput, "a command looks like /name");
  }
  const Context c{user, channel, thread_ts, ""};
  json payload{{"token", "sandbox"},
               {"team_id", options_.team_id},
               {"team_domain", "vigil-sandbox"},
               {"channel_id", channel},
               {"channel_name", channel_name(channel)},
               {"user_id", user},
               {"user_name", u->name},
               {"command", command},
               {"text", text},
               {"api_app_id", emulator_.options().app_id},
               {"is_enterprise_install", "false"},
               {"response_url", new_response_url(c)},
               {"trigger_id", new_trigger_id(c)}};
  Sent sent;
  sent.envelope_id =
      send(json{{"type", "slash_commands"}, {"accepts_response_payload", true}, {"payload", std::move(payload)}}, c);
  return sent;
}

Result<SandboxWeb::ClickTarget> SandboxWeb::click_target(const std::string& user, const std::string& channel,
                                                         const std::string& message_ts,
                                                         const std::string& ephemeral_id) const {
  ClickTarget target;
  target.channel = channel;
  if (!ephemeral_id.empty()) {
    const auto now = state();
    for (const auto& e : now["ephemerals"]) {
      if (str(e, "id") == ephemeral_id && str(e, "user") == user) {
        target.blocks = e.value("blocks", json());
        target.thread_ts = str(e, "thread_ts");
        target.channel = str(e, "channel");
      }
    }
    if (target.blocks.is_null()) {
      return make_error(Errc::NotFound, "ephemeral_not_found");
    }
    return target;
  }
  const auto& eo = emulator_.options();
  for (const auto& m : emulator_.messages(channel)) {
    if (m.ts == message_ts && !m.ephemeral && !m.deleted) {
      target.blocks = m.blocks;
      target.thread_ts = m.thread_ts;
      target.message = json{{"type", "message"},
                            {"text", m.text},
                            {"ts", m.ts},
                            {"team", options_.team_id},
                            {"blocks", with_block_ids(m.blocks)}};
      if (m.user == eo.bot_user_id) {
        target.message["user"] = m.user;
        target.message["bot_id"] = eo.bot_id;
        target.message["app_id"] = eo.app_id;
      } else if (!m.user.empty()) {
        target.message["user"] = m.user;
      }
      if (!m.thread_ts.empty()) {
        target.message["thread_ts"] = m.thread_ts;
      }
    }
  }
  if (target.message.is_null()) {
    return make_error(Errc::NotFound, "message_not_found");
  }
  return target;
}

Result<SandboxWeb::Sent> SandboxWeb::click(const std::string& user, const std::string& channel,
                                           const std::string& message_ts, const std::string& ephemeral_id,
                                           const std::string& block_id, const std::string& action_id) {
  if (!find_user(user)) {
    return make_error(Errc::InvalidInput, "unknown user '" + user + "'");
  }
  auto target = click_target(user, channel, message_ts, ephemeral_id);
  if (!target) {
    return target.error();
  }
  const auto element = find_element(target->blocks, block_id, action_id);
  if (element.is_null()) {
    return make_error(Errc::NotFound, "no such button on that message");
  }
  const auto& in_channel = target->channel;
  const Context c{user, in_channel, target->thread_ts, message_ts};
  json action{{"action_id", action_id},
              {"block_id", block_id},
              {"type", element.value("type", "button")},
              {"action_ts", action_ts()}};
  for (const char* k : {"text", "value", "style"}) {
    if (element.contains(k)) {
      action[k] = element[k];
    }
  }
  json payload{{"type", "block_actions"},
               {"user", user_json(user)},
               {"api_app_id", emulator_.options().app_id},
               {"token", "sandbox"},
               {"container",
                {{"type", "message"},
                 {"message_ts", message_ts},
                 {"channel_id", in_channel},
                 {"is_ephemeral", !ephemeral_id.empty()}}},
               {"trigger_id", new_trigger_id(c)},
               {"team", {{"id", options_.team_id}, {"domain", "vigil-sandbox"}}},
               {"enterprise", nullptr},
               {"is_enterprise_install", false},
               {"channel", {{"id", in_channel}, {"name", channel_name(in_channel)}}},
               {"state", {{"values", json::object()}}},
               {"response_url", new_response_url(c)},
               {"actions", json::array({action})}};
  if (!target->message.is_null()) {
    payload["message"] = target->message;
  }
  Sent sent;
  sent.envelope_id =
      send(json{{"type", "interactive"}, {"accepts_response_payload", false}, {"payload", std::move(payload)}}, c);
  return sent;
}

Result<SandboxWeb::Sent> SandboxWeb::submit_view(const std::string& user, const std::string& view_id,
                                                 const json& values) {
  if (!find_user(user)) {
    return make_error(Errc::InvalidInput, "unknown user '" + user + "'");
  }
  json view;
  const auto now = state();
  for (const auto& v : now["views"]) {
    if (str(v, "id") == view_id && str(v, "user") == user) {
      view = v["view"];
    }
  }
  if (!view.is_object()) {
    return make_error(Errc::NotFound, "view_not_found");
  }
  json state_values = json::object();
  for (const auto& b : with_block_ids(view.value("blocks", json::array()))) {
    if (str(b, "type") != "input" || !b.contains("element")) {
      continue;
    }
    const auto block_id = str(b, "block_id");
    const auto action_id = str(b["element"], "action_id");
    std::string value;
    if (values.is_object() && values.contains(block_id) && values[block_id].is_object()) {
      value = str(values[block_id], action_id.c_str());
    }
    if (value.empty() && !b.value("optional", false)) {
      return make_error(Errc::InvalidInput, "'" + block_id + "' is required");
    }
    json entry{{"type", str(b["element"], "type")}};
    entry["value"] = value.empty() ? json() : json(value);
    state_values[block_id][action_id] = entry;
  }
  const auto& eo = emulator_.options();
  const Context c{user, "", "", ""};
  json submitted = view;
  submitted["id"] = view_id;
  submitted["team_id"] = options_.team_id;
  submitted["type"] = view.value("type", "modal");
  submitted["blocks"] = with_block_ids(view.value("blocks", json::array()));
  submitted["state"] = {{"values", state_values}};
  submitted["hash"] = std::to_string(unix_now()) + ".sbx" + random_hex(4);
  submitted["previous_view_id"] = nullptr;
  submitted["root_view_id"] = view_id;
  submitted["app_id"] = eo.app_id;
  submitted["external_id"] = "";
  submitted["app_installed_team_id"] = options_.team_id;
  submitted["bot_id"] = eo.bot_id;
  for (const char* k : {"private_metadata", "callback_id"}) {
    if (!submitted.contains(k)) {
      submitted[k] = "";
    }
  }
  json payload{{"type", "view_submission"}, {"team", {{"id", options_.team_id}, {"domain", "vigil-sandbox"}}},
               {"user", user_json(user)},   {"api_app_id", eo.app_id},
               {"token", "sandbox"},        {"trigger_id", new_trigger_id(c)},
               {"view", submitted},         {"response_urls", json::array()}};
  Sent sent;
  sent.envelope_id =
      send(json{{"type", "interactive"}, {"accepts_response_payload", true}, {"payload", std::move(payload)}}, c);
  return sent;
}

void SandboxWeb::close_view(const std::string& view_id) {
  std::lock_guard lock(mu_);
  if (closed_views_.insert(view_id).second) {
    ++local_changes_;
  }
}

// ---------------------------------------------------------------------------------------------
// Called with mu_ held.
json SandboxWeb::ephemerals_locked(const std::vector<slack::EmulatedMessage>& messages,
                                   std::map<std::string, json>& replaced, std::set<std::string>& deleted) const {
  json out = json::array();
  for (const auto& m : messages) {
    if (m.ephemeral) {
      out.push_back({{"id", "e-" + m.ts},
                     {"user", m.user},
                     {"channel", m.channel},
                     {"thread_ts", m.thread_ts},
                     {"text", m.text},
                     {"blocks", with_block_ids(m.blocks)},
                     {"source", "chat.postEphemeral"},
                     {"anchor", m.ts}});
    }
  }
  const auto posts = emulator_.response_posts();
  for (std::size_t i = 0; i < posts.size(); ++i) {
    const auto& [id, body] = posts[i];
    const auto it = responses_.find(id);
    if (it == responses_.end() || !body.is_object()) {
      continue;
    }
    const auto& c = it->second;
    if (body.value("delete_original", false)) {
      deleted.insert(c.channel + ":" + c.message_ts);
      continue;
    }
    if (body.value("replace_original", false) && !c.message_ts.empty()) {
      replaced[c.channel + ":" + c.message_ts] = body;
      continue;
    }
    out.push_back({{"id", "r-" + std::to_string(i)},
                   {"user", c.user},
                   {"channel", c.channel},
                   {"thread_ts", c.thread_ts},
                   {"text", str(body, "text")},
                   {"blocks", with_block_ids(body.value("blocks", json::array()))},
                   {"source", "response_url"},
                   {"in_channel", str(body, "response_type") == "in_channel"}});
  }
  for (const auto& ack : emulator_.acks()) {
    const auto it = envelopes_.find(ack.envelope_id);
    if (it == envelopes_.end() || !ack.payload.is_object()) {
      continue;
    }
    const auto& p = ack.payload;
    if (str(p, "text").empty() && !p.contains("blocks")) {
      continue;  // e.g. a view_submission's response_action
    }
    const auto& c = it->second;
    out.push_back({{"id", "a-" + ack.envelope_id},
                   {"user", c.user},
                   {"channel", c.channel},
                   {"thread_ts", c.thread_ts},
                   {"text", str(p, "text")},
                   {"blocks", with_block_ids(p.value("blocks", json::array()))},
                   {"source", "ack"},
                   {"in_channel", str(p, "response_type") == "in_channel"}});
  }
  return out;
}

// Called with mu_ held. Where each private reply shows: a chat.postEphemeral reply at its own ts,
// a response_url or ack reply after the newest message when the page first saw it (so it stays put).
void SandboxWeb::anchor_ephemerals_locked(json& ephemerals, const std::vector<slack::EmulatedMessage>& messages) const {
  std::string newest = "0";
  for (const auto& m : messages) {
    newest = std::max(newest, m.ts);
  }
  for (auto& e : ephemerals) {
    const auto id = str(e, "id");
    if (!e.contains("anchor")) {
      auto [it, fresh] = anchors_.emplace(id, newest);
      (void)fresh;
      e["anchor"] = it->second;
    }
  }
}

// Called with mu_ held. The modals open now: opened for a trigger of the page, not closed, as
// their newest views.update left them.
json SandboxWeb::views_locked(const std::vector<slack::EmulatedCall>& opened,
                              const std::vector<slack::EmulatedCall>& updated) const {
  std::map<std::string, json> view_updates;
  for (const auto& c : updated) {
    if (c.response.is_object() && c.response.value("ok", false)) {
      view_updates[str(c.args, "view_id")] = parse_if_string(c.args.value("view", json()));
    }
  }
  json views = json::array();
  for (const auto& c : opened) {
    if (!c.response.is_object() || !c.response.value("ok", false)) {
      continue;
    }
    const auto id = str(c.response.value("view", json::object()), "id");
    const auto trigger = triggers_.find(str(c.args, "trigger_id"));
    if (id.empty() || trigger == triggers_.end() || closed_views_.count(id)) {
      continue;
    }
    auto view = parse_if_string(c.args.value("view", json()));
    if (auto u = view_updates.find(id); u != view_updates.end() && u->second.is_object()) {
      view = u->second;
    }
    if (view.is_object()) {
      view["blocks"] = with_block_ids(view.value("blocks", json::array()));
    }
    views.push_back({{"id", id}, {"user", trigger->second.user}, {"view", view}});
  }
  return views;
}

json SandboxWeb::state() const {
  const auto version_now = version();
  const auto messages = emulator_.messages();
  const auto opened = emulator_.calls("views.open");
  const auto updated = emulator_.calls("views.update");
  const auto channels = emulator_.channels();
  const bool connected = !emulator_.connections().empty();
  const auto& eo = emulator_.options();

  std::lock_guard lock(mu_);
  std::map<std::string, json> replaced;
  std::set<std::string> deleted;
  auto ephemerals = ephemerals_locked(messages, replaced, deleted);
  anchor_ephemerals_locked(ephemerals, messages);
  auto out_messages = channel_messages(messages, emulator_.files(), replaced, deleted, eo);
  auto views = views_locked(opened, updated);

  json users = json::array();
  for (const auto& u : options_.users) {
    users.push_back({{"id", u.id}, {"name", u.name}, {"role", u.role}, {"is_bot", false}});
  }
  users.push_back({{"id", eo.bot_user_id}, {"name", "vigil"}, {"role", "the app"}, {"is_bot", true}});
  json chans = json::array();
  for (const auto& c : channels) {
    chans.push_back({{"id", c.id}, {"name", c.name}, {"is_private", c.is_private}});
  }
  json actions = json::array();
  for (const auto& a : actions_) {
    actions.push_back({{"name", a.name}, {"label", a.label}});
  }
  return json{{"version", version_now},
              {"connected", connected},
              {"workspace", options_.workspace},
              {"banner", options_.banner},
              {"default_channel", options_.default_channel},
              {"bot", {{"user_id", eo.bot_user_id}, {"bot_id", eo.bot_id}, {"name", "vigil"}}},
              {"users", users},
              {"channels", chans},
              {"messages", out_messages},
              {"ephemerals", ephemerals},
              {"views", views},
              {"actions", actions},
              {"notes", notes_}};
}

}  // namespace vigil

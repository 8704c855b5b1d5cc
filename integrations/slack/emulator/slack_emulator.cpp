#include "integrations/slack/emulator/slack_emulator.h"

#include <algorithm>
#include <deque>
#include <future>
#include <random>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "bot/base/logging.h"
#include "bot/base/task.h"
#include "integrations/http/url.h"

namespace vigil::slack {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string jstr(const json& j, const char* key) {
  if (!j.is_object()) {
    return {};
  }
  const auto it = j.find(key);
  if (it == j.end()) {
    return {};
  }
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// Slack rejects what breaks these (slack-protocol.md §4); the emulator does the same so tests see
// an invalid_blocks the way production would.
bool blocks_valid(const json& blocks, std::string& why) {
  if (!blocks.is_array()) {
    why = "blocks must be an array";
    return false;
  }
  if (blocks.size() > 50) {
    why = "more than 50 blocks";
    return false;
  }
  std::function<bool(const json&, const std::string&)> walk = [&](const json& j, const std::string& parent) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        if (v.is_string()) {
          const auto n = v.get<std::string>().size();
          if ((k == "block_id" || k == "action_id") && n > 255) {
            why = k + " longer than 255";
            return false;
          }
          if (k == "value" && n > 2000) {
            why = "value longer than 2000";
            return false;
          }
          if (k == "text" && parent == "button" && n > 75) {
            why = "button text longer than 75";
            return false;
          }
          if (k == "text" && n > 3000) {
            why = "text longer than 3000";
            return false;
          }
        }
        const auto type = j.is_object() ? jstr(j, "type") : std::string();
        if (!walk(v, type)) {
          return false;
        }
      }
    } else if (j.is_array()) {
      for (const auto& v : j) {
        if (!walk(v, parent)) {
          return false;
        }
      }
    }
    return true;
  };
  return walk(blocks, "");
}

}  // namespace

// ----------------------------------------------------------------------------------------------
class SlackEmulator::Impl {
 public:
  struct Session {
    explicit Session(tcp::socket&& s) : ws(std::move(s)), wake(ws.get_executor()) {}
    websocket::stream<beast::tcp_stream> ws;
    net::steady_timer wake;
    std::deque<std::string> outbox;
    int id = 0;
    bool ready = false;
    bool draining = false;
    bool frozen = false;
    bool closed = false;
    bool closing = false;
    bool abrupt = false;
  };
  struct Pending {
    json envelope;
    int attempt = 0;
    int connection = 0;
    SteadyClock::time_point sent_at;
    bool acked = false;
    bool is_event = false;
  };
  struct AppBot {
    std::string bot_id;
    std::string name;
  };
  struct Window {
    int max = 0;
    std::chrono::milliseconds window{0};
    std::map<std::string, std::deque<SteadyClock::time_point>> hits;
  };

  Impl(EmulatorOptions options) : options_(std::move(options)), acceptor_(io_), log_(null_logger("emulator")) {
    channels_["C111"] = EmulatedChannel{"C111", "random", false, {}};
    channels_["C222"] = EmulatedChannel{"C222", "incidents", false, {}};
    users_["U111"] = {"U111", "alice", "alice@example.com"};
    users_["U222"] = {"U222", "bob", "bob@example.com"};
    users_["W111"] = {"W111", "primary-owner", "owner@example.com"};
  }

  unsigned short start() {
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    spawn(io_.get_executor(), listen(), log_, "emulator listen");
    thread_ = std::thread([this] { io_.run(); });
    return port_;
  }

  void stop() {
    if (!thread_.joinable()) {
      return;
    }
    net::post(io_, [this] { close_everything(); });
    // Give the coroutines a moment to unwind, then stop hard.
    auto deadline = SteadyClock::now() + std::chrono::seconds(2);
    while (SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard lock(mu_);
      if (live_tasks_ == 0) {
        break;
      }
    }
    io_.stop();
    thread_.join();
    // A busy io thread may have stopped before it ran the posted close; with the thread gone, close
    // here, so that Slack is really gone: new connections are refused, open ones see EOF.
    close_everything();
  }

  void close_everything() {
    stopping_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& [id, s] : sessions_) {
      s->closed = true;
      beast::get_lowest_layer(s->ws).socket().close(ec);
      s->wake.cancel();
    }
    for (auto& t : timers_) {
      t->cancel();
    }
    for (auto& s : http_sockets_) {
      s->close(ec);
    }
  }

  // ------------------------------------------------------------------ accept + HTTP
  Task<> listen() {
    auto guard = count_task();
    while (!stopping_) {
      auto [ec, socket] = co_await acceptor_.async_accept(kToken);
      if (ec) {
        break;
      }
      socket.set_option(tcp::no_delay(true));
      {
        std::lock_guard lock(mu_);
        ++http_accepted_;
      }
      spawn(io_.get_executor(), serve(std::move(socket)), log_, "emulator session");
    }
  }

  struct TaskGuard {
    Impl* impl;
    ~TaskGuard() {
      std::lock_guard lock(impl->mu_);
      --impl->live_tasks_;
    }
  };
  TaskGuard count_task() {
    std::lock_guard lock(mu_);
    ++live_tasks_;
    return TaskGuard{this};
  }

  Task<> serve(tcp::socket socket) {
    auto guard = count_task();
    auto sock = std::make_shared<tcp::socket>(std::move(socket));
    http_sockets_.insert(sock);
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      auto [ec, n] = co_await bhttp::async_read(*sock, buffer, parser, kToken);
      (void)n;
      if (ec) {
        break;
      }
      auto req = parser.release();
      if (websocket::is_upgrade(req)) {
        int refuse_status = 0;
        {
          std::lock_guard lock(mu_);
          if (refuse_count_ > 0) {
            --refuse_count_;
            refuse_status = refuse_status_;
          }
        }
        if (refuse_status != 0) {
          bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(refuse_status), 11};
          res.set(bhttp::field::content_type, "text/html");
          res.body() = "<html>refused by the emulator</html>";
          res.keep_alive(false);
          res.prepare_payload();
          co_await bhttp::async_write(*sock, res, kToken);
          break;
        }
        http_sockets_.erase(sock);
        co_await websocket_session(std::move(*sock), std::move(req));
        co_return;
      }
      const std::string target(req.target());
      const auto method = target.rfind("/api/", 0) == 0 ? target.substr(5, target.find('?') - 5) : "";
      if (const auto stall = take_delay(stalls_, method, req.body()); stall.count() > 0) {
        co_await wait_delayed(stall);
      }
      auto res = handle_http(req);
      if (const auto hold = take_delay(holds_, method, req.body()); hold.count() > 0) {
        co_await wait_delayed(hold);
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await bhttp::async_write(*sock, res, kToken);
      (void)wn;
      if (wec || !req.keep_alive()) {
        break;
      }
    }
    boost::system::error_code ignored;
    sock->shutdown(tcp::socket::shutdown_both, ignored);
    sock->close(ignored);
    http_sockets_.erase(sock);
  }

  static json parse_args(const bhttp::request<bhttp::string_body>& req, std::string& content_type) {
    json args = json::object();
    content_type = std::string(req[bhttp::field::content_type]);
    const std::string target(req.target());
    auto add_pairs = [&](const std::string& text) {
      std::size_t pos = 0;
      while (pos <= text.size()) {
        const auto amp = text.find('&', pos);
        const auto pair = text.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        if (!pair.empty()) {
          const auto eq = pair.find('=');
          const auto key = http::url_decode(pair.substr(0, eq));
          auto value = eq == std::string::npos ? std::string() : http::url_decode(pair.substr(eq + 1));
          if (key == "blocks" || key == "view") {
            auto parsed = json::parse(value, nullptr, false);
            args[key] = parsed.is_discarded() ? json(value) : parsed;
          } else {
            args[key] = value;
          }
        }
        if (amp == std::string::npos) {
          break;
        }
        pos = amp + 1;
      }
    };
    if (const auto q = target.find('?'); q != std::string::npos) {
      add_pairs(target.substr(q + 1));
    }
    if (content_type.find("application/json") != std::string::npos) {
      auto body = json::parse(req.body(), nullptr, false);
      if (body.is_discarded()) {
        args["__invalid_json"] = true;
      } else if (body.is_object()) {
        for (auto& [k, v] : body.items()) {
          args[k] = v;
        }
      } else {
        args["__json_not_object"] = true;
      }
    } else {
      add_pairs(req.body());
    }
    return args;
  }

  bhttp::response<bhttp::string_body> reply(int status, const json& body,
                                            std::optional<int> retry_after = std::nullopt) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json; charset=utf-8");
    if (retry_after) {
      res.set(bhttp::field::retry_after, std::to_string(*retry_after));
    }
    res.body() = body.dump();
    return res;
  }

  bool window_hit(Window& w, const std::string& key, int& retry_after) {
    if (w.max <= 0) {
      return true;
    }
    auto& q = w.hits[key];
    const auto now = SteadyClock::now();
    while (!q.empty() && now - q.front() >= w.window) {
      q.pop_front();
    }
    if (static_cast<int>(q.size()) >= w.max) {
      const auto wait = w.window - (now - q.front());
      retry_after = std::max<int>(1, static_cast<int>(std::chrono::ceil<std::chrono::seconds>(wait).count()));
      return false;
    }
    q.push_back(now);
    return true;
  }

  bhttp::response<bhttp::string_body> handle_http(const bhttp::request<bhttp::string_body>& req) {
    const std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    if (path.rfind("/response/", 0) == 0) {
      const auto id = path.substr(10);
      std::lock_guard lock(mu_);
      if (++response_uses_[id] > 5) {
        return reply(404, json{{"ok", false}, {"error", "used_url"}});
      }
      auto body = json::parse(req.body(), nullptr, false);
      response_posts_.emplace_back(id, body.is_discarded() ? json(req.body()) : body);
      response_post_times_.push_back(SteadyClock::now());
      ++changes_;
      cv_.notify_all();
      return reply(200, json{{"ok", true}});
    }
    if (path.rfind("/upload/", 0) == 0) {
      // The URL files.getUploadURLExternal handed out: raw bytes (or a form; kept as sent).
      const auto id = path.substr(8);
      std::lock_guard lock(mu_);
      for (auto& f : files_) {
        if (f.id == id && !f.shared) {
          f.content = req.body();
          f.uploaded = true;
          ++changes_;
          cv_.notify_all();
          bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
          res.set(bhttp::field::content_type, "text/plain");
          res.body() = "OK - " + std::to_string(f.content.size());
          return res;
        }
      }
      return reply(404, json{{"ok", false}, {"error", "not_found"}});
    }
    if (path.rfind("/api/", 0) != 0) {
      return reply(404, json{{"ok", false}, {"error", "not_found"}});
    }
    EmulatedCall call;
    call.received_at = SteadyClock::now();
    call.method = path.substr(5);
    call.args = parse_args(req, call.content_type);
    std::string auth(req[bhttp::field::authorization]);
    if (auth.rfind("Bearer ", 0) == 0) {
      call.token = auth.substr(7);
    } else {
      call.token = jstr(call.args, "token");
    }
    call.args.erase("token");
    std::lock_guard lock(mu_);
    auto res = api(call);
    call.response = json::parse(res.body(), nullptr, false);
    calls_.push_back(call);
    ++changes_;
    cv_.notify_all();
    return res;
  }

  // Called with mu_ held. 0, or the HTTP status of a random fault for this call.
  int random_fault(const EmulatedCall& call) {
    const auto& f = random_faults_;
    if (f.server_error_rate <= 0 && f.rate_limit_rate <= 0) {
      return 0;
    }
    if (!f.methods.empty() && std::find(f.methods.begin(), f.methods.end(), call.method) == f.methods.end()) {
      return 0;
    }
    // A retry carries the same body: the same request fails at most max_in_a_row times in a row.
    const auto key = call.method + "\n" + call.args.dump();
    const double x = std::uniform_real_distribution<double>(0.0, 1.0)(fault_random_);
    int status = 0;
    if (fault_streaks_[key] < f.max_in_a_row) {
      if (x < f.rate_limit_rate) {
        status = 429;
      } else if (x < f.rate_limit_rate + f.server_error_rate) {
        static constexpr int kServerErrors[] = {500, 502, 503};
        status = kServerErrors[fault_random_() % 3];
      }
    }
    if (status == 0) {
      fault_streaks_.erase(key);
    } else {
      ++fault_streaks_[key];
    }
    return status;
  }

  std::string next_ts() {
    ++ts_counter_;
    char buf[32];
    std::snprintf(buf, sizeof buf, "1800000000.%06d", ts_counter_);
    return buf;
  }

  // Called with mu_ held: an events_api envelope around `event`, delivered on the io thread.
  void send_event(json event) {
    const auto n = ++envelope_counter_;
    json envelope{{"type", "events_api"},
                  {"envelope_id", "emu-" + std::to_string(n)},
                  {"accepts_response_payload", false},
                  {"retry_attempt", 0},
                  {"retry_reason", ""},
                  {"payload",
                   {{"token", "emulated"},
                    {"team_id", "T111"},
                    {"api_app_id", options_.app_id},
                    {"event", std::move(event)},
                    {"type", "event_callback"},
                    {"event_id", "Ev0EMU" + std::to_string(n)},
                    {"event_time", 1800000000 + n}}}};
    net::post(io_, [this, envelope = std::move(envelope)]() mutable { deliver(std::move(envelope), 0); });
  }

  // Called with mu_ held. Another app's post or edit (an alert bot), as Slack would take it and
  // tell Vigil about it.
  bhttp::response<bhttp::string_body> app_bot_post(EmulatedCall& call, const AppBot& bot) {
    const auto& a = call.args;
    auto channel = jstr(a, "channel");
    if (!channel.empty() && channel[0] == '#') {
      for (const auto& [id, c] : channels_) {
        if ("#" + c.name == channel) {
          channel = id;
        }
      }
    }
    if (!channels_.count(channel)) {
      return fail(call, "channel_not_found");
    }
    const auto text = jstr(a, "text");
    const auto attachments =
        a.contains("attachments") && a["attachments"].is_array() ? a["attachments"] : json::array();
    const auto blocks = a.contains("blocks") && a["blocks"].is_array() ? a["blocks"] : json();
    if (text.empty() && attachments.empty() && blocks.is_null()) {
      return fail(call, "no_text");
    }
    auto shown = [&](const EmulatedMessage& msg) {
      json j{{"type", "message"},
             {"text", msg.text},
             {"ts", msg.ts},
             {"bot_id", bot.bot_id},
             {"bot_profile", {{"id", bot.bot_id}, {"name", bot.name}, {"app_id", "A" + bot.bot_id}}}};
      if (!msg.username.empty()) {
        j["username"] = msg.username;
      }
      if (!msg.attachments.empty()) {
        j["attachments"] = msg.attachments;
      }
      if (msg.blocks.is_array()) {
        j["blocks"] = msg.blocks;
      }
      return j;
    };
    if (call.method == "chat.update") {
      const auto ts = jstr(a, "ts");
      for (auto& msg : messages_) {
        if (msg.channel == channel && msg.ts == ts && msg.bot_id == bot.bot_id && !msg.deleted) {
          const auto before = shown(msg);
          msg.text = text;
          msg.attachments = attachments;
          msg.blocks = blocks;
          msg.edited = true;
          json event{{"type", "message"},        {"subtype", "message_changed"},
                     {"hidden", true},           {"channel", channel},
                     {"ts", next_ts()},          {"event_ts", ts},
                     {"message", shown(msg)},    {"previous_message", before},
                     {"channel_type", "channel"}};
          send_event(std::move(event));
          return reply(200, json{{"ok", true}, {"channel", channel}, {"ts", ts}, {"text", text}});
        }
      }
      return fail(call, "message_not_found");
    }
    EmulatedMessage msg;
    msg.channel = channel;
    msg.ts = next_ts();
    msg.thread_ts = jstr(a, "thread_ts");
    msg.text = text;
    msg.bot_id = bot.bot_id;
    msg.username = jstr(a, "username");
    msg.attachments = attachments;
    msg.blocks = blocks;
    messages_.push_back(msg);
    auto event = shown(msg);
    event["channel"] = channel;
    event["event_ts"] = msg.ts;
    event["channel_type"] = "channel";
    if (!msg.thread_ts.empty()) {
      event["thread_ts"] = msg.thread_ts;
    }
    send_event(std::move(event));
    return reply(200, json{{"ok", true}, {"channel", channel}, {"ts", msg.ts}, {"message", shown(msg)}});
  }

  // ------------------------------------------------------------------ Web API
  using Reply = bhttp::response<bhttp::string_body>;
  // One Web API method (or a group sharing its work), called with mu_ held once the call passed
  // every check of api().
  using MethodHandler = Reply (Impl::*)(EmulatedCall&);

  static const std::map<std::string, MethodHandler, std::less<>>& web_api_methods() {
    static const std::map<std::string, MethodHandler, std::less<>> methods{
        {"apps.connections.open", &Impl::apps_connections_open},
        {"auth.test", &Impl::auth_test},
        {"chat.postMessage", &Impl::chat_post},
        {"chat.postEphemeral", &Impl::chat_post},
        {"chat.update", &Impl::chat_update},
        {"chat.delete", &Impl::chat_delete},
        {"reactions.add", &Impl::reactions_add},
        {"views.open", &Impl::views_open},
        {"views.update", &Impl::views_update},
        {"conversations.info", &Impl::conversations_info},
        {"conversations.history", &Impl::conversation_messages},
        {"conversations.replies", &Impl::conversation_messages},
        {"conversations.create", &Impl::conversations_create},
        {"conversations.invite", &Impl::conversations_invite},
        {"users.info", &Impl::users_find},
        {"users.lookupByEmail", &Impl::users_find},
        {"files.getUploadURLExternal", &Impl::files_get_upload_url},
        {"files.completeUploadExternal", &Impl::files_complete_upload},
        {"usergroups.users.list", &Impl::usergroups_users_list},
    };
    return methods;
  }

  // Called with mu_ held. Refusals in the order Slack's answers come (injected HTTP failures and
  // rate limits, then the token, then the body), then the method's own handler.
  Reply api(EmulatedCall& call) {
    if (auto refused = http_refusal(call)) {
      return std::move(*refused);
    }
    if (auto refused = call_refusal(call)) {
      return std::move(*refused);
    }
    if (const auto bot = app_bots_.find(call.token);
        bot != app_bots_.end() && (call.method == "chat.postMessage" || call.method == "chat.update")) {
      return app_bot_post(call, bot->second);
    }
    const auto& methods = web_api_methods();
    const auto handler = methods.find(call.method);
    if (handler == methods.end()) {
      return fail(call, "unknown_method");
    }
    return (this->*handler->second)(call);
  }

  Reply fail(EmulatedCall& call, const std::string& error) {
    call.error = error;
    return reply(200, json{{"ok", false}, {"error", error}});
  }
  Reply ok(json extra) {
    extra["ok"] = true;
    return reply(200, extra);
  }
  Reply rate_limited(EmulatedCall& call, int retry_after) {
    ++rate_limited_;
    call.status = 429;
    call.error = "ratelimited";
    return reply(429, json{{"ok", false}, {"error", "ratelimited"}}, retry_after);
  }
  Reply server_error(EmulatedCall& call, int status) {
    call.status = status;
    call.error = "http_" + std::to_string(status);
    return reply(status, json{{"ok", false}, {"error", "internal_error"}});
  }

  // Called with mu_ held: an HTTP failure armed by fail_next_http, a random fault, or a rate limit
  // (the method's, or chat.postMessage's per channel); nothing when the call gets through.
  std::optional<Reply> http_refusal(EmulatedCall& call) {
    const auto& m = call.method;
    if (auto it = fail_http_.find(m); it != fail_http_.end() && it->second.count > 0) {
      --it->second.count;
      if (it->second.status == 429) {
        return rate_limited(call, it->second.retry_after);
      }
      return server_error(call, it->second.status);
    }
    if (const int status = random_fault(call); status != 0) {
      if (status == 429) {
        return rate_limited(call, random_faults_.retry_after_s);
      }
      return server_error(call, status);
    }
    int retry_after = 0;
    if (auto w = limits_.find(m); w != limits_.end() && !window_hit(w->second, m, retry_after)) {
      return rate_limited(call, retry_after);
    }
    if (m == "chat.postMessage" && !window_hit(channel_limit_, jstr(call.args, "channel"), retry_after)) {
      return rate_limited(call, retry_after);
    }
    return std::nullopt;
  }

  // Called with mu_ held: Slack's ok:false for a missing or wrong kind of token, an error armed by
  // fail_next, or a body that is not a JSON object; nothing when the call gets through.
  std::optional<Reply> call_refusal(EmulatedCall& call) {
    const auto& m = call.method;
    if (options_.check_tokens) {
      if (call.token.empty()) {
        return fail(call, "not_authed");
      }
      const bool app = call.token.rfind("xapp-", 0) == 0;
      const bool bot = call.token.rfind("xoxb-", 0) == 0;
      if (m == "apps.connections.open" ? !app && bot : app) {
        return fail(call, "not_allowed_token_type");
      }
      if (!app && !bot) {
        return fail(call, "invalid_auth");
      }
    }
    if (auto it = fail_next_.find(m); it != fail_next_.end() && it->second.second > 0) {
      --it->second.second;
      return fail(call, it->second.first);
    }
    if (call.args.contains("__invalid_json")) {
      return fail(call, "invalid_json");
    }
    if (call.args.contains("__json_not_object")) {
      return fail(call, "json_not_object");
    }
    return std::nullopt;
  }

  // A channel the app can post in: a known channel, or any DM.
  bool channel_known(const std::string& id) const { return channels_.count(id) > 0 || id.rfind("D", 0) == 0; }

  // The message `ts` of `channel` that is still there (not deleted, not ephemeral), or null.
  EmulatedMessage* live_message(const std::string& channel, const std::string& ts) {
    for (auto& msg : messages_) {
      if (msg.channel == channel && msg.ts == ts && !msg.deleted && !msg.ephemeral) {
        return &msg;
      }
    }
    return nullptr;
  }

  Reply apps_connections_open(EmulatedCall&) {
    return ok(json{{"url", "ws://127.0.0.1:" + std::to_string(port_) + "/link/?ticket=" + std::to_string(++tickets_) +
                               "&app_id=" + options_.app_id}});
  }

  Reply auth_test(EmulatedCall&) {
    return ok(json{{"url", "https://emulated.slack.com/"},
                   {"team", "Emulated"},
                   {"user", "vigil"},
                   {"team_id", "T111"},
                   {"user_id", options_.bot_user_id},
                   {"bot_id", options_.bot_id}});
  }

  // chat.postMessage and chat.postEphemeral (the app's own posts).
  Reply chat_post(EmulatedCall& call) {
    const auto& m = call.method;
    const auto& a = call.args;
    const auto channel_id = jstr(a, "channel");
    if (channel_id.empty() || !channel_known(channel_id)) {
      return fail(call, "channel_not_found");
    }
    const auto text = jstr(a, "text");
    const bool has_blocks = a.contains("blocks") && !a["blocks"].is_null();
    if (text.empty() && !has_blocks) {
      return fail(call, "no_text");
    }
    if (text.size() > 40'000) {
      return fail(call, "msg_too_long");
    }
    std::string why;
    if (has_blocks && !blocks_valid(a["blocks"], why)) {
      call.error = "invalid_blocks";
      return reply(
          200,
          json{{"ok", false}, {"error", "invalid_blocks"}, {"response_metadata", {{"messages", {"[ERROR] " + why}}}}});
    }
    EmulatedMessage msg;
    msg.channel = channel_id;
    msg.ts = next_ts();
    msg.thread_ts = jstr(a, "thread_ts");
    msg.user = m == "chat.postEphemeral" ? jstr(a, "user") : options_.bot_user_id;
    msg.text = text;
    msg.blocks = has_blocks ? a["blocks"] : json();
    msg.ephemeral = m == "chat.postEphemeral";
    messages_.push_back(msg);
    if (msg.ephemeral) {
      return ok(json{{"message_ts", msg.ts}});
    }
    return ok(json{{"channel", msg.channel},
                   {"ts", msg.ts},
                   {"message",
                    {{"type", "message"},
                     {"text", text},
                     {"ts", msg.ts},
                     {"bot_id", options_.bot_id},
                     {"user", options_.bot_user_id}}}});
  }

  Reply chat_update(EmulatedCall& call) {
    const auto& a = call.args;
    const auto channel_id = jstr(a, "channel");
    if (!channel_known(channel_id)) {
      return fail(call, "channel_not_found");
    }
    const auto ts = jstr(a, "ts");
    auto* msg = live_message(channel_id, ts);
    if (!msg) {
      return fail(call, "message_not_found");
    }
    if (msg->user != options_.bot_user_id) {
      return fail(call, "cant_update_message");
    }
    std::string why;
    if (a.contains("blocks") && !a["blocks"].is_null() && !blocks_valid(a["blocks"], why)) {
      return fail(call, "invalid_blocks");
    }
    msg->text = jstr(a, "text");
    if (a.contains("blocks")) {
      msg->blocks = a["blocks"];
    }
    msg->edited = true;
    return ok(json{{"channel", channel_id}, {"ts", ts}, {"text", msg->text}});
  }

  Reply chat_delete(EmulatedCall& call) {
    const auto channel_id = jstr(call.args, "channel");
    if (!channel_known(channel_id)) {
      return fail(call, "channel_not_found");
    }
    const auto ts = jstr(call.args, "ts");
    auto* msg = live_message(channel_id, ts);
    if (!msg) {
      return fail(call, "message_not_found");
    }
    msg->deleted = true;
    return ok(json{{"channel", channel_id}, {"ts", ts}});
  }

  Reply reactions_add(EmulatedCall& call) {
    const auto channel_id = jstr(call.args, "channel");
    if (!channel_known(channel_id)) {
      return fail(call, "channel_not_found");
    }
    auto* msg = live_message(channel_id, jstr(call.args, "timestamp"));
    if (!msg) {
      return fail(call, "message_not_found");
    }
    const auto name = jstr(call.args, "name");
    if (std::find(msg->reactions.begin(), msg->reactions.end(), name) != msg->reactions.end()) {
      return fail(call, "already_reacted");
    }
    msg->reactions.push_back(name);
    return ok(json::object());
  }

  Reply views_open(EmulatedCall& call) {
    if (jstr(call.args, "trigger_id").empty()) {
      return fail(call, "invalid_trigger_id");
    }
    return ok(json{{"view", {{"id", "V" + std::to_string(++views_)}}}});
  }

  Reply views_update(EmulatedCall& call) {
    if (jstr(call.args, "view_id").empty() && jstr(call.args, "external_id").empty()) {
      return fail(call, "not_found");
    }
    return ok(json{{"view", {{"id", jstr(call.args, "view_id")}}}});
  }

  Reply conversations_info(EmulatedCall& call) {
    auto it = channels_.find(jstr(call.args, "channel"));
    if (it == channels_.end()) {
      return fail(call, "channel_not_found");
    }
    return ok(json{{"channel",
                    {{"id", it->second.id},
                     {"name", it->second.name},
                     {"is_private", it->second.is_private},
                     {"is_member", true},
                     {"is_archived", false}}}});
  }

  // A message as conversations.history and conversations.replies list it.
  json listed_message(const EmulatedMessage& msg) const {
    json item{{"type", "message"}, {"ts", msg.ts}, {"text", msg.text}, {"user", msg.user}};
    if (!msg.thread_ts.empty()) {
      item["thread_ts"] = msg.thread_ts;
    }
    const auto bot = msg.user == options_.bot_user_id ? options_.bot_id : msg.bot_id;
    if (!bot.empty()) {
      item["bot_id"] = bot;
    }
    if (msg.blocks.is_array()) {
      item["blocks"] = msg.blocks;
    }
    return item;
  }

  // conversations.history (a channel's top-level messages, newest first) and conversations.replies
  // (a thread: its root and replies, oldest first).
  Reply conversation_messages(EmulatedCall& call) {
    const auto& m = call.method;
    const auto& a = call.args;
    const auto channel_id = jstr(a, "channel");
    if (!channel_known(channel_id)) {
      return fail(call, "channel_not_found");
    }
    const auto thread = jstr(a, "ts");
    if (m == "conversations.replies" && thread.empty()) {
      return fail(call, "thread_not_found");
    }
    const auto oldest = jstr(a, "oldest");
    std::size_t limit = 100;
    try {
      limit = std::clamp<std::size_t>(std::stoul(jstr(a, "limit").empty() ? "100" : jstr(a, "limit")), 1, 999);
    } catch (const std::exception&) {
      return fail(call, "invalid_limit");
    }
    // ts values share one width here, so they order as strings.
    auto listed = json::array();
    for (const auto& msg : messages_) {
      if (msg.channel != channel_id || msg.deleted || msg.ephemeral || (!oldest.empty() && msg.ts < oldest)) {
        continue;
      }
      const bool top_level = msg.thread_ts.empty() || msg.thread_ts == msg.ts;
      if (m == "conversations.history" ? !top_level : (msg.ts != thread && msg.thread_ts != thread)) {
        continue;
      }
      listed.push_back(listed_message(msg));
    }
    if (m == "conversations.history") {
      std::reverse(listed.begin(), listed.end());  // newest first, as Slack lists a channel
    }
    const bool more = listed.size() > limit;
    if (more) {
      listed.erase(listed.begin() + static_cast<std::ptrdiff_t>(limit), listed.end());
    }
    return ok(json{{"messages", std::move(listed)}, {"has_more", more}});
  }

  Reply conversations_create(EmulatedCall& call) {
    const auto name = jstr(call.args, "name");
    if (name.empty()) {
      return fail(call, "invalid_name_required");
    }
    for (const auto& [id, c] : channels_) {
      if (c.name == name) {
        return fail(call, "name_taken");
      }
    }
    const auto id = "C" + std::to_string(1000 + channels_.size());
    channels_[id] = EmulatedChannel{id, name, jstr(call.args, "is_private") == "true", {}};
    return ok(
        json{{"channel", {{"id", id}, {"name", name}, {"is_private", channels_[id].is_private}, {"is_member", true}}}});
  }

  Reply conversations_invite(EmulatedCall& call) {
    auto it = channels_.find(jstr(call.args, "channel"));
    if (it == channels_.end()) {
      return fail(call, "channel_not_found");
    }
    const auto users = jstr(call.args, "users");
    if (users.empty()) {
      return fail(call, "no_user");
    }
    std::size_t pos = 0;
    while (pos <= users.size()) {
      const auto comma = users.find(',', pos);
      it->second.members.push_back(users.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
      if (comma == std::string::npos) {
        break;
      }
      pos = comma + 1;
    }
    return ok(json{{"channel", {{"id", it->second.id}, {"name", it->second.name}}}});
  }

  // users.info (by id) and users.lookupByEmail.
  Reply users_find(EmulatedCall& call) {
    const auto& m = call.method;
    const auto key = m == "users.info" ? jstr(call.args, "user") : jstr(call.args, "email");
    for (const auto& [id, u] : users_) {
      if ((m == "users.info" && id == key) || (m == "users.lookupByEmail" && u[2] == key)) {
        return ok(json{{"user",
                        {{"id", u[0]},
                         {"name", u[1]},
                         {"real_name", u[1]},
                         {"tz", "UTC"},
                         {"is_bot", false},
                         {"deleted", false},
                         {"profile", {{"email", u[2]}, {"real_name", u[1]}}}}}});
      }
    }
    return fail(call, m == "users.info" ? "user_not_found" : "users_not_found");
  }

  Reply files_get_upload_url(EmulatedCall& call) {
    const auto filename = jstr(call.args, "filename");
    std::size_t length = 0;
    try {
      length = std::stoul(jstr(call.args, "length"));
    } catch (const std::exception&) {
      length = 0;
    }
    if (filename.empty() || length == 0) {
      return fail(call, "invalid_arguments");
    }
    EmulatedFile f;
    f.id = "F0EMU" + std::to_string(files_.size() + 1);
    f.name = filename;
    f.length = length;
    files_.push_back(f);
    return ok(json{{"upload_url", "http://127.0.0.1:" + std::to_string(port_) + "/upload/" + f.id}, {"file_id", f.id}});
  }

  Reply files_complete_upload(EmulatedCall& call) {
    const auto& a = call.args;
    const auto& list = a.contains("files") ? a["files"] : json();
    json parsed = list.is_string() ? json::parse(list.get<std::string>(), nullptr, false) : list;
    if (!parsed.is_array() || parsed.empty()) {
      return fail(call, "invalid_arguments");
    }
    const auto target = jstr(a, "channel_id");
    if (!target.empty() && !channels_.count(target)) {
      return fail(call, "channel_not_found");
    }
    EmulatedMessage msg;
    for (const auto& item : parsed) {
      const auto id = jstr(item, "id");
      auto it = std::find_if(files_.begin(), files_.end(), [&](const EmulatedFile& f) { return f.id == id; });
      if (it == files_.end() || !it->uploaded) {
        return fail(call, "file_not_found");
      }
      if (it->content.size() != it->length) {
        return fail(call, "file_upload_size_mismatch");  // the emulator's name: Slack's file never appears
      }
      it->title = jstr(item, "title");
      it->shared = !target.empty();
      it->channel = target;
      it->thread_ts = jstr(a, "thread_ts");
      msg.file_ids.push_back(id);
    }
    if (!target.empty()) {
      msg.channel = target;
      msg.ts = next_ts();
      msg.thread_ts = jstr(a, "thread_ts");
      msg.user = options_.bot_user_id;
      msg.text = jstr(a, "initial_comment");
      messages_.push_back(msg);
    }
    auto files = json::array();
    for (const auto& id : msg.file_ids) {
      files.push_back(json{{"id", id}});
    }
    return ok(json{{"files", files}});
  }

  Reply usergroups_users_list(EmulatedCall& call) {
    auto it = usergroups_.find(jstr(call.args, "usergroup"));
    if (it == usergroups_.end()) {
      return fail(call, "no_such_subteam");
    }
    return ok(json{{"users", it->second}});
  }

  // ------------------------------------------------------------------ websocket
  Task<> websocket_session(tcp::socket socket, bhttp::request<bhttp::string_body> req) {
    auto s = std::make_shared<Session>(std::move(socket));
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(5);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    s->ws.set_option(t);
    s->ws.read_message_max(64 * 1024 * 1024);
    auto [ec] = co_await s->ws.async_accept(req, kToken);
    if (ec) {
      co_return;
    }
    s->ws.text(true);
    {
      std::lock_guard lock(mu_);
      s->id = ++accepted_;
    }
    sessions_[s->id] = s;
    json hello{{"type", "hello"},
               {"num_connections", static_cast<int>(sessions_.size())},
               {"debug_info", {{"host", "emulator"}, {"build_number", 1}, {"approximate_connection_time", 18060}}},
               {"connection_info", {{"app_id", options_.app_id}}}};
    s->outbox.push_back(hello.dump());
    spawn(io_.get_executor(), writer(s), log_, "emulator ws writer");
    co_await reader(s);
  }

  Task<> writer(std::shared_ptr<Session> s) {
    auto guard = count_task();
    bool hello_sent = false;
    while (!s->closed) {
      if (s->outbox.empty() || s->frozen) {
        s->wake.expires_at(SteadyClock::time_point::max());
        co_await s->wake.async_wait(kToken);
        continue;
      }
      auto text = std::move(s->outbox.front());
      s->outbox.pop_front();
      auto [ec, n] = co_await s->ws.async_write(net::buffer(text), kToken);
      (void)n;
      if (ec) {
        break;
      }
      if (!hello_sent) {
        hello_sent = true;
        s->ready = true;
        {
          std::lock_guard lock(mu_);
          ready_.insert(s->id);
          ++changes_;
          cv_.notify_all();
        }
        flush_undelivered();
      }
    }
  }

  Task<> reader(std::shared_ptr<Session> s) {
    auto guard = count_task();
    beast::flat_buffer buffer;
    while (!s->closed) {
      buffer.clear();
      auto [ec, n] = co_await s->ws.async_read(buffer, kToken);
      (void)n;
      if (ec) {
        if (s->frozen && !s->closed && !stopping_) {
          // Half-dead link: keep the socket, read nothing (so no pongs) until told to close.
          s->wake.expires_at(SteadyClock::time_point::max());
          while (!s->closed && !stopping_) {
            net::steady_timer hold(io_, std::chrono::milliseconds(50));
            co_await hold.async_wait(kToken);
          }
        }
        break;
      }
      auto ack = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      const auto id = jstr(ack, "envelope_id");
      if (id.empty()) {
        continue;
      }
      auto it = pending_.find(id);
      EmulatedAck record;
      record.envelope_id = id;
      record.connection = s->id;
      record.payload = ack.contains("payload") ? ack["payload"] : json();
      if (it != pending_.end()) {
        it->second.acked = true;
        record.latency = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - it->second.sent_at);
        record.late = record.latency > options_.ack_deadline;
      }
      std::lock_guard lock(mu_);
      if (!acks_.count(id)) {
        acks_[id] = record;
        ack_order_.push_back(id);
      }
      ++changes_;
      cv_.notify_all();
    }
    s->closed = true;
    s->wake.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(s->ws).socket().close(ignored);
    sessions_.erase(s->id);
    std::lock_guard lock(mu_);
    ready_.erase(s->id);
    closed_.insert(s->id);
    ++changes_;
    cv_.notify_all();
  }

  std::shared_ptr<Session> pick(int connection) {
    if (connection > 0) {
      auto it = sessions_.find(connection);
      return it != sessions_.end() && !it->second->closed ? it->second : nullptr;
    }
    std::vector<std::shared_ptr<Session>> fresh;
    std::vector<std::shared_ptr<Session>> draining;
    for (auto& [id, s] : sessions_) {
      if (s->ready && !s->closed && !s->closing) {
        (s->draining || s->frozen ? draining : fresh).push_back(s);
      }
    }
    auto& from = fresh.empty() ? draining : fresh;
    if (from.empty()) {
      return nullptr;
    }
    return from[static_cast<std::size_t>(round_robin_++) % from.size()];
  }

  void deliver(json envelope, int connection) {
    const auto id = jstr(envelope, "envelope_id");
    auto s = pick(connection);
    if (!s) {
      undelivered_.push_back(std::move(envelope));
      return;
    }
    auto& p = pending_[id];
    p.envelope = envelope;
    p.connection = s->id;
    p.sent_at = SteadyClock::now();
    p.attempt = envelope.value("retry_attempt", 0);
    p.is_event = jstr(envelope, "type") == "events_api";
    s->outbox.push_back(envelope.dump());
    s->wake.cancel();
    if (options_.redeliver && (p.is_event || options_.redeliver_all_types)) {
      spawn(io_.get_executor(), watch_ack(id), log_, "emulator ack watch");
    }
  }

  void flush_undelivered() {
    auto queued = std::move(undelivered_);
    undelivered_.clear();
    for (auto& e : queued) {
      deliver(std::move(e), 0);
    }
  }

  Task<> watch_ack(std::string id) {
    auto guard = count_task();
    auto timer = std::make_shared<net::steady_timer>(io_, options_.ack_deadline);
    timers_.insert(timer);
    co_await timer->async_wait(kToken);
    timers_.erase(timer);
    if (stopping_) {
      co_return;
    }
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.acked || it->second.attempt >= options_.max_redeliveries) {
      co_return;
    }
    // Slack's Events API retry: same event, retry_attempt + 1, retry_reason "timeout".
    json again = it->second.envelope;
    const int attempt = it->second.attempt + 1;
    auto base = id.substr(0, id.find("-retry"));
    again["envelope_id"] = base + "-retry" + std::to_string(attempt);
    again["retry_attempt"] = attempt;
    again["retry_reason"] = "timeout";
    {
      std::lock_guard lock(mu_);
      ++redeliveries_;
    }
    deliver(std::move(again), 0);
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int live_tasks_ = 0;
  EmulatorOptions options_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  Logger log_;
  std::thread thread_;
  unsigned short port_ = 0;
  bool stopping_ = false;

  // io thread only
  std::map<int, std::shared_ptr<Session>> sessions_;
  std::set<std::shared_ptr<tcp::socket>> http_sockets_;
  std::set<std::shared_ptr<net::steady_timer>> timers_;
  std::map<std::string, Pending> pending_;
  std::vector<json> undelivered_;
  unsigned round_robin_ = 0;

  // shared with the test thread, under mu_ (declared first: coroutine frames left in io_ at
  // destruction still count themselves down)
  int accepted_ = 0;
  std::set<int> ready_;
  std::set<int> closed_;
  std::map<std::string, EmulatedAck> acks_;
  std::vector<std::string> ack_order_;
  int redeliveries_ = 0;
  int http_accepted_ = 0;
  struct Delay {
    std::chrono::milliseconds delay{0};
    int count = 0;
    std::string body_contains;  // empty: any call of the method
  };
  // The delay for this call when one is armed for its method (and its body matches).
  std::chrono::milliseconds take_delay(std::map<std::string, Delay>& armed, const std::string& method,
                                       const std::string& body) {
    std::lock_guard lock(mu_);
    auto it = armed.find(method);
    if (it == armed.end() || it->second.count <= 0 ||
        (!it->second.body_contains.empty() && body.find(it->second.body_contains) == std::string::npos)) {
      return std::chrono::milliseconds{0};
    }
    --it->second.count;
    return it->second.delay;
  }
  // A stalled call or a held answer waits here (counted in delayed_now_ meanwhile).
  Task<> wait_delayed(std::chrono::milliseconds delay) {
    auto timer = std::make_shared<net::steady_timer>(io_, delay);
    timers_.insert(timer);
    {
      std::lock_guard lock(mu_);
      ++delayed_now_;
    }
    co_await timer->async_wait(kToken);
    {
      std::lock_guard lock(mu_);
      --delayed_now_;
    }
    timers_.erase(timer);
  }
  int delayed_now_ = 0;
  std::map<std::string, Delay> stalls_;
  std::map<std::string, Delay> holds_;
  int refuse_count_ = 0;
  int refuse_status_ = 0;
  std::vector<EmulatedCall> calls_;
  int rate_limited_ = 0;
  struct HttpFailure {
    int status = 0;
    int count = 0;
    int retry_after = 1;
  };
  std::map<std::string, HttpFailure> fail_http_;
  RandomFaults random_faults_;
  std::mt19937 fault_random_{1};
  std::map<std::string, int> fault_streaks_;  // request → faults in a row
  std::map<std::string, std::pair<std::string, int>> fail_next_;
  std::map<std::string, Window> limits_;
  Window channel_limit_;
  std::map<std::string, EmulatedChannel> channels_;
  std::map<std::string, std::array<std::string, 3>> users_;
  std::map<std::string, AppBot> app_bots_;  // by token
  std::map<std::string, std::vector<std::string>> usergroups_;
  std::vector<EmulatedMessage> messages_;
  std::vector<EmulatedFile> files_;
  std::map<std::string, int> response_uses_;
  std::vector<std::pair<std::string, json>> response_posts_;
  std::vector<SteadyClock::time_point> response_post_times_;  // parallel to response_posts_
  int ts_counter_ = 100;
  std::uint64_t changes_ = 0;
  int tickets_ = 0;
  int views_ = 0;
  long long envelope_counter_ = 0;
};

// ----------------------------------------------------------------------------------------------
SlackEmulator::SlackEmulator(EmulatorOptions options)
    : options_(options), impl_(std::make_unique<Impl>(std::move(options))) {}

SlackEmulator::~SlackEmulator() {
  stop();
}

void SlackEmulator::start() {
  port_ = impl_->start();
}
void SlackEmulator::stop() {
  impl_->stop();
}

std::string SlackEmulator::api_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/api/";
}
std::string SlackEmulator::response_url(const std::string& id) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/response/" + id;
}

bool SlackEmulator::wait_for_connections(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu_);
  return impl_->cv_.wait_for(lock, timeout, [&] { return static_cast<int>(impl_->ready_.size()) >= n; });
}

std::vector<int> SlackEmulator::connections() const {
  std::lock_guard lock(impl_->mu_);
  return {impl_->ready_.begin(), impl_->ready_.end()};
}

int SlackEmulator::connections_accepted() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->accepted_;
}

std::string SlackEmulator::send_envelope(json envelope, int connection) {
  std::string id = jstr(envelope, "envelope_id");
  if (id.empty()) {
    std::lock_guard lock(impl_->mu_);
    id = "emu-" + std::to_string(++impl_->envelope_counter_);
    envelope["envelope_id"] = id;
  }
  net::post(impl_->io_, [impl = impl_.get(), envelope = std::move(envelope), connection]() mutable {
    impl->deliver(std::move(envelope), connection);
  });
  return id;
}

void SlackEmulator::send_raw(int connection, std::string text) {
  net::post(impl_->io_, [impl = impl_.get(), text = std::move(text), connection]() mutable {
    if (auto s = impl->pick(connection)) {
      s->outbox.push_back(std::move(text));
      s->wake.cancel();
    }
  });
}

std::optional<EmulatedAck> SlackEmulator::wait_for_ack(const std::string& envelope_id,
                                                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu_);
  if (!impl_->cv_.wait_for(lock, timeout, [&] { return impl_->acks_.count(envelope_id) > 0; })) {
    return std::nullopt;
  }
  return impl_->acks_.at(envelope_id);
}

std::vector<EmulatedAck> SlackEmulator::acks() const {
  std::lock_guard lock(impl_->mu_);
  std::vector<EmulatedAck> out;
  for (const auto& id : impl_->ack_order_) {
    out.push_back(impl_->acks_.at(id));
  }
  return out;
}

int SlackEmulator::redeliveries() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->redeliveries_;
}

void SlackEmulator::send_disconnect(int connection, const std::string& reason) {
  json frame{{"type", "disconnect"}, {"reason", reason}, {"debug_info", {{"host", "emulator"}}}};
  net::post(impl_->io_, [impl = impl_.get(), text = frame.dump(), connection, reason] {
    if (auto s = impl->pick(connection)) {
      if (reason == "warning" || reason == "refresh_requested") {
        s->draining = true;
      }
      s->outbox.push_back(text);
      s->wake.cancel();
    }
  });
}

void SlackEmulator::close_connection(int connection, bool abrupt) {
  net::post(impl_->io_, [impl = impl_.get(), connection, abrupt] {
    auto it = impl->sessions_.find(connection);
    if (it == impl->sessions_.end()) {
      return;
    }
    auto s = it->second;
    // Idempotent: a second graceful close of the same connection would start a second
    // async_close on the websocket, which Beast does not allow. An abrupt close may still follow.
    if (s->closed || (s->closing && !abrupt)) {
      return;
    }
    s->closing = true;
    boost::system::error_code ignored;
    if (abrupt) {
      auto& sock = beast::get_lowest_layer(s->ws).socket();
      sock.set_option(net::socket_base::linger(true, 0), ignored);
      s->closed = true;
      sock.close(ignored);
      s->wake.cancel();
      return;
    }
    s->ws.async_close(websocket::close_code::going_away, [s](boost::system::error_code) {});
  });
}

void SlackEmulator::freeze_connection(int connection) {
  net::post(impl_->io_, [impl = impl_.get(), connection] {
    auto it = impl->sessions_.find(connection);
    if (it == impl->sessions_.end()) {
      return;
    }
    it->second->frozen = true;
    boost::system::error_code ignored;
    beast::get_lowest_layer(it->second->ws).socket().cancel(ignored);
  });
}

bool SlackEmulator::wait_for_closed(int connection, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu_);
  return impl_->cv_.wait_for(lock, timeout, [&] { return impl_->closed_.count(connection) > 0; });
}

void SlackEmulator::refuse_upgrades(int count, int status) {
  std::lock_guard lock(impl_->mu_);
  impl_->refuse_count_ = count;
  impl_->refuse_status_ = status;
}

void SlackEmulator::fail_next(const std::string& method, const std::string& error, int count) {
  std::lock_guard lock(impl_->mu_);
  impl_->fail_next_[method] = {error, count};
}

void SlackEmulator::fail_next_http(const std::string& method, int status, int count, int retry_after_s) {
  std::lock_guard lock(impl_->mu_);
  impl_->fail_http_[method] = {status, count, retry_after_s};
}

void SlackEmulator::set_random_faults(RandomFaults faults) {
  std::lock_guard lock(impl_->mu_);
  impl_->fault_random_.seed(faults.seed);
  impl_->fault_streaks_.clear();
  impl_->random_faults_ = std::move(faults);
}

void SlackEmulator::set_rate_limit(const std::string& method, int max_calls, std::chrono::milliseconds window) {
  std::lock_guard lock(impl_->mu_);
  auto& w = impl_->limits_[method];
  w.max = max_calls;
  w.window = window;
}

void SlackEmulator::set_channel_rate_limit(int max_calls, std::chrono::milliseconds window) {
  std::lock_guard lock(impl_->mu_);
  impl_->channel_limit_.max = max_calls;
  impl_->channel_limit_.window = window;
}

void SlackEmulator::stall_next(const std::string& method, std::chrono::milliseconds delay, int count,
                               const std::string& body_contains) {
  std::lock_guard lock(impl_->mu_);
  impl_->stalls_[method] = {delay, count, body_contains};
}

void SlackEmulator::hold_answers(const std::string& method, std::chrono::milliseconds delay, int count,
                                 const std::string& body_contains) {
  std::lock_guard lock(impl_->mu_);
  impl_->holds_[method] = {delay, count, body_contains};
}

int SlackEmulator::calls_delayed_now() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->delayed_now_;
}

int SlackEmulator::http_connections_accepted() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->http_accepted_;
}

std::vector<EmulatedCall> SlackEmulator::calls(const std::string& method) const {
  std::lock_guard lock(impl_->mu_);
  std::vector<EmulatedCall> out;
  for (const auto& c : impl_->calls_) {
    if (method.empty() || c.method == method) {
      out.push_back(c);
    }
  }
  return out;
}

int SlackEmulator::rate_limited_count() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->rate_limited_;
}

void SlackEmulator::add_channel(const std::string& id, const std::string& name, bool is_private) {
  std::lock_guard lock(impl_->mu_);
  impl_->channels_[id] = EmulatedChannel{id, name, is_private, {}};
  ++impl_->changes_;
}

void SlackEmulator::add_user(const std::string& id, const std::string& name, const std::string& email) {
  std::lock_guard lock(impl_->mu_);
  impl_->users_[id] = {id, name, email};
  ++impl_->changes_;
}

void SlackEmulator::add_app_bot(const std::string& token, const std::string& bot_id, const std::string& name) {
  std::lock_guard lock(impl_->mu_);
  impl_->app_bots_[token] = Impl::AppBot{bot_id, name};
  ++impl_->changes_;
}

void SlackEmulator::add_usergroup(const std::string& id, std::vector<std::string> users) {
  std::lock_guard lock(impl_->mu_);
  impl_->usergroups_[id] = std::move(users);
  ++impl_->changes_;
}

std::vector<EmulatedMessage> SlackEmulator::messages(const std::string& channel) const {
  std::lock_guard lock(impl_->mu_);
  std::vector<EmulatedMessage> out;
  for (const auto& m : impl_->messages_) {
    if (channel.empty() || m.channel == channel) {
      out.push_back(m);
    }
  }
  return out;
}

std::vector<EmulatedFile> SlackEmulator::files() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->files_;
}

std::vector<EmulatedChannel> SlackEmulator::channels() const {
  std::lock_guard lock(impl_->mu_);
  std::vector<EmulatedChannel> out;
  for (const auto& [id, c] : impl_->channels_) {
    out.push_back(c);
  }
  return out;
}

std::vector<std::pair<std::string, json>> SlackEmulator::response_posts() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->response_posts_;
}

std::vector<EmulatedResponsePost> SlackEmulator::response_post_log() const {
  std::lock_guard lock(impl_->mu_);
  std::vector<EmulatedResponsePost> out;
  out.reserve(impl_->response_posts_.size());
  for (std::size_t i = 0; i < impl_->response_posts_.size(); ++i) {
    const auto& [id, body] = impl_->response_posts_[i];
    out.push_back(EmulatedResponsePost{id, body, impl_->response_post_times_[i]});
  }
  return out;
}

std::string SlackEmulator::post_message(EmulatedMessage message) {
  std::lock_guard lock(impl_->mu_);
  if (message.ts.empty()) {
    message.ts = impl_->next_ts();
  }
  auto ts = message.ts;
  impl_->messages_.push_back(std::move(message));
  ++impl_->changes_;
  impl_->cv_.notify_all();
  return ts;
}

std::uint64_t SlackEmulator::changes() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->changes_;
}

}  // namespace vigil::slack

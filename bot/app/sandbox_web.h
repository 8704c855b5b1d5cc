#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/http/http_server.h"
#include "integrations/slack/emulator/slack_emulator.h"

namespace vigil {

/// The header a POST to the sandbox page carries its page token in.
inline constexpr std::string_view kSandboxTokenHeader = "x-vigil-sandbox-token";

/// What a POST to the sandbox page showed of itself.
struct SandboxPostHeaders {
  std::string content_type;
  std::string origin;  // empty: none sent (curl, tests); a browser always sends one with a POST
  std::string host;
  std::string token;
};

/// Why the sandbox page refuses a POST, or an empty string when it takes it: the content type
/// must be application/json (parameters such as `; charset=utf-8` allowed), an Origin must be the
/// page's own (http://<Host>), and the page's token must be sent.
std::string sandbox_post_refusal(const SandboxPostHeaders& post, std::string_view page_token);

/// A person the sandbox page can act as.
struct SandboxUser {
  std::string id;    // U…
  std::string name;  // shown, and @name in the composer
  std::string role;  // shown next to the name, e.g. "on call, approver"
};

struct SandboxWebOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  std::string workspace = "Vigil sandbox";
  std::string team_id = "T0SANDBOX";
  std::string banner;                           // the line across the top of the page (what is demo)
  std::vector<SandboxUser> users;               // the first is the page's default user
  std::string default_channel;                  // channel id shown first
  std::chrono::milliseconds poll_wait{25'000};  // longest wait of one /api/state long-poll
};

/// The sandbox page: a small Slack client in the browser over a SlackEmulator. It serves the
/// embedded page (web/index.html, sandbox.js, sandbox.css) and a JSON API on loopback:
///
///   GET  /api/state?since=N   the workspace as the page shows it (channels, messages with their
///                             blocks, edits and reactions, ephemeral replies, open modals); waits
///                             (long-poll) until something changed after version N
///   POST /api/message         {user, channel, text, thread_ts?}: a person's message (+ its event)
///   POST /api/command         {user, channel, command, text}: a slash command envelope
///   POST /api/action          {user, channel, message_ts | ephemeral_id, block_id, action_id}:
///                             a button click (block_actions, the button taken from the message)
///   POST /api/view_submission {user, view_id, values: {block_id: {action_id: text}}}
///   POST /api/view_close      {user, view_id}
///   POST /api/run/<name>      a button of the page's header (add_action), e.g. a demo alert
///
/// Everything it sends to Vigil is an envelope shaped like Slack's (see the fixtures), delivered
/// through the emulator's Socket Mode connection; replies come back through the emulator's Web API
/// and response_url records. Runs on its own thread and io_context; the public functions are
/// thread-safe. Only the person at the keyboard drives it: a POST must be exactly JSON (a foreign
/// page cannot send that without a CORS preflight, which is never answered), come from the page's
/// own origin (or from a client that sends no Origin), and carry the page's token (random per
/// process, in the served page, sent back in the X-Vigil-Sandbox-Token header); on loopback the Host
/// header must be a loopback name. Anything else gets 403 and why.
class SandboxWeb {
 public:
  /// A header button: returns a line to show, or an error.
  using Action = std::function<Result<std::string>()>;

  SandboxWeb(slack::SlackEmulator& emulator, SandboxWebOptions options, Logger log);
  ~SandboxWeb();
  SandboxWeb(const SandboxWeb&) = delete;
  SandboxWeb& operator=(const SandboxWeb&) = delete;

  /// Before start(): a button in the page's header that calls `action` (on the page's thread).
  void add_action(std::string name, std::string label, Action action);
  /// Before start(): calls `tick` every `period` on the page's thread until stop().
  void every(std::chrono::milliseconds period, std::function<void()> tick);

  /// Binds the address and starts serving (InvalidConfig or Io when it cannot).
  Result<void> start();
  void stop();
  unsigned short port() const { return port_; }
  /// The page's token: what a POST must send in X-Vigil-Sandbox-Token.
  const std::string& page_token() const { return page_token_; }
  /// http://host:port/ as a browser would open it.
  std::string url() const;

  struct Sent {
    std::string ts;           // the message's ts (messages only)
    std::string envelope_id;  // the envelope sent to Vigil
  };
  /// A person's message: recorded in the channel (or thread), then the message event (and an
  /// app_mention event when it mentions the bot). "@name" becomes a <@U…> mention.
  Result<Sent> post_as_user(const std::string& user, const std::string& channel, const std::string& text,
                            const std::string& thread_ts = "");
  /// Another bot's message ({bot_id, username, text, attachments}), e.g. an alert.
  Result<Sent> post_as_bot(const std::string& channel, const nlohmann::json& message);
  Result<Sent> slash_command(const std::string& user, const std::string& channel, const std::string& command,
                             const std::string& text, const std::string& thread_ts = "");
  /// A click on the button (block_id, action_id) of a message (message_ts) or of an ephemeral
  /// reply (ephemeral_id, as /api/state names it).
  Result<Sent> click(const std::string& user, const std::string& channel, const std::string& message_ts,
                     const std::string& ephemeral_id, const std::string& block_id, const std::string& action_id);
  /// Submits an open modal with the values typed into its inputs (the caller closes it unless the
  /// ack answered `response_action: errors`).
  Result<Sent> submit_view(const std::string& user, const std::string& view_id, const nlohmann::json& values);
  void close_view(const std::string& view_id);

  /// What the page shows (the body of GET /api/state).
  nlohmann::json state() const;
  /// Grows at every change the page can see.
  std::uint64_t version() const;

 private:
  struct Context {
    std::string user;
    std::string channel;
    std::string thread_ts;
    std::string message_ts;  // the message whose button was clicked
  };

  Task<http::HttpResponse> serve_state(http::HttpRequest request);
  Task<> ticker(std::chrono::milliseconds period, std::function<void()> tick);
  http::HttpResponse serve_post(const http::HttpRequest& request,
                                const std::function<Result<nlohmann::json>(const nlohmann::json&)>& fn);
  bool host_allowed(const http::HttpRequest& request) const;
  void register_routes();
  void register_page_files();
  // The POST routes (their bodies as listed above the class); a header button's route.
  Result<nlohmann::json> on_message(const nlohmann::json& body);
  Result<nlohmann::json> on_command(const nlohmann::json& body);
  Result<nlohmann::json> on_action(const nlohmann::json& body);
  Result<nlohmann::json> on_view_submission(const nlohmann::json& body);
  Result<nlohmann::json> on_view_close(const nlohmann::json& body);
  Result<nlohmann::json> on_header_action(const Action& action);

  /// What a click landed on: the message (null for an ephemeral reply), its blocks, and where.
  struct ClickTarget {
    nlohmann::json message;
    nlohmann::json blocks;
    std::string thread_ts;
    std::string channel;
  };
  Result<ClickTarget> click_target(const std::string& user, const std::string& channel, const std::string& message_ts,
                                   const std::string& ephemeral_id) const;

  const SandboxUser* find_user(const std::string& id) const;
  bool channel_exists(const std::string& id) const;
  std::string channel_name(const std::string& id) const;
  std::string with_mentions(const std::string& text) const;
  nlohmann::json user_json(const std::string& user) const;
  std::string new_response_url(const Context& c);
  std::string new_trigger_id(const Context& c);
  std::string send(nlohmann::json envelope, const Context& c);
  nlohmann::json event_envelope(nlohmann::json event);
  nlohmann::json ephemerals_locked(const std::vector<slack::EmulatedMessage>& messages,
                                   std::map<std::string, nlohmann::json>& replaced,
                                   std::set<std::string>& deleted) const;
  void anchor_ephemerals_locked(nlohmann::json& ephemerals, const std::vector<slack::EmulatedMessage>& messages) const;
  nlohmann::json views_locked(const std::vector<slack::EmulatedCall>& opened,
                              const std::vector<slack::EmulatedCall>& updated) const;

  slack::SlackEmulator& emulator_;
  SandboxWebOptions options_;
  Logger log_;
  boost::asio::io_context io_;
  std::unique_ptr<http::HttpServer> server_;
  std::thread thread_;
  unsigned short port_ = 0;
  std::string host_;
  std::string page_token_;
  bool stopping_ = false;  // the page's thread only

  struct HeaderAction {
    std::string name;
    std::string label;
    Action action;
  };
  std::vector<HeaderAction> actions_;
  std::vector<std::pair<std::chrono::milliseconds, std::function<void()>>> tickers_;

  mutable std::mutex mu_;
  std::uint64_t counter_ = 0;
  std::uint64_t local_changes_ = 0;
  std::map<std::string, Context> responses_;  // response_url id → who and where
  std::map<std::string, Context> triggers_;   // trigger_id → who and where
  std::map<std::string, Context> envelopes_;  // envelope_id → who and where (ack replies)
  std::set<std::string> closed_views_;
  mutable std::map<std::string, std::string> anchors_;  // ephemeral id → the newest ts when first seen
  std::vector<std::string> notes_;                      // lines from header actions
  int in_flight_ = 0;                                   // long-polls and tickers running
};

}  // namespace vigil

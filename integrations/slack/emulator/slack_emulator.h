#pragma once

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::slack {

struct EmulatorOptions {
  std::chrono::milliseconds ack_deadline{3'000};  // Slack's 3 seconds
  int max_redeliveries = 3;                       // events_api envelopes not acked in time
  bool redeliver = true;
  /// Also redeliver slash_commands and interactive envelopes that were not acked in time (Slack
  /// documents redelivery only for events; bolt-js#2188 suggests the others are retried too).
  bool redeliver_all_types = false;
  bool check_tokens = true;  // Web API: Bearer xoxb-…; apps.connections.open: Bearer xapp-…
  std::string app_id = "A0VIGIL";
  std::string bot_user_id = "U0VIGIL";
  std::string bot_id = "B0VIGIL";
};

/// Web API faults at random, from a seed (chaos tests): each call fails with HTTP 5xx or 429 at the
/// given rates, but the same request (method and body) never fails more than `max_in_a_row` times
/// in a row, so a client that retries gets through and a test stays deterministic in its outcome.
struct RandomFaults {
  unsigned seed = 1;
  double server_error_rate = 0;  // HTTP 500/502/503
  double rate_limit_rate = 0;    // HTTP 429 + Retry-After
  int retry_after_s = 1;
  int max_in_a_row = 2;
  std::vector<std::string> methods;  // empty: every Web API method
};

/// One Web API call as the emulator received it.
struct EmulatedCall {
  std::string method;
  nlohmann::json args;  // JSON body, or form/query fields as strings (blocks parsed back to JSON)
  std::string content_type;
  std::string token;
  int status = 200;
  std::string error;                                    // Slack's error string when ok:false or 429
  nlohmann::json response;                              // the JSON answer sent (ok, ts, view id, error …)
  std::chrono::steady_clock::time_point received_at{};  // when the request was read (benchmarks)
};

/// One POST to a response_url as the emulator received it.
struct EmulatedResponsePost {
  std::string id;  // the id given to response_url()
  nlohmann::json body;
  std::chrono::steady_clock::time_point received_at{};
};

struct EmulatedAck {
  std::string envelope_id;
  int connection = 0;
  nlohmann::json payload;                // null when the ack carried none
  std::chrono::microseconds latency{0};  // envelope written → ack read
  bool late = false;                     // after the ack deadline
};

struct EmulatedMessage {
  std::string channel;
  std::string ts;
  std::string thread_ts;
  std::string user;
  std::string text;
  nlohmann::json blocks;
  bool edited = false;
  bool deleted = false;
  bool ephemeral = false;
  std::vector<std::string> reactions;
  // Messages that people or other bots posted (post_message): who, and legacy attachments.
  std::string bot_id;
  std::string username;
  nlohmann::json attachments;
  std::vector<std::string> file_ids;  // files shared with this message (files.completeUploadExternal)
};

/// A file uploaded through files.getUploadURLExternal, its upload URL and
/// files.completeUploadExternal.
struct EmulatedFile {
  std::string id;
  std::string name;
  std::string title;
  std::size_t length = 0;  // as announced in files.getUploadURLExternal
  std::string content;     // the bytes POSTed to the upload URL
  bool uploaded = false;
  bool shared = false;  // completed: a message in `channel` (and `thread_ts`) shows it
  std::string channel;
  std::string thread_ts;
};

struct EmulatedChannel {
  std::string id;
  std::string name;
  bool is_private = false;
  std::vector<std::string> members;
};

/// A Slack stand-in on 127.0.0.1 (port 0) for tests, benchmarks and the sandbox: the Web API
/// methods Vigil uses (JSON and form bodies, Slack-shaped answers and errors, per-method and
/// per-channel rate limits with 429 + Retry-After, a record of every call), response_url
/// endpoints, and a Socket Mode websocket (hello, envelopes, ack checking against the deadline,
/// redelivery with retry_attempt/retry_reason, disconnect messages, abrupt closes, refused
/// upgrades, frozen links). Runs on its own thread and io_context; every public function is
/// thread-safe and meant to be called from the test's thread.
class SlackEmulator {
 public:
  explicit SlackEmulator(EmulatorOptions options = {});
  ~SlackEmulator();
  SlackEmulator(const SlackEmulator&) = delete;
  SlackEmulator& operator=(const SlackEmulator&) = delete;

  void start();
  void stop();
  unsigned short port() const { return port_; }
  std::string api_url() const;  // http://127.0.0.1:PORT/api/
  std::string response_url(const std::string& id) const;
  const EmulatorOptions& options() const { return options_; }

  // ---- Socket Mode ----
  /// Waits until at least `n` connections have been sent hello.
  bool wait_for_connections(int n, std::chrono::milliseconds timeout);
  /// Open connections that were sent hello (ids start at 1).
  std::vector<int> connections() const;
  int connections_accepted() const;
  /// Sends an envelope (its envelope_id is kept, or one is assigned) to `connection`, or to any
  /// ready connection when 0 (queued until one exists). Returns the envelope_id.
  std::string send_envelope(nlohmann::json envelope, int connection = 0);
  /// Sends any text frame as is (malformed frames).
  void send_raw(int connection, std::string text);
  std::optional<EmulatedAck> wait_for_ack(const std::string& envelope_id, std::chrono::milliseconds timeout);
  std::vector<EmulatedAck> acks() const;
  int redeliveries() const;
  /// {"type":"disconnect","reason":…}; after warning/refresh_requested the connection gets no new
  /// untargeted envelopes (it stays open until the client closes it).
  void send_disconnect(int connection, const std::string& reason);
  /// abrupt: TCP dropped without a close frame; else a close handshake.
  void close_connection(int connection, bool abrupt);
  /// Stops reading the connection: no pongs, acks unseen. The socket stays open (half-dead link).
  void freeze_connection(int connection);
  /// The next `count` websocket upgrades are answered with HTTP `status` instead of 101.
  void refuse_upgrades(int count, int status);
  /// Waits until a connection ends (closed by either side).
  bool wait_for_closed(int connection, std::chrono::milliseconds timeout);

  // ---- Web API ----
  /// The next `count` calls of `method` fail with ok:false `error`.
  void fail_next(const std::string& method, const std::string& error, int count = 1);
  /// The next `count` calls of `method` get HTTP `status` (429 carries Retry-After: retry_after_s).
  void fail_next_http(const std::string& method, int status, int count = 1, int retry_after_s = 1);
  /// At most `max_calls` of `method` per `window`; more get 429 + Retry-After.
  void set_rate_limit(const std::string& method, int max_calls, std::chrono::milliseconds window);
  /// Random 5xx / 429 answers from now on (RandomFaults{} with zero rates turns them off).
  void set_random_faults(RandomFaults faults);
  /// chat.postMessage per channel (Slack: ~1 per second).
  void set_channel_rate_limit(int max_calls, std::chrono::milliseconds window);
  /// The next `count` calls of `method` (whose body contains `body_contains`, when given) are
  /// carried out and answered only after `delay` (timeouts; a client that dies meanwhile: Slack
  /// never took it).
  void stall_next(const std::string& method, std::chrono::milliseconds delay, int count = 1,
                  const std::string& body_contains = "");
  /// The next `count` calls of `method` (matched as for stall_next) are carried out at once but
  /// answered only after `delay`:
  /// Slack took the message, and the client that dies meanwhile never learns its ts.
  void hold_answers(const std::string& method, std::chrono::milliseconds delay, int count = 1,
                    const std::string& body_contains = "");
  /// Calls stalled or with their answer held right now.
  int calls_delayed_now() const;
  std::vector<EmulatedCall> calls(const std::string& method = "") const;
  /// TCP connections accepted on the HTTP port (keep-alive reuse shows as few).
  int http_connections_accepted() const;
  int rate_limited_count() const;

  // ---- State (queryable by the sandbox page) ----
  void add_channel(const std::string& id, const std::string& name, bool is_private = false);
  void add_user(const std::string& id, const std::string& name, const std::string& email);
  void add_usergroup(const std::string& id, std::vector<std::string> users);
  /// Another app installed in the workspace (an alert bot such as Alertmanager's or Grafana's Slack
  /// receiver): chat.postMessage with its bot token posts as bot `bot_id` named `name` (text,
  /// legacy attachments or blocks; the channel by id or by #name), and its chat.update of its own
  /// message edits it; each sends Vigil the `message` (or `message_changed`) event Slack would.
  void add_app_bot(const std::string& token, const std::string& bot_id, const std::string& name);
  std::vector<EmulatedMessage> messages(const std::string& channel = "") const;
  std::vector<EmulatedChannel> channels() const;
  /// Every file whose upload was started, in order.
  std::vector<EmulatedFile> files() const;
  std::vector<std::pair<std::string, nlohmann::json>> response_posts() const;
  /// The same posts with the time each was received (end-to-end latency in benchmarks).
  std::vector<EmulatedResponsePost> response_post_log() const;
  /// Records a message a person or another bot posted in Slack (Vigil's own posts are recorded by
  /// the Web API); assigns its ts when empty and returns it. Sending the matching event is up to
  /// the caller (send_envelope).
  std::string post_message(EmulatedMessage message);
  /// Grows at every recorded change (a Web API call, a response_url post, an ack, a connection
  /// ready or closed, a posted message, a channel or user added): the sandbox page waits on it.
  std::uint64_t changes() const;

  class Impl;

 private:
  EmulatorOptions options_;
  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
};

}  // namespace vigil::slack

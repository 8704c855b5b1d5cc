#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

namespace vigil::slack {

/// The pure half of Socket Mode: what a frame means, what to answer, what to do about a
/// disconnect, how long to back off. No I/O here, so every decision is unit-tested.

enum class EnvelopeType { EventsApi, SlashCommands, Interactive };
const char* to_string(EnvelopeType t);

/// One envelope to ack and deliver.
struct Envelope {
  std::string envelope_id;
  EnvelopeType type = EnvelopeType::EventsApi;
  nlohmann::json payload;  // Slack's payload as sent
  int retry_attempt = 0;
  std::string retry_reason;
  bool accepts_response_payload = false;
};

struct Hello {
  int num_connections = 0;
  std::string app_id;
  std::string host;
  std::chrono::seconds approximate_connection_time{0};
};

enum class DisconnectReason { Warning, RefreshRequested, LinkDisabled, TooManyWebsockets, Unknown };
const char* to_string(DisconnectReason r);

struct Disconnect {
  DisconnectReason reason = DisconnectReason::Unknown;
  std::string reason_text;
  std::string host;
};

/// A frame we cannot use; `reason` says why (logged, then the loop goes on).
struct BadFrame {
  std::string reason;
  std::string envelope_id;  // set when the frame had one (it is still acked)
};

using Frame = std::variant<Envelope, Hello, Disconnect, BadFrame>;

/// Parses one text frame. Never throws; malformed JSON, a missing envelope_id or an unknown type
/// become BadFrame.
Frame parse_frame(std::string_view text);

/// The envelope as a frame parse_frame reads back the same (a replica stores it for the one that
/// leads). Slack's legacy verification `token` is left out of the payload: it is a credential, and
/// nothing reads it.
std::string relay_frame(const Envelope& e);

/// `{"envelope_id":"…"}`, optionally with `"payload"` (a slash command's immediate response).
std::string make_ack(const std::string& envelope_id, const std::optional<nlohmann::json>& payload = std::nullopt);

/// What the supervisor does about a disconnect message.
enum class DisconnectAction {
  ReplaceSoon,  // make-before-break: open a replacement, switch after its hello, close this one
  Stop,         // link_disabled: Socket Mode was turned off; stop with a clear error
  BackOff,      // too_many_websockets: close this one and retry after a back-off
};
DisconnectAction classify(DisconnectReason r);

/// The identity under which a redelivery is recognised: event_id for events, the interaction's
/// identity for interactive payloads, trigger_id for commands; the envelope id as a last resort.
/// `kind` receives the store's kind column ("event", "interaction", "command", "envelope").
std::string dedup_key(const Envelope& e, std::string* kind = nullptr);

/// Capped exponential back-off with full jitter, reset after a hello. Pure: the caller hands in
/// the random draw (0..1), so tests are exact.
struct Backoff {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30'000};
  int attempt = 0;  // failures since the last hello

  /// Delay before the next attempt, then counts the failure. `random01` in [0, 1).
  std::chrono::milliseconds next(double random01);
  void reset() { attempt = 0; }
};

}  // namespace vigil::slack

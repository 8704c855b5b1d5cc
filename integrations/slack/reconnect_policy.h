#pragma once

#include <chrono>
#include <string>

#include "bot/base/error.h"
#include "integrations/slack/socket_mode.h"

namespace vigil::slack {

/// The pure half of keeping a Socket Mode connection slot alive: given what just happened to the
/// slot, what to do next (read on, reconnect after a pause, open a replacement first, give up).
/// No I/O and no time source here: the caller hands in the random draw and how long a lost
/// connection lived, so every decision is unit-tested. SocketModeClient carries the actions out.

/// Why apps.connections.open or the websocket behind it did not give a usable connection.
enum class ConnectFailure {
  Refused,            // the app token was refused (invalid_auth, missing_scope…): retrying cannot help
  TooManyWebsockets,  // Slack has too many sockets for this app: wait longer
  Other,              // network, HTTP 5xx, 429, a socket that died before hello…
};
ConnectFailure classify_connect_failure(const Error& e);

/// What happened to a connection slot.
struct ReconnectEvent {
  enum class Kind {
    Connected,          // a fresh connection said hello
    Replaced,           // the replacement asked for by RefreshRequested said hello
    ConnectFailed,      // no connection (the slot has none)
    ReplacementFailed,  // no replacement (the old connection still reads)
    Lost,               // the current connection died (read failed, ack not written, no pong)
    TooManyWebsockets,  // Slack said too_many_websockets on the current connection
    RefreshRequested,   // Slack said warning or refresh_requested on the current connection
    LinkDisabled,       // Slack said link_disabled: Socket Mode is off for this app
  };
  Kind kind = Kind::Connected;
  ConnectFailure failure = ConnectFailure::Other;  // ConnectFailed, ReplacementFailed
  std::string detail;                              // the failure's detail, or link_disabled's message
  std::chrono::milliseconds lived{0};              // Lost: how long the connection had been open

  static ReconnectEvent of(Kind kind);
  static ReconnectEvent connect_failed(const Error& e);
  static ReconnectEvent replacement_failed(const Error& e);
  static ReconnectEvent lost(std::chrono::milliseconds lived);
};

/// What the slot does next.
struct ReconnectAction {
  enum class Kind {
    Read,                   // keep reading the current connection
    ConnectAfter,           // (the current one is gone) wait `delay`, then connect
    CloseThenConnectAfter,  // close the current connection, wait `delay`, then connect
    Replace,                // open a replacement now; the current one reads on until it said hello
    ReplaceAfter,           // wait `delay` (unless the current one dies), then try the replacement again
    GiveUp,                 // stop Socket Mode with `message`, which says what to fix
  };
  Kind kind = Kind::Read;
  std::chrono::milliseconds delay{0};
  std::string message;  // GiveUp
};

/// The slot's memory between events: two capped exponential back-offs with jitter.
struct ReconnectState {
  Backoff backoff;  // connection failures and losses; reset by a fresh hello
  Backoff crowded;  // too_many_websockets; reset when a connection lived a minute
};

/// A connection that lived longer than this before it was lost ends a crowded spell.
inline constexpr std::chrono::minutes kCrowdedResetAfter{1};
/// The cap of the too_many_websockets back-off.
inline constexpr std::chrono::minutes kCrowdedBackoffMax{2};

/// The state a slot starts with.
ReconnectState initial_reconnect_state(std::chrono::milliseconds backoff_initial, std::chrono::milliseconds backoff_max,
                                       std::chrono::milliseconds crowded_initial);

/// The decision. Advances the back-offs in `state` when it returns a delay; `random01` in [0, 1)
/// is the jitter draw used for that delay.
ReconnectAction next_action(ReconnectState& state, const ReconnectEvent& event, double random01);

/// A retired connection (replaced after a refresh) is closed once it has been quiet for
/// `quiet`, or at the latest `max` after it was retired.
bool drain_done(std::chrono::system_clock::time_point now, std::chrono::system_clock::time_point retired_at,
                std::chrono::system_clock::time_point last_frame_at, std::chrono::milliseconds quiet,
                std::chrono::milliseconds max);

}  // namespace vigil::slack

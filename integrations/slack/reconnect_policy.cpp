#include "integrations/slack/reconnect_policy.h"

#include <set>

namespace vigil::slack {

ConnectFailure classify_connect_failure(const Error& e) {
  static const std::set<std::string> kRefused{
      "invalid_auth",  "not_authed",    "account_inactive",       "token_revoked", "not_allowed_token_type",
      "missing_scope", "team_disabled", "user_removed_from_team", "no_permission"};
  if (e.is(Errc::SlackApi) && kRefused.count(e.detail) > 0) {
    return ConnectFailure::Refused;
  }
  return e.detail == "too_many_websockets" ? ConnectFailure::TooManyWebsockets : ConnectFailure::Other;
}

ReconnectEvent ReconnectEvent::of(Kind kind) {
  ReconnectEvent ev;
  ev.kind = kind;
  return ev;
}

ReconnectEvent ReconnectEvent::connect_failed(const Error& e) {
  ReconnectEvent ev = of(Kind::ConnectFailed);
  ev.failure = classify_connect_failure(e);
  ev.detail = e.detail;
  return ev;
}

ReconnectEvent ReconnectEvent::replacement_failed(const Error& e) {
  ReconnectEvent ev = connect_failed(e);
  ev.kind = Kind::ReplacementFailed;
  return ev;
}

ReconnectEvent ReconnectEvent::lost(std::chrono::milliseconds lived) {
  ReconnectEvent ev = of(Kind::Lost);
  ev.lived = lived;
  return ev;
}

ReconnectState initial_reconnect_state(std::chrono::milliseconds backoff_initial, std::chrono::milliseconds backoff_max,
                                       std::chrono::milliseconds crowded_initial) {
  const auto crowded_max = std::chrono::duration_cast<std::chrono::milliseconds>(kCrowdedBackoffMax);
  return ReconnectState{Backoff{backoff_initial, backoff_max}, Backoff{crowded_initial, crowded_max}};
}

namespace {

ReconnectAction act(ReconnectAction::Kind kind, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
  ReconnectAction a;
  a.kind = kind;
  a.delay = delay;
  return a;
}

ReconnectAction give_up(std::string message) {
  ReconnectAction a;
  a.kind = ReconnectAction::Kind::GiveUp;
  a.message = std::move(message);
  return a;
}

}  // namespace

ReconnectAction next_action(ReconnectState& state, const ReconnectEvent& event, double random01) {
  using Kind = ReconnectEvent::Kind;
  using Do = ReconnectAction::Kind;
  switch (event.kind) {
    case Kind::Connected:
      state.backoff.reset();
      return act(Do::Read);
    case Kind::Replaced:
      // The back-off is left as it is: the old connection never failed.
      return act(Do::Read);
    case Kind::ConnectFailed:
      if (event.failure == ConnectFailure::Refused) {
        return give_up("apps.connections.open refused the app token (" + event.detail +
                       "): check SLACK_APP_TOKEN and its connections:write scope");
      }
      if (event.failure == ConnectFailure::TooManyWebsockets) {
        return act(Do::ConnectAfter, state.crowded.next(random01));
      }
      return act(Do::ConnectAfter, state.backoff.next(random01));
    case Kind::ReplacementFailed:
      if (event.failure == ConnectFailure::Refused) {
        return give_up("apps.connections.open: " + event.detail);
      }
      return act(Do::ReplaceAfter, state.backoff.next(random01));
    case Kind::Lost:
      if (event.lived > kCrowdedResetAfter) {
        state.crowded.reset();
      }
      return act(Do::ConnectAfter, state.backoff.next(random01));
    case Kind::TooManyWebsockets:
      return act(Do::CloseThenConnectAfter, state.crowded.next(random01));
    case Kind::RefreshRequested:
      return act(Do::Replace);
    case Kind::LinkDisabled:
      return give_up(event.detail);
  }
  return act(Do::Read);
}

bool drain_done(std::chrono::system_clock::time_point now, std::chrono::system_clock::time_point retired_at,
                std::chrono::system_clock::time_point last_frame_at, std::chrono::milliseconds quiet,
                std::chrono::milliseconds max) {
  return now - last_frame_at >= quiet || now - retired_at >= max;
}

}  // namespace vigil::slack

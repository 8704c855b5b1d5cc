#include "integrations/slack/socket_mode.h"

#include <algorithm>

#include "bot/base/untrusted_json.h"
#include "bot/base/utf8.h"

namespace vigil::slack {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string nested(const json& j, const char* outer, const char* key) {
  const auto it = j.find(outer);
  return it != j.end() && it->is_object() ? str(*it, key) : std::string();
}

}  // namespace

const char* to_string(EnvelopeType t) {
  switch (t) {
    case EnvelopeType::EventsApi:
      return "events_api";
    case EnvelopeType::SlashCommands:
      return "slash_commands";
    case EnvelopeType::Interactive:
      return "interactive";
  }
  return "unknown";
}

const char* to_string(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::Warning:
      return "warning";
    case DisconnectReason::RefreshRequested:
      return "refresh_requested";
    case DisconnectReason::LinkDisabled:
      return "link_disabled";
    case DisconnectReason::TooManyWebsockets:
      return "too_many_websockets";
    case DisconnectReason::Unknown:
      return "unknown";
  }
  return "unknown";
}

Frame parse_frame(std::string_view text) {
  auto j = parse_untrusted_json(text);
  if (j.is_discarded()) {
    return BadFrame{"malformed or too deeply nested JSON (" + std::to_string(text.size()) + " bytes)", {}};
  }
  if (!j.is_object()) {
    return BadFrame{"frame is not a JSON object", {}};
  }
  const auto type = str(j, "type");
  const auto envelope_id = str(j, "envelope_id");
  if (type == "hello") {
    Hello h;
    if (auto it = j.find("num_connections"); it != j.end() && it->is_number_integer()) {
      h.num_connections = it->get<int>();
    }
    h.app_id = nested(j, "connection_info", "app_id");
    h.host = nested(j, "debug_info", "host");
    if (auto d = j.find("debug_info"); d != j.end() && d->is_object()) {
      // An integer: a float such as 1e300 does not fit a long long (undefined behaviour).
      if (auto t = d->find("approximate_connection_time"); t != d->end() && t->is_number_integer()) {
        h.approximate_connection_time = std::chrono::seconds(t->get<long long>());
      }
    }
    return h;
  }
  if (type == "disconnect") {
    Disconnect d;
    d.reason_text = str(j, "reason");
    d.host = nested(j, "debug_info", "host");
    if (d.reason_text == "warning") {
      d.reason = DisconnectReason::Warning;
    } else if (d.reason_text == "refresh_requested") {
      d.reason = DisconnectReason::RefreshRequested;
    } else if (d.reason_text == "link_disabled") {
      d.reason = DisconnectReason::LinkDisabled;
    } else if (d.reason_text == "too_many_websockets") {
      d.reason = DisconnectReason::TooManyWebsockets;
    }
    return d;
  }
  Envelope e;
  if (type == "events_api") {
    e.type = EnvelopeType::EventsApi;
  } else if (type == "slash_commands") {
    e.type = EnvelopeType::SlashCommands;
  } else if (type == "interactive") {
    e.type = EnvelopeType::Interactive;
  } else {
    return BadFrame{"unknown frame type '" + utf8_prefix(type, 64) + "'", envelope_id};
  }
  if (envelope_id.empty()) {
    return BadFrame{std::string(to_string(e.type)) + " frame without envelope_id", {}};
  }
  e.envelope_id = envelope_id;
  if (auto p = j.find("payload"); p != j.end() && p->is_object()) {
    e.payload = std::move(*p);
  } else {
    return BadFrame{"envelope without an object payload", envelope_id};
  }
  if (auto r = j.find("retry_attempt"); r != j.end() && r->is_number_integer()) {
    e.retry_attempt = r->get<int>();
  }
  e.retry_reason = str(j, "retry_reason");
  if (auto a = j.find("accepts_response_payload"); a != j.end() && a->is_boolean()) {
    e.accepts_response_payload = a->get<bool>();
  }
  return e;
}

std::string relay_frame(const Envelope& e) {
  json frame{{"envelope_id", e.envelope_id}, {"type", to_string(e.type)}, {"payload", e.payload}};
  if (frame["payload"].is_object()) {
    frame["payload"].erase("token");
  }
  frame["retry_attempt"] = e.retry_attempt;
  frame["retry_reason"] = e.retry_reason;
  frame["accepts_response_payload"] = e.accepts_response_payload;
  // Payload text was parsed from UTF-8, but a replacement keeps a stray byte from ever throwing.
  return frame.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string make_ack(const std::string& envelope_id, const std::optional<json>& payload) {
  json ack{{"envelope_id", envelope_id}};
  if (payload) {
    ack["payload"] = *payload;
  }
  return ack.dump();
}

DisconnectAction classify(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::LinkDisabled:
      return DisconnectAction::Stop;
    case DisconnectReason::TooManyWebsockets:
      return DisconnectAction::BackOff;
    case DisconnectReason::Warning:
    case DisconnectReason::RefreshRequested:
    case DisconnectReason::Unknown:
      return DisconnectAction::ReplaceSoon;
  }
  return DisconnectAction::ReplaceSoon;
}

std::string dedup_key(const Envelope& e, std::string* kind) {
  const auto& p = e.payload;
  auto set_kind = [&](const char* k) {
    if (kind) {
      *kind = k;
    }
  };
  if (e.type == EnvelopeType::EventsApi) {
    if (auto id = str(p, "event_id"); !id.empty()) {
      set_kind("event");
      return "event:" + id;
    }
  } else if (e.type == EnvelopeType::Interactive) {
    // A click is identified by who clicked what when; views by their id and hash.
    const auto user = nested(p, "user", "id");
    if (auto a = p.find("actions"); a != p.end() && a->is_array() && !a->empty() && (*a)[0].is_object()) {
      set_kind("interaction");
      return "action:" + user + ":" + str((*a)[0], "action_id") + ":" + str((*a)[0], "action_ts");
    }
    if (auto t = str(p, "trigger_id"); !t.empty()) {
      set_kind("interaction");
      return "trigger:" + t;
    }
    if (auto v = p.find("view"); v != p.end() && v->is_object()) {
      set_kind("interaction");
      return "view:" + str(p, "type") + ":" + str(*v, "id") + ":" + str(*v, "hash");
    }
  } else if (e.type == EnvelopeType::SlashCommands) {
    if (auto t = str(p, "trigger_id"); !t.empty()) {
      set_kind("command");
      return "trigger:" + t;
    }
  }
  set_kind("envelope");
  return "envelope:" + e.envelope_id;
}

std::chrono::milliseconds Backoff::next(double random01) {
  const int shift = std::min(attempt, 20);
  const auto cap = std::min<long long>(max.count(), initial.count() * (1LL << shift));
  ++attempt;
  random01 = std::clamp(random01, 0.0, 1.0);
  // "Full jitter" over the upper half: never zero (no hot loop), never above the cap.
  const auto half = cap / 2;
  return std::chrono::milliseconds(half + static_cast<long long>(random01 * static_cast<double>(cap - half)));
}

}  // namespace vigil::slack

#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace vigil::test {

/// A button on a message, pressed: the block_actions envelope Slack sends over Socket Mode.
struct ButtonClick {
  std::string id;  // makes envelope_id, trigger_id and action_ts unique ("env-click-<id>")
  std::string action_id;
  std::string value;
  std::string user;
  std::string user_name = "approver";
  std::string channel;
  std::string channel_name = "incidents";
  std::string response_url;
};

inline nlohmann::json button_click_envelope(const ButtonClick& c) {
  using nlohmann::json;
  return {{"envelope_id", "env-click-" + c.id},
          {"type", "interactive"},
          {"accepts_response_payload", true},
          {"payload",
           {{"type", "block_actions"},
            {"user", {{"id", c.user}, {"username", c.user_name}, {"team_id", "T1"}}},
            {"team", {{"id", "T1"}}},
            {"channel", {{"id", c.channel}, {"name", c.channel_name}}},
            {"container", {{"type", "message"}, {"message_ts", "1.1"}, {"channel_id", c.channel}}},
            {"trigger_id", "trig-" + c.id},
            {"response_url", c.response_url},
            {"actions", json::array({{{"action_id", c.action_id},
                                      {"block_id", "b"},
                                      {"value", c.value},
                                      {"type", "button"},
                                      {"action_ts", "1800000300." + c.id}}})}}}};
}

}  // namespace vigil::test

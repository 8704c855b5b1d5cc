#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vigil {

/// How deep untrusted JSON may nest. nlohmann::json copies, compares and dumps recursively, so a
/// document of a few hundred thousand '[' (well inside a webhook body or a Socket Mode frame)
/// would overflow the stack long after parsing; real payloads nest a dozen levels.
inline constexpr std::size_t kMaxJsonDepth = 128;

/// True when no array or object in `text` nests deeper than `max_depth` (brackets inside strings
/// do not count). Says nothing about validity.
bool json_depth_within(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

/// Parses JSON from outside (Slack frames, webhook bodies, agent output) without exceptions: a
/// discarded value (is_discarded()) when it is malformed or nests deeper than `max_depth`.
nlohmann::json parse_untrusted_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace vigil

#include "integrations/kubernetes/agent_pod_frames.h"

#include <charconv>

#include <boost/beast/core/detail/base64.hpp>

namespace vigil::kubernetes {
namespace {

namespace b64 = boost::beast::detail::base64;

constexpr std::size_t kChunk = 3000;  // base64 characters per log line, well under any line limit

std::string encode(std::string_view raw) {
  std::string out(b64::encoded_size(raw.size()), '\0');
  out.resize(b64::encode(out.data(), raw.data(), raw.size()));
  return out;
}

std::optional<std::string> decode(std::string_view text) {
  std::string out(b64::decoded_size(text.size()), '\0');
  const auto [written, read] = b64::decode(out.data(), text.data(), text.size());
  // Beast stops at the padding: only '=' may follow what it read.
  if (text.find_first_not_of('=', read) != std::string_view::npos) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

}  // namespace

bool is_returned_output(std::string_view name) {
  return name == "summary.md" || name == "proposals.json";
}

std::size_t returned_output_cap(std::string_view name) {
  return name == "summary.md" ? 64 * 1024 : 256 * 1024;
}

std::vector<std::string> output_frames(const std::string& name, std::string_view content) {
  const auto encoded = encode(content);
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < encoded.size() || (at == 0 && lines.empty()); at += kChunk) {
    lines.push_back(std::string(kOutputFrame) + name + " " + encoded.substr(at, kChunk));
  }
  return lines;
}

std::string exit_frame(int code) {
  return std::string(kExitFrame) + std::to_string(code);
}

bool PodFrameReader::feed(std::string_view line) {
  if (line.starts_with(kStderrFrame)) {
    return true;
  }
  if (line.starts_with(kExitFrame)) {
    const auto value = line.substr(kExitFrame.size());
    int code = 0;
    if (const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), code); ec == std::errc()) {
      exit_code_ = code;
    }
    return true;
  }
  if (!line.starts_with(kOutputFrame)) {
    return false;
  }
  const auto rest = line.substr(kOutputFrame.size());
  const auto space = rest.find(' ');
  const auto name = std::string(rest.substr(0, space));
  if (!is_returned_output(name)) {
    errors_.push_back("output refused: " + name);
    return true;
  }
  auto& encoded = encoded_[name];
  if (space != std::string_view::npos && encoded.size() < 2 * returned_output_cap(name)) {
    encoded += rest.substr(space + 1);
  }
  return true;
}

std::map<std::string, std::string> PodFrameReader::outputs() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, encoded] : encoded_) {
    auto raw = decode(encoded);
    if (!raw) {
      continue;
    }
    if (raw->size() > returned_output_cap(name)) {
      raw->resize(returned_output_cap(name));
    }
    out[name] = std::move(*raw);
  }
  return out;
}

}  // namespace vigil::kubernetes

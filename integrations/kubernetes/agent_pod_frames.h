#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::kubernetes {

/// How an agent Pod hands its outputs back through its log (`vigil agent-pod` writes, the
/// KubernetesAgentRunner reads): after the CLI's own stream, each output file as base64 chunks
/// (`##vigil-output <name> <chunk>`), then `##vigil-exit <code>`. The CLI's stderr lines are
/// marked `##vigil-stderr ` so they never reach the stream parser. Only summary.md and
/// proposals.json are accepted back, each capped.
inline constexpr std::string_view kOutputFrame = "##vigil-output ";
inline constexpr std::string_view kExitFrame = "##vigil-exit ";
inline constexpr std::string_view kStderrFrame = "##vigil-stderr ";

/// The output files a Pod may hand back, with their size caps.
bool is_returned_output(std::string_view name);
std::size_t returned_output_cap(std::string_view name);

/// The log lines that carry `content` as output `name`.
std::vector<std::string> output_frames(const std::string& name, std::string_view content);
std::string exit_frame(int code);

/// Reads frames out of a Pod's log, line by line.
class PodFrameReader {
 public:
  /// True when the line was a frame (or a marked stderr line) and is not part of the agent's stream.
  bool feed(std::string_view line);
  /// The decoded outputs (only returned names, within their caps; a bad chunk drops the file).
  std::map<std::string, std::string> outputs() const;
  std::optional<int> exit_code() const { return exit_code_; }
  std::vector<std::string> errors() const { return errors_; }

 private:
  std::map<std::string, std::string> encoded_;
  std::optional<int> exit_code_;
  std::vector<std::string> errors_;
};

}  // namespace vigil::kubernetes

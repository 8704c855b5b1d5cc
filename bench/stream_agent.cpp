// A stand-in agent CLI for bench/agent_load_bench: writes Claude-Code-style stream-json lines
// (`claude -p … --output-format stream-json --verbose`: a system init line, then turns of an
// assistant tool_use, the user tool_result with the tool's output, and an assistant text line,
// then a result line) to stdout at a fixed byte rate for a fixed time, writes output/summary.md in
// its working directory (the run's workspace), and exits 0.
//
//   stream_agent [--seconds N] [--bytes-per-second B] [--turns-per-second T] [--stats-dir DIR]
//
// With --stats-dir it writes DIR/<INCIDENT_ID>.txt: "<bytes written> <seconds>" so the bench can
// report the rate the agent achieved (a slow reader blocks the pipe, and the rate drops).
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace {

using Steady = std::chrono::steady_clock;

struct Options {
  double seconds = 10;
  double bytes_per_second = 1024.0 * 1024.0;
  int turns_per_second = 20;
  std::string stats_dir;
};

bool write_all(const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    const ssize_t n = ::write(1, p, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

// JSON string contents: the generated text has no quotes or backslashes, only newlines.
std::string escaped(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 40);
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Log lines like `kubectl logs` output, about `bytes` long.
std::string log_output(std::size_t bytes, long long turn) {
  std::string out;
  out.reserve(bytes + 128);
  long long i = 0;
  while (out.size() < bytes) {
    char line[160];
    std::snprintf(line, sizeof line,
                  "2026-12-04T14:%02lld:%02lld.%03lldZ INFO checkout-7d9f request id=%lld-%lld path=/api/cart "
                  "status=200 duration_ms=%lld\n",
                  (turn / 60) % 60, turn % 60, i % 1000, turn, i, (i * 7) % 900);
    out += line;
    ++i;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--seconds") {
      o.seconds = std::atof(value);
    } else if (flag == "--bytes-per-second") {
      o.bytes_per_second = std::atof(value);
    } else if (flag == "--turns-per-second") {
      o.turns_per_second = std::max(1, std::atoi(value));
    } else if (flag == "--stats-dir") {
      o.stats_dir = value;
    } else {
      std::fprintf(stderr, "stream_agent: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const char* incident = std::getenv("INCIDENT_ID");
  const std::string run_id = incident ? incident : "unknown";
  const std::string session = "bench-session-" + run_id;
  const auto started = Steady::now();
  long long written = 0;
  auto emit = [&](std::string line) {
    line += '\n';
    if (!write_all(line)) {
      std::exit(1);
    }
    written += static_cast<long long>(line.size());
  };
  emit(
      R"({"type":"system","subtype":"init","cwd":".","session_id":")" + session +
      R"(","tools":["Bash","Read","Grep"],"mcp_servers":[],"model":"claude-opus-4-5-20251101","permissionMode":"default","claude_code_version":"2.1.7","uuid":"init-)" +
      run_id + R"("})");

  // Each turn: tool_use + tool_result (the output twice, as Claude Code writes it: in content and
  // in tool_use_result.stdout) + a text line. The output size makes the turns add up to the rate.
  const double turn_bytes = o.bytes_per_second / o.turns_per_second;
  const std::size_t output_bytes = static_cast<std::size_t>(std::max(256.0, (turn_bytes - 1500) / 2));
  const auto turn_interval = std::chrono::duration<double>(1.0 / o.turns_per_second);
  const long long turns = static_cast<long long>(o.seconds * o.turns_per_second);
  // The tool output is generated once: the stand-in should spend its CPU writing, not formatting,
  // so that on a small machine the figures are Vigil's and not the agents'.
  const auto out = escaped(log_output(output_bytes, 0));
  for (long long t = 0; t < turns; ++t) {
    std::this_thread::sleep_until(started + std::chrono::duration_cast<Steady::duration>(turn_interval * t));
    const std::string tool_id = "toolu_bench_" + std::to_string(t);
    emit(
        R"({"type":"assistant","message":{"model":"claude-opus-4-5-20251101","id":"msg_)" + std::to_string(t) +
        R"(","type":"message","role":"assistant","content":[{"type":"tool_use","id":")" + tool_id +
        R"(","name":"Bash","input":{"command":"kubectl logs deploy/checkout -n prod --since=5m --tail=2000","description":"Read the checkout logs"}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":3556,"cache_read_input_tokens":17254,"output_tokens":4,"service_tier":"standard"}},"parent_tool_use_id":null,"session_id":")" +
        session + R"(","uuid":"u-)" + std::to_string(t) + R"(-a"})");
    emit(R"({"type":"user","message":{"role":"user","content":[{"tool_use_id":")" + tool_id +
         R"(","type":"tool_result","content":")" + out +
         R"(","is_error":false}]},"parent_tool_use_id":null,"session_id":")" + session + R"(","uuid":"u-)" +
         std::to_string(t) + R"(-r","tool_use_result":{"stdout":")" + out +
         R"(","stderr":"","interrupted":false,"isImage":false}})");
    emit(
        R"({"type":"assistant","message":{"model":"claude-opus-4-5-20251101","id":"msg_)" + std::to_string(t) +
        R"(t","type":"message","role":"assistant","content":[{"type":"text","text":"Checked the checkout logs, window )" +
        std::to_string(t) +
        R"(: requests succeed, latency within bounds; looking further."}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":40,"service_tier":"standard"}},"parent_tool_use_id":null,"session_id":")" +
        session + R"(","uuid":"u-)" + std::to_string(t) + R"(-t"})");
  }
  const double took = std::chrono::duration<double>(Steady::now() - started).count();
  const std::string last = "stream-agent finished " + run_id;
  emit(R"({"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":")" + last +
       R"("}]},"session_id":")" + session + R"("})");
  std::error_code ec;
  std::filesystem::create_directories("output", ec);
  std::ofstream("output/summary.md") << "## Stand-in agent\n"
                                     << last << ": " << written << " bytes in " << took << " s.\n";
  std::ofstream("output/proposals.json") << "[]\n";
  emit(R"({"type":"result","subtype":"success","is_error":false,"duration_ms":)" +
       std::to_string(static_cast<long long>(took * 1000)) + R"(,"num_turns":)" + std::to_string(turns) +
       R"(,"result":")" + last + R"(","session_id":")" + session + R"("})");
  if (!o.stats_dir.empty()) {
    std::ofstream(o.stats_dir + "/" + run_id + ".txt") << written << " " << took << "\n";
  }
  return 0;
}

#include "bot/cli/terminal_progress.h"

#include <sstream>

#include "bot/core/timeline.h"

namespace vigil {

void TerminalProgress::on_progress(const RunRecord& run, const ProgressEvent& e) {
  const auto time = format_time_ms(e.at_ms).substr(11, 8);
  out_ << time << "  " << run.id.substr(0, 8) << "  " << to_string(e.kind);
  if (!e.text.empty()) {
    out_ << "  " << e.text;
  }
  out_ << "\n";
  if (!e.detail.empty()) {
    std::istringstream lines(e.detail);
    std::string line;
    while (std::getline(lines, line)) {
      out_ << "      │ " << line << "\n";
    }
  }
  out_.flush();
}

}  // namespace vigil

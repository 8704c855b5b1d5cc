#include "bot/core/step_output.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "bot/store/store.h"
#include "integrations/slack/blocks.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

// True when `path` names a file inside `root` once both are made canonical (no `..`, no link out).
bool inside(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  const auto r = fs::weakly_canonical(root, ec);
  if (ec) {
    return false;
  }
  const auto p = fs::weakly_canonical(path, ec);
  if (ec) {
    return false;
  }
  const auto rel = p.lexically_relative(r);
  return !rel.empty() && rel != "." && *rel.begin() != ".." && rel.is_relative();
}

std::string db_note(const StepRecord& step, const std::string& why) {
  if (!step.output_truncated) {
    return why;
  }
  return why + (why.empty() ? "" : "; ") + "the database keeps the first " + std::to_string(step.output.size()) +
         " bytes";
}

}  // namespace

StepOutput read_step_output(const StepRecord& step, const std::string& workspace_root, std::size_t max_bytes,
                            const Redactor& redactor) {
  StepOutput out;
  if (step.output_path.empty()) {
    out.source = StepOutputSource::Database;
    out.text = redactor.redact(step.output);
    out.note = db_note(step, "");
    return out;
  }
  std::string why;
  if (workspace_root.empty() || !inside(workspace_root, step.output_path)) {
    why = "its file " + step.output_path + " is outside agent.workspace_root";
  } else if (std::ifstream in(step.output_path, std::ios::binary); !in) {
    std::error_code ec;
    why = fs::exists(step.output_path, ec)
              ? "its file " + step.output_path + " cannot be read"
              : "its file " + step.output_path + " is gone (workspace retention removes old runs' files)";
  } else {
    // Room for the executor's own marker line after its cut.
    const std::size_t room = max_bytes + 1024;
    std::string text(room, '\0');
    in.read(text.data(), static_cast<std::streamsize>(room));
    text.resize(static_cast<std::size_t>(in.gcount()));
    const bool more = in.peek() != std::char_traits<char>::eof();
    out.source = StepOutputSource::File;
    out.text = redactor.redact(text);
    if (more) {
      out.note = "cut at " + std::to_string(room) + " bytes";
    }
    return out;
  }
  out.source = StepOutputSource::FileGone;
  out.text = redactor.redact(step.output);
  out.note = db_note(step, why);
  return out;
}

std::string step_output_section(const StepRecord& step, const StepOutput& output) {
  std::string out =
      "=== " + (step.skill.empty() ? "" : step.skill + "/") + step.step + " (" + std::string(to_string(step.state));
  if (step.exit_code) {
    out += ", exit " + std::to_string(*step.exit_code);
  }
  out += ") ===\n$ " + slack::blocks::display_argv(step.argv) + "\n";
  if (output.source != StepOutputSource::File || !output.note.empty()) {
    const std::string from = output.source == StepOutputSource::File ? "from its file" : "from the database";
    out += "(" + from + (output.note.empty() ? "" : ": " + output.note) + ")\n";
  }
  out += output.text.empty() ? "(no output)\n" : output.text;
  if (!out.empty() && out.back() != '\n') {
    out += '\n';
  }
  return out;
}

std::string full_output_text(Store& store, const RunRecord& run, const std::string& workspace_root,
                             std::size_t max_bytes, const Redactor& redactor) {
  std::string out;
  for (const auto& s : store.list_steps(run.id)) {
    if (!out.empty()) {
      out += "\n";
    }
    out += redactor.redact(step_output_section(s, read_step_output(s, workspace_root, max_bytes, redactor)));
  }
  return out;
}

std::string full_output_markdown(Store& store, const RunRecord& run, const std::string& workspace_root,
                                 std::size_t max_bytes, const Redactor& redactor) {
  std::string out = "\n## Full output\n";
  const auto steps = store.list_steps(run.id);
  if (steps.empty()) {
    return out + "\nNo step ran.\n";
  }
  for (const auto& s : steps) {
    // The command line is redacted too (a secret given as an argument).
    const auto section =
        redactor.redact(step_output_section(s, read_step_output(s, workspace_root, max_bytes, redactor)));
    // A fence longer than any run of backticks in the output, so nothing in it can close the block.
    std::size_t longest = 0;
    std::size_t run_len = 0;
    for (const char c : section) {
      run_len = c == '`' ? run_len + 1 : 0;
      longest = std::max(longest, run_len);
    }
    const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    out += "\n" + fence + "text\n" + section + fence + "\n";
  }
  return out;
}

}  // namespace vigil

#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bot/base/redactor.h"
#include "bot/store/model.h"

namespace vigil {

class Store;

/// Where a step's full output came from when it was read back.
enum class StepOutputSource {
  File,      // the file the executor kept in the run's workspace
  Database,  // the text kept in the database: the step wrote no more than it holds
  FileGone,  // the file is gone (workspace retention) or unreadable: the database's cut text
};

/// One step's output as people may see it: bounded and passed through the redactor again (a file
/// of an older version was kept raw).
struct StepOutput {
  std::string text;
  StepOutputSource source = StepOutputSource::Database;
  std::string note;  // why the text is not all of it ("" when it is)
};

/// Reads a step's full output: its file when that lies inside `workspace_root` (a path from the
/// database is never followed elsewhere), at most `max_bytes` of it; otherwise the database's text
/// with a note saying it may be cut and why.
StepOutput read_step_output(const StepRecord& step, const std::string& workspace_root, std::size_t max_bytes,
                            const Redactor& redactor);

/// Every step of a run with its full output, as `vigil runs show --full` prints it and the Full
/// output file in Slack holds: a header per step (its name, command, result), then the output.
std::string full_output_text(Store& store, const RunRecord& run, const std::string& workspace_root,
                             std::size_t max_bytes, const Redactor& redactor);

/// The same as a Markdown section ("## Full output", one fenced block per step), for `runs show --full`.
std::string full_output_markdown(Store& store, const RunRecord& run, const std::string& workspace_root,
                                 std::size_t max_bytes, const Redactor& redactor);

/// One step's block of full_output_text.
std::string step_output_section(const StepRecord& step, const StepOutput& output);

}  // namespace vigil

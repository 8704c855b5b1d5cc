#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "bot/base/clock.h"
#include "bot/base/redactor.h"
#include "bot/base/task.h"

namespace vigil {

class Store;
namespace slack {
class WebApi;
}

struct FullOutputOptions {
  std::string workspace_root;              // agent.workspace_root: step files are read only there
  std::size_t max_bytes = 1024 * 1024;     // agent.step_output_max_bytes
  std::chrono::seconds reshare_after{60};  // a second click within this shares nothing new
};

/// What became of a Full output click; `message` is the private answer when nothing was shared.
struct FullOutputShare {
  bool shared = false;
  std::string message;
};

/// The Full output button under a step's cut output in a run's thread: uploads the step's full
/// output (redacted again, bounded; the database's text with a note when the file is gone) as a
/// file in the run's thread. The click must come from the run's own channel: whoever can click there
/// can already read the thread, and the file goes nowhere else. Every share and refusal is audited.
class FullOutputService {
 public:
  FullOutputService(Store& store, slack::WebApi& web, const Redactor& redactor, Clock& clock, FullOutputOptions options,
                    Logger log);

  /// `value` is the button's value (run and step row); `channel` where the click came from.
  Task<FullOutputShare> share(std::string value, std::string user, std::string channel);

 private:
  void audit(const std::string& user, const std::string& action, const std::string& run_id, const std::string& detail);

  Store& store_;
  slack::WebApi& web_;
  const Redactor& redactor_;
  Clock& clock_;
  FullOutputOptions options_;
  Logger log_;
  std::map<std::int64_t, std::chrono::system_clock::time_point> shared_at_;  // by step row
};

}  // namespace vigil

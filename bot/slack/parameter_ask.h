#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "bot/base/task.h"
#include "bot/core/parameter_need.h"
#include "bot/core/progress.h"
#include "skills/free_text.h"
#include "skills/parameter_input.h"
#include "skills/skill.h"
#include "skills/skill_catalog.h"

namespace vigil {

class Store;
class SlackRunPresenter;
namespace slack {
class WebApi;
}

/// The button on the ask (its value: the run id only) and the modal it opens.
inline constexpr const char* kActionGiveParameters = "runbook.give_parameters";
inline constexpr const char* kParametersCallback = "runbook.parameters";

/// The ask posted in the run's thread: what is missing, what was found, the candidates, and the
/// "Give parameters" button (value: the run id).
nlohmann::json parameter_ask_blocks(const std::string& run_id, const ParameterNeed& need, const skills::Skill& skill);

/// The modal: one input per parameter of the skill (label, description and form as hint, pre-filled
/// with what was found); "<run id> <skill id>" in private_metadata (the skill only checks values in
/// the ack; the submission is looked up again from the run).
nlohmann::json parameters_modal(const std::string& run_id, const skills::Skill& skill, const ParameterNeed& need);
/// The block id of a parameter's input (its action id is "value").
std::string parameter_block_id(const std::string& name);

/// A modal submission read and checked: the values to start the skill with, or one message per
/// input block that is wrong (Slack's `response_action: errors`).
struct ParameterSubmission {
  std::map<std::string, std::string> values;
  std::map<std::string, std::string> errors;  // block id → message
  bool ok() const { return errors.empty(); }
};
/// `values`: "block_id.action_id" → text, as slack::ViewSubmission carries them. `incident`: the
/// run's incident values (from_incident still fills what was left empty).
ParameterSubmission read_parameter_submission(const skills::Skill& skill,
                                              const std::map<std::string, std::string>& values,
                                              const std::map<std::string, std::string>& incident);
/// The ack body that keeps the modal open with the messages under their inputs.
nlohmann::json submission_errors_ack(const ParameterSubmission& submission);

/// Posts the ask in the thread of each run that finished needing parameters, after the presenter
/// has posted what came before (the root, the thread lines, the summary).
class ParameterAskPoster final : public RunObserver {
 public:
  ParameterAskPoster(boost::asio::any_io_executor ex, Store& store, slack::WebApi& web, SlackRunPresenter& presenter,
                     const skills::SkillCatalog& catalog, Logger log);
  void on_progress(const RunRecord& run, const ProgressEvent& event) override;

 private:
  Task<> post(std::string run_id);
  boost::asio::any_io_executor ex_;
  Store& store_;
  slack::WebApi& web_;
  SlackRunPresenter& presenter_;
  const skills::SkillCatalog& catalog_;
  Logger log_;
};

}  // namespace vigil

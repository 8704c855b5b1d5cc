#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "handlers/handler_context.h"
#include "integrations/slack/events.h"
#include "integrations/slack/socket_mode.h"

namespace vigil::handlers {

/// Parameters people give: the "Give parameters" button on a run that needed them opens a modal
/// with the skill's parameters; a valid submission starts the skill as a new run in the same thread
/// (requested by the submitter; its changes still need an approval). The button and the modal carry
/// only the run id; the skill and what was found are looked up.
class ParametersHandler {
 public:
  explicit ParametersHandler(HandlerContext& ctx) : ctx_(ctx) {}

  Task<> open(const slack::BlockAction& a);
  Task<> submit(const slack::ViewSubmission& v);

  /// The ack of an envelope: for a parameters modal whose values are wrong, `response_action:
  /// errors` with a message under each wrong input (the modal stays open); otherwise nullopt.
  static std::optional<nlohmann::json> submission_ack(const skills::SkillCatalog& catalog,
                                                      const slack::Envelope& envelope);

 private:
  HandlerContext& ctx_;
};

}  // namespace vigil::handlers

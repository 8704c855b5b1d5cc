#include "bot/slack/full_output_service.h"

#include <cctype>

#include "bot/core/step_output.h"
#include "bot/store/store.h"
#include "integrations/slack/blocks.h"
#include "integrations/slack/web_api.h"

namespace vigil {
namespace {

// A file name Slack and every OS take: letters, digits, '-', '_', '.'.
std::string file_name(const RunRecord& run, const StepRecord& step) {
  std::string name = run.id.substr(0, 8) + "-" + std::to_string(step.seq) + "-";
  for (const char c : step.step.substr(0, 80)) {
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
  }
  return name + ".txt";
}

}  // namespace

FullOutputService::FullOutputService(Store& store, slack::WebApi& web, const Redactor& redactor, Clock& clock,
                                     FullOutputOptions options, Logger log)
    : store_(store),
      web_(web),
      redactor_(redactor),
      clock_(clock),
      options_(std::move(options)),
      log_(std::move(log)) {}

void FullOutputService::audit(const std::string& user, const std::string& action, const std::string& run_id,
                              const std::string& detail) {
  store_.append_audit({0, to_unix_ms(clock_.now()), user, action, run_id, "", redactor_.redact(detail)});
}

Task<FullOutputShare> FullOutputService::share(std::string value, std::string user, std::string channel) {
  FullOutputShare out;
  const auto parsed = slack::blocks::parse_full_output_value(value);
  const auto run = parsed ? store_.get_run(parsed->first) : std::nullopt;
  const auto step = parsed ? store_.get_step(parsed->second) : std::nullopt;
  if (!run || !step || step->run_id != run->id) {
    audit(user, "step.output_refused", run ? run->id : "",
          "unknown run or step in a Full output button: " + value.substr(0, 80));
    out.message = "That step is not known to Vigil; nothing was shared.";
    co_return out;
  }
  if (run->channel.empty() || channel != run->channel) {
    audit(user, "step.output_refused", run->id, "clicked in " + channel.substr(0, 32) + ", not the run's channel");
    out.message = "The full output is shared only in the run's own channel.";
    co_return out;
  }
  const auto now = clock_.now();
  if (const auto it = shared_at_.find(step->id); it != shared_at_.end() && now - it->second < options_.reshare_after) {
    out.message = "The full output of `" + slack::blocks::escape(step->step) + "` was just shared in the thread.";
    co_return out;
  }
  const auto output = read_step_output(*step, options_.workspace_root, options_.max_bytes, redactor_);
  std::string content = redactor_.redact(step_output_section(*step, output));
  const auto bytes = content.size();
  slack::FileShare where;
  where.title = "Full output of " + step->step + " (run " + run->id.substr(0, 8) + ")";
  where.channel = run->channel;
  where.thread_ts = run->thread_ts;
  where.initial_comment = ":page_facing_up: Full output of `" + slack::blocks::escape(step->step) +
                          "`, asked for by <@" + user + ">" +
                          (output.note.empty() ? "" : " (" + slack::blocks::escape(output.note) + ")");
  shared_at_[step->id] = now;
  std::string name = file_name(*run, *step);
  auto uploaded = co_await slack::upload_file(web_, std::move(name), std::move(content), std::move(where));
  if (!uploaded) {
    shared_at_.erase(step->id);
    log_->warn("run={} step={}: full output not uploaded: {}", run->id, step->step, uploaded.error().message());
    audit(user, "step.output_share_failed", run->id, step->step + ": " + uploaded.error().detail);
    out.message = "The full output could not be uploaded (" + slack::blocks::escape(uploaded.error().detail) +
                  "); `vigil runs show " + run->id.substr(0, 8) + " --full` prints it.";
    co_return out;
  }
  audit(user, "step.output_shared", run->id,
        step->step + " (step " + std::to_string(step->id) + "), " + std::to_string(bytes) + " bytes");
  out.shared = true;
  co_return out;
}

}  // namespace vigil

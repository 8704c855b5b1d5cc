#include "bot/slack/parameter_ask.h"

#include <algorithm>

#include "bot/slack/slack_run_presenter.h"
#include "bot/store/store.h"
#include "integrations/slack/blocks.h"
#include "integrations/slack/web_api.h"

namespace vigil {
namespace {

using nlohmann::json;
namespace blocks = slack::blocks;

json plain(const std::string& text, std::size_t limit) {
  return json{{"type", "plain_text"}, {"text", blocks::truncate(text, limit, "…")}};
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string code_list(const std::vector<std::string>& names, std::size_t limit = 10) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    out += (i == 0 ? "" : ", ") + std::string("`") + blocks::escape(names[i].substr(0, 120)) + "`";
  }
  if (names.size() > limit) {
    out += " and " + std::to_string(names.size() - limit) + " more";
  }
  return out;
}

}  // namespace

json parameter_ask_blocks(const std::string& run_id, const ParameterNeed& need, const skills::Skill& skill) {
  std::string text =
      ":question: *" + blocks::escape(need.sentence()) + "* to run (" + blocks::escape(skill.title) + ").";
  for (const auto& p : need.problems) {
    text += "\n• " + blocks::escape(p);
  }
  if (!need.found.empty()) {
    std::string found;
    for (const auto& [k, v] : need.found) {
      found += (found.empty() ? "" : ", ") + k + " `" + blocks::escape(v.substr(0, 120)) + "`";
    }
    text += "\nFound: " + found + ".";
  }
  for (const auto& [name, list] : need.candidates) {
    text += "\n`" + blocks::escape(name) + "` could be any of " + code_list(list) + ": pick one.";
  }
  if (!need.note.empty()) {
    text += "\n" + blocks::escape(need.note);
  }
  text += "\nGive them with the button, or `" + blocks::escape(skills::usage_line(skill)) + "`.";
  json out = json::array();
  out.push_back(json{{"type", "section"},
                     {"block_id", "params.ask"},
                     {"text", json{{"type", "mrkdwn"}, {"text", blocks::truncate(text, blocks::kMaxSectionText)}}}});
  out.push_back(json{{"type", "actions"},
                     {"block_id", "params.actions"},
                     {"elements", json::array({json{{"type", "button"},
                                                    {"action_id", kActionGiveParameters},
                                                    {"text", plain("Give parameters", blocks::kMaxButtonText)},
                                                    {"style", "primary"},
                                                    {"value", run_id.substr(0, blocks::kMaxValue)}}})}});
  return out;
}

std::string parameter_block_id(const std::string& name) {
  return "param." + name;
}

json parameters_modal(const std::string& run_id, const skills::Skill& skill, const ParameterNeed& need) {
  json body = json::array();
  body.push_back(json{{"type", "section"},
                      {"text", json{{"type", "mrkdwn"},
                                    {"text", blocks::truncate("*" + blocks::escape(skill.title) + "* (`" + skill.id +
                                                                  "`) starts as a new run in the same thread; its "
                                                                  "changes still need an approval.",
                                                              blocks::kMaxSectionText)}}}});
  for (const auto& p : skill.parameters) {
    if (body.size() >= blocks::kMaxBlocks) {
      break;
    }
    std::string hint = p.description;
    const auto form = skills::expected_form(p);
    if (!form.empty()) {
      hint += (hint.empty() ? "" : "; ") + form;
    }
    if (const auto c = need.candidates.find(p.name); c != need.candidates.end() && !c->second.empty()) {
      std::string list;
      for (std::size_t i = 0; i < c->second.size() && i < 10; ++i) {
        list += (i == 0 ? "" : ", ") + c->second[i];
      }
      hint += (hint.empty() ? "" : ". ") + std::string("Could be: ") + list;
    }
    json element{{"type", "plain_text_input"}, {"action_id", "value"}, {"max_length", 253}};
    if (const auto f = need.found.find(p.name); f != need.found.end() && !f->second.empty()) {
      element["initial_value"] = f->second.substr(0, 253);
    }
    const auto example = skills::example_value(p);
    if (!example.empty()) {
      element["placeholder"] = plain("e.g. " + example, 150);
    }
    json input{{"type", "input"},
               {"block_id", parameter_block_id(p.name)},
               {"optional", !p.required || p.default_value.has_value()},
               {"label", plain(p.name + (p.required ? "" : " (optional)"), 2000)},
               {"element", element}};
    if (!hint.empty()) {
      input["hint"] = plain(hint, 2000);
    }
    body.push_back(std::move(input));
  }
  return json{{"type", "modal"},
              {"callback_id", kParametersCallback},
              {"private_metadata", run_id.substr(0, 64) + " " + skill.id},
              {"title", plain("Run parameters", 24)},
              {"submit", plain("Start run", 24)},
              {"close", plain("Cancel", 24)},
              {"blocks", body}};
}

ParameterSubmission read_parameter_submission(const skills::Skill& skill,
                                              const std::map<std::string, std::string>& values,
                                              const std::map<std::string, std::string>& incident) {
  ParameterSubmission out;
  std::map<std::string, std::string> given;
  for (const auto& p : skill.parameters) {
    const auto it = values.find(parameter_block_id(p.name) + ".value");
    if (it != values.end()) {
      const auto v = trim(it->second);
      if (!v.empty()) {
        given[p.name] = v;
      }
    }
  }
  const auto check = skills::validate_parameters(skill, given, incident);
  for (const auto& problem : check.problems) {
    if (skill.find_parameter(problem.name)) {
      out.errors[parameter_block_id(problem.name)] = blocks::truncate(problem.message, 300, "…");
    }
  }
  out.values = check.values;
  return out;
}

json submission_errors_ack(const ParameterSubmission& submission) {
  return json{{"response_action", "errors"}, {"errors", submission.errors}};
}

ParameterAskPoster::ParameterAskPoster(boost::asio::any_io_executor ex, Store& store, slack::WebApi& web,
                                       SlackRunPresenter& presenter, const skills::SkillCatalog& catalog, Logger log)
    : ex_(std::move(ex)), store_(store), web_(web), presenter_(presenter), catalog_(catalog), log_(std::move(log)) {}

void ParameterAskPoster::on_progress(const RunRecord& run, const ProgressEvent& event) {
  if (event.kind != ProgressKind::Finished || run.channel.empty()) {
    return;
  }
  const auto now = store_.get_run(run.id);
  if (!now || now->result != RunResult::NeedsInput) {
    return;
  }
  spawn(ex_, post(run.id), log_, "parameter ask " + run.id);
}

Task<> ParameterAskPoster::post(std::string run_id) {
  // The root, the thread lines and the summary first, so the ask is the thread's last word.
  std::string flushed = run_id;
  co_await presenter_.flush_now(std::move(flushed));
  const auto run = store_.get_run(run_id);
  const auto need = find_parameter_need(store_, run_id);
  if (!run || !need || run->thread_ts.empty()) {
    log_->info("run={}: no thread to ask for parameters in", run_id);
    co_return;
  }
  const auto* skill = catalog_.find(need->skill);
  if (!skill) {
    co_return;
  }
  slack::OutgoingMessage m;
  m.channel = run->channel;
  m.thread_ts = run->thread_ts;
  m.text = need->sentence();
  m.blocks = parameter_ask_blocks(run_id, *need, *skill);
  auto posted = co_await web_.post_message(std::move(m));
  if (!posted) {
    log_->warn("run={}: the parameter ask was not posted: {}", run_id, posted.error().message());
  }
}

}  // namespace vigil

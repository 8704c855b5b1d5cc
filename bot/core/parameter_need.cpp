#include "bot/core/parameter_need.h"

#include "bot/store/store.h"

namespace vigil {

using nlohmann::json;

std::string ParameterNeed::sentence() const {
  if (!missing.empty()) {
    return skill + " needs " + skills::join_words(missing);
  }
  return skill + " needs valid parameters";
}

json ParameterNeed::to_json() const {
  return json{{"skill", skill},       {"found", found},           {"missing", missing},
              {"problems", problems}, {"candidates", candidates}, {"note", note}};
}

ParameterNeed ParameterNeed::from_json(const json& j) {
  ParameterNeed n;
  if (!j.is_object()) {
    return n;
  }
  const auto str = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  n.skill = str("skill");
  n.note = str("note");
  if (j.contains("found") && j["found"].is_object()) {
    for (const auto& [k, v] : j["found"].items()) {
      if (v.is_string()) {
        n.found[k] = v.get<std::string>();
      }
    }
  }
  for (const char* k : {"missing", "problems"}) {
    if (j.contains(k) && j[k].is_array()) {
      for (const auto& v : j[k]) {
        if (v.is_string()) {
          (std::string(k) == "missing" ? n.missing : n.problems).push_back(v.get<std::string>());
        }
      }
    }
  }
  if (j.contains("candidates") && j["candidates"].is_object()) {
    for (const auto& [k, list] : j["candidates"].items()) {
      if (!list.is_array()) {
        continue;
      }
      for (const auto& v : list) {
        if (v.is_string()) {
          n.candidates[k].push_back(v.get<std::string>());
        }
      }
    }
  }
  return n;
}

ParameterNeed parameter_need(const skills::Skill& skill, const skills::ParameterCheck& check,
                             const skills::TextParameters& from_text, const std::string& labels_note) {
  ParameterNeed n;
  n.skill = skill.id;
  n.found = check.values;
  n.missing = check.missing();
  for (const auto& p : check.problems) {
    n.problems.push_back(p.message);
  }
  for (const auto& [name, list] : from_text.ambiguous) {
    if (!n.found.count(name)) {
      n.candidates[name] = list;
    }
  }
  n.note = labels_note;
  return n;
}

std::optional<ParameterNeed> find_parameter_need(Store& store, const std::string& run_id) {
  for (const auto& e : store.list_events(run_id)) {
    if (e.kind == kNeedsInputEvent) {
      const auto j = json::parse(e.data, nullptr, false);
      if (!j.is_discarded()) {
        return ParameterNeed::from_json(j);
      }
    }
  }
  return std::nullopt;
}

namespace {

/// The trigger a run was started with, from its "trigger" timeline row; empty when it has none.
RunTrigger recorded_trigger(Store& store, const std::string& run_id) {
  for (const auto& e : store.list_events(run_id)) {
    if (e.kind == "trigger") {
      const auto j = json::parse(e.data, nullptr, false);
      if (!j.is_discarded()) {
        return RunTrigger::from_json(j);
      }
    }
  }
  return {};
}

}  // namespace

std::optional<ParameterRequest> waiting_for_parameters(Store& store, const skills::SkillCatalog& catalog,
                                                       const std::string& run_id) {
  if (run_id.empty() || run_id.size() > 64) {
    return std::nullopt;
  }
  auto run = store.get_run(run_id);
  if (!run || run->result != RunResult::NeedsInput) {
    return std::nullopt;
  }
  auto need = find_parameter_need(store, run_id);
  if (!need) {
    return std::nullopt;
  }
  const auto* skill = catalog.find(need->skill);
  if (!skill) {
    return std::nullopt;
  }
  auto trigger = recorded_trigger(store, run_id);
  return ParameterRequest{std::move(*run), std::move(*need), skill, std::move(trigger)};
}

}  // namespace vigil

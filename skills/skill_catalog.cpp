#include "skills/skill_catalog.h"

#include <algorithm>

#include "skills/free_text.h"
#include "skills/skill_regex.h"

namespace vigil::skills {

SkillCatalog::SkillCatalog(bool kubernetes_enabled) : kubernetes_enabled_(kubernetes_enabled) {}

SkillLoad SkillCatalog::load_dirs(const std::vector<std::string>& dirs) {
  SkillLoad total;
  for (const auto& dir : dirs) {
    auto load = SkillLoader::load_dir(dir);
    for (auto& e : load.errors) {
      total.errors.push_back(std::move(e));
    }
    for (auto& w : load.warnings) {
      total.warnings.push_back(std::move(w));
    }
    for (auto& s : load.skills) {
      const std::string file = s.file;
      const std::string id = s.id;
      if (!add(s)) {
        total.errors.push_back({file, 1, 1, "duplicate skill id '" + id + "' (also in " + find(id)->file + ")"});
        continue;
      }
      total.skills.push_back(std::move(s));
    }
  }
  return total;
}

bool SkillCatalog::add(Skill skill) {
  if (find(skill.id)) {
    return false;
  }
  skills_.push_back(std::make_unique<Skill>(std::move(skill)));
  return true;
}

const Skill* SkillCatalog::find(const std::string& id) const {
  for (const auto& s : skills_) {
    if (s->id == id) {
      return s.get();
    }
  }
  return nullptr;
}

std::vector<const Skill*> SkillCatalog::all() const {
  std::vector<const Skill*> out;
  for (const auto& s : skills_) {
    out.push_back(s.get());
  }
  std::sort(out.begin(), out.end(), [](const Skill* a, const Skill* b) { return a->id < b->id; });
  return out;
}

bool SkillCatalog::is_available(const Skill& skill) const {
  return !skill.requires_kubernetes || kubernetes_enabled_;
}

std::string SkillCatalog::availability(const Skill& skill) const {
  return is_available(skill) ? "available" : "unavailable (kubernetes.enabled is false)";
}

std::vector<SkillMatch> SkillCatalog::match(const Incident& incident) const {
  std::vector<SkillMatch> out;
  for (const auto& sp : skills_) {
    const Skill& s = *sp;
    const Triggers& t = s.triggers;
    if (t.empty() && !incident.alertname.empty()) {
      continue;
    }
    bool labels_ok = true;
    for (const auto& [k, v] : t.labels) {
      const auto it = incident.labels.find(k);
      if (it == incident.labels.end() || it->second != v) {
        labels_ok = false;
        break;
      }
    }
    if (!labels_ok) {
      continue;
    }
    SkillMatch m;
    m.skill = &s;
    std::vector<std::string> reasons;
    if (!incident.alertname.empty() &&
        std::find(t.alertnames.begin(), t.alertnames.end(), incident.alertname) != t.alertnames.end()) {
      m.score += 100;
      reasons.push_back("alertname " + incident.alertname);
    }
    for (const auto& pattern : t.text) {
      // A pattern that does not compile (the loader refuses those) or a match that gave up on a
      // long text counts as no match.
      const auto in_title = regex_search(pattern, incident.title, RegexLines::Whole, true);
      const auto in_text = regex_search(pattern, incident.text, RegexLines::Whole, true);
      if ((in_title && *in_title) || (in_text && *in_text)) {
        m.score += 10;
        reasons.push_back("text /" + pattern + "/");
      }
    }
    const bool only_labels = t.alertnames.empty() && t.text.empty() && !t.labels.empty();
    if (m.score == 0 && incident.alertname.empty()) {
      // Free text that no trigger fits: the skill's words, below any trigger match.
      const auto words = word_score(s, incident.text.empty() ? incident.title : incident.text);
      if (words.score >= kMinWordScore) {
        m.score = std::min(words.score, 9);
        std::string list;
        for (const auto& w : words.words) {
          list += (list.empty() ? "" : ", ") + w;
        }
        reasons.push_back("words: " + list);
      }
    }
    if (m.score == 0 && !only_labels) {
      continue;
    }
    m.score += static_cast<int>(t.labels.size());
    if (!t.labels.empty()) {
      reasons.push_back("labels");
    }
    for (const auto& r : reasons) {
      m.reason += (m.reason.empty() ? "" : ", ") + r;
    }
    m.available = is_available(s);
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const SkillMatch& a, const SkillMatch& b) {
    if (a.available != b.available) {
      return a.available;
    }
    if (a.score != b.score) {
      return a.score > b.score;
    }
    return a.skill->id < b.skill->id;
  });
  return out;
}

}  // namespace vigil::skills

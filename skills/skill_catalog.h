#pragma once

#include <memory>
#include <string>
#include <vector>

#include "skills/incident.h"
#include "skills/skill.h"
#include "skills/skill_loader.h"

namespace vigil::skills {

struct SkillMatch {
  const Skill* skill = nullptr;
  int score = 0;       // alert name 100, text 10 per pattern, labels 1 per label, words 3..9
  std::string reason;  // "alertname KubePodCrashLooping", "text /CrashLoopBackOff/"
  bool available = true;
};

/// The loaded skills, by id, and which of them an incident calls for.
class SkillCatalog {
 public:
  explicit SkillCatalog(bool kubernetes_enabled);

  /// Loads every directory; problems are returned (a skill with errors is left out). A skill id
  /// defined twice is an error and the first one is kept.
  SkillLoad load_dirs(const std::vector<std::string>& dirs);
  /// Adds one skill; false when the id is taken.
  bool add(Skill skill);

  const Skill* find(const std::string& id) const;
  std::vector<const Skill*> all() const;
  std::size_t size() const { return skills_.size(); }

  bool is_available(const Skill& skill) const;
  /// "available", or "unavailable (kubernetes.enabled is false)".
  std::string availability(const Skill& skill) const;

  /// Skills whose triggers fit the incident, best first, available ones before unavailable ones.
  /// A skill matches on its alert name or a text pattern (title and text, case-insensitive), or on
  /// its labels alone when it has no other trigger; when it names labels, all must be equal. Free
  /// text (an incident without an alert name) that no trigger fits may match by its words
  /// (word_score, at least kMinWordScore), scored below every trigger match.
  std::vector<SkillMatch> match(const Incident& incident) const;

 private:
  bool kubernetes_enabled_;
  std::vector<std::unique_ptr<Skill>> skills_;
};

}  // namespace vigil::skills

#pragma once

#include <map>
#include <string>

namespace vigil::skills {

/// What a skill may know about the incident it runs for: trigger matching and
/// `{{ incident.x }}` / `from_incident` read it. Every value is untrusted text.
struct Incident {
  std::string id;
  std::string title;
  std::string text;  // the alert or message body
  std::string alertname;
  std::string severity;
  std::string source;
  std::string fingerprint;
  std::map<std::string, std::string> labels;
  /// When the alert's labels could not all be read (a message that named label values without
  /// their names, or several alerts whose values differ): why, and how to fix it. Shown in the
  /// run's thread when a parameter that would come from the labels is missing. Vigil's own text.
  std::string labels_note;

  /// Flat view for templates: "title", "alertname", …, "labels.<key>".
  std::map<std::string, std::string> values() const {
    std::map<std::string, std::string> v{{"id", id},
                                         {"title", title},
                                         {"alertname", alertname},
                                         {"severity", severity},
                                         {"source", source},
                                         {"fingerprint", fingerprint}};
    for (const auto& [k, val] : labels) {
      v["labels." + k] = val;
    }
    for (auto it = v.begin(); it != v.end();) {
      it = it->second.empty() ? v.erase(it) : std::next(it);
    }
    return v;
  }
};

}  // namespace vigil::skills

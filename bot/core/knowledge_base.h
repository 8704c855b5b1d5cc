#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "skills/incident.h"

namespace vigil {

/// Markdown runbooks and notes from the configured directories. The most relevant ones for an
/// incident (by alert name, label values and title words) go into an agent's context, and the
/// runbook backend links them in its summary.
class KnowledgeBase {
 public:
  struct Document {
    std::string name;  // file name
    std::filesystem::path path;
    std::string title;  // first markdown heading, or the file name
    std::string text;   // capped
  };
  struct Match {
    const Document* doc = nullptr;
    int score = 0;
  };

  static constexpr std::size_t kMaxDocumentBytes = 64 * 1024;
  static constexpr std::size_t kMaxDocuments = 500;

  /// Loads *.md from each directory (not following symlinks); unreadable entries are skipped.
  void load(const std::vector<std::string>& dirs);
  std::size_t size() const { return docs_.size(); }

  /// Best first; only documents that mention something about the incident.
  std::vector<Match> relevant(const skills::Incident& incident, std::size_t limit) const;

 private:
  std::vector<Document> docs_;
};

}  // namespace vigil

#include "bot/core/knowledge_base.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace vigil {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int count(const std::string& haystack, const std::string& needle) {
  if (needle.size() < 3) {
    return 0;
  }
  int n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

std::vector<std::string> words(const std::string& text) {
  static const std::set<std::string> kStop = {"the", "and", "for", "with", "from", "this",  "that", "are",
                                              "was", "has", "not", "high", "low",  "alert", "error"};
  std::vector<std::string> out;
  std::string w;
  for (char c : lower(text) + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      w += c;
    } else {
      if (w.size() >= 4 && !kStop.count(w)) {
        out.push_back(w);
      }
      w.clear();
    }
  }
  return out;
}

}  // namespace

void KnowledgeBase::load(const std::vector<std::string>& dirs) {
  namespace fs = std::filesystem;
  for (const auto& d : dirs) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(d, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      std::error_code sec;
      const auto st = it->symlink_status(sec);
      if (!sec && fs::is_regular_file(st) && it->path().extension() == ".md") {
        files.push_back(it->path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (docs_.size() >= kMaxDocuments) {
        return;
      }
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        continue;
      }
      std::string text(kMaxDocumentBytes, '\0');
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<std::size_t>(in.gcount()));
      Document doc;
      doc.name = f.filename().string();
      doc.path = f;
      doc.title = doc.name;
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.rfind("# ", 0) == 0) {
          doc.title = line.substr(2);
          break;
        }
      }
      doc.text = std::move(text);
      docs_.push_back(std::move(doc));
    }
  }
}

std::vector<KnowledgeBase::Match> KnowledgeBase::relevant(const skills::Incident& incident, std::size_t limit) const {
  std::vector<Match> out;
  const auto alertname = lower(incident.alertname);
  for (const auto& doc : docs_) {
    const auto hay = lower(doc.name + "\n" + doc.text);
    int score = 0;
    if (!alertname.empty()) {
      score += 10 * std::min(count(hay, alertname), 5);
    }
    for (const auto& [k, v] : incident.labels) {
      if (k == "alertname" || k == "severity" || k == "prometheus" || k == "job") {
        continue;
      }
      score += 3 * std::min(count(hay, lower(v)), 3);
    }
    for (const auto& w : words(incident.title)) {
      score += std::min(count(hay, w), 2);
    }
    if (score > 0) {
      out.push_back({&doc, score});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Match& a, const Match& b) { return a.score > b.score; });
  if (out.size() > limit) {
    out.resize(limit);
  }
  return out;
}

}  // namespace vigil

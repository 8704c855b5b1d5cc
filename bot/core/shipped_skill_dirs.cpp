// The folders where the skills shipped with Vigil may be. The only source compiled with the
// checkout's path (VIGIL_SOURCE_DIR, set on this file alone in CMakeLists.txt), so that a build in
// another checkout reuses every other object from ccache.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "bot/core/config.h"

namespace vigil {

std::vector<std::string> shipped_skill_dirs() {
  std::vector<std::string> out;
  std::error_code ec;
  const auto binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto prefix = binary.parent_path().parent_path();
    out.push_back((prefix / "skills" / "runbooks").string());  // a checkout: build/vigil
    out.push_back((prefix / "share" / "vigil" / "skills").string());
  }
  out.emplace_back("/usr/share/vigil/skills");
#ifdef VIGIL_SOURCE_DIR
  out.emplace_back(VIGIL_SOURCE_DIR "/skills/runbooks");
#endif
  std::vector<std::string> unique;
  for (auto& dir : out) {
    if (std::find(unique.begin(), unique.end(), dir) == unique.end()) {
      unique.push_back(std::move(dir));
    }
  }
  return unique;
}

}  // namespace vigil

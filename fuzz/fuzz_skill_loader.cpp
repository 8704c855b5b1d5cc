// Skill YAML as SkillLoader::load_file reads it (load_text on the file's bytes): every
// diagnostic rendered as the CLI prints it.

#include <string>

#include "fuzz/fuzz_support.h"
#include "skills/skill_loader.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto load = skills::SkillLoader::load_text(std::string(fuzz::as_text(data, size)), "fuzz.yaml");
  for (const auto& d : load.errors) {
    (void)d.to_string();
  }
  for (const auto& d : load.warnings) {
    (void)d.to_string();
  }
  return 0;
}

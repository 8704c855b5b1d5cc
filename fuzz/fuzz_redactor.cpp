// The redactor runs over everything Vigil posts, logs, stores or gives an agent: alert text, tool
// and agent output, all untrusted. On any input it must return (never throw: a matcher that gives
// up fails closed), and never let a configured secret through.

#include <cstdlib>
#include <string>

#include "bot/base/redactor.h"
#include "fuzz/fuzz_support.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Redactor redactor = [] {
    Redactor r;
    r.add_secret("fuzz-configured-secret-value");
    (void)r.add_pattern(R"(internal-[0-9]{4,})");
    return r;
  }();
  const std::string text(fuzz::as_text(data, size));
  const auto out = redactor.redact(text);
  if (out.find("fuzz-configured-secret-value") != std::string::npos) {
    std::abort();  // a configured secret survived
  }
  // The secret between pieces of the input: what sits next to it is what could hide it, so the
  // input's first and last 256 bytes are enough (the whole input twice over made every run three
  // times as long as the input alone).
  constexpr std::size_t kSide = 256;
  const std::string before = text.substr(0, kSide);
  const std::string after = text.size() > kSide ? text.substr(text.size() - kSide) : text;
  if (redactor.redact(after + "fuzz-configured-secret-value" + before).find("fuzz-configured-secret-value") !=
      std::string::npos) {
    std::abort();
  }
  return 0;
}

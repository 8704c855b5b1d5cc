// Event normalisation: an envelope's payload (JSON, as parse_frame keeps it) of each envelope type
// through normalize() and describe(), the way SocketModeClient hands inputs to the handlers.
// Byte 0 picks the envelope type; the rest is the payload.

#include "bot/base/untrusted_json.h"
#include "fuzz/fuzz_support.h"
#include "integrations/slack/events.h"

using namespace vigil::slack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  Envelope e;
  e.envelope_id = "fuzz-envelope";
  e.type = static_cast<EnvelopeType>(data[0] % 3);
  e.payload = vigil::parse_untrusted_json(vigil::fuzz::as_text(data + 1, size - 1));
  if (e.payload.is_discarded() || !e.payload.is_object()) {
    return 0;  // parse_frame turns these into BadFrame before normalisation
  }
  const auto normalized = normalize(e, SelfIdentity{"U0BOTUSER1", "B0BOTUSER1"});
  if (const auto* in = std::get_if<InboundEvent>(&normalized)) {
    (void)describe(*in);
  }
  return 0;
}

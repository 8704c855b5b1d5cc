// Socket Mode frames as SocketModeClient::handle_frame takes them: parse_frame, then for an
// envelope the ack, the dedup key and the normalised input; for a disconnect what to do about it.

#include <string>

#include "fuzz/fuzz_support.h"
#include "integrations/slack/events.h"
#include "integrations/slack/socket_mode.h"

using namespace vigil::slack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto frame = parse_frame(vigil::fuzz::as_text(data, size));
  if (const auto* e = std::get_if<Envelope>(&frame)) {
    const auto ack = make_ack(e->envelope_id);
    std::string kind;
    const auto key = dedup_key(*e, &kind);
    const auto normalized = normalize(*e, SelfIdentity{"U0BOTUSER1", "B0BOTUSER1"});
    if (const auto* in = std::get_if<InboundEvent>(&normalized)) {
      (void)describe(*in);
    }
  } else if (const auto* d = std::get_if<Disconnect>(&frame)) {
    (void)classify(d->reason);
    (void)to_string(d->reason);
  }
  return 0;
}

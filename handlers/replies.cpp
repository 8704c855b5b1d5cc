#include "handlers/replies.h"

#include "integrations/slack/blocks.h"
#include "integrations/slack/web_api.h"

namespace vigil::handlers {

Task<> reply_privately(slack::WebApi& web, const Logger& log, const std::string& response_url,
                       const std::string& channel, const std::string& user, const std::string& text) {
  const auto built = slack::blocks::text(text);
  if (!response_url.empty()) {
    slack::ResponseMessage m;
    m.text = built.text;
    m.blocks = built.blocks;
    std::string url = response_url;
    auto r = co_await web.respond(std::move(url), std::move(m));
    if (r) {
      co_return;
    }
    log->info("user={} channel={}: response_url failed ({}); trying chat.postEphemeral", user, channel,
              r.error().message());
  }
  if (channel.empty() || user.empty()) {
    co_return;
  }
  slack::OutgoingMessage m;
  m.channel = channel;
  m.text = built.text;
  m.blocks = built.blocks;
  std::string to = user;
  auto r = co_await web.post_ephemeral(std::move(to), std::move(m));
  if (!r) {
    log->warn("channel={}: ephemeral reply failed: {}", channel, r.error().message());
  }
}

}  // namespace vigil::handlers

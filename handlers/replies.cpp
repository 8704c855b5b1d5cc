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

Task<> post_document(slack::WebApi& web, const Logger& log, const std::string& response_url, const std::string& channel,
                     const std::string& thread_ts, const slack::blocks::Message& document) {
  slack::OutgoingMessage m;
  m.channel = channel;
  if (!thread_ts.empty()) {
    m.thread_ts = thread_ts;
  }
  m.text = document.text;
  m.blocks = document.blocks;
  auto posted = co_await web.post_message(std::move(m));
  if (posted) {
    co_return;
  }
  log->info("channel={}: could not post the document ({}); answering privately", channel, posted.error().message());
  if (response_url.empty()) {
    co_return;
  }
  slack::ResponseMessage r;
  r.text = document.text;
  r.blocks = document.blocks;
  std::string url = response_url;
  auto sent = co_await web.respond(std::move(url), std::move(r));
  if (!sent) {
    log->warn("channel={}: private document reply failed: {}", channel, sent.error().message());
  }
}

}  // namespace vigil::handlers

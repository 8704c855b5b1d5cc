#include "integrations/slack/web_api.h"

namespace vigil::slack {

Task<Result<void>> upload_file(WebApi& web, std::string filename, std::string content, FileShare share) {
  const std::size_t length = content.size();
  auto ticket = co_await web.get_upload_url(std::move(filename), length);
  if (!ticket) {
    co_return ticket.error();
  }
  std::string url = ticket->upload_url;
  auto sent = co_await web.upload_bytes(std::move(url), std::move(content));
  if (!sent) {
    co_return sent.error();
  }
  share.file_id = ticket->file_id;
  auto shared = co_await web.complete_upload(std::move(share));
  if (!shared) {
    co_return shared.error();
  }
  Result<void> done;
  co_return done;
}

}  // namespace vigil::slack

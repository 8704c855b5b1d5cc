#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/base/error.h"
#include "bot/base/task.h"

namespace vigil::slack {

/// Where a message lives.
struct MessageRef {
  std::string channel;
  std::string ts;
};

/// A message to post: fallback text plus blocks (blocks are built only by blocks.cpp).
struct OutgoingMessage {
  std::string channel;
  std::optional<std::string> thread_ts;
  std::string text;       // notification / accessibility fallback
  nlohmann::json blocks;  // array, or null for text only
  bool reply_broadcast = false;
};

struct AuthInfo {
  std::string user_id;  // the bot user (U…)
  std::string bot_id;   // B…
  std::string team_id;
  std::string user;  // bot user name
};

struct ChannelInfo {
  std::string id;
  std::string name;
  bool is_private = false;
  bool is_member = false;
  bool is_archived = false;
};

struct UserInfo {
  std::string id;
  std::string name;
  std::string real_name;
  std::string email;
  std::string tz;
  bool is_bot = false;
  bool deleted = false;
};

/// A message as conversations.history and conversations.replies list it.
struct ListedMessage {
  std::string ts;
  std::string thread_ts;
  std::string text;
  std::string user;
  std::string bot_id;  // set when a bot (Vigil too) posted it
  std::vector<std::string> block_ids;
};

/// The Slack ts (`oldest` of recent_messages) a minute before `unix_seconds`: Slack's clock and
/// ours need not agree to the second.
inline std::string ts_a_minute_before(long long unix_seconds) {
  return std::to_string(unix_seconds > 60 ? unix_seconds - 60 : 0) + ".000000";
}

/// files.getUploadURLExternal's answer: where to POST the bytes, and the file's id.
struct UploadTicket {
  std::string upload_url;
  std::string file_id;
};

/// A file to share (files.completeUploadExternal): in `channel`, as a reply in `thread_ts` when set.
struct FileShare {
  std::string file_id;
  std::string title;
  std::string channel;
  std::string thread_ts;
  std::string initial_comment;  // the message introducing the file (mrkdwn)
};

/// What to send to a response_url (slash commands and clicks).
struct ResponseMessage {
  std::string text;
  nlohmann::json blocks;
  bool in_channel = false;  // response_type in_channel instead of ephemeral
  bool replace_original = false;
  bool delete_original = false;
  std::optional<std::string> thread_ts;
};

/// The Slack Web API methods Vigil uses. Every failure is a value: Errc::SlackApi with Slack's
/// error string as detail (channel_not_found, invalid_auth, msg_too_long, …), Errc::RateLimited
/// when 429 retries ran out, Errc::Timeout / Errc::Unavailable from the network.
class WebApi {
 public:
  virtual ~WebApi() = default;
  virtual Task<Result<AuthInfo>> auth_test() = 0;
  /// apps.connections.open with the app-level token: a fresh websocket URL per connection.
  virtual Task<Result<std::string>> open_socket_url() = 0;
  virtual Task<Result<MessageRef>> post_message(OutgoingMessage m) = 0;
  virtual Task<Result<void>> update_message(MessageRef where, OutgoingMessage m) = 0;
  /// Returns the ephemeral message_ts.
  virtual Task<Result<std::string>> post_ephemeral(std::string user, OutgoingMessage m) = 0;
  virtual Task<Result<void>> delete_message(MessageRef where) = 0;
  virtual Task<Result<void>> add_reaction(MessageRef where, std::string name) = 0;
  /// Returns the view id.
  virtual Task<Result<std::string>> views_open(std::string trigger_id, nlohmann::json view) = 0;
  virtual Task<Result<void>> views_update(std::string view_id, nlohmann::json view, std::string hash) = 0;
  virtual Task<Result<ChannelInfo>> conversations_info(std::string channel) = 0;
  virtual Task<Result<ChannelInfo>> conversations_create(std::string name, bool is_private) = 0;
  virtual Task<Result<void>> conversations_invite(std::string channel, std::vector<std::string> users) = 0;
  /// The latest messages of a channel (conversations.history), or of a thread when `thread_ts` is
  /// given (conversations.replies: the parent and its replies), posted at or after `oldest` (a Slack
  /// ts; empty: any), at most `limit` (Slack's page size).
  virtual Task<Result<std::vector<ListedMessage>>> recent_messages(std::string channel, std::string thread_ts,
                                                                   std::string oldest, int limit) = 0;
  virtual Task<Result<UserInfo>> users_info(std::string user) = 0;
  virtual Task<Result<std::vector<std::string>>> usergroup_users(std::string usergroup) = 0;
  virtual Task<Result<UserInfo>> lookup_user_by_email(std::string email) = 0;
  /// Slack's upload flow, in three calls (files.upload is retired): get_upload_url
  /// (files.getUploadURLExternal: the name and the exact length in bytes), upload_bytes (a POST of
  /// the raw bytes to the returned URL, without the bot token: the URL carries its own grant), then
  /// complete_upload (files.completeUploadExternal), which shares the file. Needs files:write.
  virtual Task<Result<UploadTicket>> get_upload_url(std::string filename, std::size_t length) = 0;
  virtual Task<Result<void>> upload_bytes(std::string upload_url, std::string bytes) = 0;
  virtual Task<Result<void>> complete_upload(FileShare share) = 0;
  /// POST to a response_url (≤5 uses within 30 minutes, Slack's rule).
  virtual Task<Result<void>> respond(std::string response_url, ResponseMessage m) = 0;
};

/// The three upload calls in order: `content` becomes file `filename` shared as `share` says
/// (its file_id is filled in here).
Task<Result<void>> upload_file(WebApi& web, std::string filename, std::string content, FileShare share);

}  // namespace vigil::slack

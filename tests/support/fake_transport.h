#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "integrations/slack/transport.h"
#include "integrations/slack/web_api.h"

namespace vigil::test {

/// The test's side of a scripted websocket: frames pushed in, the client's writes recorded. Kept
/// alive by the transport, so a test can look at a connection the client already dropped.
class FakeSocket {
 public:
  explicit FakeSocket(boost::asio::any_io_executor ex) : wake(ex) {}
  void push(std::string frame);
  void drop();  // the peer goes away
  /// Writes fail from now on while reads still return what was pushed (a reset seen on write).
  bool fail_writes = false;
  const std::vector<std::string>& writes() const { return written; }
  bool closed() const { return is_closed; }

  boost::asio::steady_timer wake;
  std::deque<std::string> frames;
  std::vector<std::string> written;
  bool is_closed = false;
};

/// The client's side: a Connection over a FakeSocket.
class FakeConnection final : public slack::Connection {
 public:
  explicit FakeConnection(std::shared_ptr<FakeSocket> socket) : socket_(std::move(socket)) {}
  Task<Result<std::string>> read() override;
  Task<Result<void>> write(std::string text) override;
  Task<> close() override;
  void abort() override;

 private:
  std::shared_ptr<FakeSocket> socket_;
};

/// Hands out FakeConnections (each starts with a hello) and keeps them for the test.
class FakeTransport final : public slack::Transport {
 public:
  explicit FakeTransport(boost::asio::any_io_executor ex) : ex_(ex) {}
  Task<Result<std::unique_ptr<slack::Connection>>> connect(std::string url) override;
  std::vector<std::shared_ptr<FakeSocket>> connections;
  std::vector<std::string> urls;
  /// Frames for the next connections, in order, instead of the usual hello.
  std::deque<std::vector<std::string>> scripts;

 private:
  boost::asio::any_io_executor ex_;
};

/// A WebApi whose apps.connections.open hands out numbered fake URLs; every other method fails.
class FakeWebApi final : public slack::WebApi {
 public:
  int socket_urls = 0;
  Task<Result<slack::AuthInfo>> auth_test() override {
    slack::AuthInfo auth{"U0VIGIL", "B0VIGIL", "T1", "vigil"};
    co_return auth;
  }
  Task<Result<std::string>> open_socket_url() override {
    std::string url = "wss://fake/link/?ticket=" + std::to_string(++socket_urls);
    co_return url;
  }
  Task<Result<slack::MessageRef>> post_message(slack::OutgoingMessage) override { co_return unsupported(); }
  Task<Result<void>> update_message(slack::MessageRef, slack::OutgoingMessage) override { co_return unsupported(); }
  Task<Result<std::string>> post_ephemeral(std::string, slack::OutgoingMessage) override { co_return unsupported(); }
  Task<Result<void>> delete_message(slack::MessageRef) override { co_return unsupported(); }
  Task<Result<void>> add_reaction(slack::MessageRef, std::string) override { co_return unsupported(); }
  Task<Result<std::string>> views_open(std::string, nlohmann::json) override { co_return unsupported(); }
  Task<Result<void>> views_update(std::string, nlohmann::json, std::string) override { co_return unsupported(); }
  Task<Result<slack::ChannelInfo>> conversations_info(std::string) override { co_return unsupported(); }
  Task<Result<slack::ChannelInfo>> conversations_create(std::string, bool) override { co_return unsupported(); }
  Task<Result<void>> conversations_invite(std::string, std::vector<std::string>) override { co_return unsupported(); }
  Task<Result<std::vector<slack::ListedMessage>>> recent_messages(std::string, std::string, std::string, int) override {
    co_return unsupported();
  }
  Task<Result<slack::UserInfo>> users_info(std::string) override { co_return unsupported(); }
  Task<Result<std::vector<std::string>>> usergroup_users(std::string) override { co_return unsupported(); }
  Task<Result<slack::UserInfo>> lookup_user_by_email(std::string) override { co_return unsupported(); }
  Task<Result<slack::UploadTicket>> get_upload_url(std::string, std::size_t) override { co_return unsupported(); }
  Task<Result<void>> upload_bytes(std::string, std::string) override { co_return unsupported(); }
  Task<Result<void>> complete_upload(slack::FileShare) override { co_return unsupported(); }
  Task<Result<void>> respond(std::string, slack::ResponseMessage) override { co_return unsupported(); }

 private:
  static Error unsupported() { return Error(Errc::Unavailable, "not in this fake"); }
};

}  // namespace vigil::test

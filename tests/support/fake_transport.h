#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "integrations/slack/transport.h"
#include "integrations/slack/web_api.h"

namespace vigil::test {

/// A scripted websocket: the test pushes frames in, the client's writes are recorded.
class FakeConnection final : public slack::Connection {
 public:
  explicit FakeConnection(boost::asio::any_io_executor ex) : wake_(ex) {}
  void push(std::string frame);
  void drop();  // the peer goes away
  const std::vector<std::string>& writes() const { return writes_; }
  bool closed() const { return closed_; }

  Task<Result<std::string>> read() override;
  Task<Result<void>> write(std::string text) override;
  Task<> close() override;
  void abort() override;

 private:
  boost::asio::steady_timer wake_;
  std::deque<std::string> frames_;
  std::vector<std::string> writes_;
  bool closed_ = false;
};

/// Hands out FakeConnections (each starts with a hello) and keeps them for the test.
class FakeTransport final : public slack::Transport {
 public:
  explicit FakeTransport(boost::asio::any_io_executor ex) : ex_(ex) {}
  Task<Result<std::unique_ptr<slack::Connection>>> connect(std::string url) override;
  std::vector<FakeConnection*> connections;
  std::vector<std::string> urls;

 private:
  boost::asio::any_io_executor ex_;
};

/// A WebApi whose apps.connections.open hands out numbered fake URLs; every other method fails.
class FakeWebApi final : public slack::WebApi {
 public:
  int socket_urls = 0;
  Task<Result<slack::AuthInfo>> auth_test() override { co_return slack::AuthInfo{"U0VIGIL", "B0VIGIL", "T1", "vigil"}; }
  Task<Result<std::string>> open_socket_url() override {
    co_return "wss://fake/link/?ticket=" + std::to_string(++socket_urls);
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
  Task<Result<slack::UserInfo>> users_info(std::string) override { co_return unsupported(); }
  Task<Result<std::vector<std::string>>> usergroup_users(std::string) override { co_return unsupported(); }
  Task<Result<slack::UserInfo>> lookup_user_by_email(std::string) override { co_return unsupported(); }
  Task<Result<void>> respond(std::string, slack::ResponseMessage) override { co_return unsupported(); }

 private:
  static Error unsupported() { return Error(Errc::Unavailable, "not in this fake"); }
};

}  // namespace vigil::test

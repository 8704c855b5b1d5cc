#include "tests/support/fake_transport.h"

namespace vigil::test {

void FakeSocket::push(std::string frame) {
  frames.push_back(std::move(frame));
  wake.cancel();
}

void FakeSocket::drop() {
  is_closed = true;
  wake.cancel();
}

Task<Result<std::string>> FakeConnection::read() {
  auto s = socket_;
  while (s->frames.empty() && !s->is_closed) {
    s->wake.expires_at(boost::asio::steady_timer::time_point::max());
    co_await s->wake.async_wait(kToken);
  }
  if (s->is_closed) {
    co_return Error(Errc::Closed, "fake closed");
  }
  auto f = std::move(s->frames.front());
  s->frames.pop_front();
  co_return f;
}

Task<Result<void>> FakeConnection::write(std::string text) {
  if (socket_->is_closed || socket_->fail_writes) {
    co_return Error(Errc::Closed, "fake closed");
  }
  socket_->written.push_back(std::move(text));
  Result<void> done;
  co_return done;
}

Task<> FakeConnection::close() {
  abort();
  co_return;
}

void FakeConnection::abort() {
  socket_->drop();
}

Task<Result<std::unique_ptr<slack::Connection>>> FakeTransport::connect(std::string url) {
  urls.push_back(url);
  auto socket = std::make_shared<FakeSocket>(ex_);
  if (!scripts.empty()) {
    for (auto& f : scripts.front()) {
      socket->push(f);
    }
    scripts.pop_front();
  } else {
    socket->push(R"({"type":"hello","num_connections":1})");
  }
  connections.push_back(socket);
  co_return std::unique_ptr<slack::Connection>(std::make_unique<FakeConnection>(socket));
}

}  // namespace vigil::test

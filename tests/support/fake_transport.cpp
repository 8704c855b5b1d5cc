#include "tests/support/fake_transport.h"

namespace vigil::test {

void FakeConnection::push(std::string frame) {
  frames_.push_back(std::move(frame));
  wake_.cancel();
}

void FakeConnection::drop() { abort(); }

Task<Result<std::string>> FakeConnection::read() {
  while (frames_.empty() && !closed_) {
    wake_.expires_at(boost::asio::steady_timer::time_point::max());
    co_await wake_.async_wait(kToken);
  }
  if (closed_) {
    co_return Error(Errc::Closed, "fake closed");
  }
  auto f = std::move(frames_.front());
  frames_.pop_front();
  co_return f;
}

Task<Result<void>> FakeConnection::write(std::string text) {
  if (closed_) {
    co_return Error(Errc::Closed, "fake closed");
  }
  writes_.push_back(std::move(text));
  co_return Result<void>{};
}

Task<> FakeConnection::close() {
  abort();
  co_return;
}

void FakeConnection::abort() {
  closed_ = true;
  wake_.cancel();
}

Task<Result<std::unique_ptr<slack::Connection>>> FakeTransport::connect(std::string url) {
  urls.push_back(url);
  auto c = std::make_unique<FakeConnection>(ex_);
  c->push(R"({"type":"hello","num_connections":1})");
  connections.push_back(c.get());
  co_return std::unique_ptr<slack::Connection>(std::move(c));
}

}  // namespace vigil::test

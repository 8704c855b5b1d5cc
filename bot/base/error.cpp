#include "bot/base/error.h"

#include <stdexcept>

namespace vigil {
namespace {

class VigilCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "vigil"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::SlackApi:
        return "Slack API error";
      case Errc::RateLimited:
        return "rate limited";
      case Errc::Timeout:
        return "timed out";
      case Errc::Protocol:
        return "protocol error";
      case Errc::Closed:
        return "connection closed";
      case Errc::AgentFailed:
        return "agent failed";
      case Errc::NotFound:
        return "not found";
      case Errc::Forbidden:
        return "forbidden";
      case Errc::Expired:
        return "expired";
      case Errc::Conflict:
        return "conflict";
      case Errc::InvalidConfig:
        return "invalid configuration";
      case Errc::InvalidInput:
        return "invalid input";
      case Errc::Io:
        return "I/O error";
      case Errc::Cancelled:
        return "cancelled";
      case Errc::Unavailable:
        return "unavailable";
    }
    return "unknown error";
  }
};

}  // namespace

const boost::system::error_category& vigil_category() noexcept {
  static const VigilCategory category;
  return category;
}

boost::system::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), vigil_category()};
}

std::string Error::message() const {
  if (detail.empty()) {
    return code.message();
  }
  return code.message() + ": " + detail;
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(e.message());
}

}  // namespace vigil

#pragma once

#include <string>
#include <system_error>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace vigil {

/// What went wrong, in the words the core needs to decide what to do next.
enum class Errc {
  SlackApi = 1,  // Slack answered ok:false; detail holds Slack's error string
  RateLimited,   // retries for a 429 exhausted
  Timeout,
  Protocol,  // a peer sent something we cannot use
  Closed,    // connection closed
  AgentFailed,
  NotFound,
  Forbidden,
  Expired,
  Conflict,  // a conditional update lost
  InvalidConfig,
  InvalidInput,  // untrusted input rejected
  Io,            // file system / process failure
  Cancelled,
  Unavailable,
};

}  // namespace vigil

namespace boost::system {
template <>
struct is_error_code_enum<vigil::Errc> : std::true_type {};
}  // namespace boost::system

namespace vigil {

const boost::system::error_category& vigil_category() noexcept;
boost::system::error_code make_error_code(Errc e) noexcept;

/// An error as a value: a code to branch on and a detail for people and logs.
struct Error {
  boost::system::error_code code;
  std::string detail;

  Error() = default;
  Error(Errc e, std::string d = {}) : code(make_error_code(e)), detail(std::move(d)) {}
  Error(boost::system::error_code c, std::string d = {}) : code(c), detail(std::move(d)) {}

  bool is(Errc e) const noexcept { return code == make_error_code(e); }
  /// "what: detail" for messages.
  std::string message() const;
};

/// Throws (only reached through Result::value() on an error; a bug at the call site).
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T = void>
using Result = boost::system::result<T, Error>;

inline Error make_error(Errc e, std::string detail = {}) {
  return Error(e, std::move(detail));
}

}  // namespace vigil

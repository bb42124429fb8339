// Error and Result<T>: the one small set of status codes every layer speaks (Abseil-style).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace gangplank {

// Codes carry retry meaning; the API layer maps them to HTTP status and ARM error codes in one
// place.
enum class StatusCode {
  kInvalidArgument,     // the caller's input is wrong; do not retry unchanged
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // creating something that is already there
  kFailedPrecondition,  // the system is not in a state that allows this; fix the state first
  kPermissionDenied,    // authenticated but not allowed
  kUnauthenticated,     // no or bad credentials
  kAborted,             // conflict with a concurrent change; retry later
  kUnavailable,         // transient; retry with backoff
  kInternal,            // a bug or an environment failure; not the caller's fault
};

std::string_view StatusCodeName(StatusCode code);

// False for the codes that say the same attempt will fail again (the input, the state of the
// system or a permission must change first); true where waiting and trying again may succeed.
constexpr bool WaitingMayHelp(StatusCode code) {
  return code != StatusCode::kInvalidArgument && code != StatusCode::kFailedPrecondition &&
         code != StatusCode::kPermissionDenied;
}

// `reason` is a stable machine-readable name (for example "KeyTooShort"); `message` is for people
// and says what is wrong and how to fix it. Neither ever contains secret material.
struct Error {
  StatusCode code = StatusCode::kInternal;
  std::string reason;
  std::string message;

  // "reason: message", for logs and one-line CLI errors.
  std::string ToString() const;
};

inline Error MakeError(StatusCode code, std::string reason, std::string message) {
  return Error{code, std::move(reason), std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  const Error& error() const {
    assert(!ok());
    return std::get<Error>(state_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

}  // namespace gangplank

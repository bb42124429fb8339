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
  kConditionNotMet,     // the caller's precondition (If-Match, If-None-Match) does not hold
  kUnavailable,         // transient; retry with backoff
  kInternal,            // a bug or an environment failure; not the caller's fault
};

std::string_view StatusCodeName(StatusCode code);

// False for the codes that say the same attempt will fail again (the input, the state of the
// system or a permission must change first); true where waiting and trying again may succeed.
constexpr bool WaitingMayHelp(StatusCode code) {
  return code != StatusCode::kInvalidArgument && code != StatusCode::kFailedPrecondition &&
         code != StatusCode::kPermissionDenied && code != StatusCode::kConditionNotMet;
}

// `reason` is a stable machine-readable name (for example "KeyTooShort"); `message` is for people
// and says what is wrong and how to fix it; `target`, when set, names the input at fault as ARM's
// error.target does ("properties.agentPoolProfiles[0].count"). None ever contains secret material.
struct Error {
  StatusCode code = StatusCode::kInternal;
  std::string reason;
  std::string message;
  std::string target;

  // "reason: message", for logs and one-line CLI errors.
  std::string ToString() const;
};

inline Error MakeError(StatusCode code, std::string reason, std::string message,
                       std::string target = {}) {
  return Error{code, std::move(reason), std::move(message), std::move(target)};
}

// The caller's input is wrong: ARM's 400 with `reason` (InvalidParameter, QuotaExceeded, …) and
// the input's path as `target`.
inline Error InvalidInput(std::string reason, std::string message, std::string target) {
  return MakeError(StatusCode::kInvalidArgument, std::move(reason), std::move(message),
                   std::move(target));
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

// Early returns without the boilerplate (Abseil's RETURN_IF_ERROR and ASSIGN_OR_RETURN): the
// enclosing function returns a Result or Status, and gets the error as it is.
#define GP_RETURN_IF_ERROR(expr)                                 \
  do {                                                           \
    if (auto gp_status_ = (expr); !gp_status_) return gp_status_.error(); \
  } while (false)

#define GP_CONCAT_INNER(a, b) a##b
#define GP_CONCAT(a, b) GP_CONCAT_INNER(a, b)
#define GP_ASSIGN_OR_RETURN(lhs, expr) \
  GP_ASSIGN_OR_RETURN_IMPL(GP_CONCAT(gp_result_, __LINE__), lhs, expr)
#define GP_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                             \
  if (!result) return result.error();               \
  lhs = std::move(result).value()

}  // namespace gangplank

// Names of status codes, for logs and CLI messages.
#include "common/error.h"

namespace gangplank {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kConditionNotMet:
      return "ConditionNotMet";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

std::string Error::ToString() const {
  std::string out = reason.empty() ? std::string(StatusCodeName(code)) : reason;
  out += ": ";
  out += message;
  return out;
}

}  // namespace gangplank

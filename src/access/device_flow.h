// The OAuth 2.0 device authorization grant (RFC 8628) behind `az login --use-device-code`: a
// pending sign-in that a person approves on gangplankd's page with a short code, and that the
// waiting client then collects once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::access {

inline constexpr std::string_view kDeviceFlowKind = "deviceFlow";
inline constexpr std::string_view kDeviceFlowParent = "/gangplank/deviceFlows";
inline constexpr long long kDeviceFlowSeconds = 900;
inline constexpr long long kDevicePollSeconds = 2;
// Flows anyone may start without a credential: beyond this many, expired ones are swept and new
// ones refused until some end.
inline constexpr std::size_t kMaxDeviceFlows = 1000;

struct DeviceFlow {
  std::string user_code;    // 8 consonants ("BCDFGHJK"), shown as BCDF-GHJK
  std::string secret_hash;  // SHA-256 of the device code's secret part; the code is never kept
  std::string client_id;
  std::string audience;
  long long expires_ms = 0;
  std::string user_id;  // the person who approved it, once someone has
};

// A new flow ending at `expires_ms`, and the device code the client polls with: the user code, a
// dot, and a secret.
std::pair<DeviceFlow, std::string> NewDeviceFlow(std::string client_id, std::string audience,
                                                 long long expires_ms);
// The user code as the person types it ("bcdf-ghjk", " BCDFGHJK ") in its stored form, or nullopt
// when it cannot be one.
std::optional<std::string> NormalizeUserCode(std::string_view typed);
std::string ShownUserCode(std::string_view user_code);  // BCDF-GHJK
// The user code a device code names, when `device_code` has a device code's shape.
std::optional<std::string> UserCodeOf(std::string_view device_code);
// Whether `device_code` is the one this flow was made with (constant time).
bool DeviceCodeMatches(const DeviceFlow& flow, std::string_view device_code);

std::string DeviceFlowRowId(std::string_view user_code);
store::Resource EncodeDeviceFlow(const DeviceFlow& flow, std::int64_t version = 0);
Result<DeviceFlow> DecodeDeviceFlow(const store::Resource& row);

}  // namespace gangplank::access

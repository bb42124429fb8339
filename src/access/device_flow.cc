// Device flows: their codes, and the row that keeps one until it is collected or expires.
#include "access/device_flow.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>
#include <cctype>

#include "access/directory.h"
#include "common/json_fields.h"
#include "common/random.h"

namespace gangplank::access {
namespace json = boost::json;

namespace {

// No vowels (no words spelled by chance), nothing that reads like a digit.
constexpr std::string_view kAlphabet = "BCDFGHJKLMNPQRSTVWXZ";
constexpr std::size_t kUserCodeLength = 8;

std::string NewUserCode() {
  std::string code;
  while (code.size() < kUserCodeLength) {
    for (const unsigned char byte : RandomBytes(16)) {
      // Bytes past the last whole multiple of the alphabet are dropped: every letter equally
      // likely.
      if (byte >= 256 - 256 % kAlphabet.size() || code.size() == kUserCodeLength) continue;
      code += kAlphabet[byte % kAlphabet.size()];
    }
  }
  return code;
}

}  // namespace

std::pair<DeviceFlow, std::string> NewDeviceFlow(std::string client_id, std::string audience,
                                                 long long expires_ms) {
  const std::string user_code = NewUserCode();
  const std::string secret = NewSecret(32);
  DeviceFlow flow{user_code, HashSecret(secret), std::move(client_id), std::move(audience),
                  expires_ms, ""};
  return {std::move(flow), user_code + "." + secret};
}

std::optional<std::string> NormalizeUserCode(std::string_view typed) {
  std::string code;
  for (const char c : typed) {
    if (c == '-' || c == ' ') continue;
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (kAlphabet.find(upper) == std::string_view::npos) return std::nullopt;
    code += upper;
  }
  if (code.size() != kUserCodeLength) return std::nullopt;
  return code;
}

std::string ShownUserCode(std::string_view user_code) {
  return std::string(user_code.substr(0, 4)) + "-" + std::string(user_code.substr(4));
}

std::optional<std::string> UserCodeOf(std::string_view device_code) {
  const std::size_t dot = device_code.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto code = NormalizeUserCode(device_code.substr(0, dot));
  if (!code || *code != device_code.substr(0, dot)) return std::nullopt;
  return code;
}

bool DeviceCodeMatches(const DeviceFlow& flow, std::string_view device_code) {
  const std::size_t dot = device_code.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string hash = HashSecret(device_code.substr(dot + 1));
  return hash.size() == flow.secret_hash.size() &&
         CRYPTO_memcmp(hash.data(), flow.secret_hash.data(), hash.size()) == 0 &&
         device_code.substr(0, dot) == flow.user_code;
}

std::string DeviceFlowRowId(std::string_view user_code) {
  return std::string(kDeviceFlowParent) + "/" + std::string(user_code);
}

store::Resource EncodeDeviceFlow(const DeviceFlow& flow, std::int64_t version) {
  return {std::string(kDeviceFlowKind), DeviceFlowRowId(flow.user_code),
          std::string(kDeviceFlowParent),
          json::serialize(json::object{{"userCode", flow.user_code},
                                       {"secretHash", flow.secret_hash},
                                       {"clientId", flow.client_id},
                                       {"audience", flow.audience},
                                       {"expiresMs", flow.expires_ms},
                                       {"userId", flow.user_id}}),
          version};
}

Result<DeviceFlow> DecodeDeviceFlow(const store::Resource& row) {
  const auto doc = ParseJsonObject(row.body);
  const json::value* expires = doc ? doc->if_contains("expiresMs") : nullptr;
  if (expires == nullptr || !expires->is_int64()) {
    return MakeError(StatusCode::kInternal, "UnreadableDeviceFlow",
                     "the device flow " + row.id + " is not readable");
  }
  return DeviceFlow{StringField(*doc, "userCode"), StringField(*doc, "secretHash"),
                    StringField(*doc, "clientId"), StringField(*doc, "audience"),
                    expires->get_int64(),         StringField(*doc, "userId")};
}

}  // namespace gangplank::access

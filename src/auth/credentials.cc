// credentials.json: created once, kept 0600, read back on every start.
#include "auth/credentials.h"

#include <boost/json.hpp>

#include "common/file_io.h"
#include "common/random.h"

namespace gangplank::auth {
namespace json = boost::json;

namespace {

std::string StringField(const json::object& object, const char* name) {
  const json::value* value = object.if_contains(name);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

}  // namespace

Result<AdminCredentials> EnsureAdminCredentials(const std::filesystem::path& data_dir,
                                                const std::string& server,
                                                const std::string& ca_file) {
  const std::filesystem::path path = data_dir / "credentials.json";
  AdminCredentials credentials;
  if (std::filesystem::exists(path)) {
    auto text = ReadFile(path, 1 << 20);
    if (!text) return text.error();
    boost::system::error_code ec;
    const json::value parsed = json::parse(*text, ec);
    if (ec || !parsed.is_object()) {
      return MakeError(
          StatusCode::kFailedPrecondition, "CorruptCredentials",
          path.string() + " is not valid JSON; move it away to create new credentials");
    }
    const json::object& object = parsed.get_object();
    credentials.client_id = StringField(object, "clientId");
    credentials.client_secret = StringField(object, "clientSecret");
    credentials.subscription_id = StringField(object, "subscriptionId");
    if (credentials.client_id.empty() || credentials.client_secret.empty() ||
        credentials.subscription_id.empty()) {
      return MakeError(StatusCode::kFailedPrecondition, "CorruptCredentials",
                       path.string() +
                           " lacks clientId, clientSecret or subscriptionId; move it "
                           "away to create new credentials");
    }
  } else {
    credentials.client_id = NewUuid();
    credentials.client_secret = NewSecret(32);
    credentials.subscription_id = NewUuid();
  }
  credentials.server = server;
  credentials.ca_file = ca_file;
  const json::object document{
      {"server", credentials.server},
      {"caFile", credentials.ca_file},
      {"tenant", credentials.tenant},
      {"clientId", credentials.client_id},
      {"clientSecret", credentials.client_secret},
      {"subscriptionId", credentials.subscription_id},
  };
  if (Status written =
          WriteFileAtomically(path, json::serialize(document) + "\n", 0600, IfExists::kReplace);
      !written.ok()) {
    return written.error();
  }
  return credentials;
}

}  // namespace gangplank::auth

// Version-shaped requests and views: the fields each api-version brings (api_versions.h).
#include "resources/arm_views.h"

#include <boost/json.hpp>

#include "resources/api_versions.h"
#include "store/store.h"

namespace gangplank::resources {
namespace json = boost::json;

namespace {

void DropSshAccess(json::object& properties) {
  json::value* security = properties.if_contains("securityProfile");
  if (security == nullptr || !security->is_object()) return;
  security->get_object().erase("sshAccess");
  if (security->get_object().empty()) properties.erase("securityProfile");
}

}  // namespace

Status ShapePoolRequest(json::object& properties, std::string_view api_version,
                        const std::string& path) {
  if (!Supports(api_version, Feature::kPoolSshAccess)) {
    DropSshAccess(properties);
    return OkStatus();
  }
  const json::value* security = properties.if_contains("securityProfile");
  const json::value* access =
      security && security->is_object() ? security->get_object().if_contains("sshAccess") : nullptr;
  if (access && access->is_string() && store::IdKey(access->get_string()) == "entraid" &&
      !Supports(api_version, Feature::kEntraIdSshAccess)) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidParameter",
                     UnsupportedMessage(api_version, Feature::kEntraIdSshAccess),
                     path + ".securityProfile.sshAccess");
  }
  return OkStatus();
}

void ShapePoolView(json::object& pool_properties, std::string_view api_version) {
  if (!Supports(api_version, Feature::kPoolSshAccess)) DropSshAccess(pool_properties);
}

void ShapeClusterView(json::object& cluster, std::string_view api_version) {
  json::value* properties = cluster.if_contains("properties");
  if (properties == nullptr || !properties->is_object()) return;
  json::value* pools = properties->get_object().if_contains("agentPoolProfiles");
  if (pools == nullptr || !pools->is_array()) return;
  for (json::value& pool : pools->get_array()) {
    if (pool.is_object()) ShapePoolView(pool.get_object(), api_version);
  }
}

std::string ViewShapeKey(std::string_view api_version) {
  return Supports(api_version, Feature::kPoolSshAccess) ? "ssh-access" : "base";
}

}  // namespace gangplank::resources

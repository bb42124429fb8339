// Accessors of the stored cluster, pool and SSH model documents.
#include "controller/cluster_docs.h"

namespace gangplank::controller {
namespace json = boost::json;

json::object PoolView(const store::Resource& row) {
  auto record = resources::PoolRecord::Decode(row);
  return record ? std::move(record->resource) : json::object{};
}

Result<std::vector<store::Resource>> PoolsOf(store::Store& store, const std::string& cluster_id) {
  return store.List(kPoolKind, cluster_id);
}

std::string SshAccessOf(const json::object& properties) {
  return SshAccessOr(properties, "LocalUser");
}

std::string SshAccessOr(const json::object& properties, std::string_view fallback) {
  if (const auto* security = properties.if_contains("securityProfile");
      security && security->is_object()) {
    if (const auto* value = security->get_object().if_contains("sshAccess");
        value && value->is_string()) {
      return std::string(value->get_string());
    }
  }
  return std::string(fallback);
}

std::string StringOr(const json::object& object, std::string_view key, std::string_view fallback) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string(fallback);
}

std::string ClusterIdOf(const std::string& id) {
  const std::size_t pools = store::IdKey(id).find("/agentpools/");
  return pools == std::string::npos ? id : id.substr(0, pools);
}

}  // namespace gangplank::controller

// Accessors of stored pool rows.
#include "resources/cluster_docs.h"

namespace gangplank::resources {
namespace json = boost::json;

json::object PoolView(const store::Resource& row) {
  auto record = PoolRecord::Decode(row);
  return record ? std::move(record->resource) : json::object{};
}

Result<std::vector<store::Resource>> PoolsOf(store::Store& store, const std::string& cluster_id) {
  return store.List(kPoolKind, cluster_id);
}

std::string ClusterIdOf(const std::string& id) {
  const std::size_t pools = store::IdKey(id).find("/agentpools/");
  return pools == std::string::npos ? id : id.substr(0, pools);
}

}  // namespace gangplank::resources

// What az prints for a resource: the ARM JSON read into the Python SDK's model (properties lifted
// to the top, az's attribute names such as osSku and enableFips, null for what is absent,
// unknown members kept as they came) and az's own touches (resourceGroup). Scripts query this.
#pragma once

#include <boost/json.hpp>
#include <string_view>
#include <vector>

namespace gangplank::cli {

struct AzAttribute {
  std::string_view name;  // as az prints it
  std::string_view key;   // where it is in the ARM JSON ("properties.osSKU")
  std::string_view type;  // a model name, [T], {T}, or str, int, bool, float, iso-8601
  bool read_only;         // set by the server alone: az leaves it out of what it sends
};

struct AzModel {
  std::string_view name;
  std::vector<AzAttribute> attributes;
};

// The models az 2.45 prints `aks` results through (generated: az_output_models.cc).
const std::vector<AzModel>& AzModels();

// What az prints for `arm`, read as `model` (a model name, or [Model] for a list).
boost::json::value AzView(const boost::json::value& arm, std::string_view model);

// What az sends back when it PUTs a resource it read (GET, change, PUT): `arm` without the
// members `model` marks read-only, at every depth. Members the model does not know are kept: they
// are newer than az 2.45's API version (a pool's securityProfile.sshAccess), and gangplank's newer
// API version reads them, so sending them back keeps them as they are.
boost::json::value AzWritable(const boost::json::value& arm, std::string_view model);

// As `az aks show|list|create|update` print a cluster: a few often-empty fields left out when
// null (az's _remove_nulls).
boost::json::value AzClusterView(const boost::json::value& arm);

}  // namespace gangplank::cli

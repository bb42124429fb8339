// Resource groups as ARM keeps them: the name's rules, one request body decoded, and the pure
// plan of a PUT (the document stored).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::resources {

inline constexpr std::string_view kGroupType = "Microsoft.Resources/resourceGroups";

// ARM's rule: 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.'; a 400
// InvalidResourceGroupName otherwise.
Status CheckGroupName(std::string_view name);

// A resource group as a request gives it: its region normalised ("West US 2" → westus2), its
// tags checked, and every other field the client sent kept as it came.
struct GroupSpec {
  boost::json::object resource;
  std::string location;
};
Result<GroupSpec> DecodeGroupSpec(std::string_view body);

// The document a PUT stores: read-only fields (id, name, type, provisioningState) are the
// server's, whatever the client sent. A group keeps the name it was created with; moving it to
// another region is a 409 InvalidResourceGroupLocation, as ARM answers.
Result<boost::json::object> PlanGroupPut(const std::optional<store::Resource>& existing,
                                         GroupSpec spec, const std::string& id,
                                         const std::string& name);

// The same group, being deleted.
Result<store::Resource> MarkGroupDeleting(const store::Resource& group);

}  // namespace gangplank::resources

// ARM locations: region names such as "westus2", given as such or as display names ("West US 2").
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::resources {

// The region name ARM stores for `given` (spaces dropped, lowercase), or InvalidArgument with
// `error_code` (ARM's code for the resource type) and a message that says what a region name is.
Result<std::string> NormalizeLocation(std::string_view given, std::string_view error_code);

}  // namespace gangplank::resources

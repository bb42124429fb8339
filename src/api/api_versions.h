// The api-versions Gangplank answers, per resource provider, in one place (also in the README).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::api {

enum class ApiSurface { kSubscriptions, kResourceGroups, kContainerService };

// InvalidArgument with ARM's MissingApiVersionParameter / InvalidApiVersionParameter reasons,
// naming the supported versions.
Status CheckApiVersion(ApiSurface surface, std::string_view api_version, bool present);

}  // namespace gangplank::api

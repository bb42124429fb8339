// Requests and responses in the shape of the api-version a client speaks: fields a version does
// not define are neither taken from its requests nor shown in its responses.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::resources {

// Drops from an agent pool's properties (a PUT body's, or one of agentPoolProfiles[]) what
// `api_version` does not define, so that a client that cannot see a field cannot reset it. A
// value newer than the version (sshAccess EntraId at a version whose spec has only LocalUser and
// Disabled) is a 400 at `path` that names the versions that have it.
Status ShapePoolRequest(boost::json::object& properties, std::string_view api_version,
                        const std::string& path);

// Drops from a pool's or cluster's ARM view what `api_version` does not define.
void ShapePoolView(boost::json::object& pool_properties, std::string_view api_version);
void ShapeClusterView(boost::json::object& cluster, std::string_view api_version);

// Versions whose views are the same share this key (for caches of rendered views).
std::string ViewShapeKey(std::string_view api_version);

}  // namespace gangplank::resources

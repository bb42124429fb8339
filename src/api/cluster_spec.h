// Validation and the server-owned parts of managed clusters and agent pools (AKS semantics).
#pragma once

#include <boost/json/object.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"

namespace gangplank::api {

// A 400 that ARM clients show as "(CODE) MESSAGE", with the JSON path it concerns.
struct SpecError {
  std::string code;
  std::string message;
  std::string target;
};

template <typename T>
using SpecResult = std::variant<T, SpecError>;

// The SSH part of a pool's model: what its nodes are provisioned with.
struct SshModel {
  std::string admin_username = "azureuser";
  std::vector<std::string> public_keys;  // canonical "type base64 comment" lines
  bool service_generated = false;        // --no-ssh-key: no private half exists anywhere
};

// AKS cluster names: 1-63 letters, digits, '-' and '_', starting and ending alphanumeric.
bool IsValidClusterName(std::string_view name);
// AKS agent pool names: ^[a-z][a-z0-9]{0,11}$.
bool IsValidPoolName(std::string_view name);

// Validates linuxProfile (adminUsername, 1-10 public keys, each checked with the sshkey library)
// into the SSH model; an absent linuxProfile gives nullopt (the caller generates a key).
SpecResult<std::optional<SshModel>> ParseLinuxProfile(const boost::json::object& properties);

// Validates one agent pool's properties (osType, osSKU, type, mode, count, sshAccess) and fills
// the defaults AKS fills. `path` prefixes error targets ("properties" or
// "properties.agentPoolProfiles[0]").
std::optional<SpecError> ValidatePoolProperties(boost::json::object& properties,
                                                const std::string& path);

// A 400 when any of `names` is present in `object` with a value that is neither a string nor null.
std::optional<SpecError> CheckStringFields(const boost::json::object& object,
                                           std::initializer_list<const char*> names,
                                           const std::string& path);

// The node image a new or reimaged node of this OS SKU gets.
std::string LatestNodeImage(const boost::json::object& pool_properties);

}  // namespace gangplank::api

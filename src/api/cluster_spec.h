// Validation and the server-owned parts of managed clusters and agent pools (AKS semantics).
#pragma once

#include <boost/json/object.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "controller/cluster_docs.h"

namespace gangplank::api {

// A 400 that ARM clients show as "(CODE) MESSAGE", with the JSON path it concerns.
struct SpecError {
  std::string code;
  std::string message;
  std::string target;
};

template <typename T>
using SpecResult = std::variant<T, SpecError>;

using controller::SshModel;

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

// ARM's rules for `tags`: an object of at most 50 string values, names of 1-512 characters
// without < > % & \ ? /, values of at most 256.
std::optional<SpecError> CheckTags(const boost::json::value& tags);

// Removes every field the AKS spec marks as a secret (x-ms-secret: the service principal's
// secret, the Windows admin password, …) from a cluster's properties: Gangplank acts on none of
// them, so they are neither stored nor returned, as AKS never returns them.
void DropSecrets(boost::json::object& properties);

// A 400 when any of `names` is present in `object` with a value that is neither an object nor null.
std::optional<SpecError> CheckObjectFields(const boost::json::object& object,
                                           std::initializer_list<const char*> names,
                                           const std::string& path);

// A 400 when any of `names` is present in `object` with a value that is neither a string nor null.
std::optional<SpecError> CheckStringFields(const boost::json::object& object,
                                           std::initializer_list<const char*> names,
                                           const std::string& path);

}  // namespace gangplank::api

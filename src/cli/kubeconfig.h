// Kubeconfig files as `az aks get-credentials` reads, merges and writes them (PyYAML's types).
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::cli {

// A kubeconfig's YAML as JSON, each plain scalar typed as PyYAML's YAML 1.1 resolvers type it
// (true, 3, null), a quoted one always a string. Empty text is null. `name` is for errors.
Result<boost::json::value> ParseKubeconfig(std::string_view text, const std::string& name);

// What az's merge_kubernetes_configurations makes of `existing` (null: no file yet) and the
// server's `addition`:
//   --context NAME renames the added context and cluster;
//   an admin user's context gets "-admin";
//   clusters, users and contexts are merged by name: an entry of the same name is replaced when
//   it is the same or `replace` (--overwrite-existing) is given, and otherwise the merge fails;
//   the added context becomes the current one.
// `current` gets the new current context's name.
Result<boost::json::value> MergeKubeconfig(boost::json::value existing,
                                           boost::json::value addition, bool replace,
                                           const std::optional<std::string>& context_name,
                                           std::string& current);

}  // namespace gangplank::cli

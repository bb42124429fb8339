// Reading and merging kubeconfigs the way az does (yaml.safe_load, merge by name).
#include "cli/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>

#include "cli/yaml_types.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

// A plain scalar as PyYAML's implicit resolvers read it. Numbers in other bases, sexagesimals
// and timestamps stay as written (as strings): kubeconfigs hold none.
json::value PlainScalar(const std::string& text) {
  switch (ResolvePlainYaml(text)) {
    case YamlPlain::kNull:
      return nullptr;
    case YamlPlain::kBool:
      return text[0] == 'y' || text[0] == 'Y' || text[0] == 't' || text[0] == 'T' ||
             text == "on" || text == "On" || text == "ON";
    case YamlPlain::kInt:
    case YamlPlain::kFloat: {
      std::string digits = text;
      digits.erase(std::remove(digits.begin(), digits.end(), '_'), digits.end());
      const bool decimal = digits.find_first_not_of("+-0123456789") == std::string::npos &&
                           (digits.size() < 2 || digits[digits.find_first_not_of("+-")] != '0');
      const bool plain_float = digits.find_first_not_of("+-0123456789.eE") == std::string::npos;
      try {
        if (decimal) return std::stoll(digits);
        if (plain_float && digits.find('.') != std::string::npos) return std::stod(digits);
      } catch (const std::exception&) {
        // out of range: kept as written
      }
      return json::value(text);
    }
    default:
      return json::value(text);
  }
}

Result<json::value> ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return json::value(nullptr);
    case YAML::NodeType::Scalar:
      // "!" is the tag of a quoted scalar: a string whatever it spells.
      return node.Tag() == "!" ? json::value(node.Scalar()) : PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json::array items;
      for (const YAML::Node& item : node) {
        auto converted = ToJson(item);
        if (!converted) return converted.error();
        items.push_back(std::move(*converted));
      }
      return json::value(std::move(items));
    }
    case YAML::NodeType::Map: {
      json::object members;
      for (const auto& member : node) {
        auto value = ToJson(member.second);
        if (!value) return value.error();
        members[member.first.Scalar()] = std::move(*value);
      }
      return json::value(std::move(members));
    }
  }
  return json::value(nullptr);
}

const json::string* NameOf(const json::value& entry) {
  const json::object* object = entry.if_object();
  const json::value* name = object ? object->if_contains("name") : nullptr;
  return name && name->is_string() && !name->as_string().empty() ? &name->as_string() : nullptr;
}

// az's _handle_merge for one list (clusters, users or contexts).
Status MergeList(json::object& existing, const json::object& addition, std::string_view key,
                 bool replace) {
  const json::value* added = addition.if_contains(key);
  if (!added || !added->is_array() || added->as_array().empty()) return OkStatus();
  if (!existing.contains(key)) {
    return MakeError(StatusCode::kFailedPrecondition, "InvalidKubeconfig",
                     "No such key '" + std::string(key) +
                         "' in existing config, please confirm whether it is a valid config "
                         "file. May back up this config file, delete it and retry the command.");
  }
  json::value& list = existing[key];
  if (!list.is_array() || list.as_array().empty()) {
    list = *added;
    return OkStatus();
  }
  json::array& entries = list.as_array();
  for (const json::value& entry : added->as_array()) {
    const json::string* name = NameOf(entry);
    for (auto at = entries.begin(); name && at != entries.end();) {
      const json::string* other = NameOf(*at);
      if (!other || *other != *name) {
        ++at;
        continue;
      }
      if (!replace && *at != entry) {
        return MakeError(StatusCode::kAlreadyExists, "KubeconfigEntryExists",
                         "A different object named " + std::string(*name) + " already exists in " +
                             std::string(key) +
                             " in your kubeconfig file: add --overwrite-existing to replace it");
      }
      at = entries.erase(at);
    }
    entries.push_back(entry);
  }
  return OkStatus();
}

}  // namespace

Result<json::value> ParseKubeconfig(std::string_view text, const std::string& name) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    auto converted = ToJson(root);
    if (!converted) return converted.error();
    if (!converted->is_null() && !converted->is_object()) {
      return MakeError(StatusCode::kFailedPrecondition, "InvalidKubeconfig",
                       "Error parsing " + name + " (it is not a YAML mapping)");
    }
    return converted;
  } catch (const YAML::Exception& error) {
    return MakeError(StatusCode::kFailedPrecondition, "InvalidKubeconfig",
                     "Error parsing " + name + " (" + error.what() + ")");
  }
}

Result<json::value> MergeKubeconfig(json::value existing, json::value addition, bool replace,
                                    const std::optional<std::string>& context_name,
                                    std::string& current) {
  json::object* added = addition.if_object();
  if (!added) {
    return MakeError(StatusCode::kUnavailable, "BadReply",
                     "the server's kubeconfig is not a YAML mapping");
  }
  const auto first = [&](std::string_view key) -> json::object* {
    json::value* list = added->if_contains(key);
    if (!list || !list->is_array() || list->as_array().empty()) return nullptr;
    return list->as_array().front().if_object();
  };
  if (context_name) {
    json::object* context = first("contexts");
    json::object* cluster = first("clusters");
    if (context) {
      (*context)["name"] = *context_name;
      if (json::object* inner = (*context)["context"].if_object())
        (*inner)["cluster"] = *context_name;
    }
    if (cluster) (*cluster)["name"] = *context_name;
    (*added)["current-context"] = *context_name;
  }
  // az renames an admin context so that it does not replace the user's.
  if (json::value* contexts = added->if_contains("contexts"); contexts && contexts->is_array()) {
    for (json::value& entry : contexts->as_array()) {
      const json::value* user = entry.is_object() && entry.as_object().contains("context") &&
                                        entry.at("context").is_object()
                                    ? entry.at("context").as_object().if_contains("user")
                                    : nullptr;
      const json::string* name = NameOf(entry);
      if (user && user->is_string() && user->as_string().starts_with("clusterAdmin") && name) {
        const std::string admin = std::string(*name) + "-admin";
        entry.as_object()["name"] = admin;
        (*added)["current-context"] = admin;
        break;
      }
    }
  }
  const json::value* now = added->if_contains("current-context");
  current = now && now->is_string() ? std::string(now->as_string()) : "UNKNOWN";
  if (existing.is_null()) return addition;
  json::object& merged = existing.as_object();
  for (std::string_view key : {"clusters", "users", "contexts"}) {
    if (Status done = MergeList(merged, *added, key, replace); !done.ok()) return done.error();
  }
  merged["current-context"] = now ? *now : json::value(nullptr);
  return existing;
}

}  // namespace gangplank::cli

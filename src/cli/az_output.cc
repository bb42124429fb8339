// ARM JSON → az's printed shape, driven by the generated model table.
#include "cli/az_output.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>

namespace gangplank::cli {
namespace json = boost::json;

namespace {

const AzModel* FindModel(std::string_view name) {
  static const std::map<std::string_view, const AzModel*> kByName = [] {
    std::map<std::string_view, const AzModel*> by_name;
    for (const AzModel& model : AzModels()) by_name[model.name] = &model;
    return by_name;
  }();
  const auto found = kByName.find(name);
  return found == kByName.end() ? nullptr : found->second;
}

// The member at a dotted key path, or null.
const json::value* At(const json::value& root, std::string_view key) {
  const json::value* at = &root;
  while (!key.empty()) {
    const std::size_t dot = key.find('.');
    const json::object* object = at->if_object();
    if (!object) return nullptr;
    at = object->if_contains(key.substr(0, dot));
    if (!at) return nullptr;
    key = dot == std::string_view::npos ? std::string_view() : key.substr(dot + 1);
  }
  return at;
}

// An ISO 8601 time as Python's datetime.isoformat() writes it back: "Z" becomes "+00:00", and
// fractions of a second have six digits (none when zero).
std::string PythonTime(std::string text) {
  if (text.ends_with('Z')) text.replace(text.size() - 1, 1, "+00:00");
  const std::size_t dot = text.find('.');
  if (dot == std::string::npos) return text;
  std::size_t end = dot + 1;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  std::string digits = text.substr(dot + 1, end - dot - 1);
  digits = (digits + "000000").substr(0, 6);
  const std::string rest = text.substr(end);
  return digits == "000000" ? text.substr(0, dot) + rest : text.substr(0, dot + 1) + digits + rest;
}

json::value Convert(const json::value& value, std::string_view type);

bool FlattensProperties(const AzModel& model) {
  return std::any_of(model.attributes.begin(), model.attributes.end(),
                     [](const AzAttribute& attribute) {
                       return attribute.key.starts_with("properties.");
                     });
}

json::value ModelView(const json::value& arm, const AzModel& model) {
  const json::object* object = arm.if_object();
  if (!object) return nullptr;
  json::object view;
  for (const AzAttribute& attribute : model.attributes) {
    const json::value* member = At(arm, attribute.key);
    view[attribute.name] = member ? Convert(*member, attribute.type) : json::value(nullptr);
  }
  // Members the model does not know stay as they came (the SDK's additional_properties, which
  // az lifts into the object); what the model reads from "properties" is consumed whole.
  for (const auto& [key, member] : *object) {
    bool known = false;
    for (const AzAttribute& attribute : model.attributes) {
      const std::string_view first = attribute.key.substr(0, attribute.key.find('.'));
      known = known || first == key;
    }
    if (!known) view[key] = member;
  }
  // Members of "properties" that this (2022-11-01) model does not know yet, such as a pool's
  // securityProfile: lifted beside the rest under their own names, as a newer SDK (aks-preview's)
  // prints them, so that scripts can query them.
  if (const json::value* properties = object->if_contains("properties");
      properties && properties->is_object() && FlattensProperties(model)) {
    for (const auto& [key, member] : properties->as_object()) {
      const std::string path = "properties." + std::string(key);
      bool known = false;
      for (const AzAttribute& attribute : model.attributes)
        known = known || attribute.key == path || attribute.key.starts_with(path + ".");
      if (!known && !view.contains(key)) view[key] = member;
    }
  }
  return view;
}

// A list ([T]) or a map ({T}) with `each` applied to every element as a T; nullopt for anything
// else.
template <typename Each>
std::optional<json::value> Elements(const json::value& value, std::string_view type, Each each) {
  const std::string_view element = type.size() > 2 ? type.substr(1, type.size() - 2) : "";
  if (type.starts_with('[') && value.is_array()) {
    json::array items;
    for (const json::value& item : value.as_array()) items.push_back(each(item, element));
    return items;
  }
  if (type.starts_with('{') && value.is_object()) {
    json::object items;
    for (const auto& [key, item] : value.as_object()) items[key] = each(item, element);
    return items;
  }
  return std::nullopt;
}

json::value Convert(const json::value& value, std::string_view type) {
  if (value.is_null()) return nullptr;
  if (auto elements = Elements(value, type, Convert)) return std::move(*elements);
  if (type == "float" && value.is_number()) return value.to_number<double>();
  if (type == "iso-8601" && value.is_string()) return json::value(PythonTime(std::string(value.as_string())));
  if (const AzModel* model = FindModel(type)) return ModelView(value, *model);
  return value;
}

json::value Writable(const json::value& value, std::string_view type);

// Erases the member at a dotted key path, if there is one.
void EraseAt(json::object& root, std::string_view key) {
  json::object* at = &root;
  for (std::size_t dot; (dot = key.find('.')) != std::string_view::npos; key = key.substr(dot + 1)) {
    json::value* next = at->if_contains(key.substr(0, dot));
    if (!next || !next->is_object()) return;
    at = &next->as_object();
  }
  at->erase(key);
}

json::value* FindAt(json::value& root, std::string_view key) {
  return const_cast<json::value*>(At(root, key));
}

json::value WritableModel(const json::value& arm, const AzModel& model) {
  if (!arm.is_object()) return arm;
  json::value writable = arm;
  for (const AzAttribute& attribute : model.attributes) {
    if (attribute.read_only) {
      EraseAt(writable.as_object(), attribute.key);
    } else if (json::value* member = FindAt(writable, attribute.key)) {
      *member = Writable(*member, attribute.type);
    }
  }
  return writable;
}

json::value Writable(const json::value& value, std::string_view type) {
  if (auto elements = Elements(value, type, Writable)) return std::move(*elements);
  if (const AzModel* model = FindModel(type)) return WritableModel(value, *model);
  return value;
}

// az adds "resourceGroup" to every object whose id names one (its global output transform).
void AddResourceGroups(json::value& value) {
  if (json::array* array = value.if_array()) {
    for (json::value& item : *array) AddResourceGroups(item);
    return;
  }
  json::object* object = value.if_object();
  if (!object) return;
  bool has_group = false;
  for (const auto& [key, unused] : *object) {
    std::string lower(key);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    has_group = has_group || lower == "resourcegroup";
  }
  if (const json::value* id = object->if_contains("id"); !has_group && id && id->is_string()) {
    const std::string text(id->as_string());
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      const std::size_t slash = text.find('/', start);
      parts.push_back(text.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    std::string fourth = parts.size() > 3 ? parts[3] : "";
    for (char& c : fourth) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (parts.size() > 8 && fourth == "resourcegroups") (*object)["resourceGroup"] = parts[4];
  }
  for (auto& [key, member] : *object)
    if (key != "sourceVault") AddResourceGroups(member);
}

}  // namespace

json::value AzView(const json::value& arm, std::string_view model) {
  json::value view = Convert(arm, model);
  AddResourceGroups(view);
  return view;
}

json::value AzWritable(const json::value& arm, std::string_view model) {
  return Writable(arm, model);
}

json::value AzClusterView(const json::value& arm) {
  json::value view = Convert(arm, "ManagedCluster");
  if (json::object* cluster = view.if_object()) {
    if (cluster->contains("tags") && (*cluster)["tags"].is_null()) cluster->erase("tags");
    if (json::array* pools = (*cluster)["agentPoolProfiles"].if_array()) {
      for (json::value& pool : *pools) {
        if (json::object* profile = pool.if_object()) {
          for (const char* name : {"osDiskSizeGb", "vnetSubnetId"})
            if (profile->contains(name) && (*profile)[name].is_null()) profile->erase(name);
        }
      }
    }
    if (json::object* principal = (*cluster)["servicePrincipalProfile"].if_object())
      if (principal->contains("secret") && (*principal)["secret"].is_null()) principal->erase("secret");
  }
  AddResourceGroups(view);
  return view;
}

}  // namespace gangplank::cli

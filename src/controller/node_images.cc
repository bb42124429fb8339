// The node image catalog file: {"Ubuntu": ["…", "…"], "AzureLinux": [...], …}.
#include "controller/node_images.h"

#include <boost/json.hpp>

#include "common/file_io.h"

namespace gangplank::controller {
namespace json = boost::json;

namespace {

// What AKS offered when the catalog starts (2023-11); Mariner and CBLMariner are AzureLinux's
// earlier names and share its images.
std::map<std::string, std::vector<std::string>> BuiltIn() {
  return {{"Ubuntu", {"AKSUbuntu-2204gen2containerd-202311.07.0"}},
          {"AzureLinux", {"AKSAzureLinux-V2gen2-202311.07.0"}},
          {"CBLMariner", {"AKSCBLMariner-V2gen2-202311.07.0"}},
          {"Mariner", {"AKSCBLMariner-V2gen2-202311.07.0"}}};
}

}  // namespace

NodeImageCatalog::NodeImageCatalog(std::filesystem::path file)
    : file_(std::move(file)), versions_(BuiltIn()) {}

bool NodeImageCatalog::IsKnownOsSku(const std::string& os_sku) {
  return BuiltIn().contains(os_sku);
}

void NodeImageCatalog::RefreshLocked() {
  std::error_code ec;
  const auto time = std::filesystem::last_write_time(file_, ec);
  if (ec || time == loaded_time_) return;
  auto text = ReadFile(file_, 1 << 20);
  if (!text) return;
  boost::system::error_code parse_error;
  const json::value doc = json::parse(*text, parse_error);
  if (parse_error || !doc.is_object()) return;  // a broken file keeps the last good catalog
  auto versions = BuiltIn();
  for (const auto& [sku, list] : doc.get_object()) {
    if (!list.is_array() || !versions.contains(std::string(sku))) continue;
    for (const auto& version : list.get_array()) {
      if (!version.is_string()) continue;
      auto& known = versions[std::string(sku)];
      if (std::find(known.begin(), known.end(), version.get_string()) == known.end())
        known.emplace_back(version.get_string());
    }
  }
  versions_ = std::move(versions);
  loaded_time_ = time;
}

std::string NodeImageCatalog::Latest(const std::string& os_sku) {
  std::lock_guard lock(mutex_);
  RefreshLocked();
  const auto found = versions_.find(os_sku);
  return found == versions_.end() ? versions_.at("Ubuntu").back() : found->second.back();
}

std::map<std::string, std::vector<std::string>> NodeImageCatalog::All() {
  std::lock_guard lock(mutex_);
  RefreshLocked();
  return versions_;
}

Status NodeImageCatalog::Publish(const std::string& os_sku, const std::string& version) {
  if (!IsKnownOsSku(os_sku)) {
    return MakeError(StatusCode::kInvalidArgument, "UnknownOsSku",
                     "OS SKU '" + os_sku + "' is not one of Ubuntu, AzureLinux, CBLMariner, Mariner");
  }
  if (version.empty() || version.size() > 128 ||
      version.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_") !=
          std::string::npos) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidNodeImageVersion",
                     "a node image version is 1-128 letters, digits, '.', '-' and '_'");
  }
  std::lock_guard lock(mutex_);
  RefreshLocked();
  auto& known = versions_[os_sku];
  known.erase(std::remove(known.begin(), known.end(), version), known.end());
  known.push_back(version);
  json::object doc;
  for (const auto& [sku, list] : versions_) {
    json::array array;
    for (const auto& item : list) array.emplace_back(item);
    doc[sku] = std::move(array);
  }
  if (Status written =
          WriteFileAtomically(file_, json::serialize(doc) + "\n", 0644, IfExists::kReplace);
      !written.ok())
    return written;
  std::error_code ec;
  loaded_time_ = std::filesystem::last_write_time(file_, ec);
  return OkStatus();
}

}  // namespace gangplank::controller

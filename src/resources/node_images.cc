// The node image catalog: {"Ubuntu": ["…", "…"], "AzureLinux": [...], …}, in a file of the data
// dir, or in the store when replicas share one.
#include "resources/node_images.h"

#include <boost/json.hpp>
#include <optional>

#include "common/file_io.h"

namespace gangplank::resources {
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

constexpr std::string_view kCatalogKind = "nodeImageCatalog";
constexpr std::string_view kCatalogId = "/gangplank/nodeImageCatalog";

// The built-in versions and what `text` adds; nullopt when it is not a catalog.
std::optional<std::map<std::string, std::vector<std::string>>> Parse(std::string_view text) {
  boost::system::error_code parse_error;
  const json::value doc = json::parse(text, parse_error);
  if (parse_error || !doc.is_object()) return std::nullopt;
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
  return versions;
}

std::string Serialize(const std::map<std::string, std::vector<std::string>>& versions) {
  json::object doc;
  for (const auto& [sku, list] : versions) {
    json::array array;
    for (const auto& item : list) array.emplace_back(item);
    doc[sku] = std::move(array);
  }
  return json::serialize(doc) + "\n";
}

}  // namespace

NodeImageCatalog::NodeImageCatalog(std::filesystem::path file)
    : file_(std::move(file)), versions_(BuiltIn()) {}

NodeImageCatalog::NodeImageCatalog(store::Store& store) : store_(&store), versions_(BuiltIn()) {}

bool NodeImageCatalog::IsKnownOsSku(const std::string& os_sku) {
  return BuiltIn().contains(os_sku);
}

void NodeImageCatalog::RefreshLocked() {
  if (store_ != nullptr) {
    auto row = store_->Get(kCatalogKind, kCatalogId);
    if (!row || !row->has_value() || (*row)->version == loaded_version_) return;
    if (auto versions = Parse((*row)->body)) {
      versions_ = std::move(*versions);
      loaded_version_ = (*row)->version;
    }
    return;
  }
  std::error_code ec;
  const auto time = std::filesystem::last_write_time(file_, ec);
  if (ec || time == loaded_time_) return;
  auto text = ReadFile(file_, 1 << 20);
  if (!text) return;
  auto versions = Parse(*text);
  if (!versions) return;  // a broken file keeps the last good catalog
  versions_ = std::move(*versions);
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
  for (int attempt = 0; attempt < 20; ++attempt) {
    RefreshLocked();
    auto versions = versions_;
    auto& known = versions[os_sku];
    known.erase(std::remove(known.begin(), known.end(), version), known.end());
    known.push_back(version);
    if (store_ == nullptr) {
      if (Status written = WriteFileAtomically(file_, Serialize(versions), 0644, IfExists::kReplace);
          !written.ok())
        return written;
      versions_ = std::move(versions);
      std::error_code ec;
      loaded_time_ = std::filesystem::last_write_time(file_, ec);
      return OkStatus();
    }
    // In the store: written at the version read, so two publishers never lose one another's.
    auto row = store_->Get(kCatalogKind, kCatalogId);
    if (!row) return row.error();
    const auto expected = row->has_value() ? store::Precondition::AtVersion((*row)->version)
                                           : store::Precondition::Absent();
    auto written = store_->Put({std::string(kCatalogKind), std::string(kCatalogId), "/gangplank",
                                Serialize(versions), 0},
                               expected);
    if (written) {
      versions_ = std::move(versions);
      loaded_version_ = written->version;
      return OkStatus();
    }
    if (written.error().code != StatusCode::kAborted) return written.error();
    loaded_version_ = -1;  // someone published meanwhile: read theirs and try again
  }
  return MakeError(StatusCode::kAborted, "PublishConflict",
                   "the catalog kept changing while this version was published; try again");
}

}  // namespace gangplank::resources

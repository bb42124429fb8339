// The node image catalog: which node image versions exist per OS SKU. It lives in the data dir
// (node-images.json); publishing a newer version makes it the one new and reimaged nodes get.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::resources {

class NodeImageCatalog {
 public:
  // `file` need not exist: until something is published the built-in versions apply.
  explicit NodeImageCatalog(std::filesystem::path file);
  // The catalog in a store that replicas share (one row), read through the store's cache.
  explicit NodeImageCatalog(store::Store& store);

  // The newest image for an OS SKU (Ubuntu, AzureLinux, CBLMariner, Mariner).
  std::string Latest(const std::string& os_sku);
  // Every known version per SKU, oldest first.
  std::map<std::string, std::vector<std::string>> All();
  // Appends `version` to the SKU's list (it becomes the latest); the file is written atomically.
  Status Publish(const std::string& os_sku, const std::string& version);

  static bool IsKnownOsSku(const std::string& os_sku);

 private:
  // Re-reads the file when it changed (another process published), under mutex_.
  void RefreshLocked();

  std::filesystem::path file_;
  store::Store* store_ = nullptr;
  std::int64_t loaded_version_ = 0;
  std::mutex mutex_;
  std::filesystem::file_time_type loaded_time_{};
  std::map<std::string, std::vector<std::string>> versions_;
};

}  // namespace gangplank::resources

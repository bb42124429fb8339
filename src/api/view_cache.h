// Rendered GET bodies, each valid for one store revision: repeated GETs of an unchanged resource
// are answered without parsing or serialising JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gangplank::api {

class ViewCache {
 public:
  struct View {
    std::shared_ptr<const std::string> body;  // shared: a hit copies no JSON text under the lock
    std::string etag;
  };

  // The view of `key` rendered at `revision`, if there is one.
  std::optional<View> Find(const std::string& key, std::uint64_t revision) const {
    std::shared_lock lock(mutex_);
    const auto found = views_.find(key);
    if (found == views_.end() || found->second.revision != revision) return std::nullopt;
    return found->second.view;
  }

  // Records a view rendered from reads taken after Revision() returned `revision`.
  void Insert(const std::string& key, std::uint64_t revision, View view) {
    std::unique_lock lock(mutex_);
    // Bounded without bookkeeping: views of older revisions are dead weight and go first; when
    // the live ones alone are too many, start over.
    if (bytes_ + view.body->size() > kMaxBytes) {
      std::erase_if(views_, [&](const auto& entry) {
        if (entry.second.revision == revision) return false;
        bytes_ -= entry.second.view.body->size();
        return true;
      });
    }
    if (bytes_ + view.body->size() > kMaxBytes) {
      views_.clear();
      bytes_ = 0;
    }
    Entry& entry = views_[key];
    if (entry.view.body) bytes_ -= entry.view.body->size();
    bytes_ += view.body->size();
    entry = Entry{revision, std::move(view)};
  }

 private:
  // 10,000 clusters' views (about 7 KiB each with AKS's computed fields) fit with room to spare.
  static constexpr std::size_t kMaxBytes = 192u << 20;
  struct Entry {
    std::uint64_t revision;
    View view;
  };
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> views_;
  std::size_t bytes_ = 0;
};

}  // namespace gangplank::api

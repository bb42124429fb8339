// The in-memory copy of a store's rows, with a bounded change history for watches.
#include "store/resource_cache.h"

namespace gangplank::store {

std::optional<Resource> ResourceCache::Get(std::string_view kind, std::string_view id) const {
  std::shared_lock lock(mutex_);
  const auto rows = rows_.find(kind);
  if (rows == rows_.end()) return std::nullopt;
  const auto row = rows->second.find(IdKey(id));
  if (row == rows->second.end()) return std::nullopt;
  return row->second;
}

std::optional<std::int64_t> ResourceCache::VersionOf(std::string_view kind,
                                                     std::string_view id) const {
  std::shared_lock lock(mutex_);
  const auto rows = rows_.find(kind);
  if (rows == rows_.end()) return std::nullopt;
  const auto row = rows->second.find(IdKey(id));
  if (row == rows->second.end()) return std::nullopt;
  return row->second.version;
}

std::vector<Resource> ResourceCache::List(std::string_view kind, std::string_view parent) const {
  const std::string parent_key = IdKey(parent);
  const std::string prefix = parent_key + "/";
  std::shared_lock lock(mutex_);
  std::vector<Resource> rows;
  const auto found = rows_.find(kind);
  if (found == rows_.end()) return rows;
  // Children's keys start with the parent's; the map is ordered, so they are one range.
  for (auto it = found->second.lower_bound(prefix);
       it != found->second.end() && it->first.starts_with(prefix); ++it) {
    if (it->second.parent == parent_key) rows.push_back(it->second);
  }
  return rows;
}

std::vector<Resource> ResourceCache::ListKind(std::string_view kind) const {
  std::shared_lock lock(mutex_);
  std::vector<Resource> rows;
  if (const auto found = rows_.find(kind); found != rows_.end()) {
    rows.reserve(found->second.size());
    for (const auto& [key, row] : found->second) rows.push_back(row);
  }
  return rows;
}

void ResourceCache::Record(std::uint64_t revision, const std::string& kind, const std::string& id,
                           bool deleted) {
  history_.push_back(Change{revision, kind, id, deleted});
  while (history_.size() > kChangeHistory) {
    history_floor_ = history_.front().revision;
    // Drop a whole revision at a time: a watch is either given all of one or told to list.
    while (!history_.empty() && history_.front().revision == history_floor_) history_.pop_front();
  }
}

void ResourceCache::Apply(Commit commit) {
  {
    std::unique_lock lock(mutex_);
    if (commit.revision <= revision_) return;  // already seen (our own write, then the feed)
    ApplyLocked(commit);
  }
  std::lock_guard wake(wait_mutex_);
  changed_.notify_all();
}

bool ResourceCache::ApplyNext(Commit commit) {
  {
    std::unique_lock lock(mutex_);
    if (commit.revision <= revision_) return true;
    if (commit.revision != revision_ + 1) return false;
    ApplyLocked(commit);
  }
  std::lock_guard wake(wait_mutex_);
  changed_.notify_all();
  return true;
}

void ResourceCache::ApplyLocked(Commit& commit) {
  {
    for (Commit::Entry& change : commit.changes) {
      if (!change.deleted) {
        Record(commit.revision, change.row.kind, change.row.id, false);
        rows_[change.row.kind].insert_or_assign(IdKey(change.row.id), std::move(change.row));
        continue;
      }
      const std::string key = IdKey(change.row.id);
      const std::string prefix = key + "/";
      if (auto rows = rows_.find(change.row.kind); rows != rows_.end()) {
        if (auto row = rows->second.find(key); row != rows->second.end()) {
          Record(commit.revision, change.row.kind, row->second.id, true);
          rows->second.erase(row);
        }
      }
      for (auto& [kind, rows] : rows_) {
        for (auto it = rows.lower_bound(prefix); it != rows.end() && it->first.starts_with(prefix);) {
          Record(commit.revision, kind, it->second.id, true);
          it = rows.erase(it);
        }
      }
    }
    revision_ = commit.revision;
  }
}

void ResourceCache::Reset(std::vector<Resource> rows, std::uint64_t revision) {
  {
    std::unique_lock lock(mutex_);
    rows_.clear();
    for (Resource& row : rows) {
      auto& kind = rows_[row.kind];
      kind.insert_or_assign(IdKey(row.id), std::move(row));
    }
    history_.clear();
    history_floor_ = revision;
    revision_ = revision;
  }
  std::lock_guard wake(wait_mutex_);
  changed_.notify_all();
}

std::uint64_t ResourceCache::Revision() const {
  std::shared_lock lock(mutex_);
  return revision_;
}

std::uint64_t ResourceCache::WaitForChange(std::uint64_t after,
                                           std::chrono::milliseconds timeout) const {
  std::unique_lock wait(wait_mutex_);
  changed_.wait_for(wait, timeout, [&] { return Revision() > after; });
  return Revision();
}

Result<std::vector<Change>> ResourceCache::ChangesSince(std::uint64_t after,
                                                        std::string_view kind) const {
  std::shared_lock lock(mutex_);
  if (after < history_floor_) {
    return MakeError(StatusCode::kFailedPrecondition, "Compacted",
                     "changes after revision " + std::to_string(after) +
                         " are no longer kept; list again");
  }
  std::vector<Change> changes;
  std::map<std::string, std::size_t> latest;  // id key → index in changes
  for (auto it = history_.rbegin(); it != history_.rend() && it->revision > after; ++it) {
    if (it->kind != kind) continue;
    if (latest.emplace(IdKey(it->id), changes.size()).second) changes.push_back(*it);
  }
  return std::vector<Change>(changes.rbegin(), changes.rend());
}

}  // namespace gangplank::store

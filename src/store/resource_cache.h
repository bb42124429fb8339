// Every row of a store in memory, the revision it reflects and the recent changes: reads and
// watches are served from here, the database is the durable copy.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace gangplank::store {

class ResourceCache {
 public:
  // How many changes a watch can catch up on before it has to list again.
  static constexpr std::size_t kChangeHistory = 100000;

  std::optional<Resource> Get(std::string_view kind, std::string_view id) const;
  std::vector<Resource> List(std::string_view kind, std::string_view parent) const;
  std::vector<Resource> ListKind(std::string_view kind) const;
  std::optional<std::int64_t> VersionOf(std::string_view kind, std::string_view id) const;

  // One committed transaction's changes, in order, all at `revision` (above the cache's). A
  // delete takes the row and every row under it, whatever its kind.
  struct Commit {
    std::uint64_t revision = 0;
    struct Entry {
      bool deleted;
      Resource row;  // for deletes: kind and id
    };
    std::vector<Entry> changes;
    void Put(Resource row) { changes.push_back({false, std::move(row)}); }
    void Delete(std::string kind, std::string id) {
      changes.push_back({true, Resource{std::move(kind), std::move(id), {}, {}, 0}});
    }
  };
  void Apply(Commit commit);
  // Applies `commit` only if it directly follows the cache's revision (a process's own write
  // when nobody else wrote meanwhile); false otherwise, and then a catch-up must bring it.
  bool ApplyNext(Commit commit);
  // Replaces everything (a first load, or a reload after falling behind the change history).
  void Reset(std::vector<Resource> rows, std::uint64_t revision);

  std::uint64_t Revision() const;
  std::uint64_t WaitForChange(std::uint64_t after, std::chrono::milliseconds timeout) const;
  Result<std::vector<Change>> ChangesSince(std::uint64_t after, std::string_view kind) const;

 private:
  void ApplyLocked(Commit& commit);
  void Record(std::uint64_t revision, const std::string& kind, const std::string& id, bool deleted);

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::map<std::string, Resource>, std::less<>> rows_;  // kind → key → row
  std::uint64_t revision_ = 0;
  std::deque<Change> history_;
  std::uint64_t history_floor_ = 0;  // changes after this revision are all in history_
  mutable std::mutex wait_mutex_;
  mutable std::condition_variable changed_;
};

}  // namespace gangplank::store

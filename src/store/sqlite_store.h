// Store on SQLite: WAL journal, synchronous=FULL, numbered schema migrations, an in-memory read
// cache.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "store/store.h"

struct sqlite3;

namespace gangplank::store {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const std::filesystem::path& path);
  ~SqliteStore() override;

  Result<std::optional<Resource>> Get(std::string_view kind, std::string_view id) override;
  Result<std::vector<Resource>> List(std::string_view kind, std::string_view parent) override;
  Result<Resource> Put(const Resource& resource, Precondition precondition) override;
  Status Delete(std::string_view kind, std::string_view id, Precondition precondition) override;
  Result<std::vector<Resource>> Apply(const std::vector<Mutation>& mutations) override;
  Result<std::vector<Resource>> ListKind(std::string_view kind) override;
  std::uint64_t Revision() const override { return revision_.load(std::memory_order_acquire); }

  int schema_version() const { return schema_version_; }

 private:
  SqliteStore(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  Status LoadCache();
  // Applies the writes of a committed transaction to the cache (under mutex_).
  void ApplyPendingToCache();
  Status Migrate();
  // The bodies of Put and Delete, inside a transaction the caller holds.
  Result<Resource> PutLocked(const Resource& resource, Precondition precondition);
  Status DeleteLocked(std::string_view kind, std::string_view id, Precondition precondition,
                      bool missing_ok);

  sqlite3* db_;
  std::filesystem::path path_;
  int schema_version_ = 0;
  std::mutex mutex_;  // one connection, one writer at a time; SQLite serialises writes anyway
  // Every row, in memory: this process is the store's only writer, so reads are served from here
  // (no SQLite transaction, no file lock per read) and SQLite is the durable copy.
  mutable std::shared_mutex cache_mutex_;
  std::map<std::string, std::map<std::string, Resource>> cache_;  // kind → id key → row
  struct PendingChange {
    bool is_put;
    Resource row;  // for deletes: kind and id key
  };
  std::vector<PendingChange> pending_;      // writes of the open transaction
  std::atomic<std::uint64_t> revision_{1};  // bumped after each commit reaches the cache
};

}  // namespace gangplank::store

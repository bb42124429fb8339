// Store on SQLite: WAL journal, synchronous=FULL, numbered schema migrations, an in-memory read
// cache. One process owns the file (the embedded default); replicas use PostgreSQL.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "store/cached_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace gangplank::store {

class SqliteStore final : public CachedStore {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const std::filesystem::path& path);
  ~SqliteStore() override;

  // This process is the file's only writer: its cache already holds every acknowledged write.
  Result<std::uint64_t> Sync() override { return cache_.Revision(); }

  int schema_version() const { return schema_version_; }

 private:
  Result<std::vector<Resource>> Commit(const std::vector<Mutation>& mutations,
                                       bool missing_ok) override;
  SqliteStore(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  // A write waiting for its group's commit, and then its result.
  struct QueuedWrite {
    const std::vector<Mutation>* mutations;
    bool missing_ok;
    std::optional<Result<std::vector<Resource>>> result;
  };
  static constexpr std::size_t kMaxGroup = 256;
  // One transaction for `group`: each write's result, in order.
  std::vector<Result<std::vector<Resource>>> CommitGroup(const std::vector<QueuedWrite*>& group);
  Result<std::vector<Resource>> ApplyLocked(const std::vector<Mutation>& mutations, bool missing_ok,
                                            ResourceCache::Commit& commit);

  Status LoadCache();
  Status Migrate();
  // The bodies of the mutations, inside a transaction the caller holds; they add to `commit`.
  Result<Resource> PutLocked(const Resource& resource, Precondition precondition,
                             ResourceCache::Commit& commit);
  Status DeleteLocked(std::string_view kind, std::string_view id, Precondition precondition,
                      bool missing_ok, ResourceCache::Commit& commit);
  Status CheckLocked(std::string_view kind, std::string_view id, Precondition precondition);

  sqlite3* db_;
  std::filesystem::path path_;
  int schema_version_ = 0;
  // Statements prepared once for the connection's life, by their SQL (a literal: its address is
  // the key). Parsing them at every write cost more than the writes.
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
  // One connection: the group's leader alone uses it (SQLite serialises writes anyway).
  std::mutex queue_mutex_;
  std::condition_variable written_;  // a group was committed, or no one leads now
  std::deque<QueuedWrite*> queue_;
  bool leading_ = false;
};

}  // namespace gangplank::store

// Store on SQLite: WAL journal, synchronous=FULL, numbered schema migrations, an in-memory read
// cache. One process owns the file (the embedded default); replicas use PostgreSQL.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "store/resource_cache.h"
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
  std::uint64_t Revision() const override { return cache_.Revision(); }
  // This process is the file's only writer: its cache already holds every acknowledged write.
  Result<std::uint64_t> Sync() override { return cache_.Revision(); }
  std::uint64_t WaitForChange(std::uint64_t after, std::chrono::milliseconds timeout) override {
    return cache_.WaitForChange(after, timeout);
  }
  Result<std::vector<Change>> ChangesSince(std::uint64_t after, std::string_view kind) override {
    return cache_.ChangesSince(after, kind);
  }

  int schema_version() const { return schema_version_; }

 private:
  SqliteStore(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  Status LoadCache();
  Status Migrate();
  // The bodies of the mutations, inside a transaction the caller holds; they add to `commit`.
  Result<Resource> PutLocked(const Resource& resource, Precondition precondition,
                             ResourceCache::Commit& commit);
  Status DeleteLocked(std::string_view kind, std::string_view id, Precondition precondition,
                      bool missing_ok, ResourceCache::Commit& commit);
  Status CheckLocked(std::string_view kind, std::string_view id, Precondition precondition);
  // Runs `mutations` in one transaction and, once committed, applies them to the cache.
  Result<std::vector<Resource>> Commit(const std::vector<Mutation>& mutations, bool missing_ok);

  sqlite3* db_;
  std::filesystem::path path_;
  int schema_version_ = 0;
  std::mutex mutex_;  // one connection, one writer at a time; SQLite serialises writes anyway
  ResourceCache cache_;
};

}  // namespace gangplank::store

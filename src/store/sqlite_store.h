// Store on SQLite: WAL journal, synchronous=FULL, numbered schema migrations.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

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

  int schema_version() const { return schema_version_; }

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  Status Migrate();
  // The bodies of Put and Delete, inside a transaction the caller holds.
  Result<Resource> PutLocked(const Resource& resource, Precondition precondition);
  Status DeleteLocked(std::string_view kind, std::string_view id, Precondition precondition,
                      bool missing_ok);

  sqlite3* db_;
  int schema_version_ = 0;
  std::mutex mutex_;  // one connection, one writer at a time; SQLite serialises writes anyway
};

}  // namespace gangplank::store

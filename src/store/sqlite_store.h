// Store on SQLite: WAL journal, synchronous=FULL, numbered schema migrations.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
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

  int schema_version() const { return schema_version_; }

 private:
  SqliteStore(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  // A read-only connection of its own for the calling thread's read, returned to the pool after:
  // readers run concurrently under WAL while writes serialise on db_.
  class Reader {
   public:
    Reader(SqliteStore& store, sqlite3* db) : store_(store), db_(db) {}
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    sqlite3* get() const { return db_; }

   private:
    SqliteStore& store_;
    sqlite3* db_;
  };
  Result<std::unique_ptr<Reader>> AcquireReader();
  // Rows of a SELECT over resources with one or two text parameters, on a reader.
  Result<std::vector<Resource>> ReadRows(const char* sql, std::string_view first,
                                         std::optional<std::string> second);
  Status Migrate();
  // The bodies of Put and Delete, inside a transaction the caller holds.
  Result<Resource> PutLocked(const Resource& resource, Precondition precondition);
  Status DeleteLocked(std::string_view kind, std::string_view id, Precondition precondition,
                      bool missing_ok);

  sqlite3* db_;
  std::filesystem::path path_;
  int schema_version_ = 0;
  std::mutex mutex_;  // one connection, one writer at a time; SQLite serialises writes anyway
  std::mutex readers_mutex_;
  std::vector<sqlite3*> idle_readers_;
};

}  // namespace gangplank::store

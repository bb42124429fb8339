// The real PostgreSQL server the tests use: the one ctest's `postgres` fixture started
// (GANGPLANK_TEST_POSTGRES_DIR names its directory), or else a sandbox this test process starts
// with scripts/postgres-sandbox and stops when it exits.
#pragma once

#include <string>

#include "common/error.h"

namespace gangplank::testing {

// The server's admin URI (postgresql://gangplank@127.0.0.1:PORT/postgres).
Result<std::string> TestPostgresAdminUri();

// A database of its own for one test, dropped (with every session still on it) when this ends.
class ScratchDatabase {
 public:
  ScratchDatabase();
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The libpq URI of the database, for --store and PostgresStore::Open.
  const std::string& uri() const { return uri_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string uri_;
  std::string error_;
};

}  // namespace gangplank::testing

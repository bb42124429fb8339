// --store URL → a Store: SQLite (the embedded default) or PostgreSQL (replicas).
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace gangplank::store {

// "" (SQLite at DATA_DIR/gangplank.db), "sqlite:PATH", "sqlite://PATH", or a libpq URI
// ("postgresql://USER@HOST:PORT/DB", "postgres://…").
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const std::string& data_dir);

// True for the URLs that name a store several gangplankd processes can share.
bool IsSharedStore(const std::string& url);

}  // namespace gangplank::store

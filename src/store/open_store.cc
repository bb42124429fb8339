// Picks the Store a --store URL names.
#include "store/open_store.h"

#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace gangplank::store {

bool IsSharedStore(const std::string& url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const std::string& data_dir) {
  if (IsSharedStore(url)) {
    auto store = PostgresStore::Open(url);
    if (!store) return store.error();
    return std::unique_ptr<Store>(std::move(store.value()));
  }
  std::string path = data_dir + "/gangplank.db";
  if (url.starts_with("sqlite://")) {
    path = url.substr(9);
  } else if (url.starts_with("sqlite:")) {
    path = url.substr(7);
  } else if (!url.empty()) {
    return MakeError(StatusCode::kInvalidArgument, "UnsupportedStore",
                     "--store \"" + url.substr(0, 80) +
                         "\" is not a store URL; use sqlite:PATH or postgresql://USER@HOST:PORT/DB");
  }
  auto store = SqliteStore::Open(path);
  if (!store) return store.error();
  return std::unique_ptr<Store>(std::move(store.value()));
}

}  // namespace gangplank::store

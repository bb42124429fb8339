// SQLite-backed Store; every statement is prepared with bound parameters.
#include "store/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <array>

namespace gangplank::store {
namespace {

Error SqliteError(sqlite3* db, std::string_view what) {
  return MakeError(StatusCode::kUnavailable, "StoreError",
                   std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Statement& Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  int Step() { return sqlite3_step(stmt_); }
  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                : std::string();
  }
  std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

Status Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return MakeError(StatusCode::kUnavailable, "StoreError", text);
  }
  return OkStatus();
}

// Each entry moves the schema one version forward; never edit a shipped entry, add a new one.
constexpr std::array<const char*, 1> kMigrations = {
    R"sql(
    CREATE TABLE resources (
      kind TEXT NOT NULL,
      key TEXT NOT NULL,
      id TEXT NOT NULL,
      parent_key TEXT NOT NULL,
      body TEXT NOT NULL,
      version INTEGER NOT NULL,
      PRIMARY KEY (kind, key)
    );
    CREATE INDEX resources_by_parent ON resources (kind, parent_key);
    )sql",
};

Resource Row(const Statement& statement) {
  return Resource{statement.Text(0), statement.Text(1), statement.Text(2), statement.Text(3),
                  statement.Int(4)};
}

Error PreconditionFailed(std::string_view id) {
  return MakeError(StatusCode::kAborted, "PreconditionFailed",
                   std::string(id) + " was changed by another request; read it again and retry");
}

}  // namespace

std::string IdKey(std::string_view id) {
  std::string key(id);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  return key;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::filesystem::path& path) {
  // Memory statistics take a process-wide mutex on every allocation; nothing here reads them,
  // and with several threads reading they become the main point of contention.
  static const int configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return sqlite3_initialize();
  }();
  (void)configured;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    Error error = SqliteError(db, "cannot open the store at " + path.string());
    sqlite3_close(db);
    return error;
  }
  // Before WAL mode creates its side files, which copy the database's mode.
  ::chmod(path.c_str(), 0600);
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path));
  // WAL with synchronous=FULL: a write acknowledged to a client survives kill -9 and power loss.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                             "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"}) {
    if (Status status = Exec(db, pragma); !status.ok()) return status.error();
  }
  if (Status migrated = store->Migrate(); !migrated.ok()) return migrated.error();
  if (Status loaded = store->LoadCache(); !loaded.ok()) return loaded.error();
  return store;
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

Status SqliteStore::LoadCache() {
  Statement query(db_, "SELECT kind, id, parent_key, body, version FROM resources");
  if (!query.ok()) return SqliteError(db_, "preparing the cache load");
  int rc;
  std::unique_lock lock(cache_mutex_);
  while ((rc = query.Step()) == SQLITE_ROW) {
    Resource row = Row(query);
    cache_[row.kind][IdKey(row.id)] = std::move(row);
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, "loading the cache");
  return OkStatus();
}

void SqliteStore::ApplyPendingToCache() {
  std::unique_lock lock(cache_mutex_);
  for (PendingChange& change : pending_) {
    const std::string key = IdKey(change.row.id);
    if (change.is_put) {
      cache_[change.row.kind][key] = std::move(change.row);
      continue;
    }
    // A delete takes the row and, whatever their kind, every row under it.
    cache_[change.row.kind].erase(key);
    const std::string prefix = key + "/";
    for (auto& [kind, rows] : cache_) {
      for (auto it = rows.lower_bound(prefix); it != rows.end() && it->first.starts_with(prefix);) {
        it = rows.erase(it);
      }
    }
  }
  pending_.clear();
  revision_.fetch_add(1, std::memory_order_release);
}

Status SqliteStore::Migrate() {
  if (Status status =
          Exec(db_, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)");
      !status.ok()) {
    return status;
  }
  Statement current(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!current.ok() || current.Step() != SQLITE_ROW)
    return SqliteError(db_, "reading the schema version");
  schema_version_ = static_cast<int>(current.Int(0));
  if (schema_version_ > static_cast<int>(kMigrations.size())) {
    return MakeError(StatusCode::kFailedPrecondition, "StoreTooNew",
                     "the store has schema version " + std::to_string(schema_version_) +
                         ", newer than this gangplankd knows; run a newer gangplankd");
  }
  for (std::size_t i = static_cast<std::size_t>(schema_version_); i < kMigrations.size(); ++i) {
    const std::string script = std::string("BEGIN IMMEDIATE;") + kMigrations[i] +
                               "INSERT INTO schema_migrations (version) VALUES (" +
                               std::to_string(i + 1) + "); COMMIT;";
    if (Status status = Exec(db_, script.c_str()); !status.ok()) {
      (void)Exec(db_, "ROLLBACK");
      return status;
    }
    schema_version_ = static_cast<int>(i + 1);
  }
  return OkStatus();
}

Result<std::optional<Resource>> SqliteStore::Get(std::string_view kind, std::string_view id) {
  std::shared_lock lock(cache_mutex_);
  const auto rows = cache_.find(std::string(kind));
  if (rows == cache_.end()) return std::optional<Resource>();
  const auto row = rows->second.find(IdKey(id));
  if (row == rows->second.end()) return std::optional<Resource>();
  return std::optional<Resource>(row->second);
}

Result<std::vector<Resource>> SqliteStore::List(std::string_view kind, std::string_view parent) {
  const std::string parent_key = IdKey(parent);
  std::shared_lock lock(cache_mutex_);
  std::vector<Resource> rows;
  const auto found = cache_.find(std::string(kind));
  if (found == cache_.end()) return rows;
  // Children's keys start with the parent's; the map is ordered, so they are one range.
  for (auto it = found->second.lower_bound(parent_key + "/");
       it != found->second.end() && it->first.starts_with(parent_key + "/"); ++it) {
    if (it->second.parent == parent_key) rows.push_back(it->second);
  }
  return rows;
}

// Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back when it fails.
// Runs `body` inside BEGIN IMMEDIATE … COMMIT; `on_commit` runs after a successful commit and
// `on_rollback` after a failed one (the cache follows what SQLite made durable).
template <typename T, typename Body, typename OnCommit, typename OnRollback>
Result<T> InTransaction(sqlite3* db, Body body, OnCommit on_commit, OnRollback on_rollback) {
  if (Status begun = Exec(db, "BEGIN IMMEDIATE"); !begun.ok()) return begun.error();
  Result<T> result = body();
  if (!result.ok()) {
    (void)Exec(db, "ROLLBACK");
    on_rollback();
    return result;
  }
  if (Status committed = Exec(db, "COMMIT"); !committed.ok()) {
    (void)Exec(db, "ROLLBACK");
    on_rollback();
    return committed.error();
  }
  on_commit();
  return result;
}

Result<Resource> SqliteStore::Put(const Resource& resource, Precondition precondition) {
  auto stored = Apply({Mutation::Put(resource, precondition)});
  if (!stored) return stored.error();
  return std::move(stored->front());
}

Status SqliteStore::Delete(std::string_view kind, std::string_view id, Precondition precondition) {
  std::lock_guard lock(mutex_);
  auto result = InTransaction<bool>(
      db_,
      [&]() -> Result<bool> {
        Status deleted = DeleteLocked(kind, id, precondition, false);
        if (!deleted.ok()) return deleted.error();
        return true;
      },
      [this] { ApplyPendingToCache(); }, [this] { pending_.clear(); });
  if (!result.ok()) return result.error();
  return OkStatus();
}

Result<std::vector<Resource>> SqliteStore::Apply(const std::vector<Mutation>& mutations) {
  std::lock_guard lock(mutex_);
  return InTransaction<std::vector<Resource>>(
      db_,
      [&]() -> Result<std::vector<Resource>> {
        std::vector<Resource> stored;
        for (const Mutation& mutation : mutations) {
          if (mutation.type == Mutation::Type::kPut) {
            auto put = PutLocked(mutation.resource, mutation.precondition);
            if (!put) return put.error();
            stored.push_back(std::move(put.value()));
          } else {
            Status deleted = DeleteLocked(mutation.resource.kind, mutation.resource.id,
                                          mutation.precondition, true);
            if (!deleted.ok()) return deleted.error();
          }
        }
        return stored;
      },
      [this] { ApplyPendingToCache(); }, [this] { pending_.clear(); });
}

Result<std::vector<Resource>> SqliteStore::ListKind(std::string_view kind) {
  std::shared_lock lock(cache_mutex_);
  std::vector<Resource> rows;
  if (const auto found = cache_.find(std::string(kind)); found != cache_.end()) {
    for (const auto& [key, row] : found->second) rows.push_back(row);
  }
  return rows;
}

Result<Resource> SqliteStore::PutLocked(const Resource& resource, Precondition precondition) {
  Statement current(db_, "SELECT version, id FROM resources WHERE kind = ? AND key = ?");
  if (!current.ok()) return SqliteError(db_, "preparing a write");
  current.Bind(1, resource.kind).Bind(2, IdKey(resource.id));
  const int rc = current.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteError(db_, "reading before a write");
  const std::int64_t existing = rc == SQLITE_ROW ? current.Int(0) : 0;
  if (precondition.version && *precondition.version != existing)
    return PreconditionFailed(resource.id);
  Resource stored = resource;
  stored.version = existing + 1;
  stored.parent = IdKey(resource.parent);
  if (rc == SQLITE_ROW)
    stored.id = current.Text(1);  // the row keeps the id's first casing, as ARM does
  Statement write(db_,
                  "INSERT INTO resources (kind, key, id, parent_key, body, version) "
                  "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET "
                  "body = excluded.body, version = excluded.version");
  if (!write.ok()) return SqliteError(db_, "preparing a write");
  write.Bind(1, stored.kind)
      .Bind(2, IdKey(stored.id))
      .Bind(3, stored.id)
      .Bind(4, stored.parent)
      .Bind(5, stored.body)
      .Bind(6, stored.version);
  if (write.Step() != SQLITE_DONE) return SqliteError(db_, "writing " + stored.id);
  pending_.push_back({true, stored});
  return stored;
}

Status SqliteStore::DeleteLocked(std::string_view kind, std::string_view id,
                                 Precondition precondition, bool missing_ok) {
  const std::string key = IdKey(id);
  Statement current(db_, "SELECT version FROM resources WHERE kind = ? AND key = ?");
  if (!current.ok()) return SqliteError(db_, "preparing a delete");
  current.Bind(1, kind).Bind(2, key);
  const int rc = current.Step();
  if (rc == SQLITE_DONE) {
    if (missing_ok) return OkStatus();
    return MakeError(StatusCode::kNotFound, "NotFound", std::string(id) + " does not exist");
  }
  if (rc != SQLITE_ROW) return SqliteError(db_, "reading before a delete");
  if (precondition.version && *precondition.version != current.Int(0))
    return PreconditionFailed(id);
  // Children's ids start with the parent's id and a slash, whatever their kind.
  Statement remove(db_,
                   "DELETE FROM resources WHERE (kind = ? AND key = ?) OR key LIKE ? ESCAPE '\\'");
  std::string prefix;
  for (char c : key) {
    if (c == '%' || c == '_' || c == '\\') prefix.push_back('\\');
    prefix.push_back(c);
  }
  remove.Bind(1, kind).Bind(2, key).Bind(3, prefix + "/%");
  if (remove.Step() != SQLITE_DONE) return SqliteError(db_, "deleting " + std::string(id));
  pending_.push_back({false, Resource{std::string(kind), std::string(id), {}, {}, 0}});
  return OkStatus();
}

}  // namespace gangplank::store

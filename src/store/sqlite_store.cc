// SQLite-backed Store; every statement is prepared once, with bound parameters.
#include "store/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <chrono>

#include "metrics/metrics.h"

namespace gangplank::store {
namespace {

Error SqliteError(sqlite3* db, std::string_view what) {
  return MakeError(StatusCode::kUnavailable, "StoreError",
                   std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// One use of a statement the store keeps prepared (SqliteStore::statements_); reset for the next
// use when it goes.
class Statement {
 public:
  Statement(sqlite3* db, std::unordered_map<const char*, sqlite3_stmt*>& prepared,
            const char* sql) {
    auto [found, added] = prepared.try_emplace(sql, nullptr);
    if (added && sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &found->second,
                                    nullptr) != SQLITE_OK) {
      prepared.erase(found);  // prepared again next time: the error says why meanwhile
      return;
    }
    stmt_ = found->second;
  }
  ~Statement() {
    if (!stmt_) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
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
constexpr std::array<const char*, 3> kMigrations = {
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
    // The store-wide revision survives restarts, so a watcher's "changes after r" stays meaningful.
    R"sql(
    CREATE TABLE store_revision (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
    INSERT INTO store_revision (id, value) VALUES (1, 1);
    )sql",
    // A delete takes the rows under the deleted id, whatever their kind: found by a range of
    // keys, not by scanning the table.
    R"sql(
    CREATE INDEX resources_by_key ON resources (key);
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

SqliteStore::~SqliteStore() {
  for (const auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

Status SqliteStore::LoadCache() {
  Statement revision(db_, statements_, "SELECT value FROM store_revision WHERE id = 1");
  if (!revision.ok() || revision.Step() != SQLITE_ROW)
    return SqliteError(db_, "reading the store revision");
  Statement query(db_, statements_, "SELECT kind, id, parent_key, body, version FROM resources");
  if (!query.ok()) return SqliteError(db_, "preparing the cache load");
  std::vector<Resource> rows;
  int rc;
  while ((rc = query.Step()) == SQLITE_ROW) rows.push_back(Row(query));
  if (rc != SQLITE_DONE) return SqliteError(db_, "loading the cache");
  cache_.Reset(std::move(rows), static_cast<std::uint64_t>(revision.Int(0)));
  return OkStatus();
}

Status SqliteStore::Migrate() {
  if (Status status =
          Exec(db_, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)");
      !status.ok()) {
    return status;
  }
  Statement current(db_, statements_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
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

// Group commit: a writer that finds no commit running leads one transaction for every write
// queued by then, each in a savepoint of its own (a write refused by its precondition is rolled
// back alone, and each later write sees the earlier ones), and one fsync makes them all durable.
// The others wait for their result; one of them leads the next group.
Result<std::vector<Resource>> SqliteStore::Commit(const std::vector<Mutation>& mutations,
                                                  bool missing_ok) {
  QueuedWrite mine{&mutations, missing_ok, std::nullopt};
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(&mine);
  written_.wait(lock, [&] { return mine.result.has_value() || !leading_; });
  if (mine.result) return std::move(*mine.result);
  leading_ = true;
  const std::size_t size = std::min(queue_.size(), kMaxGroup);
  std::vector<QueuedWrite*> group(queue_.begin(), queue_.begin() + static_cast<long>(size));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(size));
  lock.unlock();
  std::vector<Result<std::vector<Resource>>> results = CommitGroup(group);
  lock.lock();  // the others read their results under the lock
  for (std::size_t i = 0; i < group.size(); ++i) group[i]->result = std::move(results[i]);
  leading_ = false;
  written_.notify_all();
  return std::move(*mine.result);
}

std::vector<Result<std::vector<Resource>>> SqliteStore::CommitGroup(
    const std::vector<QueuedWrite*>& group) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<Result<std::vector<Resource>>> results;
  auto fail_all = [&](const Error& error) {
    return std::vector<Result<std::vector<Resource>>>(group.size(), error);
  };
  const auto run = [this](const char* sql) -> Status {
    Statement statement(db_, statements_, sql);
    if (statement.ok() && statement.Step() == SQLITE_DONE) return OkStatus();
    return SqliteError(db_, sql);
  };
  if (Status begun = run("BEGIN IMMEDIATE"); !begun.ok()) return fail_all(begun.error());
  std::vector<ResourceCache::Commit> commits(group.size());
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (Status saved = run("SAVEPOINT write"); !saved.ok()) {
      (void)run("ROLLBACK");
      return fail_all(saved.error());
    }
    results.push_back(ApplyLocked(*group[i]->mutations, group[i]->missing_ok, commits[i]));
    if (!results.back().ok()) {
      (void)run("ROLLBACK TO write");
      commits[i] = ResourceCache::Commit();
    }
    if (Status released = run("RELEASE write"); !released.ok()) {
      (void)run("ROLLBACK");
      return fail_all(released.error());
    }
  }
  if (Status committed = run("COMMIT"); !committed.ok()) {
    (void)run("ROLLBACK");
    return fail_all(committed.error());
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  metrics::ObserveCommit("sqlite", took.count(), group.size());
  for (ResourceCache::Commit& commit : commits) {
    if (commit.revision != 0) cache_.Apply(std::move(commit));
  }
  return results;
}

Result<std::vector<Resource>> SqliteStore::ApplyLocked(const std::vector<Mutation>& mutations,
                                                       bool missing_ok,
                                                       ResourceCache::Commit& commit) {
  std::vector<Resource> stored;
  for (const Mutation& mutation : mutations) {
    const Resource& target = mutation.resource;
    Status status = OkStatus();
    switch (mutation.type) {
      case Mutation::Type::kPut: {
        auto put = PutLocked(target, mutation.precondition, commit);
        if (!put) return put.error();
        stored.push_back(std::move(put.value()));
        break;
      }
      case Mutation::Type::kDelete:
        status = DeleteLocked(target.kind, target.id, mutation.precondition, missing_ok, commit);
        break;
      case Mutation::Type::kCheck:
        status = CheckLocked(target.kind, target.id, mutation.precondition);
        break;
    }
    if (!status.ok()) return status.error();
  }
  if (commit.changes.empty()) return stored;
  Statement bump(db_, statements_,
                 "UPDATE store_revision SET value = value + 1 WHERE id = 1 RETURNING value");
  if (!bump.ok() || bump.Step() != SQLITE_ROW) return SqliteError(db_, "moving the revision");
  commit.revision = static_cast<std::uint64_t>(bump.Int(0));
  return stored;
}

Status SqliteStore::CheckLocked(std::string_view kind, std::string_view id,
                                Precondition precondition) {
  Statement current(db_, statements_, "SELECT version FROM resources WHERE kind = ? AND key = ?");
  if (!current.ok()) return SqliteError(db_, "preparing a check");
  current.Bind(1, kind).Bind(2, IdKey(id));
  const int rc = current.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteError(db_, "reading for a check");
  const std::int64_t existing = rc == SQLITE_ROW ? current.Int(0) : 0;
  if (!precondition.HoldsAt(existing)) return PreconditionFailed(id);
  return OkStatus();
}

Result<Resource> SqliteStore::PutLocked(const Resource& resource, Precondition precondition,
                                        ResourceCache::Commit& commit) {
  Statement current(db_, statements_,
                    "SELECT version, id FROM resources WHERE kind = ? AND key = ?");
  if (!current.ok()) return SqliteError(db_, "preparing a write");
  current.Bind(1, resource.kind).Bind(2, IdKey(resource.id));
  const int rc = current.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteError(db_, "reading before a write");
  const std::int64_t existing = rc == SQLITE_ROW ? current.Int(0) : 0;
  if (!precondition.HoldsAt(existing)) return PreconditionFailed(resource.id);
  Resource stored = resource;
  stored.version = existing + 1;
  stored.parent = IdKey(resource.parent);
  if (rc == SQLITE_ROW)
    stored.id = current.Text(1);  // the row keeps the id's first casing, as ARM does
  Statement write(db_, statements_,
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
  commit.Put(stored);
  return stored;
}

Status SqliteStore::DeleteLocked(std::string_view kind, std::string_view id,
                                 Precondition precondition, bool missing_ok,
                                 ResourceCache::Commit& commit) {
  const std::string key = IdKey(id);
  Statement current(db_, statements_, "SELECT version FROM resources WHERE kind = ? AND key = ?");
  if (!current.ok()) return SqliteError(db_, "preparing a delete");
  current.Bind(1, kind).Bind(2, key);
  const int rc = current.Step();
  if (rc == SQLITE_DONE) {
    if (missing_ok) return OkStatus();
    return MakeError(StatusCode::kNotFound, "NotFound", std::string(id) + " does not exist");
  }
  if (rc != SQLITE_ROW) return SqliteError(db_, "reading before a delete");
  if (!precondition.HoldsAt(current.Int(0))) return PreconditionFailed(id);
  Statement remove(db_, statements_, "DELETE FROM resources WHERE kind = ? AND key = ?");
  if (!remove.ok()) return SqliteError(db_, "preparing a delete");
  remove.Bind(1, kind).Bind(2, key);
  if (remove.Step() != SQLITE_DONE) return SqliteError(db_, "deleting " + std::string(id));
  // Children's keys start with the parent's key and a slash, whatever their kind: the keys from
  // "KEY/" up to "KEY0" ('0' follows '/'), an index range.
  Statement children(db_, statements_, "DELETE FROM resources WHERE key >= ? AND key < ?");
  if (!children.ok()) return SqliteError(db_, "preparing a delete");
  children.Bind(1, key + "/").Bind(2, key + "0");
  if (children.Step() != SQLITE_DONE) return SqliteError(db_, "deleting under " + std::string(id));
  commit.Delete(std::string(kind), std::string(id));
  return OkStatus();
}

}  // namespace gangplank::store

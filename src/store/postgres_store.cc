// PostgreSQL-backed Store: numbered migrations, a store-wide revision, change records for the
// replicas' caches, LISTEN/NOTIFY as the change feed.
#include "store/postgres_store.h"

#include <poll.h>

#include <array>
#include <cstdlib>

#include "common/random.h"
#include "metrics/metrics.h"
#include "store/pg_connection.h"

namespace gangplank::store {
namespace {

constexpr std::string_view kChannel = "gangplank_changes";
constexpr std::string_view kAppliedChannel = "gangplank_applied";  // payload "REPLICA:REVISION"
constexpr auto kReadLease = std::chrono::seconds(2);
constexpr auto kLeaseMargin = std::chrono::milliseconds(300);   // clock and scheduling slack
constexpr auto kRenewEvery = std::chrono::milliseconds(500);

// Each entry moves the schema one version forward; never edit a shipped entry, add a new one.
constexpr std::array<const char*, 2> kMigrations = {
    R"sql(
    CREATE TABLE store_revision (
      id integer PRIMARY KEY CHECK (id = 1),
      value bigint NOT NULL,      -- the revision of the newest committed write
      compacted bigint NOT NULL   -- deletion records up to here are gone: replicas behind reload
    );
    INSERT INTO store_revision (id, value, compacted) VALUES (1, 1, 0);
    CREATE TABLE resources (
      kind text NOT NULL,
      key text NOT NULL,
      id text NOT NULL,
      parent_key text NOT NULL,
      body text NOT NULL,
      version bigint NOT NULL,
      revision bigint NOT NULL,
      PRIMARY KEY (kind, key)
    );
    CREATE INDEX resources_by_revision ON resources (revision);
    CREATE INDEX resources_by_key ON resources (key text_pattern_ops);
    CREATE TABLE deletions (
      kind text NOT NULL,
      key text NOT NULL,
      revision bigint NOT NULL,
      deleted_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (kind, key)
    );
    CREATE INDEX deletions_by_revision ON deletions (revision);
    )sql",
    // Read leases of the replicas (see postgres_store.h).
    R"sql(
    CREATE TABLE replica_leases (
      name text PRIMARY KEY,
      until timestamptz NOT NULL
    );
    )sql",
};

// An Unavailable that came back at once: a connection the server had dropped, worth one retry.
bool FailedAtOnce(const Error& error, std::chrono::steady_clock::time_point started) {
  return error.code == StatusCode::kUnavailable &&
         std::chrono::steady_clock::now() - started < std::chrono::milliseconds(100);
}

Error PreconditionFailed(std::string_view id) {
  return MakeError(StatusCode::kAborted, "PreconditionFailed",
                   std::string(id) + " was changed by another request; read it again and retry");
}

// `key LIKE prefix || '/%'` with the prefix's own wildcards escaped.
std::string ChildPattern(const std::string& key) {
  std::string pattern;
  for (char c : key) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  return pattern + "/%";
}

Resource RowAt(const PgRows& rows, int row, int first_column) {
  return Resource{rows.Text(row, first_column), rows.Text(row, first_column + 1),
                  rows.Text(row, first_column + 2), rows.Text(row, first_column + 3),
                  rows.Int(row, first_column + 4)};
}

}  // namespace

PostgresStore::PostgresStore(std::string uri)
    : uri_(std::move(uri)),
      writer_(std::make_unique<PgConnection>(uri_)),
      reader_(std::make_unique<PgConnection>(uri_)),
      name_(NewUuid()) {}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& uri,
                                                           bool change_feed) {
  std::unique_ptr<PostgresStore> store(new PostgresStore(uri));
  if (Status connected = store->writer_->Connect(); !connected.ok()) {
    Error error = connected.error();
    error.message = "cannot open the store at " + RedactedUri(uri) + ": " + error.message;
    return error;
  }
  if (Status migrated = store->Migrate(); !migrated.ok()) return migrated.error();
  if (Status measured = store->MeasureClock(*store->writer_); !measured.ok())
    return measured.error();
  if (Status loaded = store->Reload(); !loaded.ok()) return loaded.error();
  store->change_feed_ = change_feed;
  if (change_feed) store->feed_ = std::thread([raw = store.get()] { raw->FeedLoop(); });
  return store;
}

PostgresStore::~PostgresStore() {
  stopping_ = true;
  if (feed_.joinable()) feed_.join();
}

Status PostgresStore::Migrate() {
  PgConnection& db = *writer_;
  // Replicas starting together: one migrates, the others wait on the lock and find it done.
  if (auto locked = db.Exec("SELECT pg_advisory_lock(424242)", {}, std::chrono::seconds(60));
      !locked) {
    return locked.error();
  }
  auto unlock = [&] { (void)db.Exec("SELECT pg_advisory_unlock(424242)"); };
  auto created =
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY)");
  auto current = created ? db.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                         : std::move(created);
  if (!current) {
    unlock();
    return current.error();
  }
  schema_version_ = static_cast<int>(current->Int(0, 0));
  if (schema_version_ > static_cast<int>(kMigrations.size())) {
    unlock();
    return MakeError(StatusCode::kFailedPrecondition, "StoreTooNew",
                     "the store has schema version " + std::to_string(schema_version_) +
                         ", newer than this gangplankd knows; run a newer gangplankd");
  }
  for (std::size_t i = static_cast<std::size_t>(schema_version_); i < kMigrations.size(); ++i) {
    const std::string script = std::string("BEGIN;") + kMigrations[i] +
                               "INSERT INTO schema_migrations (version) VALUES (" +
                               std::to_string(i + 1) + "); COMMIT;";
    // A multi-statement script runs as a simple query (no parameters).
    if (auto applied = db.Exec(script, {}, std::chrono::seconds(60)); !applied) {
      db.Rollback();
      unlock();
      return applied.error();
    }
    schema_version_ = static_cast<int>(i + 1);
  }
  unlock();
  return OkStatus();
}

Status PostgresStore::Reload() {
  PgConnection& db = *reader_;  // only the one running catch-up (or Open) uses it
  // One snapshot for the revision and the rows.
  auto begun = db.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!begun) return begun.error();
  auto revision = db.Exec("SELECT value FROM store_revision WHERE id = 1");
  auto rows = revision ? db.Exec("SELECT kind, id, parent_key, body, version FROM resources",
                                 {}, std::chrono::seconds(60))
                       : std::move(revision);
  if (!rows) {
    db.Rollback();
    return rows.error();
  }
  (void)db.Exec("COMMIT");
  std::vector<Resource> loaded;
  loaded.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) loaded.push_back(RowAt(*rows, i, 0));
  cache_.Reset(std::move(loaded), static_cast<std::uint64_t>(revision->Int(0, 0)));
  return OkStatus();
}

Result<std::uint64_t> PostgresStore::CatchUp() {
  const std::uint64_t from = cache_.Revision();
  const std::string after = std::to_string(from);
  // One statement, so one snapshot: the revision and every change up to it. Deletion records
  // come before puts of the same revision (a put of a key removes its older deletion record).
  const std::string_view sql =
      "SELECT r.value, r.compacted, c.revision, c.deleted, c.kind, c.id, c.parent_key, c.body, "
      "c.version FROM store_revision r LEFT JOIN LATERAL ("
      "  SELECT revision, false AS deleted, kind, id, parent_key, body, version"
      "  FROM resources WHERE revision > $1"
      "  UNION ALL SELECT revision, true, kind, key, '', '', 0 FROM deletions WHERE revision > $1"
      ") c ON true WHERE r.id = 1 ORDER BY c.revision, c.deleted DESC";
  // Most barriers find nothing new: one cheap prepared read of the revision answers them.
  constexpr std::string_view kNewest = "SELECT value FROM store_revision WHERE id = 1";
  const auto started = std::chrono::steady_clock::now();
  auto newest_row = reader_->ExecPrepared("newest_revision", kNewest, {});
  // A connection the server dropped since its last use fails at once: try a fresh one (but not
  // after a deadline ran out: the server does not answer, and a second wait helps nobody).
  if (!newest_row && FailedAtOnce(newest_row.error(), started))
    newest_row = reader_->ExecPrepared("newest_revision", kNewest, {});
  if (!newest_row) return newest_row.error();
  if (static_cast<std::uint64_t>(newest_row->Int(0, 0)) == from) return from;
  auto rows = reader_->ExecPrepared("changes_after", sql, {after});
  if (!rows) return rows.error();
  const auto newest = static_cast<std::uint64_t>(rows->Int(0, 0));
  const auto compacted = static_cast<std::uint64_t>(rows->Int(0, 1));
  if (newest == from) return newest;
  if (compacted > from) {
    if (Status reloaded = Reload(); !reloaded.ok()) return reloaded.error();
    return cache_.Revision();
  }
  ResourceCache::Commit commit;
  for (int i = 0; i < rows->size(); ++i) {
    if (rows->IsNull(i, 2)) continue;
    const auto revision = static_cast<std::uint64_t>(rows->Int(i, 2));
    if (revision != commit.revision && !commit.changes.empty()) {
      cache_.Apply(std::move(commit));
      commit = {};
    }
    commit.revision = revision;
    if (rows->Bool(i, 3)) {
      commit.Delete(rows->Text(i, 4), rows->Text(i, 5));
    } else {
      commit.Put(RowAt(*rows, i, 4));
    }
  }
  if (!commit.changes.empty()) cache_.Apply(std::move(commit));
  // The newest revision may have left no record of its own (its rows changed again since).
  ResourceCache::Commit last;
  last.revision = newest;
  cache_.Apply(std::move(last));
  return newest;
}

Error PostgresStore::Away() const {
  return MakeError(StatusCode::kUnavailable, "StoreUnavailable",
                   "the PostgreSQL store does not answer; this replica reconnects by itself, "
                   "retry shortly");
}

Status PostgresStore::Ready() const {
  if (KnownAway()) return Away();
  if (!HoldsReadLease()) {
    return MakeError(StatusCode::kUnavailable, "StoreUnavailable",
                     "this replica's change feed does not reach the PostgreSQL store yet (no "
                     "read lease); it reconnects by itself");
  }
  return OkStatus();
}

std::optional<long long> PostgresStore::SharedClockMs() const {
  const long long steady = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  return steady + clock_offset_ms_.load();
}

Status PostgresStore::MeasureClock(PgConnection& db) {
  const auto sent = std::chrono::steady_clock::now();
  auto rows = db.ExecPrepared(
      "server_clock", "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint", {});
  if (!rows) return rows.error();
  NoteServerClock(sent, rows->Int(0, 0));
  return OkStatus();
}

void PostgresStore::NoteServerClock(std::chrono::steady_clock::time_point sent,
                                    long long server_ms) {
  // The server read its clock somewhere between sending and receiving: take the middle.
  const auto received = std::chrono::steady_clock::now();
  const long long middle =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          (sent.time_since_epoch() + received.time_since_epoch()) / 2)
          .count();
  clock_offset_ms_ = server_ms - middle;
}

Result<std::uint64_t> PostgresStore::Sync() {
  // Every write acknowledged so far has been applied here already, or its writer is still
  // waiting for this replica (see AwaitReplicas).
  if (std::chrono::steady_clock::now().time_since_epoch().count() < read_lease_until_.load())
    return cache_.Revision();
  if (KnownAway()) return Away();
  return Barrier(false);
}

Result<std::uint64_t> PostgresStore::Barrier(bool probe) {
  std::unique_lock lock(sync_mutex_);
  // A catch-up that is already running may have read the database before this call: wait for
  // one that starts after it. Callers that arrive together share that one.
  const std::uint64_t needed = syncs_started_ + 1;
  for (;;) {
    if (syncs_finished_ >= needed) {
      if (last_sync_error_) return *last_sync_error_;
      return cache_.Revision();
    }
    // The one that ran meanwhile found the database away: a request does not wait out another.
    if (!probe && KnownAway()) return Away();
    if (!sync_running_) break;
    sync_done_.wait(lock);
  }
  sync_running_ = true;
  const std::uint64_t ticket = ++syncs_started_;
  lock.unlock();
  Result<std::uint64_t> result = CatchUp();
  if (!result && result.error().code == StatusCode::kUnavailable) away_ = true;
  lock.lock();
  sync_running_ = false;
  syncs_finished_ = ticket;
  last_sync_error_ = result.ok() ? std::nullopt : std::optional<Error>(result.error());
  sync_done_.notify_all();
  return result;
}

// The statements of one mutation inside the transaction that holds revision `revision`.
struct PostgresStore::Writer {
  PgConnection& db;
  std::string revision;
  ResourceCache::Commit& commit;

  Result<std::int64_t> VersionOf(const std::string& kind, const std::string& key) {
    auto rows = db.ExecPrepared("version_of",
                                "SELECT version FROM resources WHERE kind = $1 AND key = $2",
                                {kind, key});
    if (!rows) return rows.error();
    return rows->size() == 0 ? std::int64_t{0} : rows->Int(0, 0);
  }

  Result<Resource> Put(const Resource& resource, Precondition precondition) {
    const std::string key = IdKey(resource.id);
    const std::string parent = IdKey(resource.parent);
    // Writing a key again forgets its deletion record: replicas take the row as it now is.
    static constexpr std::string_view kForget =
        "WITH forget AS (DELETE FROM deletions WHERE kind = $1 AND key = $2) ";
    std::string sql(kForget);
    std::vector<std::string> params;
    // Prepared once per form (parsed and planned once): most writes are puts.
    const char* name = !precondition.version ? "put_upsert"
                       : *precondition.version == 0 ? "put_insert"
                                                    : "put_update";
    if (!precondition.version || *precondition.version == 0) {
      sql += "INSERT INTO resources (kind, key, id, parent_key, body, version, revision) "
             "VALUES ($1, $2, $3, $4, $5, 1, $6) ON CONFLICT (kind, key) ";
      sql += precondition.version ? "DO NOTHING "
                                  : "DO UPDATE SET body = excluded.body, "
                                    "version = resources.version + 1, revision = excluded.revision ";
      sql += "RETURNING id, version";
      params = {resource.kind, key, resource.id, parent, resource.body, revision};
    } else {
      const bool any_version = *precondition.version == Precondition::kExists;
      sql += "UPDATE resources SET body = $3, version = version + 1, revision = $4 "
             "WHERE kind = $1 AND key = $2 AND (version = $5 OR $5 = -1) RETURNING id, version";
      params = {resource.kind, key, resource.body, revision,
                any_version ? "-1" : std::to_string(*precondition.version)};
    }
    auto rows = db.ExecPrepared(name, sql, params);
    if (!rows) return rows.error();
    if (rows->size() == 0) return PreconditionFailed(resource.id);
    Resource stored = resource;
    stored.id = rows->Text(0, 0);  // the row keeps the id's first casing, as ARM does
    stored.version = rows->Int(0, 1);
    stored.parent = parent;
    commit.Put(stored);
    return stored;
  }

  Status Delete(const Resource& target, Precondition precondition, bool missing_ok) {
    const std::string key = IdKey(target.id);
    auto existing = VersionOf(target.kind, key);
    if (!existing) return existing.error();
    if (*existing == 0) {
      if (missing_ok) return OkStatus();
      return MakeError(StatusCode::kNotFound, "NotFound", target.id + " does not exist");
    }
    if (!precondition.HoldsAt(*existing))
      return PreconditionFailed(target.id);
    // Children's ids start with the parent's id and a slash, whatever their kind; each row
    // deleted leaves a record the replicas' caches follow. (Not prepared: a generic plan of
    // `LIKE $3` could not use the prefix index.)
    auto deleted = db.Exec(
        "WITH gone AS (DELETE FROM resources WHERE (kind = $1 AND key = $2) OR key LIKE $3 "
        "RETURNING kind, key) INSERT INTO deletions (kind, key, revision) "
        "SELECT kind, key, $4 FROM gone ON CONFLICT (kind, key) DO UPDATE SET "
        "revision = excluded.revision, deleted_at = now()",
        {target.kind, key, ChildPattern(key), revision});
    if (!deleted) return deleted.error();
    commit.Delete(target.kind, target.id);
    return OkStatus();
  }

  Status Check(const Resource& target, Precondition precondition) {
    auto existing = VersionOf(target.kind, IdKey(target.id));
    if (!existing) return existing.error();
    if (!precondition.HoldsAt(*existing))
      return PreconditionFailed(target.id);
    return OkStatus();
  }
};

Result<std::vector<Resource>> PostgresStore::Commit(const std::vector<Mutation>& mutations,
                                                    bool missing_ok) {
  // Group commit: batches that arrive while a transaction is being written wait and go together
  // into the next one, each under a savepoint of its own, so one fsync makes many durable and a
  // batch whose precondition fails takes nothing of the others with it.
  if (KnownAway()) return Away();
  PendingBatch batch{&mutations, missing_ok, MakeError(StatusCode::kInternal, "NotRun", "")};
  std::unique_lock lock(group_mutex_);
  queue_.push_back(&batch);
  group_done_.wait(lock, [&] { return batch.done || !group_running_; });
  if (batch.done) return std::move(batch.result);
  group_running_ = true;
  while (!queue_.empty()) {
    std::vector<PendingBatch*> group(queue_.begin(), queue_.end());
    queue_.clear();
    lock.unlock();
    if (KnownAway()) {
      for (PendingBatch* member : group) member->result = Away();
    } else {
      WriteGroup(group);
    }
    lock.lock();
    for (PendingBatch* member : group) member->done = true;
    group_done_.notify_all();
    if (batch.done) break;
  }
  group_running_ = false;
  group_done_.notify_all();  // a batch queued meanwhile leads the next group
  return std::move(batch.result);
}

Result<std::vector<Resource>> PostgresStore::WriteBatch(PendingBatch& batch, Writer& writer) {
  std::vector<Resource> stored;
  for (const Mutation& mutation : *batch.mutations) {
    Status status = OkStatus();
    switch (mutation.type) {
      case Mutation::Type::kPut: {
        auto put = writer.Put(mutation.resource, mutation.precondition);
        if (!put) return put.error();
        stored.push_back(std::move(put.value()));
        break;
      }
      case Mutation::Type::kDelete:
        status = writer.Delete(mutation.resource, mutation.precondition, batch.missing_ok);
        break;
      case Mutation::Type::kCheck:
        status = writer.Check(mutation.resource, mutation.precondition);
        break;
    }
    if (!status.ok()) return status.error();
  }
  return stored;
}

void PostgresStore::WriteGroup(const std::vector<PendingBatch*>& group) {
  std::lock_guard connection(write_mutex_);
  PgConnection& db = *writer_;
  const auto fail_all = [&](const Error& error) {
    if (error.code == StatusCode::kUnavailable) away_ = true;
    for (PendingBatch* member : group) member->result = error;
  };
  // A connection the server dropped since its last use fails at once: try a fresh one.
  const auto started = std::chrono::steady_clock::now();
  auto begun = db.Exec("BEGIN");
  if (!begun && FailedAtOnce(begun.error(), started)) begun = db.Exec("BEGIN");
  if (!begun) return fail_all(begun.error());
  // Taking the revision row first serialises writers store-wide: revisions commit in order, so
  // "every change after r" is exact, and each statement below sees every earlier commit.
  auto bumped = db.ExecPrepared(
      "bump_revision",
      "UPDATE store_revision SET value = value + 1 WHERE id = 1 "
      "RETURNING value, pg_notify('" + std::string(kChannel) + "', value::text)",
      {});
  if (!bumped) {
    db.Rollback();
    return fail_all(bumped.error());
  }
  ResourceCache::Commit commit;
  commit.revision = static_cast<std::uint64_t>(bumped->Int(0, 0));
  const bool alone = group.size() == 1;
  for (PendingBatch* member : group) {
    // Alone, a failed batch rolls the whole transaction back; in a group, its savepoint.
    if (!alone) {
      if (auto saved = db.Exec("SAVEPOINT batch"); !saved) {
        db.Rollback();
        return fail_all(saved.error());
      }
    }
    ResourceCache::Commit own;
    own.revision = commit.revision;
    Writer writer{db, std::to_string(commit.revision), own};
    member->result = WriteBatch(*member, writer);
    const bool ok = member->result.ok();
    if (!ok && member->result.error().code == StatusCode::kUnavailable) {
      // The connection is gone, and the transaction with it: nothing of the group was written.
      const Error lost = member->result.error();
      db.Rollback();
      return fail_all(lost);
    }
    if (!alone) {
      auto ended = db.Exec(ok ? "RELEASE SAVEPOINT batch" : "ROLLBACK TO SAVEPOINT batch");
      if (!ended) {
        db.Rollback();
        return fail_all(ended.error());
      }
    }
    if (ok) {
      for (auto& change : own.changes) commit.changes.push_back(std::move(change));
    }
  }
  // Nothing changed (checks only, deletes of absent rows, failed preconditions): no revision.
  if (commit.changes.empty()) {
    db.Rollback();
    return;
  }
  if (auto committed = db.Exec("COMMIT"); !committed) {
    db.Rollback();
    // Whether it committed is unknown (the server may have made it durable and then stopped
    // answering): every batch that would have is told so, and that repeating it is the remedy.
    Error unknown = committed.error();
    if (unknown.code == StatusCode::kUnavailable) {
      away_ = true;
      unknown.reason = "StoreUnavailable";
      unknown.message =
          "the PostgreSQL store stopped answering while this write was being committed, so it "
          "may or may not have been made; read the resource again, or repeat the request once "
          "the store answers (repeating a PUT or DELETE is safe)";
    }
    for (PendingBatch* member : group)
      if (member->result.ok()) member->result = unknown;
    return;
  }
  // The commit follows the cache's revision directly, or others committed in between and a
  // catch-up brings them all (this one with them). When the catch-up fails, the write is still
  // durable; the next sync brings it.
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  metrics::ObserveCommit("postgresql", took.count(), group.size());
  const std::uint64_t revision = commit.revision;
  if (!cache_.ApplyNext(std::move(commit))) (void)Barrier(true);
  AwaitReplicas(revision);
}

void PostgresStore::AwaitReplicas(std::uint64_t revision) {
  const auto committed = std::chrono::steady_clock::now();
  auto others = writer_->ExecPrepared(
      "live_replicas",
      "SELECT name, (EXTRACT(EPOCH FROM until - now()) * 1000)::bigint FROM replica_leases "
      "WHERE until > now() AND name <> $1",
      {name_});
  if (!others) {
    // Who holds a lease cannot be read: wait until any lease there was at the commit has run out
    // (the failed look took part of that already).
    std::this_thread::sleep_until(committed + kReadLease);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(applied_mutex_);
  for (int i = 0; i < others->size(); ++i) {
    const std::string name = others->Text(i, 0);
    const auto deadline = now + std::chrono::milliseconds(others->Int(i, 1));
    applied_changed_.wait_until(lock, deadline, [&] {
      const auto found = applied_.find(name);
      return found != applied_.end() && found->second >= revision;
    });
  }
}

Status PostgresStore::CompactChanges(std::chrono::seconds age) {
  std::lock_guard lock(write_mutex_);
  return CompactWith(*writer_, age);
}

Status PostgresStore::CompactWith(PgConnection& db, std::chrono::seconds age) {
  auto compacted = db.Exec(
      "WITH gone AS (DELETE FROM deletions WHERE deleted_at < now() - make_interval(secs => $1) "
      "RETURNING revision) UPDATE store_revision SET compacted = GREATEST(compacted, "
      "(SELECT MAX(revision) FROM gone)) WHERE id = 1 AND EXISTS (SELECT 1 FROM gone)",
      {std::to_string(age.count())});
  if (!compacted) return compacted.error();
  return OkStatus();
}

void PostgresStore::RenewReadLease(PgConnection& listener) {
  const auto sent = std::chrono::steady_clock::now();
  if (sent < next_renewal_) return;
  auto renewed = listener.ExecPrepared(
      "renew_read_lease",
      "INSERT INTO replica_leases (name, until) VALUES ($1, now() + make_interval(secs => $2)) "
      "ON CONFLICT (name) DO UPDATE SET until = excluded.until "
      "RETURNING (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint",
      {name_, std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kReadLease).count())});
  if (renewed) NoteServerClock(sent, renewed->Int(0, 0));
  // Writers that looked for leaseholders before this renewal committed did not wait for this
  // replica: a catch-up that starts after it brings whatever they wrote. Only then is the
  // lease relied on.
  if (!renewed || !Barrier(true)) {
    read_lease_until_ = 0;
    if (!renewed && renewed.error().code == StatusCode::kUnavailable) away_ = true;
    return;
  }
  away_ = false;  // the database answers again
  // The row says the lease runs until (server time at the insert) + kReadLease; counted from
  // before the request was sent, this replica stops relying on it earlier than any writer does.
  read_lease_until_ = (sent + kReadLease - kLeaseMargin).time_since_epoch().count();
  next_renewal_ = sent + kRenewEvery;
}

void PostgresStore::FeedLoop() {
  PgConnection listener(uri_);
  bool listening = false;
  auto next_compaction = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  int quiet_rounds = 0;
  std::uint64_t announced = 0;
  while (!stopping_) {
    if (!listening) {
      read_lease_until_ = 0;  // nothing tells this replica of others' writes: no fast reads
      listening = listener.Exec("LISTEN " + std::string(kChannel)).ok() &&
                  listener.Exec("LISTEN " + std::string(kAppliedChannel)).ok();
      announced = 0;
      if (!listening) {
        away_ = true;
        // The database is away: the one-second poll below keeps trying.
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    }
    bool notified = false;
    if (listening) {
      // What libpq already read (during this connection's own statements) is drained first;
      // only then is the socket waited on. Wake at least every 250 ms: a notification lost with
      // a dropped connection is found by the catch-up that follows anyway.
      auto notifications = listener.TakeNotifications();
      if (notifications && notifications->empty()) {
        pollfd fd{listener.Socket(), POLLIN, 0};
        if (::poll(&fd, 1, 250) > 0) notifications = listener.TakeNotifications();
      }
      if (!notifications) {
        listening = false;
        read_lease_until_ = 0;
        away_ = true;
        continue;
      }
      for (const auto& notification : *notifications) {
        if (notification.channel == kChannel) {
          notified = true;
          continue;
        }
        // Another replica applied a revision: a writer here may be waiting for it.
        const auto colon = notification.payload.rfind(':');
        if (colon == std::string::npos) continue;
        const std::uint64_t revision =
            std::strtoull(notification.payload.c_str() + colon + 1, nullptr, 10);
        {
          std::lock_guard lock(applied_mutex_);
          auto& seen = applied_[notification.payload.substr(0, colon)];
          seen = std::max(seen, revision);
        }
        applied_changed_.notify_all();
      }
    }
    if (notified || ++quiet_rounds >= 4) {
      quiet_rounds = 0;
      auto caught_up = Barrier(true);
      // Tell writers this replica has what they wrote (they wait for it before acknowledging).
      if (listening && caught_up && *caught_up > announced) {
        if (listener
                .ExecPrepared("announce_applied", "SELECT pg_notify('gangplank_applied', $1)",
                              {name_ + ":" + std::to_string(*caught_up)})
                .ok()) {
          announced = *caught_up;
        }
      }
    }
    if (listening) RenewReadLease(listener);
    if (std::chrono::steady_clock::now() >= next_compaction) {
      // On the feed's own connection: a writer waiting for other replicas holds the writer's.
      if (listening) (void)CompactWith(listener, std::chrono::hours(1));
      next_compaction = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    }
  }
  // A clean stop gives the lease back, so no writer waits for this replica.
  read_lease_until_ = 0;
  if (listening) {
    (void)listener.Exec("DELETE FROM replica_leases WHERE name = $1", {name_},
                        std::chrono::seconds(1));
  }
}

}  // namespace gangplank::store

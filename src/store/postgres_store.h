// Store on PostgreSQL (libpq): any number of gangplankd replicas share one database. Writes are
// serialised by a store-wide revision row; each replica keeps a cache that a change feed
// (LISTEN/NOTIFY, with a one-second poll as fallback) and a read barrier keep current.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/cached_store.h"

namespace gangplank::store {

class PgConnection;

class PostgresStore final : public CachedStore {
 public:
  // `uri` is a libpq URI or key=value string (postgresql://USER@HOST:PORT/DB). Without the
  // change feed the cache moves only with Sync and this process's own writes (tests use that to
  // hold a replica behind).
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& uri,
                                                     bool change_feed = true);
  ~PostgresStore() override;

  Result<std::uint64_t> Sync() override;

  int schema_version() const { return schema_version_; }
  // Deletes change records older than `age` (replicas further behind reload everything).
  Status CompactChanges(std::chrono::seconds age);

 private:
  Result<std::vector<Resource>> Commit(const std::vector<Mutation>& mutations,
                                       bool missing_ok) override;
  explicit PostgresStore(std::string uri);
  Status Migrate();
  // One catch-up from the database into the cache (the body of Sync, run by one caller at a time).
  Result<std::uint64_t> CatchUp();
  Status Reload();
  void FeedLoop();

  const std::string uri_;
  int schema_version_ = 0;
  struct Writer;
  // One caller's batch waiting for (or written by) a group commit.
  struct PendingBatch {
    const std::vector<Mutation>* mutations;
    bool missing_ok;
    Result<std::vector<Resource>> result;
    bool done = false;
  };
  Result<std::vector<Resource>> WriteBatch(PendingBatch& batch, Writer& writer);
  // Writes `group` in one transaction (one revision); sets each batch's result.
  void WriteGroup(const std::vector<PendingBatch*>& group);

  std::mutex write_mutex_;  // the writer connection, for CompactChanges beside the group commit
  std::unique_ptr<PgConnection> writer_;
  std::mutex group_mutex_;
  std::condition_variable group_done_;
  std::vector<PendingBatch*> queue_;
  bool group_running_ = false;
  // Sync coalescing: callers that arrive while a catch-up runs share the next one.
  std::mutex sync_mutex_;
  std::condition_variable sync_done_;
  std::unique_ptr<PgConnection> reader_;
  bool sync_running_ = false;
  std::uint64_t syncs_started_ = 0;
  std::uint64_t syncs_finished_ = 0;
  std::optional<Error> last_sync_error_;
  std::atomic<bool> stopping_{false};
  std::thread feed_;
};

}  // namespace gangplank::store

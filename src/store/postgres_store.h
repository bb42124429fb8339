// Store on PostgreSQL (libpq): any number of gangplankd replicas share one database. Writes are
// serialised by a store-wide revision row; each replica keeps a cache that a change feed
// (LISTEN/NOTIFY, with a one-second poll as fallback) keeps current.
//
// Reads on any replica reflect every write acknowledged before them, by read leases: a replica
// whose feed works holds a lease (a row renewed every half second, lasting two, and relied on
// only after a catch-up that started once the row was written); a write is
// acknowledged only once every other replica holding a lease has applied it (each says so on a
// channel of its own) or its lease has run out. A replica with a live lease therefore answers
// reads from its cache at once; without one (its feed is down, or it runs without a feed) every
// read first catches up with the database.
#pragma once

#include <atomic>
#include <condition_variable>
#include <limits>
#include <map>
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

  // At once while this replica holds its read lease; otherwise one catch-up with the database;
  // at once Unavailable while the database is known to be away.
  Result<std::uint64_t> Sync() override;
  // Ready while the change feed reaches the database and this replica holds its read lease.
  Status Ready() const override;
  // The database server's clock: this host's monotonic clock plus the offset the change feed
  // measures on every lease renewal (two round trips a second), so no call waits on the network.
  std::optional<long long> SharedClockMs() const override;

  int schema_version() const { return schema_version_; }
  // True while this replica answers reads from its cache without a round trip.
  bool HoldsReadLease() const {
    return std::chrono::steady_clock::now().time_since_epoch().count() < read_lease_until_.load();
  }
  const std::string& replica_name() const { return name_; }
  // Deletes change records older than `age` (replicas further behind reload everything).
  Status CompactChanges(std::chrono::seconds age);

 private:
  Result<std::vector<Resource>> Commit(const std::vector<Mutation>& mutations,
                                       bool missing_ok) override;
  explicit PostgresStore(std::string uri);
  Status Migrate();
  // One catch-up from the database into the cache (run by one caller at a time).
  Result<std::uint64_t> CatchUp();
  // A catch-up that started after this call (callers that wait together share one). A request
  // (not `probe`) gives up at once once the database is known to be away; the change feed and
  // the writer's own catch-up are the probes that find it back.
  Result<std::uint64_t> Barrier(bool probe);
  // The database's clock against this host's steady clock (see SharedClockMs).
  Status MeasureClock(PgConnection& db);
  void NoteServerClock(std::chrono::steady_clock::time_point sent, long long server_ms);
  // After a commit at `revision`: waits until every other replica with a live read lease has
  // applied it, or its lease has run out.
  void AwaitReplicas(std::uint64_t revision);
  void RenewReadLease(PgConnection& listener);
  Status CompactWith(PgConnection& db, std::chrono::seconds age);
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
  // Read leases: this replica's name and how long (steady clock) its own lease surely lasts.
  const std::string name_;
  std::atomic<std::int64_t> read_lease_until_{0};  // steady_clock ticks; 0: none
  // The database was found away (a statement ran out of time, a connection failed): requests
  // are answered 503 at once instead of each waiting out a deadline of its own, until the change
  // feed reaches the database again.
  std::atomic<bool> away_{false};
  bool change_feed_ = false;  // without one (tests), every request is its own probe
  bool KnownAway() const { return change_feed_ && away_; }
  Error Away() const;
  // The database's clock minus this host's steady clock, in ms (kNoOffset: not measured yet).
  static constexpr long long kNoOffset = std::numeric_limits<long long>::min();
  std::atomic<long long> clock_offset_ms_{kNoOffset};
  std::chrono::steady_clock::time_point next_renewal_{};
  std::mutex applied_mutex_;
  std::condition_variable applied_changed_;
  std::map<std::string, std::uint64_t> applied_;  // other replicas → newest revision they applied
};

}  // namespace gangplank::store

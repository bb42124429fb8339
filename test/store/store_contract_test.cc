// The Store contract, run unchanged against every Store (SQLite and a real PostgreSQL server;
// each new store joins the list at the bottom): versions, preconditions, checks, case-insensitive
// ids, cascading deletes, atomic batches, revisions, watches, durability across reopening.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <atomic>
#include <set>
#include <thread>

#include "controller/leader_lease.h"
#include "mocks/fake_clock.h"
#include "store/pg_connection.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace gangplank::store {
namespace {

// A scratch location of one store kind (a file, a database), gone when this is destroyed;
// opening it again finds what was written before, and two opens at once share it when the kind
// is shared (replicas).
class StoreLocation {
 public:
  virtual ~StoreLocation() = default;
  virtual std::string Problem() const { return ""; }  // why the location could not be made
  virtual Result<std::unique_ptr<Store>> Open() = 0;
};

class SqliteLocation : public StoreLocation {
 public:
  Result<std::unique_ptr<Store>> Open() override {
    auto store = SqliteStore::Open(dir_.Join("db"));
    if (!store) return store.error();
    return std::unique_ptr<Store>(std::move(store.value()));
  }

 private:
  testing::TempDir dir_;
};

class PostgresLocation : public StoreLocation {
 public:
  std::string Problem() const override { return database_.error(); }
  const std::string& uri() const { return database_.uri(); }
  Result<std::unique_ptr<Store>> Open() override { return Open(true); }
  Result<std::unique_ptr<Store>> Open(bool change_feed) {
    auto store = PostgresStore::Open(database_.uri(), change_feed);
    if (!store) return store.error();
    return std::unique_ptr<Store>(std::move(store.value()));
  }

 private:
  testing::ScratchDatabase database_;
};

struct StoreKind {
  std::string name;
  std::function<std::unique_ptr<StoreLocation>()> make;
};

class StoreContractTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    ASSERT_EQ(location_->Problem(), "");
    auto opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(opened.value());
  }
  Result<std::unique_ptr<Store>> Open() { return location_->Open(); }

  std::unique_ptr<StoreLocation> location_ = GetParam().make();
  std::unique_ptr<Store> store_;
};

Resource Group(const std::string& name, const std::string& body = "{}") {
  return Resource{"resourceGroup", "/subscriptions/s1/resourceGroups/" + name, "/subscriptions/s1",
                  body, 0};
}

TEST_P(StoreContractTest, PutGetListWithVersions) {
  Store* store = store_.get();
  auto first = store->Put(Group("RG1", "{\"a\":1}"), Precondition::Absent());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->version, 1);
  auto second = store->Put(Group("rg1", "{\"a\":2}"), Precondition::AtVersion(1));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(second->id, "/subscriptions/s1/resourceGroups/RG1");  // first casing kept
  auto read = store->Get("resourceGroup", "/SUBSCRIPTIONS/s1/resourcegroups/rg1");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->body, "{\"a\":2}");
  ASSERT_TRUE(store->Put(Group("rg0"), Precondition::Any()).ok());
  auto listed = store->List("resourceGroup", "/subscriptions/S1");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "/subscriptions/s1/resourceGroups/rg0");
}

TEST_P(StoreContractTest, PreconditionsRefuseLostUpdates) {
  Store* store = store_.get();
  ASSERT_TRUE(store->Put(Group("rg"), Precondition::Absent()).ok());
  auto again = store->Put(Group("rg"), Precondition::Absent());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StatusCode::kAborted);
  EXPECT_FALSE(store->Put(Group("rg"), Precondition::AtVersion(7)).ok());
  EXPECT_FALSE(store->Delete("resourceGroup", Group("rg").id, Precondition::AtVersion(7)).ok());
  auto unchanged = store->Get("resourceGroup", Group("rg").id);
  EXPECT_EQ((*unchanged)->version, 1);
}

TEST_P(StoreContractTest, DeleteTakesChildrenAndOnlyThem) {
  Store* store = store_.get();
  const std::string rg = Group("rg").id;
  ASSERT_TRUE(store->Put(Group("rg"), Precondition::Any()).ok());
  ASSERT_TRUE(store->Put(Group("rg2"), Precondition::Any()).ok());
  ASSERT_TRUE(
      store
          ->Put({"managedCluster", rg + "/providers/Microsoft.ContainerService/managedClusters/c1",
                 rg, "{}", 0},
                Precondition::Any())
          .ok());
  // Rows of any kind under it go; rows whose keys sort right beside its children's stay.
  for (const std::string& id : {rg + "/x/y", rg + ".", rg + "0"})
    ASSERT_TRUE(store->Put({"thing", id, "/", "{}", 0}, Precondition::Any()).ok());
  ASSERT_TRUE(store->Delete("resourceGroup", rg, Precondition::Any()).ok());
  EXPECT_TRUE(store->List("managedCluster", rg)->empty());
  EXPECT_TRUE(store->Get("resourceGroup", Group("rg2").id)->has_value());
  EXPECT_EQ(store->Delete("resourceGroup", rg, Precondition::Any()).error().code,
            StatusCode::kNotFound);
  // As the database has it, not only the cache.
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok());
  store_.reset();
  const auto things = (*reopened)->ListKind("thing");
  ASSERT_TRUE(things.ok());
  std::set<std::string> left;
  for (const auto& row : *things) left.insert(row.id);
  EXPECT_EQ(left, (std::set<std::string>{rg + ".", rg + "0"}));
  EXPECT_FALSE((*reopened)->Get("managedCluster", rg + "/providers/Microsoft.ContainerService/"
                                                      "managedClusters/c1")
                   ->has_value());
}

TEST_P(StoreContractTest, ApplyIsAllOrNothing) {
  Store* store = store_.get();
  ASSERT_TRUE(store->Put(Group("exists"), Precondition::Any()).ok());
  // The second put's precondition fails, so the first must not land either.
  auto failed = store->Apply({Mutation::Put(Group("new")), Mutation::Put(Group("exists"), Precondition::Absent())});
  ASSERT_FALSE(failed.ok());
  EXPECT_FALSE(store->Get("resourceGroup", Group("new").id)->has_value());
  auto applied = store->Apply({Mutation::Put(Group("new")), Mutation::Delete("resourceGroup", Group("exists").id),
                                  Mutation::Delete("resourceGroup", Group("never-there").id)});
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].version, 1);
  EXPECT_FALSE(store->Get("resourceGroup", Group("exists").id)->has_value());
  EXPECT_EQ(store->ListKind("resourceGroup")->size(), 1u);
}

TEST_P(StoreContractTest, RevisionsMoveWithEveryCommitAndOnlyThen) {
  const std::uint64_t start = store_->Revision();
  ASSERT_TRUE(store_->Put(Group("rg"), Precondition::Absent()).ok());
  const std::uint64_t after_put = store_->Revision();
  EXPECT_NE(after_put, start);
  // A refused write and a read commit nothing: anything derived at this revision stays current.
  EXPECT_FALSE(store_->Put(Group("rg"), Precondition::Absent()).ok());
  EXPECT_FALSE(store_->Apply({Mutation::Put(Group("other")),
                              Mutation::Put(Group("rg"), Precondition::AtVersion(9))})
                   .ok());
  ASSERT_TRUE(store_->Get("resourceGroup", Group("rg").id).ok());
  EXPECT_EQ(store_->Revision(), after_put);
  ASSERT_TRUE(store_->Apply({Mutation::Put(Group("a")), Mutation::Put(Group("b"))}).ok());
  EXPECT_NE(store_->Revision(), after_put);
}

TEST_P(StoreContractTest, WritesSurviveReopening) {
  ASSERT_TRUE(store_->Put(Group("kept"), Precondition::Any()).ok());
  store_.reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.error().ToString();
  auto kept = (*reopened)->Get("resourceGroup", Group("kept").id);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->version, 1);
}

TEST_P(StoreContractTest, ChecksGuardABatchWithoutWritingAnything) {
  const std::string lock = Group("rg").id + "/operationLock";
  const std::uint64_t start = store_->Revision();
  // Nothing holds the lock: the batch goes through; the check itself wrote nothing.
  ASSERT_TRUE(store_->Apply({Mutation::Check("lock", lock, Precondition::Absent()),
                             Mutation::Put(Group("rg"))})
                  .ok());
  EXPECT_FALSE(store_->Get("lock", lock)->has_value());
  ASSERT_TRUE(store_->Put({"lock", lock, Group("rg").id, "{}", 0}, Precondition::Absent()).ok());
  auto refused = store_->Apply({Mutation::Check("lock", lock, Precondition::Absent()),
                                Mutation::Put(Group("other"))});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, StatusCode::kAborted);
  EXPECT_FALSE(store_->Get("resourceGroup", Group("other").id)->has_value());
  // A batch of checks only commits no revision.
  const std::uint64_t before = store_->Revision();
  ASSERT_TRUE(store_->Apply({Mutation::Check("lock", lock, Precondition::AtVersion(1))}).ok());
  EXPECT_EQ(store_->Revision(), before);
  EXPECT_GT(before, start);
}

TEST_P(StoreContractTest, WatchersSeeEveryChangeOfTheirKindAfterARevision) {
  ASSERT_TRUE(store_->Put(Group("a"), Precondition::Absent()).ok());
  const std::uint64_t from = store_->Revision();
  ASSERT_TRUE(store_->Put(Group("b"), Precondition::Absent()).ok());
  ASSERT_TRUE(store_->Put(Group("a", "{\"v\":2}"), Precondition::AtVersion(1)).ok());
  ASSERT_TRUE(store_->Put({"managedCluster", Group("b").id + "/c", Group("b").id, "{}", 0},
                          Precondition::Absent())
                  .ok());
  ASSERT_TRUE(store_->Delete("resourceGroup", Group("b").id, Precondition::Any()).ok());
  auto groups = store_->ChangesSince(from, "resourceGroup");
  ASSERT_TRUE(groups.ok()) << groups.error().ToString();
  // One entry per row, its latest change, oldest first.
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ(IdKey((*groups)[0].id), IdKey(Group("a").id));
  EXPECT_FALSE((*groups)[0].deleted);
  EXPECT_EQ(IdKey((*groups)[1].id), IdKey(Group("b").id));
  EXPECT_TRUE((*groups)[1].deleted);
  // The cascade shows up as a deletion of the child, under its own kind.
  auto clusters = store_->ChangesSince(from, "managedCluster");
  ASSERT_TRUE(clusters.ok());
  ASSERT_EQ(clusters->size(), 1u);
  EXPECT_TRUE((*clusters)[0].deleted);
  EXPECT_TRUE(store_->ChangesSince(store_->Revision(), "resourceGroup")->empty());
}

TEST_P(StoreContractTest, AWatcherWakesOnAWriteAndTimesOutWithoutOne) {
  const std::uint64_t from = store_->Revision();
  EXPECT_EQ(store_->WaitForChange(from, std::chrono::milliseconds(20)), from);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(store_->Put(Group("late"), Precondition::Absent()).ok());
  });
  const std::uint64_t seen = store_->WaitForChange(from, std::chrono::seconds(30));
  writer.join();
  EXPECT_GT(seen, from);
}

TEST_P(StoreContractTest, ConcurrentBatchesCommitOrFailEachOnItsOwn) {
  // Odd writers' batches carry a check that fails; even writers' must all land, whatever batches
  // they were written beside (a group commit must not mix them up).
  ASSERT_TRUE(store_->Put({"lock", "/held", "/", "{}", 0}, Precondition::Absent()).ok());
  constexpr int kWriters = 8, kBatches = 25;
  std::vector<std::thread> writers;
  std::atomic<int> wrong{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        const std::string name = "w" + std::to_string(w) + "b" + std::to_string(b);
        auto applied = store_->Apply(
            {Mutation::Put(Group(name + "x")), Mutation::Put(Group(name + "y")),
             Mutation::Check("lock", "/held", w % 2 ? Precondition::Absent() : Precondition::Any())});
        if (applied.ok() != (w % 2 == 0)) ++wrong;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(wrong.load(), 0);
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(store_->ListKind("resourceGroup")->size(), static_cast<std::size_t>(kWriters / 2 * kBatches * 2));
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok());
  store_.reset();
  EXPECT_EQ((*reopened)->ListKind("resourceGroup")->size(),
            static_cast<std::size_t>(kWriters / 2 * kBatches * 2));
}

// Read-modify-write from many threads at once (what every handler does): with group commit, a
// write planned on a version another write of the same group moved is refused, never lost.
TEST_P(StoreContractTest, ConcurrentReadModifyWritesOfOneRowLoseNothing) {
  ASSERT_TRUE(store_->Put({"counter", "/c", "/", "0", 0}, Precondition::Absent()).ok());
  constexpr int kWriters = 8, kIncrements = 40;
  std::vector<std::thread> writers;
  std::atomic<int> errors{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int done = 0; done < kIncrements;) {
        auto row = store_->Get("counter", "/c");
        if (!row || !row->has_value()) {
          ++errors;
          return;
        }
        const int value = std::stoi((*row)->body);
        auto put = store_->Put({"counter", "/c", "/", std::to_string(value + 1), 0},
                               Precondition::AtVersion((*row)->version));
        if (put) ++done;
        else if (put.error().code != StatusCode::kAborted) ++errors;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_TRUE(store_->Sync().ok());
  const auto row = store_->Get("counter", "/c");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->body, std::to_string(kWriters * kIncrements));
  EXPECT_EQ((*row)->version, kWriters * kIncrements + 1);
}

TEST_P(StoreContractTest, LeasesHaveOneHolderAtATimeAndPassOnWhenTheyLapse) {
  testing::FakeClock clock;
  controller::LeaderLease a(*store_, clock, "role", "a", std::chrono::seconds(6));
  controller::LeaderLease b(*store_, clock, "role", "b", std::chrono::seconds(6));
  // Both try at once, many times over: never two holders.
  for (int round = 0; round < 20; ++round) {
    clock.Advance(std::chrono::seconds(7));  // whoever held it stopped renewing
    std::atomic<int> holders{0};
    std::thread first([&] { holders += a.Hold() ? 1 : 0; });
    std::thread second([&] { holders += b.Hold() ? 1 : 0; });
    first.join();
    second.join();
    ASSERT_EQ(holders.load(), 1) << "round " << round;
  }
}

TEST_P(StoreContractTest, RevisionsKeepGrowingAcrossReopening) {
  ASSERT_TRUE(store_->Put(Group("one"), Precondition::Absent()).ok());
  const std::uint64_t before = store_->Revision();
  store_.reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.error().ToString();
  EXPECT_EQ((*reopened)->Revision(), before);
  ASSERT_TRUE((*reopened)->Put(Group("two"), Precondition::Absent()).ok());
  EXPECT_GT((*reopened)->Revision(), before);
}

// SQLite's own promises beside the contract: one file, private, its schema migrated once.
TEST(SqliteStoreTest, TheDatabaseFileIsPrivateAndItsSchemaMigratedOnce) {
  testing::TempDir dir;
  {
    auto store = SqliteStore::Open(dir.Join("db"));
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->schema_version(), 3);
  }
  auto reopened = SqliteStore::Open(dir.Join("db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->schema_version(), 3);
  EXPECT_EQ(testing::FileMode(dir.Join("db")), 0600u);
}

// Readiness is answered from what the store knows, at once; the shared clock (replicas judge
// leases by it) is the database server's, which here is this host's own.
TEST_P(StoreContractTest, ReadinessAndTheSharedClock) {
  Store* store = store_.get();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!store->Ready().ok() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(store->Ready().ok()) << store->Ready().error().message;
  const auto shared = store->SharedClockMs();
  if (GetParam().name == "sqlite") {
    EXPECT_FALSE(shared.has_value()) << "one process: its own clock is the clock";
    return;
  }
  ASSERT_TRUE(shared.has_value());
  const long long own = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  EXPECT_LT(std::llabs(*shared - own), 1000) << "the server's clock is this host's here";
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreContractTest,
    ::testing::Values(StoreKind{"sqlite", [] { return std::make_unique<SqliteLocation>(); }},
                      StoreKind{"postgresql", [] { return std::make_unique<PostgresLocation>(); }}),
    [](const ::testing::TestParamInfo<StoreKind>& kind) { return kind.param.name; });

// Replicas: several PostgresStores on one database, as several gangplankd processes hold them.
class PostgresReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(location_.Problem(), "");
    for (auto* store : {&a_, &b_}) {
      auto opened = location_.Open();
      ASSERT_TRUE(opened.ok()) << opened.error().ToString();
      *store = std::move(opened.value());
    }
  }
  PostgresLocation location_;
  std::unique_ptr<Store> a_, b_;
};

// Waits until `store` answers reads from its cache (its feed renewed its read lease).
bool HoldsLease(Store& store) {
  auto* postgres = dynamic_cast<PostgresStore*>(&store);
  for (int i = 0; i < 100 && !postgres->HoldsReadLease(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return postgres->HoldsReadLease();
}

TEST_F(PostgresReplicasTest, AWriteAcknowledgedByOneIsReadByTheOtherAfterTheBarrier) {
  // With read leases, b's barrier is answered from its cache: a's writes are acknowledged only
  // once b has applied them.
  ASSERT_TRUE(HoldsLease(*a_));
  ASSERT_TRUE(HoldsLease(*b_));
  for (int i = 0; i < 50; ++i) {
    const std::string body = "{\"i\":" + std::to_string(i) + "}";
    ASSERT_TRUE(a_->Put(Group("shared", body), Precondition::Any()).ok());
    auto synced = b_->Sync();
    ASSERT_TRUE(synced.ok()) << synced.error().ToString();
    EXPECT_EQ(*synced, a_->Revision());
    auto read = b_->Get("resourceGroup", Group("shared").id);
    ASSERT_TRUE(read.ok() && read->has_value());
    ASSERT_EQ((*read)->body, body) << "replica b served a stale row after the barrier";
  }
}

TEST_F(PostgresReplicasTest, ADeadReplicasLeaseHoldsWritesBackOnlyUntilItRunsOut) {
  // A replica that died without giving its lease back: a row no feed will ever answer for.
  PgConnection admin(location_.uri());
  ASSERT_TRUE(admin.Exec("INSERT INTO replica_leases (name, until) "
                         "VALUES ('ghost', now() + interval '1 second')")
                  .ok());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(a_->Put(Group("late"), Precondition::Absent()).ok());
  const auto waited = std::chrono::steady_clock::now() - start;
  // The write waited for the ghost (it might have been serving reads) and then went through.
  EXPECT_GE(waited, std::chrono::milliseconds(500));
  ASSERT_TRUE(a_->Put(Group("later"), Precondition::Absent()).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(PostgresReplicasTest, TheChangeFeedWakesTheOtherReplicasWatchers) {
  const std::uint64_t from = b_->Revision();
  ASSERT_TRUE(a_->Put(Group("fed"), Precondition::Absent()).ok());
  // No Sync on b: the notification (or the fallback poll) brings the write.
  EXPECT_GT(b_->WaitForChange(from, std::chrono::seconds(10)), from);
  EXPECT_TRUE(b_->Get("resourceGroup", Group("fed").id)->has_value());
  auto changes = b_->ChangesSince(from, "resourceGroup");
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 1u);
}

TEST_F(PostgresReplicasTest, ConflictingWritersFromTwoReplicasNeverBothWin) {
  // Many rounds of the same race: both replicas try to take one lock; exactly one may.
  for (int round = 0; round < 40; ++round) {
    const std::string lock = Group("rg").id + "/lock" + std::to_string(round);
    std::atomic<int> winners{0};
    auto take = [&](Store* store) {
      if (store->Put({"lock", lock, Group("rg").id, "{}", 0}, Precondition::Absent()).ok())
        ++winners;
    };
    std::thread first(take, a_.get());
    std::thread second(take, b_.get());
    first.join();
    second.join();
    ASSERT_EQ(winners.load(), 1) << "round " << round;
  }
}

TEST_F(PostgresReplicasTest, ADeleteCascadesIntoTheOtherReplicasCache) {
  ASSERT_TRUE(a_->Put(Group("rg"), Precondition::Absent()).ok());
  ASSERT_TRUE(a_->Put({"managedCluster", Group("rg").id + "/c1", Group("rg").id, "{}", 0},
                      Precondition::Absent())
                  .ok());
  ASSERT_TRUE(b_->Sync().ok());
  ASSERT_EQ(b_->List("managedCluster", Group("rg").id)->size(), 1u);
  ASSERT_TRUE(a_->Delete("resourceGroup", Group("rg").id, Precondition::Any()).ok());
  ASSERT_TRUE(b_->Sync().ok());
  EXPECT_TRUE(b_->List("managedCluster", Group("rg").id)->empty());
  EXPECT_FALSE(b_->Get("resourceGroup", Group("rg").id)->has_value());
}

TEST_F(PostgresReplicasTest, AReplicaBehindTheKeptChangesReloadsEverything) {
  auto behind = location_.Open(false);
  ASSERT_TRUE(behind.ok());
  ASSERT_TRUE(a_->Put(Group("gone"), Precondition::Absent()).ok());
  ASSERT_TRUE((*behind)->Sync().ok());
  ASSERT_TRUE(a_->Delete("resourceGroup", Group("gone").id, Precondition::Any()).ok());
  ASSERT_TRUE(a_->Put(Group("new"), Precondition::Absent()).ok());
  // The deletion record is compacted away before the replica that is behind catches up.
  auto* postgres = dynamic_cast<PostgresStore*>(a_.get());
  ASSERT_TRUE(postgres->CompactChanges(std::chrono::seconds(0)).ok());
  ASSERT_TRUE((*behind)->Sync().ok());
  EXPECT_FALSE((*behind)->Get("resourceGroup", Group("gone").id)->has_value());
  EXPECT_TRUE((*behind)->Get("resourceGroup", Group("new").id)->has_value());
  EXPECT_EQ((*behind)->Revision(), a_->Revision());
  EXPECT_EQ((*behind)->ChangesSince(0, "resourceGroup").error().reason, "Compacted");
}

TEST(PostgresStoreTest, ReplicasStartingTogetherMigrateTheSchemaOnce) {
  PostgresLocation fresh;
  ASSERT_EQ(fresh.Problem(), "");
  std::vector<std::thread> starting;
  std::vector<Result<std::unique_ptr<Store>>> opened;
  for (int i = 0; i < 3; ++i) opened.push_back(MakeError(StatusCode::kInternal, "NotRun", "-"));
  for (std::size_t i = 0; i < opened.size(); ++i) {
    starting.emplace_back([&, i] { opened[i] = fresh.Open(); });
  }
  for (auto& thread : starting) thread.join();
  for (auto& store : opened) {
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    EXPECT_EQ(dynamic_cast<PostgresStore*>(store->get())->schema_version(), 2);
  }
}

TEST(PostgresStoreTest, AnUnreachableServerIsUnavailableWithinTheConnectTimeout) {
  const auto start = std::chrono::steady_clock::now();
  // A loopback port nothing listens on: refused at once, never a hang.
  auto store = PostgresStore::Open("postgresql://nobody:secret@127.0.0.1:1/none");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, StatusCode::kUnavailable);
  EXPECT_EQ(store.error().message.find("secret"), std::string::npos) << store.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace gangplank::store

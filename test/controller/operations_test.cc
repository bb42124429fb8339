// The operations engine: work found in the store, locks, waiting steps, retries, pruning, leases
// and fencing between two engines on one store.
#include "controller/operations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "audit/certificate_log.h"
#include "mocks/fake_clock.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::controller {
namespace {

constexpr const char* kTarget = "/subscriptions/s/resourceGroups/g/things/t";
constexpr const char* kPrefix = "/subscriptions/s/providers/Test/locations/westus2/operations/";

Result<Step> Quick(const Operation&, store::Store&) { return Step::Done({}); }

class OperationsEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SqliteStore::Open(dir_.path() / "ops.db");
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened.value());
    engine_ = NewEngine("one");
  }

  std::unique_ptr<OperationsEngine> NewEngine(const std::string& owner) {
    return std::make_unique<OperationsEngine>(
        *store_, clock_, EngineOptions{owner, std::chrono::seconds(6), std::chrono::hours(1)});
  }

  // Begins and commits an operation of `type` on kTarget holding `lock` (none when empty).
  Result<Operation> StartOne(const std::string& type, const std::string& lock = "") {
    auto started = engine_->Begin(kPrefix, type, kTarget, Locking{lock, {}});
    auto applied = store_->Apply(started.records);
    if (!applied) return applied.error();
    return started.operation;
  }

  std::string StatusOf(const Operation& operation) {
    auto found = engine_->Get(operation.id);
    return found.ok() && found->has_value() ? (*found)->status : "gone";
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<OperationsEngine> engine_;
};

TEST_F(OperationsEngineTest, ALockIsHeldUntilItsOperationEndsAndRefusesASecondOne) {
  engine_->Register("Quick", {Quick, nullptr});
  const std::string lock = OperationLockId(kTarget);
  auto first = StartOne("Quick", lock);
  ASSERT_TRUE(first.ok());
  auto holder = engine_->LockHolder(lock);
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->id, first->id);
  // A conflicting operation cannot be accepted while the lock is held: its Apply fails whole.
  auto second = StartOne("Quick", lock);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, StatusCode::kAborted);
  EXPECT_EQ(store_->ListKind(kOperationKind)->size(), 1u);
  engine_->RunPending();
  EXPECT_EQ(StatusOf(*first), "Succeeded");
  EXPECT_FALSE(store_->Get(kOperationLockKind, lock)->has_value());
  EXPECT_TRUE(StartOne("Quick", lock).ok());
}

TEST_F(OperationsEngineTest, AHeldLockInFreeRefusesTheOperation) {
  const std::string group_lock = OperationLockId("/subscriptions/s/resourceGroups/g");
  ASSERT_TRUE(StartOne("Quick", group_lock).ok());
  auto started = engine_->Begin(kPrefix, "Quick", kTarget, Locking{"", {group_lock}});
  EXPECT_FALSE(store_->Apply(started.records).ok());
}

TEST_F(OperationsEngineTest, WaitingStepsReportProgressAndRunAgainUntilDone) {
  int runs = 0;
  engine_->Register("Slow", {[&runs](const Operation&, store::Store&) -> Result<Step> {
                               ++runs;
                               if (runs < 3) {
                                 return Step::Waiting({}, std::chrono::milliseconds(1), runs * 30,
                                                      std::to_string(runs) + " of 3 done");
                               }
                               return Step::Done({});
                             },
                             nullptr});
  const Operation operation = *StartOne("Slow");
  engine_->RunPending();  // a waiting operation runs once per call
  EXPECT_EQ(runs, 1);
  auto seen = engine_->Get(operation.id);
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->status, "InProgress");
  EXPECT_EQ((*seen)->progress, "1 of 3 done");
  EXPECT_EQ((*seen)->owner, "one");
  EXPECT_NE(OperationStatusJson(**seen).find("\"percentComplete\":30"), std::string::npos);
  engine_->RunPending();
  engine_->RunPending();
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(StatusOf(operation), "Succeeded");
}

TEST_F(OperationsEngineTest, TheBackgroundWorkerFindsAndFinishesOperationsByWatchingTheStore) {
  std::atomic<int> runs = 0;
  engine_->Register("Slow", {[&runs](const Operation&, store::Store&) -> Result<Step> {
                               if (++runs < 5)
                                 return Step::Waiting({}, std::chrono::milliseconds(5), 0, "");
                               return Step::Done({});
                             },
                             nullptr});
  engine_->Start();
  // Written to the store after the engine started: nothing tells it but the store.
  const Operation operation = *StartOne("Slow");
  for (int i = 0; i < 1000 && StatusOf(operation) == "InProgress"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  engine_->Stop();
  EXPECT_EQ(runs.load(), 5);
  EXPECT_EQ(StatusOf(operation), "Succeeded");
}

// Workers run different operations side by side, never one operation on two at once, even while
// its own progress commits queue it again as it runs. Repeated: the overlaps are timing-dependent.
TEST_F(OperationsEngineTest, WorkersRunOperationsSideBySideButNeverOneTwiceAtOnce) {
  constexpr int kOperations = 24;
  constexpr int kWorkers = 4;
  for (int round = 0; round < 5; ++round) {
    auto engine = std::make_unique<OperationsEngine>(
        *store_, clock_,
        EngineOptions{"workers-" + std::to_string(round), std::chrono::seconds(6),
                      std::chrono::hours(1), std::chrono::hours(24), kWorkers});
    std::mutex mutex;
    std::map<std::string, int> running_by_id, runs_by_id;
    int running = 0, most_running = 0;
    bool doubled = false;
    engine->Register("Slow",
                     {[&](const Operation& op, store::Store&) -> Result<Step> {
                        int runs = 0;
                        {
                          std::lock_guard lock(mutex);
                          doubled = doubled || ++running_by_id[op.id] > 1;
                          most_running = std::max(most_running, ++running);
                          runs = ++runs_by_id[op.id];
                        }
                        std::this_thread::sleep_for(std::chrono::milliseconds(3));
                        {
                          std::lock_guard lock(mutex);
                          --running_by_id[op.id];
                          --running;
                        }
                        if (runs < 4) {  // new progress each run: a commit, seen by the watch
                          return Step::Waiting({}, std::chrono::milliseconds(1), runs * 25,
                                               std::to_string(runs) + " of 4");
                        }
                        return Step::Done({});
                      },
                      nullptr});
    engine->Start();
    std::vector<Operation> operations;
    for (int i = 0; i < kOperations; ++i) {
      auto started = engine->Begin(kPrefix, "Slow", kTarget + std::to_string(i), Locking{});
      ASSERT_TRUE(store_->Apply(started.records).ok());
      operations.push_back(started.operation);
    }
    const auto all_done = [&] {
      return std::all_of(operations.begin(), operations.end(),
                         [&](const Operation& op) { return StatusOf(op) == "Succeeded"; });
    };
    for (int i = 0; i < 2000 && !all_done(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    engine->Stop();
    EXPECT_TRUE(all_done()) << "round " << round;
    EXPECT_FALSE(doubled) << "an operation ran on two workers at once, round " << round;
    EXPECT_GT(most_running, 1) << "the workers never overlapped, round " << round;
    EXPECT_LE(most_running, kWorkers);
    for (const auto& [id, runs] : runs_by_id) EXPECT_GE(runs, 4) << id;
  }
}

TEST_F(OperationsEngineTest, TerminalErrorsFailAndRetryableOnesAreRetried) {
  int attempts = 0;
  engine_->Register("Flaky", {[&attempts](const Operation&, store::Store&) -> Result<Step> {
                                if (++attempts < 3)
                                  return MakeError(StatusCode::kUnavailable, "Busy", "try later");
                                return Step::Done({});
                              },
                              nullptr});
  engine_->Register("Broken", {[](const Operation&, store::Store&) -> Result<Step> {
                                 return MakeError(StatusCode::kInvalidArgument, "NoGood",
                                                  "this cannot work");
                               },
                               nullptr});
  const Operation flaky = *StartOne("Flaky");
  engine_->RunPending();
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(StatusOf(flaky), "Succeeded");
  const std::string lock = OperationLockId(kTarget);
  const Operation broken = *StartOne("Broken", lock);
  engine_->RunPending();
  auto failed = engine_->Get(broken.id);
  ASSERT_TRUE(failed.ok() && failed->has_value());
  EXPECT_EQ((*failed)->status, "Failed");
  ASSERT_TRUE((*failed)->error.has_value());
  EXPECT_EQ((*failed)->error->reason, "NoGood");
  EXPECT_FALSE(store_->Get(kOperationLockKind, lock)->has_value())
      << "a failed operation keeps its lock";
}

// A retryable error is retried a bounded number of times (8), then the operation fails with it
// and lets its lock go: an outage that does not end does not hold a cluster forever.
TEST_F(OperationsEngineTest, RetryableErrorsAreRetriedEightTimesThenFail) {
  int attempts = 0;
  engine_->Register("Stuck", {[&attempts](const Operation&, store::Store&) -> Result<Step> {
                                ++attempts;
                                return MakeError(StatusCode::kUnavailable, "Busy", "try later");
                              },
                              nullptr});
  const std::string lock = OperationLockId(kTarget);
  const Operation stuck = *StartOne("Stuck", lock);
  for (int round = 0; round < 20 && StatusOf(stuck) == "InProgress"; ++round) {
    clock_.Advance(std::chrono::seconds(10));  // past every backoff
    engine_->RunPending();
  }
  EXPECT_EQ(attempts, 9) << "the first attempt and eight retries";
  auto failed = engine_->Get(stuck.id);
  ASSERT_TRUE(failed.ok() && failed->has_value());
  EXPECT_EQ((*failed)->status, "Failed");
  ASSERT_TRUE((*failed)->error.has_value());
  EXPECT_EQ((*failed)->error->reason, "Busy");
  EXPECT_FALSE(store_->Get(kOperationLockKind, lock)->has_value());
}

TEST_F(OperationsEngineTest, FinishedRecordsArePrunedAfterTheRetentionAndUnfinishedOnesResume) {
  engine_->Register("Quick", {Quick, nullptr});
  const Operation done = *StartOne("Quick");
  engine_->RunPending();
  const Operation pending = *StartOne("Quick");  // accepted, never run: a crash comes first

  // A new engine on the same store finds the unfinished operation there.
  engine_ = NewEngine("one");
  engine_->Register("Quick", {Quick, nullptr});
  EXPECT_EQ(StatusOf(done), "Succeeded");  // within the retention

  clock_.Advance(std::chrono::minutes(61));
  ASSERT_TRUE(engine_->PruneFinished().ok());
  EXPECT_EQ(StatusOf(done), "gone");
  EXPECT_EQ(StatusOf(pending), "InProgress");  // unfinished work is never pruned
  engine_->RunPending();
  EXPECT_EQ(StatusOf(pending), "Succeeded");
}

// SSH certificate records stay for the activity log's retention after their certificate ends,
// then go; a record of a certificate still valid (or recently ended) stays.
TEST_F(OperationsEngineTest, CertificateRecordsGoOnlyOnceTheRetentionHasPassedSinceTheirEnd) {
  const long long now = UnixSeconds(clock_.Now());
  const long long retention = 90LL * 24 * 3600;
  const auto record = [&](std::uint64_t serial, long long ended) {
    ASSERT_TRUE(store_
                    ->Put(audit::EncodeCertificateRecord({serial, "oid@adfs", "ada@example.org",
                                                          "oid", "SHA256:x", ended - 3900, ended}),
                          store::Precondition::Absent())
                    .ok());
  };
  record(1, now - retention - 60);  // ended more than the retention ago
  record(2, now - retention + 3600);
  record(3, now + 3000);  // still valid
  ASSERT_TRUE(engine_->PruneFinished().ok());
  const auto rows = store_->ListKind(audit::kSshCertificateKind);
  ASSERT_TRUE(rows.ok());
  std::vector<std::uint64_t> kept;
  for (const auto& row : *rows) kept.push_back(audit::DecodeCertificateRecord(row)->serial);
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(kept, (std::vector<std::uint64_t>{2, 3}));
}

// Two engines (replicas) on one store: a lease decides who runs an operation; the other takes it
// over only when the lease lapses, and the one that lost it writes nothing more.
TEST_F(OperationsEngineTest, ALeaseKeepsASecondEngineOffUntilItLapsesThenItTakesOver) {
  std::atomic<int> runs_one = 0, runs_two = 0;
  auto slow = [](std::atomic<int>& runs) {
    return OperationRunner{[&runs](const Operation&, store::Store&) -> Result<Step> {
                             ++runs;
                             return Step::Waiting({}, std::chrono::milliseconds(1), 10,
                                                  "run " + std::to_string(runs.load()));
                           },
                           nullptr};
  };
  engine_->Register("Slow", slow(runs_one));
  auto two = NewEngine("two");
  two->Register("Slow", slow(runs_two));
  const Operation operation = *StartOne("Slow");
  engine_->RunPending();
  two->RunPending();
  two->RunPending();
  EXPECT_EQ(runs_one.load(), 1);
  EXPECT_EQ(runs_two.load(), 0) << "the second engine ran an operation another engine leases";

  clock_.Advance(std::chrono::seconds(7));  // engine one is gone: its lease lapses
  two->RunPending();
  EXPECT_EQ(runs_two.load(), 1);
  EXPECT_EQ((*engine_->Get(operation.id))->owner, "two");
  // Engine one comes back: it sees the other's live lease and stays off.
  engine_->RunPending();
  engine_->RunPending();
  EXPECT_EQ(runs_one.load(), 1);
}

TEST_F(OperationsEngineTest, AnEngineThatLostItsLeaseMidStepWritesNothing) {
  const std::string marker = "/subscriptions/s/marker";
  OperationsEngine* other = nullptr;
  // While engine one runs its step, engine two takes the lease (one's lease has lapsed).
  engine_->Register("Fenced",
                    {[&](const Operation&, store::Store&) -> Result<Step> {
                       clock_.Advance(std::chrono::seconds(7));
                       other->RunPending();
                       return Step::Done({store::Mutation::Put(
                           {"marker", marker, "/subscriptions/s", "{\"by\":\"one\"}", 0})});
                     },
                     nullptr});
  auto two = NewEngine("two");
  other = two.get();
  two->Register("Fenced", {[&](const Operation&, store::Store&) -> Result<Step> {
                             return Step::Waiting({}, std::chrono::milliseconds(1), 0, "two");
                           },
                           nullptr});
  const Operation operation = *StartOne("Fenced");
  engine_->RunPending();
  EXPECT_FALSE(store_->Get("marker", marker)->has_value())
      << "a step of an engine that lost its lease was committed";
  EXPECT_EQ(StatusOf(operation), "InProgress");
  EXPECT_EQ((*engine_->Get(operation.id))->owner, "two");
}

}  // namespace
}  // namespace gangplank::controller

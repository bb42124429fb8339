// The operations engine: the in-memory busy index, waiting steps, retries and pruning.
#include "controller/operations.h"

#include <gtest/gtest.h>

#include "mocks/fake_clock.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::controller {
namespace {

constexpr const char* kTarget = "/subscriptions/s/resourceGroups/g/things/t";

class OperationsEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SqliteStore::Open(dir_.path() / "ops.db");
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened.value());
    engine_ = std::make_unique<OperationsEngine>(*store_, clock_, std::chrono::hours(1));
  }

  // Begins, commits and enqueues an operation of `type` on kTarget.
  Operation StartOne(const std::string& type) {
    auto started = engine_->Begin("s", "westus2", type, kTarget);
    EXPECT_TRUE(store_->Apply({started.record}).ok());
    engine_->Enqueue(started.operation.id);
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

TEST_F(OperationsEngineTest, TargetIsBusyUntilItsOperationFinishes) {
  engine_->Register(
      "Quick",
      {[](const Operation&, store::Store&) -> Result<Step> { return Step::Done({}); }, nullptr});
  EXPECT_FALSE(engine_->HasUnfinished(kTarget));
  const Operation operation = StartOne("Quick");
  EXPECT_TRUE(engine_->HasUnfinished(kTarget));
  EXPECT_TRUE(engine_->HasUnfinished("/SUBSCRIPTIONS/s/resourcegroups/G/things/T"));
  engine_->RunPending();
  EXPECT_FALSE(engine_->HasUnfinished(kTarget));
  EXPECT_EQ(StatusOf(operation), "Succeeded");
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
  const Operation operation = StartOne("Slow");
  engine_->RunPending();  // a waiting operation runs once per call
  EXPECT_EQ(runs, 1);
  auto seen = engine_->Get(operation.id);
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->status, "InProgress");
  EXPECT_EQ((*seen)->progress, "1 of 3 done");
  EXPECT_NE(OperationStatusJson(**seen).find("\"percentComplete\":30"), std::string::npos);
  EXPECT_TRUE(engine_->HasUnfinished(kTarget));
  engine_->RunPending();
  engine_->RunPending();
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(StatusOf(operation), "Succeeded");
  EXPECT_FALSE(engine_->HasUnfinished(kTarget));
}

TEST_F(OperationsEngineTest, TheBackgroundWorkerFinishesWaitingOperations) {
  std::atomic<int> runs = 0;
  engine_->Register("Slow", {[&runs](const Operation&, store::Store&) -> Result<Step> {
                               if (++runs < 5)
                                 return Step::Waiting({}, std::chrono::milliseconds(5), 0, "");
                               return Step::Done({});
                             },
                             nullptr});
  engine_->Start();
  const Operation operation = StartOne("Slow");
  for (int i = 0; i < 500 && engine_->HasUnfinished(kTarget); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  engine_->Stop();
  EXPECT_EQ(runs.load(), 5);
  EXPECT_EQ(StatusOf(operation), "Succeeded");
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
  const Operation flaky = StartOne("Flaky");
  engine_->RunPending();
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(StatusOf(flaky), "Succeeded");
  const Operation broken = StartOne("Broken");
  engine_->RunPending();
  auto failed = engine_->Get(broken.id);
  ASSERT_TRUE(failed.ok() && failed->has_value());
  EXPECT_EQ((*failed)->status, "Failed");
  ASSERT_TRUE((*failed)->error.has_value());
  EXPECT_EQ((*failed)->error->reason, "NoGood");
  EXPECT_FALSE(engine_->HasUnfinished(kTarget));
}

TEST_F(OperationsEngineTest, FinishedRecordsArePrunedAfterTheRetentionAndUnfinishedOnesResume) {
  engine_->Register(
      "Quick",
      {[](const Operation&, store::Store&) -> Result<Step> { return Step::Done({}); }, nullptr});
  const Operation done = StartOne("Quick");
  engine_->RunPending();
  const Operation pending = StartOne("Quick");  // accepted, never run: a crash comes first

  // A new engine on the same store: the busy index is rebuilt from the records.
  engine_ = std::make_unique<OperationsEngine>(*store_, clock_, std::chrono::hours(1));
  engine_->Register(
      "Quick",
      {[](const Operation&, store::Store&) -> Result<Step> { return Step::Done({}); }, nullptr});
  EXPECT_FALSE(engine_->HasUnfinished(kTarget));
  ASSERT_TRUE(engine_->ResumeUnfinished().ok());
  EXPECT_TRUE(engine_->HasUnfinished(kTarget));
  EXPECT_EQ(StatusOf(done), "Succeeded");  // within the retention

  clock_.Advance(std::chrono::minutes(61));
  ASSERT_TRUE(engine_->PruneFinished().ok());
  EXPECT_EQ(StatusOf(done), "gone");
  EXPECT_EQ(StatusOf(pending), "InProgress");  // unfinished work is never pruned
  engine_->RunPending();
  EXPECT_EQ(StatusOf(pending), "Succeeded");
}

}  // namespace
}  // namespace gangplank::controller

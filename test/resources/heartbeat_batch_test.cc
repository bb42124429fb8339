// Heartbeats written together: an unchanged report writes nothing until the batch is flushed,
// the flush moves reportedAt in one commit, and it never overwrites a newer report or brings
// back a machine that was provisioned anew or deleted.
#include "resources/heartbeat_batch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "mocks/fake_clock.h"
#include "resources/machine_store.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::resources {
namespace {

constexpr char kPool[] =
    "/subscriptions/s/resourcegroups/g/providers/Microsoft.ContainerService/managedClusters/c/"
    "agentPools/nodepool1";

class HeartbeatBatchTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = std::move(store::SqliteStore::Open(dir_.Join("db")).value()); }

  // A machine whose node `uid` has reported once, healthy.
  std::string AddReportedMachine(int index, const std::string& uid) {
    protocol::DesiredNodeState desired;
    desired.model_version = 1;
    desired.reimage_generation = 1;
    desired.node_name = "aks-nodepool1-12345678-vmss" + std::to_string(100000 + index).substr(1);
    desired.address = "10.224.0." + std::to_string(4 + index);
    desired.admin_username = "azureuser";
    Machine machine = NewMachine(kPool, index, uid, desired, Now());
    EXPECT_TRUE(store_->Put(EncodeMachine(machine), store::Precondition::Absent()).ok());
    const Status reported = Report(machine.row.id, uid, nullptr);
    EXPECT_TRUE(reported.ok()) << reported.error().ToString();
    return machine.row.id;
  }

  Status Report(const std::string& machine_id, const std::string& uid, HeartbeatBatch* batch,
                const std::string& log = "") {
    return RecordNodeReport(*store_, machine_id, uid, status_, {}, log, clock_, batch);
  }

  long long ReportedAt(const std::string& machine_id) {
    auto machine = GetMachine(*store_, machine_id, MachineDetail::kStatus);
    EXPECT_TRUE(machine.ok() && machine->has_value());
    return machine.ok() && machine->has_value() ? (*machine)->reported_at : -1;
  }

  long long Now() const { return UnixSeconds(clock_.Now()); }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  protocol::NodeStatus status_ = [] {
    protocol::NodeStatus status;
    status.applied_model_version = 1;
    status.reimage_generation = 1;
    status.sshd_health = "Healthy";
    return status;
  }();
};

TEST_F(HeartbeatBatchTest, UnchangedReportsAreWrittenTogetherWhenTheBatchIsFlushed) {
  std::vector<std::string> machines;
  for (int i = 0; i < 20; ++i)
    machines.push_back(AddReportedMachine(i, "uid-" + std::to_string(i)));
  const long long first = Now();
  HeartbeatBatch batch;

  // Within the heartbeat interval an unchanged report is not even noted.
  clock_.Advance(std::chrono::seconds(100));
  ASSERT_TRUE(Report(machines[0], "uid-0", &batch).ok());
  EXPECT_EQ(batch.Pending(), 0u);

  clock_.Advance(std::chrono::seconds(300));
  const std::uint64_t before = store_->Revision();
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(Report(machines[i], "uid-" + std::to_string(i), &batch).ok());
  EXPECT_EQ(store_->Revision(), before) << "a heartbeat was written on the request path";
  EXPECT_EQ(batch.Pending(), 20u);
  EXPECT_EQ(ReportedAt(machines[3]), first);

  ASSERT_TRUE(batch.Flush(*store_).ok());
  EXPECT_EQ(store_->Revision(), before + 1) << "the 20 heartbeats were not one commit";
  EXPECT_EQ(batch.Pending(), 0u);
  for (const auto& machine : machines) EXPECT_EQ(ReportedAt(machine), first + 400);
  ASSERT_TRUE(batch.Flush(*store_).ok());
  EXPECT_EQ(store_->Revision(), before + 1) << "an empty flush wrote";
}

TEST_F(HeartbeatBatchTest, ANewerReportAnotherNodeOrADeletedMachineIsNeverOverwritten) {
  const std::string kept = AddReportedMachine(0, "uid-0");
  const std::string newer = AddReportedMachine(1, "uid-1");
  const std::string reprovisioned = AddReportedMachine(2, "uid-2");
  const std::string deleted = AddReportedMachine(3, "uid-3");
  HeartbeatBatch batch;
  clock_.Advance(std::chrono::seconds(400));
  for (const auto& [machine, uid] :
       {std::pair{kept, "uid-0"}, std::pair{newer, "uid-1"}, std::pair{reprovisioned, "uid-2"},
        std::pair{deleted, "uid-3"}})
    ASSERT_TRUE(Report(machine, uid, &batch).ok());
  ASSERT_EQ(batch.Pending(), 4u);

  // Meanwhile: a report with news (a log line) is written at once, later than the heartbeat; the
  // machine is provisioned anew (another uid reports); the machine and its status are deleted.
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(Report(newer, "uid-1", &batch, "agent: something new\n").ok());
  auto row = store_->Get(kMachineKind, reprovisioned);
  auto machine = DecodeMachine(**row);
  machine->uid = "uid-2b";
  ASSERT_TRUE(store_->Put(EncodeMachine(*machine), store::Precondition::Any()).ok());
  ASSERT_TRUE(Report(reprovisioned, "uid-2b", nullptr).ok());
  ASSERT_TRUE(store_->Delete(kMachineKind, deleted, store::Precondition::Any()).ok());
  (void)store_->Delete(kMachineStatusKind, MachineStatusId(deleted), store::Precondition::Any());
  ASSERT_FALSE(store_->Get(kMachineStatusKind, MachineStatusId(deleted))->has_value());
  const long long news_at = Now();

  ASSERT_TRUE(batch.Flush(*store_).ok());
  EXPECT_EQ(ReportedAt(kept), news_at - 5);
  EXPECT_EQ(ReportedAt(newer), news_at) << "the heartbeat went back past a newer report";
  auto full = GetMachine(*store_, newer, MachineDetail::kLogs);
  EXPECT_NE((*full)->log.find("something new"), std::string::npos) << "the newer report was lost";
  EXPECT_EQ(ReportedAt(reprovisioned), news_at) << "another node's heartbeat moved this one";
  EXPECT_FALSE(store_->Get(kMachineStatusKind, MachineStatusId(deleted))->has_value())
      << "a deleted machine's status came back";
}

TEST_F(HeartbeatBatchTest, NotesFromManyThreadsWhileFlushingAreAllWritten) {
  constexpr int kMachines = 64;
  std::vector<std::string> machines;
  for (int i = 0; i < kMachines; ++i)
    machines.push_back(AddReportedMachine(i, "uid-" + std::to_string(i)));
  clock_.Advance(std::chrono::seconds(400));
  const long long beat_at = Now();
  HeartbeatBatch batch;
  std::atomic<bool> done{false};
  std::thread flusher([&] {
    while (!done) (void)batch.Flush(*store_);
  });
  std::vector<std::thread> reporters;
  for (int t = 0; t < 4; ++t) {
    reporters.emplace_back([&, t] {
      for (int i = t; i < kMachines; i += 4)
        EXPECT_TRUE(Report(machines[i], "uid-" + std::to_string(i), &batch).ok());
    });
  }
  for (auto& reporter : reporters) reporter.join();
  done = true;
  flusher.join();
  ASSERT_TRUE(batch.Flush(*store_).ok());
  for (const auto& machine : machines) EXPECT_EQ(ReportedAt(machine), beat_at) << machine;
}

}  // namespace
}  // namespace gangplank::resources

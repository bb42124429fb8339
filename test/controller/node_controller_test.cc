// The node controller against the fake runtime: one node per machine with its own token, removals
// carried out, leftovers removed, a refused start told to the machine, a node that exits restarted.
#include "controller/node_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "api/api_harness.h"
#include "mocks/fake_node_runtime.h"
#include "resources/machine_store.h"

namespace gangplank::controller {
namespace {

using api::HttpStatus;
using api::HttpVerb;

class NodeControllerTest : public api::ApiHarness {
 protected:
  const std::string kPool = api::kCluster + "/agentPools/nodepool1";

  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(api::kGroup);
    const auto created =
        Send(HttpVerb::put, api::kCluster + api::kNewest, api::ClusterWith(api::NewKey(), 2));
    ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
    Settle();
    controller_ = std::make_unique<NodeController>(*store_, runtime_, *node_tokens_, clock_);
  }
  void TearDown() override { controller_.reset(); }

  std::vector<resources::Machine> Machines(
      resources::MachineDetail detail = resources::MachineDetail::kStatus) {
    return resources::MachinesOf(*store_, kPool, detail).value();
  }

  testing::FakeNodeRuntime runtime_;
  std::unique_ptr<NodeController> controller_;
};

TEST_F(NodeControllerTest, EveryMachineGetsOneNodeWithATokenOfItsOwn) {
  controller_->SyncOnce();
  const auto machines = Machines();
  ASSERT_EQ(machines.size(), 2u);
  const auto running = runtime_.Running();
  ASSERT_EQ(running.size(), 2u);
  for (const auto& machine : machines) {
    ASSERT_TRUE(running.contains(machine.uid)) << machine.row.id;
    const runtime::NodeLaunch& node = running.at(machine.uid);
    EXPECT_EQ(node.machine_id, machine.row.id);
    EXPECT_EQ(node.hostname, machine.desired.node_name);
    EXPECT_EQ(node.address, machine.desired.address);
    EXPECT_EQ(node.image_version, machine.desired.image_version);
    auto identity = node_tokens_->Verify(node.token());
    ASSERT_TRUE(identity.ok()) << identity.error().message;
    EXPECT_EQ(identity->machine_id, machine.row.id);
    EXPECT_EQ(identity->uid, machine.uid);
  }
  // A second pass starts nothing new: the runtime says both nodes are settled, so Ensure is not
  // asked again, and the same two nodes run.
  controller_->SyncOnce();
  EXPECT_EQ(runtime_.Running().size(), 2u);
  EXPECT_EQ(runtime_.Ensured().size(), 2u);
  // A node the runtime no longer holds is ensured again at the next pass.
  runtime_.Exit(machines[0].uid);
  controller_->SyncOnce();
  EXPECT_EQ(runtime_.Running().size(), 2u);
  ASSERT_EQ(runtime_.Ensured().size(), 3u);
  EXPECT_EQ(runtime_.Ensured().back().uid, machines[0].uid);
}

// The controller keeps the machines it decoded: a machine deleted and made again under the same
// id starts over at row version 1, and must still be seen as the new machine it is.
TEST_F(NodeControllerTest, AMachineMadeAgainUnderItsIdIsSeenAsNew) {
  controller_->SyncOnce();
  resources::Machine machine = Machines().front();
  ASSERT_TRUE(runtime_.Running().contains(machine.uid));
  ASSERT_TRUE(
      store_->Delete(resources::kMachineKind, machine.row.id, store::Precondition::Any()).ok());
  const std::string old_uid = machine.uid;
  machine.uid = old_uid + "-again";
  auto again = store_->Put(resources::EncodeMachine(machine), store::Precondition::Absent());
  ASSERT_TRUE(again.ok());
  controller_->SyncOnce();
  const auto running = runtime_.Running();
  EXPECT_TRUE(running.contains(machine.uid)) << "the machine made again got no node";
  EXPECT_FALSE(running.contains(old_uid)) << "the node of the deleted machine still runs";
  // Versions that match but bodies that differ: the same again.
  resources::Machine third = machine;
  third.uid = old_uid + "-third";
  ASSERT_TRUE(
      store_->Delete(resources::kMachineKind, machine.row.id, store::Precondition::Any()).ok());
  auto made = store_->Put(resources::EncodeMachine(third), store::Precondition::Absent());
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->version, again->version);
  controller_->SyncOnce();
  EXPECT_TRUE(runtime_.Running().contains(third.uid));
}

TEST_F(NodeControllerTest, QueuedRemovalsAreCarriedOutAndNodesWithoutAMachineRemoved) {
  controller_->SyncOnce();
  runtime_.Hold("left-by-a-crash");
  const auto scaled = Send(HttpVerb::put, api::kCluster + api::kNewest,
                           api::ClusterWith(api::NewKey(), 1));
  ASSERT_EQ(scaled.result(), HttpStatus::ok) << scaled.body();
  operations_->RunPending();  // one machine deleted, its node queued for removal
  ASSERT_EQ(Machines().size(), 1u);
  EXPECT_EQ(store_->ListKind(resources::kNodeRemovalKind)->size(), 1u);

  controller_->SyncOnce();
  EXPECT_TRUE(store_->ListKind(resources::kNodeRemovalKind)->empty());
  const auto running = runtime_.Running();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running.begin()->first, Machines().front().uid);
  const auto removed = runtime_.Removed();
  EXPECT_NE(std::find(removed.begin(), removed.end(), "left-by-a-crash"), removed.end());
  EXPECT_EQ(removed.size(), 2u);
}

TEST_F(NodeControllerTest, AStartThatCannotWorkFailsTheMachineAndOneThatMayIsUnhealthy) {
  runtime_.RefuseWith(MakeError(StatusCode::kFailedPrecondition, "ImageBroken",
                                "the node image has no /sbin/init"));
  controller_->SyncOnce();
  for (const auto& machine : Machines()) {
    ASSERT_TRUE(machine.status.has_value());
    EXPECT_EQ(machine.status->sshd_health, "Failed");
    EXPECT_EQ(machine.status->failed_generation, machine.desired.reimage_generation);
    EXPECT_NE(machine.status->message.find("the node image has no /sbin/init"), std::string::npos)
        << machine.status->message;
  }
  runtime_.RefuseWith(MakeError(StatusCode::kUnavailable, "RuncBusy", "runc is busy"));
  controller_->SyncOnce();
  for (const auto& machine : Machines()) {
    EXPECT_EQ(machine.status->sshd_health, "Unhealthy");
    EXPECT_NE(machine.status->message.find("runc is busy"), std::string::npos);
  }
  runtime_.RefuseWith(std::nullopt);
  controller_->SyncOnce();
  EXPECT_EQ(runtime_.Running().size(), 2u);
}

TEST_F(NodeControllerTest, ANodeThatStopsByItselfIsShownUnreadyAndStartedAgain) {
  controller_->Start();
  const auto wait_for = [](const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
  };
  ASSERT_TRUE(wait_for([&] { return runtime_.Running().size() == 2; }));
  const std::string uid = Machines().front().uid;
  const std::size_t ensured_before = runtime_.Ensured().size();
  runtime_.Exit(uid);
  ASSERT_TRUE(wait_for([&] {
    return runtime_.Running().contains(uid) && runtime_.Ensured().size() > ensured_before;
  }));
  controller_->Stop();
  const auto machine = resources::GetMachine(*store_, Machines().front().row.id,
                                             resources::MachineDetail::kLogs);
  ASSERT_TRUE(machine.ok() && machine->has_value());
  EXPECT_EQ((*machine)->status->sshd_health, "Unhealthy");
  EXPECT_NE((*machine)->log.find("the node stopped by itself"), std::string::npos)
      << (*machine)->log;
}

}  // namespace
}  // namespace gangplank::controller

// The typed records: each codec round-trips, keeps the ARM fields it does not know, and refuses
// a corrupt row with an error instead of a crash.
#include "resources/records.h"

#include <gtest/gtest.h>

#include "resources/operation.h"

namespace gangplank::resources {
namespace {
namespace json = boost::json;

TEST(RecordsTest, AClusterRecordRoundTripsAndKeepsUnknownFields) {
  ClusterRecord cluster;
  cluster.id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c";
  cluster.parent = "/subscriptions/s/resourceGroups/g";
  cluster.version = 3;
  cluster.resource = json::object{{"location", "westus2"},
                                  {"properties", json::object{{"futureSetting", 7}}}};
  cluster.ssh.public_keys = {"ssh-ed25519 AAAA k"};
  cluster.uid = "u-1";
  cluster.set_provisioning_state("Updating");
  cluster.set_power(false);
  auto back = ClusterRecord::Decode(cluster.Encode());
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->location(), "westus2");
  EXPECT_EQ(back->provisioning_state(), "Updating");
  EXPECT_TRUE(back->stopped());
  EXPECT_EQ(back->properties().at("futureSetting"), 7);
  EXPECT_EQ(back->ssh.public_keys, cluster.ssh.public_keys);
  EXPECT_EQ(back->uid, "u-1");
  EXPECT_EQ(back->version, 3);
}

TEST(RecordsTest, APoolRecordCarriesItsModel) {
  PoolRecord pool;
  pool.id = "/p";
  pool.resource = json::object{{"name", "nodepool1"}, {"properties", json::object{{"count", 2}}}};
  pool.model = PoolModel{3, SshModel{"azureuser", {"ssh-ed25519 AAAA old"}, false}, "Disabled", {}, {}};
  pool.model.StartNextVersion({"ssh-ed25519 AAAA old"});
  pool.model.ssh.public_keys = {"ssh-ed25519 AAAA k"};
  auto back = PoolRecord::Decode(pool.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name(), "nodepool1");
  EXPECT_EQ(back->model.version, 4);
  EXPECT_EQ(back->model.ssh_access, "Disabled");
  EXPECT_EQ(back->model.ssh.public_keys.size(), 1u);
  // Machines still on version 3 are served its keys until no machine runs it.
  ASSERT_NE(back->model.KeysOf(3), nullptr);
  EXPECT_EQ(back->model.KeysOf(3)->front(), "ssh-ed25519 AAAA old");
  EXPECT_EQ(back->model.KeysOf(4)->front(), "ssh-ed25519 AAAA k");
  EXPECT_EQ(back->model.KeysOf(2), nullptr);
  // Version 4 waits for the operation that made it; stamped once, it keeps that maker.
  EXPECT_TRUE(back->model.Stamp({"op-1", "alice", "2026-01-01T00:00:00Z"}));
  EXPECT_FALSE(back->model.Stamp({"op-2", "bob", "2026-01-02T00:00:00Z"}));
  back->model.StartNextVersion(back->model.ssh.public_keys);
  EXPECT_TRUE(back->model.Stamp({"op-3", "carol", "2026-01-03T00:00:00Z"}));
  auto again = PoolRecord::Decode(back->Encode());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->model.changes.at(4).caller, "alice");
  EXPECT_EQ(again->model.changes.at(5).operation_id, "op-3");
  // What no machine runs is forgotten; the current version's maker stays.
  back->model.KeepKeysOf({4});
  EXPECT_EQ(back->model.KeysOf(3), nullptr);
  EXPECT_TRUE(back->model.changes.contains(4));
  back->model.KeepKeysOf({});
  EXPECT_FALSE(back->model.changes.contains(4));
  EXPECT_TRUE(back->model.changes.contains(5));
  const store::Mutation write = WriteBack(*back);
  EXPECT_EQ(write.precondition.version, pool.version);
}

TEST(RecordsTest, CorruptRowsAreErrorsNotCrashes) {
  for (const char* body : {"", "[]", "{\"resource\": 3}", "{\"resource\": {}}"}) {
    const store::Resource row{"agentPool", "/p", "/", body, 1};
    EXPECT_FALSE(PoolRecord::Decode(row).ok()) << body;  // the last one lacks its model
  }
  EXPECT_FALSE(ClusterRecord::Decode({"managedCluster", "/c", "/", "not json", 1}).ok());
}

TEST(RecordsTest, AnOperationRecordRoundTripsWithItsLeaseAndLock) {
  Operation operation;
  operation.id = "/subscriptions/s/providers/X/locations/l/operations/o1";
  operation.name = "o1";
  operation.type = "PutAgentPool";
  operation.target = "/t";
  operation.status = "InProgress";
  operation.start_time = "2026-12-01T00:00:00.000000Z";
  operation.lock = "/c/operationLock";
  operation.owner = "host:1:8443";
  operation.lease_until_ms = 1234;
  operation.percent_complete = 40;
  store::Resource row = OperationRow(operation);
  EXPECT_EQ(row.parent, "/subscriptions/s");
  row.version = 5;
  const Operation back = DecodeOperation(row);
  EXPECT_EQ(back.lock, operation.lock);
  EXPECT_EQ(back.owner, operation.owner);
  EXPECT_EQ(back.lease_until_ms, 1234);
  EXPECT_EQ(back.percent_complete, 40);
  EXPECT_EQ(back.version, 5);
  // Clients see the ARM status only, never the work behind it.
  EXPECT_EQ(OperationStatusJson(back).find("owner"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::resources

// Operations on a cluster's nodes through the pure handler with simulated nodes: stop and start
// (no reimage), abortLatestOperation between batches of a rolling upgrade, deleteMachines.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "api/api_harness.h"
#include "controller/machines.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;


class PoolOperationsTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
  }

  void Create(int count, const std::string& surge = "33%") {
    const auto created = Send(HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), count, surge));
    ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
    Settle();
  }

  json::object Get(const std::string& id) {
    const auto response = Send(HttpVerb::get, id + kNewest);
    EXPECT_EQ(response.result(), HttpStatus::ok) << response.body();
    return Body(response).as_object();
  }

  json::array Machines() {
    return Get(kCluster + "/agentPools/nodepool1/machines").at("value").as_array();
  }

  std::string OperationStatus(const HttpResponse& accepted) {
    return std::string(OperationOf(accepted).at("status").as_string());
  }
};

TEST_F(PoolOperationsTest, StopRunsNoSshdAndStartBringsNodesBackWithoutAReimage) {
  Create(2);
  const json::array before = Machines();
  const auto stop = Send(HttpVerb::post, kCluster + "/stop" + kNewest);
  ASSERT_EQ(stop.result(), HttpStatus::accepted) << stop.body();
  Settle();
  EXPECT_EQ(OperationStatus(stop), "Succeeded");
  const json::object stopped = Get(kCluster);
  EXPECT_EQ(stopped.at("properties").at("powerState").at("code"), "Stopped");
  EXPECT_EQ(stopped.at("properties").at("agentPoolProfiles").at(0).at("powerState").at("code"),
            "Stopped");
  for (const auto& machine : Machines()) {
    EXPECT_EQ(machine.at("properties").at("state"), "Stopped");
    EXPECT_EQ(machine.at("properties").at("sshdHealth"), "Stopped");
  }
  // A stopped cluster takes nothing but a start.
  const auto put = Send(HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 2));
  EXPECT_EQ(put.result(), HttpStatus::conflict);
  EXPECT_EQ(Send(HttpVerb::post, kCluster + "/agentPools/nodepool1/upgradeNodeImageVersion" + kNewest)
                .result(),
            HttpStatus::conflict);

  const auto start = Send(HttpVerb::post, kCluster + "/start" + kNewest);
  ASSERT_EQ(start.result(), HttpStatus::accepted);
  Settle();
  EXPECT_EQ(Get(kCluster).at("properties").at("powerState").at("code"), "Running");
  const json::array after = Machines();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].at("name"), before[i].at("name"));
    EXPECT_EQ(after[i].at("properties").at("state"), "Running");
    EXPECT_EQ(after[i].at("properties").at("desiredModelVersion"),
              before[i].at("properties").at("desiredModelVersion"));
    EXPECT_EQ(after[i].at("properties").at("latestModelApplied"), true);
  }
  // stop and start arrived with 2020-09-01.
  EXPECT_EQ(ErrorCode(Send(HttpVerb::post, kCluster + "/stop?api-version=2020-07-01")),
            "NoRegisteredProviderFound");
}

TEST_F(PoolOperationsTest, AbortStopsARollingUpgradeBetweenBatches) {
  Create(3, "1");
  EXPECT_EQ(Send(HttpVerb::post, kCluster + "/abort" + kNewest).result(), HttpStatus::no_content)
      << "nothing runs: nothing to abort (the spec's 204)";
  // A new key, then the upgrade that rolls it out one node at a time.
  json::object body = Get(kCluster);
  body["properties"].as_object()["linuxProfile"].as_object()["ssh"] =
      json::object{{"publicKeys", json::array{json::object{{"keyData", NewKey()}}}}};
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kNewest, json::serialize(body)).result(), HttpStatus::ok);
  Settle();
  const auto upgrade =
      Send(HttpVerb::post, kCluster + "/agentPools/nodepool1/upgradeNodeImageVersion" + kNewest);
  ASSERT_EQ(upgrade.result(), HttpStatus::accepted);
  operations_->RunPending();  // the first batch (one node) is told to reimage
  const auto abort = Send(HttpVerb::post, kCluster + "/agentPools/nodepool1/abort" + kNewest);
  ASSERT_EQ(abort.result(), HttpStatus::accepted) << abort.body();
  EXPECT_EQ(Get(kCluster + "/agentPools/nodepool1").at("properties").at("provisioningState"),
            "Canceling");
  Settle();
  EXPECT_EQ(OperationStatus(upgrade), "Canceled");
  EXPECT_EQ(OperationStatus(abort), "Succeeded");
  EXPECT_EQ(Get(kCluster + "/agentPools/nodepool1").at("properties").at("provisioningState"),
            "Canceled");
  int latest = 0, behind = 0;
  for (const auto& machine : Machines())
    (machine.at("properties").at("latestModelApplied") == true ? latest : behind) += 1;
  EXPECT_EQ(latest, 1) << "the batch in flight finished";
  EXPECT_EQ(behind, 2) << "no new batch started";
  // The pool takes work again; the next upgrade finishes the job.
  ASSERT_EQ(Send(HttpVerb::post, kCluster + "/agentPools/nodepool1/upgradeNodeImageVersion" + kNewest)
                .result(),
            HttpStatus::accepted);
  Settle();
  for (const auto& machine : Machines())
    EXPECT_EQ(machine.at("properties").at("latestModelApplied"), true);
}

TEST_F(PoolOperationsTest, DeleteMachinesRemovesTheNamedNodesAndLowersTheCount) {
  Create(3);
  const json::array before = Machines();
  const std::string doomed(before.at(1).at("name").as_string());
  const std::string pool = kCluster + "/agentPools/nodepool1";
  const auto deleted = Send(HttpVerb::post, pool + "/deleteMachines" + kNewest,
                            json::serialize(json::object{{"machineNames", json::array{doomed}}}));
  ASSERT_EQ(deleted.result(), HttpStatus::accepted) << deleted.body();
  Settle();
  EXPECT_EQ(Get(pool).at("properties").at("count"), 2);
  std::set<std::string> names;
  for (const auto& machine : Machines()) names.insert(std::string(machine.at("name").as_string()));
  EXPECT_EQ(names, (std::set<std::string>{std::string(before.at(0).at("name").as_string()),
                                          std::string(before.at(2).at("name").as_string())}));

  const auto unknown = Send(HttpVerb::post, pool + "/deleteMachines" + kNewest,
                            R"({"machineNames":["aks-nodepool1-00000000-vmss00000z"]})");
  EXPECT_EQ(unknown.result(), HttpStatus::bad_request);
  EXPECT_EQ(Body(unknown).at("error").at("target"), "machineNames");
  EXPECT_EQ(Send(HttpVerb::post, pool + "/deleteMachines" + kNewest, R"({"machineNames":[]})")
                .result(),
            HttpStatus::bad_request);
  json::array all;
  for (const auto& name : names) all.push_back(json::value(name));
  EXPECT_EQ(Send(HttpVerb::post, pool + "/deleteMachines" + kNewest,
                 json::serialize(json::object{{"machineNames", all}}))
                .result(),
            HttpStatus::bad_request)
      << "a System pool keeps at least one node";
  EXPECT_EQ(ErrorCode(Send(HttpVerb::post, pool + "/deleteMachines" + kVersion,
                           json::serialize(json::object{{"machineNames", all}}))),
            "NoRegisteredProviderFound");
}

}  // namespace
}  // namespace gangplank::api

// Every field of the bodies the az CLI sends, replaced in turn by values of every wrong type: the
// answer is a 2xx or a 4xx with an ARM error body, never a 5xx, and a refused request writes
// nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>

#include "api/api_harness.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;


// The body `az aks create --ssh-key-value` sends (../shared/reference/az-cli-2.45-requests.md).
json::value AzCreateBody() {
  const std::string key = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "sweep@host"})
                              ->public_key.ToPublicKeyLine();
  json::value body = json::parse(R"({
    "location": "westus2", "identity": {"type": "SystemAssigned"},
    "properties": {
      "kubernetesVersion": "", "dnsPrefix": "c1-rg1-000000",
      "agentPoolProfiles": [{
        "count": 2, "vmSize": "Standard_DS2_v2", "osDiskSizeGB": 0, "osType": "Linux",
        "enableAutoScaling": false, "type": "VirtualMachineScaleSets", "mode": "System",
        "orchestratorVersion": "", "upgradeSettings": {}, "enableNodePublicIP": false,
        "scaleSetPriority": "Regular", "scaleSetEvictionPolicy": "Delete", "spotMaxPrice": -1.0,
        "nodeTaints": [], "enableEncryptionAtHost": false, "enableUltraSSD": false,
        "enableFIPS": false, "name": "nodepool1",
        "securityProfile": {"sshAccess": "LocalUser"}}],
      "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": ""}]}},
      "addonProfiles": {}, "enableRBAC": true,
      "networkProfile": {"networkPlugin": "kubenet", "podCidr": "10.244.0.0/16",
        "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10",
        "dockerBridgeCidr": "172.17.0.1/16", "outboundType": "loadBalancer",
        "loadBalancerSku": "standard"},
      "disableLocalAccounts": false, "storageProfile": {}}})");
  body.at("properties").at("linuxProfile").at("ssh").at("publicKeys").at(0).as_object()["keyData"] =
      key;
  return body;
}

// What `az aks nodepool add` sends.
json::value AzPoolBody() {
  return json::parse(R"({"properties": {
    "count": 3, "vmSize": "Standard_DS2_v2", "osDiskSizeGB": 0, "osType": "Linux",
    "osSKU": "AzureLinux", "type": "VirtualMachineScaleSets", "mode": "User",
    "orchestratorVersion": "", "upgradeSettings": {"maxSurge": "33%"}, "nodeTaints": [],
    "enableAutoScaling": false, "securityProfile": {"sshAccess": "Disabled"}}})");
}

std::vector<json::value> WrongValues() {
  return {nullptr,
          json::value(7),
          json::value(-1),
          json::value(1e308),
          json::value(""),
          json::value("x"),
          json::value(true),
          json::array{},
          json::array{1, 2},
          json::object{},
          json::value(std::string(5000, 'a')),
          json::value(std::int64_t{9007199254740993})};
}

// Every place in `root` a value can be replaced: object members and array elements, recursively.
void ForEachSlot(json::value& node, const std::string& path,
                 const std::function<void(json::value&, const std::string&)>& visit) {
  if (node.is_object()) {
    for (auto& [key, child] : node.as_object()) {
      const std::string child_path = path + "." + std::string(key);
      visit(child, child_path);
      ForEachSlot(child, child_path, visit);
    }
  } else if (node.is_array()) {
    auto& array = node.as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      const std::string child_path = path + "[" + std::to_string(i) + "]";
      visit(array[i], child_path);
      ForEachSlot(array[i], child_path, visit);
    }
  }
}

class BadInputSweepTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
  }

  std::size_t Rows(std::string_view kind) { return store_->ListKind(kind)->size(); }

  // Sends `body` for every wrong value in every slot of `original`; `after_success` undoes what
  // an accepted request did.
  void Sweep(const json::value& original, const std::string& target, int at_least,
             const std::function<void()>& after_success) {
    int requests = 0, accepted = 0;
    json::value walk = original;
    std::vector<std::string> paths;
    ForEachSlot(walk, "", [&](json::value&, const std::string& path) { paths.push_back(path); });
    for (const std::string& path : paths) {
      for (const json::value& wrong : WrongValues()) {
        json::value body = original;
        ForEachSlot(body, "", [&](json::value& slot, const std::string& at) {
          if (at == path) slot = wrong;
        });
        const std::size_t clusters = Rows("managedCluster"), pools = Rows("agentPool"),
                          operations = Rows("operation"), machines = Rows("machine");
        const HttpResponse response = Send(HttpVerb::put, target, json::serialize(body));
        ++requests;
        const unsigned status = response.result_int();
        ASSERT_LT(status, 500u) << path << " = " << json::serialize(wrong) << ": "
                                << response.body();
        if (status >= 400) {
          ASSERT_TRUE(Body(response).at("error").at("code").is_string()) << response.body();
          EXPECT_EQ(Rows("managedCluster"), clusters) << path;
          EXPECT_EQ(Rows("agentPool"), pools) << path;
          EXPECT_EQ(Rows("operation"), operations) << path;
          EXPECT_EQ(Rows("machine"), machines) << path;
          continue;
        }
        ++accepted;
        Settle();
        after_success();
      }
    }
    // The sweep must have tried a real number of bodies and refused most of them.
    EXPECT_GE(requests, at_least);
    EXPECT_LT(accepted, requests);
  }
};

TEST_F(BadInputSweepTest, ClusterBodiesWithAWrongValueAnywhereAreNever5xx) {
  Sweep(AzCreateBody(), kCluster + kVersion, 500, [this] {
    ASSERT_EQ(Send(HttpVerb::delete_, kCluster + kVersion).result_int() / 100, 2u);
    Settle();
    ASSERT_EQ(Rows("managedCluster"), 0u);
  });
}

TEST_F(BadInputSweepTest, PoolBodiesWithAWrongValueAnywhereAreNever5xx) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, json::serialize(AzCreateBody())).result(),
            HttpStatus::created);
  Settle();
  const std::string pool = kCluster + "/agentPools/user1" + kVersion;
  Sweep(AzPoolBody(), pool, 150, [&] {
    ASSERT_EQ(Send(HttpVerb::delete_, pool).result_int() / 100, 2u);
    Settle();
  });
}

}  // namespace
}  // namespace gangplank::api

// Requests in the shape of the REST spec's published examples (Microsoft.ContainerService
// 2022-11-01, 2026-08-01 and 2026-08-02-preview), written for these tests: each is answered as
// the examples' responses show (valid Linux bodies succeed with the fields the service computes;
// Windows pools and what Gangplank cannot run get a clear 400).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api_harness.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;

constexpr const char* kPreview = "?api-version=2026-08-02-preview";

class SpecExamplesTest : public ApiHarness, public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
    key_ = sshkey::GenerateKeyPair({sshkey::KeyKind::kRsa, 2048, "example"})
               ->public_key.ToPublicKeyLine();
  }
  std::string Version() const { return GetParam(); }

  // A cluster body as the examples write them: location, tags, sku, a DNS prefix, one or more
  // pools, a Linux profile, and whatever `extra` adds to properties / the top level.
  json::object Body(json::object extra = {}, json::object top = {},
                    json::array pools = {}) const {
    if (pools.empty()) {
      pools.push_back(json::object{{"name", "nodepool1"},
                                   {"count", 3},
                                   {"vmSize", "Standard_DS2_v2"},
                                   {"osType", "Linux"},
                                   {"type", "VirtualMachineScaleSets"},
                                   {"enableNodePublicIP", true},
                                   {"mode", "System"}});
    }
    json::object properties{
        {"kubernetesVersion", ""},
        {"dnsPrefix", "dnsprefix1"},
        {"agentPoolProfiles", pools},
        {"linuxProfile",
         json::object{{"adminUsername", "azureuser"},
                      {"ssh", json::object{{"publicKeys",
                                            json::array{json::object{{"keyData", key_}}}}}}}},
        {"servicePrincipalProfile", json::object{{"clientId", "clientid"}, {"secret", "secret"}}},
        {"addonProfiles", json::object{}},
        {"enableRBAC", true},
        {"networkProfile",
         json::object{{"outboundType", "loadBalancer"},
                      {"loadBalancerSku", "standard"},
                      {"loadBalancerProfile",
                       json::object{{"managedOutboundIPs", json::object{{"count", 2}}}}}}}};
    for (auto& [name, value] : extra) properties[name] = value;
    json::object body{{"location", "location1"},
                      {"tags", json::object{{"tier", "production"}, {"archv2", ""}}},
                      {"sku", json::object{{"name", "Base"}, {"tier", "Free"}}},
                      {"properties", properties}};
    for (auto& [name, value] : top) body[name] = value;
    return body;
  }

  // PUT, wait, GET: the final view.
  json::object Create(const json::object& body) {
    const auto reply = Send(HttpVerb::put, kCluster + Version(), json::serialize(body));
    EXPECT_EQ(reply.result(), HttpStatus::created) << reply.body();
    Settle();
    const auto got = Send(HttpVerb::get, kCluster + Version());
    EXPECT_EQ(got.result(), HttpStatus::ok) << got.body();
    return ApiHarness::Body(got).as_object();
  }

  std::string key_;
};

TEST_P(SpecExamplesTest, CreateUpdateShowsWhatTheServiceComputes) {
  const json::object cluster = Create(Body());
  const json::value& p = cluster.at("properties");
  EXPECT_EQ(p.at("provisioningState"), "Succeeded");
  for (const char* field : {"fqdn", "azurePortalFQDN", "nodeResourceGroup",
                            "currentKubernetesVersion", "maxAgentPools", "powerState"})
    EXPECT_TRUE(p.as_object().contains(field)) << field;
  const json::value& network = p.at("networkProfile");
  for (const char* field : {"networkPlugin", "podCidr", "serviceCidr", "dnsServiceIP",
                            "ipFamilies", "podCidrs", "serviceCidrs"})
    EXPECT_TRUE(network.as_object().contains(field)) << field;
  const json::value& balancer = network.at("loadBalancerProfile");
  EXPECT_EQ(balancer.at("managedOutboundIPs").at("count"), 2);
  EXPECT_FALSE(balancer.at("effectiveOutboundIPs").as_array().empty());
  const json::value& pool = p.at("agentPoolProfiles").at(0);
  for (const char* field : {"maxPods", "osDiskSizeGB", "nodeImageVersion", "orchestratorVersion",
                            "currentOrchestratorVersion", "provisioningState", "upgradeSettings"})
    EXPECT_TRUE(pool.as_object().contains(field)) << field;
  EXPECT_FALSE(p.at("servicePrincipalProfile").as_object().contains("secret"));
}

TEST_P(SpecExamplesTest, PrivateUserAssignedAndNatGatewayClusters) {
  const std::string uai =
      "/subscriptions/sub-1/resourcegroups/rgName1/providers/"
      "Microsoft.ManagedIdentity/userAssignedIdentities/identity1";
  const json::object cluster =
      Create(Body({{"apiServerAccessProfile", json::object{{"enablePrivateCluster", true}}},
                   {"networkProfile", json::object{{"outboundType", "managedNATGateway"},
                                                   {"natGatewayProfile",
                                                    json::object{{"managedOutboundIPProfile",
                                                                  json::object{{"count", 2}}}}}}}},
                  {{"identity", json::object{{"type", "UserAssigned"},
                                             {"userAssignedIdentities",
                                              json::object{{uai, json::object{}}}}}}}));
  const json::value& p = cluster.at("properties");
  EXPECT_TRUE(p.as_object().contains("privateFQDN"));
  EXPECT_EQ(p.at("apiServerAccessProfile").at("privateDNSZone"), "system");
  const json::value& nat = p.at("networkProfile").at("natGatewayProfile");
  EXPECT_EQ(nat.at("managedOutboundIPProfile").at("count"), 2);
  EXPECT_FALSE(nat.at("effectiveOutboundIPs").as_array().empty());
  EXPECT_TRUE(nat.as_object().contains("idleTimeoutInMinutes"));
  const json::value& identity = cluster.at("identity").at("userAssignedIdentities").at(uai);
  EXPECT_FALSE(identity.at("principalId").as_string().empty());
  EXPECT_FALSE(identity.at("clientId").as_string().empty());
  EXPECT_TRUE(p.at("identityProfile").at("kubeletidentity").as_object().contains("resourceId"));
}

TEST_P(SpecExamplesTest, AgentPoolsAsTheExamplesCreateThem) {
  Create(Body());
  const auto put = [&](const std::string& name, const json::object& properties) {
    const auto reply = Send(HttpVerb::put, kCluster + "/agentPools/" + name + Version(),
                            json::serialize(json::object{{"properties", properties}}));
    Settle();
    return reply;
  };
  // AgentPoolsCreate_Spot, _OSSKU, _Ephemeral, _MessageOfTheDay: accepted with their defaults.
  const auto spot = put("spot", {{"count", 3},
                                 {"vmSize", "Standard_DS1_v2"},
                                 {"osType", "Linux"},
                                 {"scaleSetPriority", "Spot"},
                                 {"scaleSetEvictionPolicy", "Delete"},
                                 {"nodeLabels", json::object{{"key1", "val1"}}},
                                 {"nodeTaints", json::array{"Key1=Value1:NoSchedule"}}});
  ASSERT_EQ(spot.result(), HttpStatus::created) << spot.body();
  const json::value spot_view = ApiHarness::Body(Send(HttpVerb::get, kCluster + "/agentPools/spot" + Version()));
  EXPECT_EQ(spot_view.at("properties").at("spotMaxPrice"), -1);
  EXPECT_EQ(spot_view.at("properties").at("nodeTaints").at(0), "Key1=Value1:NoSchedule");
  EXPECT_EQ(put("azl", {{"count", 1}, {"osType", "Linux"}, {"osSKU", "AzureLinux"},
                        {"osDiskType", "Ephemeral"}, {"osDiskSizeGB", 64},
                        {"messageOfTheDay", "Zm9vCg=="}})
                .result(),
            HttpStatus::created);
  // AgentPoolsCreate_WindowsOSSKU: refused, clearly.
  const auto windows = put("wnp2", {{"count", 3}, {"osType", "Windows"}, {"osSKU", "Windows2022"}});
  EXPECT_EQ(windows.result(), HttpStatus::bad_request);
  EXPECT_EQ(ErrorCode(windows), "InvalidParameter");
  // AgentPoolsCreate_TypeVirtualMachines where the version has it: its size from the profile.
  if (Version() != kVersion) {
    const auto vms = put("vmpool", {{"osType", "Linux"},
                                    {"type", "VirtualMachines"},
                                    {"virtualMachinesProfile",
                                     json::object{{"scale",
                                                   json::object{{"manual",
                                                                 json::array{json::object{
                                                                     {"size", "Standard_D2_v2"},
                                                                     {"count", 2}}}}}}}}});
    ASSERT_EQ(vms.result(), HttpStatus::created) << vms.body();
    const json::value view = ApiHarness::Body(Send(HttpVerb::get, kCluster + "/agentPools/vmpool" + Version()));
    EXPECT_EQ(view.at("properties").at("count"), 2);
    EXPECT_EQ(view.at("properties").at("virtualMachineNodesStatus").at(0).at("count"), 2);
  }
  // AgentPoolsGetAgentPoolAvailableVersions and the upgrade profiles.
  const json::value available =
      ApiHarness::Body(Send(HttpVerb::get, kCluster + "/availableAgentPoolVersions" + Version()));
  EXPECT_FALSE(available.at("properties").at("agentPoolVersions").as_array().empty());
  const json::value profile = ApiHarness::Body(
      Send(HttpVerb::get, kCluster + "/agentPools/spot/upgradeProfiles/default" + Version()));
  EXPECT_TRUE(profile.at("properties").as_object().contains("latestNodeImageVersion"));
}

TEST_P(SpecExamplesTest, TheExamplesPlaceholderKeyIsRefusedAsTheServiceWould) {
  json::object body = Body();
  body["properties"].as_object()["linuxProfile"].as_object()["ssh"] =
      json::object{{"publicKeys", json::array{json::object{{"keyData", "keydata"}}}}};
  const auto reply = Send(HttpVerb::put, kCluster + Version(), json::serialize(body));
  EXPECT_EQ(reply.result(), HttpStatus::bad_request);
  EXPECT_EQ(ApiHarness::Body(reply).at("error").at("target"), "linuxProfile.ssh.publicKeys.keyData");
}

TEST_P(SpecExamplesTest, WhatGangplankCannotRunIsAClear400) {
  Create(Body());
  const std::string pool = kCluster + "/agentPools/nodepool1";
  for (const auto& [verb, path] : std::vector<std::pair<HttpVerb, std::string>>{
           {HttpVerb::put, pool + "/machines/aks-nodepool1-00000000-vmss000009"},
           {HttpVerb::post, pool + "/completeUpgrade"},
           {HttpVerb::post, pool + "/listBootstrapData"},
           {HttpVerb::post, kCluster + "/generateUpgradeInsights"},
           {HttpVerb::post, kCluster + "/runCommand"}}) {
    const auto reply = Send(verb, path + Version(), "{}");
    EXPECT_EQ(reply.result(), HttpStatus::bad_request) << path;
    EXPECT_EQ(ErrorCode(reply), "OperationNotSupported") << path;
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, SpecExamplesTest,
                         ::testing::Values(kVersion, kNewest, kPreview),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           std::string name = std::string(param.param).substr(13);
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace gangplank::api

// The ARM contract as real clients see it: tags by PATCH, secrets never echoed or stored,
// partial pool PUTs, server-made identities, key data as az sends it from a file.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api_harness.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;

std::string NewKey() {
  return sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "test@host"})
      ->public_key.ToPublicKeyLine();
}

class ArmContractTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
  }

  // A cluster body in the shape of the spec's examples: a System pool, a key, and what else
  // `properties` is given.
  static std::string ClusterBody(const std::string& key, json::object extra = {},
                                 json::object top = {}) {
    json::object properties = std::move(extra);
    properties["dnsPrefix"] = "c1";
    properties["linuxProfile"] = json::object{
        {"adminUsername", "azureuser"},
        {"ssh", json::object{{"publicKeys", json::array{json::object{{"keyData", key}}}}}}};
    properties["agentPoolProfiles"] = json::parse(
        R"([{"name":"nodepool1","count":3,"vmSize":"Standard_DS2_v2","mode":"System",
             "osType":"Linux","type":"VirtualMachineScaleSets"}])");
    top["location"] = "westus2";
    top["properties"] = std::move(properties);
    return json::serialize(top);
  }

  json::object Created(const std::string& body) {
    const auto response = Send(HttpVerb::put, kCluster + kVersion, body);
    EXPECT_EQ(response.result(), HttpStatus::created) << response.body();
    Settle();
    return Get(kCluster);
  }

  json::object Get(const std::string& id) {
    const auto response = Send(HttpVerb::get, id + kVersion);
    EXPECT_EQ(response.result(), HttpStatus::ok) << response.body();
    return Body(response).as_object();
  }

  // Every stored row, as text: what a secret must never be found in.
  std::string EverythingStored() {
    std::string all;
    for (const char* kind : {"managedCluster", "agentPool", "operation"}) {
      const auto rows = store_->ListKind(kind);
      EXPECT_TRUE(rows.ok());
      if (rows.ok())
        for (const auto& row : *rows) all += row.body;
    }
    return all;
  }
};

TEST_F(ArmContractTest, PatchChangesTagsOnlyAndIsALongRunningOperation) {
  const json::object before = Created(ClusterBody(NewKey(), {}, {{"tags", {{"env", "dev"}}}}));
  const auto patched = Send(HttpVerb::patch, kCluster + kVersion,
                            R"({"tags":{"env":"prod","team":"platform"}})");
  ASSERT_EQ(patched.result(), HttpStatus::ok) << patched.body();
  EXPECT_FALSE(patched[boost::beast::http::field::etag].empty());
  EXPECT_FALSE(patched["Azure-AsyncOperation"].empty());
  Settle();
  const json::object after = Get(kCluster);
  EXPECT_EQ(after.at("tags"), (json::object{{"env", "prod"}, {"team", "platform"}}));
  EXPECT_EQ(after.at("properties").at("provisioningState"), "Succeeded");
  EXPECT_EQ(after.at("properties").at("linuxProfile"), before.at("properties").at("linuxProfile"));
  EXPECT_EQ(after.at("properties").at("agentPoolProfiles").at(0).at("count"), 3);

  for (const char* bad : {R"({"tags":["a"]})", R"({"tags":{"a":1}})", R"({"tags":{"a/b":"c"}})"}) {
    const auto refused = Send(HttpVerb::patch, kCluster + kVersion, bad);
    EXPECT_EQ(refused.result(), HttpStatus::bad_request) << bad;
    EXPECT_EQ(Body(refused).at("error").at("target"), "tags") << bad;
  }
  json::object many;
  for (int i = 0; i < 51; ++i) many["t" + std::to_string(i)] = "v";
  EXPECT_EQ(Send(HttpVerb::patch, kCluster + kVersion, json::serialize(json::object{{"tags", many}}))
                .result(),
            HttpStatus::bad_request);
  const auto missing = Send(HttpVerb::patch,
                            kGroup + "/providers/Microsoft.ContainerService/managedClusters/nope" +
                                kVersion,
                            R"({"tags":{}})");
  EXPECT_EQ(missing.result(), HttpStatus::not_found);
}

TEST_F(ArmContractTest, SecretsAreNeitherReturnedNorStored) {
  const json::object extra{
      {"servicePrincipalProfile",
       json::object{{"clientId", "sp-client"}, {"secret", "sp-secret-value-1"}}},
      {"windowsProfile",
       json::object{{"adminUsername", "azureuser"}, {"adminPassword", "win-password-value-2"}}},
      {"aadProfile", json::object{{"serverAppSecret", "aad-secret-value-3"}}}};
  const auto created = Send(HttpVerb::put, kCluster + kVersion, ClusterBody(NewKey(), extra));
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  Settle();
  const auto listed = Send(HttpVerb::get, kGroup +
                                              "/providers/Microsoft.ContainerService/"
                                              "managedClusters" +
                                              kVersion);
  for (const std::string& text :
       {std::string(created.body()), std::string(Send(HttpVerb::get, kCluster + kVersion).body()),
        std::string(listed.body()), EverythingStored()}) {
    for (const char* secret : {"sp-secret-value-1", "win-password-value-2", "aad-secret-value-3"})
      EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
  const json::object view = Get(kCluster);
  EXPECT_EQ(view.at("properties").at("servicePrincipalProfile").at("clientId"), "sp-client");
  EXPECT_EQ(view.at("properties").at("windowsProfile").at("adminUsername"), "azureuser");
}

TEST_F(ArmContractTest, APartialPoolPutKeepsWhatItDoesNotName) {
  Created(ClusterBody(NewKey()));
  const std::string pool = kCluster + "/agentPools/nodepool1";
  const auto put = Send(HttpVerb::put, pool + kVersion, R"({"properties":{"tags":{"a":"b"}}})");
  ASSERT_EQ(put.result(), HttpStatus::ok) << put.body();
  Settle();
  const json::object after = Get(pool);
  EXPECT_EQ(after.at("properties").at("count"), 3);
  EXPECT_EQ(after.at("properties").at("vmSize"), "Standard_DS2_v2");
  EXPECT_EQ(after.at("properties").at("mode"), "System");
  EXPECT_EQ(after.at("properties").at("tags"), (json::object{{"a", "b"}}));
}

TEST_F(ArmContractTest, ASystemAssignedClusterCarriesAKubeletIdentityThatStays) {
  const json::object created =
      Created(ClusterBody(NewKey(), {}, {{"identity", {{"type", "SystemAssigned"}}}}));
  const json::value& kubelet =
      created.at("properties").at("identityProfile").at("kubeletidentity");
  for (const char* field : {"resourceId", "clientId", "objectId"})
    EXPECT_FALSE(kubelet.at(field).as_string().empty()) << field;
  EXPECT_FALSE(created.at("identity").at("principalId").as_string().empty());

  // aks-preview's update: GET, then PUT of what it read with a new key and a forged identity.
  json::object body = created;
  body["properties"].as_object()["linuxProfile"].as_object()["ssh"] =
      json::object{{"publicKeys", json::array{json::object{{"keyData", NewKey()}}}}};
  body["properties"].as_object()["identityProfile"] =
      json::object{{"kubeletidentity", json::object{{"clientId", "forged"}}}};
  const auto updated = Send(HttpVerb::put, kCluster + kVersion, json::serialize(body));
  ASSERT_EQ(updated.result(), HttpStatus::ok) << updated.body();
  Settle();
  const json::object after = Get(kCluster);
  EXPECT_EQ(after.at("properties").at("identityProfile").at("kubeletidentity"), kubelet);
  EXPECT_EQ(after.at("identity").at("principalId"), created.at("identity").at("principalId"));
}

TEST_F(ArmContractTest, KeyDataWithTheNewlineOfAFileIsAccepted) {
  const std::string key = NewKey();
  const json::object created = Created(ClusterBody(key + "\n"));
  EXPECT_EQ(created.at("properties").at("linuxProfile").at("ssh").at("publicKeys").at(0).at(
                "keyData"),
            json::value(key));
  // The same key from a file with Windows line ends: the same key, nothing to roll out.
  const auto again = Send(HttpVerb::put, kCluster + kVersion, ClusterBody(key + "\r\n"));
  EXPECT_EQ(again.result(), HttpStatus::ok) << again.body();
}

TEST_F(ArmContractTest, TheUpgradeResultUrlAnswers202ThenTheAgentPool) {
  Created(ClusterBody(NewKey()));
  const auto started =
      Send(HttpVerb::post, kCluster + "/agentPools/nodepool1/upgradeNodeImageVersion" + kVersion);
  ASSERT_EQ(started.result(), HttpStatus::accepted) << started.body();
  std::string location(started[boost::beast::http::field::location]);
  location = location.substr(location.find("/subscriptions/"));
  EXPECT_EQ(Send(HttpVerb::get, location).result(), HttpStatus::accepted);
  Settle();
  const auto done = Send(HttpVerb::get, location);
  ASSERT_EQ(done.result(), HttpStatus::ok);
  EXPECT_EQ(Body(done).at("name"), "nodepool1");
  EXPECT_EQ(Body(done).at("properties").at("provisioningState"), "Succeeded");
}

}  // namespace
}  // namespace gangplank::api

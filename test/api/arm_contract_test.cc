// The ARM contract as real clients see it: tags by PATCH, secrets never echoed or stored,
// partial pool PUTs, server-made identities, key data as az sends it from a file.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "api/api_harness.h"
#include "mocks/faulty_store.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;


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

TEST_F(ArmContractTest, UpgradeProfilesShowTheLatestNodeImageBeforeTheUpgrade) {
  Created(ClusterBody(NewKey()));
  const std::string profile = kCluster + "/agentPools/nodepool1/upgradeProfiles/default";
  const json::object before = Get(profile);
  EXPECT_EQ(before.at("name"), "default");
  EXPECT_EQ(before.at("properties").at("osType"), "Linux");
  EXPECT_EQ(before.at("properties").at("latestNodeImageVersion"),
            json::value(images_.Latest("Ubuntu")));
  ASSERT_TRUE(images_.Publish("Ubuntu", "AKSUbuntu-2204gen2containerd-202612.01.0").ok());
  EXPECT_EQ(Get(profile).at("properties").at("latestNodeImageVersion"),
            "AKSUbuntu-2204gen2containerd-202612.01.0");
  // The pool's own image moves only with the upgrade.
  EXPECT_NE(Get(kCluster + "/agentPools/nodepool1").at("properties").at("nodeImageVersion"),
            "AKSUbuntu-2204gen2containerd-202612.01.0");

  const json::object cluster = Get(kCluster + "/upgradeProfiles/default");
  const json::value& control = cluster.at("properties").at("controlPlaneProfile");
  EXPECT_EQ(control.at("kubernetesVersion"), "1.25.6");
  EXPECT_FALSE(control.at("upgrades").as_array().empty());
  EXPECT_EQ(cluster.at("properties").at("agentPoolProfiles").at(0).at("name"), "nodepool1");
}

TEST_F(ArmContractTest, LocationsListKubernetesVersionsAndOrchestrators) {
  const std::string location = "/subscriptions/sub-1/providers/Microsoft.ContainerService/locations/westus2";
  const auto versions = Send(HttpVerb::get, location + "/kubernetesVersions" + kNewest);
  ASSERT_EQ(versions.result(), HttpStatus::ok) << versions.body();
  bool has_default = false;
  const json::value listed = Body(versions);
  for (const auto& v : listed.at("values").as_array()) {
    if (v.at("isDefault") == true) {
      has_default = true;
      EXPECT_TRUE(v.at("patchVersions").as_object().contains("1.25.6"));
    }
  }
  EXPECT_TRUE(has_default);
  // kubernetesVersions arrived with 2023-03-01: an older version says which to use.
  const auto old = Send(HttpVerb::get, location + "/kubernetesVersions" + kVersion);
  EXPECT_EQ(old.result(), HttpStatus::bad_request);
  EXPECT_NE(std::string(Body(old).at("error").at("message").as_string()).find("2023-03-01"),
            std::string::npos);
  const auto orchestrators =
      Send(HttpVerb::get, location + "/orchestrators?api-version=2019-08-01&resource-type=managedClusters");
  ASSERT_EQ(orchestrators.result(), HttpStatus::ok) << orchestrators.body();
  EXPECT_EQ(Body(orchestrators).at("properties").at("orchestrators").at(0).at("orchestratorType"),
            "Kubernetes");
}

// ManagedClusters_GetOSOptions is in the specs of 2021-03-01 to 2024-02-01 and of previews
// 2021-11-01 to 2024-05-02; the versions around them do not have it, and say which do.
TEST_F(ArmContractTest, OsOptionsAnswerInTheVersionsThatHaveThemAndOnlyThere) {
  const std::string options = "/subscriptions/sub-1/providers/Microsoft.ContainerService/locations/"
                              "westus2/osOptions/default?resource-type=managedClusters&api-version=";
  for (const char* version : {"2021-03-01", "2024-02-01", "2021-11-01-preview", "2024-05-02-preview",
                              "2023-08-02-preview"}) {
    const auto answer = Send(HttpVerb::get, options + version);
    ASSERT_EQ(answer.result(), HttpStatus::ok) << version << ": " << answer.body();
    const json::value body = Body(answer);
    EXPECT_EQ(body.at("type"), "Microsoft.ContainerService/locations/osOptions");
    EXPECT_EQ(body.at("name"), "default");
    const json::array& list = body.at("properties").at("osOptionPropertyList").as_array();
    ASSERT_EQ(list.size(), 1u);  // Linux only: Gangplank runs no Windows pools
    EXPECT_EQ(list.at(0).at("os-type"), "Linux");
    EXPECT_EQ(list.at(0).at("enable-fips-image"), false);
  }
  for (const char* version : {"2021-02-01", "2024-05-01", "2026-08-01", "2024-06-02-preview"}) {
    const auto answer = Send(HttpVerb::get, options + version);
    EXPECT_EQ(answer.result(), HttpStatus::bad_request) << version;
    EXPECT_NE(std::string(Body(answer).at("error").at("message").as_string()).find("2024-02-01"),
              std::string::npos)
        << version;
  }
}

TEST_F(ArmContractTest, AGroupListsItsClustersAsResources) {
  Created(ClusterBody(NewKey(), {}, {{"tags", {{"env", "dev"}}}}));
  const auto listed = Send(HttpVerb::get, kGroup + "/resources?api-version=2019-10-01");
  ASSERT_EQ(listed.result(), HttpStatus::ok) << listed.body();
  const json::value body = Body(listed);
  const json::array& value = body.at("value").as_array();
  ASSERT_EQ(value.size(), 1u);
  EXPECT_EQ(value.at(0).at("type"), "Microsoft.ContainerService/ManagedClusters");
  EXPECT_EQ(value.at(0).at("tags").at("env"), "dev");
  EXPECT_EQ(Send(HttpVerb::get, "/subscriptions/sub-1/resourceGroups/none/resources?api-version=2025-04-01")
                .result(),
            HttpStatus::not_found);
}

// A record that cannot be read (a damaged database, a bad manual edit) takes no list down: the
// cluster is left out and logged, its own GET says what is wrong and what to do, and it can
// still be deleted; so can a pool whose record cannot be read.
TEST_F(ArmContractTest, AnUnreadableRecordIsReportedLeftOutOfListsAndStillDeletable) {
  Created(ClusterBody(NewKey()));
  const std::string other = kGroup + "/providers/Microsoft.ContainerService/managedClusters/c2";
  ASSERT_EQ(Send(HttpVerb::put, other + kVersion, ClusterBody(NewKey())).result(),
            HttpStatus::created);
  Settle();
  const auto damage = [&](std::string_view kind, const std::string& id) {
    auto row = store_->Get(kind, id);
    ASSERT_TRUE(row.ok() && row->has_value()) << id;
    store::Resource broken = **row;
    broken.body = "{\"resource\": 42";
    ASSERT_TRUE(store_->Put(broken, store::Precondition::Any()).ok());
  };
  damage("managedCluster", other);
  const std::string list = kGroup + "/providers/Microsoft.ContainerService/managedClusters";
  const auto listed = Send(HttpVerb::get, list + kVersion);
  ASSERT_EQ(listed.result(), HttpStatus::ok) << listed.body();
  ASSERT_EQ(Body(listed).at("value").as_array().size(), 1u);
  EXPECT_EQ(Body(listed).at("value").at(0).at("name"), "c1");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("managedClusters/c2"), std::string::npos) << warnings_[0];
  const auto shown = Send(HttpVerb::get, other + kVersion);
  EXPECT_EQ(ErrorCode(shown), "CorruptRecord");
  EXPECT_NE(std::string(Body(shown).at("error").at("message").as_string()).find("still be deleted"),
            std::string::npos);
  const auto deleted = Send(HttpVerb::delete_, other + kVersion);
  ASSERT_EQ(deleted.result(), HttpStatus::accepted) << deleted.body();
  Settle();
  EXPECT_EQ(Send(HttpVerb::get, other + kVersion).result(), HttpStatus::not_found);

  // c1's only pool, damaged: c1 leaves the list until the pool is deleted and made again.
  damage("agentPool", kCluster + "/agentPools/nodepool1");
  EXPECT_EQ(Body(Send(HttpVerb::get, list + kVersion)).at("value").as_array().size(), 0u);
  const auto pool_deleted = Send(HttpVerb::delete_, kCluster + "/agentPools/nodepool1" + kVersion);
  ASSERT_EQ(pool_deleted.result(), HttpStatus::accepted) << pool_deleted.body();
  Settle();
  EXPECT_EQ(Send(HttpVerb::get, kCluster + "/agentPools/nodepool1" + kVersion).result(),
            HttpStatus::not_found);
  EXPECT_EQ(Body(Send(HttpVerb::get, list + kVersion)).at("value").as_array().size(), 1u);
}

// Whether an operation runs on a cluster is read from the store: when the store cannot say, the
// answer is the store's 503 (retry later), never a 409 naming an operation that may not exist.
TEST_F(ArmContractTest, AStoreThatCannotSayWhetherTheClusterIsBusyIsA503NotA409) {
  Created(ClusterBody(NewKey()));
  auto faulty = std::make_unique<testing::FaultyStore>(std::move(store_));
  testing::FaultyStore& store = *faulty;
  store_ = std::move(faulty);
  Restart();
  store.FailReadsOf("operationLock");
  const std::vector<std::pair<HttpVerb, std::string>> writes = {
      {HttpVerb::put, kCluster + kVersion},
      {HttpVerb::post, kCluster + "/rotateClusterCertificates" + kNewest},
      {HttpVerb::post, kCluster + "/stop" + kNewest},
      {HttpVerb::delete_, kCluster + "/agentPools/nodepool1" + kVersion},
      {HttpVerb::delete_, kCluster + kVersion}};
  for (const auto& [verb, target] : writes) {
    const auto refused = Send(verb, target, verb == HttpVerb::put ? ClusterBody(NewKey()) : "");
    EXPECT_EQ(refused.result(), HttpStatus::service_unavailable) << target << refused.body();
    EXPECT_EQ(ErrorCode(refused), "StoreUnavailable") << target;
  }
  store.Heal();
  EXPECT_EQ(Send(HttpVerb::post, kCluster + "/rotateClusterCertificates" + kNewest).result(),
            HttpStatus::accepted);
}

TEST_F(ArmContractTest, OperationsGangplankCannotHonourAreClear400s) {
  Created(ClusterBody(NewKey()));
  for (const char* operation : {"/resetServicePrincipalProfile", "/resetAADProfile", "/runCommand",
                                "/rotateServiceAccountSigningKeys"}) {
    const auto refused = Send(HttpVerb::post, kCluster + operation + kNewest, "{}");
    EXPECT_EQ(refused.result(), HttpStatus::bad_request) << operation;
    EXPECT_EQ(ErrorCode(refused), "OperationNotSupported") << operation;
    EXPECT_NE(std::string(Body(refused).at("error").at("message").as_string()).find("Gangplank"),
              std::string::npos);
  }
  EXPECT_EQ(Send(HttpVerb::post, kCluster + "/noSuchThing" + kNewest, "{}").result(),
            HttpStatus::not_found);
  EXPECT_EQ(Send(HttpVerb::post, kCluster + kNewest, "{}").result(),
            HttpStatus::method_not_allowed);
}

TEST_F(ArmContractTest, DefaultsAreFilledReadOnlyInputIgnoredAndAPoolListWithoutModeAccepted) {
  json::object properties{{"dnsPrefix", "c1"},
                          {"azurePortalFQDN", "forged.example"},
                          {"fqdn", "forged.example"},
                          {"linuxProfile",
                           json::object{{"adminUsername", "azureuser"},
                                        {"ssh", json::object{{"publicKeys",
                                                              json::array{json::object{
                                                                  {"keyData", NewKey()}}}}}}}},
                          {"agentPoolProfiles",
                           json::parse(R"([{"name":"nodepool1","count":2,"osType":"Linux",
                                           "nodeImageVersion":"forged-image"},
                                          {"name":"extra","count":1,"osType":"Linux"}])")}};
  const auto created = Send(HttpVerb::put, kCluster + kVersion,
                            json::serialize(json::object{{"location", "westus2"},
                                                         {"properties", properties}}));
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  Settle();
  const json::object cluster = Get(kCluster);
  const json::value& p = cluster.at("properties");
  ASSERT_EQ(p.at("provisioningState"), "Succeeded") << json::serialize(OperationOf(created));
  // Two pools created in one request: every node has an address of its own.
  std::set<std::string> addresses;
  for (const char* pool : {"nodepool1", "extra"}) {
    const auto listed = Send(HttpVerb::get, kCluster + "/agentPools/" + pool + "/machines" + kNewest);
    const json::value machines = Body(listed);
    for (const auto& machine : machines.at("value").as_array()) {
      EXPECT_TRUE(addresses
                      .insert(std::string(machine.at("properties").at("network").at("ipAddresses")
                                              .at(0).at("ip").as_string()))
                      .second);
    }
  }
  EXPECT_EQ(addresses.size(), 3u);
  EXPECT_EQ(p.at("networkProfile").at("networkPlugin"), "kubenet");
  EXPECT_EQ(p.at("networkProfile").at("podCidr"), "10.244.0.0/16");
  EXPECT_EQ(p.at("networkProfile").at("serviceCidr"), "10.0.0.0/16");
  EXPECT_EQ(p.at("enableRBAC"), true);
  EXPECT_NE(p.at("fqdn"), "forged.example");
  EXPECT_FALSE(p.as_object().contains("azurePortalFQDN") &&
               p.at("azurePortalFQDN") == "forged.example");
  const auto pool_named = [&](std::string_view name) -> const json::value& {
    for (const auto& pool : p.at("agentPoolProfiles").as_array())
      if (pool.at("name").as_string() == name) return pool;
    return p;
  };
  const json::value& first = pool_named("nodepool1");
  EXPECT_EQ(first.at("mode"), "System") << "the first pool of a list without modes";
  EXPECT_EQ(pool_named("extra").at("mode"), "User");
  EXPECT_EQ(first.at("maxPods"), 110);
  EXPECT_EQ(first.at("osDiskSizeGB"), 128);
  EXPECT_NE(first.at("nodeImageVersion"), "forged-image");

  // A partial PUT keeps what it does not name (here: a custom network).
  json::object update = cluster;
  update["properties"].as_object()["networkProfile"].as_object()["serviceCidr"] = "10.9.0.0/16";
  const auto updated = Send(HttpVerb::put, kCluster + kVersion, json::serialize(update));
  ASSERT_EQ(updated.result(), HttpStatus::ok) << updated.body();
  Settle();
  json::object partial{{"location", "westus2"},
                       {"properties", json::object{{"dnsPrefix", "c1"}}}};
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, json::serialize(partial)).result(),
            HttpStatus::ok);
  Settle();
  EXPECT_EQ(Get(kCluster).at("properties").at("networkProfile").at("serviceCidr"), "10.9.0.0/16");
  EXPECT_EQ(Send(HttpVerb::put, kCluster + kVersion,
                 R"({"location":"westus2","properties":{"networkProfile":7}})")
                .result(),
            HttpStatus::bad_request);
}

}  // namespace
}  // namespace gangplank::api

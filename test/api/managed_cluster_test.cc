// Managed clusters and agent pools through the pure handler, with the operations engine driven by
// hand: SSH key validation, --no-ssh-key, key rotation into pool models, conflicts, LROs, restarts.
#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include "api/api_harness.h"
#include "mocks/fake_clock.h"
#include "sshkey/generate.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;
namespace http = boost::beast::http;



std::string ClusterBody(const json::value& keys, const std::string& pools = "") {
  json::object properties{{"dnsPrefix", "c1"}, {"futureSetting", json::object{{"kept", true}}}};
  if (!keys.is_null()) {
    json::array list;
    for (const auto& key : keys.as_array()) list.push_back(json::object{{"keyData", key}});
    properties["linuxProfile"] =
        json::object{{"adminUsername", "azureuser"}, {"ssh", json::object{{"publicKeys", list}}}};
  }
  properties["agentPoolProfiles"] =
      pools.empty()
          ? json::parse(R"([{"name":"nodepool1","count":2,"mode":"System","osType":"Linux",
                                       "type":"VirtualMachineScaleSets"}])")
          : json::parse(pools);
  return json::serialize(json::object{{"location", "westus2"}, {"properties", properties}});
}

class ManagedClusterTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
  }

  HttpResponse Send(HttpVerb verb, const std::string& target, const std::string& body = "",
                    const std::map<http::field, std::string>& headers = {}) {
    return ApiHarness::Send(verb, target, body, true, headers);
  }
  static std::string Code(const HttpResponse& response) { return ErrorCode(response); }

  json::object Get(const std::string& id) {
    const auto response = Send(HttpVerb::get, id + kVersion);
    EXPECT_EQ(response.result(), HttpStatus::ok) << response.body();
    return Body(response).as_object();
  }
  json::object PoolModel(const std::string& pool) {
    auto row = store_->Get("agentPool", kCluster + "/agentPools/" + pool);
    return json::parse((*row)->body).at("model").as_object();
  }
  std::string OperationPath(const HttpResponse& response,
                            const char* header = "Azure-AsyncOperation") {
    std::string url(response[header]);
    EXPECT_TRUE(url.starts_with(kUrl)) << url;
    return url.substr(std::string(kUrl).size() - 1);
  }
};

TEST_F(ManagedClusterTest, CreateIsALongRunningOperationThatFinishes) {
  const std::string key = NewKey();
  const auto created = Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{key}));
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  EXPECT_EQ(Body(created).at("properties").at("provisioningState"), "Creating");
  const std::string operation = OperationPath(created);
  const auto polled = Send(HttpVerb::get, operation);
  EXPECT_EQ(Body(polled).at("status"), "InProgress");
  EXPECT_EQ(polled[http::field::retry_after], "1");  // clients poll again in 1 s, not 30

  Settle();
  const auto finished = Send(HttpVerb::get, operation);
  EXPECT_TRUE(finished[http::field::retry_after].empty());
  const auto status = Body(finished);
  EXPECT_EQ(status.at("status"), "Succeeded");
  EXPECT_TRUE(status.as_object().contains("endTime"));
  const json::object cluster = Get(kCluster);
  EXPECT_EQ(cluster.at("properties").at("provisioningState"), "Succeeded");
  EXPECT_EQ(cluster.at("properties")
                .at("linuxProfile")
                .at("ssh")
                .at("publicKeys")
                .at(0)
                .at("keyData")
                .as_string(),
            key);
  EXPECT_EQ(cluster.at("properties").at("futureSetting").at("kept"), true);  // unknown fields kept
  EXPECT_EQ(cluster.at("properties").at("agentPoolProfiles").at(0).at("provisioningState"),
            "Succeeded");
  EXPECT_EQ(cluster.at("properties").at("agentPoolProfiles").at(0).at("count"), 2);
  EXPECT_EQ(PoolModel("nodepool1").at("version"), 1);
}

TEST_F(ManagedClusterTest, BadKeysAre400InvalidParameterNamingTheKeyWithoutEchoingIt) {
  auto pair = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, ""});
  const std::string private_key(pair->private_key.data(), pair->private_key.size());
  struct Case {
    json::value keys;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {json::array{private_key}, "PrivateKeyGiven"},
      {json::array{NewKey(), "ssh-dss AAAAB3NzaC1kc3M= old"}, "publicKeys[1]"},
      {json::array{"ssh-ed25519 AAAA!!!! x"}, "InvalidBase64"},
      {json::array{"ssh-ed25519-cert-v01@openssh.com AAAA x"}, "CertificateNotAllowed"},
      {json::array{""}, "EmptyInput"},
      {json::array{}, "at least one key"},
  };
  for (const Case& c : cases) {
    const auto response = Send(HttpVerb::put, kCluster + kVersion, ClusterBody(c.keys));
    ASSERT_EQ(response.result(), HttpStatus::bad_request) << c.expected;
    EXPECT_EQ(Code(response), "InvalidParameter");
    const std::string message(Body(response).at("error").at("message").as_string());
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    EXPECT_EQ(response.body().find(private_key.substr(40, 30)), std::string::npos);
  }
  json::array eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(json::value(NewKey()));
  EXPECT_EQ(Code(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(eleven))),
            "QuotaExceeded");
  const auto target =
      Body(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{"nope"})));
  EXPECT_EQ(target.at("error").at("target"), "linuxProfile.ssh.publicKeys.keyData");
  // Nothing was written by any of them.
  EXPECT_FALSE((*store_->Get("managedCluster", kCluster)).has_value());
  EXPECT_TRUE(store_->ListKind("operation")->empty());
}

TEST_F(ManagedClusterTest, AcceptsEveryModernKeyTypeAndUpToTenKeys) {
  json::array keys{NewKey(sshkey::KeyKind::kEd25519), NewKey(sshkey::KeyKind::kEcdsa),
                   NewKey(sshkey::KeyKind::kRsa)};
  for (int i = 0; i < 7; ++i) keys.push_back(json::value(NewKey()));
  const auto created = Send(HttpVerb::put, kCluster + kVersion, ClusterBody(keys));
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  EXPECT_EQ(PoolModel("nodepool1").at("publicKeys").as_array().size(), 10u);
}

TEST_F(ManagedClusterTest, NoSshKeyGeneratesAPublicKeyAndKeepsNoPrivateHalf) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(nullptr)).result(),
            HttpStatus::created);
  Settle();
  const json::object cluster = Get(kCluster);
  EXPECT_FALSE(cluster.at("properties").as_object().contains("linuxProfile"));
  const json::object model = PoolModel("nodepool1");
  EXPECT_EQ(model.at("serviceGenerated"), true);
  ASSERT_EQ(model.at("publicKeys").as_array().size(), 1u);
  EXPECT_TRUE(model.at("publicKeys").at(0).as_string().starts_with("ssh-ed25519 "));
  // Nothing private anywhere in the store.
  for (const char* kind : {"managedCluster", "agentPool", "operation"}) {
    const auto rows = store_->ListKind(kind);
    for (const auto& row : *rows) EXPECT_EQ(row.body.find("PRIVATE"), std::string::npos);
  }
  const std::string db =
      testing::ReadTestFile(dir_.Join("db")) + testing::ReadTestFile(dir_.Join("db-wal"));
  EXPECT_EQ(db.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(db.find("openssh-key-v1"), std::string::npos);

  // An SSH key can be set later on such a cluster; it reaches every pool's model.
  Settle();
  const std::string key = NewKey();
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{key})).result(),
            HttpStatus::ok);
  EXPECT_EQ(PoolModel("nodepool1").at("publicKeys").at(0).as_string(), key);
  EXPECT_EQ(PoolModel("nodepool1").at("serviceGenerated"), false);
  EXPECT_EQ(PoolModel("nodepool1").at("version"), 2);
}

TEST_F(ManagedClusterTest, KeyRotationBumpsEveryScaleSetPoolsModelOnce) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()})).result(),
            HttpStatus::created);
  Settle();
  ASSERT_EQ(Send(HttpVerb::put, kCluster + "/agentPools/user1" + kVersion,
                 R"({"properties":{"count":1}})")
                .result(),
            HttpStatus::created);
  Settle();
  // The same key again changes nothing.
  const std::string body = json::serialize(Get(kCluster));
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, body).result(), HttpStatus::ok);
  Settle();
  EXPECT_EQ(PoolModel("nodepool1").at("version"), 1);
  // A new key: both pools (the one named in the request and the one not) move to model 2.
  const std::string key = NewKey(sshkey::KeyKind::kEcdsa);
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{key})).result(),
            HttpStatus::ok);
  Settle();
  for (const char* pool : {"nodepool1", "user1"}) {
    EXPECT_EQ(PoolModel(pool).at("version"), 2) << pool;
    EXPECT_EQ(PoolModel(pool).at("publicKeys").at(0).as_string(), key) << pool;
  }
}

TEST_F(ManagedClusterTest, KeyUpdateIsRefusedWhenAPoolIsAnAvailabilitySet) {
  const std::string pools =
      R"([{"name":"nodepool1","count":1,"mode":"System","type":"AvailabilitySet"}])";
  ASSERT_EQ(
      Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()}, pools)).result(),
      HttpStatus::created);
  Settle();
  const auto refused =
      Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()}, pools));
  EXPECT_EQ(refused.result(), HttpStatus::bad_request);
  EXPECT_NE(Body(refused).at("error").at("message").as_string().find("VirtualMachineScaleSets"),
            std::string::npos);
  EXPECT_EQ(PoolModel("nodepool1").at("version"), 1);
}

TEST_F(ManagedClusterTest, PoolRulesWindowsOsSkusNamesAndSystemPools) {
  auto code_for = [&](const std::string& pools, const char* version = kVersion) {
    const auto response =
        Send(HttpVerb::put, kCluster + version, ClusterBody(json::array{NewKey()}, pools));
    return response.result() == HttpStatus::created ? std::string("created") : Code(response);
  };
  EXPECT_EQ(code_for(R"([{"name":"win","count":1,"mode":"System","osType":"Windows"}])"),
            "InvalidParameter");
  EXPECT_EQ(code_for(R"([{"name":"p","count":1,"mode":"System","osSKU":"Windows2022"}])"),
            "InvalidParameter");
  EXPECT_EQ(code_for(R"([{"name":"Pool1","count":1,"mode":"System"}])"), "InvalidParameter");
  EXPECT_EQ(code_for(R"([{"name":"waytoolongname1","count":1,"mode":"System"}])"),
            "InvalidParameter");
  EXPECT_EQ(code_for(R"([{"name":"p","count":1,"mode":"User"}])"), "InvalidParameter");
  EXPECT_EQ(code_for(R"([{"name":"p","count":1,"mode":"System"},{"name":"p","count":1}])"),
            "InvalidParameter");
  EXPECT_EQ(code_for(R"([{"name":"p","count":-1,"mode":"System"}])"), "InvalidParameter");
  EXPECT_EQ(code_for(R"([{"name":"p","count":"two","mode":"System"}])"), "InvalidParameter");
  // securityProfile.sshAccess exists from 2025-09-01 (and 2023-07-02-preview) on.
  EXPECT_EQ(code_for(R"([{"name":"p","count":1,"mode":"System",
                          "securityProfile":{"sshAccess":"Sometimes"}}])",
                     kNewest),
            "InvalidParameter");
  EXPECT_EQ(code_for(R"([{"name":"p","count":1,"mode":"System","osSKU":"Mariner",
                          "securityProfile":{"sshAccess":"Disabled"}}])",
                     kNewest),
            "created");
  EXPECT_EQ(PoolModel("p").at("sshAccess"), "Disabled");
}

// sshAccess is read case-insensitively (aks-preview sends "disabled") and shown in the service's
// casing; the model takes the canonical value, so nodes see the mode that was asked for.
TEST_F(ManagedClusterTest, SshAccessIsReadWhateverItsCaseAndShownAsTheServiceSpellsIt) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kNewest,
                 ClusterBody(json::array{NewKey()},
                             R"([{"name":"p","count":1,"mode":"System",
                                  "securityProfile":{"sshAccess":"localuser"}}])"))
                .result(),
            HttpStatus::created);
  Settle();
  EXPECT_EQ(PoolModel("p").at("sshAccess"), "LocalUser");
  const auto changed = Send(HttpVerb::put, kCluster + "/agentPools/p" + kNewest,
                            R"({"properties":{"securityProfile":{"sshAccess":"DISABLED"}}})");
  ASSERT_EQ(changed.result(), HttpStatus::ok) << changed.body();
  EXPECT_EQ(Body(changed).at("properties").at("securityProfile").at("sshAccess"), "Disabled");
  Settle();
  EXPECT_EQ(PoolModel("p").at("sshAccess"), "Disabled");
  EXPECT_EQ(PoolModel("p").at("version"), 2);
}

TEST_F(ManagedClusterTest, ConcurrentChangesAre409AndETagsAreChecked) {
  const auto created = Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()}));
  ASSERT_EQ(created.result(), HttpStatus::created);
  EXPECT_FALSE(created[http::field::etag].empty());
  // The create is still running: every change to the cluster or its pools waits.
  const auto busy = Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()}));
  EXPECT_EQ(busy.result(), HttpStatus::conflict);
  EXPECT_EQ(Code(busy), "OperationNotAllowed");
  EXPECT_EQ(
      Code(Send(HttpVerb::put, kCluster + "/agentPools/p2" + kVersion, R"({"properties":{}})")),
      "OperationNotAllowed");
  EXPECT_EQ(Code(Send(HttpVerb::delete_, kCluster + kVersion)), "OperationNotAllowed");
  Settle();
  // Finishing the operation changed the resource, and so its ETag.
  const std::string etag(Send(HttpVerb::get, kCluster + kVersion)[http::field::etag]);
  EXPECT_NE(etag, std::string(created[http::field::etag]));
  const auto stale = Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()}),
                          {{http::field::if_match, "\"999\""}});
  EXPECT_EQ(stale.result(), HttpStatus::precondition_failed);
  EXPECT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()}),
                 {{http::field::if_none_match, "*"}})
                .result(),
            HttpStatus::precondition_failed);
  EXPECT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()}),
                 {{http::field::if_match, etag}})
                .result(),
            HttpStatus::ok);
}

TEST_F(ManagedClusterTest, ClusterGetsFollowEveryWriteDespiteTheRenderedViewCache) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()})).result(),
            HttpStatus::created);
  Settle();
  const auto first = Send(HttpVerb::get, kCluster + kVersion);
  const auto again = Send(HttpVerb::get, kCluster + kVersion);
  EXPECT_EQ(first.body(), again.body());
  EXPECT_EQ(first[http::field::etag], again[http::field::etag]);
  // A pool write changes the cluster's view (agentPoolProfiles) but not the cluster's row.
  ASSERT_EQ(Send(HttpVerb::put, kCluster + "/agentPools/nodepool1" + kVersion,
                 R"({"properties":{"count":5,"mode":"System"}})")
                .result(),
            HttpStatus::ok);
  EXPECT_EQ(Get(kCluster).at("properties").at("agentPoolProfiles").at(0).at("provisioningState"),
            "Updating");
  Settle();
  const json::object after = Get(kCluster);
  EXPECT_EQ(after.at("properties").at("agentPoolProfiles").at(0).at("count"), 5);
  EXPECT_EQ(after.at("properties").at("agentPoolProfiles").at(0).at("provisioningState"),
            "Succeeded");
  // A deleted cluster is gone at once.
  ASSERT_EQ(Send(HttpVerb::delete_, kCluster + kVersion).result(), HttpStatus::accepted);
  Settle();
  EXPECT_EQ(Send(HttpVerb::get, kCluster + kVersion).result(), HttpStatus::not_found);
}

TEST_F(ManagedClusterTest, DeleteIsA202WithLocationAndFinishes) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()})).result(),
            HttpStatus::created);
  Settle();
  const auto deleting = Send(HttpVerb::delete_, kCluster + kVersion);
  ASSERT_EQ(deleting.result(), HttpStatus::accepted);
  const std::string result = OperationPath(deleting, "Location");
  EXPECT_NE(result.find("/operationresults/"), std::string::npos);
  EXPECT_EQ(Send(HttpVerb::get, result).result(), HttpStatus::accepted);
  EXPECT_EQ(Get(kCluster).at("properties").at("provisioningState"), "Deleting");
  Settle();
  const auto finished = Send(HttpVerb::get, result);
  EXPECT_EQ(finished.result(), HttpStatus::ok);  // the spec allows no 204 here
  EXPECT_TRUE(finished.body().empty());
  EXPECT_EQ(Send(HttpVerb::get, kCluster + kVersion).result(), HttpStatus::not_found);
  EXPECT_TRUE(store_->ListKind("agentPool")->empty());
  EXPECT_EQ(Send(HttpVerb::delete_, kCluster + kVersion).result(), HttpStatus::no_content);
}

TEST_F(ManagedClusterTest, ARestartedServerFinishesAcceptedOperations) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()})).result(),
            HttpStatus::created);
  Restart();  // the accepted create was never run; the new engine finds it in the store
  Settle();
  EXPECT_EQ(Get(kCluster).at("properties").at("provisioningState"), "Succeeded");
}

TEST_F(ManagedClusterTest, AgentPoolsAddListUpgradeAndDelete) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()})).result(),
            HttpStatus::created);
  Settle();
  const std::string pool = kCluster + "/agentPools/user1";
  const auto added =
      Send(HttpVerb::put, pool + kVersion, R"({"properties":{"count":3,"osSKU":"AzureLinux"}})");
  ASSERT_EQ(added.result(), HttpStatus::created) << added.body();
  Settle();
  EXPECT_TRUE(
      Get(pool).at("properties").at("nodeImageVersion").as_string().starts_with("AKSAzureLinux"));
  const auto list = Body(Send(HttpVerb::get, kCluster + "/agentPools" + kVersion));
  EXPECT_EQ(list.at("value").as_array().size(), 2u);

  const auto upgrading = Send(HttpVerb::post, pool + "/upgradeNodeImageVersion" + kVersion);
  ASSERT_EQ(upgrading.result(), HttpStatus::accepted) << upgrading.body();
  EXPECT_EQ(Body(upgrading).at("properties").at("provisioningState"), "UpgradingNodeImageVersion");
  EXPECT_FALSE(upgrading[http::field::location].empty());
  Settle();
  EXPECT_EQ(Get(pool).at("properties").at("provisioningState"), "Succeeded");

  const auto last_system = Send(HttpVerb::delete_, kCluster + "/agentPools/nodepool1" + kVersion);
  EXPECT_EQ(last_system.result(), HttpStatus::bad_request);
  ASSERT_EQ(Send(HttpVerb::delete_, pool + kVersion).result(), HttpStatus::accepted);
  Settle();
  EXPECT_EQ(Code(Send(HttpVerb::get, pool + kVersion)), "NotFound");
  EXPECT_EQ(Code(Send(HttpVerb::post, pool + "/upgradeNodeImageVersion" + kVersion)), "NotFound");
}

TEST_F(ManagedClusterTest, MachinesKeepTheirModelUntilANodeImageUpgrade) {
  const std::string pool = kCluster + "/agentPools/nodepool1";
  auto machines = [&] {
    return Body(Send(HttpVerb::get, pool + "/machines" + kNewest)).at("value").as_array();
  };
  auto cluster_with = [&](const std::string& key, int count) {
    return ClusterBody(json::array{key}, R"([{"name":"nodepool1","mode":"System","count":)" +
                                             std::to_string(count) + "}]");
  };
  const std::string key_a = NewKey(), key_b = NewKey();
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, cluster_with(key_a, 2)).result(),
            HttpStatus::created);
  Settle();
  auto first = machines();
  ASSERT_EQ(first.size(), 2u);
  const std::string name0(first[0].at("name").as_string());
  EXPECT_TRUE(name0.starts_with("aks-nodepool1-")) << name0;
  EXPECT_TRUE(name0.ends_with("-vmss000000")) << name0;
  EXPECT_EQ(name0.size(), std::string("aks-nodepool1-12345678-vmss000000").size());
  EXPECT_NE(first[0].at("properties").at("network").at("ipAddresses").at(0).at("ip"),
            first[1].at("properties").at("network").at("ipAddresses").at(0).at("ip"));
  EXPECT_TRUE(first[0]
                  .at("properties")
                  .at("network")
                  .at("ipAddresses")
                  .at(0)
                  .at("ip")
                  .as_string()
                  .starts_with("127.42."));
  EXPECT_EQ(first[0].at("properties").at("latestModelApplied"), true);

  // New key: the pool's model moves on, running machines keep what they were provisioned with.
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, cluster_with(key_b, 2)).result(),
            HttpStatus::ok);
  Settle();
  EXPECT_EQ(Get(pool).at("properties").at("sshModelVersion"), 2);
  for (const auto& machine : machines()) {
    EXPECT_EQ(machine.at("properties").at("appliedModelVersion"), 1);
    EXPECT_EQ(machine.at("properties").at("latestModelApplied"), false);
  }
  // Scale out: the new machine gets the latest model at once.
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, cluster_with(key_b, 3)).result(),
            HttpStatus::ok);
  Settle();
  auto scaled = machines();
  ASSERT_EQ(scaled.size(), 3u);
  EXPECT_TRUE(scaled[2].at("name").as_string().ends_with("-vmss000002"));
  EXPECT_EQ(scaled[2].at("properties").at("appliedModelVersion"), 2);
  EXPECT_EQ(scaled[0].at("properties").at("appliedModelVersion"), 1);
  // A node image upgrade reimages the stale ones.
  ASSERT_EQ(Send(HttpVerb::post, pool + "/upgradeNodeImageVersion" + kVersion).result(),
            HttpStatus::accepted);
  Settle();
  for (const auto& machine : machines())
    EXPECT_EQ(machine.at("properties").at("latestModelApplied"), true);
  // Scale in removes the highest-numbered machines.
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, cluster_with(key_b, 1)).result(),
            HttpStatus::ok);
  Settle();
  auto remaining = machines();
  ASSERT_EQ(remaining.size(), 1u);
  EXPECT_EQ(remaining[0].at("name").as_string(), name0);
  EXPECT_EQ(Send(HttpVerb::get, pool + "/machines/" + name0 + kNewest).result(), HttpStatus::ok);
  EXPECT_EQ(Code(Send(HttpVerb::get, pool + "/machines/aks-nope" + kNewest)), "NotFound");
}

TEST_F(ManagedClusterTest, APublishedNodeImageReachesNodesWithTheNextUpgrade) {
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, ClusterBody(json::array{NewKey()})).result(),
            HttpStatus::created);
  Settle();
  const std::string pool = kCluster + "/agentPools/nodepool1";
  const std::string before(Get(pool).at("properties").at("nodeImageVersion").as_string());
  ASSERT_TRUE(images_.Publish("Ubuntu", "AKSUbuntu-2204gen2containerd-202312.01.0").ok());
  EXPECT_FALSE(images_.Publish("Windows", "x").ok());
  EXPECT_FALSE(images_.Publish("Ubuntu", "bad version\n").ok());
  // Published, not yet applied: the machines show they are behind.
  EXPECT_EQ(Get(pool).at("properties").at("nodeImageVersion"), json::value(before));
  const auto machines = Body(Send(HttpVerb::get, pool + "/machines" + kNewest));
  for (const auto& machine : machines.at("value").as_array())
    EXPECT_EQ(machine.at("properties").at("latestModelApplied"), false);
  ASSERT_EQ(Send(HttpVerb::post, pool + "/upgradeNodeImageVersion" + kVersion).result(),
            HttpStatus::accepted);
  Settle();
  EXPECT_EQ(Get(pool).at("properties").at("nodeImageVersion"),
            "AKSUbuntu-2204gen2containerd-202312.01.0");
  const auto after = Body(Send(HttpVerb::get, pool + "/machines" + kNewest));
  for (const auto& machine : after.at("value").as_array()) {
    EXPECT_EQ(machine.at("properties").at("nodeImageVersion"),
              "AKSUbuntu-2204gen2containerd-202312.01.0");
    EXPECT_EQ(machine.at("properties").at("latestModelApplied"), true);
  }
}

TEST_F(ManagedClusterTest, MissingParentsAndBadInputAreClear4xx) {
  EXPECT_EQ(Code(Send(HttpVerb::put,
                      "/subscriptions/sub-1/resourceGroups/nope/providers/"
                      "Microsoft.ContainerService/managedClusters/c1" +
                          std::string(kVersion),
                      ClusterBody(json::array{NewKey()}))),
            "ResourceGroupNotFound");
  EXPECT_EQ(Code(Send(HttpVerb::put, kCluster + kVersion, "{")), "InvalidRequestContent");
  EXPECT_EQ(Code(Send(HttpVerb::put, kCluster + kVersion, R"({"properties":{}})")),
            "LocationRequired");
  EXPECT_EQ(
      Code(Send(HttpVerb::put,
                kGroup + "/providers/Microsoft.ContainerService/managedClusters/-bad" + kVersion,
                ClusterBody(json::array{NewKey()}))),
      "InvalidParameter");
  // Wrong types anywhere in the body are 400s, never 500s.
  for (const char* bad :
       {R"("kubernetesVersion": 5)", R"("dnsPrefix": [])", R"("linuxProfile": "x")",
        R"("agentPoolProfiles": {})", R"("agentPoolProfiles": [5])",
        R"("agentPoolProfiles": [{"name": 5}])",
        R"("agentPoolProfiles": [{"name": "p", "mode": 5}])",
        R"("agentPoolProfiles": [{"name": "p", "mode": "System", "osSKU": true}])",
        R"("agentPoolProfiles": [{"name": "p", "mode": "System", "securityProfile": 1}])"}) {
    const auto response = Send(HttpVerb::put, kCluster + kVersion,
                               std::string(R"({"location":"westus2","properties":{)") + bad + "}}");
    EXPECT_EQ(response.result(), HttpStatus::bad_request) << bad << ": " << response.body();
  }
  EXPECT_EQ(Code(Send(HttpVerb::put, kCluster + "/agentPools/p1" + kVersion,
                      R"({"properties":{"osType":7}})")),
            "InvalidParameter");
  EXPECT_EQ(Code(Send(HttpVerb::get, kCluster + kVersion)), "ResourceNotFound");
  EXPECT_EQ(
      Code(Send(HttpVerb::put, kCluster + "/agentPools/p1" + kVersion, R"({"properties":{}})")),
      "ResourceNotFound");
  // In a group that does not exist, ARM names the group, for the resource and for its lists.
  const std::string elsewhere =
      "/subscriptions/sub-1/resourceGroups/nope/providers/Microsoft.ContainerService/"
      "managedClusters";
  EXPECT_EQ(Code(Send(HttpVerb::get, elsewhere + "/c1" + kVersion)), "ResourceGroupNotFound");
  EXPECT_EQ(Code(Send(HttpVerb::get, elsewhere + kVersion)), "ResourceGroupNotFound");
  EXPECT_EQ(Code(Send(HttpVerb::get, elsewhere + "/c1/agentPools/p1" + kVersion)),
            "ResourceGroupNotFound");
  EXPECT_EQ(Code(Send(HttpVerb::get, kCluster + "?api-version=2019-01-01")),
            "InvalidApiVersionParameter");
}

}  // namespace
}  // namespace gangplank::api

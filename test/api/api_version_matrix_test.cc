// Every Microsoft.ContainerService api-version Gangplank answers runs the seed page's flow:
// create with a key → get → rotate the key → node image upgrade → delete, each response in the
// shape of that version (what a version does not define is not shown), features a version lacks
// refused with the first versions that have them.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api_harness.h"
#include "resources/api_versions.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;
using resources::Feature;


class ApiVersionMatrixTest : public ApiHarness,
                             public ::testing::WithParamInterface<std::string_view> {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
  }
  std::string Version() const { return "?api-version=" + std::string(GetParam()); }
  bool Has(Feature feature) const { return resources::Supports(GetParam(), feature); }

  json::value Get(const std::string& id) {
    const auto reply = Send(HttpVerb::get, id + Version());
    EXPECT_EQ(reply.result(), HttpStatus::ok) << reply.body();
    return Body(reply);
  }
};

TEST_P(ApiVersionMatrixTest, TheSeedPagesFlowInThisVersionsShape) {
  const std::string pool = kCluster + "/agentPools/nodepool1";
  const std::string first = NewKey();
  json::object profile{{"name", "nodepool1"}, {"count", 2}, {"mode", "System"},
                       {"osType", "Linux"},   {"type", "VirtualMachineScaleSets"}};
  // A client of this version may send sshAccess only where the version defines it.
  if (Has(Feature::kPoolSshAccess))
    profile["securityProfile"] = json::object{{"sshAccess", "LocalUser"}};
  const json::object body{
      {"location", "westus2"},
      {"properties",
       json::object{{"dnsPrefix", "matrix"},
                    {"linuxProfile",
                     json::object{{"adminUsername", "azureuser"},
                                  {"ssh", json::object{{"publicKeys",
                                                        json::array{json::object{
                                                            {"keyData", first}}}}}}}},
                    {"agentPoolProfiles", json::array{profile}}}}};
  const auto created = Send(HttpVerb::put, kCluster + Version(), json::serialize(body));
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  EXPECT_NE(std::string(created["Azure-AsyncOperation"]).find(std::string(GetParam())),
            std::string::npos)
      << "operation URLs carry the client's api-version";
  Settle();

  json::value cluster = Get(kCluster);
  EXPECT_EQ(cluster.at("properties").at("provisioningState"), "Succeeded");
  EXPECT_EQ(cluster.at("properties").at("linuxProfile").at("ssh").at("publicKeys").at(0).at(
                "keyData"),
            json::value(first));
  const json::object& pool_profile =
      cluster.at("properties").at("agentPoolProfiles").at(0).as_object();
  const bool shows_access = pool_profile.contains("securityProfile") &&
                            pool_profile.at("securityProfile").as_object().contains("sshAccess");
  EXPECT_EQ(shows_access, Has(Feature::kPoolSshAccess)) << "sshAccess is shown where defined";

  // Rotate: GET, new key, PUT back what was read (as az and the SDKs do).
  const std::string second = NewKey();
  cluster.at("properties").as_object()["linuxProfile"].as_object()["ssh"] =
      json::object{{"publicKeys", json::array{json::object{{"keyData", second}}}}};
  const auto rotated = Send(HttpVerb::put, kCluster + Version(), json::serialize(cluster));
  ASSERT_EQ(rotated.result(), HttpStatus::ok) << rotated.body();
  Settle();
  EXPECT_EQ(Get(pool).at("properties").at("sshModelVersion"), 2);

  // The node image upgrade that rolls the key out, where the version has it.
  const auto upgrade = Send(HttpVerb::post, pool + "/upgradeNodeImageVersion" + Version());
  if (Has(Feature::kUpgradeNodeImage)) {
    ASSERT_EQ(upgrade.result(), HttpStatus::accepted) << upgrade.body();
    Settle();
    EXPECT_EQ(Get(pool).at("properties").at("provisioningState"), "Succeeded");
  } else {
    EXPECT_EQ(ErrorCode(upgrade), "NoRegisteredProviderFound");
  }
  const auto machines = Send(HttpVerb::get, pool + "/machines" + Version());
  if (Has(Feature::kMachines)) {
    ASSERT_EQ(machines.result(), HttpStatus::ok);
    const json::value listed = Body(machines);
    for (const auto& machine : listed.at("value").as_array()) {
      EXPECT_EQ(machine.at("properties").at("latestModelApplied"),
                Has(Feature::kUpgradeNodeImage));
      EXPECT_FALSE(machine.at("properties").at("network").at("ipAddresses").as_array().empty());
    }
  } else {
    EXPECT_EQ(ErrorCode(machines), "NoRegisteredProviderFound");
  }

  ASSERT_EQ(Send(HttpVerb::delete_, kCluster + Version()).result(), HttpStatus::accepted);
  Settle();
  EXPECT_EQ(Send(HttpVerb::get, kCluster + Version()).result(), HttpStatus::not_found);
}

// sshAccess EntraId where the version's spec has it (2025-08-02-preview, 2026-06-01 and later),
// a 400 that names those versions where the spec has sshAccess without it, and not read at all
// where the spec has no sshAccess (the pool is LocalUser). Never on a VirtualMachines pool.
TEST_P(ApiVersionMatrixTest, EntraIdPoolsWhereTheVersionHasThem) {
  const json::object cluster{
      {"location", "westus2"},
      {"properties",
       json::object{{"dnsPrefix", "entra"},
                    {"agentPoolProfiles",
                     json::array{json::object{{"name", "nodepool1"}, {"count", 1},
                                              {"mode", "System"}}}}}}};
  const auto created = Send(HttpVerb::put, kCluster + Version(), json::serialize(cluster));
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  Settle();
  const auto entra = Send(HttpVerb::put, kCluster + "/agentPools/entra" + Version(),
                          R"({"properties": {"count": 1, "mode": "User",
                               "securityProfile": {"sshAccess": "entraid"}}})");
  if (Has(Feature::kEntraIdSshAccess)) {
    ASSERT_EQ(entra.result(), HttpStatus::created) << entra.body();
    EXPECT_EQ(Body(entra).at("properties").at("securityProfile").at("sshAccess"), "EntraId");
    const auto vms = Send(HttpVerb::put, kCluster + "/agentPools/vms" + Version(),
                          R"({"properties": {"count": 1, "mode": "User", "type": "VirtualMachines",
                               "securityProfile": {"sshAccess": "EntraId"}}})");
    EXPECT_EQ(ErrorCode(vms), "InvalidParameter");
    EXPECT_NE(vms.body().find("VirtualMachineScaleSets"), std::string::npos) << vms.body();
  } else if (Has(Feature::kPoolSshAccess)) {
    EXPECT_EQ(ErrorCode(entra), "InvalidParameter");
    EXPECT_NE(entra.body().find("2026-06-01"), std::string::npos) << entra.body();
    EXPECT_NE(entra.body().find("securityProfile.sshAccess"), std::string::npos) << entra.body();
  } else {
    ASSERT_EQ(entra.result(), HttpStatus::created) << entra.body();
    Settle();
    const auto row = store_->Get("agentPool", kCluster + "/agentPools/entra");
    ASSERT_TRUE(row && row->has_value());
    EXPECT_EQ(json::parse((*row)->body).at("model").at("sshAccess"), "LocalUser")
        << "a field the version does not define was read";
  }
}

std::string VersionName(const ::testing::TestParamInfo<std::string_view>& info) {
  std::string name(info.param);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    EveryVersion, ApiVersionMatrixTest,
    ::testing::ValuesIn(
        resources::SupportedVersions(resources::ApiSurface::kContainerService).begin(),
        resources::SupportedVersions(resources::ApiSurface::kContainerService).end()),
    VersionName);

}  // namespace
}  // namespace gangplank::api

// az's printed shape of ARM JSON: properties lifted, az's names, nulls, unknown members kept,
// resourceGroup added, times and floats as Python writes them.
#include "cli/az_output.h"

#include <gtest/gtest.h>

namespace gangplank::cli {
namespace {
namespace json = boost::json;

const char* kCluster = R"({
  "id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/c1",
  "name": "c1", "location": "westus2",
  "systemData": {"createdAt": "2026-11-30T10:00:00Z"},
  "properties": {
    "provisioningState": "Succeeded", "privateFQDN": "p.example", "enableRBAC": true,
    "agentPoolProfiles": [{"name": "nodepool1", "count": 2, "osSKU": "Ubuntu", "enableFIPS": false,
                           "spotMaxPrice": -1, "securityProfile": {"sshAccess": "Disabled"}}],
    "newThing": {"a": 1}
  }
})";

TEST(AzOutputTest, AClusterIsPrintedAsAzPrintsIt) {
  const json::object view = AzClusterView(json::parse(kCluster)).as_object();
  EXPECT_FALSE(view.contains("properties"));
  EXPECT_EQ(view.at("provisioningState"), "Succeeded");
  EXPECT_EQ(view.at("privateFqdn"), "p.example");  // the SDK's attribute name, not the wire's
  EXPECT_EQ(view.at("enableRbac"), true);
  EXPECT_TRUE(view.at("aadProfile").is_null());     // absent: null, as az prints it
  EXPECT_FALSE(view.contains("tags"));              // az's _remove_nulls
  EXPECT_EQ(view.at("resourceGroup"), "rg1");
  EXPECT_EQ(view.at("systemData").at("createdAt"), "2026-11-30T10:00:00+00:00");
  EXPECT_EQ(view.at("newThing"), json::parse(R"({"a":1})")) << "newer fields stay queryable";
  const json::object& pool = view.at("agentPoolProfiles").at(0).as_object();
  EXPECT_EQ(pool.at("osSku"), "Ubuntu");
  EXPECT_EQ(pool.at("enableFips"), false);
  EXPECT_TRUE(pool.at("spotMaxPrice").is_double());
  EXPECT_FALSE(pool.contains("osDiskSizeGb"));      // az's _remove_nulls
  EXPECT_EQ(pool.at("securityProfile").at("sshAccess"), "Disabled");
}

// A PUT-back, as az sends one: what the server alone sets is left out at every depth; what az's
// model does not know (newer fields) stays.
TEST(AzOutputTest, APutBackLeavesOutReadOnlyMembersAndKeepsNewerOnes) {
  const json::value read = json::parse(R"({
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1",
    "name": "c1", "type": "Microsoft.ContainerService/ManagedClusters", "location": "westus2",
    "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
    "properties": {"provisioningState": "Succeeded", "fqdn": "c1.example", "dnsPrefix": "c1",
      "powerState": {"code": "Running"}, "maxAgentPools": 100,
      "agentPoolProfiles": [{"name": "nodepool1", "count": 2, "nodeImageVersion": "v1",
        "provisioningState": "Succeeded", "powerState": {"code": "Running"},
        "securityProfile": {"sshAccess": "Disabled"}}]}})");
  const json::value sent = AzWritable(read, "ManagedCluster");
  EXPECT_EQ(sent, json::parse(R"({
    "location": "westus2", "identity": {"type": "SystemAssigned"},
    "properties": {"dnsPrefix": "c1",
      "agentPoolProfiles": [{"name": "nodepool1", "count": 2, "powerState": {"code": "Running"},
        "securityProfile": {"sshAccess": "Disabled"}}]}})"))
      << json::serialize(sent);
}

TEST(AzOutputTest, APoolLiftsItsPropertiesAndKeepsNewOnes) {
  const json::value pool = json::parse(R"({
    "id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/c1/agentPools/p1",
    "name": "p1",
    "properties": {"count": 3, "vmSize": "Standard_D2s_v3", "osSKU": "AzureLinux",
                   "securityProfile": {"sshAccess": "LocalUser"}, "osDiskSizeGB": 128}})");
  const json::object view = AzView(pool, "AgentPool").as_object();
  EXPECT_EQ(view.at("count"), 3);
  EXPECT_EQ(view.at("osSku"), "AzureLinux");
  EXPECT_EQ(view.at("osDiskSizeGb"), 128);
  EXPECT_EQ(view.at("securityProfile").at("sshAccess"), "LocalUser");
  EXPECT_EQ(view.at("resourceGroup"), "rg1");
  EXPECT_FALSE(view.contains("properties"));
  const json::value list = AzView(json::array{pool, pool}, "[AgentPool]");
  EXPECT_EQ(list.as_array().size(), 2u);
  EXPECT_EQ(list.at(1).at("vmSize"), "Standard_D2s_v3");
}

}  // namespace
}  // namespace gangplank::cli

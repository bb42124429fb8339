// The built-in roles and ARM's wildcard rule: what each role grants and refuses.
#include "access/roles.h"

#include <gtest/gtest.h>

#include "access/role_assignments.h"

namespace gangplank::access {
namespace {

const RoleDefinition& Role(std::string_view name) {
  for (const RoleDefinition& role : BuiltInRoles())
    if (role.role_name == name) return role;
  ADD_FAILURE() << "no built-in role " << name;
  return BuiltInRoles().front();
}

TEST(ActionMatchTest, WildcardsSpanSegmentsAndCaseIsIgnored) {
  EXPECT_TRUE(ActionMatches("*", "Microsoft.ContainerService/managedClusters/write"));
  EXPECT_TRUE(
      ActionMatches("*/read", "Microsoft.ContainerService/managedClusters/agentPools/read"));
  EXPECT_FALSE(ActionMatches("*/read", "Microsoft.ContainerService/managedClusters/write"));
  EXPECT_TRUE(ActionMatches("Microsoft.Authorization/*/Write",
                            "microsoft.authorization/roleAssignments/write"));
  EXPECT_FALSE(ActionMatches("Microsoft.Authorization/*/Write",
                             "Microsoft.Authorization/roleAssignments/read"));
  EXPECT_TRUE(ActionMatches("Microsoft.ContainerService/managedClusters/*",
                            "Microsoft.ContainerService/managedClusters/agentPools/delete"));
  EXPECT_FALSE(ActionMatches("Microsoft.ContainerService/managedClusters/read",
                             "Microsoft.ContainerService/managedClusters/readx"));
  EXPECT_TRUE(ActionMatches("a*b*c", "aXXbYYbZZc"));
  EXPECT_FALSE(ActionMatches("a*b*c", "aXXbYYbZZ"));
  EXPECT_FALSE(ActionMatches("", "a"));
  // Many stars against a long action finish at once (no exponential backtracking).
  EXPECT_FALSE(ActionMatches("*a*a*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(BuiltInRoleTest, TheRolesGrantWhatAzureSays) {
  constexpr std::string_view kWriteCluster = "Microsoft.ContainerService/managedClusters/write";
  constexpr std::string_view kReadCluster = "Microsoft.ContainerService/managedClusters/read";
  constexpr std::string_view kAssign = "Microsoft.Authorization/roleAssignments/write";
  constexpr std::string_view kUserCredential =
      "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action";
  EXPECT_TRUE(Grants(Role("Owner"), kAssign));
  EXPECT_TRUE(Grants(Role("Contributor"), kWriteCluster));
  EXPECT_FALSE(
      Grants(Role("Contributor"), kAssign));  // notActions: Microsoft.Authorization/*/Write
  EXPECT_TRUE(Grants(Role("Reader"), kReadCluster));
  EXPECT_FALSE(Grants(Role("Reader"), kWriteCluster));
  EXPECT_FALSE(Grants(Role("Reader"), kUserCredential));
  EXPECT_TRUE(Grants(Role("User Access Administrator"), kAssign));
  EXPECT_FALSE(Grants(Role("User Access Administrator"), kWriteCluster));
  EXPECT_TRUE(Grants(Role("Azure Kubernetes Service Cluster User Role"), kUserCredential));
  EXPECT_FALSE(Grants(Role("Azure Kubernetes Service Cluster User Role"), kWriteCluster));
  EXPECT_TRUE(Grants(Role("Azure Kubernetes Service Contributor Role"), kWriteCluster));
  EXPECT_FALSE(Grants(Role("Azure Kubernetes Service Contributor Role"), kAssign));
  EXPECT_TRUE(GrantsData(Role("Virtual Machine Administrator Login"),
                         "Microsoft.Compute/virtualMachines/loginAsAdmin/action"));
  EXPECT_FALSE(GrantsData(Role("Virtual Machine User Login"),
                          "Microsoft.Compute/virtualMachines/loginAsAdmin/action"));
  EXPECT_TRUE(GrantsData(Role("Virtual Machine User Login"),
                         "Microsoft.Compute/virtualMachines/login/action"));
  EXPECT_FALSE(GrantsData(Role("Owner"), "Microsoft.Compute/virtualMachines/login/action"));
}

TEST(BuiltInRoleTest, RolesAreFoundByTheirIdsInAnyForm) {
  const auto guid = RoleGuidOf(
      "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
      "ACDD72A7-3385-48EF-BD42-F606FBA81AE7");
  ASSERT_TRUE(guid);
  EXPECT_EQ(FindBuiltInRole(*guid)->role_name, "Reader");
  EXPECT_TRUE(RoleGuidOf("acdd72a7-3385-48ef-bd42-f606fba81ae7"));
  EXPECT_FALSE(RoleGuidOf("/subscriptions/s/providers/Other/acdd72a7-3385-48ef-bd42-f606fba81ae7"));
  EXPECT_FALSE(RoleGuidOf("Reader"));
  EXPECT_EQ(FindBuiltInRole("00000000-0000-0000-0000-000000000000"), nullptr);
}

TEST(ScopeTest, AnAssignmentCoversItsScopeAndWhatIsBelowItOnly) {
  EXPECT_TRUE(ScopeCovers("/subscriptions/s", "/subscriptions/S/resourceGroups/rg"));
  EXPECT_TRUE(
      ScopeCovers("/subscriptions/s/resourceGroups/rg", "/subscriptions/s/resourcegroups/RG"));
  EXPECT_FALSE(
      ScopeCovers("/subscriptions/s/resourceGroups/rg", "/subscriptions/s/resourceGroups/rg2"));
  EXPECT_FALSE(ScopeCovers("/subscriptions/s/resourceGroups/rg", "/subscriptions/s"));
  EXPECT_TRUE(ScopeCovers("/", "/subscriptions/s"));
}

TEST(RoleAssignmentTest, ABodyIsCheckedFieldByField) {
  const std::string reader =
      "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
      "acdd72a7-3385-48ef-bd42-f606fba81ae7";
  const std::string name = "11111111-2222-3333-4444-555555555555";
  const std::string principal = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  const auto body = [&](const std::string& role, const std::string& who) {
    return R"({"properties": {"roleDefinitionId": ")" + role + R"(", "principalId": ")" + who +
           R"(", "principalType": "ServicePrincipal"}})";
  };
  const RoleLookup built_ins = [](std::string_view guid) -> std::shared_ptr<const RoleDefinition> {
    const RoleDefinition* role = FindBuiltInRole(guid);
    return role ? std::make_shared<const RoleDefinition>(*role) : nullptr;
  };
  auto ok = DecodeRoleAssignment(body(reader, principal), "/subscriptions/s", name, "me", "now",
                                 built_ins);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->role, "acdd72a7-3385-48ef-bd42-f606fba81ae7");
  EXPECT_EQ(ok->id(), "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/" + name);
  EXPECT_EQ(DecodeRoleAssignment(body(reader, principal), "/subscriptions/s", "x", "me", "now",
                                     built_ins)
                .error()
                .reason,
            "InvalidRoleAssignmentId");
  EXPECT_EQ(DecodeRoleAssignment(body(reader, "bob"), "/subscriptions/s", name, "me", "now",
                                     built_ins)
                .error()
                .target,
            "properties.principalId");
  EXPECT_EQ(
      DecodeRoleAssignment(body(reader + "0", principal), "/subscriptions/s", name, "me", "now",
                                     built_ins)
          .error()
          .reason,
      "RoleDefinitionDoesNotExist");
  EXPECT_EQ(DecodeRoleAssignment("[]", "/subscriptions/s", name, "me", "now",
                                     built_ins).error().reason,
            "InvalidRequestContent");

  // The same grant under another name exists already; the same name cannot change its grant.
  RoleAssignment held = *ok;
  held.name = "99999999-2222-3333-4444-555555555555";
  auto twice = PlanRoleAssignmentPut(*ok, {held});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().reason, "RoleAssignmentExists");
  RoleAssignment other = *ok;
  other.principal_id = "ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee";
  auto changed = PlanRoleAssignmentPut(other, {*ok});
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().reason, "RoleAssignmentUpdateNotPermitted");
  RoleAssignment again = *ok;
  again.created_on = "later";
  auto same = PlanRoleAssignmentPut(again, {*ok});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->created_on, "now");  // the first creation is kept
}

}  // namespace
}  // namespace gangplank::access

namespace gangplank::access {
namespace {

std::string CustomRoleBody(const std::string& actions, const std::string& scopes) {
  return R"({"properties": {"roleName": "Node Rotator", "type": "CustomRole", "permissions": [{"actions": )" +
         actions + R"(, "notActions": [], "dataActions": []}], "assignableScopes": )" + scopes + "}}";
}

TEST(CustomRoleTest, ABodyIsCheckedAndItsWildcardsGrantAsArmReadsThem) {
  const std::string name = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
  const auto role = DecodeCustomRole(
      CustomRoleBody(R"(["Microsoft.ContainerService/managedClusters/*/read", "Microsoft.ContainerService/managedClusters/rotateClusterCertificates/action"])",
                     R"(["/subscriptions/s/resourceGroups/rg1"])"),
      name, "s");
  ASSERT_TRUE(role.ok()) << role.error().message;
  EXPECT_EQ(role->type, "CustomRole");
  EXPECT_TRUE(Grants(*role, "Microsoft.ContainerService/managedClusters/agentPools/read"));
  EXPECT_FALSE(Grants(*role, "Microsoft.ContainerService/managedClusters/write"));
  // Stored and read back: the same role.
  const auto again = DecodeCustomRoleRow(EncodeCustomRole(*role));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->role_name, "Node Rotator");
  EXPECT_EQ(again->assignable_scopes, role->assignable_scopes);
  EXPECT_TRUE(Grants(*again, "Microsoft.ContainerService/managedClusters/agentPools/read"));

  const auto reason = [&](const std::string& body, const std::string& guid = "") {
    auto decoded = DecodeCustomRole(body, guid.empty() ? name : guid, "s");
    return decoded.ok() ? std::string("accepted") : decoded.error().reason;
  };
  const std::string ok_actions = R"(["Microsoft.ContainerService/managedClusters/read"])";
  EXPECT_EQ(reason(CustomRoleBody(ok_actions, R"(["/subscriptions/other"])")),
            "InvalidAssignableScopes");
  EXPECT_EQ(reason(CustomRoleBody(ok_actions, R"(["/"])")), "InvalidAssignableScopes");
  EXPECT_EQ(reason(CustomRoleBody(ok_actions, "[]")), "InvalidAssignableScopes");
  EXPECT_EQ(reason(CustomRoleBody(R"(["no slash"])", R"(["/subscriptions/s"])")), "InvalidAction");
  EXPECT_EQ(reason(CustomRoleBody("[]", R"(["/subscriptions/s"])")), "InvalidPermissions");
  EXPECT_EQ(reason(CustomRoleBody(ok_actions, R"(["/subscriptions/s"])"),
                   "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
            "RoleDefinitionIsBuiltIn");
  EXPECT_EQ(reason(CustomRoleBody(ok_actions, R"(["/subscriptions/s"])"), "not-a-guid"),
            "InvalidRoleDefinitionId");
  std::string builtin_name = CustomRoleBody(ok_actions, R"(["/subscriptions/s"])");
  builtin_name.replace(builtin_name.find("Node Rotator"), 12, "reader");
  EXPECT_EQ(reason(builtin_name), "RoleDefinitionWithSameNameExists");
}

TEST(CustomRoleTest, AnAssignmentOutsideTheRolesAssignableScopesIsRefused) {
  const std::string guid = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
  const auto role = DecodeCustomRole(
      CustomRoleBody(R"(["Microsoft.ContainerService/managedClusters/read"])",
                     R"(["/subscriptions/s/resourceGroups/rg1"])"),
      guid, "s");
  ASSERT_TRUE(role.ok());
  const RoleLookup roles = [&](std::string_view g) -> std::shared_ptr<const RoleDefinition> {
    return g == guid ? std::make_shared<const RoleDefinition>(*role) : nullptr;
  };
  const std::string body = R"({"properties": {"roleDefinitionId": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/)" +
                           guid + R"(", "principalId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}})";
  const std::string name = "11111111-2222-3333-4444-555555555555";
  EXPECT_TRUE(DecodeRoleAssignment(body, "/subscriptions/s/resourceGroups/rg1/providers/"
                                         "Microsoft.ContainerService/managedClusters/c1",
                                   name, "me", "now", roles)
                  .ok());
  EXPECT_EQ(DecodeRoleAssignment(body, "/subscriptions/s", name, "me", "now", roles).error().reason,
            "InvalidRoleAssignmentScope");
  EXPECT_EQ(DecodeRoleAssignment(body, "/subscriptions/s/resourceGroups/rg2", name, "me", "now",
                                 roles)
                .error()
                .reason,
            "InvalidRoleAssignmentScope");
}

}  // namespace
}  // namespace gangplank::access

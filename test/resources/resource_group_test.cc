// Resource groups decoded and planned without a store: the name's rules, the region, the fields
// the server owns, the fields it keeps, and a group that cannot move.
#include "resources/resource_group.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace gangplank::resources {
namespace {
namespace json = boost::json;

const std::string kId = "/subscriptions/sub/resourceGroups/Team-A";

TEST(ResourceGroupTest, NamesFollowArmsRule) {
  for (const char* good : {"rg", "Team-A", "a.b_c(d)", "x"}) EXPECT_TRUE(CheckGroupName(good).ok()) << good;
  const std::string longest(90, 'a');
  EXPECT_TRUE(CheckGroupName(longest).ok());
  for (const std::string& bad : {std::string(), longest + "a", std::string("ends."),
                                std::string("has space"), std::string("slash/")}) {
    const Status checked = CheckGroupName(bad);
    ASSERT_FALSE(checked.ok()) << bad;
    EXPECT_EQ(checked.error().reason, "InvalidResourceGroupName");
    EXPECT_EQ(checked.error().code, StatusCode::kInvalidArgument);
  }
}

TEST(ResourceGroupTest, TheRegionIsNormalisedAndRequired) {
  auto spec = DecodeGroupSpec(R"({"location": "West US 2", "managedBy": "me"})");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->location, "westus2");
  EXPECT_EQ(spec->resource.at("location"), "westus2");
  for (const char* body : {"{}", R"({"location": ""})", R"({"location": 3})"}) {
    auto missing = DecodeGroupSpec(body);
    ASSERT_FALSE(missing.ok()) << body;
    EXPECT_EQ(missing.error().reason, "LocationRequired");
    EXPECT_EQ(missing.error().target, "location");
  }
  auto nowhere = DecodeGroupSpec(R"({"location": "west us 2!"})");
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.error().target, "location");
  auto not_json = DecodeGroupSpec("[1]");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().reason, "InvalidRequestContent");
  auto bad_tags = DecodeGroupSpec(R"({"location": "westus2", "tags": {"a": 1}})");
  ASSERT_FALSE(bad_tags.ok());
  EXPECT_EQ(bad_tags.error().code, StatusCode::kInvalidArgument);
}

TEST(ResourceGroupTest, TheServerOwnsReadOnlyFieldsAndKeepsTheRest) {
  auto spec = DecodeGroupSpec(
      R"({"location": "westus2", "id": "/forged", "type": "x", "managedBy": "me",
          "properties": {"provisioningState": "Failed", "extra": 1}})");
  ASSERT_TRUE(spec.ok());
  auto group = PlanGroupPut(std::nullopt, std::move(*spec), kId, "Team-A");
  ASSERT_TRUE(group.ok()) << group.error().message;
  EXPECT_EQ(group->at("id"), json::value(kId));
  EXPECT_EQ(group->at("name"), "Team-A");
  EXPECT_EQ(group->at("type"), "Microsoft.Resources/resourceGroups");
  EXPECT_EQ(group->at("managedBy"), "me");
  EXPECT_EQ(group->at("properties").at("provisioningState"), "Succeeded");
  EXPECT_EQ(group->at("properties").at("extra"), 1);
  EXPECT_EQ(group->at("tags"), json::value(json::object{}));
}

TEST(ResourceGroupTest, AGroupKeepsItsNameAndCannotMoveRegion) {
  const store::Resource existing{"resourceGroup", kId, "/subscriptions/sub",
                                 R"({"id": ")" + kId + R"(", "name": "Team-A", "location": "westus2"})",
                                 3};
  auto same = PlanGroupPut(existing, *DecodeGroupSpec(R"({"location": "westus2"})"),
                           "/subscriptions/sub/resourceGroups/team-a", "team-a");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->at("name"), "Team-A");  // ARM names are case-insensitive; the first spelling stays
  EXPECT_EQ(same->at("id"), json::value(kId));
  auto moved = PlanGroupPut(existing, *DecodeGroupSpec(R"({"location": "eastus"})"), kId, "Team-A");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().reason, "InvalidResourceGroupLocation");
  EXPECT_EQ(moved.error().code, StatusCode::kFailedPrecondition);
  EXPECT_NE(moved.error().message.find("already exists in location 'westus2'"), std::string::npos);
}

TEST(ResourceGroupTest, DeletingKeepsEveryOtherProperty) {
  const store::Resource group{"resourceGroup", kId, "/subscriptions/sub",
                              R"({"name": "Team-A", "properties": {"provisioningState": "Succeeded", "x": 2}})",
                              1};
  auto deleting = MarkGroupDeleting(group);
  ASSERT_TRUE(deleting.ok());
  const json::value doc = json::parse(deleting->body);
  EXPECT_EQ(doc.at("properties").at("provisioningState"), "Deleting");
  EXPECT_EQ(doc.at("properties").at("x"), 2);
  EXPECT_EQ(deleting->version, 1);
}

}  // namespace
}  // namespace gangplank::resources

// The activity log's pure parts: the $filter forms az and the SDK send, the times in them, and
// Azure's EventData shape.
#include "audit/activity_log.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace gangplank::audit {
namespace {
namespace json = boost::json;

constexpr long long kNoon = 1704110400000;  // 2024-01-01T12:00:00Z

ActivityEvent Event() {
  ActivityEvent e;
  e.event_id = "11111111-0000-4000-8000-000000000001";
  e.subscription = "sub";
  e.origin = {"app-1",
              "aaaaaaaa-0000-4000-8000-000000000001",
              "Microsoft.ContainerService/managedClusters/agentPools/write",
              "/subscriptions/sub/resourceGroups/RG1/providers/Microsoft.ContainerService/"
              "managedClusters/c1/agentPools/p1",
              "cccccccc-0000-4000-8000-000000000001",
              "127.0.0.9"};
  e.operation_id = "op";
  e.status = "Failed";
  e.sub_status = "Forbidden";
  e.level = "Error";
  e.event_name = "EndRequest";
  e.timestamp_ms = kNoon;
  return e;
}

TEST(ActivityFilterTest, TimesAsAzWritesThem) {
  EXPECT_EQ(ParseTimestamp("2024-01-01T12:00:00.150135"), kNoon + 150);
  EXPECT_EQ(ParseTimestamp("2024-01-01T12:00:00Z"), kNoon);
  EXPECT_EQ(ParseTimestamp("2024-01-01T13:00:00+01:00"), kNoon);
  EXPECT_EQ(ParseTimestamp("'2024-01-01T12:00:00.5Z'"), kNoon + 500);
  EXPECT_FALSE(ParseTimestamp("yesterday"));
  EXPECT_FALSE(ParseTimestamp("2024-01-01T12:00:00+0100"));
}

TEST(ActivityFilterTest, TheFormsAzSendsSelectWhatTheySay) {
  auto filter = ParseActivityFilter(
      "eventTimestamp ge 2024-01-01T11:00:00.150135 and eventTimestamp le "
      "2024-01-01T12:00:00.150135 and resourceGroupName eq 'rg1' and status eq 'Failed'");
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  EXPECT_TRUE(Matches(*filter, Event()));
  ActivityEvent later = Event();
  later.timestamp_ms = kNoon + 3600 * 1000;
  EXPECT_FALSE(Matches(*filter, later));
  ActivityEvent succeeded = Event();
  succeeded.status = "Succeeded";
  EXPECT_FALSE(Matches(*filter, succeeded));

  const std::string window =
      "eventTimestamp ge 2024-01-01T00:00:00+00:00 and eventTimestamp le 2024-01-01T23:00:00+00:00";
  const auto keeps = [&](const std::string& more) {
    auto parsed = ParseActivityFilter(window + " and " + more);
    EXPECT_TRUE(parsed.ok()) << more;
    return parsed.ok() && Matches(*parsed, Event());
  };
  EXPECT_TRUE(
      keeps("resourceId eq '/subscriptions/sub/resourcegroups/rg1/providers/"
            "Microsoft.ContainerService/managedClusters/c1'"));  // and what is below it
  EXPECT_FALSE(
      keeps("resourceId eq '/subscriptions/sub/resourceGroups/rg1/providers/"
            "Microsoft.ContainerService/managedClusters/c2'"));
  EXPECT_TRUE(keeps("caller eq 'APP-1'"));
  EXPECT_FALSE(keeps("caller eq 'someone@else'"));
  EXPECT_TRUE(keeps("correlationId eq 'cccccccc-0000-4000-8000-000000000001'"));
  EXPECT_TRUE(keeps("resourceProvider eq 'Microsoft.ContainerService'"));

  for (const char* bad : {"", "resourceGroupName eq 'rg1'", "eventTimestamp ge soon",
                          "eventTimestamp ge 2024-01-01T00:00:00Z and level eq 'Error'",
                          "eventTimestamp ge 2024-01-01T00:00:00Z and caller ne 'x'"}) {
    auto refused = ParseActivityFilter(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().reason, "InvalidFilter");
  }
}

TEST(ActivityEventTest, EventDataAsAzureShowsIt) {
  const json::object shown = EventJson(Event());
  EXPECT_EQ(shown.at("caller"), "app-1");
  EXPECT_EQ(shown.at("operationName").at("value"),
            "Microsoft.ContainerService/managedClusters/agentPools/write");
  EXPECT_EQ(shown.at("resourceGroupName"), "RG1");
  EXPECT_EQ(shown.at("resourceProviderName").at("value"), "Microsoft.ContainerService");
  EXPECT_EQ(shown.at("resourceType").at("value"),
            "Microsoft.ContainerService/managedClusters/agentPools");
  EXPECT_EQ(shown.at("status").at("value"), "Failed");
  EXPECT_EQ(shown.at("subStatus").at("value"), "Forbidden");
  EXPECT_EQ(shown.at("category").at("value"), "Administrative");
  EXPECT_EQ(shown.at("eventTimestamp"), "2024-01-01T12:00:00.0000000Z");
  EXPECT_EQ(shown.at("httpRequest").at("clientIpAddress"), "127.0.0.9");
  // A round trip through the row keeps everything.
  auto decoded = DecodeEvent(EventRow(Event()));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(json::serialize(EventJson(*decoded)), json::serialize(shown));
}

TEST(ActivityEventTest, AnOperationsEndIsOneEventWhateverTheRetries) {
  resources::Operation operation;
  operation.id =
      "/subscriptions/sub/providers/Microsoft.ContainerService/locations/westus2/operations/op1";
  operation.name = "op1";
  operation.status = "Failed";
  operation.error = MakeError(StatusCode::kFailedPrecondition, "NodeProvisioningFailed", "why");
  EXPECT_FALSE(OperationEndEvent(operation, kNoon));  // no request started it
  operation.origin = Event().origin;
  const auto first = OperationEndEvent(operation, kNoon);
  const auto again = OperationEndEvent(operation, kNoon + 5);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->event_id, again->event_id);
  EXPECT_EQ(first->subscription, "sub");
  EXPECT_EQ(first->status, "Failed");
  EXPECT_EQ(first->sub_status, "NodeProvisioningFailed");
  EXPECT_EQ(first->description, "why");
  EXPECT_EQ(first->operation_id, "op1");
}

}  // namespace
}  // namespace gangplank::audit

// maxSurge of a rolling upgrade: a node count or a percentage of the pool, rounded up, at least
// one node; what AKS refuses is refused with the field's name.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "resources/pool_spec.h"

namespace gangplank::resources {
namespace {
namespace json = boost::json;

Result<int> Surge(const std::string& max_surge, int count) {
  return SurgeOf(json::object{{"upgradeSettings", json::object{{"maxSurge", max_surge}}}}, count);
}

TEST(SurgeTest, APercentageOfThePoolRoundsUpToWholeNodes) {
  EXPECT_EQ(*Surge("33%", 10), 4);   // 3.3
  EXPECT_EQ(*Surge("33%", 200), 66);
  EXPECT_EQ(*Surge("50%", 3), 2);    // 1.5
  EXPECT_EQ(*Surge("10%", 5), 1);    // 0.5
  EXPECT_EQ(*Surge("1%", 1000), 10);
  EXPECT_EQ(*Surge("1%", 101), 2);   // 1.01
  EXPECT_EQ(*Surge("100%", 7), 7);
  EXPECT_EQ(*Surge("10%", 0), 1) << "at least one node, even of an empty pool";
}

TEST(SurgeTest, ANodeCountIsTakenAsItIsWithAtLeastOne) {
  EXPECT_EQ(*Surge("3", 10), 3);
  EXPECT_EQ(*Surge("30", 10), 30) << "more than the pool: every node at once";
  EXPECT_EQ(*Surge("0", 10), 1);
  EXPECT_EQ(*Surge("999999", 10), 999999);
}

TEST(SurgeTest, WithoutASurgeAPoolUpgradesTenPercentAtATime) {
  EXPECT_EQ(*SurgeOf(json::object{}, 25), 3);
  EXPECT_EQ(*SurgeOf(json::object{{"upgradeSettings", json::object{}}}, 25), 3);
  EXPECT_EQ(*Surge("", 25), 3);
}

TEST(SurgeTest, WhatAksRefusesIsRefusedNamingTheField) {
  for (const std::string bad : {"0%", "101%", "1000%", "abc", "3 nodes", "-1", "%", "1.5",
                                "1000000", "33%%"}) {
    const auto surge = Surge(bad, 10);
    ASSERT_FALSE(surge.ok()) << bad;
    EXPECT_EQ(surge.error().reason, "InvalidParameter") << bad;
    EXPECT_NE(surge.error().message.find("maxSurge"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace gangplank::resources

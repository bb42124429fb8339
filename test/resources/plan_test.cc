// The pure halves of cluster and pool PUTs: a request decoded on its own, then planned against
// records built here, without a store. Each test names the rule it holds.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mocks/counting_random.h"
#include "resources/cluster_spec.h"
#include "resources/pool_spec.h"

namespace gangplank::resources {
namespace {
namespace json = boost::json;

constexpr const char* kKeyA =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@example";
constexpr const char* kKeyB =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbrVWcQ4JxUfe6HGhzaHvsq9kakVUHTrHGlr2wU+4TU b@example";
constexpr const char* kVersion = "2026-08-01";

class PlanTest : public ::testing::Test {
 protected:
  PlanTest() { names_ = ResourceNames{"sub", "rg", "c1", ""}; }

  static std::string Body(json::object properties) {
    return json::serialize(json::object{{"location", "westus2"}, {"properties", std::move(properties)}});
  }
  static json::object WithKey(const char* key, json::array pools) {
    return json::object{
        {"linuxProfile", json::object{{"adminUsername", "azureuser"},
                                      {"ssh", json::object{{"publicKeys", json::array{json::object{
                                                                              {"keyData", key}}}}}}}},
        {"agentPoolProfiles", std::move(pools)}};
  }
  static json::object Pool(const char* name, json::object more = {}) {
    more["name"] = name;
    if (!more.contains("count")) more["count"] = 2;
    return more;
  }

  ClusterSpec Decode(const std::string& body) {
    auto spec = DecodeClusterSpec(names_.cluster, body, kVersion);
    EXPECT_TRUE(spec.ok()) << spec.error().ToString();
    return spec.ok() ? std::move(spec.value()) : ClusterSpec{};
  }

  Result<WritePlan> Plan(const ClusterSpec& spec) {
    return PlanClusterPut(spec, {names_, before_, pools_, generated_, latest_, random_});
  }

  // Makes the plan's writes the stored state, as a commit would.
  void Store(const WritePlan& plan) {
    pools_.clear();
    for (const store::Mutation& write : plan.mutations) {
      store::Resource row = write.resource;
      row.version = 7;
      if (row.kind == kClusterKind) before_ = ClusterRecord::Decode(row).value();
      if (row.kind == kPoolKind) pools_.push_back(PoolRecord::Decode(row).value());
    }
  }

  const PoolRecord* PoolIn(const WritePlan& plan, const std::string& name) {
    static PoolRecord found;
    for (const store::Mutation& write : plan.mutations) {
      if (write.resource.kind != kPoolKind) continue;
      found = PoolRecord::Decode(write.resource).value();
      if (found.name() == name) return &found;
    }
    return nullptr;
  }

  ResourceNames names_;
  std::optional<ClusterRecord> before_;
  std::vector<PoolRecord> pools_;
  std::optional<SshModel> generated_;
  LatestImage latest_ = [](const std::string& sku) { return sku + "-2026.11.01"; };
  testing::CountingRandom random_;
};

TEST_F(PlanTest, ANewClusterWritesItselfFirstThenItsPoolsWithTheirNodeCounts) {
  auto plan = Plan(Decode(Body(WithKey(kKeyA, {Pool("sys"), Pool("user", {{"count", 5}})}))));
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_TRUE(plan->created);
  ASSERT_EQ(plan->mutations.size(), 3u);
  EXPECT_EQ(plan->mutations[0].resource.kind, kClusterKind);
  EXPECT_EQ(plan->mutations[0].precondition.version, 0);  // must not exist yet
  EXPECT_EQ(plan->node_counts.at(names_.cluster_id() + "/agentPools/user"), 5);
  // The first pool is the System pool when none names a mode; the image is the newest.
  EXPECT_EQ(PoolIn(*plan, "sys")->properties().at("mode"), "System");
  EXPECT_EQ(PoolIn(*plan, "user")->properties().at("mode"), "User");
  EXPECT_EQ(PoolIn(*plan, "user")->properties().at("nodeImageVersion"), "Ubuntu-2026.11.01");
  // The uid comes from the random source, once.
  auto cluster = ClusterRecord::Decode(plan->mutations[0].resource);
  EXPECT_EQ(cluster->uid, "00000000-0000-4000-8000-000000000001");
}

TEST_F(PlanTest, ANewClusterNeedsAPoolAndASystemPool) {
  auto none = Plan(Decode(Body(WithKey(kKeyA, {}))));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().target, "properties.agentPoolProfiles");
  auto users = Plan(Decode(Body(WithKey(kKeyA, {Pool("a", {{"mode", "User"}})}))));
  ASSERT_FALSE(users.ok());
  EXPECT_NE(users.error().message.find("mode System"), std::string::npos);
}

TEST_F(PlanTest, AClusterSentWithoutAKeyGetsTheGeneratedOneAndNeverShowsIt) {
  generated_ = SshModel{"azureuser", {kKeyB}, true};
  auto plan = Plan(Decode(Body(json::object{{"agentPoolProfiles", json::array{Pool("sys")}}})));
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  auto cluster = ClusterRecord::Decode(plan->mutations[0].resource);
  EXPECT_TRUE(cluster->ssh.service_generated);
  EXPECT_FALSE(cluster->properties().contains("linuxProfile"));
  EXPECT_EQ(PoolIn(*plan, "sys")->model.ssh.public_keys.front(), kKeyB);
}

TEST_F(PlanTest, ANewKeyMovesEveryPoolsModelOnceAlsoOfPoolsTheRequestDoesNotName) {
  auto created = Plan(Decode(Body(WithKey(kKeyA, {Pool("sys"), Pool("other")}))));
  ASSERT_TRUE(created.ok());
  Store(*created);
  // The update names one pool, changes the key and that pool's access mode: one version each.
  auto plan = Plan(Decode(Body(WithKey(
      kKeyB, {Pool("sys", {{"securityProfile", json::object{{"sshAccess", "Disabled"}}}})}))));
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_FALSE(plan->created);
  for (const char* name : {"sys", "other"}) {
    const PoolRecord* pool = PoolIn(*plan, name);
    ASSERT_NE(pool, nullptr) << name;
    EXPECT_EQ(pool->model.version, 2) << name;
    EXPECT_EQ(pool->model.ssh.public_keys.front(), kKeyB) << name;
    ASSERT_NE(pool->model.KeysOf(1), nullptr);  // machines still on version 1 keep key A
  }
  EXPECT_EQ(PoolIn(*plan, "sys")->model.ssh_access, "Disabled");
  EXPECT_EQ(PoolIn(*plan, "other")->model.ssh_access, "LocalUser");
}

TEST_F(PlanTest, AnAccessModeChangeAloneMovesThatPoolsModelOn) {
  auto created = Plan(Decode(Body(WithKey(kKeyA, {Pool("sys"), Pool("other")}))));
  ASSERT_TRUE(created.ok());
  Store(*created);
  auto plan = Plan(Decode(Body(WithKey(
      kKeyA, {Pool("sys", {{"securityProfile", json::object{{"sshAccess", "Disabled"}}}})}))));
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(PoolIn(*plan, "sys")->model.version, 2);
  EXPECT_EQ(PoolIn(*plan, "sys")->model.ssh_access, "Disabled");
  EXPECT_EQ(PoolIn(*plan, "other"), nullptr);  // not named, nothing of it changed
}

TEST_F(PlanTest, AnUpdateKeepsTheUidAndTheCredentialGeneration) {
  auto created = Plan(Decode(Body(WithKey(kKeyA, {Pool("sys")}))));
  ASSERT_TRUE(created.ok());
  Store(*created);
  before_->credential_generation = 3;  // two rotateClusterCertificates since
  const std::string uid = before_->uid;
  auto plan = Plan(Decode(Body(WithKey(kKeyA, {Pool("sys", {{"count", 4}})}))));
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  auto cluster = ClusterRecord::Decode(plan->mutations[0].resource);
  EXPECT_EQ(cluster->uid, uid);
  // A PUT must not bring revoked kubeconfigs back to life.
  EXPECT_EQ(cluster->credential_generation, 3);
  EXPECT_EQ(plan->mutations[0].precondition.version, 7);
  EXPECT_EQ(PoolIn(*plan, "sys")->model.version, 1);  // nothing in the model changed
}

TEST_F(PlanTest, WhatAStoredClusterDoesNotLetAPutChange) {
  auto created = Plan(Decode(Body(WithKey(kKeyA, {Pool("sys")}))));
  ASSERT_TRUE(created.ok());
  Store(*created);
  json::object renamed = WithKey(kKeyB, {Pool("sys")});
  renamed["linuxProfile"].as_object()["adminUsername"] = "someoneelse";
  auto user = Plan(Decode(Body(renamed)));
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().reason, "PropertyChangeNotAllowed");
  auto moved = Decode(Body(WithKey(kKeyA, {Pool("sys")})));
  moved.location = "eastus";
  auto location = Plan(moved);
  ASSERT_FALSE(location.ok());
  EXPECT_EQ(location.error().reason, "InvalidResourceLocation");
  EXPECT_EQ(location.error().code, StatusCode::kFailedPrecondition);  // 409
  before_->set_power(false);
  auto stopped = Plan(Decode(Body(WithKey(kKeyA, {Pool("sys")}))));
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().reason, "OperationNotAllowed");
}

TEST_F(PlanTest, AKeyChangeIsRefusedWhileAnAvailabilitySetPoolExists) {
  auto created =
      Plan(Decode(Body(WithKey(kKeyA, {Pool("sys"), Pool("old", {{"type", "AvailabilitySet"}})}))));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Store(*created);
  auto plan = Plan(Decode(Body(WithKey(kKeyB, {Pool("sys")}))));
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("'old'"), std::string::npos);
}

TEST(ClusterSpecTest, ABodyIsCheckedOnItsOwnWithTheFieldItConcerns) {
  const auto target = [](std::string_view name, const std::string& body) {
    auto spec = DecodeClusterSpec(name, body, kVersion);
    return spec.ok() ? std::string("accepted") : spec.error().target;
  };
  EXPECT_EQ(target("-bad", R"({"location":"westus2"})"), "resourceName");
  EXPECT_EQ(target("c1", R"({"properties":{}})"), "location");
  EXPECT_EQ(target("c1", R"({"location":"westus2","tags":[]})"), "tags");
  EXPECT_EQ(target("c1", R"({"location":"westus2","properties":[]})"), "properties");
  EXPECT_EQ(target("c1", R"({"location":"westus2","properties":{"dnsPrefix":3}})"),
            "properties.dnsPrefix");
  EXPECT_EQ(target("c1", R"({"location":"westus2","properties":{"agentPoolProfiles":[
              {"name":"a"},{"name":"a"}]}})"),
            "properties.agentPoolProfiles[1].name");
  EXPECT_EQ(target("c1", R"({"location":"westus2","properties":{"agentPoolProfiles":[
              {"name":"a","count":-1}]}})"),
            "properties.agentPoolProfiles[0].count");
  EXPECT_EQ(target("c1", R"({"location":"westus2","properties":{"agentPoolProfiles":[
              {"name":"a","osType":"Windows"}]}})"),
            "properties.agentPoolProfiles[0].osType");
  EXPECT_EQ(target("c1", R"({"location":"westus2","properties":{"agentPoolProfiles":[
              {"name":"a"}]}})"),
            "accepted");
  auto not_json = DecodeClusterSpec("c1", "{", kVersion);
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().reason, "InvalidRequestContent");
}

class PoolPlanTest : public ::testing::Test {
 protected:
  PoolPlanTest() {
    names_ = ResourceNames{"sub", "rg", "c1", "user"};
    cluster_.id = names_.cluster_id();
    cluster_.resource = json::object{{"location", "westus2"},
                                     {"properties", json::object{{"kubernetesVersion", "1.30.5"}}}};
    cluster_.ssh = SshModel{"azureuser", {kKeyA}, false};
  }
  Result<WritePlan> Plan(const std::string& body, std::size_t pools_in_cluster = 1) {
    auto spec = DecodePoolSpec(names_.pool, body, kVersion);
    if (!spec) return spec.error();
    return PlanPoolPut(*spec, {names_, cluster_, before_, pools_in_cluster, latest_});
  }
  static PoolRecord Written(const WritePlan& plan) {
    PoolRecord pool = PoolRecord::Decode(plan.mutations.front().resource).value();
    pool.version = 4;
    return pool;
  }

  ResourceNames names_;
  ClusterRecord cluster_;
  std::optional<PoolRecord> before_;
  LatestImage latest_ = [](const std::string&) { return std::string("img-1"); };
};

TEST_F(PoolPlanTest, ANewPoolStartsFromTheClustersKeyAndChecksTheClusterStillExists) {
  auto plan = Plan(R"({"properties":{"count":3}})");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  const PoolRecord pool = Written(*plan);
  EXPECT_EQ(pool.model.ssh.public_keys.front(), kKeyA);
  EXPECT_EQ(pool.properties().at("orchestratorVersion"), "1.30.5");
  EXPECT_EQ(plan->node_counts.at(names_.pool_id()), 3);
  ASSERT_EQ(plan->mutations.size(), 2u);
  EXPECT_EQ(plan->mutations[1].type, store::Mutation::Type::kCheck);
}

TEST_F(PoolPlanTest, APoolOverTheClustersLimitIsRefusedButAnUpdateOfOneIsNot) {
  auto refused = Plan(R"({"properties":{}})", 100);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, "QuotaExceeded");
  auto created = Plan(R"({"properties":{}})");
  ASSERT_TRUE(created.ok());
  before_ = Written(*created);
  EXPECT_TRUE(Plan(R"({"properties":{"count":2}})", 100).ok());
}

TEST_F(PoolPlanTest, AnUpdateMergesOverThePoolAndMovesTheModelOnlyWhenItsAccessChanges) {
  auto created = Plan(R"({"properties":{"count":3,"maxPods":50}})");
  ASSERT_TRUE(created.ok());
  before_ = Written(*created);
  auto scaled = Plan(R"({"properties":{"count":5}})");
  ASSERT_TRUE(scaled.ok());
  EXPECT_FALSE(scaled->created);
  EXPECT_EQ(Written(*scaled).properties().at("maxPods"), 50);  // kept
  EXPECT_EQ(Written(*scaled).model.version, 1);
  EXPECT_EQ(scaled->mutations.front().precondition.version, 4);
  auto disabled = Plan(R"({"properties":{"securityProfile":{"sshAccess":"Disabled"}}})");
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(Written(*disabled).model.version, 2);
  EXPECT_EQ(Written(*disabled).model.ssh_access, "Disabled");
  // Merged, the whole is checked again: a System pool cannot go to 0 nodes.
  before_->properties()["mode"] = "System";
  auto emptied = Plan(R"({"properties":{"count":0}})");
  ASSERT_FALSE(emptied.ok());
  EXPECT_EQ(emptied.error().target, "properties.count");
}

}  // namespace
}  // namespace gangplank::resources

// Kubeconfigs read with PyYAML's types and merged by az's rules (merge_kubernetes_configurations).
#include "cli/kubeconfig.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace gangplank::cli {
namespace {
namespace json = boost::json;

constexpr const char* kServer = R"(apiVersion: v1
clusters:
- cluster:
    server: https://127.0.0.1:8443/kubernetes/u1
  name: c1
contexts:
- context:
    cluster: c1
    user: clusterUser_rg1_c1
  name: c1
current-context: c1
kind: Config
preferences: {}
users:
- name: clusterUser_rg1_c1
  user:
    token: t1
)";

json::value Parse(const std::string& text) {
  auto parsed = ParseKubeconfig(text, "test");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return parsed.ok() ? *parsed : json::value();
}

TEST(KubeconfigTest, ScalarsAreTypedAsPyYamlTypesThem) {
  const json::value doc = Parse(
      "a: true\nb: 'true'\nc: 3\nd: \"3\"\ne: ~\nf: 1.5\ng: 1.25.6\nh: off\ni: 0x1f\nj: ''\n");
  EXPECT_EQ(doc, json::parse(R"({"a": true, "b": "true", "c": 3, "d": "3", "e": null,
      "f": 1.5, "g": "1.25.6", "h": false, "i": "0x1f", "j": ""})"));
  EXPECT_TRUE(Parse("").is_null());
  EXPECT_FALSE(ParseKubeconfig("- a\n- b\n", "list").ok());
  auto broken = ParseKubeconfig("a: [b\n", "/home/u/.kube/config");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("Error parsing /home/u/.kube/config"), std::string::npos);
}

TEST(KubeconfigTest, MergesByNameAsAzDoes) {
  const json::value other = Parse(R"(apiVersion: v1
clusters:
- cluster: {server: https://other}
  name: other
contexts:
- context: {cluster: other, user: u}
  name: other
current-context: other
users:
- name: u
  user: {token: x}
)");
  std::string current;
  auto merged = MergeKubeconfig(other, Parse(kServer), false, std::nullopt, current);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(current, "c1");
  EXPECT_EQ(merged->at("current-context"), "c1");
  EXPECT_EQ(merged->at("clusters").as_array().size(), 2u);
  EXPECT_EQ(merged->at("users").at(1).at("name"), "clusterUser_rg1_c1");

  // The same entries again: replaced in place of themselves, nothing doubled.
  auto again = MergeKubeconfig(*merged, Parse(kServer), false, std::nullopt, current);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at("clusters").as_array().size(), 2u);

  // A different cluster of the same name: refused, unless --overwrite-existing.
  json::value changed = Parse(kServer);
  changed.at("clusters").at(0).at("cluster").as_object()["server"] = "https://elsewhere";
  auto refused = MergeKubeconfig(*merged, changed, false, std::nullopt, current);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("A different object named c1 already exists in clusters"),
            std::string::npos);
  auto replaced = MergeKubeconfig(*merged, changed, true, std::nullopt, current);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->at("clusters").at(1).at("cluster").at("server"), "https://elsewhere");
}

TEST(KubeconfigTest, ContextNamesAndAdminContexts) {
  std::string current;
  auto renamed = MergeKubeconfig(nullptr, Parse(kServer), false, std::string("mine"), current);
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(current, "mine");
  EXPECT_EQ(renamed->at("clusters").at(0).at("name"), "mine");
  EXPECT_EQ(renamed->at("contexts").at(0).at("context").at("cluster"), "mine");

  std::string admin_text = kServer;
  for (std::size_t at; (at = admin_text.find("clusterUser")) != std::string::npos;)
    admin_text.replace(at, 11, "clusterAdmin");
  auto admin = MergeKubeconfig(nullptr, Parse(admin_text), false, std::nullopt, current);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(current, "c1-admin");
  EXPECT_EQ(admin->at("contexts").at(0).at("name"), "c1-admin");
  EXPECT_EQ(admin->at("current-context"), "c1-admin");
}

}  // namespace
}  // namespace gangplank::cli

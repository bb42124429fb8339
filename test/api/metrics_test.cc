// GET /metrics through the API: who may read it, and series that move with what the control
// plane does (a key change puts nodes behind their pool's model, the upgrade brings them back).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

#include "access/directory.h"
#include "api/api_harness.h"
#include "metrics/metrics.h"

namespace gangplank::api {
namespace {
namespace http = boost::beast::http;

constexpr const char* kMetricsReader = "6a7c0b5e-3f1d-4e8a-9c2b-8d4f1e0a7b31";

class MetricsTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
    ASSERT_EQ(Send(HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 3)).result(),
              HttpStatus::created);
    Settle();
  }

  std::string Scrape() {
    const auto scraped = Send(HttpVerb::get, "/metrics");
    EXPECT_EQ(scraped.result(), HttpStatus::ok) << scraped.body();
    EXPECT_EQ(scraped[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
    return scraped.body();
  }

  // The value of the first sample of `family` whose labels include every one of `labels`
  // (name="value" pairs); -1 when there is none.
  static double Sample(const std::string& text, const std::string& family,
                       const std::vector<std::string>& labels) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with(family + "{") && !line.starts_with(family + " ")) continue;
      const bool all = std::all_of(labels.begin(), labels.end(), [&](const std::string& label) {
        return line.find(label) != std::string::npos;
      });
      if (all) return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return -1;
  }

  std::string PrincipalWith(const std::string& app, const std::string& object_id,
                            const std::string& role) {
    EXPECT_TRUE(store_
                    ->Put(access::EncodeServicePrincipal({object_id, app, app, true, ""}),
                          store::Precondition::Any())
                    .ok());
    if (!role.empty()) {
      const auto put = Send(
          HttpVerb::put,
          "/subscriptions/sub-1/providers/Microsoft.Authorization/roleAssignments/" + object_id +
              "?api-version=2022-04-01",
          R"({"properties": {"roleDefinitionId": "/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/)" +
              role + R"(", "principalId": ")" + object_id +
              R"(", "principalType": "ServicePrincipal"}})");
      EXPECT_EQ(put.result(), HttpStatus::created) << put.body();
    }
    return *tokens_->Issue(app, kUrl);
  }

  HttpResponse As(const std::string& token, const std::string& target) {
    return Send(HttpVerb::get, target, "", false, {{http::field::authorization, "Bearer " + token}});
  }
};

TEST_F(MetricsTest, AScrapeOnlyIdentityReadsMetricsAndNothingElse) {
  EXPECT_EQ(Send(HttpVerb::get, "/metrics", "", false).result(), HttpStatus::unauthorized);
  const std::string nobody = PrincipalWith("nobody", "aaaaaaaa-0000-4000-8000-000000000001", "");
  const auto refused = As(nobody, "/metrics");
  EXPECT_EQ(refused.result(), HttpStatus::forbidden);
  EXPECT_NE(refused.body().find("Gangplank Metrics Reader"), std::string::npos) << refused.body();
  const std::string scraper =
      PrincipalWith("prometheus", "bbbbbbbb-0000-4000-8000-000000000002", kMetricsReader);
  EXPECT_EQ(As(scraper, "/metrics").result(), HttpStatus::ok);
  EXPECT_EQ(As(scraper, kCluster + kNewest).result(), HttpStatus::forbidden);
  EXPECT_EQ(Send(HttpVerb::post, "/metrics").result(), HttpStatus::method_not_allowed);
}

TEST_F(MetricsTest, NodesRequestsAndOperationsMoveWithAKeyChangeAndItsUpgrade) {
  const std::vector<std::string> pool = {"cluster=\"c1\"", "pool=\"nodepool1\""};
  std::string text = Scrape();
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), pool.begin(), pool.end());
    return extra;
  };
  EXPECT_EQ(Sample(text, "gangplank_nodes", with({"state=\"Running\""})), 3) << text;
  EXPECT_EQ(Sample(text, "gangplank_nodes_behind_ssh_model", pool), 0);
  EXPECT_EQ(Sample(text, "gangplank_ssh_ca_signing_generation", {}), 1);
  EXPECT_EQ(Sample(text, "gangplank_store_ready", {}), 1);
  EXPECT_GE(Sample(text, "gangplank_build_info", {"version="}), 1);

  const double puts_before = metrics::Value(
      "gangplank_http_requests_total",
      {{"route", "managedclusters/{cluster}"}, {"method", "PUT"}, {"code", "200"}});
  const double upgrades_before = metrics::Value(
      "gangplank_operations_total", {{"type", "UpgradeNodeImageVersion"}, {"outcome", "Succeeded"}});
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 3)).result(),
            HttpStatus::ok);
  Settle();
  EXPECT_EQ(metrics::Value("gangplank_http_requests_total",
                           {{"route", "managedclusters/{cluster}"}, {"method", "PUT"},
                            {"code", "200"}}),
            puts_before + 1);
  text = Scrape();
  EXPECT_EQ(Sample(text, "gangplank_nodes_behind_ssh_model", pool), 3) << text;
  EXPECT_GE(Sample(text, "gangplank_pool_ssh_model_pending_seconds", pool), 0);
  EXPECT_GE(Sample(text, "gangplank_pool_ssh_key_age_seconds", with({"key=\"oldest_in_use\""})),
            Sample(text, "gangplank_pool_ssh_key_age_seconds", with({"key=\"newest\""})));

  ASSERT_EQ(Send(HttpVerb::post,
                 kCluster + "/agentPools/nodepool1/upgradeNodeImageVersion" + std::string(kNewest))
                .result(),
            HttpStatus::accepted);
  Settle();
  text = Scrape();
  EXPECT_EQ(Sample(text, "gangplank_nodes_behind_ssh_model", pool), 0) << text;
  EXPECT_EQ(Sample(text, "gangplank_pool_ssh_model_pending_seconds", pool), 0);
  EXPECT_EQ(metrics::Value("gangplank_operations_total",
                           {{"type", "UpgradeNodeImageVersion"}, {"outcome", "Succeeded"}}),
            upgrades_before + 1)
      << text;
}

}  // namespace
}  // namespace gangplank::api

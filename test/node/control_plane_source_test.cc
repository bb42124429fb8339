// The agent's side of the node protocol against a scripted HTTP client and a clock moved by hand:
// its token is renewed when due, a "too soon" answer is honoured for as long as it says, and the
// renewed token is the one every later request carries.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>

#include "common/clock.h"
#include "mocks/fake_clock.h"
#include "mocks/fake_http_client.h"
#include "node/agent_loop.h"

namespace gangplank::node {
namespace {
namespace json = boost::json;
using std::chrono::hours;
using std::chrono::seconds;

class ControlPlaneSourceTest : public ::testing::Test {
 protected:
  ControlPlaneSourceTest() {
    auto watch = std::make_unique<testing::FakeHttpClient>();
    watch_ = watch.get();
    source_ = std::make_unique<ControlPlaneSource>(
        std::move(watch), std::make_unique<testing::FakeHttpClient>(), "token-1", "", clock_);
  }

  // One Fetch, answered with a desired state; the number of token renewals asked for so far.
  int FetchAndCountRenewals() {
    protocol::DesiredNodeState desired;
    desired.node_name = "aks-nodepool1-12345678-vmss000000";
    desired.admin_username = "azureuser";
    desired.address = "127.42.0.2";
    desired.image_version = "AKSUbuntu-2204gen2containerd-202411.01.0";
    watch_->Answer("/gangplank/node/v1/desired", {200, protocol::DesiredNodeStateJson(desired), {}});
    auto reply = source_->Fetch("", seconds(1));
    EXPECT_TRUE(reply.ok()) << reply.error().ToString();
    int renewals = 0;
    for (const auto& request : watch_->sent())
      renewals += request.target == "/gangplank/node/v1/token" ? 1 : 0;
    return renewals;
  }

  std::string LastAuthorization() { return watch_->sent().back().headers.at("Authorization"); }

  testing::FakeClock clock_;
  testing::FakeHttpClient* watch_ = nullptr;
  std::unique_ptr<ControlPlaneSource> source_;
};

TEST_F(ControlPlaneSourceTest, ATooSoonAnswerIsHonouredAndARenewedTokenIsUsedFromThenOn) {
  // The first fetch asks for a renewal; the control plane says the token is too young, for an hour.
  watch_->Answer("/gangplank/node/v1/token", {429, "", {{"retry-after", "3600"}}});
  EXPECT_EQ(FetchAndCountRenewals(), 1);
  EXPECT_EQ(LastAuthorization(), "Bearer token-1");
  // Not asked again before the hour is over, however often the agent fetches.
  clock_.Advance(hours(1) - seconds(5));
  EXPECT_EQ(FetchAndCountRenewals(), 1);
  // After it, the renewal is asked for and its token carried by the next request.
  clock_.Advance(seconds(10));
  const long long expires = UnixSeconds(clock_.Now()) + 4 * 3600;
  watch_->Answer("/gangplank/node/v1/token",
                 {200, json::serialize(json::object{{"token", "token-2"}, {"expiresOn", expires}}),
                  {}});
  EXPECT_EQ(FetchAndCountRenewals(), 2);
  EXPECT_EQ(LastAuthorization(), "Bearer token-2");
  // The next renewal is due halfway through the new token's life (two hours), not before.
  clock_.Advance(hours(2) - seconds(60));
  EXPECT_EQ(FetchAndCountRenewals(), 2);
  clock_.Advance(seconds(120));
  watch_->Answer("/gangplank/node/v1/token", {429, "", {{"retry-after", "60"}}});
  EXPECT_EQ(FetchAndCountRenewals(), 3);
}

}  // namespace
}  // namespace gangplank::node

// The request handlers as a pure function: identity, auth, api-versions, subscriptions, groups,
// and bad input of every kind answered with an ARM error body, never a 5xx.
#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include "api/api_harness.h"
#include "mocks/fake_clock.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;
namespace http = boost::beast::http;

class ApiServiceTest : public ApiHarness {
 protected:
  std::string Form(const std::string& id, const std::string& secret,
                   const std::string& scope = "https://127.0.0.1:8443//.default") {
    return "client_id=" + id +
           "&grant_type=client_credentials&client_info=1&client_secret=" + secret +
           "&scope=" + scope;
  }

  static constexpr const char* kGroups = "/subscriptions/sub-1/resourcegroups";
};

TEST_F(ApiServiceTest, HealthAndMetadataNeedNoToken) {
  EXPECT_EQ(Send(HttpVerb::get, "/healthz", "", false).result(), HttpStatus::ok);
  const auto metadata =
      Send(HttpVerb::get, "/metadata/endpoints?api-version=2015-01-01", "", false);
  ASSERT_EQ(metadata.result(), HttpStatus::ok);
  const json::value body = Body(metadata);
  EXPECT_EQ(body.at("resourceManager"), kUrl);
  EXPECT_EQ(body.at("authentication").at("loginEndpoint"), "https://127.0.0.1:8443/adfs");
  for (const char* path :
       {"/adfs/.well-known/openid-configuration", "/adfs/adfs/.well-known/openid-configuration"}) {
    const auto oidc = Send(HttpVerb::get, path, "", false);
    ASSERT_EQ(oidc.result(), HttpStatus::ok) << path;
    EXPECT_EQ(Body(oidc).at("token_endpoint"), "https://127.0.0.1:8443/adfs/oauth2/v2.0/token");
    EXPECT_EQ(Body(oidc).at("issuer"), "https://127.0.0.1:8443/adfs");
  }
}

TEST_F(ApiServiceTest, TokenEndpointIssuesOnlyForTheRightClientAndAudience) {
  const auto ok =
      Send(HttpVerb::post, "/adfs/oauth2/v2.0/token", Form("client-id", "client-secret"), false);
  ASSERT_EQ(ok.result(), HttpStatus::ok) << ok.body();
  const std::string issued(Body(ok).at("access_token").as_string());
  EXPECT_TRUE(tokens_->Verify(issued).ok());
  EXPECT_EQ(Body(ok).at("token_type"), "Bearer");

  const auto wrong_secret =
      Send(HttpVerb::post, "/adfs/oauth2/v2.0/token", Form("client-id", "nope"), false);
  EXPECT_EQ(wrong_secret.result(), HttpStatus::unauthorized);
  EXPECT_EQ(Body(wrong_secret).at("error"), "invalid_client");
  EXPECT_EQ(wrong_secret.body().find("client-secret"), std::string::npos);
  EXPECT_EQ(
      Send(HttpVerb::post, "/adfs/oauth2/token", Form("someone", "client-secret"), false).result(),
      HttpStatus::unauthorized);
  const auto wrong_scope =
      Send(HttpVerb::post, "/adfs/oauth2/v2.0/token",
           Form("client-id", "client-secret", "https://management.azure.com//.default"), false);
  EXPECT_EQ(Body(wrong_scope).at("error"), "invalid_scope");
  const auto v1 =
      Send(HttpVerb::post, "/adfs/oauth2/token",
           "grant_type=client_credentials&client_id=client-id&client_secret=client-secret"
           "&resource=https%3A%2F%2F127.0.0.1%3A8443%2F",
           false);
  EXPECT_EQ(v1.result(), HttpStatus::ok) << v1.body();
  EXPECT_EQ(Body(Send(HttpVerb::post, "/adfs/oauth2/token", "grant_type=authorization_code",
                      false))
                .at("error"),
            "unsupported_grant_type");
  // A password grant for another audience than ours is refused before any password is looked at.
  EXPECT_EQ(
      Body(Send(HttpVerb::post, "/adfs/oauth2/token", "grant_type=password", false)).at("error"),
      "invalid_scope");
  EXPECT_EQ(Send(HttpVerb::get, "/adfs/oauth2/token", "", false).result(),
            HttpStatus::method_not_allowed);
  EXPECT_EQ(Send(HttpVerb::post, "/adfs/oauth2/token", "%zz=%", false).result(),
            HttpStatus::bad_request);
}

TEST_F(ApiServiceTest, ArmCallsNeedAValidBearerToken) {
  const auto missing = Send(HttpVerb::get, "/subscriptions?api-version=2019-11-01", "", false);
  EXPECT_EQ(missing.result(), HttpStatus::unauthorized);
  EXPECT_EQ(ErrorCode(missing), "AuthenticationFailed");
  EXPECT_NE(missing[http::field::www_authenticate].find("authorization_uri"), std::string::npos);

  HttpRequest basic(HttpVerb::get, "/subscriptions?api-version=2019-11-01", 11);
  basic.set(http::field::authorization, "Basic dXNlcjpwYXNz");
  EXPECT_EQ(service_->Handle(basic).result(), HttpStatus::unauthorized);

  token_ = token_.substr(0, token_.size() - 4) + "AAAA";  // forged signature
  const auto forged = Send(HttpVerb::get, "/subscriptions?api-version=2019-11-01");
  EXPECT_EQ(forged.result(), HttpStatus::unauthorized);
  EXPECT_EQ(ErrorCode(forged), "InvalidAuthenticationToken");

  token_ = *tokens_->Issue("client-id", kUrl);
  clock_.Advance(std::chrono::hours(3));
  const auto expired = Send(HttpVerb::get, "/subscriptions?api-version=2019-11-01");
  EXPECT_EQ(expired.result(), HttpStatus::unauthorized);
  EXPECT_NE(Body(expired).at("error").at("message").as_string().find("expired"), std::string::npos);
}

TEST_F(ApiServiceTest, ApiVersionIsRequiredAndChecked) {
  const auto missing = Send(HttpVerb::get, "/subscriptions");
  EXPECT_EQ(missing.result(), HttpStatus::bad_request);
  EXPECT_EQ(ErrorCode(missing), "MissingApiVersionParameter");
  const auto unsupported = Send(HttpVerb::get, std::string(kGroups) + "?api-version=1999-01-01");
  EXPECT_EQ(ErrorCode(unsupported), "InvalidApiVersionParameter");
  // It names the range a client can use, up to the newest version the spec defines.
  EXPECT_NE(Body(unsupported).at("error").at("message").as_string().find("2025-04-01"),
            std::string::npos);
}

TEST_F(ApiServiceTest, SubscriptionsListOurs) {
  const auto list = Send(HttpVerb::get, "/subscriptions?api-version=2019-11-01");
  ASSERT_EQ(list.result(), HttpStatus::ok);
  EXPECT_EQ(Body(list).at("value").at(0).at("subscriptionId"), "sub-1");
  EXPECT_EQ(Send(HttpVerb::get, "/subscriptions/SUB-1?api-version=2019-11-01").result(),
            HttpStatus::ok);
  const auto other = Send(HttpVerb::get, "/subscriptions/other?api-version=2019-11-01");
  EXPECT_EQ(ErrorCode(other), "SubscriptionNotFound");
  EXPECT_EQ(
      ErrorCode(Send(HttpVerb::get, "/subscriptions/other/resourcegroups?api-version=2021-04-01")),
      "SubscriptionNotFound");
}

TEST_F(ApiServiceTest, ResourceGroupLifecycleKeepsUnknownFieldsAndOwnsReadOnlyOnes) {
  const std::string rg = "/subscriptions/sub-1/resourceGroups/Team-RG";
  const auto created =
      Send(HttpVerb::put, rg + "?api-version=2021-04-01",
           R"({"location":"westus2","tags":{"team":"ops"},"id":"/forged","name":"x",
                                "managedBy":"someone","futureField":{"kept":true}})");
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  const json::value body = Body(created);
  EXPECT_EQ(body.at("id").as_string(), rg);
  EXPECT_EQ(body.at("name"), "Team-RG");
  EXPECT_EQ(body.at("futureField").at("kept"), true);
  EXPECT_EQ(body.at("properties").at("provisioningState"), "Succeeded");

  const auto updated =
      Send(HttpVerb::put, "/SUBSCRIPTIONS/sub-1/resourcegroups/team-rg?api-version=2021-04-01",
           R"({"location":"westus2"})");
  EXPECT_EQ(updated.result(), HttpStatus::ok);
  EXPECT_EQ(Body(updated).at("id").as_string(), rg);  // the first casing stays
  EXPECT_EQ(Send(HttpVerb::head, rg + "?api-version=2021-04-01").result(), HttpStatus::no_content);
  const auto list = Send(HttpVerb::get, std::string(kGroups) + "?api-version=2021-04-01");
  EXPECT_EQ(Body(list).at("value").as_array().size(), 1u);
  // DELETE is long-running: 202 and a Location to poll until the group is gone.
  const auto deleting = Send(HttpVerb::delete_, rg + "?api-version=2021-04-01");
  ASSERT_EQ(deleting.result(), HttpStatus::accepted);
  std::string poll(deleting[boost::beast::http::field::location]);
  poll = poll.substr(poll.find("/subscriptions/"));
  EXPECT_NE(poll.find("/operationresults/"), std::string::npos);
  EXPECT_EQ(Send(HttpVerb::get, poll).result(), HttpStatus::accepted);
  EXPECT_EQ(Body(Send(HttpVerb::get, rg + "?api-version=2021-04-01"))
                .at("properties")
                .at("provisioningState"),
            "Deleting");
  EXPECT_EQ(ErrorCode(Send(HttpVerb::put, rg + "?api-version=2021-04-01",
                           R"({"location":"westus2"})")),
            "ResourceGroupBeingDeleted");
  Settle();
  EXPECT_EQ(Send(HttpVerb::get, poll).result(), HttpStatus::ok);
  EXPECT_EQ(ErrorCode(Send(HttpVerb::get, rg + "?api-version=2021-04-01")),
            "ResourceGroupNotFound");
  EXPECT_EQ(Send(HttpVerb::head, rg + "?api-version=2021-04-01").result(), HttpStatus::not_found);
  EXPECT_EQ(ErrorCode(Send(HttpVerb::delete_, rg + "?api-version=2021-04-01")),
            "ResourceGroupNotFound");
}

TEST_F(ApiServiceTest, BadInputIsA4xxWithAnArmErrorAndWritesNothing) {
  const std::string rg = std::string(kGroups) + "/rg?api-version=2021-04-01";
  struct Case {
    std::string target;
    std::string body;
    std::string code;
  };
  const std::vector<Case> cases = {
      {rg, "{not json", "InvalidRequestContent"},
      {rg, "[1,2]", "InvalidRequestContent"},
      {rg, "", "InvalidRequestContent"},
      {rg, R"({"location": 5})", "LocationRequired"},
      {rg, R"({"tags": {}})", "LocationRequired"},
      {rg, R"({"location":"x","tags":"not-an-object"})", "InvalidTagsFormat"},
      {std::string(kGroups) + "/bad%20name?api-version=2021-04-01", R"({"location":"x"})",
       "InvalidResourceGroupName"},
      {std::string(kGroups) + "/ends.?api-version=2021-04-01", R"({"location":"x"})",
       "InvalidResourceGroupName"},
      {std::string(kGroups) + "/" + std::string(91, 'a') + "?api-version=2021-04-01",
       R"({"location":"x"})", "InvalidResourceGroupName"},
  };
  for (const Case& c : cases) {
    const auto response = Send(HttpVerb::put, c.target, c.body);
    EXPECT_GE(response.result_int(), 400) << c.body;
    EXPECT_LT(response.result_int(), 500) << c.body;
    EXPECT_EQ(ErrorCode(response), c.code) << c.body;
  }
  EXPECT_TRUE(store_->List("resourceGroup", "/subscriptions/sub-1")->empty());
  EXPECT_EQ(ErrorCode(Send(HttpVerb::get, "/nowhere")), "NotFound");
  EXPECT_EQ(Send(HttpVerb::patch, rg, "{}").result(), HttpStatus::method_not_allowed);
}

}  // namespace
}  // namespace gangplank::api

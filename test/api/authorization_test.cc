// Azure RBAC through the API: role definitions and assignments as az sends them, every route
// authorized by its action, lists cut to what the caller may read, changes that hold at once.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "access/authorizer.h"
#include "access/directory.h"
#include "api/api_harness.h"
#include "api/arm_router.h"
#include "common/base64.h"
#include "sshkey/generate.h"
#include "sshkey/wire.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;
using boost::beast::http::field;

constexpr const char* kAuthz = "/subscriptions/sub-1/providers/Microsoft.Authorization";
constexpr const char* kDefinitionsVersion = "?api-version=2018-01-01-preview";
constexpr const char* kAssignmentsVersion = "?api-version=2020-04-01-preview";
constexpr const char* kReader = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
constexpr const char* kContributor = "b24988ac-6180-42a0-ab88-20f7382dd24c";

class AuthorizationTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
    const auto created = Send(HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 1));
    ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
    Settle();
  }

  // A service principal `app` (as the directory keeps it) and a token for it.
  std::string Principal(const std::string& app, const std::string& object_id) {
    EXPECT_TRUE(store_
                    ->Put(access::EncodeServicePrincipal({object_id, app, app, true, ""}),
                          store::Precondition::Any())
                    .ok());
    return *tokens_->Issue(app, kUrl);
  }

  // POSTs a form to the token endpoint, as az does for a service principal.
  HttpResponse Token(const std::string& app, const std::string& secret) {
    return Send(HttpVerb::post, "/adfs/oauth2/token",
                "grant_type=client_credentials&client_id=" + app + "&client_secret=" + secret +
                    "&scope=https%3A%2F%2F127.0.0.1%3A8443%2F%2F.default",
                false, {{field::content_type, "application/x-www-form-urlencoded"}});
  }

  HttpResponse As(const std::string& token, HttpVerb verb, const std::string& target,
                  const std::string& body = "") {
    return Send(verb, target, body, false, {{field::authorization, "Bearer " + token}});
  }

  std::string Assign(const std::string& scope, const std::string& role, const std::string& who,
                     const std::string& name) {
    const auto put = Send(
        HttpVerb::put,
        scope + "/providers/Microsoft.Authorization/roleAssignments/" + name + kAssignmentsVersion,
        AssignmentBody(role, who));
    EXPECT_EQ(put.result(), HttpStatus::created) << put.body();
    return scope + "/providers/Microsoft.Authorization/roleAssignments/" + name;
  }
  static std::string AssignmentBody(const std::string& role, const std::string& who) {
    return json::serialize(json::object{
        {"properties",
         json::object{{"roleDefinitionId",
                       std::string("/subscriptions/sub-1/providers/Microsoft.Authorization/"
                                   "roleDefinitions/") +
                           role},
                      {"principalId", who},
                      {"principalType", "ServicePrincipal"}}}});
  }

  const std::string kAlice = "aaaaaaaa-0000-4000-8000-000000000001";
  const std::string kBob = "bbbbbbbb-0000-4000-8000-000000000002";
};

TEST_F(AuthorizationTest, RoleDefinitionsAsAzAsksForThem) {
  const auto all =
      Send(HttpVerb::get, std::string(kAuthz) + "/roleDefinitions" + kDefinitionsVersion);
  ASSERT_EQ(all.result(), HttpStatus::ok) << all.body();
  EXPECT_EQ(Body(all).at("value").as_array().size(), 10u);  // and Gangplank Metrics Reader
  const auto reader =
      Send(HttpVerb::get, std::string(kAuthz) + "/roleDefinitions" + kDefinitionsVersion +
                              "&$filter=roleName%20eq%20%27Reader%27");
  ASSERT_EQ(reader.result(), HttpStatus::ok) << reader.body();
  const json::value body = Body(reader);
  const json::array& value = body.at("value").as_array();
  ASSERT_EQ(value.size(), 1u);
  EXPECT_EQ(value[0].at("id"), json::value(std::string(kAuthz) + "/roleDefinitions/" + kReader));
  EXPECT_EQ(value[0].at("properties").at("permissions").at(0).at("actions").at(0), "*/read");
  EXPECT_EQ(
      Send(HttpVerb::get, std::string(kAuthz) + "/roleDefinitions/" + kReader + kDefinitionsVersion)
          .result(),
      HttpStatus::ok);
  EXPECT_EQ(ErrorCode(Send(HttpVerb::get, std::string(kAuthz) + "/roleDefinitions/" +
                                              "00000000-0000-4000-8000-000000000000" +
                                              kDefinitionsVersion)),
            "RoleDefinitionDoesNotExist");
  EXPECT_EQ(ErrorCode(Send(HttpVerb::get,
                           std::string(kAuthz) + "/roleDefinitions?api-version=1999-01-01")),
            "InvalidApiVersionParameter");
}

TEST_F(AuthorizationTest, AssignmentsAreCreatedOnceListedByScopeAndDeleted) {
  const std::string name = "11111111-0000-4000-8000-000000000001";
  const std::string id = Assign(kGroup, kReader, kAlice, name);
  // The same grant under another name: 409 with the words az looks for.
  const auto again = Send(HttpVerb::put,
                          kGroup +
                              "/providers/Microsoft.Authorization/roleAssignments/"
                              "22222222-0000-4000-8000-000000000002" +
                              kAssignmentsVersion,
                          AssignmentBody(kReader, kAlice));
  EXPECT_EQ(again.result(), HttpStatus::conflict);
  EXPECT_NE(again.body().find("role assignment already exists"), std::string::npos) << again.body();
  // Another principal under the same name: not an update ARM allows.
  EXPECT_EQ(ErrorCode(Send(HttpVerb::put, id + kAssignmentsVersion, AssignmentBody(kReader, kBob))),
            "RoleAssignmentUpdateNotPermitted");
  EXPECT_EQ(ErrorCode(Send(HttpVerb::put, id + kAssignmentsVersion, AssignmentBody("nope", kBob))),
            "RoleDefinitionDoesNotExist");

  // atScope() at the group: the group's own and the bootstrap owner's (inherited from above).
  const auto at_group =
      Send(HttpVerb::get, kGroup + "/providers/Microsoft.Authorization/roleAssignments" +
                              kAssignmentsVersion + "&$filter=atScope()");
  ASSERT_EQ(at_group.result(), HttpStatus::ok) << at_group.body();
  EXPECT_EQ(Body(at_group).at("value").as_array().size(), 2u);
  // At the subscription with atScope(): the owner only; without a filter, the group's too.
  const auto at_subscription = Send(HttpVerb::get, std::string(kAuthz) + "/roleAssignments" +
                                                       kAssignmentsVersion + "&$filter=atScope()");
  EXPECT_EQ(Body(at_subscription).at("value").as_array().size(), 1u);
  const auto everything =
      Send(HttpVerb::get, std::string(kAuthz) + "/roleAssignments" + kAssignmentsVersion);
  EXPECT_EQ(Body(everything).at("value").as_array().size(), 2u);
  const auto of_alice =
      Send(HttpVerb::get, std::string(kAuthz) + "/roleAssignments" + kAssignmentsVersion +
                              "&$filter=principalId%20eq%20%27" + kAlice + "%27");
  ASSERT_EQ(Body(of_alice).at("value").as_array().size(), 1u);
  EXPECT_EQ(Body(of_alice).at("value").at(0).at("properties").at("scope"), json::value(kGroup));
  EXPECT_EQ(ErrorCode(Send(HttpVerb::get, std::string(kAuthz) + "/roleAssignments" +
                                              kAssignmentsVersion + "&$filter=nonsense")),
            "UnsupportedFilter");

  const auto deleted = Send(HttpVerb::delete_, id + kAssignmentsVersion);
  EXPECT_EQ(deleted.result(), HttpStatus::ok);
  EXPECT_EQ(Send(HttpVerb::delete_, id + kAssignmentsVersion).result(), HttpStatus::no_content);
  // Gone with its guard: the same grant can be made again.
  Assign(kGroup, kReader, kAlice, "33333333-0000-4000-8000-000000000003");
}

TEST_F(AuthorizationTest, TheBootstrapOwnerIsListedAndCannotBeRemoved) {
  const auto everything =
      Send(HttpVerb::get, std::string(kAuthz) + "/roleAssignments" + kAssignmentsVersion);
  ASSERT_EQ(Body(everything).at("value").as_array().size(), 1u);
  const std::string owner(Body(everything).at("value").at(0).at("id").as_string());
  EXPECT_EQ(ErrorCode(Send(HttpVerb::delete_, owner + kAssignmentsVersion)),
            "BootstrapOwnerCannotBeRemoved");
}

TEST_F(AuthorizationTest, AReaderReadsButCannotWriteAndAContributorWritesButCannotAssign) {
  const std::string alice = Principal("alice-app", kAlice);
  // Nothing assigned: ARM's 403, word for word.
  const auto refused = As(alice, HttpVerb::get, kCluster + kNewest);
  ASSERT_EQ(refused.result(), HttpStatus::forbidden) << refused.body();
  EXPECT_EQ(Body(refused).at("error").at("message"),
            json::value("The client 'alice-app' with object id '" + kAlice +
                        "' does not have authorization to perform action "
                        "'Microsoft.ContainerService/managedClusters/read' over scope '" +
                        kCluster +
                        "' or the scope is invalid. If access was recently granted, "
                        "please refresh your credentials."));
  EXPECT_EQ(ErrorCode(refused), "AuthorizationFailed");

  const std::string reader =
      Assign(kGroup, kReader, kAlice, "44444444-0000-4000-8000-000000000004");
  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::ok);
  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + "/agentPools/nodepool1" + kNewest).result(),
            HttpStatus::ok);
  EXPECT_EQ(As(alice, HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 1)).result(),
            HttpStatus::forbidden);
  EXPECT_EQ(As(alice, HttpVerb::post, kCluster + "/listClusterUserCredential" + kNewest).result(),
            HttpStatus::forbidden);

  Assign(kCluster, kContributor, kAlice, "55555555-0000-4000-8000-000000000005");
  const auto updated = As(alice, HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 1));
  EXPECT_EQ(updated.result(), HttpStatus::ok) << updated.body();
  Settle();
  // Contributor excludes Microsoft.Authorization/*/Write: no assignments of one's own.
  const auto assign = As(alice, HttpVerb::put,
                         kCluster +
                             "/providers/Microsoft.Authorization/roleAssignments/"
                             "66666666-0000-4000-8000-000000000006" +
                             kAssignmentsVersion,
                         AssignmentBody(kContributor, kBob));
  EXPECT_EQ(assign.result(), HttpStatus::forbidden) << assign.body();

  // Removing the reader assignment holds from the next request (the contributor one, at the
  // cluster, still lets alice read the cluster but no longer the group).
  ASSERT_EQ(Send(HttpVerb::delete_, reader + kAssignmentsVersion).result(), HttpStatus::ok);
  EXPECT_EQ(As(alice, HttpVerb::get, kGroup + "?api-version=2021-04-01").result(),
            HttpStatus::forbidden);
  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::ok);
}

TEST_F(AuthorizationTest, ListsHoldWhatTheCallerMayRead) {
  const std::string other_group = "/subscriptions/sub-1/resourceGroups/rg2";
  CreateGroup(other_group);
  const std::string alice = Principal("alice-app", kAlice);
  Assign(other_group, kReader, kAlice, "77777777-0000-4000-8000-000000000007");
  const auto groups =
      As(alice, HttpVerb::get, "/subscriptions/sub-1/resourcegroups?api-version=2021-04-01");
  ASSERT_EQ(groups.result(), HttpStatus::ok) << groups.body();
  ASSERT_EQ(Body(groups).at("value").as_array().size(), 1u);
  EXPECT_EQ(Body(groups).at("value").at(0).at("name"), "rg2");
  const auto clusters = As(alice, HttpVerb::get,
                           std::string("/subscriptions/sub-1/providers/Microsoft.ContainerService/"
                                       "managedClusters") +
                               kNewest);
  ASSERT_EQ(clusters.result(), HttpStatus::ok) << clusters.body();
  EXPECT_TRUE(Body(clusters).at("value").as_array().empty());  // c1 is in rg1
  EXPECT_EQ(Body(Send(HttpVerb::get, std::string("/subscriptions/sub-1/providers/"
                                                 "Microsoft.ContainerService/managedClusters") +
                                         kNewest))
                .at("value")
                .as_array()
                .size(),
            1u);
  // Not even a list in rg1.
  EXPECT_EQ(As(alice, HttpVerb::get,
               kGroup + "/providers/Microsoft.ContainerService/managedClusters" + kNewest)
                .result(),
            HttpStatus::forbidden);
}

// Every route of every table: refused (403) to a principal with no role; with Reader on the
// subscription, every read passes authorization and every write and action is refused.
TEST_F(AuthorizationTest, EveryRouteIsAuthorizedByItsAction) {
  const std::string nobody = Principal("nobody-app", kBob);
  const std::string reader = Principal("reader-app", kAlice);
  Assign("/subscriptions/sub-1", kReader, kAlice, "88888888-0000-4000-8000-000000000008");
  const std::map<std::string, std::string> values = {
      {"{subscription}", "sub-1"}, {"{group}", "rg1"},
      {"{cluster}", "c1"},         {"{pool}", "nodepool1"},
      {"{machine}", "m0"},         {"{location}", "westus2"},
      {"{operation}", "op"},       {"{role}", "clusterUser"},
      {"{definition}", kReader},   {"{assignment}", "99999999-0000-4000-8000-000000000009"}};
  int checked = 0;
  for (const RouteListing& route : ArmRouteListing()) {
    if (route.action.empty()) continue;
    std::string path = "/" + route.pattern;
    for (const auto& [capture, value] : values) {
      for (std::size_t at = path.find(capture); at != std::string::npos; at = path.find(capture))
        path.replace(at, capture.size(), value);
    }
    // Each surface's own api-versions (osOptions was left out of the newest ones).
    const char* version =
        path.find("microsoft.authorization") != std::string::npos      ? "?api-version=2022-04-01"
        : path.find("microsoft.insights") != std::string::npos         ? "?api-version=2015-04-01"
        : path.find("osoptions") != std::string::npos                  ? "?api-version=2023-10-01"
        : path.find("microsoft.containerservice") != std::string::npos ? kNewest
                                                                       : "?api-version=2021-04-01";
    const auto refused = As(nobody, route.verb, path + version, "{}");
    EXPECT_EQ(refused.result(), HttpStatus::forbidden)
        << route.verb << " " << path << ": " << refused.body();
    const bool read = route.verb == HttpVerb::get || route.verb == HttpVerb::head;
    const auto as_reader = As(reader, route.verb, path + version, "{}");
    if (read) {
      EXPECT_NE(as_reader.result(), HttpStatus::forbidden) << path << ": " << as_reader.body();
    } else {
      EXPECT_EQ(as_reader.result(), HttpStatus::forbidden) << route.verb << " " << path;
    }
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

// The Graph calls of `az ad sp create-for-rbac`, then a sign-in with the secret it printed: the
// identity holds nothing until a role is assigned to it, and its secret ends with its application.
TEST_F(AuthorizationTest, AServicePrincipalFromGraphSignsInAndHoldsOnlyWhatIsAssigned) {
  const auto app = Send(HttpVerb::post, "/v1.0/applications",
                        R"({"displayName": "ci-deployer", "keyCredentials": []})");
  ASSERT_EQ(app.result(), HttpStatus::created) << app.body();
  const std::string app_object(Body(app).at("id").as_string());
  const std::string app_id(Body(app).at("appId").as_string());
  const auto password = Send(HttpVerb::post, "/v1.0/applications/" + app_object + "/addPassword",
                             R"({"passwordCredential": {"displayName": "rbac"}})");
  ASSERT_EQ(password.result(), HttpStatus::ok) << password.body();
  const std::string secret(Body(password).at("secretText").as_string());
  // No service principal yet: the secret opens nothing.
  EXPECT_EQ(Token(app_id, secret).result(), HttpStatus::unauthorized);
  const auto sp = Send(HttpVerb::post, "/v1.0/servicePrincipals",
                       R"({"appId": ")" + app_id + R"(", "accountEnabled": true})");
  ASSERT_EQ(sp.result(), HttpStatus::created) << sp.body();
  const std::string object_id(Body(sp).at("id").as_string());
  EXPECT_EQ(
      Send(HttpVerb::post, "/v1.0/servicePrincipals", R"({"appId": ")" + app_id + R"("})").result(),
      HttpStatus::conflict);  // one service principal per application

  // The look-ups az makes.
  const auto by_name =
      Send(HttpVerb::get,
           "/v1.0/servicePrincipals?$filter=servicePrincipalNames%2Fany%28c%3Ac%20eq%20%27" +
               app_id + "%27%29");
  ASSERT_EQ(Body(by_name).at("value").as_array().size(), 1u) << by_name.body();
  const auto by_prefix =
      Send(HttpVerb::get, "/v1.0/applications?$filter=startswith%28displayName%2C%27ci-%27%29");
  ASSERT_EQ(Body(by_prefix).at("value").as_array().size(), 1u) << by_prefix.body();
  EXPECT_FALSE(Body(by_prefix)
                   .at("value")
                   .at(0)
                   .at("passwordCredentials")
                   .at(0)
                   .as_object()
                   .contains("secretHash"));
  const auto by_ids = Send(HttpVerb::post, "/v1.0/directoryObjects/getByIds",
                           R"({"ids": [")" + object_id + R"("], "types": ["servicePrincipal"]})");
  ASSERT_EQ(Body(by_ids).at("value").as_array().size(), 1u);
  EXPECT_EQ(Body(by_ids).at("value").at(0).at("@odata.type"), "#microsoft.graph.servicePrincipal");

  const auto signed_in = Token(app_id, secret);
  ASSERT_EQ(signed_in.result(), HttpStatus::ok) << signed_in.body();
  EXPECT_EQ(Token(app_id, secret + "x").result(), HttpStatus::unauthorized);
  const std::string token(Body(signed_in).at("access_token").as_string());
  EXPECT_EQ(As(token, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::forbidden);
  // Nor may it make identities of its own.
  EXPECT_EQ(As(token, HttpVerb::post, "/v1.0/applications", R"({"displayName": "x"})").result(),
            HttpStatus::forbidden);
  Assign(kGroup, kReader, object_id, "aaaaaaaa-1111-4000-8000-00000000000a");
  EXPECT_EQ(As(token, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::ok);

  // Deleting the application ends its service principal, and with it every token it holds.
  ASSERT_EQ(Send(HttpVerb::delete_, "/v1.0/applications/" + app_object).result(),
            HttpStatus::no_content);
  EXPECT_EQ(As(token, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::forbidden);
  EXPECT_EQ(Token(app_id, secret).result(), HttpStatus::unauthorized);
}

// A person: created through Graph (az ad user create), signed in with the password grant az's
// `az login -u -p` sends, named in the id_token, locked out after five wrong passwords (each one
// in the activity log), let in again by a new password.
TEST_F(AuthorizationTest, APersonSignsInWithAPasswordAndIsLockedOutAfterFiveWrongOnes) {
  const auto created = Send(HttpVerb::post, "/v1.0/users",
                            R"({"userPrincipalName": "ada@example.org", "displayName": "Ada",
                                "passwordProfile": {"password": "Correct-Horse-9",
                                                    "forceChangePasswordNextSignIn": false},
                                "mailNickname": "ada", "accountEnabled": true})");
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  EXPECT_EQ(created.body().find("Correct-Horse-9"), std::string::npos);
  const std::string ada(Body(created).at("id").as_string());
  EXPECT_EQ(ErrorCode(Send(HttpVerb::post, "/v1.0/users",
                           R"({"userPrincipalName": "ADA@example.org", "displayName": "Ada 2",
                               "passwordProfile": {"password": "Correct-Horse-9"}})")),
            "Request_BadRequest");  // the same name in another case
  EXPECT_EQ(Send(HttpVerb::post, "/v1.0/users",
                 R"({"userPrincipalName": "bob@example.org", "displayName": "Bob",
                     "passwordProfile": {"password": "weak"}})")
                .result(),
            HttpStatus::bad_request);

  const auto sign_in = [&](const std::string& password) {
    return Send(HttpVerb::post, "/adfs/oauth2/token/",
                "client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&grant_type=password&client_info=1"
                "&username=ada%40example.org&password=" +
                    password +
                    "&scope=https%3A%2F%2F127.0.0.1%3A8443%2F%2F.default%20offline_access%20openid%"
                    "20profile",
                false, {{field::content_type, "application/x-www-form-urlencoded"}});
  };
  const auto signed_in = sign_in("Correct-Horse-9");
  ASSERT_EQ(signed_in.result(), HttpStatus::ok) << signed_in.body();
  const json::object tokens = Body(signed_in).as_object();
  ASSERT_TRUE(tokens.contains("id_token") && tokens.contains("refresh_token"));
  const std::string id_token(tokens.at("id_token").as_string());
  const std::string payload =
      id_token.substr(id_token.find('.') + 1, id_token.rfind('.') - id_token.find('.') - 1);
  std::string padded = payload;
  for (char& c : padded) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (padded.size() % 4) padded += '=';
  const json::value claims = json::parse(*Base64DecodeStrict(padded));
  EXPECT_EQ(claims.at("upn"), "ada@example.org");
  EXPECT_EQ(claims.at("aud"), "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
  EXPECT_EQ(claims.at("oid"), json::value(ada));
  const std::string token(tokens.at("access_token").as_string());
  EXPECT_EQ(As(token, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::forbidden);
  Assign(kGroup, kReader, ada, "adadadad-0000-4000-8000-00000000000a");
  EXPECT_EQ(As(token, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::ok);
  const auto me = As(token, HttpVerb::get, "/v1.0/me");
  ASSERT_EQ(me.result(), HttpStatus::ok) << me.body();
  EXPECT_EQ(Body(me).at("userPrincipalName"), "ada@example.org");
  EXPECT_EQ(ErrorCode(Send(HttpVerb::get, "/v1.0/me")), "Request_BadRequest");  // an app

  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(sign_in("Wrong-Horse-" + std::to_string(i)).result(), HttpStatus::bad_request);
  const auto locked = sign_in("Correct-Horse-9");
  EXPECT_EQ(locked.result(), HttpStatus::bad_request);
  EXPECT_NE(locked.body().find("locked"), std::string::npos) << locked.body();
  const auto unknown = Send(HttpVerb::post, "/adfs/oauth2/token/",
                            "grant_type=password&client_id=x&username=nobody%40example.org"
                            "&password=x&scope=https%3A%2F%2F127.0.0.1%3A8443%2F%2F.default",
                            false, {{field::content_type, "application/x-www-form-urlencoded"}});
  EXPECT_EQ(Body(unknown).at("error_description"), "MSIS9659: Invalid credentials.");

  // A new password lets her in again; every refusal is in the activity log.
  ASSERT_EQ(Send(HttpVerb::patch, "/v1.0/users/" + ada,
                 R"({"passwordProfile": {"password": "Second-Horse-7"}})")
                .result(),
            HttpStatus::no_content);
  EXPECT_EQ(sign_in("Second-Horse-7").result(), HttpStatus::ok);
  const auto log = Send(HttpVerb::get,
                        "/subscriptions/sub-1/providers/Microsoft.Insights/eventtypes/management/"
                        "values?api-version=2015-04-01&$filter=eventTimestamp%20ge%202000-01-01T00:"
                        "00:00Z%20and%20caller%20eq%20%27ada@example.org%27");
  ASSERT_EQ(log.result(), HttpStatus::ok) << log.body();
  EXPECT_GE(Body(log).at("value").as_array().size(), 6u);
  // Disabled: her tokens open nothing from the next request on.
  ASSERT_EQ(
      Send(HttpVerb::patch, "/v1.0/users/ada@example.org", R"({"accountEnabled": false})").result(),
      HttpStatus::no_content);
  EXPECT_EQ(As(token, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::forbidden);
}

// The activity log: a refused write and an accepted one, each with its caller; the accepted one's
// end under the same correlation id; a write without a token; az's $filter forms; pages.
TEST_F(AuthorizationTest, WritesAcceptedOrRefusedAreInTheActivityLog) {
  const std::string alice = Principal("alice-app", kAlice);
  ASSERT_EQ(As(alice, HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 1)).result(),
            HttpStatus::forbidden);
  const auto accepted = Send(HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 2));
  ASSERT_EQ(accepted.result(), HttpStatus::ok) << accepted.body();
  const std::string correlation(accepted["x-ms-correlation-request-id"]);
  ASSERT_FALSE(correlation.empty());
  const auto encode = [](std::string text) {
    std::string out;
    for (char c : text)
      out += c == ' ' ? "%20" : c == '\'' ? "%27" : c == '+' ? "%2B" : std::string(1, c);
    return out;
  };
  const std::string window =
      "eventTimestamp ge 2000-01-01T00:00:00Z and eventTimestamp le 2100-01-01T00:00:00Z";
  const auto events = [&](const std::string& more, const std::string& token = "") {
    const std::string url =
        "/subscriptions/sub-1/providers/Microsoft.Insights/eventtypes/management/values"
        "?api-version=2015-04-01&$filter=" +
        encode(window + more);
    const auto response = token.empty() ? Send(HttpVerb::get, url) : As(token, HttpVerb::get, url);
    EXPECT_EQ(response.result(), HttpStatus::ok) << response.body();
    return response.result() == HttpStatus::ok ? Body(response).at("value").as_array()
                                               : json::array{};
  };
  // The accepted request's event was committed with its change: it is there, once, before the
  // operation has run.
  {
    const json::array before_end = events(" and correlationId eq '" + correlation + "'");
    ASSERT_EQ(before_end.size(), 1u) << json::serialize(before_end);
    EXPECT_EQ(before_end[0].at("status").at("value"), "Accepted");
    EXPECT_EQ(before_end[0].at("subStatus").at("value"), "OK");
  }
  clock_.Advance(std::chrono::seconds(1));  // events of one instant come in no set order
  Settle();
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Send(HttpVerb::delete_, kCluster + kNewest, "", false).result(),
            HttpStatus::unauthorized);

  const json::array failed = events(" and resourceGroupName eq 'rg1' and status eq 'Failed'");
  ASSERT_EQ(failed.size(), 2u) << json::serialize(failed);
  // Newest first: the delete without a token, then alice's refused update.
  EXPECT_EQ(failed[0].at("subStatus").at("value"), "Unauthorized");
  EXPECT_EQ(failed[0].at("operationName").at("value"),
            "Microsoft.ContainerService/managedClusters/delete");
  EXPECT_EQ(failed[1].at("caller"), "alice-app");
  EXPECT_EQ(failed[1].at("subStatus").at("value"), "Forbidden");
  EXPECT_EQ(failed[1].at("operationName").at("value"),
            "Microsoft.ContainerService/managedClusters/write");
  EXPECT_NE(
      std::string(failed[1].at("description").as_string()).find("does not have authorization"),
      std::string::npos);
  EXPECT_EQ(failed[1].at("resourceId"), json::value(kCluster));

  const json::array request = events(" and correlationId eq '" + correlation + "'");
  ASSERT_EQ(request.size(), 2u) << json::serialize(request);
  EXPECT_EQ(request[0].at("status").at("value"), "Succeeded");  // the operation's end
  EXPECT_EQ(request[1].at("status").at("value"), "Accepted");
  EXPECT_EQ(request[0].at("operationId"), request[1].at("operationId"));
  EXPECT_EQ(request[0].at("caller"), "client-id");
  EXPECT_EQ(events(" and caller eq 'alice-app'").size(), 1u);

  // Alice reads the log once she may, and only of what she may read.
  EXPECT_EQ(As(alice, HttpVerb::get,
               "/subscriptions/sub-1/providers/Microsoft.Insights/eventtypes/management/values"
               "?api-version=2015-04-01&$filter=" +
                   encode(window))
                .result(),
            HttpStatus::forbidden);
  CreateGroup("/subscriptions/sub-1/resourceGroups/rg2");
  Assign("/subscriptions/sub-1/resourceGroups/rg2", kReader, kAlice,
         "abababab-0000-4000-8000-00000000000b");
  // Of every event so far, two are in rg2: its creation and the assignment made there.
  const json::array hers = events("", alice);
  ASSERT_EQ(hers.size(), 2u) << json::serialize(hers);
  for (const json::value& event : hers) {
    EXPECT_TRUE(std::string(event.at("resourceId").as_string())
                    .starts_with("/subscriptions/sub-1/resourceGroups/rg2"))
        << event.at("resourceId");
  }

  // A page holds 100; nextLink brings the rest.
  for (int i = 0; i < 120; ++i)
    ASSERT_EQ(As(alice, HttpVerb::delete_, kCluster + kNewest).result(), HttpStatus::forbidden);
  const auto first = Send(HttpVerb::get,
                          "/subscriptions/sub-1/providers/Microsoft.Insights/eventtypes/management/"
                          "values?api-version=2015-04-01&$filter=" +
                              encode(window + " and caller eq 'alice-app'"));
  ASSERT_EQ(Body(first).at("value").as_array().size(), 100u);
  std::string next(Body(first).at("nextLink").as_string());
  next = next.substr(next.find("/subscriptions/"));
  const auto second = Send(HttpVerb::get, next);
  ASSERT_EQ(second.result(), HttpStatus::ok) << second.body();
  EXPECT_EQ(Body(second).at("value").as_array().size(), 21u);
  EXPECT_FALSE(Body(second).as_object().contains("nextLink"));
}

// A custom role: written by an Owner (not by a Contributor), listed where it can be assigned,
// assigned only inside its assignable scopes, granting what its wildcards match, and kept while
// an assignment names it.
TEST_F(AuthorizationTest, ACustomRoleGrantsWhatItListsAndIsKeptWhileAssigned) {
  const std::string guid = "c0ffee00-0000-4000-8000-0000000000c1";
  const std::string role_url =
      kGroup + "/providers/Microsoft.Authorization/roleDefinitions/" + guid + kDefinitionsVersion;
  const std::string body = json::serialize(json::object{
      {"properties",
       json::object{{"roleName", "Cluster Reader Plus"},
                    {"type", "CustomRole"},
                    {"permissions",
                     json::array{json::object{
                         {"actions", json::array{"Microsoft.ContainerService/managedClusters/read",
                                                 "Microsoft.ContainerService/*/agentPools/read"}},
                         {"notActions", json::array{}}}}},
                    {"assignableScopes", json::array{json::value(kGroup)}}}}});
  const std::string writer = Principal("writer-app", kBob);
  Assign("/subscriptions/sub-1", kContributor, kBob, "bbbbbbbb-1111-4000-8000-00000000000b");
  EXPECT_EQ(ErrorCode(As(writer, HttpVerb::put, role_url, body)), "AuthorizationFailed");
  const auto created = Send(HttpVerb::put, role_url, body);
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  EXPECT_EQ(Body(created).at("properties").at("type"), "CustomRole");
  // Listed at its scope and by name; a second role cannot take its name.
  const auto listed = Send(HttpVerb::get, kGroup + "/providers/Microsoft.Authorization/roleDefinitions" +
                                              kDefinitionsVersion +
                                              "&$filter=roleName%20eq%20%27Cluster%20Reader%20Plus%27");
  ASSERT_EQ(Body(listed).at("value").as_array().size(), 1u) << listed.body();
  EXPECT_EQ(Send(HttpVerb::put,
                 kGroup + "/providers/Microsoft.Authorization/roleDefinitions/"
                          "c0ffee00-0000-4000-8000-0000000000c2" +
                     kDefinitionsVersion,
                 body)
                .result(),
            HttpStatus::conflict);

  // Assigned at the subscription: outside its assignable scopes.
  const auto outside = Send(HttpVerb::put,
                            std::string(kAuthz) + "/roleAssignments/"
                                                  "c0ffee00-1111-4000-8000-0000000000a1" +
                                kAssignmentsVersion,
                            AssignmentBody(guid, kAlice));
  EXPECT_EQ(ErrorCode(outside), "InvalidRoleAssignmentScope") << outside.body();
  const std::string alice = Principal("alice-app", kAlice);
  const std::string assignment =
      Assign(kCluster, guid, kAlice, "c0ffee00-1111-4000-8000-0000000000a2");
  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::ok);
  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + "/agentPools" + kNewest).result(), HttpStatus::ok);
  EXPECT_EQ(ErrorCode(As(alice, HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 1))),
            "AuthorizationFailed");

  EXPECT_EQ(ErrorCode(Send(HttpVerb::delete_, role_url)), "RoleDefinitionHasAssignments");
  ASSERT_EQ(Send(HttpVerb::delete_, assignment + kAssignmentsVersion).result(), HttpStatus::ok);
  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::forbidden);
  EXPECT_EQ(Send(HttpVerb::delete_, role_url).result(), HttpStatus::ok);
  EXPECT_EQ(Send(HttpVerb::delete_, role_url).result(), HttpStatus::no_content);
  EXPECT_EQ(ErrorCode(Send(HttpVerb::delete_, std::string(kAuthz) + "/roleDefinitions/" + kReader +
                                                  kDefinitionsVersion)),
            "RoleDefinitionIsBuiltIn");
}

// Groups through Graph as az ad group sends it: a role assigned to a group is held by its
// members, and by the members of a member group; taken away when the member leaves.
TEST_F(AuthorizationTest, AGroupsMembersHoldItsRolesThroughNestedGroups) {
  const std::string alice = Principal("alice-app", kAlice);
  const auto group = [&](const std::string& name) {
    const auto made = Send(HttpVerb::post, "/v1.0/groups",
                           R"({"displayName": ")" + name + R"(", "mailNickname": ")" + name +
                               R"(", "mailEnabled": false, "securityEnabled": true})");
    EXPECT_EQ(made.result(), HttpStatus::created) << made.body();
    return std::string(Body(made).at("id").as_string());
  };
  const std::string ops = group("ops"), oncall = group("oncall");
  const auto add = [&](const std::string& to, const std::string& member) {
    return Send(HttpVerb::post, "/v1.0/groups/" + to + "/members/$ref",
                R"({"@odata.id": "https://127.0.0.1/v1.0/directoryObjects/)" + member + R"("})");
  };
  ASSERT_EQ(add(ops, oncall).result(), HttpStatus::no_content);
  ASSERT_EQ(add(oncall, kAlice).result(), HttpStatus::no_content);
  EXPECT_EQ(add(oncall, kAlice).result(), HttpStatus::bad_request);  // there already
  EXPECT_EQ(add(oncall, "dddddddd-0000-4000-8000-00000000000d").result(), HttpStatus::not_found);
  const auto found = Send(HttpVerb::get, "/v1.0/groups?$filter=displayName%20eq%20%27ops%27%20and%20mailNickname%20eq%20%27ops%27");
  ASSERT_EQ(Body(found).at("value").as_array().size(), 1u) << found.body();
  const auto members = Send(HttpVerb::get, "/v1.0/groups/" + oncall + "/members");
  ASSERT_EQ(Body(members).at("value").as_array().size(), 1u) << members.body();
  EXPECT_EQ(Body(members).at("value").at(0).at("@odata.type"), "#microsoft.graph.servicePrincipal");
  const auto check = Send(HttpVerb::post, "/v1.0/directoryObjects/" + kAlice + "/checkMemberGroups",
                          R"({"groupIds": [")" + ops + R"("]})");
  ASSERT_EQ(Body(check).at("value").as_array().size(), 1u) << check.body();

  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::forbidden);
  Assign(kGroup, kReader, ops, "0a0a0a0a-0000-4000-8000-0000000000a1");
  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::ok);
  const auto by_ids = Send(HttpVerb::post, "/v1.0/directoryObjects/getByIds",
                           R"({"ids": [")" + ops + R"(", ")" + kAlice + R"("]})");
  ASSERT_EQ(Body(by_ids).at("value").as_array().size(), 2u) << by_ids.body();
  // Another member cannot be added by a member of a Reader group.
  EXPECT_EQ(As(alice, HttpVerb::post, "/v1.0/groups/" + ops + "/members/$ref",
               R"({"@odata.id": ")" + kBob + R"("})")
                .result(),
            HttpStatus::forbidden);
  ASSERT_EQ(Send(HttpVerb::delete_, "/v1.0/groups/" + oncall + "/members/" + kAlice + "/$ref")
                .result(),
            HttpStatus::no_content);
  EXPECT_EQ(As(alice, HttpVerb::get, kCluster + kNewest).result(), HttpStatus::forbidden);
}

// az login --use-device-code: the client gets a code and polls; the person enters the code and
// their password on gangplankd's page; the client then collects the person's tokens, once.
TEST_F(AuthorizationTest, ADeviceCodeIsApprovedOnThePageAndCollectedOnce) {
  ASSERT_EQ(Send(HttpVerb::post, "/v1.0/users",
                 R"({"userPrincipalName": "ada@gangplank.test", "displayName": "Ada", "passwordProfile": {"password": "Correct-Horse-9"}, "accountEnabled": true})")
                .result(),
            HttpStatus::created);
  const auto form = [&](const std::string& path, const std::string& body) {
    return Send(HttpVerb::post, path, body, false,
                {{field::content_type, "application/x-www-form-urlencoded"}});
  };
  const auto started = form("/adfs/oauth2/devicecode",
                            "client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&scope=" +
                                std::string("https%3A%2F%2F127.0.0.1%3A8443%2F%2F.default") +
                                "%20offline_access%20openid%20profile");
  ASSERT_EQ(started.result(), HttpStatus::ok) << started.body();
  const json::value flow = Body(started);
  const std::string device_code(flow.at("device_code").as_string());
  const std::string user_code(flow.at("user_code").as_string());
  EXPECT_NE(std::string(flow.at("message").as_string()).find(user_code), std::string::npos);
  const auto poll = [&] {
    return form("/adfs/oauth2/token",
                "client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&grant_type=urn%3Aietf%3Aparams%3A"
                "oauth%3Agrant-type%3Adevice_code&device_code=" +
                    device_code);
  };
  EXPECT_NE(poll().body().find("authorization_pending"), std::string::npos);

  const auto page = Send(HttpVerb::get, "/adfs/oauth2/deviceauth?user_code=%3Cscript%3E", "", false);
  ASSERT_EQ(page.result(), HttpStatus::ok);
  EXPECT_NE(page[field::content_type].find("text/html"), std::string::npos);
  EXPECT_NE(page["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(page.body().find("<script>"), std::string::npos);  // what was typed is escaped
  const auto wrong = form("/adfs/oauth2/deviceauth", "user_code=" + user_code +
                                                         "&username=ada%40gangplank.test&password=nope");
  EXPECT_EQ(wrong.result(), HttpStatus::bad_request);
  EXPECT_NE(wrong.body().find("Invalid credentials"), std::string::npos) << wrong.body();
  EXPECT_EQ(form("/adfs/oauth2/deviceauth",
                 "user_code=BCDF-GHJK&username=ada%40gangplank.test&password=Correct-Horse-9")
                .result(),
            HttpStatus::bad_request);  // a code nobody was given
  std::string lower = user_code;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto right = form("/adfs/oauth2/deviceauth", "user_code=" + lower +
                                                         "&username=ada%40gangplank.test&password=Correct-Horse-9");
  ASSERT_EQ(right.result(), HttpStatus::ok) << right.body();
  EXPECT_NE(right.body().find("signed in as ada@gangplank.test"), std::string::npos);

  const auto collected = poll();
  ASSERT_EQ(collected.result(), HttpStatus::ok) << collected.body();
  EXPECT_TRUE(Body(collected).as_object().contains("id_token"));
  const std::string token(Body(collected).at("access_token").as_string());
  EXPECT_EQ(As(token, HttpVerb::get, "/v1.0/me").result(), HttpStatus::ok);
  EXPECT_NE(poll().body().find("expired_token"), std::string::npos);  // once only
  // Guessing codes: after 30 wrong ones in a minute, every try waits (429), the right one too.
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    refused += form("/adfs/oauth2/deviceauth",
                    "user_code=BCDF-GHJ" + std::string(1, "BCDFGHJKLMNPQRSTVWXZ"[i % 20]) +
                        "&username=ada%40gangplank.test&password=x")
                       .result() == HttpStatus::too_many_requests;
  }
  EXPECT_GE(refused, 10);
  // A forged device code for a real user code opens nothing.
  EXPECT_NE(form("/adfs/oauth2/token",
                 "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=" +
                     user_code.substr(0, 4) + user_code.substr(5) + ".forged")
                .body()
                .find("expired_token"),
            std::string::npos);
}

// A kubeconfig carries the identity that asked for it: it opens the Kubernetes view while that
// identity holds the role that let it ask, and not after.
TEST_F(AuthorizationTest, AKubeconfigHoldsWhileItsIdentityHoldsTheRoleThatIssuedIt) {
  const std::string alice = Principal("alice-app", kAlice);
  const std::string cluster_user = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f";
  const std::string assignment =
      Assign(kCluster, cluster_user, kAlice, "4abbcc35-0000-4000-8000-0000000000a1");
  const auto reply = As(alice, HttpVerb::post, kCluster + "/listClusterUserCredential" + kNewest);
  ASSERT_EQ(reply.result(), HttpStatus::ok) << reply.body();
  const std::string kubeconfig = *Base64DecodeStrict(
      std::string(Body(reply).at("kubeconfigs").at(0).at("value").as_string()));
  const auto value_of = [&](const std::string& key) {
    const std::size_t from = kubeconfig.find(key + ": ") + key.size() + 2;
    return kubeconfig.substr(from, kubeconfig.find('\n', from) - from);
  };
  const std::string server = value_of("server").substr(std::string(kUrl).size() - 1);
  const std::string token = value_of("token");
  const auto nodes = [&] {
    HttpRequest request(HttpVerb::get, server + "/api/v1/nodes", 11);
    request.set(field::authorization, "Bearer " + token);
    request.prepare_payload();
    return service_->Handle(request).result();
  };
  EXPECT_EQ(nodes(), HttpStatus::ok);
  ASSERT_EQ(Send(HttpVerb::delete_, assignment + kAssignmentsVersion).result(), HttpStatus::ok);
  EXPECT_EQ(nodes(), HttpStatus::unauthorized);
  // Given back, the same kubeconfig works again; the identity deleted, it does not.
  Assign(kGroup, cluster_user, kAlice, "4abbcc35-0000-4000-8000-0000000000a2");
  EXPECT_EQ(nodes(), HttpStatus::ok);
  ASSERT_TRUE(store_->Delete(access::kServicePrincipalKind, access::ServicePrincipalRowId(kAlice),
                             store::Precondition::Any())
                  .ok());
  EXPECT_EQ(nodes(), HttpStatus::unauthorized);
}

// `text` as a form field's value (every byte but letters and digits percent-encoded).
std::string FormEncoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += c;
    } else {
      out += '%';
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The req_cnf az ssh sends for an RSA key: n and e as url-safe base64 of their mpint bytes
// (padded, sign byte kept), kid the SHA-256 hex of n and e together (here any 64 hex digits).
std::string ReqCnf(const std::string& blob, const std::string& kty = "RSA") {
  sshkey::WireReader reader(blob);
  (void)reader.ReadString();
  const auto mpint = [](std::string_view magnitude) {
    std::string bytes(magnitude);
    if (!bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80)) bytes.insert(0, 1, '\0');
    std::string text = Base64Encode(bytes);
    for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return text;
  };
  const std::string e = mpint(*reader.ReadMpint());
  const std::string n = mpint(*reader.ReadMpint());
  return R"({"kty": ")" + kty + R"(", "n": ")" + n + R"(", "e": ")" + e +
         R"(", "kid": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})";
}

// token_type=ssh-cert as az ssh sends it through MSAL: a certificate for the key in req_cnf, to
// an identity that holds a machine login role; clear OAuth errors otherwise.
TEST_F(AuthorizationTest, AnSshCertificateIsIssuedToAnIdentityWithALoginRoleOnly) {
  const auto app = Send(HttpVerb::post, "/v1.0/applications", R"({"displayName": "ssh-user"})");
  const std::string app_object(Body(app).at("id").as_string());
  const std::string app_id(Body(app).at("appId").as_string());
  const std::string secret(
      Body(Send(HttpVerb::post, "/v1.0/applications/" + app_object + "/addPassword", "{}"))
          .at("secretText")
          .as_string());
  const std::string object_id(
      Body(Send(HttpVerb::post, "/v1.0/servicePrincipals", R"({"appId": ")" + app_id + R"("})"))
          .at("id")
          .as_string());
  const auto key = sshkey::GenerateKeyPair({sshkey::KeyKind::kRsa, 3072, "az-ssh"});
  ASSERT_TRUE(key.ok());
  const auto ask = [&](const std::string& req_cnf, const std::string& token_type = "ssh-cert") {
    std::string form = "grant_type=client_credentials&client_info=1&client_id=" + app_id +
                       "&client_secret=" + secret + "&token_type=" + token_type +
                       "&key_id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                       "&scope=https%3A%2F%2Fpas.windows.net%2FCheckMyAccess%2FLinux%2F.default"
                       "&req_cnf=";
    form += FormEncoded(req_cnf);
    return Send(HttpVerb::post, "/adfs/oauth2/token", form, false,
                {{field::content_type, "application/x-www-form-urlencoded"}});
  };
  const std::string req_cnf = ReqCnf(key->public_key.blob);
  const auto refused = ask(req_cnf);
  EXPECT_EQ(refused.result(), HttpStatus::bad_request);
  EXPECT_NE(refused.body().find("unauthorized_client"), std::string::npos) << refused.body();

  Assign(kCluster, "fb879df8-f326-4884-b1cf-06f3ad86be52", object_id,
         "fb879df8-0000-4000-8000-0000000000a1");  // Virtual Machine User Login
  const auto issued = ask(req_cnf);
  ASSERT_EQ(issued.result(), HttpStatus::ok) << issued.body();
  const json::value body = Body(issued);
  EXPECT_EQ(body.at("token_type"), "ssh-cert");
  EXPECT_LE(body.at("expires_in").as_int64(), 3600);
  const auto blob = Base64DecodeStrict(std::string(body.at("access_token").as_string()));
  ASSERT_TRUE(blob.has_value());
  sshkey::WireReader reader(*blob);
  EXPECT_EQ(reader.ReadString().value_or(""), "ssh-rsa-cert-v01@openssh.com");
  EXPECT_NE(blob->find(object_id + "@adfs"), std::string::npos);  // the key id
  std::string principal = app_id;
  for (char& c : principal) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(blob->find(principal), std::string::npos);
  // Each one recorded under a serial of its own.
  ask(req_cnf);
  EXPECT_EQ(store_->ListKind("sshCertificate")->size(), 2u);

  // What is wrong with a request, said in OAuth's words.
  sshkey::WireWriter small;  // a 1024-bit modulus (its value does not matter to the check)
  small.WriteString("ssh-rsa");
  small.WriteMpint(std::string("\x01\x00\x01", 3));
  small.WriteMpint("\xC0" + std::string(127, '\x11'));
  EXPECT_NE(ask(ReqCnf(small.data())).body().find("1024 bits"), std::string::npos);
  EXPECT_NE(ask(ReqCnf(key->public_key.blob, "EC")).body().find("only RSA keys"),
            std::string::npos);
  EXPECT_NE(ask("not json").body().find("invalid_request"), std::string::npos);
  EXPECT_NE(ask(req_cnf, "pop").body().find("is not issued here"), std::string::npos);
}

// A person's certificate as az ssh gets it after `az login`: MSAL's refresh-token grant with
// token_type=ssh-cert. The principal is the user principal name in lower case, the key id the
// person's object id.
TEST_F(AuthorizationTest, APersonGetsACertificateWithTheirRefreshTokenAsAzSshAsksForIt) {
  const auto created = Send(HttpVerb::post, "/v1.0/users",
                            R"({"userPrincipalName": "Ada.Lovelace@Example.org",
                                "displayName": "Ada", "accountEnabled": true,
                                "passwordProfile": {"password": "Correct-Horse-9"}})");
  ASSERT_EQ(created.result(), HttpStatus::created) << created.body();
  const std::string ada(Body(created).at("id").as_string());
  const auto signed_in = Send(
      HttpVerb::post, "/adfs/oauth2/token",
      "client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&grant_type=password&client_info=1"
      "&username=Ada.Lovelace%40Example.org&password=Correct-Horse-9"
      "&scope=https%3A%2F%2F127.0.0.1%3A8443%2F%2F.default%20offline_access%20openid",
      false, {{field::content_type, "application/x-www-form-urlencoded"}});
  ASSERT_EQ(signed_in.result(), HttpStatus::ok) << signed_in.body();
  const std::string refresh(Body(signed_in).at("refresh_token").as_string());
  const auto key = sshkey::GenerateKeyPair({sshkey::KeyKind::kRsa, 2048, "az-ssh"});
  ASSERT_TRUE(key.ok());
  const std::string req_cnf = FormEncoded(ReqCnf(key->public_key.blob));
  const auto ask = [&] {
    return Send(HttpVerb::post, "/adfs/oauth2/token",
                "client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&grant_type=refresh_token"
                "&client_info=1&refresh_token=" + refresh +
                    "&token_type=ssh-cert&key_id=0123456789abcdef0123456789abcdef0123456789abcdef0"
                    "123456789abcdef&scope=https%3A%2F%2Fpas.windows.net%2FCheckMyAccess%2FLinux"
                    "%2F.default&req_cnf=" + req_cnf,
                false, {{field::content_type, "application/x-www-form-urlencoded"}});
  };
  const auto refused = ask();
  EXPECT_EQ(refused.result(), HttpStatus::bad_request);
  EXPECT_NE(refused.body().find("unauthorized_client"), std::string::npos) << refused.body();
  Assign(kCluster, "1c0163c0-47e6-4577-8991-ea5c82e286e4", ada,
         "1c0163c0-0000-4000-8000-0000000000ad");  // Virtual Machine Administrator Login
  const auto issued = ask();
  ASSERT_EQ(issued.result(), HttpStatus::ok) << issued.body();
  const auto blob = Base64DecodeStrict(std::string(Body(issued).at("access_token").as_string()));
  ASSERT_TRUE(blob.has_value());
  EXPECT_NE(blob->find("ada.lovelace@example.org"), std::string::npos);
  EXPECT_EQ(blob->find("Ada.Lovelace"), std::string::npos);
  EXPECT_NE(blob->find(ada + "@adfs"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::api

// Attempts to get past authentication: forged and altered tokens, the wrong kind of token, a
// secret guessed, paths that try to step around the check. All of these were refused before the
// review; they stay here so they keep being refused.
#include "attacks/attack_fixture.h"
#include "common/base64.h"

namespace gangplank::attacks {
namespace {

std::string Part(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  return token.substr(start, token.find('.', start) - start);
}

class AuthAttackTest : public AttackTest {
 protected:
  int Status(const std::string& target, const std::string& authorization) {
    auto client = NewClient();
    std::map<std::string, std::string> headers;
    if (!authorization.empty()) headers["Authorization"] = authorization;
    return client->Request("GET", target, "", headers).status;
  }
};

TEST_F(AuthAttackTest, ForgedAndAlteredTokensOpenNothing) {
  Start();
  const std::string target = Group() + "?api-version=2021-04-01";
  ASSERT_EQ(Status(target, "Bearer " + token_), 200);
  const std::string header = Part(token_, 0), claims = Part(token_, 1), signature = Part(token_, 2);
  json::object changed = json::parse(*Base64UrlDecode(claims)).as_object();
  changed["appid"] = "someone-else";
  changed["oid"] = "someone-else";
  const std::string altered = Base64UrlEncode(json::serialize(changed));
  const std::string none = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  const std::string hs256 = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  for (const std::string& attempt : {
           std::string(""),                                       // nothing
           std::string("Bearer"),                                 // no token
           "Basic " + Base64UrlEncode("client:secret"),           // another scheme
           "Bearer " + header + "." + altered + "." + signature,  // claims changed
           "Bearer " + none + "." + claims + ".",                 // alg none
           "Bearer " + hs256 + "." + claims + "." + signature,    // alg confusion
           "Bearer " + token_ + "x",                              // signature changed
           "Bearer " + header + "." + claims,                     // signature dropped
           "Bearer " + std::string(8000, 'A'),                    // garbage
       }) {
    EXPECT_EQ(Status(target, attempt), 401) << attempt.substr(0, 80);
  }
  // Another subscription is not found, whatever the token; paths do not step around the check.
  EXPECT_EQ(Status("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1"
                   "?api-version=2021-04-01",
                   "Bearer " + token_),
            404);
  for (const std::string path : {"/adfs/../subscriptions/", "/adfs/%2e%2e/subscriptions/",
                                 "//subscriptions/", "/Subscriptions/", "/subscriptions%2f"}) {
    const std::string status_target = path +
                                      std::string(Credentials().at("subscriptionId").as_string()) +
                                      "/resourceGroups/rg1?api-version=2021-04-01";
    const int status = Status(status_target, "");
    EXPECT_TRUE(status == 401 || status == 404 || status == 400) << path << " " << status;
  }
  ExpectHealthy();
}

TEST_F(AuthAttackTest, AGuessedSecretGetsNoTokenAndNoHint) {
  Start();
  const json::object credentials = Credentials();
  const std::string client_id(credentials.at("clientId").as_string());
  const std::string scope = "&scope=https://127.0.0.1:" + std::to_string(port_) + "//.default";
  for (const std::string& form :
       {"grant_type=client_credentials&client_id=" + client_id + "&client_secret=guess" + scope,
        "grant_type=client_credentials&client_id=someone&client_secret=" +
            std::string(credentials.at("clientSecret").as_string()) + scope,
        "grant_type=password&client_id=" + client_id + "&username=a&password=b" + scope,
        std::string("grant_type=client_credentials") + scope}) {
    auto client = NewClient();
    const auto reply = client->Request("POST", "/adfs/oauth2/v2.0/token", form,
                                       {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_GE(reply.status, 400) << form;
    EXPECT_LT(reply.status, 500) << form;
    EXPECT_EQ(reply.body.find("access_token"), std::string::npos);
    EXPECT_EQ(reply.body.find(std::string(credentials.at("clientSecret").as_string())),
              std::string::npos);
  }
  // A token request is small: a large one is refused before it is read.
  auto client = NewClient();
  EXPECT_EQ(client
                ->Request("POST", "/adfs/oauth2/v2.0/token", std::string(100 << 10, 'a'),
                          {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            413);
  ExpectHealthy();
}

}  // namespace
}  // namespace gangplank::attacks

// Attacks through request bodies: locations that carry headers, keys whose options would be
// dropped, comments that rewrite terminals and authorized_keys, and requests that ask for
// gigabytes.

#include "attacks/attack_fixture.h"
#include "sshkey/generate.h"

namespace gangplank::attacks {
namespace {

std::string PlainKey(const std::string& comment = "me@laptop") {
  auto pair = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, comment});
  return pair->public_key.ToPublicKeyLine();
}

std::string ClusterBody(const json::array& keys, const std::string& location = "westus2",
                        int count = 1) {
  json::array key_objects;
  for (const auto& key : keys) key_objects.push_back(json::object{{"keyData", key}});
  return json::serialize(json::object{
      {"location", location},
      {"properties",
       json::object{
           {"dnsPrefix", "c1"},
           {"linuxProfile", json::object{{"adminUsername", "azureuser"},
                                         {"ssh", json::object{{"publicKeys", key_objects}}}}},
           {"agentPoolProfiles", json::array{json::object{{"name", "nodepool1"},
                                                          {"count", count},
                                                          {"mode", "System"},
                                                          {"vmSize", "Standard_DS2_v2"}}}}}}});
}

std::string ErrorCode(const testing::HttpsReply& reply) {
  return std::string(json::parse(reply.body).at("error").at("code").as_string());
}
std::string ErrorMessage(const testing::HttpsReply& reply) {
  return std::string(json::parse(reply.body).at("error").at("message").as_string());
}

TEST_F(AttackTest, ALocationCannotCarryHeadersIntoOperationUrls) {
  Start();
  const std::string injected = "westus2\r\nX-Injected: yes\r\n\r\n<html>";
  const auto group = Call("PUT", Group() + "2?api-version=2021-04-01",
                          json::serialize(json::object{{"location", injected}}));
  EXPECT_EQ(group.status, 400);
  EXPECT_EQ(ErrorCode(group), "LocationNotAvailableForResourceGroup");
  const auto cluster = Call("PUT", Cluster() + kVersion, ClusterBody({PlainKey()}, injected));
  EXPECT_EQ(cluster.status, 400);
  EXPECT_EQ(ErrorCode(cluster), "LocationNotAvailableForResourceType");
  EXPECT_EQ(cluster.headers.count("x-injected"), 0u);
  EXPECT_EQ(ErrorMessage(cluster).find('\r'), std::string::npos) << "echoed raw";
  for (const std::string bad : {"west us/../2", "westus2?x=1", "ü", "", "9north"}) {
    EXPECT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody({PlainKey()}, bad)).status, 400) << bad;
  }
  // A display name is a region name too, stored as ARM stores it; the URLs are clean.
  const auto created = Call("PUT", Cluster() + kVersion, ClusterBody({PlainKey()}, "West US 2"));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(created.body).at("location"), "westus2");
  const std::string operation = created.headers.at("azure-asyncoperation");
  EXPECT_NE(operation.find("/locations/westus2/operations/"), std::string::npos) << operation;
  EXPECT_EQ(operation.find_first_of(" \r\n"), std::string::npos);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  // A cluster does not move: ARM's 409.
  const auto moved = Call("PUT", Cluster() + kVersion, ClusterBody({PlainKey()}, "eastus"));
  EXPECT_EQ(moved.status, 409);
  EXPECT_EQ(ErrorCode(moved), "InvalidResourceLocation");
  ExpectHealthy();
}

TEST_F(AttackTest, AKeyWithOptionsIsRefusedNamingTheKeyNotInstalledWithoutThem) {
  Start();
  const std::string key = PlainKey("restricted@laptop");
  for (const std::string& options :
       {std::string("from=\"10.9.9.9\",restrict "), std::string("command=\"/bin/true\" "),
        std::string("no-pty ")}) {
    const auto reply = Call("PUT", Cluster() + kVersion, ClusterBody({PlainKey(), options + key}));
    EXPECT_EQ(reply.status, 400) << options;
    EXPECT_EQ(ErrorCode(reply), "InvalidParameter");
    const std::string message = ErrorMessage(reply);
    EXPECT_NE(message.find("publicKeys[1]"), std::string::npos) << message;
    EXPECT_NE(message.find("restricted@laptop"), std::string::npos) << message;
    EXPECT_NE(message.find("options"), std::string::npos) << message;
  }
  EXPECT_EQ(Call("GET", Cluster() + kVersion).status, 404) << "nothing was written";
  ExpectHealthy();
}

TEST_F(AttackTest, KeyCommentsWithControlCharactersAreRefused) {
  Start();
  const std::string base = PlainKey();
  const std::string line = base.substr(0, base.rfind(' '));
  for (const std::string& comment :
       {std::string("ok\rssh-rsa AAAA fake"), std::string("\x1b]0;PWNED\x07"),
        std::string("nul\0byte", 8), std::string("bidi\u202eevil"), std::string("tab\there")}) {
    const auto reply = Call("PUT", Cluster() + kVersion, ClusterBody({line + " " + comment}));
    EXPECT_EQ(reply.status, 400) << reply.body;
    if (reply.status != 400) continue;
    const std::string message = ErrorMessage(reply);
    EXPECT_NE(message.find("publicKeys[0]"), std::string::npos) << message;
    EXPECT_EQ(message.find_first_of("\r\x1b\x07"), std::string::npos) << "echoed raw";
  }
  // Printable comments of any script are fine.
  EXPECT_EQ(
      Call("PUT", Cluster() + kVersion, ClusterBody({line + " Jürgen's key (laptop) ✓"})).status,
      201);
  ExpectHealthy();
}

TEST_F(AttackTest, KeySizesAndCountsHaveLimitsThatSayWhichOne) {
  Start();
  const std::string base = PlainKey();
  const std::string line = base.substr(0, base.rfind(' '));
  const auto long_comment =
      Call("PUT", Cluster() + kVersion, ClusterBody({line + " " + std::string(2000, 'c')}));
  EXPECT_EQ(long_comment.status, 400);
  EXPECT_EQ(ErrorCode(long_comment), "QuotaExceeded");
  EXPECT_NE(ErrorMessage(long_comment).find("1024"), std::string::npos);
  const auto huge =
      Call("PUT", Cluster() + kVersion, ClusterBody({line + " " + std::string(380 << 10, 'c')}));
  EXPECT_EQ(huge.status, 400);
  EXPECT_EQ(ErrorCode(huge), "QuotaExceeded");
  EXPECT_NE(ErrorMessage(huge).find("8192"), std::string::npos);
  json::array eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(json::value(PlainKey()));
  const auto many = Call("PUT", Cluster() + kVersion, ClusterBody(eleven));
  EXPECT_EQ(many.status, 400);
  EXPECT_EQ(ErrorCode(many), "QuotaExceeded");
  EXPECT_NE(ErrorMessage(many).find("10 keys"), std::string::npos) << ErrorMessage(many);
  ExpectHealthy();
}

// The review's request: ten keys with huge comments and many nodes took gangplankd from 191 MiB to
// 3.1 GiB and the store to 1.5 GiB, because every machine row copied the keys. The largest request
// the limits allow now costs the keys once per pool.
TEST_F(AttackTest, TheLargestAllowedRequestCostsItsKeysOncePerPool) {
  Start();
  json::array keys;
  for (int i = 0; i < 10; ++i) {
    const std::string base = PlainKey();
    keys.push_back(json::value(base.substr(0, base.rfind(' ')) + " " + std::string(1000, 'k') +
                               std::to_string(i)));
  }
  const long memory_before = ResidentKiB();
  const auto created = Call("PUT", Cluster() + kVersion, ClusterBody(keys, "westus2", 1000));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  const auto machines =
      Call("GET", Cluster() + "/agentPools/nodepool1/machines" + std::string(kVersion));
  ASSERT_EQ(machines.status, 200);
  EXPECT_EQ(json::parse(machines.body).at("value").as_array().size(), 1000u);
  // What the store holds (the bytes of every row), read with Python's sqlite3 beside gangplankd.
  const auto stored = testing::RunProgram(
      {"python3", "-c",
       "import sqlite3, sys\n"
       "db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n"
       "print(db.execute('select sum(length(body)) from resources').fetchone()[0])",
       dir_.Join("data/gangplank.db")});
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  const long database = std::stol(stored.out);
  std::printf("store rows for 1,000 nodes with ten 1 KiB keys: %ld KiB; gangplankd: +%ld MiB\n",
              database >> 10, (ResidentKiB() - memory_before) >> 10);
  // Ten keys of about 1 KiB copied into 1,000 machine rows would be 10 MiB on their own.
  EXPECT_LT(database, 4L << 20) << "bytes of store rows for 1,000 nodes";
  EXPECT_LT(ResidentKiB() - memory_before, kMemoryScale * (128 << 10)) << "KiB added";
  ExpectHealthy();
}

}  // namespace
}  // namespace gangplank::attacks

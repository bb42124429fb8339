// --query against python3-jmespath, the library az evaluates --query with: each expression's
// result (or its failure) must be the same.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "cli/query.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::cli {
namespace {
namespace json = boost::json;
using testing::RunProgram;
using testing::TempDir;

constexpr const char* kDocument = R"({
  "name": "c1", "location": "westus2", "tags": {"team": "ops", "env": "prod"},
  "properties": {
    "provisioningState": "Succeeded", "kubernetesVersion": "1.27.7",
    "linuxProfile": {"adminUsername": "azureuser",
      "ssh": {"publicKeys": [{"keyData": "ssh-ed25519 AAAAC3 a@b"}, {"keyData": "ssh-rsa AAAAB3 c@d"}]}},
    "agentPoolProfiles": [
      {"name": "nodepool1", "count": 3, "mode": "System", "osSKU": "Ubuntu", "maxPods": 110,
       "securityProfile": {"sshAccess": "LocalUser"}, "upgradeSettings": {"maxSurge": "33%"},
       "nodeLabels": null, "zones": ["1", "2"]},
      {"name": "tools", "count": 1, "mode": "User", "osSKU": "AzureLinux", "maxPods": 30,
       "securityProfile": {"sshAccess": "Disabled"}, "zones": []},
      {"name": "gpu", "count": 0, "mode": "User", "osSKU": "Ubuntu", "maxPods": 2.5,
       "securityProfile": {"sshAccess": "LocalUser"}, "zones": ["3"]}
    ]
  },
  "machines": [[{"n": "m0", "up": true}, {"n": "m1", "up": false}], [{"n": "m2", "up": true}], "x"],
  "numbers": [5, -2, 9, 0, 3.5], "words": ["pear", "apple", "fig"], "empty": [], "e": "",
  "weird key": {"a.b": 1}, "unicode": "naïve ✓"
})";

const std::vector<std::string> kExpressions = {
    // fields, subexpressions, quoted names
    "name", "properties.provisioningState", "properties.nope.deeper", "\"weird key\".\"a.b\"",
    "tags", "tags.team", "name.first", "@", "@.name", "properties.linuxProfile.ssh",
    // indexes and slices
    "properties.agentPoolProfiles[0].name", "properties.agentPoolProfiles[-1].name",
    "properties.agentPoolProfiles[7]", "numbers[1:3]", "numbers[::2]", "numbers[::-1]",
    "numbers[-2:]", "numbers[:-3]", "numbers[10:]", "numbers[3:1:-1]", "name[0]",
    "properties.agentPoolProfiles[:2].name",
    // projections
    "properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[].count",
    "properties.agentPoolProfiles[*].securityProfile.sshAccess",
    "properties.agentPoolProfiles[*].zones[0]", "properties.agentPoolProfiles[*].zones[]",
    "properties.agentPoolProfiles[].zones[]", "machines[]", "machines[][].n", "machines[*][0].n",
    "tags.*", "*.team", "properties.*.adminUsername", "name[*]", "properties.agentPoolProfiles[*]",
    "properties.linuxProfile.ssh.publicKeys[*].keyData", "empty[*].x", "properties.agentPoolProfiles[*].nodeLabels",
    // filters and comparisons
    "properties.agentPoolProfiles[?mode=='User'].name",
    "properties.agentPoolProfiles[?count > `0`].name",
    "properties.agentPoolProfiles[?count >= `1` && mode == 'User'].name",
    "properties.agentPoolProfiles[?mode=='System' || count == `0`].name",
    "properties.agentPoolProfiles[?!(count > `0`)].name",
    "properties.agentPoolProfiles[?securityProfile.sshAccess=='Disabled'] | [0].name",
    "properties.agentPoolProfiles[?zones].name", "properties.agentPoolProfiles[?maxPods < `3`].maxPods",
    "properties.agentPoolProfiles[?name > 'a'].name", "numbers[?@ > `1`]", "numbers[?@ != `0`]",
    "machines[][?up].n", "properties.agentPoolProfiles[?count==`3`][].name",
    "properties.agentPoolProfiles[?upgradeSettings.maxSurge=='33%'].upgradeSettings",
    "numbers[?@ == `5.0`]", "properties.agentPoolProfiles[?nodeLabels == null].name",
    "`true` && name", "e || 'fallback'", "empty || name", "!empty", "name == 'c1'", "numbers[0] < `6`",
    // multiselects and pipes
    "properties.agentPoolProfiles[*].{name: name, ssh: securityProfile.sshAccess, n: count}",
    "properties.agentPoolProfiles[*].[name, count]", "{n: name, pools: length(properties.agentPoolProfiles)}",
    "[name, location]", "nothing.{a: b}", "nothing.[a]", "properties.agentPoolProfiles[*].name | [1]",
    "properties.agentPoolProfiles | [0]", "properties.agentPoolProfiles[*] | [?count > `0`].name",
    "{\"quoted key\": name}",
    // literals
    "`[1, 2]`", "`{\"a\": 1}`", "'raw \\' quote'", "`\"str\"`", "`plain`",
    // functions
    "length(properties.agentPoolProfiles)", "length(name)", "length(unicode)", "length(tags)",
    "keys(tags)", "values(tags)", "contains(words, 'fig')", "contains(name, '1')",
    "starts_with(name, 'c')", "ends_with(location, '2')", "join(', ', words)",
    "sort(words)", "sort(numbers)", "sort_by(properties.agentPoolProfiles, &count)[*].name",
    "sort_by(properties.agentPoolProfiles, &name)[0].name", "max(numbers)", "min(words)",
    "max_by(properties.agentPoolProfiles, &maxPods).name", "min_by(properties.agentPoolProfiles, &count).name",
    "sum(numbers)", "avg(numbers)", "sum(properties.agentPoolProfiles[*].count)", "abs(`-3`)",
    "floor(`2.5`)", "ceil(`2.5`)", "to_string(numbers)", "to_string(name)", "to_number('12')",
    "to_number('x')", "to_array(name)", "type(tags)", "type(numbers[4])", "not_null(nope, e, name)",
    "reverse(words)", "reverse(unicode)", "merge(tags, `{\"env\": \"dev\"}`)",
    "properties.agentPoolProfiles[?contains(zones, '1')].name",
    "properties.agentPoolProfiles[?starts_with(osSKU, 'Azure')].name",
    "length(properties.agentPoolProfiles[?mode=='User'])", "avg(empty)", "max(empty)",
    // errors: both must refuse
    "name.", "[0", "properties.agentPoolProfiles[?mode=='User'", "foo(", "length(name, name)",
    "nofunction(name)", "length(`1`)", "sort(`[1, \"a\"]`)", "a = 'b'", "numbers[1:2:0]", "name[1:2:0]", "{a}",
    "'unterminated", "`{bad`x", "]", "a..b", "sum(words)", "join(',', numbers)",
    "\"quoted\"(name)", "abs(name)", "keys(numbers)", "a[?b]]", "name | ", "#",
};

// Equal as JSON, numbers by value (python prints 2.0 where we may keep 2) and key order free.
bool SameJson(const json::value& a, const json::value& b) {
  const auto number = [](const json::value& v) { return v.is_number(); };
  if (number(a) && number(b)) return a.to_number<double>() == b.to_number<double>();
  if (a.is_array() && b.is_array()) {
    if (a.get_array().size() != b.get_array().size()) return false;
    for (std::size_t i = 0; i < a.get_array().size(); ++i)
      if (!SameJson(a.get_array()[i], b.get_array()[i])) return false;
    return true;
  }
  if (a.is_object() && b.is_object()) {
    if (a.get_object().size() != b.get_object().size()) return false;
    for (const auto& [key, value] : a.get_object()) {
      const auto* other = b.get_object().if_contains(key);
      if (!other || !SameJson(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

TEST(QueryOracleTest, AgreesWithPythonJmespath) {
  TempDir dir;
  json::array expressions;
  for (const auto& expression : kExpressions) expressions.emplace_back(expression);
  testing::WriteTestFile(dir.Join("doc.json"), kDocument);
  testing::WriteTestFile(dir.Join("expressions.json"), json::serialize(expressions));
  // One python run for all expressions: a result or the error's class for each.
  const std::string script = R"(
import json, sys, jmespath
doc = json.load(open(sys.argv[1]))
out = []
for e in json.load(open(sys.argv[2])):
    try:
        out.append({"ok": jmespath.search(e, doc)})
    except Exception as error:
        out.append({"error": type(error).__name__})
print(json.dumps(out))
)";
  const auto run = RunProgram(
      {"/usr/bin/python3", "-W", "ignore", "-c", script, dir.Join("doc.json"), dir.Join("expressions.json")});
  ASSERT_EQ(run.exit_code, 0) << "Debian's python3-jmespath is needed (scripts/bootstrap installs it): "
                              << run.err;
  const json::value expected_all = json::parse(run.out);
  const json::value document = json::parse(kDocument);
  ASSERT_EQ(expected_all.as_array().size(), kExpressions.size());
  int agreed = 0;
  for (std::size_t i = 0; i < kExpressions.size(); ++i) {
    const auto& expected = expected_all.as_array()[i].as_object();
    const auto ours = ApplyQuery(document, kExpressions[i]);
    if (expected.contains("error")) {
      EXPECT_FALSE(ours.ok()) << kExpressions[i] << ": python raised "
                              << expected.at("error").as_string() << ", we answered "
                              << json::serialize(*ours);
      if (!ours.ok()) {
        EXPECT_NE(ours.error().message.find("--query"), std::string::npos);
        ++agreed;
      }
      continue;
    }
    ASSERT_TRUE(ours.ok()) << kExpressions[i] << ": " << ours.error().message;
    if (SameJson(*ours, expected.at("ok"))) {
      ++agreed;
      continue;
    }
    ADD_FAILURE() << kExpressions[i] << ": we answered " << json::serialize(*ours)
                  << ", python " << json::serialize(expected.at("ok"));
  }
  EXPECT_EQ(agreed, static_cast<int>(kExpressions.size()));
}

TEST(QueryTest, SyntaxErrorsPointAtTheColumn) {
  const auto error = ApplyQuery(json::parse("{}"), "properties.[?x");
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.error().message.find("column"), std::string::npos) << error.error().message;
  EXPECT_NE(error.error().message.find("properties.[?x"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::cli

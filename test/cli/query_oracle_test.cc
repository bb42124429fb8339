// --query against python3-jmespath, the library az evaluates --query with: each expression's
// result (or its failure) must be the same.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "cli/output.h"
#include "query/jmespath.h"
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
    // jmespath.py's own readings, which az users get
    "`[[{\"a\": 1}, {\"a\": 2}]]`[0][0:2].a", "`[[null, 1]]`[0][0:2]", "numbers[0:3][1]",
    "map(&maxPods, properties.agentPoolProfiles)", "map(&nodeLabels, properties.agentPoolProfiles)",
    "max_by(`[{\"a\": 1, \"b\": 1}, {\"a\": 1, \"b\": 2}]`, &a)", "max(`[1, 1.0]`)",
    "min(`[1.0, 1]`)", "sum(`[1.5, 1.5]`)", "sum(`[1, 2]`)", "abs(`-2.0`)", "abs(`-2`)",
    "floor(`2.0`)", "avg(`[2, 4]`)", "to_number('+5')", "to_number('.5')", "to_number('012')",
    "to_number('1_000')", "to_number(' 7 ')", "to_number('1e3')", "to_number('_1')",
"to_string(`[\"caf\u00e9\", 1.5, 100000.0, 1e16, 0.0001]`)",
    "to_string(`{\"a\": [true, null]}`)", "`\\\\`", "`a\\nb`", "`  spaced`",
    "[99999999999999999999]", "numbers[-99999999999999999999]", "numbers[1::9223372036854775807]",
    "numbers[::-9223372036854775807]", "numbers[99999999999999999999:]",
    "`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`",
    // errors: both must refuse
    "name.", "[0", "properties.agentPoolProfiles[?mode=='User'", "foo(", "length(name, name)",
    "nofunction(name)", "length(`1`)", "sort(`[1, \"a\"]`)", "a = 'b'", "numbers[1:2:0]", "name[1:2:0]", "{a}",
    "'unterminated", "`{bad`x", "]", "a..b", "sum(words)", "join(',', numbers)",
    "\"quoted\"(name)", "abs(name)", "keys(numbers)", "a[?b]]", "name | ", "#",
    "`{\"a\": `", "`foo\"bar`", "merge()", "map(name, words)", "a ||", "(", "length(",
    "[0].\u00e9",
};

// Equal as JSON, with key order free.
bool SameJson(const json::value& a, const json::value& b) {
  const auto number = [](const json::value& v) { return v.is_number(); };
  // Integers and floats stay what they are, as in Python (3 is not 3.0).
  if (number(a) && number(b))
    return a.is_double() == b.is_double() && a.to_number<double>() == b.to_number<double>();
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
  json::parse_options deep;
  deep.max_depth = 256;
  const json::value expected_all = json::parse(run.out, {}, deep);
  const json::value document = json::parse(kDocument);
  ASSERT_EQ(expected_all.as_array().size(), kExpressions.size());
  int agreed = 0;
  for (std::size_t i = 0; i < kExpressions.size(); ++i) {
    const auto& expected = expected_all.as_array()[i].as_object();
    const auto ours = query::ApplyQuery(document, kExpressions[i]);
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

// YAML output read back by PyYAML (what az users' scripts read YAML with) gives the same values:
// no string turns into a date, a number, a boolean or a special key.
TEST(OutputOracleTest, YamlReadsBackAsTheSameValuesInPyYaml) {
  json::array strings;
  for (const char* text :
       {"2024-01-01", "2001-12-14t21:59:43.10-05:00", "1:20", "1_000", "0b101", "0x1F", "0o17", "017",
        "1e3", ".5", "-", "-1", "+1", "<<", "=", "true", "yes", "Off", "~", "null", "NULL", "",
        "1.27.7", "café", "a: b", "#x", "[x]", "{x}", "*a", "&a", "!t", "|", ">", "'q'", "\"q\"",
        "%x", "@x", "`x", " lead", "trail ", "two\nlines", "tab\there", "?"}) {
    strings.emplace_back(text);
  }
  json::object keyed;
  for (const auto& text : strings) keyed[text.as_string()] = text;
  const json::value document = json::object{{"list", strings}, {"keys", keyed}, {"number", 2.5},
                                            {"big", 1e16}, {"int", 7}, {"flag", false}};
  TempDir dir;
  testing::WriteTestFile(dir.Join("out.yaml"), RenderOutput(document, OutputFormat::kYaml));
  const auto run = RunProgram(
      {"/usr/bin/python3", "-c",
       "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
       dir.Join("out.yaml")});
  ASSERT_EQ(run.exit_code, 0) << "Debian's python3-yaml is needed: " << run.err;
  const json::value read_back = json::parse(run.out);
  EXPECT_TRUE(SameJson(read_back, document)) << testing::ReadTestFile(dir.Join("out.yaml"));
}

TEST(QueryTest, DeepOrLongExpressionsAreRefusedNotCrashed) {
  const json::value document = json::parse(R"({"a": 1})");
  for (const std::string& expression :
       {std::string(20000, '(') + "@" + std::string(20000, ')'), std::string(60000, '!') + "a",
        [] {
          std::string chain = "a";
          for (int i = 0; i < 20000; ++i) chain += ".a";
          return chain;
        }(),
        [] {
          std::string pipes = "@";
          for (int i = 0; i < 60000; ++i) pipes += "|@";
          return pipes;
        }()}) {
    const auto result = query::ApplyQuery(document, expression);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("--query"), std::string::npos);
  }
  // At the limits, still answered.
  std::string nested = std::string(90, '(') + "a" + std::string(90, ')');
  EXPECT_EQ(query::ApplyQuery(document, nested).value(), json::value(1));
}

TEST(QueryTest, AnExpressionThatStopsSaysSo) {
  for (const char* expression : {"a ||", "(", "length(", "a."}) {
    const auto result = query::ApplyQuery(json::value(), expression);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("unexpected end"), std::string::npos)
        << expression << ": " << result.error().message;
  }
}

TEST(QueryTest, SyntaxErrorsPointAtTheColumn) {
  const auto error = query::ApplyQuery(json::parse("{}"), "properties.[?x");
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.error().message.find("column"), std::string::npos) << error.error().message;
  EXPECT_NE(error.error().message.find("properties.[?x"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::cli

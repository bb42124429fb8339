// Output renderers: the shapes az users expect from json, table, tsv and yaml.
#include "cli/output.h"
#include "common/python_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace gangplank::cli {
namespace {
namespace json = boost::json;

const json::value kRows = json::array{
    json::object{{"name", "pool1"}, {"count", 3}, {"tags", json::object{{"a", "b"}}}},
    json::object{{"name", "longer-name"}, {"count", 12}, {"tags", json::object{}}},
};

// As az's json.dumps(sort_keys=True, indent=2): keys sorted by code point, at every level.
TEST(OutputTest, JsonIsIndentedWithKeysSortedAsAzPrintsThem) {
  EXPECT_EQ(RenderOutput(json::object{{"b", 1},
                                      {"a", json::array{true, nullptr, json::object{{"z", 1},
                                                                                   {"B", 2}}}}},
                         OutputFormat::kJson),
            "{\n  \"a\": [\n    true,\n    null,\n    {\n      \"B\": 2,\n      \"z\": 1\n    }\n  "
            "],\n  \"b\": 1\n}\n");
  EXPECT_EQ(json::parse(RenderOutput(kRows, OutputFormat::kJson)), kRows);
}

// The expected texts below are what az's output library (knack, with tabulate) prints for the
// same values: _TableOutput(...).dump and _TsvOutput.dump, run with Debian's python3-knack.
TEST(OutputTest, TableHasTitledColumnsOfScalarsOnly) {
  EXPECT_EQ(RenderOutput(kRows, OutputFormat::kTable),
            "Count    Name\n"
            "-------  -----------\n"
            "3        pool1\n"
            "12       longer-name\n");
  // A query's rows keep their order.
  EXPECT_EQ(RenderOutput(kRows, OutputFormat::kTable, RenderHints{true, true}),
            "Name         Count\n"
            "-----------  -------\n"
            "pool1        3\n"
            "longer-name  12\n");
  // id, type and null members are left out; booleans and floats as Python writes them; the
  // columns are every row's.
  const json::value mixed = json::parse(R"({"id": "/x", "name": "c1", "enabled": true,
      "off": false, "none": null, "pools": [1, 2], "profile": {"a": 1}, "price": -1.0,
      "type": "T"})");
  EXPECT_EQ(RenderOutput(mixed, OutputFormat::kTable),
            "Enabled    Name    Off    Price\n---------  ------  -----  -------\n"
            "True       c1      False  -1.0\n");
  EXPECT_EQ(RenderOutput(json::parse(R"([{"a": "x"}, {"b": "y", "a": "z"}])"), OutputFormat::kTable,
                         RenderHints{true, false}),
            "A    B\n---  ---\nx\nz    y\n");
}

TEST(OutputTest, TsvHasNoHeader) {
  EXPECT_EQ(RenderOutput(kRows, OutputFormat::kTsv), "3\tpool1\t\n12\tlonger-name\t\n");
  const json::value mixed = json::parse(R"({"id": "/x", "name": "c1", "enabled": true,
      "off": false, "none": null, "pools": [1, 2], "profile": {"a": 1}, "price": -1.0,
      "type": "T"})");
  EXPECT_EQ(RenderOutput(mixed, OutputFormat::kTsv), "True\t/x\tc1\tNone\tFalse\t2\t-1.0\t\tT\n");
  // A multiselect hash keeps its order.
  EXPECT_EQ(RenderOutput(json::parse(R"({"z": 1, "a": null, "m": true})"), OutputFormat::kTsv,
                         RenderHints{true, true}),
            "1\tNone\tTrue\n");
  EXPECT_EQ(RenderOutput(json::parse("[true, null, 2.0]"), OutputFormat::kTsv), "true\nNone\n2.0\n");
}

TEST(OutputTest, ScalarsAndListsOfQueryResultsAreRowsAsInAz) {
  const json::value names = json::parse(R"(["pool1", "tools"])");
  EXPECT_EQ(RenderOutput(names, OutputFormat::kTsv), "pool1\ntools\n");
  EXPECT_EQ(RenderOutput(names, OutputFormat::kTable), "Result\n--------\npool1\ntools\n");
  const json::value pairs = json::parse(R"([["pool1", 3], ["tools", 1.5]])");
  EXPECT_EQ(RenderOutput(pairs, OutputFormat::kTsv), "pool1\t3\ntools\t1.5\n");
  EXPECT_EQ(RenderOutput(pairs, OutputFormat::kTable),
            "Column1    Column2\n---------  ---------\npool1      3\ntools      1.5\n");
  EXPECT_EQ(RenderOutput(json::value(2.0), OutputFormat::kJson), "2.0\n");
  // Floats as Python's repr() (and so az) writes them.
  for (const auto& [number, text] : std::vector<std::pair<double, std::string>>{
           {100000.0, "100000.0"}, {0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e-5, "1.5e-05"},
           {1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {-2.5, "-2.5"}, {123.456, "123.456"},
           {0.1, "0.1"}, {3e6, "3000000.0"}, {-0.0, "-0.0"}, {1.0 / 3, "0.3333333333333333"}}) {
    EXPECT_EQ(CompactJson(json::value(number)), text) << number;
  }
  EXPECT_EQ(RenderOutput(json::value("c1"), OutputFormat::kTable), "Result\n--------\nc1\n");
}

TEST(OutputTest, InvalidUtf8StillMakesValidJsonAndTablesAlignByCharacter) {
  const json::value bad = json::object{{"comment", "ok\xff\xc3(\xed\xa0\x80"}};
  const std::string rendered = RenderOutput(bad, OutputFormat::kJson);
  boost::system::error_code ec;
  const json::value parsed = json::parse(rendered, ec);
  ASSERT_FALSE(ec) << rendered;
  EXPECT_EQ(parsed.at("comment"), json::value("ok\xEF\xBF\xBD\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"));
  const json::value names = json::parse(R"([{"name": "café", "n": 1}, {"name": "cafe", "n": 2}])");
  EXPECT_EQ(RenderOutput(names, OutputFormat::kTable),
            "N    Name\n---  ------\n1    café\n2    cafe\n");
  EXPECT_EQ(RenderOutput(json::value(), OutputFormat::kTable), "");
  EXPECT_EQ(RenderOutput(json::value(), OutputFormat::kTsv), "");
}

TEST(OutputTest, YamlQuotesWhatNeedsQuoting) {
  const std::string yaml =
      RenderOutput(json::object{{"comment", "a: b"}, {"count", 2}, {"n", 3}}, OutputFormat::kYaml);
  // A key "n" reads as false in YAML 1.1 readers (Go's yaml.v2 among them): quoted, as a value is.
  EXPECT_EQ(yaml, "comment: \"a: b\"\ncount: 2\n'n': 3\n");
}

TEST(OutputTest, YamlQuotesStringsThatWouldReadAsOtherTypes) {
  const std::string yaml = RenderOutput(
      json::object{
          {"a", "true"}, {"b", "123"}, {"c", "no"}, {"d", "null"}, {"e", "1e3"}, {"f", "ok"}},
      OutputFormat::kYaml);
  EXPECT_EQ(yaml, "a: 'true'\nb: '123'\nc: 'no'\nd: 'null'\ne: 1e3\nf: ok\n");
  // As PyYAML (and so az) writes them: what its YAML 1.1 resolvers would read as another type is
  // single-quoted, the rest stays plain (yaml.safe_dump, Debian's python3-yaml).
  const std::string more = RenderOutput(
      json::object{{"g", "1.25.6"}, {"h", "4e2cda78-3c"}, {"i", "1:20"}, {"j", "2023-01-01"},
                   {"k", "0x1f"}, {"m", ""}, {"o", "~"}, {"p", "="}, {"q", "1_000"}, {"r", ".5"},
                   {"s", "+1"}, {"u", "1.5"}, {"v", "017"}, {"w", "12:30:45"}},
      OutputFormat::kYaml);
  EXPECT_EQ(more,
            "g: 1.25.6\nh: 4e2cda78-3c\ni: '1:20'\nj: '2023-01-01'\nk: '0x1f'\nm: ''\no: '~'\n"
            "p: '='\nq: '1_000'\nr: '.5'\ns: '+1'\nu: '1.5'\nv: '017'\nw: '12:30:45'\n");
}

// PyYAML's block layout (yaml.safe_dump(x, default_flow_style=False), Debian's python3-yaml):
// sequences under a key are not indented, a mapping in a sequence starts on the "- " line, and a
// lone scalar ends its document.
TEST(OutputTest, YamlHasPyYamlsLayout) {
  const json::value nested = json::parse(R"({"a": [["x", "z"], {"k": 1, "j": [1, 2]}],
      "b": {}, "c": [], "f": {"g": {"h": 1}}})");
  EXPECT_EQ(RenderOutput(nested, OutputFormat::kYaml),
            "a:\n- - x\n  - z\n- j:\n  - 1\n  - 2\n  k: 1\nb: {}\nc: []\nf:\n  g:\n    h: 1\n");
  EXPECT_EQ(RenderOutput(json::parse(R"([{"a": 1, "b": 2}, "x"])"), OutputFormat::kYaml),
            "- a: 1\n  b: 2\n- x\n");
  EXPECT_EQ(RenderOutput(json::value("c1"), OutputFormat::kYaml), "c1\n...\n");
  EXPECT_EQ(RenderOutput(json::value(nullptr), OutputFormat::kYaml), "null\n...\n");
  EXPECT_EQ(RenderOutput(json::array(), OutputFormat::kYaml), "[]\n");
}

TEST(OutputTest, TsvAndTableCellsEscapeControlCharacters) {
  const json::value rows = json::array{json::object{{"comment", "a\tb\nc\x1b"}, {"n", 1}}};
  EXPECT_EQ(RenderOutput(rows, OutputFormat::kTsv), "a\\tb\\nc\\033\t1\n");
  // In a table a tab would shift the columns after it: escaped as well.
  EXPECT_NE(RenderOutput(rows, OutputFormat::kTable).find("a\\tb\\nc\\033"), std::string::npos);
  // C1 controls and bidirectional overrides too, in every format; JSON and YAML keep the value.
  const json::value text = json::value("x\xc2\x9b" "2J\xe2\x80\xae" "y");
  EXPECT_EQ(RenderOutput(text, OutputFormat::kTsv), "x\\u009b2J\\u202ey\n");
  EXPECT_EQ(RenderOutput(text, OutputFormat::kJson), "\"x\\u009b2J\\u202ey\"\n");
  EXPECT_EQ(json::parse(RenderOutput(text, OutputFormat::kJson)), text);
  EXPECT_EQ(RenderOutput(json::object{{"k", text}}, OutputFormat::kYaml), "k: \"x\\x9b2J\\u202ey\"\n");
}

TEST(OutputTest, UnknownFormatIsAClearError) {
  auto format = ParseOutputFormat("xml");
  ASSERT_FALSE(format.ok());
  EXPECT_NE(format.error().message.find("json, jsonc, table, tsv, yaml, yamlc or none"),
            std::string::npos);
  EXPECT_EQ(*ParseOutputFormat("JSONC"), OutputFormat::kJson);  // az reads -o case-insensitively
  EXPECT_EQ(*ParseOutputFormat("yamlc"), OutputFormat::kYaml);
}

}  // namespace
}  // namespace gangplank::cli

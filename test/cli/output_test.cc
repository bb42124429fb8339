// Output renderers: the shapes az users expect from json, table, tsv and yaml.
#include "cli/output.h"

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

TEST(OutputTest, TableHasTitledColumnsOfScalarsOnly) {
  EXPECT_EQ(RenderOutput(kRows, OutputFormat::kTable),
            "Name         Count\n"
            "-----------  -----\n"
            "pool1        3\n"
            "longer-name  12\n");
}

TEST(OutputTest, TsvHasNoHeader) {
  EXPECT_EQ(RenderOutput(kRows, OutputFormat::kTsv), "pool1\t3\nlonger-name\t12\n");
}

TEST(OutputTest, ScalarsAndListsOfQueryResultsAreRowsAsInAz) {
  const json::value names = json::parse(R"(["pool1", "tools"])");
  EXPECT_EQ(RenderOutput(names, OutputFormat::kTsv), "pool1\ntools\n");
  EXPECT_EQ(RenderOutput(names, OutputFormat::kTable), "Result\n------\npool1\ntools\n");
  const json::value pairs = json::parse(R"([["pool1", 3], ["tools", 1.5]])");
  EXPECT_EQ(RenderOutput(pairs, OutputFormat::kTsv), "pool1\t3\ntools\t1.5\n");
  EXPECT_EQ(RenderOutput(pairs, OutputFormat::kTable),
            "Column1  Column2\n-------  -------\npool1    3\ntools    1.5\n");
  EXPECT_EQ(RenderOutput(json::value(2.0), OutputFormat::kJson), "2.0\n");
  // Floats as Python's repr() (and so az) writes them.
  for (const auto& [number, text] : std::vector<std::pair<double, std::string>>{
           {100000.0, "100000.0"}, {0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e-5, "1.5e-05"},
           {1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {-2.5, "-2.5"}, {123.456, "123.456"},
           {0.1, "0.1"}, {3e6, "3000000.0"}, {-0.0, "-0.0"}, {1.0 / 3, "0.3333333333333333"}}) {
    EXPECT_EQ(CompactJson(json::value(number)), text) << number;
  }
  EXPECT_EQ(RenderOutput(json::value("c1"), OutputFormat::kTable), "Result\n------\nc1\n");
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
            "Name  N\n----  -\ncafé  1\ncafe  2\n");
  EXPECT_EQ(RenderOutput(json::value(), OutputFormat::kTable), "");
  EXPECT_EQ(RenderOutput(json::value(), OutputFormat::kTsv), "");
}

TEST(OutputTest, YamlQuotesWhatNeedsQuoting) {
  const std::string yaml =
      RenderOutput(json::object{{"comment", "a: b"}, {"count", 2}, {"n", 3}}, OutputFormat::kYaml);
  // A key "n" reads as false in YAML 1.1 readers (Go's yaml.v2 among them): quoted, as a value is.
  EXPECT_EQ(yaml, "comment: \"a: b\"\ncount: 2\n\"n\": 3\n");
}

TEST(OutputTest, YamlQuotesStringsThatWouldReadAsOtherTypes) {
  const std::string yaml = RenderOutput(
      json::object{
          {"a", "true"}, {"b", "123"}, {"c", "no"}, {"d", "null"}, {"e", "1e3"}, {"f", "ok"}},
      OutputFormat::kYaml);
  EXPECT_EQ(yaml, "a: \"true\"\nb: \"123\"\nc: \"no\"\nd: \"null\"\ne: \"1e3\"\nf: ok\n");
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

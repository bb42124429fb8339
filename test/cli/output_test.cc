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

TEST(OutputTest, JsonIsIndentedAndKeepsOrder) {
  EXPECT_EQ(
      RenderOutput(json::object{{"b", 1}, {"a", json::array{true, nullptr}}}, OutputFormat::kJson),
      "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null\n  ]\n}\n");
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
  EXPECT_EQ(RenderOutput(json::value("c1"), OutputFormat::kTable), "Result\n------\nc1\n");
}

TEST(OutputTest, YamlQuotesWhatNeedsQuoting) {
  const std::string yaml =
      RenderOutput(json::object{{"comment", "a: b"}, {"n", 2}}, OutputFormat::kYaml);
  EXPECT_EQ(yaml, "comment: \"a: b\"\nn: 2\n");
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
  EXPECT_NE(RenderOutput(rows, OutputFormat::kTable).find("a\tb\\nc\\033"), std::string::npos);
}

TEST(OutputTest, UnknownFormatIsAClearError) {
  auto format = ParseOutputFormat("xml");
  ASSERT_FALSE(format.ok());
  EXPECT_NE(format.error().message.find("json, table, tsv, yaml or none"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::cli

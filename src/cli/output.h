// Command output in the formats `az` offers: json (default), table, tsv, yaml.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::cli {

enum class OutputFormat { kJson, kTable, kTsv, kYaml, kNone };

Result<OutputFormat> ParseOutputFormat(std::string_view name);

// json: indented like az; table: one row per object with a column per scalar field; tsv: the same
// scalars, tab-separated, no header; yaml: block style; none: nothing. Ends with a newline.
// One line of JSON with numbers as Python (and so az) prints them.
std::string CompactJson(const boost::json::value& value);

std::string RenderOutput(const boost::json::value& value, OutputFormat format);

}  // namespace gangplank::cli

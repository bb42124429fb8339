// Command output in the formats `az` offers: json (default), table, tsv, yaml.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::cli {

enum class OutputFormat { kJson, kTable, kTsv, kYaml, kNone };

Result<OutputFormat> ParseOutputFormat(std::string_view name);

// json: indented like az, keys sorted; table: one row per object with a column per scalar field
// that is not null; tsv: a row per item, tab-separated, no header; yaml: block style; none:
// nothing. Ends with a newline.

// What az's output depends on besides the value (knack's rules): a table's columns are sorted by
// key unless a --query (or the command's table transform) made the rows; TSV sorts an object's
// values by key unless they come from a multiselect hash ({a: x, b: y}), whose order stays.
struct RenderHints {
  bool query_active = false;
  bool multiselect = false;
};

std::string RenderOutput(const boost::json::value& value, OutputFormat format,
                         RenderHints hints = {});

}  // namespace gangplank::cli

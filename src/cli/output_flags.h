// `-o/--output` and `--query` on every command that prints a result, checked before it runs.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "cli/cli_context.h"

namespace gangplank::cli {

struct OutputFlags {
  std::string output = "json";
  std::string query;  // JMESPath; empty: the whole result
  // The command's own table (az's table_transformer) as JMESPath, used by -o table without
  // --query; null: the generic table.
  const char* table_query = nullptr;
  // gangplank's own shapes (machines, login events, keys, status), which az does not print: their
  // columns and TSV fields stay in the order the command made them, as a table transform's do.
  bool own_order = false;
};

// The flags of a command that prints a shape of gangplank's own.
inline OutputFlags OwnShapeOutput() {
  OutputFlags flags;
  flags.own_order = true;
  return flags;
}

// Both options are validated at parse time, so a typo fails before anything is sent.
void AddOutputFlags(CLI::App& command, OutputFlags& flags);

// Applies --query, renders in --output, writes to context.out. kExitFailure when the query
// cannot be evaluated against this result (a function given the wrong kind of value).
int PrintOutput(CliContext& context, const boost::json::value& value, const OutputFlags& flags);

}  // namespace gangplank::cli

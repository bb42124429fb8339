// Output flags shared by every printing command.
#include "cli/output_flags.h"

#include "cli/output.h"
#include "query/jmespath.h"

namespace gangplank::cli {

void AddOutputFlags(CLI::App& command, OutputFlags& flags) {
  command
      .add_option("-o,--output", flags.output,
                  "Output format: json (default), jsonc, table, tsv, yaml, yamlc or none")
      ->check(CLI::IsMember({"json", "jsonc", "table", "tsv", "yaml", "yamlc", "none"},
                            CLI::ignore_case))
      ->group("Global Arguments");
  command
      .add_option("--query", flags.query,
                  "JMESPath query, as az's: e.g. \"[].{name:name, count:count}\" or "
                  "\"[?latestModelApplied==`false`].name\"")
      ->check(CLI::Validator(
          [](const std::string& expression) {
            Status valid = query::ValidateQuery(expression);
            if (valid.ok()) return std::string();
            // CLI11 names the option itself.
            const std::string& message = valid.error().message;
            return message.starts_with("--query: ") ? message.substr(9) : message;
          },
          "JMESPATH"))
      ->group("Global Arguments");
}

int PrintOutput(CliContext& context, const boost::json::value& value, const OutputFlags& flags) {
  const auto parsed = ParseOutputFormat(flags.output);  // checked at parse time
  const OutputFormat format = parsed ? *parsed : OutputFormat::kJson;
  // As az: a command's table transform applies to a table when no --query is given.
  std::string query = flags.query;
  if (query.empty() && format == OutputFormat::kTable && flags.table_query)
    query = flags.table_query;
  if (query.empty()) {
    context.out << RenderOutput(value, format, RenderHints{flags.own_order, flags.own_order});
    return kExitOk;
  }
  auto selected = query::ApplyQuery(value, query);
  if (!selected) {
    PrintError(context, selected.error().message);
    return kExitFailure;
  }
  // A query whose last step is a multiselect hash ({a: x}) gives objects in its own order (az
  // reads them as Python's OrderedDict).
  const std::size_t end = query.find_last_not_of(" \t");
  const bool multiselect = end != std::string::npos && query[end] == '}';
  context.out << RenderOutput(*selected, format, RenderHints{true, multiselect});
  return kExitOk;
}

}  // namespace gangplank::cli

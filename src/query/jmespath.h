// `--query`: the JMESPath language az uses, for the parts people write on the command line
// (fields, indexes, slices, projections, filters, multiselects, pipes, every built-in function).
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

#include "common/error.h"

namespace gangplank::query {

// Evaluates `expression` against `document`. A syntax error, or a function given the wrong
// number or kind of arguments, is an InvalidArgument error that points at the offending column.
Result<boost::json::value> ApplyQuery(const boost::json::value& document,
                                      std::string_view expression);

// Only parses: for checking --query before a command changes anything.
Status ValidateQuery(std::string_view expression);

}  // namespace gangplank::query

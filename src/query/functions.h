// JMESPath's built-in functions, one table: name, arity and what each does.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "query/syntax.h"

namespace gangplank::query {

// One call: its arguments evaluated, and per argument the &expression it was, if any (sort_by,
// max_by, min_by and map evaluate those themselves, with `eval`).
struct FunctionCall {
  std::string_view name;
  std::vector<boost::json::value> args;
  std::vector<const Node*> exprefs;
  std::function<Result<boost::json::value>(const Node&, const boost::json::value&)> eval;
};

// The function's result, or InvalidArgument for an unknown function, a wrong number of
// arguments or an argument of the wrong type.
Result<boost::json::value> CallFunction(const FunctionCall& call);

}  // namespace gangplank::query

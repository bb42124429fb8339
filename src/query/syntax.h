// The JMESPath syntax tree, and the parser that makes it (jmespath.py's grammar and binding powers).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace gangplank::query {

enum class Kind {
  kIdentity, kCurrent, kField, kLiteral, kSubexpression, kIndexExpression, kIndex, kSlice,
  kProjection, kValueProjection, kFilterProjection, kFlatten, kComparator, kAnd, kOr, kNot,
  kMultiList, kMultiHash, kPipe, kFunction, kExpref,
};

struct Node {
  Kind kind;
  std::string name;        // field, function, comparator, hash key
  boost::json::value literal;
  std::vector<std::optional<std::int64_t>> slice;  // start, stop, step
  std::int64_t index = 0;
  std::vector<std::unique_ptr<Node>> children;
};
using NodePtr = std::unique_ptr<Node>;

// The tree of `expression`, or InvalidArgument naming the column and showing the expression.
Result<NodePtr> Parse(std::string_view expression);

}  // namespace gangplank::query

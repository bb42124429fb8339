// The JMESPath tree walk, with the specification's projection and truthiness rules; functions are
// in functions.cc. The oracle test compares it with python3-jmespath (the library az uses).
#include <boost/json.hpp>
#include <cmath>

#include "query/functions.h"
#include "query/jmespath.h"
#include "query/syntax.h"
#include "query/values.h"

namespace gangplank::query {
namespace json = boost::json;
namespace {

class Evaluator {
 public:
  Result<json::value> Eval(const Node& node, const json::value& value) {
    switch (node.kind) {
      case Kind::kIdentity:
      case Kind::kCurrent: return value;
      case Kind::kField: {
        if (!value.is_object()) return json::value();
        const auto* member = value.get_object().if_contains(node.name);
        return member ? *member : json::value();
      }
      case Kind::kLiteral: return node.literal;
      case Kind::kSubexpression:
      case Kind::kPipe: {
        auto left = Eval(*node.children[0], value);
        if (!left) return left;
        return Eval(*node.children[1], *left);
      }
      case Kind::kIndexExpression: {
        json::value result = value;
        for (const auto& child : node.children) {
          auto next = Eval(*child, result);
          if (!next) return next;
          result = std::move(*next);
        }
        return result;
      }
      case Kind::kIndex: {
        if (!value.is_array()) return json::value();
        const auto& array = value.get_array();
        const auto size = static_cast<std::int64_t>(array.size());
        const std::int64_t at = node.index < 0 ? size + node.index : node.index;
        if (at < 0 || at >= size) return json::value();
        return array[static_cast<std::size_t>(at)];
      }
      case Kind::kSlice: return Slice(node, value);
      case Kind::kProjection:
      case Kind::kValueProjection: {
        auto base = Eval(*node.children[0], value);
        if (!base) return base;
        json::array items;
        if (node.kind == Kind::kProjection) {
          if (!base->is_array()) return json::value();
          items = base->get_array();
        } else {
          if (!base->is_object()) return json::value();
          for (const auto& [key, member] : base->get_object()) items.push_back(member);
        }
        return Project(*node.children[1], items, nullptr);
      }
      case Kind::kFilterProjection: {
        auto base = Eval(*node.children[0], value);
        if (!base) return base;
        if (!base->is_array()) return json::value();
        return Project(*node.children[1], base->get_array(), node.children[2].get());
      }
      case Kind::kFlatten: {
        auto base = Eval(*node.children[0], value);
        if (!base) return base;
        if (!base->is_array()) return json::value();
        json::array flat;
        for (const auto& element : base->get_array()) {
          if (element.is_array()) {
            for (const auto& inner : element.get_array()) flat.push_back(inner);
          } else {
            flat.push_back(element);
          }
        }
        return json::value(std::move(flat));
      }
      case Kind::kComparator: return Compare(node, value);
      case Kind::kAnd:
      case Kind::kOr: {
        auto left = Eval(*node.children[0], value);
        if (!left) return left;
        if (Truthy(*left) == (node.kind == Kind::kOr)) return left;
        return Eval(*node.children[1], value);
      }
      case Kind::kNot: {
        auto operand = Eval(*node.children[0], value);
        if (!operand) return operand;
        return json::value(!Truthy(*operand));
      }
      case Kind::kMultiList:
      case Kind::kMultiHash: {
        if (value.is_null()) return json::value();
        json::array list;
        json::object hash;
        for (std::size_t i = 0; i < node.children.size(); ++i) {
          auto item = Eval(*node.children[i], value);
          if (!item) return item;
          if (node.kind == Kind::kMultiList) {
            list.push_back(std::move(*item));
          } else {
            hash[node.literal.get_array()[i].get_string()] = std::move(*item);
          }
        }
        return node.kind == Kind::kMultiList ? json::value(std::move(list))
                                             : json::value(std::move(hash));
      }
      case Kind::kFunction: return Call(node, value);
      case Kind::kExpref:
        return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                         "--query: '&expression' is only meaningful as a function argument");
    }
    return json::value();
  }

 private:
  Result<json::value> Project(const Node& right, const json::array& items, const Node* condition) {
    json::array out;
    for (const auto& item : items) {
      if (condition) {
        auto keep = Eval(*condition, item);
        if (!keep) return keep;
        if (!Truthy(*keep)) continue;
      }
      auto projected = Eval(right, item);
      if (!projected) return projected;
      if (!projected->is_null()) out.push_back(std::move(*projected));
    }
    return json::value(std::move(out));
  }

  static Result<json::value> Slice(const Node& node, const json::value& value) {
    if (!value.is_array()) return json::value();
    const auto& array = value.get_array();
    const auto size = static_cast<std::int64_t>(array.size());
    const std::int64_t step = node.slice[2].value_or(1);
    if (step == 0)
      return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                       "--query: a slice's step cannot be 0");
    // Python's slice.indices().
    const auto clamp = [&](std::optional<std::int64_t> given, std::int64_t fallback) {
      if (!given) return fallback;
      std::int64_t at = *given;
      if (at < 0) at += size;
      if (at < 0) return step < 0 ? std::int64_t{-1} : std::int64_t{0};
      if (at >= size) return step < 0 ? size - 1 : size;
      return at;
    };
    const std::int64_t start = clamp(node.slice[0], step < 0 ? size - 1 : 0);
    const std::int64_t stop = clamp(node.slice[1], step < 0 ? -1 : size);
    json::array out;
    // Stops before `i += step` could overflow (a step of 2^63-1 is a valid query).
    for (std::int64_t i = start; step > 0 ? i < stop : i > stop;) {
      out.push_back(array[static_cast<std::size_t>(i)]);
      const auto left = static_cast<std::uint64_t>(step > 0 ? stop - i : i - stop);
      const std::uint64_t stride = step > 0 ? static_cast<std::uint64_t>(step)
                                            : std::uint64_t{0} - static_cast<std::uint64_t>(step);
      if (left <= stride) break;
      i += step;
    }
    return json::value(std::move(out));
  }

  Result<json::value> Compare(const Node& node, const json::value& value) {
    auto left = Eval(*node.children[0], value);
    if (!left) return left;
    auto right = Eval(*node.children[1], value);
    if (!right) return right;
    if (node.name == "==") return json::value(Equal(*left, *right));
    if (node.name == "!=") return json::value(!Equal(*left, *right));
    // Like jmespath.py (and so az), strings order too; mixed kinds have no order.
    if (left->is_string() && right->is_string()) {
      const int order = std::string_view(left->get_string()).compare(right->get_string());
      if (node.name == "<") return json::value(order < 0);
      if (node.name == "<=") return json::value(order <= 0);
      if (node.name == ">") return json::value(order > 0);
      return json::value(order >= 0);
    }
    if (!left->is_number() || !right->is_number()) return json::value();
    const double a = AsDouble(*left), b = AsDouble(*right);
    if (node.name == "<") return json::value(a < b);
    if (node.name == "<=") return json::value(a <= b);
    if (node.name == ">") return json::value(a > b);
    return json::value(a >= b);
  }

  // A function call: its arguments evaluated (an &expression stays a tree for the function).
  Result<json::value> Call(const Node& node, const json::value& value) {
    FunctionCall call{node.name, {}, {}, [this](const Node& expression, const json::value& on) {
                        return Eval(expression, on);
                      }};
    for (const auto& child : node.children) {
      if (child->kind == Kind::kExpref) {
        call.exprefs.push_back(child->children[0].get());
        call.args.emplace_back();
        continue;
      }
      call.exprefs.push_back(nullptr);
      GP_ASSIGN_OR_RETURN(json::value argument, Eval(*child, value));
      call.args.push_back(std::move(argument));
    }
    return CallFunction(call);
  }
};

}  // namespace

Status ValidateQuery(std::string_view expression) {
  GP_ASSIGN_OR_RETURN(const NodePtr tree, Parse(expression));
  return OkStatus();
}

Result<json::value> ApplyQuery(const json::value& document, std::string_view expression) {
  GP_ASSIGN_OR_RETURN(const NodePtr tree, Parse(expression));
  Evaluator evaluator;
  return evaluator.Eval(*tree, document);
}

}  // namespace gangplank::query

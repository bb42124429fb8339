// A JMESPath evaluator: a lexer, a Pratt parser with the reference implementation's binding
// powers, and a tree walk with the specification's projection and truthiness rules. The test
// compares it with python3-jmespath (the library az itself uses) expression by expression.
#include "cli/query.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <boost/json.hpp>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/output.h"
#include "common/text.h"

namespace gangplank::cli {
namespace json = boost::json;
namespace {

enum class Tok {
  kEof, kIdentifier, kQuotedIdentifier, kRawString, kLiteral, kNumber, kDot, kStar, kFlatten,
  kFilter, kLbracket, kRbracket, kLbrace, kRbrace, kLparen, kRparen, kComma, kColon, kPipe, kOr,
  kAnd, kNot, kEq, kNe, kLt, kLe, kGt, kGe, kCurrent, kExpref,
};

struct Token {
  Tok kind;
  std::string text;   // identifier / string contents, literal JSON, number digits
  std::size_t column;
};

// How tightly each token binds to the expression on its left (jmespath.py's table).
int BindingPower(Tok kind) {
  switch (kind) {
    case Tok::kPipe: return 1;
    case Tok::kOr: return 2;
    case Tok::kAnd: return 3;
    case Tok::kEq: case Tok::kNe: case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe:
      return 5;
    case Tok::kFlatten: return 9;
    case Tok::kStar: return 20;
    case Tok::kFilter: return 21;
    case Tok::kDot: return 40;
    case Tok::kNot: return 45;
    case Tok::kLbrace: return 50;
    case Tok::kLbracket: return 55;
    case Tok::kLparen: return 60;
    default: return 0;
  }
}

Error SyntaxError(std::string_view expression, std::size_t column, const std::string& what) {
  return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                   "--query: " + what + " at column " + std::to_string(column + 1) + " of '" +
                       std::string(expression) + "'");
}

// Reads a JSON string body starting after the opening quote; `quote` ends it.
Result<std::string> QuotedText(std::string_view in, std::size_t& i, char quote, bool json_escapes) {
  const std::size_t start = i - 1;
  std::string raw;
  while (i < in.size() && in[i] != quote) {
    if (in[i] == '\\' && i + 1 < in.size()) {
      if (!json_escapes) {
        // Raw strings only unescape their own quote; every other backslash stays.
        if (in[i + 1] == quote) {
          raw.push_back(quote);
        } else {
          raw.push_back('\\');
          raw.push_back(in[i + 1]);
        }
        i += 2;
        continue;
      }
      raw.push_back(in[i++]);
    }
    raw.push_back(in[i++]);
  }
  if (i >= in.size()) return SyntaxError(in, start, "unterminated string");
  ++i;
  if (!json_escapes) return raw;
  boost::system::error_code ec;
  const json::value parsed = json::parse("\"" + raw + "\"", ec);
  if (ec || !parsed.is_string()) return SyntaxError(in, start, "bad escape in string");
  return std::string(parsed.get_string());
}

Result<std::vector<Token>> Lex(std::string_view in) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  const auto is_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  const auto is_part = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < in.size()) {
    const char c = in[i];
    const std::size_t column = i;
    const auto two = [&](char next) { return i + 1 < in.size() && in[i + 1] == next; };
    const auto push = [&](Tok kind, std::size_t length) {
      tokens.push_back({kind, "", column});
      i += length;
    };
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (is_start(c)) {
      while (i < in.size() && is_part(in[i])) ++i;
      tokens.push_back({Tok::kIdentifier, std::string(in.substr(column, i - column)), column});
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < in.size() && std::isdigit(static_cast<unsigned char>(in[i + 1])))) {
      ++i;
      while (i < in.size() && std::isdigit(static_cast<unsigned char>(in[i]))) ++i;
      tokens.push_back({Tok::kNumber, std::string(in.substr(column, i - column)), column});
    } else if (c == '"' || c == '\'') {
      ++i;
      auto text = QuotedText(in, i, c, c == '"');
      if (!text) return text.error();
      tokens.push_back({c == '"' ? Tok::kQuotedIdentifier : Tok::kRawString, *text, column});
    } else if (c == '`') {
      ++i;
      // As jmespath.py reads it: a backslash keeps the character after it, then \` becomes `.
      std::string raw;
      while (i < in.size() && in[i] != '`') {
        if (in[i] == '\\' && i + 1 < in.size()) raw.push_back(in[i++]);
        raw.push_back(in[i++]);
      }
      if (i >= in.size()) return SyntaxError(in, column, "unterminated `literal`");
      ++i;
      std::string text;
      for (std::size_t k = 0; k < raw.size(); ++k) {
        if (raw[k] == '\\' && k + 1 < raw.size() && raw[k + 1] == '`') continue;
        text.push_back(raw[k]);
      }
      tokens.push_back({Tok::kLiteral, text, column});
    } else if (c == '[') {
      if (two('?')) push(Tok::kFilter, 2);
      else if (two(']')) push(Tok::kFlatten, 2);
      else push(Tok::kLbracket, 1);
    } else if (c == '|') {
      two('|') ? push(Tok::kOr, 2) : push(Tok::kPipe, 1);
    } else if (c == '&') {
      two('&') ? push(Tok::kAnd, 2) : push(Tok::kExpref, 1);
    } else if (c == '!') {
      two('=') ? push(Tok::kNe, 2) : push(Tok::kNot, 1);
    } else if (c == '<') {
      two('=') ? push(Tok::kLe, 2) : push(Tok::kLt, 1);
    } else if (c == '>') {
      two('=') ? push(Tok::kGe, 2) : push(Tok::kGt, 1);
    } else if (c == '=') {
      if (!two('=')) return SyntaxError(in, column, "'=' is not an operator (use '==')");
      push(Tok::kEq, 2);
    } else {
      static constexpr std::pair<char, Tok> kSingle[] = {
          {'.', Tok::kDot},    {'*', Tok::kStar},   {']', Tok::kRbracket}, {'{', Tok::kLbrace},
          {'}', Tok::kRbrace}, {'(', Tok::kLparen}, {')', Tok::kRparen},   {',', Tok::kComma},
          {':', Tok::kColon},  {'@', Tok::kCurrent}};
      const auto* found = std::find_if(std::begin(kSingle), std::end(kSingle),
                                       [c](const auto& entry) { return entry.first == c; });
      if (found == std::end(kSingle)) {
        // The whole character, even when it takes several bytes.
        std::size_t length = 1;
        while (column + length < in.size() &&
               (static_cast<unsigned char>(in[column + length]) & 0xC0) == 0x80)
          ++length;
        return SyntaxError(in, column,
                           "unexpected character '" + std::string(in.substr(column, length)) + "'");
      }
      push(found->second, 1);
    }
  }
  tokens.push_back({Tok::kEof, "", in.size()});
  // Bounds the tree's depth, and with it the recursion of parsing, evaluation and destruction.
  constexpr std::size_t kMaxTokens = 1000;
  if (tokens.size() > kMaxTokens)
    return SyntaxError(in, 0, "longer than " + std::to_string(kMaxTokens) + " tokens");
  return tokens;
}

enum class Kind {
  kIdentity, kCurrent, kField, kLiteral, kSubexpression, kIndexExpression, kIndex, kSlice,
  kProjection, kValueProjection, kFilterProjection, kFlatten, kComparator, kAnd, kOr, kNot,
  kMultiList, kMultiHash, kPipe, kFunction, kExpref,
};

struct Node {
  Kind kind;
  std::string name;        // field, function, comparator, hash key
  json::value literal;
  std::vector<std::optional<std::int64_t>> slice;  // start, stop, step
  std::int64_t index = 0;
  std::vector<std::unique_ptr<Node>> children;
};
using NodePtr = std::unique_ptr<Node>;

NodePtr MakeNode(Kind kind, std::vector<NodePtr> children = {}) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  node->children = std::move(children);
  return node;
}

std::vector<NodePtr> Children(NodePtr a, NodePtr b) {
  std::vector<NodePtr> out;
  out.push_back(std::move(a));
  out.push_back(std::move(b));
  return out;
}

// Digits as an int64, clamped: an index past any array is simply out of range.
std::int64_t ClampedInteger(std::string_view digits) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range)
    return digits.starts_with('-') ? std::numeric_limits<std::int64_t>::min()
                                   : std::numeric_limits<std::int64_t>::max();
  return value;
}

// A `literal`: JSON, or, as jmespath.py still accepts, the text of a JSON string without its
// quotes (`foo` is "foo"). Neither is an error.
std::optional<json::value> LiteralValue(const std::string& text) {
  json::parse_options options;
  options.max_depth = 256;
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec, {}, options);
  if (!ec) return parsed;
  const auto start = text.find_first_not_of(" \t\n\r");
  parsed = json::parse("\"" + (start == std::string::npos ? "" : text.substr(start)) + "\"", ec);
  if (!ec && parsed.is_string()) return parsed;
  return std::nullopt;
}

class Parser {
 public:
  Parser(std::string_view expression, std::vector<Token> tokens)
      : expression_(expression), tokens_(std::move(tokens)) {}

  Result<NodePtr> ParseAll() {
    auto node = Expression(0);
    if (!node) return node;
    if (Peek() != Tok::kEof) return Unexpected();
    return node;
  }

 private:
  Tok Peek(std::size_t ahead = 0) const {
    return tokens_[std::min(position_ + ahead, tokens_.size() - 1)].kind;
  }
  const Token& Current() const { return tokens_[std::min(position_, tokens_.size() - 1)]; }
  void Advance() {
    if (position_ < tokens_.size() - 1) ++position_;
  }
  Error Unexpected() const { return UnexpectedToken(Current()); }
  Error UnexpectedToken(const Token& token) const {
    if (token.kind == Tok::kEof) return SyntaxError(expression_, token.column, "unexpected end");
    return SyntaxError(expression_, token.column, "unexpected token");
  }
  Status Expect(Tok kind, const char* what) {
    if (Peek() != kind)
      return SyntaxError(expression_, Current().column, std::string("expected ") + what);
    Advance();
    return OkStatus();
  }

  Result<NodePtr> Expression(int binding_power) {
    // Parentheses, '!' and '|' nest by recursion: refuse what would exhaust the stack.
    constexpr int kMaxDepth = 100;
    if (depth_ >= kMaxDepth)
      return SyntaxError(expression_, Current().column, "nested more than 100 deep");
    ++depth_;
    auto parsed = ExpressionAt(binding_power);
    --depth_;
    return parsed;
  }

  Result<NodePtr> ExpressionAt(int binding_power) {
    auto left = Nud();
    if (!left) return left;
    NodePtr node = std::move(left.value());
    while (binding_power < BindingPower(Peek())) {
      auto next = Led(std::move(node));
      if (!next) return next;
      node = std::move(next.value());
    }
    return node;
  }

  Result<NodePtr> Nud() {
    const Token token = Current();
    Advance();
    switch (token.kind) {
      case Tok::kIdentifier: {
        auto node = MakeNode(Kind::kField);
        node->name = token.text;
        return node;
      }
      case Tok::kQuotedIdentifier: {
        if (Peek() == Tok::kLparen)
          return SyntaxError(expression_, token.column, "a quoted name cannot be a function");
        auto node = MakeNode(Kind::kField);
        node->name = token.text;
        return node;
      }
      case Tok::kRawString: {
        auto node = MakeNode(Kind::kLiteral);
        node->literal = json::string(token.text);
        return node;
      }
      case Tok::kLiteral: {
        auto literal = LiteralValue(token.text);
        if (!literal)
          return SyntaxError(expression_, token.column, "`literal` is neither JSON nor a string");
        auto node = MakeNode(Kind::kLiteral);
        node->literal = std::move(*literal);
        return node;
      }
      case Tok::kStar: {
        auto right = ProjectionRhs(BindingPower(Tok::kStar));
        if (!right) return right;
        return MakeNode(Kind::kValueProjection,
                        Children(MakeNode(Kind::kIdentity), std::move(right.value())));
      }
      case Tok::kFilter: return Filter(MakeNode(Kind::kIdentity));
      case Tok::kLbrace: return MultiHash();
      case Tok::kLparen: {
        auto inner = Expression(0);
        if (!inner) return inner;
        if (Status closed = Expect(Tok::kRparen, "')'"); !closed.ok()) return closed.error();
        return inner;
      }
      case Tok::kFlatten: return FlattenProjection(MakeNode(Kind::kIdentity));
      case Tok::kNot: {
        auto operand = Expression(BindingPower(Tok::kNot));
        if (!operand) return operand;
        std::vector<NodePtr> children;
        children.push_back(std::move(operand.value()));
        return MakeNode(Kind::kNot, std::move(children));
      }
      case Tok::kLbracket:
        if (Peek() == Tok::kNumber || Peek() == Tok::kColon) {
          auto index = IndexOrSlice();
          if (!index) return index;
          return ProjectIfSlice(MakeNode(Kind::kIdentity), std::move(index.value()));
        }
        if (Peek() == Tok::kStar && Peek(1) == Tok::kRbracket) {
          Advance();
          Advance();
          auto right = ProjectionRhs(BindingPower(Tok::kStar));
          if (!right) return right;
          return MakeNode(Kind::kProjection,
                          Children(MakeNode(Kind::kIdentity), std::move(right.value())));
        }
        return MultiList();
      case Tok::kCurrent: return MakeNode(Kind::kCurrent);
      case Tok::kExpref: {
        auto inner = Expression(0);
        if (!inner) return inner;
        std::vector<NodePtr> children;
        children.push_back(std::move(inner.value()));
        return MakeNode(Kind::kExpref, std::move(children));
      }
      default:
        return UnexpectedToken(token);
    }
  }

  Result<NodePtr> Led(NodePtr left) {
    const Token token = Current();
    Advance();
    switch (token.kind) {
      case Tok::kDot: {
        if (Peek() == Tok::kStar) {
          Advance();
          auto right = ProjectionRhs(BindingPower(Tok::kDot));
          if (!right) return right;
          return MakeNode(Kind::kValueProjection, Children(std::move(left), std::move(right.value())));
        }
        auto right = DotRhs(BindingPower(Tok::kDot));
        if (!right) return right;
        return MakeNode(Kind::kSubexpression, Children(std::move(left), std::move(right.value())));
      }
      case Tok::kPipe:
      case Tok::kOr:
      case Tok::kAnd: {
        auto right = Expression(BindingPower(token.kind));
        if (!right) return right;
        const Kind kind = token.kind == Tok::kPipe ? Kind::kPipe
                          : token.kind == Tok::kOr ? Kind::kOr
                                                   : Kind::kAnd;
        return MakeNode(kind, Children(std::move(left), std::move(right.value())));
      }
      case Tok::kEq: case Tok::kNe: case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe: {
        auto right = Expression(BindingPower(token.kind));
        if (!right) return right;
        auto node = MakeNode(Kind::kComparator, Children(std::move(left), std::move(right.value())));
        static constexpr std::pair<Tok, const char*> kNames[] = {
            {Tok::kEq, "=="}, {Tok::kNe, "!="}, {Tok::kLt, "<"},
            {Tok::kLe, "<="}, {Tok::kGt, ">"},  {Tok::kGe, ">="}};
        for (const auto& [kind, name] : kNames)
          if (kind == token.kind) node->name = name;
        return node;
      }
      case Tok::kLparen: return Function(std::move(left), token.column);
      case Tok::kFilter: return Filter(std::move(left));
      case Tok::kFlatten: return FlattenProjection(std::move(left));
      case Tok::kLbracket: {
        if (Peek() == Tok::kNumber || Peek() == Tok::kColon) {
          auto index = IndexOrSlice();
          if (!index) return index;
          // jmespath.py appends to an index expression on the left instead of nesting (or
          // projecting a slice): `a[0][0:2].b` is b of a list, null. az users get that answer.
          if (left->kind == Kind::kIndexExpression) {
            left->children.push_back(std::move(index.value()));
            return left;
          }
          return ProjectIfSlice(std::move(left), std::move(index.value()));
        }
        if (Status star = Expect(Tok::kStar, "a number, ':' or '*' after '['"); !star.ok())
          return star.error();
        if (Status closed = Expect(Tok::kRbracket, "']'"); !closed.ok()) return closed.error();
        auto right = ProjectionRhs(BindingPower(Tok::kStar));
        if (!right) return right;
        return MakeNode(Kind::kProjection, Children(std::move(left), std::move(right.value())));
      }
      default:
        return UnexpectedToken(token);
    }
  }

  // After '[': N] or start:stop:step].
  Result<NodePtr> IndexOrSlice() {
    std::vector<std::optional<std::int64_t>> parts(1);
    std::size_t part = 0;
    while (Peek() != Tok::kRbracket) {
      if (Peek() == Tok::kColon) {
        if (++part > 2) return SyntaxError(expression_, Current().column, "too many ':' in slice");
        parts.emplace_back();
        Advance();
      } else if (Peek() == Tok::kNumber) {
        if (parts[part])
          return SyntaxError(expression_, Current().column, "expected ':' or ']'");
        parts[part] = ClampedInteger(Current().text);
        Advance();
      } else {
        return SyntaxError(expression_, Current().column, "expected a number, ':' or ']'");
      }
    }
    Advance();
    if (parts.size() == 1) {
      auto node = MakeNode(Kind::kIndex);
      node->index = *parts[0];
      return node;
    }
    parts.resize(3);
    auto node = MakeNode(Kind::kSlice);
    node->slice = std::move(parts);
    return node;
  }

  Result<NodePtr> ProjectIfSlice(NodePtr left, NodePtr index) {
    const bool slice = index->kind == Kind::kSlice;
    auto indexed = MakeNode(Kind::kIndexExpression, Children(std::move(left), std::move(index)));
    if (!slice) return indexed;
    auto right = ProjectionRhs(BindingPower(Tok::kStar));
    if (!right) return right;
    return MakeNode(Kind::kProjection, Children(std::move(indexed), std::move(right.value())));
  }

  Result<NodePtr> FlattenProjection(NodePtr left) {
    std::vector<NodePtr> children;
    children.push_back(std::move(left));
    auto flattened = MakeNode(Kind::kFlatten, std::move(children));
    auto right = ProjectionRhs(BindingPower(Tok::kFlatten));
    if (!right) return right;
    return MakeNode(Kind::kProjection, Children(std::move(flattened), std::move(right.value())));
  }

  Result<NodePtr> Filter(NodePtr left) {
    auto condition = Expression(0);
    if (!condition) return condition;
    if (Status closed = Expect(Tok::kRbracket, "']' to end the filter"); !closed.ok())
      return closed.error();
    Result<NodePtr> right = Peek() == Tok::kFlatten ? Result<NodePtr>(MakeNode(Kind::kIdentity))
                                                    : ProjectionRhs(BindingPower(Tok::kFilter));
    if (!right) return right;
    std::vector<NodePtr> children;
    children.push_back(std::move(left));
    children.push_back(std::move(right.value()));
    children.push_back(std::move(condition.value()));
    return MakeNode(Kind::kFilterProjection, std::move(children));
  }

  // What follows a projection: nothing (stop), or '.', '[' or '[?' continuing it.
  Result<NodePtr> ProjectionRhs(int binding_power) {
    if (BindingPower(Peek()) < 10) return MakeNode(Kind::kIdentity);
    if (Peek() == Tok::kLbracket || Peek() == Tok::kFilter) return Expression(binding_power);
    if (Peek() == Tok::kDot) {
      Advance();
      return DotRhs(binding_power);
    }
    return Unexpected();
  }

  Result<NodePtr> DotRhs(int binding_power) {
    switch (Peek()) {
      case Tok::kIdentifier: case Tok::kQuotedIdentifier: case Tok::kStar:
        return Expression(binding_power);
      case Tok::kLbracket: Advance(); return MultiList();
      case Tok::kLbrace: Advance(); return MultiHash();
      case Tok::kEof: return Unexpected();
      default:
        return SyntaxError(expression_, Current().column, "expected a name, '*', '[' or '{' after '.'");
    }
  }

  Result<NodePtr> MultiList() {
    std::vector<NodePtr> items;
    for (;;) {
      auto item = Expression(0);
      if (!item) return item;
      items.push_back(std::move(item.value()));
      if (Peek() == Tok::kRbracket) break;
      if (Status comma = Expect(Tok::kComma, "',' or ']'"); !comma.ok()) return comma.error();
    }
    Advance();
    return MakeNode(Kind::kMultiList, std::move(items));
  }

  Result<NodePtr> MultiHash() {
    auto node = MakeNode(Kind::kMultiHash);
    std::vector<std::string> keys;
    for (;;) {
      if (Peek() != Tok::kIdentifier && Peek() != Tok::kQuotedIdentifier)
        return SyntaxError(expression_, Current().column, "expected a key name in '{…}'");
      keys.push_back(Current().text);
      Advance();
      if (Status colon = Expect(Tok::kColon, "':' after the key"); !colon.ok()) return colon.error();
      auto value = Expression(0);
      if (!value) return value;
      node->children.push_back(std::move(value.value()));
      if (Peek() == Tok::kRbrace) break;
      if (Status comma = Expect(Tok::kComma, "',' or '}'"); !comma.ok()) return comma.error();
    }
    Advance();
    // Keys ride in the literal as an array, in order.
    json::array names;
    for (auto& key : keys) names.emplace_back(key);
    node->literal = std::move(names);
    return node;
  }

  Result<NodePtr> Function(NodePtr name, std::size_t column) {
    if (name->kind != Kind::kField)
      return SyntaxError(expression_, column, "only a function name can be called");
    auto node = MakeNode(Kind::kFunction);
    node->name = name->name;
    while (Peek() != Tok::kRparen) {
      auto argument = Expression(0);
      if (!argument) return argument;
      node->children.push_back(std::move(argument.value()));
      if (Peek() == Tok::kComma) {
        Advance();
        if (Peek() == Tok::kRparen) return Unexpected();
      } else if (Peek() != Tok::kRparen) {
        return SyntaxError(expression_, Current().column, "expected ',' or ')'");
      }
    }
    Advance();
    return node;
  }

  std::string_view expression_;
  std::vector<Token> tokens_;
  std::size_t position_ = 0;
  int depth_ = 0;
};

// ---- evaluation ----

bool Truthy(const json::value& value) {
  if (value.is_null()) return false;
  if (value.is_bool()) return value.get_bool();
  if (value.is_string()) return !value.get_string().empty();
  if (value.is_array()) return !value.get_array().empty();
  if (value.is_object()) return !value.get_object().empty();
  return true;
}

double AsDouble(const json::value& value) { return value.to_number<double>(); }

bool Equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return AsDouble(a) == AsDouble(b);
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!Equal(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [key, value] : x) {
      const auto* other = y.if_contains(key);
      if (!other || !Equal(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

// An integral double as an integer (Python's int), when it fits.
json::value Integer(double value) {
  if (std::fabs(value) < 9e18) return static_cast<std::int64_t>(value);
  return value;
}

// Python's int(text), else float(text), as jmespath.py's to_number: spaces around, a sign,
// underscores between digits. Infinities and NaN have no JSON form: null.
json::value PythonNumber(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string_view::npos) return json::value();
  text = text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
  std::string plain;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      const bool between_digits = i > 0 && i + 1 < text.size() &&
                                  std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
                                  std::isdigit(static_cast<unsigned char>(text[i + 1]));
      if (!between_digits) return json::value();
      continue;
    }
    plain.push_back(text[i]);
  }
  const std::string_view digits = std::string_view(plain).substr(plain[0] == '+' || plain[0] == '-' ? 1 : 0);
  if (!digits.empty() && std::all_of(digits.begin(), digits.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    std::int64_t value = 0;
    const char* begin = plain.data() + (plain[0] == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, plain.data() + plain.size(), value);
    if (ec == std::errc()) return value;
  }
  if (std::any_of(plain.begin(), plain.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) && c != 'e' && c != 'E'; }))
    return json::value();  // inf, nan, hex: not numbers here
  char* end = nullptr;
  const double value = std::strtod(plain.c_str(), &end);
  if (end != plain.c_str() + plain.size() || !std::isfinite(value)) return json::value();
  return value;
}

std::string TypeName(const json::value& value) {
  if (value.is_null()) return "null";
  if (value.is_bool()) return "boolean";
  if (value.is_number()) return "number";
  if (value.is_string()) return "string";
  if (value.is_array()) return "array";
  return "object";
}

Error TypeError(const std::string& function, const std::string& expected, const json::value& got) {
  return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                   "--query: " + function + "() expects " + expected + ", got " + TypeName(got));
}

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

  // Sort keys: all numbers or all strings.
  static Result<bool> Less(const std::string& function, const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) return AsDouble(a) < AsDouble(b);
    if (a.is_string() && b.is_string()) return a.get_string() < b.get_string();
    return TypeError(function, "numbers or strings, all of one kind", a.is_number() ? b : a);
  }

  Result<json::value> Call(const Node& node, const json::value& value) {
    const std::string& name = node.name;
    std::vector<json::value> args;
    std::vector<const Node*> exprefs;
    for (const auto& child : node.children) {
      if (child->kind == Kind::kExpref) {
        exprefs.push_back(child->children[0].get());
        args.emplace_back();
        continue;
      }
      exprefs.push_back(nullptr);
      auto argument = Eval(*child, value);
      if (!argument) return argument;
      args.push_back(std::move(*argument));
    }
    const auto arity = [&](std::size_t count) -> Status {
      if (args.size() == count) return OkStatus();
      return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                       "--query: " + name + "() takes " + std::to_string(count) + " argument" +
                           (count == 1 ? "" : "s") + ", got " + std::to_string(args.size()));
    };
    if (name == "length") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      const json::value& a = args[0];
      if (a.is_string()) return json::value(static_cast<std::int64_t>(CodePointCount(a.get_string())));
      if (a.is_array()) return json::value(static_cast<std::int64_t>(a.get_array().size()));
      if (a.is_object()) return json::value(static_cast<std::int64_t>(a.get_object().size()));
      return TypeError(name, "a string, array or object", a);
    }
    if (name == "keys" || name == "values") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      if (!args[0].is_object()) return TypeError(name, "an object", args[0]);
      json::array out;
      for (const auto& [key, member] : args[0].get_object())
        out.push_back(name == "keys" ? json::value(json::string(key)) : member);
      return json::value(std::move(out));
    }
    if (name == "contains") {
      if (Status ok = arity(2); !ok.ok()) return ok.error();
      if (args[0].is_string()) {
        if (!args[1].is_string()) return json::value(false);
        return json::value(std::string_view(args[0].get_string()).find(args[1].get_string()) !=
                           std::string_view::npos);
      }
      if (!args[0].is_array()) return TypeError(name, "an array or string", args[0]);
      const auto& array = args[0].get_array();
      return json::value(std::any_of(array.begin(), array.end(),
                                     [&](const json::value& item) { return Equal(item, args[1]); }));
    }
    if (name == "starts_with" || name == "ends_with") {
      if (Status ok = arity(2); !ok.ok()) return ok.error();
      for (const auto& a : args)
        if (!a.is_string()) return TypeError(name, "strings", a);
      const std::string_view text = args[0].get_string(), part = args[1].get_string();
      return json::value(name == "starts_with" ? text.starts_with(part) : text.ends_with(part));
    }
    if (name == "join") {
      if (Status ok = arity(2); !ok.ok()) return ok.error();
      if (!args[0].is_string()) return TypeError(name, "a string glue", args[0]);
      if (!args[1].is_array()) return TypeError(name, "an array of strings", args[1]);
      std::string out;
      bool first = true;
      for (const auto& item : args[1].get_array()) {
        if (!item.is_string()) return TypeError(name, "an array of strings", item);
        if (!first) out += args[0].get_string();
        first = false;
        out += item.get_string();
      }
      return json::value(json::string(out));
    }
    if (name == "sort" || name == "sort_by" || name == "max" || name == "min" ||
        name == "max_by" || name == "min_by") {
      const bool by = name.ends_with("_by");
      if (Status ok = arity(by ? 2 : 1); !ok.ok()) return ok.error();
      if (!args[0].is_array()) return TypeError(name, "an array", args[0]);
      if (by && !exprefs[1]) return TypeError(name, "an &expression second", args[1]);
      json::array items = args[0].get_array();
      std::vector<std::pair<json::value, std::size_t>> keyed;
      for (std::size_t i = 0; i < items.size(); ++i) {
        auto key = by ? Eval(*exprefs[1], items[i]) : Result<json::value>(items[i]);
        if (!key) return key;
        if (!key->is_number() && !key->is_string())
          return TypeError(name, "numbers or strings", *key);
        keyed.emplace_back(std::move(*key), i);
      }
      // All keys of one kind, or a type error (before any comparison).
      for (const auto& [key, index] : keyed) {
        if (auto comparable = Less(name, keyed.front().first, key); !comparable)
          return comparable.error();
      }
      const auto less = [&](const auto& a, const auto& b) { return Less(name, a.first, b.first).value(); };
      if (name == "sort" || name == "sort_by") {
        std::stable_sort(keyed.begin(), keyed.end(), less);
        json::array out;
        for (const auto& [key, index] : keyed) out.push_back(items[index]);
        return json::value(std::move(out));
      }
      if (keyed.empty()) return json::value();
      // The first of equals wins, as with Python's max() and min().
      std::size_t pick = 0;
      for (std::size_t i = 1; i < keyed.size(); ++i) {
        if (name.starts_with("max") ? less(keyed[pick], keyed[i]) : less(keyed[i], keyed[pick]))
          pick = i;
      }
      return by ? items[keyed[pick].second] : keyed[pick].first;
    }
    if (name == "sum" || name == "avg") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      if (!args[0].is_array()) return TypeError(name, "an array of numbers", args[0]);
      // Python's types: a sum of integers is an integer, any other sum and every mean a float.
      double total = 0;
      bool integers = true;
      for (const auto& item : args[0].get_array()) {
        if (!item.is_number()) return TypeError(name, "an array of numbers", item);
        total += AsDouble(item);
        integers = integers && !item.is_double();
      }
      const auto count = args[0].get_array().size();
      if (name == "avg") return count == 0 ? json::value() : json::value(total / static_cast<double>(count));
      return integers ? Integer(total) : json::value(total);
    }
    if (name == "abs" || name == "floor" || name == "ceil") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      if (!args[0].is_number()) return TypeError(name, "a number", args[0]);
      const double x = AsDouble(args[0]);
      // abs keeps the type; Python's math.floor and math.ceil give integers.
      if (name == "abs") return args[0].is_double() ? json::value(std::fabs(x)) : Integer(std::fabs(x));
      return Integer(name == "floor" ? std::floor(x) : std::ceil(x));
    }
    if (name == "to_string") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      if (args[0].is_string()) return args[0];
      return json::value(json::string(AsciiJsonEscapes(CompactJson(args[0]))));
    }
    if (name == "to_number") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      if (args[0].is_number()) return args[0];
      if (!args[0].is_string()) return json::value();
      return PythonNumber(args[0].get_string());
    }
    if (name == "to_array") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      return args[0].is_array() ? args[0] : json::value(json::array{args[0]});
    }
    if (name == "type") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      return json::value(json::string(TypeName(args[0])));
    }
    if (name == "not_null") {
      if (args.empty()) return arity(1).error();
      for (const auto& a : args)
        if (!a.is_null()) return a;
      return json::value();
    }
    if (name == "reverse") {
      if (Status ok = arity(1); !ok.ok()) return ok.error();
      if (args[0].is_array()) {
        json::array out = args[0].get_array();
        std::reverse(out.begin(), out.end());
        return json::value(std::move(out));
      }
      if (args[0].is_string()) {
        // By code point, so multi-byte characters survive.
        const std::string_view text = args[0].get_string();
        std::string out;
        for (std::size_t end = text.size(); end > 0;) {
          std::size_t start = end - 1;
          while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
          out += text.substr(start, end - start);
          end = start;
        }
        return json::value(json::string(out));
      }
      return TypeError(name, "an array or string", args[0]);
    }
    if (name == "map") {
      if (Status ok = arity(2); !ok.ok()) return ok.error();
      if (!exprefs[0]) return TypeError(name, "an &expression first", args[0]);
      if (!args[1].is_array()) return TypeError(name, "an array second", args[1]);
      json::array out;  // nulls included, unlike a projection
      for (const auto& item : args[1].get_array()) {
        auto mapped = Eval(*exprefs[0], item);
        if (!mapped) return mapped;
        out.push_back(std::move(*mapped));
      }
      return json::value(std::move(out));
    }
    if (name == "merge") {
      if (args.empty()) return arity(1).error();
      json::object out;
      for (const auto& a : args) {
        if (!a.is_object()) return TypeError(name, "objects", a);
        for (const auto& [key, member] : a.get_object()) out[key] = member;
      }
      return json::value(std::move(out));
    }
    return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                     "--query: unknown function " + name + "()");
  }
};

}  // namespace

Status ValidateQuery(std::string_view expression) {
  auto tokens = Lex(expression);
  if (!tokens) return tokens.error();
  Parser parser(expression, std::move(tokens.value()));
  auto tree = parser.ParseAll();
  if (!tree) return tree.error();
  return OkStatus();
}

Result<json::value> ApplyQuery(const json::value& document, std::string_view expression) {
  auto tokens = Lex(expression);
  if (!tokens) return tokens.error();
  Parser parser(expression, std::move(tokens.value()));
  auto tree = parser.ParseAll();
  if (!tree) return tree.error();
  Evaluator evaluator;
  return evaluator.Eval(**tree, document);
}

}  // namespace gangplank::cli

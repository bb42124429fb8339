// The JMESPath lexer and a Pratt parser with the reference implementation's binding powers.
#include "query/syntax.h"

#include <boost/json.hpp>
#include <charconv>
#include <limits>

namespace gangplank::query {
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

}  // namespace

Result<NodePtr> Parse(std::string_view expression) {
  GP_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(expression));
  Parser parser(expression, std::move(tokens));
  return parser.ParseAll();
}

}  // namespace gangplank::query

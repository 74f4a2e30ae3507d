#include "core/expr/parser.h"

#include <cctype>
#include <vector>

#include "core/expr/lexer.h"

namespace runnel::expr {
namespace {

// Deeper nesting and longer expressions than this are refused, so a hostile
// graph file cannot overflow the stack of the parser, the checker or the
// compiler (which recurse over the tree).
constexpr int kMaxDepth = 256;
constexpr size_t kMaxNodes = 2000;

bool EqualsIgnoreCase(const std::string& text, const char* word) {
  size_t i = 0;
  for (; word[i] != '\0'; ++i) {
    if (i >= text.size() ||
        std::tolower(static_cast<unsigned char>(text[i])) != word[i]) {
      return false;
    }
  }
  return i == text.size();
}

bool IsKeyword(const std::string& text) {
  for (const char* k : {"and", "or", "not", "in", "is", "null", "true", "false", "as"}) {
    if (EqualsIgnoreCase(text, k)) return true;
  }
  return false;
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : tokens_(std::move(tokens)) {
    out_.text = std::string(text);
  }

  Result<NamedExpression> Run(bool allow_name) {
    Result<int> root = Or();
    if (!root.ok()) return root.status();
    if (too_long_) {
      return InvalidArgument("expression has more than " + std::to_string(kMaxNodes) +
                             " operators and values");
    }
    out_.root = root.value();
    NamedExpression named;
    if (allow_name && IsWord("as")) {
      Next();
      if (Peek().kind != TokenKind::kIdentifier || IsKeyword(Peek().text)) {
        return Unexpected("expected a name after 'as'");
      }
      named.name = Next().text;
    }
    if (Peek().kind != TokenKind::kEnd) {
      if (Peek().kind == TokenKind::kOperator && IsComparison(Peek().text)) {
        return Error("comparisons do not chain; join them with 'and'", Peek());
      }
      return Unexpected("expected an operator or the end");
    }
    named.expression = std::move(out_);
    return named;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return tokens_[i < tokens_.size() ? i : tokens_.size() - 1];
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool IsWord(const char* word, size_t ahead = 0) const {
    return Peek(ahead).kind == TokenKind::kIdentifier && EqualsIgnoreCase(Peek(ahead).text, word);
  }
  bool IsPunct(const char* p) const {
    return Peek().kind == TokenKind::kPunct && Peek().text == p;
  }
  static bool IsComparison(const std::string& op) {
    return op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=";
  }

  static Status Error(const std::string& what, const Token& at) {
    return InvalidArgument(what + " at column " + std::to_string(at.offset + 1));
  }
  // "expected X at column N, found 'y'" (or "(end of text)").
  Status Unexpected(const std::string& expected) const {
    const Token& t = Peek();
    return InvalidArgument(expected + " at column " + std::to_string(t.offset + 1) +
                           (t.kind == TokenKind::kEnd      ? " (end of text)"
                            : t.kind == TokenKind::kString ? ", found the string '" + t.text + "'"
                                                           : ", found '" + t.text + "'"));
  }

  int Add(Node node) {
    if (out_.nodes.size() == kMaxNodes) too_long_ = true;
    out_.nodes.push_back(std::move(node));
    return static_cast<int>(out_.nodes.size() - 1);
  }
  int AddOp(NodeKind kind, Op op, size_t offset, std::vector<int> args) {
    Node n;
    n.kind = kind;
    n.op = op;
    n.offset = offset;
    n.args = std::move(args);
    return Add(std::move(n));
  }

  // Guards one level of recursion.
  struct Depth {
    explicit Depth(int* d) : d_(d) { ++*d_; }
    ~Depth() { --*d_; }
    int* d_;
  };
  Status CheckDepth() const {
    if (depth_ > kMaxDepth) {
      return Error("expression nests deeper than " + std::to_string(kMaxDepth) + " levels", Peek());
    }
    return Status::Ok();
  }

  Result<int> Or() {
    Result<int> left = And();
    while (left.ok() && IsWord("or")) {
      size_t at = Next().offset;
      Result<int> right = And();
      if (!right.ok()) return right;
      left = AddOp(NodeKind::kBinary, Op::kOr, at, {left.value(), right.value()});
    }
    return left;
  }

  Result<int> And() {
    Result<int> left = Not();
    while (left.ok() && IsWord("and")) {
      size_t at = Next().offset;
      Result<int> right = Not();
      if (!right.ok()) return right;
      left = AddOp(NodeKind::kBinary, Op::kAnd, at, {left.value(), right.value()});
    }
    return left;
  }

  Result<int> Not() {
    Depth depth(&depth_);
    RUNNEL_RETURN_IF_ERROR(CheckDepth());
    if (IsWord("not")) {
      size_t at = Next().offset;
      Result<int> operand = Not();
      if (!operand.ok()) return operand;
      return AddOp(NodeKind::kUnary, Op::kNot, at, {operand.value()});
    }
    return Compare();
  }

  Result<int> Compare() {
    Result<int> left = Sum();
    if (!left.ok()) return left;
    const Token& t = Peek();
    if (t.kind == TokenKind::kOperator && IsComparison(t.text)) {
      static const struct { const char* text; Op op; } kOps[] = {
          {"==", Op::kEq}, {"!=", Op::kNe}, {"<", Op::kLt},
          {"<=", Op::kLe}, {">", Op::kGt},  {">=", Op::kGe}};
      Op op = Op::kEq;
      for (const auto& k : kOps) {
        if (t.text == k.text) op = k.op;
      }
      size_t at = Next().offset;
      Result<int> right = Sum();
      if (!right.ok()) return right;
      return AddOp(NodeKind::kBinary, op, at, {left.value(), right.value()});
    }
    if (IsWord("is")) {
      size_t at = Next().offset;
      bool negated = false;
      if (IsWord("not")) {
        Next();
        negated = true;
      }
      if (!IsWord("null")) return Unexpected("expected 'null' after 'is'");
      Next();
      int node = AddOp(NodeKind::kIsNull, Op::kEq, at, {left.value()});
      out_.nodes[static_cast<size_t>(node)].negated = negated;
      return node;
    }
    if (IsWord("in") || (IsWord("not") && IsWord("in", 1))) {
      bool negated = IsWord("not");
      if (negated) Next();
      size_t at = Next().offset;
      if (!IsPunct("(")) return Unexpected("expected '(' after 'in'");
      Next();
      std::vector<int> args = {left.value()};
      for (;;) {
        Result<int> item = Constant();
        if (!item.ok()) return item;
        args.push_back(item.value());
        if (IsPunct(",")) {
          Next();
          continue;
        }
        if (IsPunct(")")) {
          Next();
          break;
        }
        return Unexpected("expected ',' or ')' in the list");
      }
      int node = AddOp(NodeKind::kIn, Op::kEq, at, std::move(args));
      out_.nodes[static_cast<size_t>(node)].negated = negated;
      return node;
    }
    return left;
  }

  // A constant of an `in` list: a number, a string, true or false.
  Result<int> Constant() {
    const Token& t = Peek();
    if (t.kind == TokenKind::kNumber || t.kind == TokenKind::kString ||
        IsWord("true") || IsWord("false")) {
      return Primary();
    }
    return Unexpected("expected a constant (a number, a quoted string, true or false)");
  }

  Result<int> Sum() {
    Result<int> left = Product();
    while (left.ok() && Peek().kind == TokenKind::kOperator &&
           (Peek().text == "+" || Peek().text == "-")) {
      const Token& t = Next();
      Op op = t.text == "+" ? Op::kAdd : Op::kSub;
      Result<int> right = Product();
      if (!right.ok()) return right;
      left = AddOp(NodeKind::kBinary, op, t.offset, {left.value(), right.value()});
    }
    return left;
  }

  Result<int> Product() {
    Result<int> left = Unary();
    while (left.ok() && Peek().kind == TokenKind::kOperator &&
           (Peek().text == "*" || Peek().text == "/" || Peek().text == "%")) {
      const Token& t = Next();
      Op op = t.text == "*" ? Op::kMul : t.text == "/" ? Op::kDiv : Op::kMod;
      Result<int> right = Unary();
      if (!right.ok()) return right;
      left = AddOp(NodeKind::kBinary, op, t.offset, {left.value(), right.value()});
    }
    return left;
  }

  Result<int> Unary() {
    Depth depth(&depth_);
    RUNNEL_RETURN_IF_ERROR(CheckDepth());
    if (Peek().kind == TokenKind::kOperator && Peek().text == "-") {
      size_t at = Next().offset;
      Result<int> operand = Unary();
      if (!operand.ok()) return operand;
      return AddOp(NodeKind::kUnary, Op::kNeg, at, {operand.value()});
    }
    return Primary();
  }

  Result<int> Primary() {
    const Token& t = Peek();
    Node node;
    node.offset = t.offset;
    node.text = t.text;
    switch (t.kind) {
      case TokenKind::kNumber:
        Next();
        node.kind = NodeKind::kNumber;
        return Add(std::move(node));
      case TokenKind::kString:
        Next();
        node.kind = NodeKind::kString;
        return Add(std::move(node));
      case TokenKind::kIdentifier:
        if (IsWord("true") || IsWord("false")) {
          Next();
          node.kind = NodeKind::kBool;
          node.value.i64 = EqualsIgnoreCase(node.text, "true") ? 1 : 0;
          return Add(std::move(node));
        }
        if (IsKeyword(t.text)) return Unexpected("expected a value");
        Next();
        if (!IsPunct("(")) {
          node.kind = NodeKind::kField;
          return Add(std::move(node));
        }
        Next();
        node.kind = NodeKind::kCall;
        if (IsPunct(")")) {
          Next();
          return Add(std::move(node));
        }
        for (;;) {
          Result<int> arg = Or();
          if (!arg.ok()) return arg;
          node.args.push_back(arg.value());
          if (IsPunct(",")) {
            Next();
            continue;
          }
          if (IsPunct(")")) {
            Next();
            return Add(std::move(node));
          }
          return Unexpected("expected ',' or ')' after an argument of " + node.text + "()");
        }
      case TokenKind::kPunct:
        if (t.text == "(") {
          Next();
          Result<int> inner = Or();
          if (!inner.ok()) return inner;
          if (!IsPunct(")")) return Unexpected("expected ')'");
          Next();
          return inner;
        }
        return Unexpected("expected a value");
      default:
        return Unexpected("expected a value");
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool too_long_ = false;
  Expression out_;
};

Result<NamedExpression> ParseTokens(std::string_view text, bool allow_name) {
  Result<std::vector<Token>> tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  if (tokens.value().size() == 1) return InvalidArgument("expected an expression, found nothing");
  return Parser(text, std::move(tokens.value())).Run(allow_name);
}

}  // namespace

Result<Expression> Parse(std::string_view text) {
  Result<NamedExpression> named = ParseTokens(text, false);
  if (!named.ok()) return named.status();
  return std::move(named.value().expression);
}

Result<NamedExpression> ParseNamed(std::string_view text) {
  return ParseTokens(text, true);
}

}  // namespace runnel::expr

#include "core/expr/parser.h"

#include <CppUTest/TestHarness.h>

#include <string>

using runnel::expr::Expression;
using runnel::expr::Node;
using runnel::expr::NodeKind;
using runnel::expr::Op;
using runnel::expr::OpText;
using runnel::expr::Parse;
using runnel::expr::ParseNamed;

namespace {

// The tree in prefix form with every operator parenthesized:
// "a + b * c" -> "(+ a (* b c))".
std::string Tree(const Expression& e, int i) {
  const Node& n = e.node(i);
  switch (n.kind) {
    case NodeKind::kNumber:
    case NodeKind::kField:
      return n.text;
    case NodeKind::kString: return "'" + n.text + "'";
    case NodeKind::kBool: return n.value.i64 ? "true" : "false";
    case NodeKind::kUnary: return std::string("(") + OpText(n.op) + " " + Tree(e, n.args[0]) + ")";
    case NodeKind::kBinary:
      return std::string("(") + OpText(n.op) + " " + Tree(e, n.args[0]) + " " +
             Tree(e, n.args[1]) + ")";
    case NodeKind::kIsNull:
      return std::string(n.negated ? "(notnull " : "(null ") + Tree(e, n.args[0]) + ")";
    case NodeKind::kIn:
    case NodeKind::kCall: {
      std::string out = "(" + (n.kind == NodeKind::kIn ? std::string(n.negated ? "notin" : "in")
                                                        : n.text);
      for (int a : n.args) out += " " + Tree(e, a);
      return out + ")";
    }
  }
  return "?";
}

std::string TreeOf(const char* text) {
  auto e = Parse(text);
  return e.ok() ? Tree(e.value(), e.value().root) : "error: " + e.status().message();
}

}  // namespace

TEST_GROUP(Parser){};

TEST(Parser, OldComparisonsAreASubset) {
  STRCMP_EQUAL("(> temp 30.5)", TreeOf("temp > 30.5").c_str());
  STRCMP_EQUAL("(== device 'dev-7')", TreeOf("device == 'dev-7'").c_str());
  STRCMP_EQUAL("(>= count -3)", TreeOf("count >= -3").c_str());
  STRCMP_EQUAL("(< 30 temp)", TreeOf("30 < temp").c_str());
}

TEST(Parser, Precedence) {
  STRCMP_EQUAL("(+ a (* b c))", TreeOf("a + b * c").c_str());
  STRCMP_EQUAL("(- (- a b) c)", TreeOf("a - b - c").c_str());
  STRCMP_EQUAL("(* (+ a b) c)", TreeOf("(a + b) * c").c_str());
  STRCMP_EQUAL("(% (/ a b) c)", TreeOf("a / b % c").c_str());
  STRCMP_EQUAL("(or (and (> a 1) (< b 2)) c)", TreeOf("a > 1 and b < 2 or c").c_str());
  STRCMP_EQUAL("(or a (and b c))", TreeOf("a or b and c").c_str());
  STRCMP_EQUAL("(and (not a) b)", TreeOf("not a and b").c_str());
  STRCMP_EQUAL("(not (== a b))", TreeOf("not a == b").c_str());
  STRCMP_EQUAL("(== (+ a 1) (* b 2))", TreeOf("a + 1 == b * 2").c_str());
  STRCMP_EQUAL("(* (- a) b)", TreeOf("-a * b").c_str());
  STRCMP_EQUAL("(- (- a))", TreeOf("- -a").c_str());
}

TEST(Parser, CallsListsAndNulls) {
  STRCMP_EQUAL("(if (> a 1) (abs b) (max a b 3))", TreeOf("if(a > 1, abs(b), max(a, b, 3))").c_str());
  STRCMP_EQUAL("(in device 'a' 'b')", TreeOf("device in ('a', 'b')").c_str());
  STRCMP_EQUAL("(notin n 1 -2 3.5)", TreeOf("n not in (1, -2, 3.5)").c_str());
  STRCMP_EQUAL("(null x)", TreeOf("x is null").c_str());
  STRCMP_EQUAL("(notnull (+ x 1))", TreeOf("x + 1 is not null").c_str());
  STRCMP_EQUAL("(and (null x) true)", TreeOf("x IS NULL AND TRUE").c_str());
  STRCMP_EQUAL("(f)", TreeOf("f()").c_str());
}

TEST(Parser, NamedItems) {
  auto plain = ParseNamed("temp");
  CHECK(plain.ok());
  STRCMP_EQUAL("", plain.value().name.c_str());
  auto named = ParseNamed("temp * 1.8 + 32 as temp_f");
  CHECK(named.ok());
  STRCMP_EQUAL("temp_f", named.value().name.c_str());
  STRCMP_EQUAL("(+ (* temp 1.8) 32)",
               Tree(named.value().expression, named.value().expression.root).c_str());
  CHECK_FALSE(Parse("temp as t").ok());  // a condition has no name
}

TEST(Parser, ExplainsMistakes) {
  STRCMP_EQUAL("error: expected a value at column 8 (end of text)", TreeOf("temp > ").c_str());
  STRCMP_EQUAL("error: expected an operator or the end at column 10, found 'extra'",
               TreeOf("temp > 3 extra").c_str());
  STRCMP_EQUAL("error: comparisons do not chain; join them with 'and' at column 7",
               TreeOf("1 < x < 3").c_str());
  STRCMP_EQUAL("error: expected ')' at column 7 (end of text)", TreeOf("(a + b").c_str());
  STRCMP_EQUAL("error: expected ',' or ')' after an argument of abs() at column 7, found 'b'",
               TreeOf("abs(a b)").c_str());
  STRCMP_EQUAL("error: expected 'null' after 'is' at column 6, found 'nil'",
               TreeOf("x is nil").c_str());
  STRCMP_EQUAL("error: expected a constant (a number, a quoted string, true or false) at column "
               "7, found 'y'",
               TreeOf("x in (y)").c_str());
  STRCMP_EQUAL("error: expected '(' after 'in' at column 6, found the string 'a'", TreeOf("x in 'a'").c_str());
  STRCMP_EQUAL("error: expected a value at column 1, found 'and'", TreeOf("and").c_str());
  STRCMP_EQUAL("error: expected an expression, found nothing", TreeOf("  ").c_str());
  STRCMP_EQUAL("error: unknown operator '=' at column 6 (to compare, write ==)",
               TreeOf("temp = 3").c_str());
}

TEST(Parser, DeepNestingIsRefusedNotACrash) {
  std::string deep(10000, '(');
  deep += "1";
  deep += std::string(10000, ')');
  STRCMP_CONTAINS("nests deeper than 256 levels", TreeOf(deep.c_str()).c_str());
  std::string negations;
  for (int i = 0; i < 10000; ++i) negations += "not ";
  STRCMP_CONTAINS("nests deeper than 256 levels", TreeOf((negations + "true").c_str()).c_str());
  std::string fine(100, '(');
  CHECK(Parse(fine + "1" + std::string(100, ')')).ok());
  std::string sum = "a";
  for (int i = 0; i < 5000; ++i) sum += " + a";
  STRCMP_EQUAL("error: expression has more than 2000 operators and values", TreeOf(sum.c_str()).c_str());
}

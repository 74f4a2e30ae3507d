#include "core/expr/lexer.h"

#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

using runnel::expr::Token;
using runnel::expr::TokenKind;
using runnel::expr::Tokenize;

namespace {

// The tokens' texts joined by '|', the end token left out.
std::string Texts(const char* text) {
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return "error: " + tokens.status().message();
  std::string out;
  for (const Token& t : tokens.value()) {
    if (t.kind == TokenKind::kEnd) break;
    out += (out.empty() ? "" : "|") + t.text;
  }
  return out;
}

}  // namespace

TEST_GROUP(Lexer){};

TEST(Lexer, SplitsTokensWithOffsets) {
  auto tokens = Tokenize("temp>=-2.5e1 'a b'");
  CHECK(tokens.ok());
  LONGS_EQUAL(5, tokens.value().size());
  STRCMP_EQUAL(">=", tokens.value()[1].text.c_str());
  STRCMP_EQUAL("-2.5e1", tokens.value()[2].text.c_str());
  STRCMP_EQUAL("a b", tokens.value()[3].text.c_str());
  LONGS_EQUAL(13, tokens.value()[3].offset);
  CHECK(tokens.value()[4].kind == TokenKind::kEnd);
}

TEST(Lexer, MinusIsASignOnlyWhereNoValueEnds) {
  STRCMP_EQUAL("x|-|2", Texts("x-2").c_str());
  STRCMP_EQUAL("x|-|2", Texts("x - 2").c_str());
  STRCMP_EQUAL("-2|*|x", Texts("-2 * x").c_str());
  STRCMP_EQUAL("x|-|-2", Texts("x - -2").c_str());
  STRCMP_EQUAL("f|(|-1|,|-2.5|)", Texts("f(-1, -2.5)").c_str());
  STRCMP_EQUAL("(|x|)|-|1", Texts("(x)-1").c_str());
  STRCMP_EQUAL("-|x", Texts("-x").c_str());
}

TEST(Lexer, EveryOperatorAndPunctuation) {
  STRCMP_EQUAL("a|+|b|*|c|/|d|%|e|==|f|!=|g|<|h|<=|i|>|j|>=|k|,|(|)",
               Texts("a+b*c/d%e==f!=g<h<=i>j>=k,()").c_str());
  STRCMP_EQUAL("1e-3|+|2E+4|+|.5", Texts("1e-3 + 2E+4 + .5").c_str());
  STRCMP_EQUAL("dev-7", Texts("\"dev-7\"").c_str());
}

TEST(Lexer, ExplainsMistakes) {
  STRCMP_EQUAL("error: unknown operator '=' at column 6 (to compare, write ==)",
               Texts("temp = 3").c_str());
  STRCMP_EQUAL("error: unknown operator '!' at column 1 (to negate, write not)",
               Texts("!ok").c_str());
  STRCMP_EQUAL("error: unterminated string at column 11", Texts("device == 'open").c_str());
  STRCMP_EQUAL("error: unexpected character '#' at column 10", Texts("temp > 3 # x").c_str());
}

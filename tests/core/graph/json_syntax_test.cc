// FindJsonSyntaxErrors: the grammar graph files may use (json_lexer.h) is
// valid; independent errors on separate lines are all found; recovery does
// not invent errors after a bad line, and gives up where it cannot resume.
#include "core/graph/json_syntax.h"

#include <string>
#include <vector>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::graph::FindJsonSyntaxErrors;
using runnel::graph::JsonSyntaxError;

namespace {

// Each error as "LINE:COLUMN: MESSAGE", one per line.
std::string Errors(const std::string& text, size_t max_errors = 20) {
  std::string out;
  for (const JsonSyntaxError& e : FindJsonSyntaxErrors(text, max_errors)) {
    out += std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message + "\n";
  }
  return out;
}

}  // namespace

TEST_GROUP(JsonSyntax){};

TEST(JsonSyntax, AcceptsTheGraphGrammar) {
  STRCMP_EQUAL("", Errors("{\n"
                          "  // a comment, and /* another */\n"
                          "  name: 'g', \"list\": [1, -2.5e3, true, null, nan, {},],\n"
                          "  \"s\": \"a \\\"quoted\\\" } ] word\", /* multi\n"
                          "  line */ \"e\": east,\n"
                          "}\n")
                       .c_str());
}

TEST(JsonSyntax, FindsIndependentErrorsOnSeparateLines) {
  STRCMP_EQUAL("3:14: expected ',' or '}', found \"b\"\n"
               "5:11: expected ':', found '{'\n"
               "7:12: expected a value, found ','\n",
               Errors("{\n"
                      "  \"x\": [\n"
                      "    { \"a\": 1 \"b\": 2 },\n"
                      "    { \"a\": 1,\n"
                      "      \"c\" { \"d\": 1 } },\n"
                      "    { \"a\": 1 },\n"
                      "    { \"a\": , \"b\": 2 }\n"
                      "  ]\n"
                      "}\n")
                   .c_str());
}

TEST(JsonSyntax, AMissingCommaBetweenLinesIsOneError) {
  STRCMP_EQUAL("3:3: expected ',' or '}', found \"b\"\n",
               Errors("{\n"
                      "  \"a\": 1\n"
                      "  \"b\": 2,\n"
                      "  \"c\": 3\n"
                      "}\n")
                   .c_str());
}

TEST(JsonSyntax, BadTokensAndTheEndOfTheText) {
  STRCMP_EQUAL("2:8: unterminated string\n"
               "3:8: unexpected character '@'\n",
               Errors("{\n"
                      "  \"a\": \"open,\n"
                      "  \"b\": @,\n"
                      "  \"c\": 1\n"
                      "}\n")
                   .c_str());
  STRCMP_EQUAL("2:1: expected '}', found the end of the text\n", Errors("{ \"a\": 1,\n").c_str());
  STRCMP_EQUAL("1:1: expected '{', found the end of the text\n", Errors("").c_str());
  STRCMP_EQUAL("1:4: expected the end of the text, found '{'\n", Errors("{} {}").c_str());
  STRCMP_EQUAL("1:4: unterminated /* comment\n", Errors("{} /* x").c_str());
}

TEST(JsonSyntax, StopsWhereItCannotResume) {
  // A ']' closing an object: the brackets after it cannot be trusted.
  STRCMP_EQUAL("2:10: expected ',' or '}', found ']'\n",
               Errors("{\n"
                      "  \"a\": 1 ],\n"
                      "  \"b\": [ 1 2 ]\n"
                      "}\n")
                   .c_str());
  // The end of the text inside brackets an error left open: no second error.
  STRCMP_EQUAL("2:10: expected ',' or '}', found '['\n",
               Errors("{\n"
                      "  \"a\": 1 [\n"
                      "}\n")
                   .c_str());
}

TEST(JsonSyntax, AtMostMaxErrors) {
  std::string text = "{\n";
  for (int i = 0; i < 30; ++i) text += "  \"k\" 1,\n";
  text += "}\n";
  LONGS_EQUAL(20, FindJsonSyntaxErrors(text, 20).size());
  LONGS_EQUAL(2, FindJsonSyntaxErrors(text, 2).size());
  LONGS_EQUAL(0, FindJsonSyntaxErrors(text, 0).size());
}

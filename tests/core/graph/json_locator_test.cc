#include "core/graph/json_locator.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::graph::JsonLocator;

namespace {

constexpr const char* kText =
    "{\n"                                         // 1
    "  // a comment with \"quotes\" and [brackets]\n"  // 2
    "  \"name\": \"g\",\n"                        // 3
    "  \"operators\": [\n"                        // 4
    "    { \"name\": \"a\", \"filter\": \"x > 1\" },\n"  // 5
    "    /* block\n"                              // 6
    "       comment */\n"                         // 7
    "    {\n"                                     // 8
    "      \"name\": \"b\",\n"                    // 9
    "      \"project\": [\"x\", \"y as \\\"z\\\"\"]\n"  // 10
    "    }\n"                                     // 11
    "  ]\n"                                       // 12
    "}\n";

}  // namespace

TEST_GROUP(JsonLocator) {
  JsonLocator locator{kText};
};

TEST(JsonLocator, FindsKeysAndArrayElements) {
  LONGS_EQUAL(3, locator.LineOf("name"));
  LONGS_EQUAL(4, locator.LineOf("operators"));
  LONGS_EQUAL(5, locator.LineOf("operators[0].filter"));
  LONGS_EQUAL(8, locator.LineOf("operators[1]"));
  LONGS_EQUAL(9, locator.LineOf("operators[1].name"));
  LONGS_EQUAL(10, locator.LineOf("operators[1].project[1]"));
}

TEST(JsonLocator, MissingPathsFallBackToTheirParent) {
  LONGS_EQUAL(8, locator.LineOf("operators[1].window.size"));
  LONGS_EQUAL(1, locator.LineOf("sinks"));
  LONGS_EQUAL(1, locator.LineOf(""));
}

TEST(JsonLocator, NamesThePathAtAPosition) {
  STRCMP_EQUAL("operators[0].filter", locator.PathAt(5, 30).c_str());
  STRCMP_EQUAL("operators[1].name", locator.PathAt(9, 17).c_str());
}

TEST(JsonLocator, SingleQuotedStringsMayHoldBrackets) {
  JsonLocator single("{ a: 'x[{',\n  b: 1,\n  c: [2, 3] }");
  LONGS_EQUAL(2, single.LineOf("b"));
  LONGS_EQUAL(3, single.LineOf("c[1]"));
  STRCMP_EQUAL("c[1]", single.PathAt(3, 10).c_str());
}

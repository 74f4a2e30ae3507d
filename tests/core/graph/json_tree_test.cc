// ParseJsonTree: values keep where they start; strings come out unescaped;
// syntax errors, bad strings and deep nesting stop it with a position.
#include "core/graph/json_tree.h"

#include <string>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::graph::JsonSyntaxError;
using runnel::graph::JsonValue;
using runnel::graph::ParseJsonTree;

namespace {

// "LINE:COLUMN: MESSAGE" for `text`, or "<ok>".
std::string ErrorOf(const std::string& text) {
  JsonValue root;
  JsonSyntaxError error{0, 0, ""};
  if (ParseJsonTree(text, &root, &error)) return "<ok>";
  return std::to_string(error.line) + ":" + std::to_string(error.column) + ": " + error.message;
}

}  // namespace

TEST_GROUP(JsonTree){};

TEST(JsonTree, KeepsStructureAndPositions) {
  JsonValue root;
  JsonSyntaxError error{0, 0, ""};
  CHECK(ParseJsonTree("{ a: [1, 'x'],\n  \"b\\u00e9\": { c: null, }, }", &root, &error));
  CHECK(root.kind == JsonValue::Kind::kObject);
  LONGS_EQUAL(2, root.members.size());
  STRCMP_EQUAL("a", root.members[0].key.c_str());
  const JsonValue& a = root.members[0].value;
  CHECK(a.kind == JsonValue::Kind::kArray);
  LONGS_EQUAL(2, a.elements.size());
  CHECK(a.elements[0].kind == JsonValue::Kind::kWord);
  STRCMP_EQUAL("1", a.elements[0].text.c_str());
  CHECK(a.elements[1].kind == JsonValue::Kind::kString);
  LONGS_EQUAL(1, a.elements[1].line);
  LONGS_EQUAL(10, a.elements[1].column);
  STRCMP_EQUAL("b\xc3\xa9", root.members[1].key.c_str());
  LONGS_EQUAL(2, root.members[1].line);
  LONGS_EQUAL(3, root.members[1].column);
  STRCMP_EQUAL("null", root.members[1].value.members[0].value.text.c_str());
}

TEST(JsonTree, UnescapesStrings) {
  JsonValue root;
  JsonSyntaxError error{0, 0, ""};
  CHECK(ParseJsonTree(R"(["\"\'\\\/\b\f\n\r\t\x41\u00e9\ud83d\ude00"])", &root, &error));
  STRCMP_EQUAL("\"'\\/\b\f\n\r\tA\xc3\xa9\xf0\x9f\x98\x80", root.elements[0].text.c_str());
}

TEST(JsonTree, StopsAtTheFirstError) {
  STRCMP_EQUAL("1:8: expected ',' or '}', found 'b'", ErrorOf("{ a: 1 b: 2 }").c_str());
  STRCMP_EQUAL("2:1: expected the end of the text, found '{'", ErrorOf("{}\n{}").c_str());
  STRCMP_EQUAL("1:1: expected a value, found the end of the text", ErrorOf("").c_str());
  STRCMP_EQUAL("1:3: invalid escape '\\q' in string", ErrorOf("[ 'a\\qb' ]").c_str());
  STRCMP_EQUAL("1:3: invalid escape '\\u' in string", ErrorOf("[ '\\u12' ]").c_str());
  STRCMP_EQUAL("1:3: unpaired surrogate \\udc00 in string", ErrorOf("[ '\\udc00' ]").c_str());
  STRCMP_EQUAL("1:3: string is not valid UTF-8", ErrorOf("[ '\xc3' ]").c_str());
  STRCMP_EQUAL("1:65: nested deeper than 64 levels", ErrorOf(std::string(65, '[')).c_str());
  STRCMP_EQUAL("<ok>", ErrorOf(std::string(64, '[') + std::string(64, ']')).c_str());
}

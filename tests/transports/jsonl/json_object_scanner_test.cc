#include "transports/jsonl/json_object_scanner.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::jsonl::JsonObjectScanner;
using Kind = JsonObjectScanner::Kind;
using Number = JsonObjectScanner::Number;
using Start = JsonObjectScanner::Start;

TEST_GROUP(JsonObjectScanner) {
  JsonObjectScanner scanner{4096};
  std::string line;  // scanner copies it; kept for messages

  // Begins `text` as {"v":VALUE...}: the cursor at VALUE.
  void AtValue(const std::string& value) {
    line = "{\"v\":" + value + "}";
    CHECK_TEXT(scanner.Begin(line) == Start::kObject, line.c_str());
    std::string_view key;
    CHECK_TEXT(scanner.NextKey(&key), line.c_str());
  }
  std::string String(const std::string& literal) {
    AtValue(literal);
    std::string_view text;
    CHECK_TEXT(scanner.ReadString(&text), scanner.error() ? scanner.error() : literal.c_str());
    std::string_view key;
    CHECK_TEXT(!scanner.NextKey(&key) && scanner.Finish(), literal.c_str());
    return std::string(text);
  }
  void BadString(const std::string& literal, const char* error) {
    AtValue(literal);
    std::string_view text;
    CHECK_TEXT(!scanner.ReadString(&text), literal.c_str());
    STRCMP_EQUAL(error, scanner.error());
  }
  Number Int(const std::string& literal, int64_t* value) {
    AtValue(literal);
    return scanner.ReadInt64(value);
  }
  Number Double(const std::string& literal, double* value) {
    AtValue(literal);
    return scanner.ReadDouble(value);
  }
  // The whole line, every value skipped: nullptr if well-formed, else why not.
  const char* Skipped(const std::string& text) {
    line = text;
    if (scanner.Begin(line) != Start::kObject) return scanner.error() ? scanner.error() : "";
    std::string_view key;
    while (scanner.NextKey(&key)) {
      if (!scanner.SkipValue()) return scanner.error();
    }
    return scanner.Finish() ? nullptr : scanner.error();
  }
  void Valid(const std::string& text) {
    const char* error = Skipped(text);
    CHECK_TEXT(error == nullptr, (text + ": " + (error ? error : "")).c_str());
  }
  void Invalid(const std::string& text, const char* error) {
    const char* actual = Skipped(text);
    CHECK_TEXT(actual != nullptr, text.c_str());
    STRCMP_EQUAL_TEXT(error, actual, text.c_str());
  }
};

TEST(JsonObjectScanner, WalksMembersInOrder) {
  CHECK(scanner.Begin(R"( { "a" : 1 , "b":"x" ,"c" :true,"d": null } )") == Start::kObject);
  std::string_view key;
  CHECK(scanner.NextKey(&key));
  STRCMP_EQUAL("a", std::string(key).c_str());
  CHECK(scanner.Peek() == Kind::kNumber);
  int64_t i = 0;
  CHECK(scanner.ReadInt64(&i) == Number::kOk);
  LONGS_EQUAL(1, i);
  CHECK(scanner.NextKey(&key));
  STRCMP_EQUAL("b", std::string(key).c_str());
  CHECK(scanner.Peek() == Kind::kString);
  CHECK(scanner.SkipValue());
  CHECK(scanner.NextKey(&key));
  CHECK(scanner.Peek() == Kind::kTrue);
  CHECK(scanner.ReadLiteral());
  CHECK(scanner.NextKey(&key));
  STRCMP_EQUAL("d", std::string(key).c_str());
  CHECK(scanner.Peek() == Kind::kNull);
  CHECK(scanner.ReadLiteral());
  CHECK_FALSE(scanner.NextKey(&key));
  CHECK(scanner.Finish());
  CHECK(scanner.error() == nullptr);
}

TEST(JsonObjectScanner, StartsOnlyOnAnObject) {
  CHECK(scanner.Begin("{}") == Start::kObject);
  std::string_view key;
  CHECK_FALSE(scanner.NextKey(&key));
  CHECK(scanner.Finish());
  for (const char* other : {"[1]", "42", "-1", "\"s\"", "true", "false", "null", " [", "nul"}) {
    CHECK_TEXT(scanner.Begin(other) == Start::kNotObject, other);
  }
  CHECK(scanner.Begin("") == Start::kMalformed);
  STRCMP_EQUAL("unexpected end of line", scanner.error());
  CHECK(scanner.Begin(" \t ") == Start::kMalformed);
  CHECK(scanner.Begin("x") == Start::kMalformed);
  STRCMP_EQUAL("expected a JSON object", scanner.error());
  CHECK(scanner.Begin(std::string(4097, ' ')) == Start::kMalformed);
  STRCMP_EQUAL("line too long", scanner.error());
}

TEST(JsonObjectScanner, UnescapesStrings) {
  STRCMP_EQUAL("plain", String(R"("plain")").c_str());
  STRCMP_EQUAL("", String(R"("")").c_str());
  STRCMP_EQUAL("a\"b\\c/d\be\ff\ng\rh\ti", String(R"("a\"b\\c\/d\be\ff\ng\rh\ti")").c_str());
  STRCMP_EQUAL("caf\xc3\xa9 \xe2\x82\xac", String(R"("caf\u00e9 \u20AC")").c_str());
  STRCMP_EQUAL("\xf0\x9f\x98\x80!", String(R"("\ud83d\uDE00!")").c_str());
  STRCMP_EQUAL("\xf4\x8f\xbf\xbf", String(R"("\udbff\udfff")").c_str());
  // Raw UTF-8 (2, 3 and 4 bytes) is kept, also after an escape moved it.
  STRCMP_EQUAL("\"\xc3\xa9\xe6\xb8\xa9\xf0\x9f\x98\x80x",
               String("\"\\\"\xc3\xa9\xe6\xb8\xa9\xf0\x9f\x98\x80x\"").c_str());
  std::string nul = String(R"("a\u0000b")");
  LONGS_EQUAL(3, nul.size());
  CHECK(nul[1] == '\0');
}

TEST(JsonObjectScanner, EarlierViewsSurviveLaterUnescaping) {
  CHECK(scanner.Begin(R"({"k\u0031":"v\n1","k2":"\"v2\""})") == Start::kObject);
  std::string_view k1, v1, k2, v2;
  CHECK(scanner.NextKey(&k1));
  CHECK(scanner.ReadString(&v1));
  CHECK(scanner.NextKey(&k2));
  CHECK(scanner.ReadString(&v2));
  CHECK_FALSE(scanner.NextKey(&k2));
  CHECK(scanner.Finish());
  STRCMP_EQUAL("k1", std::string(k1).c_str());
  STRCMP_EQUAL("v\n1", std::string(v1).c_str());
  STRCMP_EQUAL("\"v2\"", std::string(v2).c_str());
}

TEST(JsonObjectScanner, RejectsBadStrings) {
  BadString(R"("abc)", "unterminated string");
  BadString(R"("a\x")", "invalid escape");
  BadString(R"("a\')", "invalid escape");
  BadString(R"("a\u12")", "invalid \\u escape");
  BadString(R"("a\u12g4")", "invalid \\u escape");
  BadString(R"("\ud83d")", "unpaired surrogate in \\u escape");
  BadString(R"("\ud83dx")", "unpaired surrogate in \\u escape");
  BadString(R"("\ud83d\u0041")", "unpaired surrogate in \\u escape");
  BadString(R"("\ude00")", "unpaired surrogate in \\u escape");
  BadString("\"a\tb\"", "control character in string");
  BadString("\"a\nb\"", "control character in string");
  BadString(std::string("\"a\0b\"", 5), "control character in string");
  BadString("\"\x80\"", "invalid UTF-8");
  BadString("\"\xc0\xaf\"", "invalid UTF-8");          // overlong '/'
  BadString("\"\xe0\x80\xaf\"", "invalid UTF-8");      // overlong
  BadString("\"\xed\xa0\x80\"", "invalid UTF-8");      // a surrogate
  BadString("\"\xf4\x90\x80\x80\"", "invalid UTF-8");  // past U+10FFFF
  BadString("\"\xf5\x80\x80\x80\"", "invalid UTF-8");
  BadString("\"\xe6\xb8\"", "invalid UTF-8");          // cut short
  BadString("\"\xff\"", "invalid UTF-8");
}

TEST(JsonObjectScanner, ReadsInt64) {
  int64_t v = 0;
  CHECK(Int("0", &v) == Number::kOk);
  LONGS_EQUAL(0, v);
  CHECK(Int("-0", &v) == Number::kOk);
  LONGS_EQUAL(0, v);
  CHECK(Int("-17", &v) == Number::kOk);
  LONGS_EQUAL(-17, v);
  CHECK(Int("9223372036854775807", &v) == Number::kOk);
  CHECK(v == INT64_MAX);
  CHECK(Int("-9223372036854775808", &v) == Number::kOk);
  CHECK(v == INT64_MIN);
  CHECK(Int("9223372036854775808", &v) == Number::kOutOfRange);
  CHECK(Int("-9223372036854775809", &v) == Number::kOutOfRange);
  CHECK(Int("18446744073709551616", &v) == Number::kOutOfRange);
  CHECK(Int("99999999999999999999999", &v) == Number::kOutOfRange);
  CHECK(scanner.error() == nullptr);
  CHECK(Int("1.0", &v) == Number::kNotInteger);
  CHECK(Int("1e3", &v) == Number::kNotInteger);
  CHECK(Int("-2E-1", &v) == Number::kNotInteger);
  // Past a number of another kind the line goes on.
  std::string_view key;
  CHECK_FALSE(scanner.NextKey(&key));
  CHECK(scanner.Finish());
}

TEST(JsonObjectScanner, ReadsDoubles) {
  double v = 0;
  CHECK(Double("21.5", &v) == Number::kOk);
  DOUBLES_EQUAL(21.5, v, 0);
  CHECK(Double("-3e2", &v) == Number::kOk);
  DOUBLES_EQUAL(-300, v, 0);
  CHECK(Double("2.15E+1", &v) == Number::kOk);
  DOUBLES_EQUAL(21.5, v, 0);
  CHECK(Double("125e-3", &v) == Number::kOk);
  DOUBLES_EQUAL(0.125, v, 0);
  CHECK(Double("7", &v) == Number::kOk);
  DOUBLES_EQUAL(7, v, 0);
  CHECK(Double("0.1", &v) == Number::kOk);
  CHECK(v == 0.1);  // correctly rounded
  CHECK(Double("1.7976931348623157e308", &v) == Number::kOk);
  CHECK(Double("-0.0", &v) == Number::kOk);
  CHECK(v == 0 && std::signbit(v));
  CHECK(Double("4e-320", &v) == Number::kOk);  // subnormal
  CHECK(v > 0);
  CHECK(Double("1e400", &v) == Number::kOutOfRange);
  CHECK(Double("-1e400", &v) == Number::kOutOfRange);
  CHECK(Double("0.001e400", &v) == Number::kOutOfRange);
  CHECK(Double(std::string(400, '9'), &v) == Number::kOutOfRange);
  // Too small for a double: zero, with its sign.
  CHECK(Double("1e-400", &v) == Number::kOk);
  CHECK(v == 0 && !std::signbit(v));
  CHECK(Double("-1e-400", &v) == Number::kOk);
  CHECK(v == 0 && std::signbit(v));
  CHECK(Double("1000e-400", &v) == Number::kOk);
  CHECK(Double("0." + std::string(400, '0') + "1e50", &v) == Number::kOk);
  CHECK(v == 0);
}

// ReadDouble computes short numbers itself (an exact power of ten times an
// integer of at most 2^53): bit for bit what from_chars gives, over sensor-
// like values, random digit strings and the edges of that fast path.
TEST(JsonObjectScanner, DoublesMatchFromChars) {
  std::mt19937_64 random(7);
  std::vector<std::string> numbers = {
      "9007199254740992", "9007199254740993", "9007199254740991e-22", "9007199254740993e22",
      "1e22", "1e23", "1e-22", "1e-23", "123456789012345678901234567890", "0.30000000000000004",
      "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308", "-0", "-0.0e-5",
      "0.0000000000000000000000000001", "1234567890.0987654321"};
  for (int i = 0; i < 200000; ++i) {
    std::string n = (random() & 1) ? "-" : "";
    const int kind = random() % 3;
    if (kind == 0) {  // sensor-like: up to 6 decimals
      n += std::to_string(random() % 100000) + "." + std::to_string(random() % 1000000);
    } else {  // random digits, a point somewhere, maybe an exponent
      std::string digits = std::to_string(1 + random() % 9);
      for (int d = random() % 20; d > 0; --d) digits += static_cast<char>('0' + random() % 10);
      const size_t point = 1 + random() % digits.size();
      n += digits.substr(0, point);
      if (point < digits.size()) n += "." + digits.substr(point);
      if (kind == 2) n += "e" + std::to_string(static_cast<int>(random() % 61) - 30);
    }
    numbers.push_back(n);
  }
  for (const std::string& n : numbers) {
    double expected = 0, actual = 0;
    std::from_chars(n.data(), n.data() + n.size(), expected);
    CHECK_TEXT(Double(n, &actual) == Number::kOk, n.c_str());
    CHECK_TEXT(std::memcmp(&expected, &actual, sizeof(double)) == 0, n.c_str());
  }
}

TEST(JsonObjectScanner, RejectsBadNumbers) {
  for (const char* bad : {"01", "-01", "00", "1.", "1.e5", "-", "1e", "1e+", "1E-", "1.2.3",
                          "1e5e5", "0x1F", "1-2", "2+"}) {
    double d = 0;
    CHECK_TEXT(Double(bad, &d) == Number::kMalformed, bad);
    STRCMP_EQUAL_TEXT("invalid number", scanner.error(), bad);
    int64_t i = 0;
    CHECK_TEXT(Int(bad, &i) == Number::kMalformed, bad);
  }
  // No value starts with '+' or '.'.
  for (const char* bad : {"+1", ".5", "Infinity", "NaN"}) {
    AtValue(bad);
    CHECK_TEXT(scanner.Peek() == Kind::kNone, bad);
    CHECK_FALSE(scanner.SkipValue());
  }
}

TEST(JsonObjectScanner, SkipsNestedValuesWithTrickyStrings) {
  Valid(R"({"a":{"b":[1,{"c":"}]\"{[,:"},[],{}],"d":"\\"},"e":[[[]]],"f":-0.5e-3})");
  Valid(R"({ "a" : [ 1 , 2 , { "x" : null } ] , "b" : { } , "c" : [ ] })");
  Valid("{\"a\":[true,false,null,\"\\u00e9\\ud83d\\ude00\",\"\xe6\xb8\xa9\"]}");
  Valid(R"({"":""})");
  Valid("{\t\"a\"\t:\t1\t}\t");
  std::string deep = "{\"a\":" + std::string(1024, '[') + std::string(1024, ']') + "}";
  Valid(deep);
  deep = "{\"a\":" + std::string(1025, '[') + std::string(1025, ']') + "}";
  Invalid(deep, "nested too deep");
}

TEST(JsonObjectScanner, RejectsMalformedObjects) {
  Invalid(R"({"a":1,})", "expected a string key");
  Invalid(R"({,"a":1})", "expected a string key");
  Invalid(R"({"a":[1,]})", "expected a value");
  Invalid(R"({"a":[,1]})", "expected a value");
  Invalid(R"({"a":{"b":1,}})", "expected a string key");
  Invalid(R"({"a" 1})", "expected ':'");
  Invalid(R"({"a":{"b" 1}})", "expected ':'");
  Invalid(R"({"a":1 "b":2})", "expected ',' or '}'");
  Invalid(R"({"a":[1 2]})", "expected ',' or ']'");
  Invalid(R"({"a":[1}})", "expected ',' or ']'");
  Invalid(R"({"a":{"b":1]})", "expected ',' or '}'");
  Invalid(R"({a:1})", "expected a string key");
  Invalid(R"({'a':1})", "expected a string key");
  Invalid(R"({"a":tru})", "invalid literal");
  Invalid(R"({"a":True})", "expected a value");
  Invalid(R"({"a":nulls})", "expected ',' or '}'");
  Invalid(R"({"a":})", "expected a value");
  Invalid(R"({"a":1}})", "text after the object");
  Invalid(R"({"a":1} {"b":2})", "text after the object");
  Invalid(R"({"a":1}x)", "text after the object");
  Invalid(std::string("{\"a\":1}\0", 8), "text after the object");
  Invalid(R"({"a":1)", "unexpected end of line");
  Invalid(R"({"a":[1,2)", "unexpected end of line");
  Invalid(R"({"a":)", "unexpected end of line");
  Invalid(R"({"a")", "unexpected end of line");
  Invalid(R"({"a":"x)", "unterminated string");
  Invalid("{\"a\":\"x\\", "unterminated string");
  Invalid(R"({"a":tr)", "unexpected end of line");
  Invalid(R"({)", "unexpected end of line");
  Invalid("{\"a\":\x01}", "expected a value");
  Invalid("{\"a\":1\x0b}", "expected ',' or '}'");  // vertical tab is not JSON whitespace
}

TEST(JsonObjectScanner, ReportsTheColumn) {
  Invalid(R"({"a":1,"b" 2})", "expected ':'");
  LONGS_EQUAL(12, scanner.error_column());
  Invalid(R"({"a":"\q"})", "invalid escape");
  LONGS_EQUAL(7, scanner.error_column());
}

TEST(JsonObjectScanner, ALineOfExactlyMaxBytes) {
  JsonObjectScanner small(16);
  CHECK(small.Begin(R"({"k":"12345678"})") == Start::kObject);  // 16 bytes
  std::string_view key, value;
  CHECK(small.NextKey(&key));
  CHECK(small.ReadString(&value));
  STRCMP_EQUAL("12345678", std::string(value).c_str());
  CHECK_FALSE(small.NextKey(&key));
  CHECK(small.Finish());
  // Cut short at every length: rejected, never read past the end.
  const std::string full = R"({"k":"\ud83d\ude00","n":[true,-1.5e3]})";
  for (size_t n = 0; n < full.size(); ++n) {
    JsonObjectScanner exact(n);
    const std::string cut = full.substr(0, n);
    if (exact.Begin(cut) != Start::kObject) continue;
    while (exact.NextKey(&key)) {
      if (!exact.SkipValue()) break;
    }
    CHECK_TEXT(!exact.Finish(), cut.c_str());
  }
  Valid(full);
  UNSIGNED_LONGLONGS_EQUAL(17, JsonObjectScanner::FootprintBytes(16));
  UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, JsonObjectScanner::FootprintBytes(UINT64_MAX));
}

#include "transports/jsonl/jsonl_decoder.h"

#include <cmath>
#include <string>

#include "core/schema/null.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::jsonl::JsonlDecoder;
using runnel::schema::FieldType;
using runnel::schema::kNullInt;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

// Every field type; ts written in seconds.
Schema AllTypes() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kS},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"count", FieldType::kI64, TimeUnit::kMs},
                 {"ok", FieldType::kBool, TimeUnit::kMs}});
}

}  // namespace

TEST_GROUP(JsonlDecoder) {
  SymbolTable symbols{64, 4096};
  JsonlDecoder decoder{AllTypes(), &symbols, 1 << 12};
  Slot row[5] = {};

  void Ok(const std::string& line) {
    auto outcome = decoder.Decode(line, row);
    CHECK_TEXT(outcome == JsonlDecoder::Outcome::kOk, decoder.error());
  }
  void Bad(const std::string& line, const char* error) {
    CHECK_TEXT(decoder.Decode(line, row) == JsonlDecoder::Outcome::kBadLine, line.c_str());
    STRCMP_EQUAL(error, decoder.error());
  }
  std::string Sym(int field) { return std::string(symbols.Lookup(row[field].i64)); }
};

TEST(JsonlDecoder, DecodesEveryType) {
  Ok(R"({"device":"dev-1","ts":1700000000,"temp":21.5,"count":-7,"ok":true})");
  STRCMP_EQUAL("dev-1", Sym(0).c_str());
  CHECK(row[1].i64 == 1700000000LL * 1000000000LL);
  DOUBLES_EQUAL(21.5, row[2].f64, 0);
  CHECK(row[3].i64 == -7);
  CHECK(row[4].i64 == 1);
  Ok(R"({"ok":false,"count":0,"temp":-3e2,"ts":0,"device":"dev-1"})");
  CHECK(row[4].i64 == 0);
  DOUBLES_EQUAL(-300, row[2].f64, 0);
}

TEST(JsonlDecoder, NumbersForF64MayBeIntegers) {
  Ok(R"({"device":"d","ts":1,"temp":21,"count":1,"ok":true})");
  DOUBLES_EQUAL(21, row[2].f64, 0);
}

TEST(JsonlDecoder, I64AndTsRejectFractionsAndOverflow) {
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1.5,"ok":true})",
      "field 'count': expected an integer");
  Bad(R"({"device":"d","ts":1.0,"temp":1,"count":1,"ok":true})",
      "field 'ts': expected an integer timestamp");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":99999999999999999999,"ok":true})",
      "field 'count': expected an integer (out of range)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":9223372036854775808,"ok":true})",
      "field 'count': expected an integer (out of range)");
  Bad(R"({"device":"d","ts":-99999999999999999999,"temp":1,"count":1,"ok":true})",
      "field 'ts': expected an integer timestamp (out of range)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1e3,"ok":true})",
      "field 'count': expected an integer");
  Bad(R"({"device":"d","ts":9223372036854775807,"temp":1,"count":1,"ok":true})",
      "field 'ts': timestamp out of range");
}

TEST(JsonlDecoder, SymUnescapesStrings) {
  Ok(R"({"device":"caf\u00e9 \"north\"\\n","ts":1,"temp":1,"count":1,"ok":true})");
  STRCMP_EQUAL("caf\xc3\xa9 \"north\"\\n", Sym(0).c_str());
  Ok("{\"device\":\"\xe6\xb8\xa9\xe5\xba\xa6\",\"ts\":1,\"temp\":1,\"count\":1,\"ok\":true}");
  STRCMP_EQUAL("\xe6\xb8\xa9\xe5\xba\xa6", Sym(0).c_str());
  Ok(R"({"device":"\ud83d\ude00","ts":1,"temp":1,"count":1,"ok":true})");
  STRCMP_EQUAL("\xf0\x9f\x98\x80", Sym(0).c_str());
}

TEST(JsonlDecoder, EscapedKeysMatch) {
  Ok(R"({"dev\u0069ce":"d","ts":1,"temp":1,"count":1,"ok":true})");
  STRCMP_EQUAL("d", Sym(0).c_str());
}

TEST(JsonlDecoder, UnknownKeysAreIgnoredEvenNested) {
  Ok(R"({"site":{"a":[1,{"b":null}],"c":"x"},"device":"d","ts":1,"tags":[1,2],)"
     R"("temp":2.5,"count":1,"ok":true,"n":null})");
  DOUBLES_EQUAL(2.5, row[2].f64, 0);
}

TEST(JsonlDecoder, NestedValueForASchemaFieldIsRejected) {
  Bad(R"({"device":{"id":"d"},"ts":1,"temp":1,"count":1,"ok":true})",
      "field 'device': expected a string");
  Bad(R"({"device":"d","ts":1,"temp":[1],"count":1,"ok":true})",
      "field 'temp': expected a number");
}

TEST(JsonlDecoder, WrongTypesNameTheField) {
  Bad(R"({"device":"d","ts":1,"temp":"21.5","count":1,"ok":true})",
      "field 'temp': expected a number");
  Bad(R"({"device":7,"ts":1,"temp":1,"count":1,"ok":true})",
      "field 'device': expected a string");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":1})",
      "field 'ok': expected true or false");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1.5,"ok":true})",
      "field 'count': expected an integer");
}

TEST(JsonlDecoder, NullAndMissingValuesAreNulls) {
  Ok(R"({"device":null,"ts":null,"temp":null,"count":null,"ok":true})");
  CHECK(row[0].i64 == kNullInt);
  CHECK(row[1].i64 == kNullInt);
  CHECK(std::isnan(row[2].f64));
  CHECK(row[3].i64 == kNullInt);
  Ok(R"({"ok":false})");
  CHECK(row[0].i64 == kNullInt);
  CHECK(row[1].i64 == kNullInt);
  CHECK(std::isnan(row[2].f64));
  CHECK(row[3].i64 == kNullInt);
  LONGS_EQUAL(0, row[4].i64);
}

TEST(JsonlDecoder, BoolHasNoNull) {
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":null})",
      "field 'ok': expected true or false");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1})", "field 'ok' is missing");
}

TEST(JsonlDecoder, EventTimeMustBePresent) {
  JsonlDecoder timed(AllTypes(), &symbols, 1 << 12, 1);
  CHECK(timed.Decode(R"({"device":"d","ts":null,"temp":1,"count":1,"ok":true})", row) ==
        JsonlDecoder::Outcome::kBadLine);
  STRCMP_EQUAL("field 'ts': expected an integer timestamp", timed.error());
  CHECK(timed.Decode(R"({"device":"d","temp":1,"count":1,"ok":true})", row) ==
        JsonlDecoder::Outcome::kBadLine);
  STRCMP_EQUAL("field 'ts' is missing", timed.error());
  CHECK(timed.Decode(R"({"ts":5,"ok":true})", row) == JsonlDecoder::Outcome::kOk);
  CHECK(row[1].i64 == 5000000000LL);
  // In nanoseconds, INT64_MIN is the null itself.
  JsonlDecoder nanos(Schema({{"ts", FieldType::kTs, TimeUnit::kNs}}), &symbols, 1 << 12, 0);
  CHECK(nanos.Decode(R"({"ts":-9223372036854775808})", row) == JsonlDecoder::Outcome::kBadLine);
  STRCMP_EQUAL("field 'ts': a row needs its event time (this is the null)", nanos.error());
  CHECK(nanos.Decode(R"({"ts":-9223372036854775807})", row) == JsonlDecoder::Outcome::kOk);
}

TEST(JsonlDecoder, RepeatedFields) {
  Bad(R"({"device":"d","ts":1,"temp":1,"temp":2,"count":1,"ok":true})",
      "field 'temp' appears twice");
  Bad(R"({"device":"d","ts":1,"temp":null,"temp":2,"count":1,"ok":true})",
      "field 'temp' appears twice");
}

TEST(JsonlDecoder, CrlfIsAccepted) {
  Ok("{\"device\":\"d\",\"ts\":1,\"temp\":1,\"count\":1,\"ok\":true}\r");
  STRCMP_EQUAL("d", Sym(0).c_str());
}

TEST(JsonlDecoder, MalformedLinesAreRejected) {
  const char* lines[] = {
      "",
      "   ",
      "[1,2]",
      "42",
      "\"text\"",
      "not json",
      R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true)",  // truncated
      R"({"device":"d","ts":1,"temp":1,"count":1,"ok":tr)",
      R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true}})",
      R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true} {"x":1})",
      R"({"device":"d" "ts":1,"temp":1,"count":1,"ok":true})",
      R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true,})",
      R"({"device":"unterminated,"ts":1,"temp":1,"count":1,"ok":true})",
  };
  for (const char* line : lines) {
    CHECK_TEXT(decoder.Decode(line, row) == JsonlDecoder::Outcome::kBadLine, line);
    CHECK(decoder.error()[0] != '\0');
  }
  // The decoder recovers: the next good line decodes.
  Ok(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true})");
}

TEST(JsonlDecoder, LongLines) {
  std::string padding(3000, 'x');
  Ok(R"({"note":")" + padding + R"(","device":"d","ts":1,"temp":1,"count":1,"ok":true})");
  std::string too_long(5000, ' ');
  Bad(too_long, "line longer than 4096 bytes");
  // A line exactly max_line_bytes long still fits.
  std::string body = R"(,"device":"d","ts":1,"temp":1,"count":1,"ok":true})";
  std::string exact = R"({"note":")" + std::string(4096 - 10 - body.size(), 'y') + "\"" + body;
  LONGS_EQUAL(4096, exact.size());
  Ok(exact);
}

TEST(JsonlDecoder, FullSymbolTableIsReported) {
  SymbolTable tiny{1, 8};
  JsonlDecoder small(AllTypes(), &tiny, 256);
  CHECK(small.Decode(R"({"device":"a","ts":1,"temp":1,"count":1,"ok":true})", row) ==
        JsonlDecoder::Outcome::kOk);
  CHECK(small.Decode(R"({"device":"b","ts":1,"temp":1,"count":1,"ok":true})", row) ==
        JsonlDecoder::Outcome::kSymbolsFull);
}

TEST(JsonlDecoder, KeysAreComparedUnescaped) {
  Ok(R"({"\u0064evice":"d","t\u0073":1,"te\u006dp":2,"co\/unt":5,"count\u0000":6,"ok":true})");
  STRCMP_EQUAL("d", Sym(0).c_str());
  CHECK(row[1].i64 == 1000000000LL);
  DOUBLES_EQUAL(2, row[2].f64, 0);
  CHECK(row[3].i64 == kNullInt);  // "co/unt" and "count\0" are other keys
  Bad(R"({"ok":true,"\u006fk":false})", "field 'ok' appears twice");
}

TEST(JsonlDecoder, SymEscapesAndSurrogatePairs) {
  Ok(R"({"device":"a\"b\\c\/d\be\ff\ng\rh\ti","ts":1,"temp":1,"count":1,"ok":true})");
  STRCMP_EQUAL("a\"b\\c/d\be\ff\ng\rh\ti", Sym(0).c_str());
  Ok(R"({"device":"\uD83C\uDF21 \u00b0C \u2103","ts":1,"temp":1,"count":1,"ok":true})");
  STRCMP_EQUAL("\xf0\x9f\x8c\xa1 \xc2\xb0"
               "C \xe2\x84\x83",
               Sym(0).c_str());
  Bad(R"({"device":"bad \x","ts":1,"temp":1,"count":1,"ok":true})",
      "field 'device': malformed JSON (invalid escape at column 16)");
  Bad(R"({"device":"\ud83d","ts":1,"temp":1,"count":1,"ok":true})",
      "field 'device': malformed JSON (unpaired surrogate in \\u escape at column 12)");
  Bad(R"({"device":"\ude00\ud83d","ts":1,"temp":1,"count":1,"ok":true})",
      "field 'device': malformed JSON (unpaired surrogate in \\u escape at column 12)");
  Bad("{\"device\":\"tab\there\",\"ts\":1,\"temp\":1,\"count\":1,\"ok\":true}",
      "field 'device': malformed JSON (control character in string at column 15)");
  Bad("{\"device\":\"\xc3\x28\",\"ts\":1,\"temp\":1,\"count\":1,\"ok\":true}",
      "field 'device': malformed JSON (invalid UTF-8 at column 12)");
}

TEST(JsonlDecoder, UnknownValuesAreSkippedAndChecked) {
  Ok(R"({"meta":{"note":"}\"]{[,:","list":[{"x":"\\"},[],{}],"e":-1.5E-3},)"
     R"("device":"d","ts":1,"temp":1,"count":1,"ok":true,"tail":[[["]]]"]]]})");
  STRCMP_EQUAL("d", Sym(0).c_str());
  Bad(R"({"meta":{"a":[1,]},"device":"d","ts":1,"temp":1,"count":1,"ok":true})",
      "malformed JSON (expected a value at column 17)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true,"x":{"a":1]})",
      "malformed JSON (expected ',' or '}' at column 61)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true,"x":"\q"})",
      "malformed JSON (invalid escape at column 56)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true,"x":01})",
      "malformed JSON (invalid number at column 56)");
}

TEST(JsonlDecoder, MalformedLinesSayWhy) {
  Bad(R"({"device":"d","ts":1,"note":"abc)", "malformed JSON (unterminated string at column 33)");
  Bad(R"({"device":"d","ts":1,"temp":01,"count":1,"ok":true})",
      "field 'temp': malformed JSON (invalid number at column 30)");
  Bad(R"({"device":"d","ts":1,"temp":1.,"count":1,"ok":true})",
      "field 'temp': malformed JSON (invalid number at column 31)");
  Bad(R"({"device":"d","ts":-,"temp":1,"count":1,"ok":true})",
      "field 'ts': malformed JSON (invalid number at column 21)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true,})",
      "malformed JSON (expected a string key at column 51)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok" true})",
      "malformed JSON (expected ':' at column 46)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true} x)",
      "malformed JSON (text after the object at column 52)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":true)",
      "malformed JSON (unexpected end of line at column 50)");
  Bad(R"({"device":"d","ts":1,"temp":1,"count":1,"ok":tru})",
      "field 'ok': malformed JSON (invalid literal at column 49)");
  Bad("", "malformed JSON (unexpected end of line at column 1)");
  Bad("[1,2]", "expected a JSON object");
  // Whitespace between tokens is fine; a trailing one too.
  Ok(" { \"device\" : \"d\" , \"ts\" : 1 ,\t\"temp\" : 1 , \"count\" : 1 , \"ok\" : true } ");
}

TEST(JsonlDecoder, AWrongTypeIsReportedOnlyForWellFormedValues) {
  Bad(R"({"device":"d","ts":1,"temp":"hot)",
      "field 'temp': malformed JSON (unterminated string at column 33)");
  Bad(R"({"device":"d","ts":1,"temp":[1,}],"count":1,"ok":true})",
      "field 'temp': malformed JSON (expected a value at column 32)");
  Bad(R"({"device":"d","ts":1,"temp":{"v":21.5},"count":1,"ok":true})",
      "field 'temp': expected a number");
}

TEST(JsonlDecoder, F64TakesEveryNumberForm) {
  Ok(R"({"device":"d","ts":1,"temp":2.15e1,"count":1,"ok":true})");
  DOUBLES_EQUAL(21.5, row[2].f64, 0);
  Ok(R"({"device":"d","ts":1,"temp":-1E+2,"count":1,"ok":true})");
  DOUBLES_EQUAL(-100, row[2].f64, 0);
  Ok(R"({"device":"d","ts":1,"temp":25e-2,"count":1,"ok":true})");
  DOUBLES_EQUAL(0.25, row[2].f64, 0);
  Ok(R"({"device":"d","ts":1,"temp":0.1,"count":1,"ok":true})");
  CHECK(row[2].f64 == 0.1);
  Ok(R"({"device":"d","ts":1,"temp":1e-400,"count":1,"ok":true})");
  DOUBLES_EQUAL(0, row[2].f64, 0);
  Bad(R"({"device":"d","ts":1,"temp":1e400,"count":1,"ok":true})",
      "field 'temp': expected a number (out of range)");
}

TEST(JsonlDecoder, I64Limits) {
  Ok(R"({"device":"d","ts":1,"temp":1,"count":-9223372036854775808,"ok":true})");
  CHECK(row[3].i64 == INT64_MIN);
  Ok(R"({"device":"d","ts":1,"temp":1,"count":9223372036854775807,"ok":true})");
  CHECK(row[3].i64 == INT64_MAX);
  Ok(R"({"device":"d","ts":-9223372036,"temp":1,"count":-0,"ok":true})");
  CHECK(row[1].i64 == -9223372036LL * 1000000000LL);
  CHECK(row[3].i64 == 0);
}

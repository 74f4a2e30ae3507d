#include "core/expr/checker.h"

#include <CppUTest/TestHarness.h>

#include <string>

using runnel::expr::ParseCondition;
using runnel::expr::ParseExpression;
using runnel::schema::FieldType;
using runnel::schema::Schema;
using runnel::schema::TimeUnit;

namespace {

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"count", FieldType::kI64, TimeUnit::kMs},
                 {"ok", FieldType::kBool, TimeUnit::kMs},
                 {"limit", FieldType::kF64, TimeUnit::kMs},
                 {"seen", FieldType::kTs, TimeUnit::kS}});
}

std::string ErrorOf(const char* text) {
  auto result = ParseExpression(text, Readings());
  return result.ok() ? "<ok>" : result.status().message();
}

FieldType TypeOf(const char* text) {
  auto result = ParseExpression(text, Readings());
  CHECK_TEXT(result.ok(), (std::string(text) + ": " + result.status().message()).c_str());
  return result.value().type();
}

}  // namespace

TEST_GROUP(Checker){};

TEST(Checker, ResolvesFieldsAndConstants) {
  auto e = ParseExpression("temp > 30.5", Readings());
  CHECK(e.ok());
  const auto& root = e.value().node(e.value().root);
  LONGS_EQUAL(2, e.value().node(root.args[0]).field);
  DOUBLES_EQUAL(30.5, e.value().node(root.args[1]).value.f64, 0);
  CHECK(TypeOf("count >= -3") == FieldType::kBool);
}

TEST(Checker, PromotionRules) {
  CHECK(TypeOf("count + 1") == FieldType::kI64);
  CHECK(TypeOf("count / 2") == FieldType::kI64);  // integer division
  CHECK(TypeOf("count + 1.5") == FieldType::kF64);
  CHECK(TypeOf("count * temp") == FieldType::kF64);
  CHECK(TypeOf("-count") == FieldType::kI64);
  CHECK(TypeOf("abs(count)") == FieldType::kI64);
  CHECK(TypeOf("round(temp)") == FieldType::kF64);
  CHECK(TypeOf("floor(count)") == FieldType::kI64);
  CHECK(TypeOf("sqrt(count)") == FieldType::kF64);
  CHECK(TypeOf("pow(count, 2)") == FieldType::kF64);
  CHECK(TypeOf("min(count, 2)") == FieldType::kI64);
  CHECK(TypeOf("max(count, 2, temp)") == FieldType::kF64);
  CHECK(TypeOf("min(ts, ts)") == FieldType::kTs);
  CHECK(TypeOf("if(ok, count, temp)") == FieldType::kF64);
  CHECK(TypeOf("if(ok, device, 'none')") == FieldType::kSym);
  CHECK(TypeOf("if(ok, ts, seen)") == FieldType::kTs);
  CHECK(TypeOf("i64(temp)") == FieldType::kI64);
  CHECK(TypeOf("f64(ts)") == FieldType::kF64);
  CHECK(TypeOf("i64(ok)") == FieldType::kI64);
  CHECK(TypeOf("hour(ts) + day_of_week(seen)") == FieldType::kI64);
  CHECK(TypeOf("temp is null") == FieldType::kBool);
  CHECK(TypeOf("device in ('a', 'b')") == FieldType::kBool);
  CHECK(TypeOf("count in (1, 2.5)") == FieldType::kBool);
}

TEST(Checker, TimestampConstantsAreInTheFieldsUnit) {
  auto e = ParseExpression("ts >= 1700000000000", Readings());
  CHECK(e.ok());
  const auto& root = e.value().node(e.value().root);
  CHECK(e.value().node(root.args[1]).value.i64 == 1700000000000000000LL);
  CHECK(e.value().node(root.args[1]).type == FieldType::kTs);
  auto s = ParseExpression("1700000000 < seen", Readings());  // a seconds field, mirrored
  CHECK(s.ok());
  CHECK(s.value().node(s.value().node(s.value().root).args[0]).value.i64 == 1700000000000000000LL);
  auto in = ParseExpression("seen in (1, 2)", Readings());
  CHECK(in.ok());
  CHECK(in.value().node(in.value().node(in.value().root).args[2]).value.i64 == 2000000000LL);
  STRCMP_EQUAL("ts field 'ts' compares with a whole number of ms, found 1.5 at column 6",
               ErrorOf("ts > 1.5").c_str());
  STRCMP_EQUAL("ts field 'seen' compares with a whole number of s, found 9223372036854775807 at "
               "column 8",
               ErrorOf("seen > 9223372036854775807").c_str());
}

TEST(Checker, ExplainsMistakesWithTheirColumn) {
  STRCMP_EQUAL("unknown field 'tmp' at column 5 (fields: device, ts, temp, count, ok, limit, seen)",
               ErrorOf("1 + tmp > 3").c_str());
  STRCMP_EQUAL("cannot compare f64 field 'temp' with the string 'hot' at column 6 (expected a "
               "number)",
               ErrorOf("temp > 'hot'").c_str());
  STRCMP_EQUAL("sym field 'device' compares only with == and != at column 8",
               ErrorOf("device > 'a'").c_str());
  STRCMP_EQUAL("cannot compare sym field 'device' with the number 3 at column 8 (expected a "
               "quoted string)",
               ErrorOf("device == 3").c_str());
  STRCMP_EQUAL("cannot compare bool field 'ok' with the number 1 at column 4 (expected true or "
               "false)",
               ErrorOf("ok == 1").c_str());
  STRCMP_EQUAL("cannot compare ts field 'ts' with i64 field 'count' at column 4 (a ts compares "
               "with a ts, or with a whole number of ms written as a constant)",
               ErrorOf("ts > count").c_str());
  STRCMP_CONTAINS("cannot apply '+' to ts field 'ts' and the number 1 at column 4 (a ts supports",
                  ErrorOf("ts + 1").c_str());
  STRCMP_EQUAL("cannot apply '*' to sym field 'device' and the number 2 at column 8",
               ErrorOf("device * 2").c_str());
  STRCMP_EQUAL("'and' needs bool operands, found f64 field 'temp' at column 4",
               ErrorOf("ok and temp").c_str());
  STRCMP_EQUAL("'not' needs a bool, found an i64 expression at column 1",
               ErrorOf("not count + 1").c_str());
  STRCMP_EQUAL("'-' needs a number, found bool field 'ok' at column 1", ErrorOf("-ok").c_str());
  STRCMP_EQUAL("unknown function 'avg' at column 1 (functions: abs, ceil, day, day_of_week, exp, "
               "f64, floor, hour, i64, if, log, max, min, minute, month, pow, round, second, "
               "sqrt, year)",
               ErrorOf("avg(temp)").c_str());
  STRCMP_EQUAL("abs() takes 1 argument, found 2 at column 1", ErrorOf("abs(temp, 1)").c_str());
  STRCMP_EQUAL("min() takes at least 2 arguments, found 1 at column 1", ErrorOf("min(temp)").c_str());
  STRCMP_EQUAL("hour() needs a ts, found f64 field 'temp' at column 1", ErrorOf("hour(temp)").c_str());
  STRCMP_EQUAL("sqrt() needs a number, found sym field 'device' at column 1",
               ErrorOf("sqrt(device)").c_str());
  STRCMP_EQUAL("if() needs a condition (bool) first, found i64 field 'count' at column 1",
               ErrorOf("if(count, 1, 2)").c_str());
  STRCMP_EQUAL("if() needs two results of one type, found sym field 'device' and the number 1 "
               "at column 1",
               ErrorOf("if(ok, device, 1)").c_str());
  STRCMP_EQUAL("i64() cannot convert sym field 'device' at column 1", ErrorOf("i64(device)").c_str());
  STRCMP_EQUAL("the list of sym field 'device' cannot hold the number 3 at column 17 (expected "
               "quoted strings)",
               ErrorOf("device in ('a', 3)").c_str());
  STRCMP_EQUAL("min() of a ts needs ts arguments, found the number 3 at column 1",
               ErrorOf("min(ts, 3)").c_str());
  // Integers beyond +-INT64_MAX (INT64_MIN is null's) are read as f64.
  CHECK(TypeOf("-9223372036854775808") == FieldType::kF64);
  CHECK(TypeOf("-9223372036854775807") == FieldType::kI64);
  STRCMP_CONTAINS("'1e999' is not a number", ErrorOf("temp > 1e999").c_str());
}

TEST(Checker, AConditionMustBeBool) {
  CHECK(ParseCondition("temp > 3 and not ok", Readings()).ok());
  auto e = ParseCondition("temp + 1", Readings());
  CHECK_FALSE(e.ok());
  STRCMP_EQUAL("expected a condition (a bool expression such as 'temp > 30'), found a f64 "
               "expression",
               e.status().message().c_str());
  CHECK(ParseCondition("ok", Readings()).ok());
  CHECK(ParseCondition("'a' == 'b'", Readings()).ok());  // constants are fine
}

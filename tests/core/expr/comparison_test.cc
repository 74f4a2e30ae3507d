#include "core/expr/comparison.h"

#include <CppUTest/TestHarness.h>

#include <string>

#include "core/expr/lexer.h"

using runnel::expr::CompareOp;
using runnel::expr::Comparison;
using runnel::expr::ParseComparison;
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
                 {"limit", FieldType::kF64, TimeUnit::kMs}});
}

std::string ErrorOf(const char* text) {
  auto result = ParseComparison(text, Readings());
  return result.ok() ? "<ok>" : result.status().message();
}

bool Contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_GROUP(Comparison){};

TEST(Comparison, FieldAgainstNumber) {
  auto c = ParseComparison("temp > 30.5", Readings());
  CHECK(c.ok());
  LONGS_EQUAL(2, c.value().lhs_field);
  CHECK(c.value().op == CompareOp::kGt);
  LONGS_EQUAL(-1, c.value().rhs_field);
  CHECK(c.value().constant_kind == Comparison::ConstantKind::kFloat);
  DOUBLES_EQUAL(30.5, c.value().float_constant, 0);
}

TEST(Comparison, IntegerFieldKeepsIntegerConstant) {
  auto c = ParseComparison("count >= -3", Readings());
  CHECK(c.ok());
  CHECK(c.value().constant_kind == Comparison::ConstantKind::kInt);
  LONGS_EQUAL(-3, c.value().int_constant);
  auto fractional = ParseComparison("count < 2.5", Readings());
  CHECK(fractional.value().constant_kind == Comparison::ConstantKind::kFloat);
}

TEST(Comparison, ConstantOnTheLeftIsMirrored) {
  auto c = ParseComparison("30 < temp", Readings());
  CHECK(c.ok());
  LONGS_EQUAL(2, c.value().lhs_field);
  CHECK(c.value().op == CompareOp::kGt);
}

TEST(Comparison, TimestampConstantIsInTheFieldsUnit) {
  auto c = ParseComparison("ts >= 1700000000000", Readings());
  CHECK(c.ok());
  CHECK(c.value().int_constant == 1700000000000000000LL);
  CHECK(Contains(ErrorOf("ts > 1.5"), "whole number of ms"));
}

TEST(Comparison, SymbolsAndBools) {
  auto sym = ParseComparison("device == 'dev-7'", Readings());
  CHECK(sym.ok());
  STRCMP_EQUAL("dev-7", sym.value().symbol_constant.c_str());
  auto flag = ParseComparison("ok != false", Readings());
  CHECK(flag.ok());
  LONGS_EQUAL(0, flag.value().int_constant);
}

TEST(Comparison, TwoFields) {
  auto c = ParseComparison("temp > limit", Readings());
  CHECK(c.ok());
  LONGS_EQUAL(5, c.value().rhs_field);
}

TEST(Comparison, ExplainsMistakes) {
  CHECK(Contains(ErrorOf("tmp > 3"), "unknown field 'tmp' at column 1 (fields: device,"));
  CHECK(Contains(ErrorOf("temp > 'hot'"), "cannot compare f64 field 'temp' with the string"));
  CHECK(Contains(ErrorOf("device > 'a'"), "compares only with == and !="));
  CHECK(Contains(ErrorOf("device == 3"), "expected a quoted string"));
  CHECK(Contains(ErrorOf("ok == 1"), "expected true or false"));
  CHECK(Contains(ErrorOf("1 == 2"), "one side must be a field"));
  CHECK(Contains(ErrorOf("temp = 3"), "unknown operator '='"));
  CHECK(Contains(ErrorOf("temp > "), "expected a comparison"));
  CHECK(Contains(ErrorOf("temp > 3 extra"), "expected a comparison"));
  CHECK(Contains(ErrorOf("device == 'open"), "unterminated string"));
  CHECK(Contains(ErrorOf("ts > count"), "cannot compare ts field 'ts' with i64 field"));
  CHECK(Contains(ErrorOf("temp > 3 # x"), "unexpected character '#' at column 10"));
}

TEST_GROUP(Lexer){};

TEST(Lexer, SplitsTokensWithOffsets) {
  auto tokens = runnel::expr::Tokenize("temp>=-2.5e1 'a b'");
  CHECK(tokens.ok());
  LONGS_EQUAL(5, tokens.value().size());
  STRCMP_EQUAL(">=", tokens.value()[1].text.c_str());
  STRCMP_EQUAL("-2.5e1", tokens.value()[2].text.c_str());
  STRCMP_EQUAL("a b", tokens.value()[3].text.c_str());
  LONGS_EQUAL(13, tokens.value()[3].offset);
}

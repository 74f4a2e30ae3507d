#include "core/schema/value_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "core/schema/null.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::schema::Field;
using runnel::schema::FieldType;
using runnel::schema::FormatValue;
using runnel::schema::NullSlot;
using runnel::schema::ParseOutcome;
using runnel::schema::ParseValue;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

Field F(FieldType type, TimeUnit unit = TimeUnit::kMs) { return {"f", type, unit}; }

std::string Format(Slot slot, const Field& field, const SymbolTable& symbols) {
  char buffer[64];
  char* end = FormatValue(slot, field, symbols, buffer, buffer + sizeof(buffer));
  return end ? std::string(buffer, end) : "<overflow>";
}

}  // namespace

TEST_GROUP(ValueText) {
  SymbolTable symbols{16, 256};
  Slot slot;
};

TEST(ValueText, ParsesEachType) {
  CHECK(ParseValue("-42", F(FieldType::kI64), &symbols, &slot) == ParseOutcome::kOk);
  LONGS_EQUAL(-42, slot.i64);
  CHECK(ParseValue("23.5", F(FieldType::kF64), &symbols, &slot) == ParseOutcome::kOk);
  DOUBLES_EQUAL(23.5, slot.f64, 0);
  CHECK(ParseValue("true", F(FieldType::kBool), &symbols, &slot) == ParseOutcome::kOk);
  LONGS_EQUAL(1, slot.i64);
  CHECK(ParseValue("dev-1", F(FieldType::kSym), &symbols, &slot) == ParseOutcome::kOk);
  STRCMP_EQUAL("dev-1", std::string(symbols.Lookup(slot.i64)).c_str());
}

TEST(ValueText, TimestampsAreStoredInNanoseconds) {
  CHECK(ParseValue("1700000000123", F(FieldType::kTs, TimeUnit::kMs), &symbols, &slot) ==
        ParseOutcome::kOk);
  CHECK(slot.i64 == 1700000000123000000LL);
  CHECK(ParseValue("5", F(FieldType::kTs, TimeUnit::kS), &symbols, &slot) == ParseOutcome::kOk);
  CHECK(slot.i64 == 5000000000LL);
}

TEST(ValueText, RejectsWhatDoesNotFit) {
  CHECK(ParseValue("4x", F(FieldType::kI64), &symbols, &slot) == ParseOutcome::kBadValue);
  CHECK(ParseValue("1.5", F(FieldType::kI64), &symbols, &slot) == ParseOutcome::kBadValue);
  CHECK(ParseValue("nan?", F(FieldType::kF64), &symbols, &slot) == ParseOutcome::kBadValue);
  CHECK(ParseValue("yes", F(FieldType::kBool), &symbols, &slot) == ParseOutcome::kBadValue);
  CHECK(ParseValue("", F(FieldType::kF64), &symbols, &slot) == ParseOutcome::kEmpty);
  CHECK(ParseValue("99999999999999999999", F(FieldType::kI64), &symbols, &slot) ==
        ParseOutcome::kBadValue);
  // Overflows int64 once converted to ns.
  CHECK(ParseValue("9223372036854775", F(FieldType::kTs, TimeUnit::kMs), &symbols, &slot) ==
        ParseOutcome::kBadValue);
}

TEST(ValueText, ReportsAFullSymbolTable) {
  SymbolTable tiny(1, 16);
  CHECK(ParseValue("a", F(FieldType::kSym), &tiny, &slot) == ParseOutcome::kOk);
  CHECK(ParseValue("b", F(FieldType::kSym), &tiny, &slot) == ParseOutcome::kSymbolsFull);
}

TEST(ValueText, FormatsRoundTrip) {
  slot.f64 = 0.1;
  STRCMP_EQUAL("0.1", Format(slot, F(FieldType::kF64), symbols).c_str());
  slot.f64 = 31;
  STRCMP_EQUAL("31", Format(slot, F(FieldType::kF64), symbols).c_str());
  slot.i64 = 1700000000123000000LL;
  STRCMP_EQUAL("1700000000123", Format(slot, F(FieldType::kTs), symbols).c_str());
  slot.i64 = -1500000;  // -1.5 ms: floor, so the unit boundary holds
  STRCMP_EQUAL("-2", Format(slot, F(FieldType::kTs), symbols).c_str());
  slot.i64 = 0;
  STRCMP_EQUAL("false", Format(slot, F(FieldType::kBool), symbols).c_str());
}

// f64 text has a fast path for values with few decimals; whatever the
// path, the text must be exactly what std::to_chars writes.
TEST(ValueText, F64TextIsExactlyToCharsText) {
  std::mt19937_64 random(7);
  long mismatches = 0;
  std::string first_mismatch;
  auto check = [&](double value) {
    if (std::isnan(value)) return;  // NaN is f64's null
    char expected[64];
    auto [end, ec] = std::to_chars(expected, expected + sizeof(expected), value);
    slot.f64 = value;
    std::string got = Format(slot, F(FieldType::kF64), symbols);
    if (got != std::string(expected, end)) {
      if (mismatches++ == 0) first_mismatch = std::string(expected, end) + " written as " + got;
    }
  };
  const double powers[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10};
  for (int i = 0; i < 2000000; ++i) {
    // Sensor-like: an integer of up to 12 digits over 10^0..10^10, either sign.
    int64_t k = static_cast<int64_t>(random() % 1000000000000ULL) >> (random() % 40);
    double value = static_cast<double>(k) / powers[random() % 11];
    check(random() % 2 ? value : -value);
    // Any double at all, and averages (long decimals).
    uint64_t bits = random();
    double any;
    std::memcpy(&any, &bits, sizeof(any));
    check(any);
    check(static_cast<double>(k) / 3);
  }
  for (double edge : {0.0, -0.0, 1e-3, 1e-4, 0.00123, 0.0012, 1.0, 9999.5, 1e4, 1e5, 120000.0,
                      123456789.0, 100000000.0, 999999999.999999, 1e9, 5e-324, 1.7e308}) {
    check(edge);
    check(std::nextafter(edge, 0.0));
    check(std::nextafter(edge, HUGE_VAL));
  }
  for (double integer = 1; integer < 1e10; integer *= 10) {
    for (double m = 1; m < 10; ++m) check(integer * m);
  }
  LONGS_EQUAL_TEXT(0, mismatches, first_mismatch.c_str());
}

TEST(ValueText, NullsFormatAsNothing) {
  for (FieldType type : {FieldType::kI64, FieldType::kF64, FieldType::kTs, FieldType::kSym}) {
    STRCMP_EQUAL("", Format(NullSlot(type), F(type), symbols).c_str());
  }
  slot.f64 = std::nan("");
  STRCMP_EQUAL("", Format(slot, F(FieldType::kF64), symbols).c_str());
}

TEST(ValueText, EmptyTextIsReportedAndLeavesTheSlot) {
  slot.i64 = 5;
  CHECK(ParseValue("", F(FieldType::kI64), &symbols, &slot) == ParseOutcome::kEmpty);
  LONGS_EQUAL(5, slot.i64);
}

TEST(ValueText, FormatReportsOverflow) {
  char small[3];
  slot.i64 = 123456;
  POINTERS_EQUAL(nullptr, FormatValue(slot, F(FieldType::kI64), symbols, small, small + 3));
}

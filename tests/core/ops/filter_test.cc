#include "core/ops/filter.h"

#include <CppUTest/TestHarness.h>

#include "core/expr/comparison.h"

using runnel::ops::FilterOperator;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"count", FieldType::kI64, TimeUnit::kMs}});
}

}  // namespace

TEST_GROUP(FilterOperator) {
  SymbolTable symbols{16, 256};
  RowBatch in{4, 8};
  RowBatch out{4, 8};

  // Adds a row (device, ts ms, temp, count).
  void Add(const char* device, int64_t ts_ms, double temp, int64_t count) {
    auto* row = in.Append();
    uint32_t id;
    CHECK(symbols.Intern(device, &id));
    row[0].i64 = id;
    row[1].i64 = ts_ms * 1000000;
    row[2].f64 = temp;
    row[3].i64 = count;
  }

  // Runs a filter written as in a graph file; returns how many rows it kept.
  uint32_t Keep(const char* condition) {
    auto comparison = runnel::expr::ParseComparison(condition, Readings());
    CHECK_TEXT(comparison.ok(), comparison.status().message().c_str());
    auto filter = FilterOperator::Make(comparison.value(), Readings(), &symbols);
    CHECK(filter.ok());
    out.Clear();
    CHECK(filter.value()->Process(in, &out).ok());
    return out.size();
  }

  void setup() override {
    Add("dev-1", 1000, 29.5, 1);
    Add("dev-2", 2000, 30.0, 2);
    Add("dev-1", 3000, 31.25, 3);
    Add("dev-3", 4000, -5, 4);
  }
};

TEST(FilterOperator, KeepsRowsThatMatchInOrder) {
  LONGS_EQUAL(2, Keep("temp >= 30"));
  DOUBLES_EQUAL(30.0, out.row(0)[2].f64, 0);
  DOUBLES_EQUAL(31.25, out.row(1)[2].f64, 0);
}

TEST(FilterOperator, EveryOperator) {
  LONGS_EQUAL(1, Keep("count == 2"));
  LONGS_EQUAL(3, Keep("count != 2"));
  LONGS_EQUAL(1, Keep("count < 2"));
  LONGS_EQUAL(2, Keep("count <= 2"));
  LONGS_EQUAL(2, Keep("count > 2"));
  LONGS_EQUAL(3, Keep("count >= 2"));
}

TEST(FilterOperator, IntegerFieldAgainstFraction) {
  LONGS_EQUAL(2, Keep("count > 2.5"));
}

TEST(FilterOperator, Symbols) {
  LONGS_EQUAL(2, Keep("device == 'dev-1'"));
  LONGS_EQUAL(2, Keep("device != 'dev-1'"));
  LONGS_EQUAL(0, Keep("device == 'never-seen'"));
}

TEST(FilterOperator, TimestampsInTheirUnit) {
  LONGS_EQUAL(2, Keep("ts > 2000"));
}

TEST(FilterOperator, FieldAgainstField) {
  LONGS_EQUAL(1, Keep("temp < count"));  // -5 < 4
}

TEST(FilterOperator, EmptyBatchGivesEmptyBatch) {
  in.Clear();
  LONGS_EQUAL(0, Keep("temp > 0"));
}

TEST(FilterOperator, NanNeverMatchesAnOrderedComparison) {
  in.row(0)[2].f64 = __builtin_nan("");
  LONGS_EQUAL(2, Keep("temp >= 30"));
  LONGS_EQUAL(1, Keep("temp < 30"));
}

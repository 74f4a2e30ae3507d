#include "core/ops/filter.h"

#include <CppUTest/TestHarness.h>

#include <string>

#include "core/expr/checker.h"

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
    auto parsed = runnel::expr::ParseCondition(condition, Readings());
    CHECK_TEXT(parsed.ok(), parsed.status().message().c_str());
    auto filter = FilterOperator::Make(parsed.value(), &symbols);
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

namespace {

// Rows of `width` i64 fields f0..f(width-1); row i holds i * 100 + f in
// field f, and f0 decides what a filter keeps.
Schema Wide(uint32_t width) {
  Schema schema;
  for (uint32_t f = 0; f < width; ++f) {
    schema.Add({"f" + std::to_string(f), FieldType::kI64, TimeUnit::kMs});
  }
  return schema;
}

// Filters a batch of `rows` rows (more than the operator selects at once)
// with "f0 >= 0", which every third row fails: every kept row must arrive
// whole and in order, and with `negate` exactly the others.
void CheckLargeBatch(uint32_t width, uint32_t rows) {
  Schema schema = Wide(width);
  SymbolTable symbols{16, 256};
  RowBatch in{width, rows};
  for (uint32_t i = 0; i < rows; ++i) {
    auto* row = in.Append();
    for (uint32_t f = 0; f < width; ++f) row[f].i64 = int64_t{i} * 100 + f;
    if (i % 3 == 0) row[0].i64 = -1;  // rejected by "f0 >= 0"
  }
  auto condition = runnel::expr::ParseCondition("f0 >= 0", schema);
  CHECK(condition.ok());
  for (bool negate : {false, true}) {
    auto filter = FilterOperator::Make(condition.value(), &symbols, negate);
    CHECK(filter.ok());
    RowBatch out{width, rows};
    CHECK(filter.value()->Process(in, &out).ok());
    uint32_t next = 0;
    for (uint32_t i = 0; i < rows; ++i) {
      if ((i % 3 == 0) != negate) continue;
      CHECK(next < out.size());
      MEMCMP_EQUAL(in.row(i), out.row(next), sizeof(runnel::schema::Slot) * width);
      ++next;
    }
    LONGS_EQUAL(next, out.size());
  }
}

}  // namespace

TEST(FilterOperator, LargeBatchesKeepWholeRowsInOrder) {
  CheckLargeBatch(4, 1000);
  CheckLargeBatch(1, 1025);
  CheckLargeBatch(8, 257);
  CheckLargeBatch(11, 600);  // wider than the fixed-width copies
}

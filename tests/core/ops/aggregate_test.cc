#include "core/ops/aggregate.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/accumulators.h"
#include "core/schema/symbol_table.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Result;
using runnel::Status;
using runnel::StatusCode;
using runnel::ops::Accumulators;
using runnel::ops::AggregateKind;
using runnel::ops::AggregateOperator;
using runnel::schema::Field;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;
using runnel::state::KeyedTableOptions;
using runnel::state::OverflowPolicy;

namespace {

// Field indices of Readings().
constexpr uint32_t kDevice = 0;
constexpr uint32_t kTs = 1;
constexpr uint32_t kTemp = 2;
constexpr uint32_t kCount = 3;

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kUs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"count", FieldType::kI64, TimeUnit::kMs}});
}

Accumulators ParseOk(const std::vector<std::string>& items) {
  Result<Accumulators> acc = Accumulators::Parse(items, Readings());
  CHECK_TEXT(acc.ok(), acc.status().message().c_str());
  return acc.value();
}

// The message of a Parse that must fail with kInvalidArgument.
std::string ParseError(const std::vector<std::string>& items) {
  Result<Accumulators> acc = Accumulators::Parse(items, Readings());
  CHECK_FALSE(acc.ok());
  CHECK(acc.status().code() == StatusCode::kInvalidArgument);
  return acc.status().message();
}

}  // namespace

// ---------------------------------------------------------------------------
// Accumulators::Parse

TEST_GROUP(Accumulators){};

TEST(Accumulators, ParsesEveryFunctionWithNamesAndTypes) {
  Accumulators acc = ParseOk({"count() as n", "sum(count) as total", "sum(temp)", "min(temp)",
                              "max(count) as peak", "avg(count)"});
  // The row count, one count of non-null values per field (count, temp),
  // and one value slot per function but count(), which reads the row count.
  LONGS_EQUAL(8, acc.state_slots());
  const auto& fns = acc.fns();
  LONGS_EQUAL(6, fns.size());
  CHECK(fns[0].kind == AggregateKind::kCount);
  LONGS_EQUAL(-1, fns[0].field);
  CHECK(fns[1].kind == AggregateKind::kSum);
  LONGS_EQUAL(kCount, fns[1].field);
  CHECK(fns[2].kind == AggregateKind::kSum);
  LONGS_EQUAL(kTemp, fns[2].field);
  CHECK(fns[3].kind == AggregateKind::kMin);
  CHECK(fns[4].kind == AggregateKind::kMax);
  CHECK(fns[5].kind == AggregateKind::kAvg);

  std::vector<Field> out = acc.OutputFields();
  LONGS_EQUAL(6, out.size());
  STRCMP_EQUAL("n", out[0].name.c_str());
  CHECK(out[0].type == FieldType::kI64);
  STRCMP_EQUAL("total", out[1].name.c_str());
  CHECK(out[1].type == FieldType::kI64);  // sum of i64 is i64
  STRCMP_EQUAL("sum_temp", out[2].name.c_str());
  CHECK(out[2].type == FieldType::kF64);  // sum of f64 is f64
  STRCMP_EQUAL("min_temp", out[3].name.c_str());
  CHECK(out[3].type == FieldType::kF64);
  STRCMP_EQUAL("peak", out[4].name.c_str());
  CHECK(out[4].type == FieldType::kI64);
  STRCMP_EQUAL("avg_count", out[5].name.c_str());
  CHECK(out[5].type == FieldType::kF64);  // avg is always f64
}

TEST(Accumulators, DefaultNames) {
  std::vector<Field> out = ParseOk({"count()", "sum(temp)", "max(ts)", "avg(temp)"}).OutputFields();
  STRCMP_EQUAL("count", out[0].name.c_str());
  STRCMP_EQUAL("sum_temp", out[1].name.c_str());
  STRCMP_EQUAL("max_ts", out[2].name.c_str());
  STRCMP_EQUAL("avg_temp", out[3].name.c_str());
}

TEST(Accumulators, MinOverTsKeepsTheTsTypeAndUnit) {
  std::vector<Field> out = ParseOk({"min(ts) as first", "max(ts)"}).OutputFields();
  CHECK(out[0].type == FieldType::kTs);
  CHECK(out[0].unit == TimeUnit::kUs);
  CHECK(out[1].type == FieldType::kTs);
  CHECK(out[1].unit == TimeUnit::kUs);
}

TEST(Accumulators, UnknownFunction) {
  STRCMP_EQUAL("[0]: unknown aggregate function 'median' (expected count, sum, min, max, avg, "
               "first, last, var_pop, var_samp, variance, stddev_pop, stddev_samp, stddev, "
               "count_distinct, p50, p90, p99 or quantile)",
               ParseError({"median(temp)"}).c_str());
}

TEST(Accumulators, SumOverASymField) {
  STRCMP_EQUAL("[0]: sum over sym field 'device' (expected an i64 or f64 field)",
               ParseError({"sum(device)"}).c_str());
}

TEST(Accumulators, TheMessageNamesTheIndexOfTheItemAtFault) {
  STRCMP_EQUAL("[2]: avg over sym field 'device' (expected an i64 or f64 field)",
               ParseError({"count()", "sum(temp)", "avg(device)"}).c_str());
}

TEST(Accumulators, SumAndAvgNeedI64OrF64) {
  STRCMP_EQUAL("[0]: sum over ts field 'ts' (expected an i64 or f64 field)",
               ParseError({"sum(ts)"}).c_str());
  STRCMP_EQUAL("[0]: avg over ts field 'ts' (expected an i64 or f64 field)",
               ParseError({"avg(ts)"}).c_str());
}

TEST(Accumulators, MinAndMaxNeedAnOrderedField) {
  STRCMP_EQUAL("[0]: min over sym field 'device' (expected an i64, f64 or ts field)",
               ParseError({"min(device)"}).c_str());
  STRCMP_EQUAL("[0]: max over sym field 'device' (expected an i64, f64 or ts field)",
               ParseError({"max(device)"}).c_str());
}

TEST(Accumulators, BoolFieldsAreNotAggregated) {
  Schema with_bool({{"ok", FieldType::kBool, TimeUnit::kMs}});
  Result<Accumulators> sum = Accumulators::Parse({"sum(ok)"}, with_bool);
  CHECK_FALSE(sum.ok());
  STRCMP_EQUAL("[0]: sum over bool field 'ok' (expected an i64 or f64 field)",
               sum.status().message().c_str());
  Result<Accumulators> max = Accumulators::Parse({"max(ok)"}, with_bool);
  CHECK_FALSE(max.ok());
  STRCMP_CONTAINS("expected an i64, f64 or ts field", max.status().message().c_str());
}

TEST(Accumulators, CountTakesAtMostOneField) {
  STRCMP_EQUAL("[0]: count() takes at most one field", ParseError({"count(temp, 1)"}).c_str());
}

TEST(Accumulators, OtherFunctionsNeedAField) {
  STRCMP_EQUAL("[1]: sum() needs a field, e.g. sum(temp)",
               ParseError({"count()", "sum()"}).c_str());
}

TEST(Accumulators, MissingField) {
  STRCMP_EQUAL("[0]: unknown field 'tmp' (fields: device, ts, temp, count)",
               ParseError({"max(tmp)"}).c_str());
}

TEST(Accumulators, DuplicateNames) {
  STRCMP_EQUAL("[1]: field 'hi' appears twice",
               ParseError({"max(temp) as hi", "max(count) as hi"}).c_str());
  STRCMP_EQUAL("[1]: field 'count' appears twice", ParseError({"count()", "count()"}).c_str());
  // A default name clashes with an explicit one too.
  STRCMP_EQUAL("[1]: field 'sum_temp' appears twice",
               ParseError({"avg(temp) as sum_temp", "sum(temp)"}).c_str());
}

TEST(Accumulators, MalformedItems) {
  STRCMP_CONTAINS("[0]: expected 'FUNCTION(FIELD)'", ParseError({"sum temp"}).c_str());
  STRCMP_CONTAINS("found 'sum(temp) named x'", ParseError({"sum(temp) named x"}).c_str());
  STRCMP_CONTAINS("[0]: expected", ParseError({"sum(temp) as"}).c_str());
  STRCMP_CONTAINS("[0]: expected", ParseError({"sum(temp, count)"}).c_str());
  STRCMP_CONTAINS("[1]: expected", ParseError({"count()", ""}).c_str());
}

TEST(Accumulators, AnEmptyListIsAnError) {
  STRCMP_EQUAL("lists no aggregates", ParseError({}).c_str());
}

// ---------------------------------------------------------------------------
// AggregateOperator

TEST_GROUP(AggregateOperator) {
  SymbolTable symbols{256, 1 << 14};
  ManualClock clock{1000};
  RowBatch in{4, 64};
  std::unique_ptr<RowBatch> out;
  std::unique_ptr<AggregateOperator> op;
  uint32_t key_count = 0;

  // Builds the operator; `out` gets one field per key and per aggregate.
  void Make(std::vector<uint32_t> keys, const std::vector<std::string>& items, bool emit_final,
            uint32_t capacity = 1024, OverflowPolicy policy = OverflowPolicy::kFail,
            int64_t ttl = 0, uint32_t out_rows = 64) {
    Accumulators acc = ParseOk(items);
    KeyedTableOptions table;
    table.capacity = capacity;
    table.key_slots = static_cast<uint32_t>(keys.size());
    table.value_slots = acc.state_slots();
    table.policy = policy;
    table.ttl = ttl;
    key_count = static_cast<uint32_t>(keys.size());
    const uint32_t width = key_count + static_cast<uint32_t>(acc.fns().size());
    out = std::make_unique<RowBatch>(width, out_rows);
    op = std::make_unique<AggregateOperator>(runnel::schema::KeyFields(Readings(), std::move(keys)),
                                             std::move(acc), emit_final, table, &clock);
  }

  int64_t Sym(const std::string& text) {
    uint32_t id;
    CHECK(symbols.Intern(text, &id));
    return id;
  }

  std::string Name(int64_t id) { return std::string(symbols.Lookup(static_cast<uint32_t>(id))); }

  // Adds a row (device, ts ms, temp, count) to `in`.
  void Add(const std::string& device, int64_t ts_ms, double temp, int64_t count) {
    Slot* row = in.Append();
    row[kDevice].i64 = Sym(device);
    row[kTs].i64 = ts_ms * 1000000;
    row[kTemp].f64 = temp;
    row[kCount].i64 = count;
  }

  // Processes `in` into a cleared `out`, then clears `in`.
  Status Process() {
    out->Clear();
    Status status = op->Process(in, out.get());
    in.Clear();
    return status;
  }

  void ProcessOk() {
    Status status = Process();
    CHECK_TEXT(status.ok(), status.message().c_str());
  }

  // One Drain call into a cleared `out`; returns `done`.
  bool DrainOnce() {
    out->Clear();
    bool done = false;
    Status status = op->Drain(out.get(), &done);
    CHECK_TEXT(status.ok(), status.message().c_str());
    return done;
  }
};

TEST(AggregateOperator, RollingUpdatesPerKeyForEveryFunction) {
  Make({kDevice},
       {"count() as n", "sum(count) as total", "sum(temp) as temp_sum", "min(temp) as lo",
        "max(temp) as hi", "avg(temp) as mean", "min(count) as cmin", "max(count) as cmax"},
       /*emit_final=*/false);
  Add("a", 1, 20.5, 5);
  Add("b", 2, -3.0, -7);
  Add("a", 3, 10.25, -2);
  Add("a", 4, 30.0, 9);
  Add("b", 5, -1.0, -9);
  ProcessOk();
  LONGS_EQUAL(5, out->size());  // one update per row, in row order

  struct Expected {
    const char* key;
    int64_t n, total;
    double temp_sum, lo, hi, mean;
    int64_t cmin, cmax;
  };
  const Expected expected[] = {
      {"a", 1, 5, 20.5, 20.5, 20.5, 20.5, 5, 5},
      {"b", 1, -7, -3.0, -3.0, -3.0, -3.0, -7, -7},
      {"a", 2, 3, 30.75, 10.25, 20.5, 15.375, -2, 5},
      {"a", 3, 12, 60.75, 10.25, 30.0, 20.25, -2, 9},
      {"b", 2, -16, -4.0, -3.0, -1.0, -2.0, -9, -7},
  };
  for (uint32_t i = 0; i < 5; ++i) {
    const Slot* row = out->row(i);
    const Expected& e = expected[i];
    STRCMP_EQUAL(e.key, Name(row[0].i64).c_str());
    LONGS_EQUAL(e.n, row[1].i64);
    LONGS_EQUAL(e.total, row[2].i64);
    DOUBLES_EQUAL(e.temp_sum, row[3].f64, 0);
    DOUBLES_EQUAL(e.lo, row[4].f64, 0);
    DOUBLES_EQUAL(e.hi, row[5].f64, 0);
    DOUBLES_EQUAL(e.mean, row[6].f64, 0);
    LONGS_EQUAL(e.cmin, row[7].i64);
    LONGS_EQUAL(e.cmax, row[8].i64);
  }
  LONGS_EQUAL(2, op->metrics().state_entries);
  LONGS_EQUAL(1024, op->metrics().state_capacity);
}

TEST(AggregateOperator, StateCarriesOverFromBatchToBatch) {
  Make({kDevice}, {"count()", "sum(count)"}, /*emit_final=*/false);
  for (int batch = 0; batch < 3; ++batch) {
    Add("a", batch, 0, 10);
    ProcessOk();
    LONGS_EQUAL(1, out->size());
    LONGS_EQUAL(batch + 1, out->row(0)[1].i64);
    LONGS_EQUAL(10 * (batch + 1), out->row(0)[2].i64);
  }
}

TEST(AggregateOperator, AvgOfIntegersIsFractional) {
  Make({kDevice}, {"avg(count)"}, /*emit_final=*/false);
  Add("a", 1, 0, 1);
  Add("a", 2, 0, 2);
  ProcessOk();
  DOUBLES_EQUAL(1.0, out->row(0)[1].f64, 0);
  DOUBLES_EQUAL(1.5, out->row(1)[1].f64, 0);
}

TEST(AggregateOperator, MinAndMaxOfTimestampsStayNanoseconds) {
  Make({kDevice}, {"min(ts)", "max(ts)"}, /*emit_final=*/false);
  Add("a", 5000, 0, 0);
  Add("a", 3000, 0, 0);
  Add("a", 9000, 0, 0);
  ProcessOk();
  const Slot* last = out->row(2);
  CHECK(last[1].i64 == int64_t{3000} * 1000000);
  CHECK(last[2].i64 == int64_t{9000} * 1000000);
}

TEST(AggregateOperator, CompositeKeysComeFirstInKeyFieldOrder) {
  Make({kCount, kDevice}, {"count()"}, /*emit_final=*/false);
  Add("a", 1, 0, 1);
  Add("a", 2, 0, 2);
  Add("b", 3, 0, 1);
  Add("a", 4, 0, 1);
  ProcessOk();
  LONGS_EQUAL(4, out->size());
  LONGS_EQUAL(1, out->row(3)[0].i64);
  STRCMP_EQUAL("a", Name(out->row(3)[1].i64).c_str());
  LONGS_EQUAL(2, out->row(3)[2].i64);  // (1, a) seen twice
  LONGS_EQUAL(1, out->row(1)[2].i64);  // (2, a) once
  LONGS_EQUAL(1, out->row(2)[2].i64);  // (1, b) once
  LONGS_EQUAL(3, op->metrics().state_entries);
}

TEST(AggregateOperator, EmitUpdatesHasNothingToDrain) {
  Make({kDevice}, {"count()"}, /*emit_final=*/false);
  Add("a", 1, 0, 1);
  ProcessOk();
  CHECK(DrainOnce());
  LONGS_EQUAL(0, out->size());
}

TEST(AggregateOperator, EmitFinalEmitsNothingWhileRunning) {
  Make({kDevice}, {"count()"}, /*emit_final=*/true);
  Add("a", 1, 0, 1);
  Add("b", 1, 0, 1);
  ProcessOk();
  LONGS_EQUAL(0, out->size());
  LONGS_EQUAL(2, op->metrics().state_entries);
}

TEST(AggregateOperator, EmitFinalWithoutInputIsDoneAtOnce) {
  Make({kDevice}, {"count()"}, /*emit_final=*/true);
  CHECK(DrainOnce());
  LONGS_EQUAL(0, out->size());
}

TEST(AggregateOperator, EmitFinalDrainsEveryKeyExactlyOnceAcrossSeveralCalls) {
  const int kKeys = 50;
  const int kRowsPerKey = 4;
  Make({kDevice}, {"count() as n", "sum(count) as total", "max(temp) as hi"},
       /*emit_final=*/true, /*capacity=*/64, OverflowPolicy::kFail, /*ttl=*/0, /*out_rows=*/16);
  // 200 rows in batches of up to 64, keys interleaved.
  int row = 0;
  for (int r = 0; r < kRowsPerKey; ++r) {
    for (int k = 0; k < kKeys; ++k) {
      Add("dev-" + std::to_string(k), row, k + r, k * 100 + r);
      if (in.full()) ProcessOk();
      ++row;
    }
  }
  ProcessOk();
  LONGS_EQUAL(0, out->size());
  LONGS_EQUAL(kKeys, op->metrics().state_entries);

  std::map<std::string, int> seen;
  std::vector<uint32_t> sizes;
  bool done = false;
  for (int call = 0; call < 10 && !done; ++call) {
    done = DrainOnce();
    sizes.push_back(out->size());
    for (uint32_t i = 0; i < out->size(); ++i) {
      const Slot* r = out->row(i);
      std::string key = Name(r[0].i64);
      int k = std::stoi(key.substr(4));
      ++seen[key];
      LONGS_EQUAL(kRowsPerKey, r[1].i64);
      LONGS_EQUAL(k * 100 * kRowsPerKey + (0 + 1 + 2 + 3), r[2].i64);
      DOUBLES_EQUAL(k + kRowsPerKey - 1, r[3].f64, 0);
    }
  }
  CHECK(done);
  LONGS_EQUAL(4, sizes.size());  // 16 + 16 + 16 + 2
  LONGS_EQUAL(16, sizes[0]);
  LONGS_EQUAL(16, sizes[1]);
  LONGS_EQUAL(16, sizes[2]);
  LONGS_EQUAL(2, sizes[3]);
  LONGS_EQUAL(kKeys, seen.size());
  for (const auto& entry : seen) LONGS_EQUAL_TEXT(1, entry.second, entry.first.c_str());
}

TEST(AggregateOperator, EmitFinalThatFillsTheLastBatchExactlyIsDoneWithIt) {
  Make({kCount}, {"count()"}, /*emit_final=*/true, 64, OverflowPolicy::kFail, 0,
       /*out_rows=*/8);
  for (int k = 0; k < 16; ++k) Add("a", 0, 0, k);
  ProcessOk();
  CHECK_FALSE(DrainOnce());
  LONGS_EQUAL(8, out->size());
  CHECK(DrainOnce());
  LONGS_EQUAL(8, out->size());
  CHECK(DrainOnce());  // asking again is harmless
  LONGS_EQUAL(0, out->size());
}

TEST(AggregateOperator, GlobalAggregateWithoutKeyFields) {
  Make({}, {"count() as n", "sum(temp) as s", "max(count) as hi"}, /*emit_final=*/false);
  Add("a", 1, 1.5, 3);
  Add("b", 2, 2.5, 8);
  Add("c", 3, 4.0, -1);
  ProcessOk();
  LONGS_EQUAL(3, out->size());
  LONGS_EQUAL(3, out->width());  // no key fields in the output
  LONGS_EQUAL(1, out->row(0)[0].i64);
  LONGS_EQUAL(2, out->row(1)[0].i64);
  LONGS_EQUAL(3, out->row(2)[0].i64);
  DOUBLES_EQUAL(8.0, out->row(2)[1].f64, 0);
  LONGS_EQUAL(8, out->row(2)[2].i64);
  LONGS_EQUAL(1, op->metrics().state_entries);
}

TEST(AggregateOperator, GlobalAggregateEmitFinalIsOneRow) {
  Make({}, {"count() as n", "avg(temp)"}, /*emit_final=*/true);
  for (int i = 0; i < 10; ++i) Add("dev-" + std::to_string(i), i, i, i);
  ProcessOk();
  for (int i = 10; i < 20; ++i) Add("dev-" + std::to_string(i), i, i, i);
  ProcessOk();
  CHECK(DrainOnce());
  LONGS_EQUAL(1, out->size());
  LONGS_EQUAL(20, out->row(0)[0].i64);
  DOUBLES_EQUAL(9.5, out->row(0)[1].f64, 0);
}

TEST(AggregateOperator, FailPolicyStopsWithAMessageNamingTheCapacity) {
  Make({kDevice}, {"count()"}, /*emit_final=*/false, /*capacity=*/2, OverflowPolicy::kFail);
  Add("a", 1, 0, 0);
  Add("b", 2, 0, 0);
  Add("a", 3, 0, 0);
  Add("c", 4, 0, 0);  // a third key: no room
  Add("a", 5, 0, 0);
  Status status = Process();
  CHECK_FALSE(status.ok());
  CHECK(status.code() == StatusCode::kResourceExhausted);
  STRCMP_CONTAINS("aggregate.state.capacity", status.message().c_str());
  STRCMP_CONTAINS("(2 keys)", status.message().c_str());
  // The rows before the failing one were processed and emitted.
  LONGS_EQUAL(3, out->size());
  STRCMP_EQUAL("a", Name(out->row(2)[0].i64).c_str());
  LONGS_EQUAL(2, out->row(2)[1].i64);
  LONGS_EQUAL(2, op->metrics().state_entries);
  LONGS_EQUAL(0, op->metrics().dropped);
}

TEST(AggregateOperator, DropNewCountsDroppedRows) {
  Make({kDevice}, {"count()"}, /*emit_final=*/false, /*capacity=*/2, OverflowPolicy::kDropNew);
  Add("a", 1, 0, 0);
  Add("b", 2, 0, 0);
  Add("c", 3, 0, 0);  // dropped
  Add("a", 4, 0, 0);
  Add("d", 5, 0, 0);  // dropped
  Add("c", 6, 0, 0);  // dropped
  ProcessOk();
  LONGS_EQUAL(3, out->size());  // dropped rows emit nothing
  STRCMP_EQUAL("a", Name(out->row(2)[0].i64).c_str());
  LONGS_EQUAL(2, out->row(2)[1].i64);
  LONGS_EQUAL(3, op->metrics().dropped);
  LONGS_EQUAL(0, op->metrics().evicted);
  LONGS_EQUAL(2, op->metrics().state_entries);
}

TEST(AggregateOperator, EvictOldestCountsEvictionsAndAnEvictedKeyStartsAgain) {
  Make({kDevice}, {"count()"}, /*emit_final=*/false, /*capacity=*/2,
       OverflowPolicy::kEvictOldest);
  Add("a", 1, 0, 0);
  Add("b", 2, 0, 0);
  Add("a", 3, 0, 0);  // a: 2; b is now the least recently updated
  Add("c", 4, 0, 0);  // evicts b
  Add("a", 5, 0, 0);  // a: 3, still there
  Add("b", 6, 0, 0);  // evicts c; b starts from zero
  ProcessOk();
  LONGS_EQUAL(6, out->size());
  LONGS_EQUAL(3, out->row(4)[1].i64);
  STRCMP_EQUAL("b", Name(out->row(5)[0].i64).c_str());
  LONGS_EQUAL(1, out->row(5)[1].i64);
  LONGS_EQUAL(2, op->metrics().evicted);
  LONGS_EQUAL(0, op->metrics().dropped);
  LONGS_EQUAL(2, op->metrics().state_entries);
}

TEST(AggregateOperator, TtlForgetsKeysNotUpdatedInTime) {
  Make({kDevice}, {"count()", "sum(count)"}, /*emit_final=*/false, 1024, OverflowPolicy::kFail,
       /*ttl=*/100);
  clock.Set(1000);
  Add("a", 0, 0, 1);
  Add("b", 0, 0, 1);
  ProcessOk();
  clock.Set(1050);
  Add("a", 0, 0, 1);  // a updated at 1050, b last at 1000
  ProcessOk();
  LONGS_EQUAL(2, out->row(0)[1].i64);
  LONGS_EQUAL(2, op->metrics().state_entries);

  clock.Set(1099);  // b idle for 99 ms: still there
  Add("b", 0, 0, 1);
  ProcessOk();
  LONGS_EQUAL(2, out->row(0)[1].i64);
  LONGS_EQUAL(2, out->row(0)[2].i64);

  clock.Set(1151);  // a idle for 101 ms: forgotten; starts from zero
  Add("a", 0, 0, 5);
  ProcessOk();
  LONGS_EQUAL(1, out->row(0)[1].i64);
  LONGS_EQUAL(5, out->row(0)[2].i64);
  LONGS_EQUAL(2, op->metrics().state_entries);

  clock.Set(1400);  // both idle: only the new key is left
  Add("c", 0, 0, 1);
  ProcessOk();
  LONGS_EQUAL(1, op->metrics().state_entries);
  LONGS_EQUAL(0, op->metrics().evicted);  // expiry is not eviction
}

TEST(AggregateOperator, ExpiredKeysMakeRoomUnderTheFailPolicy) {
  Make({kDevice}, {"count()"}, /*emit_final=*/false, /*capacity=*/1, OverflowPolicy::kFail,
       /*ttl=*/10);
  Add("a", 0, 0, 0);
  ProcessOk();
  clock.Advance(11);
  Add("b", 0, 0, 0);
  ProcessOk();
  LONGS_EQUAL(1, out->size());
  LONGS_EQUAL(1, out->row(0)[1].i64);
}

TEST(AggregateOperator, StateEntriesFollowTheTable) {
  Make({kDevice}, {"count()"}, /*emit_final=*/true, 1024);
  LONGS_EQUAL(0, op->metrics().state_entries);
  for (int k = 0; k < 7; ++k) Add("dev-" + std::to_string(k), 0, 0, 0);
  Add("dev-0", 0, 0, 0);
  ProcessOk();
  LONGS_EQUAL(7, op->metrics().state_entries);
  CHECK(op->footprint_bytes() > 0);
}

// Keys are compared as values: -0.0 == 0.0, so they are one key
// (core/schema/row_hash.h asks callers to normalize -0.0 before hashing and
// the table compares keys bytewise).
TEST(AggregateOperator, NegativeZeroAndZeroAreTheSameF64Key) {
  Make({kTemp}, {"count()"}, /*emit_final=*/true);
  Add("a", 1, 0.0, 1);
  Add("a", 2, -0.0, 1);
  ProcessOk();
  LONGS_EQUAL(1, op->metrics().state_entries);
  CHECK(DrainOnce());
  LONGS_EQUAL(1, out->size());
  LONGS_EQUAL(2, out->row(0)[1].i64);
}

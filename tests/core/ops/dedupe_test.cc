#include "core/ops/dedupe.h"

#include <string>
#include <vector>

#include "core/common/clock.h"
#include "tests/core/ops/row_ops_testing.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Status;
using runnel::StatusCode;
using runnel::ops::DedupeOperator;
using runnel::ops::DedupeSpec;
using runnel::state::KeyedTableOptions;
using runnel::state::OverflowPolicy;
using namespace row_ops_testing;

namespace {

KeyedTableOptions Table(uint32_t capacity, OverflowPolicy policy = OverflowPolicy::kFail,
                        int64_t ttl_ms = 0) {
  KeyedTableOptions t;
  t.capacity = capacity;
  t.policy = policy;
  t.ttl = ttl_ms;
  return t;
}

// Runs `readings` through `op` in one batch; returns the rows kept.
std::string Run(DedupeOperator* op, SymbolTable* symbols, const std::vector<Reading>& readings,
                Status* status = nullptr) {
  RowBatch in(kWidth, 64), out(kWidth, 64);
  Fill(readings, symbols, &in);
  Status s = op->Process(in, &out);
  if (status) {
    *status = s;
  } else {
    CHECK_TEXT(s.ok(), s.message().c_str());
  }
  return Join(Keys(out, *symbols));
}

}  // namespace

TEST_GROUP(Dedupe) {
  SymbolTable symbols{1024, 1 << 16};
  ManualClock clock{0};
};

TEST(Dedupe, KeyAndFieldsMakeARepeat) {
  DedupeSpec spec;
  spec.key_fields = {kDevice, kTs};  // key_by device, fields ["ts"]
  DedupeOperator op(Readings(), spec, Table(16), &clock);
  STRCMP_EQUAL("a@1 b@1 a@2",
               Run(&op, &symbols, {{"a", 1, 20}, {"a", 1, 20}, {"b", 1, 20}, {"a", 2, 21},
                                   {"a", 1, 25}, {"b", 1, 20}}).c_str());
  // Later batches remember: a repeat long after is still dropped.
  STRCMP_EQUAL("b@3", Run(&op, &symbols, {{"a", 2, 21}, {"b", 3, 20}, {"a", 1, 20}}).c_str());
  LONGS_EQUAL(4, op.metrics().state_entries);
  LONGS_EQUAL(DedupeOperator::FootprintBytes(spec, Table(16)), op.footprint_bytes());
}

TEST(Dedupe, KeptRowsAreCopiedWholeWithTheirWatermark) {
  DedupeSpec spec;
  spec.key_fields = {kDevice};
  DedupeOperator op(Readings(), spec, Table(16), &clock);
  RowBatch in(kWidth, 4), out(kWidth, 4);
  Fill({{"a", 7, 21.5}}, &symbols, &in);
  CHECK(op.Process(in, &out).ok());
  LONGS_EQUAL(1, out.size());
  LONGS_EQUAL(7 * kMs, out.row(0)[kTs].i64);
  DOUBLES_EQUAL(21.5, out.row(0)[kTemp].f64, 0);
  LONGS_EQUAL(7 * kMs - 1, out.row(0)[kWatermark].i64);
}

TEST(Dedupe, WithinASpanOfEventTime) {
  DedupeSpec spec;
  spec.key_fields = {kDevice};
  spec.within_ns = 10 * kMs;
  spec.ts_field = kTs;
  DedupeOperator op(Readings(), spec, Table(16), &clock);
  // a@0 passes; a@5 and a@9 are within 10 ms of it; a@10 passes (the span
  // counts from the last row that passed); a@3 (out of order) is within;
  // a@19 within a@10's span; a@20 passes.
  STRCMP_EQUAL("a@0 b@4 a@10 a@20",
               Run(&op, &symbols, {{"a", 0, 1}, {"a", 5, 1}, {"b", 4, 1}, {"a", 9, 1},
                                   {"a", 10, 1}, {"a", 3, 1}, {"a", 19, 1}, {"a", 20, 1}})
                   .c_str());
}

TEST(Dedupe, FullTableFailsNamingTheField) {
  DedupeSpec spec;
  spec.key_fields = {kDevice};
  DedupeOperator op(Readings(), spec, Table(2), &clock);
  Status status;
  STRCMP_EQUAL("a@1 b@1",
               Run(&op, &symbols, {{"a", 1, 0}, {"b", 1, 0}, {"a", 2, 0}, {"c", 1, 0}}, &status)
                   .c_str());
  CHECK(status.code() == StatusCode::kResourceExhausted);
  CHECK(status.message().find("raise dedupe.state.capacity") != std::string::npos);
}

TEST(Dedupe, EvictOldestForgetsTheLeastRecentKey) {
  DedupeSpec spec;
  spec.key_fields = {kDevice};
  DedupeOperator op(Readings(), spec, Table(2, OverflowPolicy::kEvictOldest), &clock);
  // c evicts a (least recently seen), so a passes again.
  STRCMP_EQUAL("a@1 b@1 c@1 a@2",
               Run(&op, &symbols, {{"a", 1, 0}, {"b", 1, 0}, {"c", 1, 0}, {"a", 2, 0}}).c_str());
  LONGS_EQUAL(2, op.metrics().evicted);
}

TEST(Dedupe, DropNewDropsRowsOfNewKeys) {
  DedupeSpec spec;
  spec.key_fields = {kDevice};
  DedupeOperator op(Readings(), spec, Table(1, OverflowPolicy::kDropNew), &clock);
  STRCMP_EQUAL("a@1", Run(&op, &symbols, {{"a", 1, 0}, {"b", 1, 0}, {"a", 2, 0}}).c_str());
  LONGS_EQUAL(1, op.metrics().dropped);
}

TEST(Dedupe, TtlForgetsKeysInProcessingTime) {
  DedupeSpec spec;
  spec.key_fields = {kDevice};
  DedupeOperator op(Readings(), spec, Table(4, OverflowPolicy::kFail, 100), &clock);
  STRCMP_EQUAL("a@1", Run(&op, &symbols, {{"a", 1, 0}, {"a", 2, 0}}).c_str());
  clock.Advance(50);
  STRCMP_EQUAL("", Run(&op, &symbols, {{"a", 3, 0}}).c_str());  // refreshed at 50
  clock.Advance(101);
  STRCMP_EQUAL("a@4", Run(&op, &symbols, {{"a", 4, 0}}).c_str());
}

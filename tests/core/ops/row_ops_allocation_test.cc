// DedupeOperator, DebounceOperator and LookupOperator do not allocate after
// construction: 20,000 rows over 50 keys go through each (with eviction,
// dropped keys, re-armed streaks and missing lookup keys), in batches of 1,
// 64 and 1024 rows, with every malloc counted; the count must be zero.
//
// Allocations are counted by //tests/testing:allocation_counter (its own
// binary: the counter replaces malloc).
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/expr/checker.h"
#include "core/ops/debounce.h"
#include "core/ops/dedupe.h"
#include "core/ops/lookup.h"
#include "tests/core/ops/row_ops_testing.h"
#include "tests/testing/allocation_counter.h"


// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Status;
using runnel::ops::DebounceOperator;
using runnel::ops::DebounceSpec;
using runnel::ops::DedupeOperator;
using runnel::ops::DedupeSpec;
using runnel::ops::LookupOperator;
using runnel::ops::OnMissing;
using runnel::runtime::Operator;
using runnel::state::KeyedTableOptions;
using runnel::state::OverflowPolicy;
using namespace row_ops_testing;

namespace {

std::vector<Reading> Stream(uint64_t seed, int rows, int keys) {
  std::mt19937_64 rng(seed);
  std::vector<Reading> stream;
  for (int i = 0; i < rows; ++i) {
    stream.push_back({"dev-" + std::to_string(rng() % static_cast<uint64_t>(keys)),
                      static_cast<int64_t>(i / 3 + rng() % 5),
                      static_cast<double>(rng() % 400) / 10.0});
  }
  return stream;
}

// Runs `rows` through `op` like a task, counting allocations after
// construction (the input batches are filled before counting starts).
uint64_t AllocationsWhileRunning(Operator* op, uint32_t out_width, const std::vector<Reading>& rows,
                                 uint32_t batch_rows, SymbolTable* symbols, ManualClock* clock) {
  std::vector<std::unique_ptr<RowBatch>> batches;
  for (size_t i = 0; i < rows.size(); i += batch_rows) {
    batches.push_back(std::make_unique<RowBatch>(kWidth, batch_rows));
    std::vector<Reading> part(rows.begin() + static_cast<long>(i),
                              rows.begin() + static_cast<long>(std::min(rows.size(), i + batch_rows)));
    Fill(part, symbols, batches.back().get());
  }
  RowBatch out(out_width, batch_rows);
  uint64_t results = 0;
  bool ok = true;
  runnel::testing::StartCountingAllocations();
  for (const auto& in : batches) {
    out.Clear();
    ok = ok && op->Process(*in, &out).ok();
    results += out.size();
    clock->Advance(3);
  }
  const uint64_t allocations = runnel::testing::StopCountingAllocations();
  CHECK(ok);
  CHECK(results > 0);
  return allocations;
}

KeyedTableOptions Table(uint32_t capacity, OverflowPolicy policy, int64_t ttl = 0) {
  KeyedTableOptions t;
  t.capacity = capacity;
  t.policy = policy;
  t.ttl = ttl;
  return t;
}

}  // namespace

TEST_GROUP(RowOpsAllocation) {
  SymbolTable symbols{1024, 1 << 16};
  ManualClock clock{0};
  std::vector<Reading> rows = Stream(7, 20000, 50);
};

TEST(RowOpsAllocation, DedupeDoesNotAllocate) {
  for (uint32_t batch : {1u, 64u, 1024u}) {
    DedupeSpec by_ts;
    by_ts.key_fields = {kDevice, kTs};
    DedupeOperator evicting(Readings(), by_ts, Table(64, OverflowPolicy::kEvictOldest), &clock);
    LONGS_EQUAL(0, AllocationsWhileRunning(&evicting, kWidth, rows, batch, &symbols, &clock));
    DedupeSpec within;
    within.key_fields = {kDevice};
    within.within_ns = 20 * kMs;
    within.ts_field = kTs;
    DedupeOperator expiring(Readings(), within, Table(32, OverflowPolicy::kDropNew, 50), &clock);
    LONGS_EQUAL(0, AllocationsWhileRunning(&expiring, kWidth, rows, batch, &symbols, &clock));
  }
}

TEST(RowOpsAllocation, DebounceDoesNotAllocate) {
  DebounceSpec spec;
  spec.key_fields = {kDevice};
  auto condition = runnel::expr::ParseCondition("temp > 5 and device != 'dev-3'", Readings());
  CHECK(condition.ok());
  spec.condition = condition.value();
  spec.consecutive = 2;
  spec.repeat_every = 3;
  for (uint32_t batch : {1u, 64u, 1024u}) {
    for (OverflowPolicy policy : {OverflowPolicy::kEvictOldest, OverflowPolicy::kDropNew}) {
      auto op = DebounceOperator::Make(Readings(), kWidth, spec, Table(16, policy), &symbols,
                                       &clock);
      CHECK(op.ok());
      LONGS_EQUAL(0, AllocationsWhileRunning(op.value().get(), kWidth + 1, rows, batch, &symbols,
                                             &clock));
    }
  }
}

TEST(RowOpsAllocation, LookupDoesNotAllocate) {
  std::vector<std::string> table;
  for (int k = 0; k < 40; ++k) table.push_back("dev-" + std::to_string(k) + ", site-" +
                                               std::to_string(k % 4) + ", " + std::to_string(k));
  Schema fields({{"site", FieldType::kSym, TimeUnit::kMs},
                 {"zone", FieldType::kI64, TimeUnit::kMs}});
  std::string defaults = "unknown, -1";
  for (uint32_t batch : {1u, 64u, 1024u}) {
    for (OnMissing on_missing : {OnMissing::kDrop, OnMissing::kKeep}) {
      auto spec = runnel::ops::ParseLookup({"device"}, fields, table, on_missing,
                                           on_missing == OnMissing::kKeep ? &defaults : nullptr,
                                           Readings());
      CHECK(spec.ok());
      auto op = LookupOperator::Make(Readings(), kWidth, spec.value(), &symbols);
      CHECK(op.ok());
      LONGS_EQUAL(0, AllocationsWhileRunning(op.value().get(), kWidth + 2, rows, batch, &symbols,
                                             &clock));
    }
  }
}

TEST(RowOpsAllocation, HooksCount) {
  runnel::testing::StartCountingAllocations();
  std::vector<int>* v = new std::vector<int>(100);
  const uint64_t counted = runnel::testing::StopCountingAllocations();
  delete v;
  if (runnel::testing::kCountsAllocations) CHECK(counted >= 2);
}
